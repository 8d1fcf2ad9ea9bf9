"""Hostile strings in every text field round-trip through SQLiteStore exactly: quotes and SQL,
NULs, every Unicode plane, and megabyte fields, in leads, pools, follow-ups (found by author),
events, records, state and the duplicate-key index; ids sort as Python sorts them."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import (
    Attachment,
    AttachmentKind,
    Event,
    EventKind,
    FieldChange,
    FollowUp,
    FollowUpMethod,
    Lead,
    LeadQuery,
    LeadStatus,
    Pool,
    SQLiteStore,
    ValidationError,
)
from leadcore.checks import id_problem, identifier
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord
from leadcore.testing import EPOCH
from leadcore.values import text_item_problem

NASTY = (
    "'); DROP TABLE leads; --",
    '"quoted" \\ back\\slash `tick` %s ? :name @p $1',
    "nul\x00inside\x00",
    "\x00",
    "\ufeffBOM \u2028line\u2029para \u200frtl\u200e",
    "planes: \u00e9 \u4e2d \U0001f600 \U00020000 \U00030000 \U000e0001 \U000f0000 \U0010ffff",
    "e\u0301\u0301 combining",
    '{"dict": {"not": "a tag"}}',
    "\\u0000 literal escape",
    " ",
)
MEGABYTE = "星" * (1 << 20)

# Every character UTF-8 can carry (all planes, surrogates excluded), NUL included.
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
IDS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(str.strip)


def ident(text: str) -> str:
    """``text`` made fit for a set of ids (which refuses blank ones)."""
    return text if text.strip() else f"id{text}"


def hostile_lead(lead_id: str, texts: list[str]) -> Lead:
    """A lead with every text field taken from ``texts`` (cycled)."""
    pick = (texts[i % len(texts)] for i in range(100))
    owner = next(pick) or "owner"
    collaborator = ident(next(pick))
    return Lead(
        id=lead_id,
        pool_id=next(pick) or "pool",
        created_by=next(pick),
        created_at=EPOCH,
        contact_name=next(pick),
        company=next(pick),
        phone=next(pick),
        email=next(pick),
        wechat=next(pick),
        source=next(pick),
        industry=next(pick),
        region=next(pick),
        decision_maker_title=next(pick),
        custom_fields={next(pick): next(pick), "list": (next(pick), next(pick))},
        status=LeadStatus.FOLLOWING,
        owner_id=owner,
        department_id=next(pick),
        collaborators={collaborator},
        collaborator_roles={collaborator: next(pick)},
        followers={ident(next(pick))},
        stage=next(pick),
        grade=next(pick),
        lost_reason=next(pick),
        invalid_reason=next(pick),
        probability=0.25,
        protected_until=EPOCH + timedelta(days=2),
        sla_period=EPOCH,
        sla_steps=tuple(dict.fromkeys((next(pick), next(pick)))),
    )


def hostile_pool(texts: list[str]) -> Pool:
    """A pool whose every named setting is taken from ``texts`` (those a pool accepts as a
    stage: one line, not blank, no surrounding spaces, at most 200 characters; the id also by
    the id rule: no invisible format characters)."""
    names = [t for t in texts if text_item_problem(t) is None] or ["池"]
    ids = [t for t in names if id_problem(t) is None] or ["池"]
    return Pool(
        id=ids[0],
        name=names[-1],
        sla_policy=names[0],
        quota_policy=names[-1],
        conditions=tuple(dict.fromkeys(names[:3])),
        due_date_field=names[0],
        allowed_sources=tuple(names[:2]),
        sales_stages=tuple(dict.fromkeys(names)),
    )


def _attachable(text: str) -> bool:
    """Whether ``text`` is fit for an attachment's reference and name."""
    try:
        Attachment(AttachmentKind.DOCUMENT, text[:2000], text[:200])
    except ValidationError:
        return False
    return True


