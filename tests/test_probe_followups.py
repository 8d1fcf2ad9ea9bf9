"""Probes of follow-ups, mentions, followers and lead history: refusals that take no id, a late
follow-up that becomes the first, self-mentions, stages, attachments, the memory store's
follow-up records, events and away periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadcore import (
    Department,
    Event,
    EventKind,
    FieldChange,
    FixedClock,
    LeadDesk,
    LeadStatus,
    MemoryStore,
    OrgChart,
    PermissionDenied,
    Pool,
    SQLiteStore,
    User,
    ValidationError,
    counter_ids,
    diff_fields,
)
from leadcore.model import Action, Attachment, FollowUp, FollowUpMethod
from leadcore.records import Away, Grant, GrantStatus
from leadcore.testing.factories import make_lead

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
BASE: dict[str, Any] = {"method": "phone", "content": "电话沟通", "result": "有意向"}


def _org() -> OrgChart:
    return OrgChart(
        users=[
            User("admin", roles={"system_admin"}),
            User("carol", department_id="sales"),
            User("mgr", department_id="sales"),
            User("bob", department_id="sales"),
            User("mia"),
        ],
        departments=[Department("sales", "销售部", manager_id="mgr")],
    )


def _world() -> tuple[LeadDesk, FixedClock, MemoryStore, str]:
    clock = FixedClock(T0)
    store = MemoryStore()
    desk = LeadDesk(store, clock, _org(), ids=counter_ids())
    desk.create_pool("admin", Pool(id="east", name="华东线索池", admins={"carol"}))
    lead_id = desk.create("carol", "east", contact_name="王磊", phone="13800138000").id
    desk.assign("carol", lead_id, "bob")
    clock.advance(minutes=20)
    return desk, clock, store, lead_id


def _fields(error: ValidationError) -> list[str]:
    return [p.field for p in error.problems]


def _trace(store: MemoryStore) -> tuple[int, list[str]]:
    with store.unit_of_work() as uow:
        events = uow.events_since(0)
        return len(events), sorted(f.id for f in uow.find_follow_ups())


# --- ids ----------------------------------------------------------------------------------------


def test_refused_follow_ups_take_no_id_so_a_restarted_desk_does_not_collide() -> None:
    desk, clock, store, lead_id = _world()
    with pytest.raises(ValidationError):
        desk.follow_up("bob", lead_id, **{**BASE, "method": "fax"})
    with pytest.raises(PermissionDenied):
        desk.follow_up("mgr", lead_id, **BASE)  # the owner's manager may not follow up
    assert desk.follow_up("bob", lead_id, **BASE).id == "F1"
    again = LeadDesk(store, clock, _org(), ids=counter_ids())  # a restart: the counter resumes
    assert again.follow_up("bob", lead_id, **BASE).id == "F2"


# --- the record and what it changes -------------------------------------------------------------


def test_a_late_follow_up_that_becomes_the_first_reports_the_response_time() -> None:
    desk, clock, _, lead_id = _world()
    clock.advance(minutes=30)  # 09:50
    desk.follow_up("bob", lead_id, **BASE, at=T0 + timedelta(minutes=40))
    desk.follow_up("bob", lead_id, **BASE, at=T0 + timedelta(minutes=10))
    event = desk.history("bob", lead_id)[-1]
    assert event.kind is EventKind.FOLLOWED_UP and "late" in event.data
    assert event.data["response_seconds"] == 600
    assert desk.get("bob", lead_id).first_followed_at == T0 + timedelta(minutes=10)
    desk.follow_up("bob", lead_id, **BASE, at=T0 + timedelta(minutes=30))  # not the first
    assert "response_seconds" not in desk.history("bob", lead_id)[-1].data


def test_mentioning_yourself_is_refused_and_changes_nothing() -> None:
    desk, _, store, lead_id = _world()
    before = _trace(store)
    with pytest.raises(ValidationError) as caught:
        desk.follow_up("bob", lead_id, **BASE, mentions=["mia", "bob"])
    assert _fields(caught.value) == ["mentions[1]"]
    assert "author" in str(caught.value)
    assert _trace(store) == before
    assert desk.get("bob", lead_id).status is LeadStatus.ASSIGNED


def test_a_stage_on_a_pool_without_sales_stages_says_there_are_none() -> None:
    desk, _, _, _ = _world()
    desk.create_pool("admin", Pool(id="plain", name="无阶段池", admins={"carol"}, sales_stages=()))
    lead_id = desk.create("carol", "plain", contact_name="李娜", phone="13900139000").id
    desk.assign("carol", lead_id, "bob")
    with pytest.raises(ValidationError) as caught:
        desk.follow_up("bob", lead_id, **BASE, stage="需求确认")
    assert _fields(caught.value) == ["stage"]
    assert "no sales stages" in str(caught.value)


def test_attachments_are_limited_in_number_and_not_repeated() -> None:
    desk, _, store, lead_id = _world()
    before = _trace(store)
    many = [Attachment("document", f"files/{i}.pdf") for i in range(101)]
    with pytest.raises(ValidationError) as caught:
        desk.follow_up("bob", lead_id, **BASE, attachments=many)
    assert _fields(caught.value) == ["attachments"]
    twice = [Attachment("recording", "rec/1.mp3"), Attachment("recording", "rec/1.mp3", "录音")]
    with pytest.raises(ValidationError) as repeated:
        desk.follow_up("bob", lead_id, **BASE, attachments=twice)
    assert _fields(repeated.value) == ["attachments[1]"]
    assert _trace(store) == before
    kept = desk.follow_up("bob", lead_id, **BASE, attachments=many[:100])
    assert len(kept.attachments) == 100


# --- the memory store's follow-up records -------------------------------------------------------


def _record(**fields: Any) -> FollowUp:
    values: dict[str, Any] = {
        "id": "F1",
        "lead_id": "L1",
        "author_id": "bob",
        "at": T0,
        "method": FollowUpMethod.PHONE,
        "content": "c",
        "result": "r",
        **fields,
    }
    return FollowUp(**values)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id": 5}, "follow_up.id"),
        ({"author_id": None}, "follow_up.author_id"),
        ({"owner_id": 3}, "follow_up.owner_id"),
        ({"emotion": "positive"}, "follow_up.emotion"),
        ({"priority": "high"}, "follow_up.priority"),
        ({"next_step": b"x"}, "follow_up.next_step"),
        ({"customer_needs": 7}, "follow_up.customer_needs"),
        ({"stage": 3}, "follow_up.stage"),
        ({"content": "a\ud800"}, "follow_up.content"),
        ({"mentions": ["\ud800"]}, "follow_up.mentions"),
    ],
)
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_store_refuses_a_follow_up_it_could_not_keep(
    fields: dict[str, Any], field: str, kind: str, tmp_path: Path
) -> None:
    # Checked before anything is written: SQLite used to raise AttributeError or TypeError,
    # or write a row every later read reported as damage.
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "leads.db")
    with store.unit_of_work() as uow:
        uow.add_lead(make_lead("L1"))
        uow.add_follow_up(_record(id="F0"))
        uow.commit()
    for write in ("add_follow_up", "save_follow_up"):
        record = _record(**({"id": "F0"} if write == "save_follow_up" else {}) | fields)
        with store.unit_of_work() as uow:
            with pytest.raises(ValidationError) as caught:
                getattr(uow, write)(record)
            assert _fields(caught.value) == [field]
    with store.unit_of_work() as uow:
        assert [f.id for f in uow.find_follow_ups()] == ["F0"]
        assert uow.get_follow_up("F0") == _record(id="F0")


# --- events ---------------------------------------------------------------------------------------


def test_diff_fields_refuses_what_is_not_two_versions_of_one_record() -> None:
    lead = make_lead("L1")
    with pytest.raises(ValidationError) as caught:
        diff_fields({"a": 1}, {"a": 2})  # type: ignore[arg-type]
    assert _fields(caught.value) == ["after"]
    with pytest.raises(ValidationError) as mixed:
        diff_fields(FieldChange("a", 1, 2), lead)
    assert _fields(mixed.value) == ["before"]


def test_an_event_takes_only_a_mapping_as_data_and_can_be_hashed() -> None:
    with pytest.raises(ValidationError) as caught:
        Event(EventKind.LEAD_EDITED, T0, "bob", data=[("a", 1), ("b",)])  # type: ignore[arg-type]
    assert _fields(caught.value) == ["data"]
    event = Event(EventKind.LEAD_EDITED, T0, "bob", data={"tags": ["a"]})
    assert len({event, Event(EventKind.LEAD_EDITED, T0, "bob", data={"tags": ["a"]})}) == 1


def test_status_change_reads_statuses_given_as_text_and_refuses_others() -> None:
    moved = (FieldChange("status", "assigned", "跟进中"),)
    event = Event(EventKind.FOLLOWED_UP, T0, "bob", changes=moved)
    assert event.status_change == (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING)
    odd = Event(EventKind.FOLLOWED_UP, T0, "bob", changes=(FieldChange("status", 1, None),))
    with pytest.raises(ValidationError) as caught:
        _ = odd.status_change
    assert _fields(caught.value) == ["changes.status.before"]


# --- away periods and grants --------------------------------------------------------------------


def test_an_away_note_is_text_every_store_can_keep() -> None:
    end = T0 + timedelta(days=1)
    with pytest.raises(ValidationError, match="surrogate") as caught:
        Away("bob", T0, end, "休假\ud800")
    assert _fields(caught.value) == ["note"]
    with pytest.raises(ValidationError, match="must be text"):
        Away("bob", T0, end, None)  # type: ignore[arg-type]
    assert Away("bob", T0, end, "  年假 ").note == "  年假 "  # kept as given


def test_away_and_grant_times_must_be_aware() -> None:
    away = Away("bob", T0, T0 + timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        away.covers(datetime(2026, 3, 2, 10))
    assert _fields(caught.value) == ["at"]
    grant = Grant(
        "G1",
        "mia",
        "L1",
        "看看",
        T0,
        24.0,
        status=GrantStatus.APPROVED,
        approved_at=T0,
        expires_at=T0 + timedelta(days=1),
    )
    with pytest.raises(ValidationError) as refused:
        grant.is_active(datetime(2026, 3, 2, 10))
    assert _fields(refused.value) == ["now"]
    assert grant.allows("mia", "L1", Action.VIEW, T0 + timedelta(hours=1))


def test_a_backdated_follow_up_keeps_a_stage_set_after_it() -> None:
    desk, clock, _, lead_id = _world()
    desk.follow_up("bob", lead_id, **BASE)  # 09:20
    clock.advance(hours=1)
    desk.edit("bob", lead_id, stage="方案沟通")  # 10:20
    clock.advance(hours=1)
    desk.follow_up("bob", lead_id, **BASE, at=T0 + timedelta(minutes=50), stage="需求确认")
    lead = desk.get("bob", lead_id)
    assert (lead.stage, lead.stage_changed_at) == ("方案沟通", T0 + timedelta(hours=1, minutes=20))
    assert lead.last_followed_at == T0 + timedelta(minutes=50)
    kept = desk.history("bob", lead_id)[-1].data["stage_kept"]
    assert (
        isinstance(kept, dict)
        and kept["stage"] == "方案沟通"
        and "late" not in desk.history("bob", lead_id)[-1].data
    )
    desk.follow_up("bob", lead_id, **BASE, stage="意向跟进")  # now: the stage moves on
    assert desk.get("bob", lead_id).stage == "意向跟进"