def round_trip(lead_id: str, texts: list[str]) -> None:
    """Store records full of ``texts`` and read each back exactly."""
    lead = hostile_lead(lead_id, texts)
    text = texts[0] or "x"
    # An attachment's reference and name are one-line text (no control characters, not only
    # invisible ones such as a soft hyphen).
    plain = [t.strip() for t in texts if _attachable(t.strip())] or ["x"]
    follow_up = FollowUp(
        id=text,
        lead_id=lead_id,
        author_id=text,
        at=EPOCH,
        method=FollowUpMethod.VISIT,
        content=text + "!",
        result=texts[-1] + "!",
        customer_needs=text,
        next_step=text,
        attachments=(Attachment(AttachmentKind.DOCUMENT, plain[0][:2000], plain[-1][:200]),),
        mentions={ident(text)},
        stage=text,
    )
    event = Event(
        EventKind.LEAD_EDITED,
        EPOCH,
        text,
        lead_id=lead_id,
        pool_id=text,
        changes=(FieldChange(text, text, texts[-1]),),
        reason=text,
        data={text: [text, {text: text}]},
    )
    grant = Grant(text, text, lead_id, text, EPOCH, 2.0)
    # An away period's user is an id a user could have (one-line text, no surrounding spaces).
    away_user = (
        text
        if id_problem(text) is None
        else "u-" + text.encode("utf-8", "surrogatepass").hex()[:60]
    )
    away = Away(away_user, EPOCH, EPOCH + timedelta(days=1), text)
    record = OwnershipRecord(text, lead_id, text, EPOCH, OwnershipChange.CLAIMED)
    pool = hostile_pool(texts)
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        uow.add_lead(lead)
        uow.add_pool(pool)
        uow.set_sweep_at(lead_id, EPOCH)
        uow.add_follow_up(follow_up)
        uow.append_events([event])
        uow.put_grant(grant)
        uow.set_away(away_user, [away])
        uow.add_ownership_record(record)
        uow.set_state(text, {text: [text, texts[-1]]})
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.get_lead(lead_id) == attrs.evolve(lead, version=1)
        assert uow.find_leads(LeadQuery(owner_id=lead.owner_id, ids={lead_id})) == [
            uow.get_lead(lead_id)
        ]
        assert uow.find_leads(LeadQuery(follower_id=next(iter(lead.followers))))[0].id == lead_id
        assert uow.follow_ups(lead_id) == [follow_up]
        assert uow.events_since(0) == [attrs.evolve(event, position=1)]
        assert uow.grants_of(text, lead_id=lead_id) == [grant]
        assert uow.away_periods([away_user]) == {away_user: [away]}
        assert uow.last_ownership(text, lead_id, OwnershipChange.CLAIMED) == EPOCH
        assert uow.get_state(text) == {text: [text, texts[-1]]}
        assert uow.get_pool(pool.id) == attrs.evolve(pool, version=1)
        assert uow.find_follow_ups(author_id=text) == [follow_up]
        keys = store.normaliser.keys(lead)
        if _readable(lead_id):  # keys_of takes ids as the desk's checks do
            assert uow.keys_of([lead_id]) == ({lead_id: keys} if keys else {})
        assert all(lead_id in ids for ids in uow.leads_by_key(keys).values())
        assert uow.due_for_sweep(EPOCH) == [(EPOCH, lead_id)]


def _readable(lead_id: str) -> bool:
    try:
        return identifier(lead_id, "id") == lead_id
    except ValidationError:
        return False


def test_known_hostile_strings_round_trip() -> None:
    for i, nasty in enumerate(NASTY):
        round_trip(nasty or f"L{i}", [nasty, *NASTY])


def test_a_megabyte_in_every_field_round_trips() -> None:
    round_trip("L-big", [MEGABYTE, MEGABYTE + "\x00", "尾" + MEGABYTE])


@settings(max_examples=25)
@given(IDS, st.lists(TEXT, min_size=1, max_size=8))
def test_any_text_round_trips(lead_id: str, texts: list[str]) -> None:
    round_trip(lead_id, texts)


@settings(max_examples=25)
@given(st.lists(IDS, min_size=1, max_size=12, unique=True))
def test_ids_of_any_text_sort_as_python_sorts_them(lead_ids: list[str]) -> None:
    store = SQLiteStore()
    leads = [Lead(id=i, pool_id="p", created_by="u", created_at=EPOCH) for i in lead_ids]
    with store.unit_of_work() as uow:
        for lead in leads:
            uow.add_lead(lead)
        uow.commit()
    stored = [attrs.evolve(lead, version=1) for lead in leads]
    with store.unit_of_work() as uow:
        for query in (
            LeadQuery(),
            LeadQuery(after=(EPOCH, sorted(lead_ids)[0])),
            LeadQuery(ids=frozenset(lead_ids[::2]), limit=3),
        ):
            assert uow.find_leads(query) == query.select(stored)
