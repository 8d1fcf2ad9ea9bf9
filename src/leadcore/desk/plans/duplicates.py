"""Duplicates of a new or existing lead, found through the store's key index and shown as the
reader may see them: a lead the reader may not view is reported by its owner and the matching
detail masked (``138****8000``), never by its id or content."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from leadcore.conversion import CustomerMatch
from leadcore.dedup import DedupKey, DuplicatePolicy, mask_key
from leadcore.errors import DuplicateLead
from leadcore.events import Event, EventKind
from leadcore.model import Lead, LeadStatus
from leadcore.org import User
from leadcore.policy import ViewScope

from ..reads import Reads

__all__ = [
    "Attached",
    "DuplicateMatch",
    "Found",
    "StoredKeys",
    "activity_for",
    "duplicate_error",
    "find_matches",
    "flag_event",
    "merged_into_it",
    "stored_keys",
    "survivor_of",
]

_MAX_HOPS = 64


@attrs.frozen(slots=True)
class DuplicateMatch:
    """An existing lead a lead matches, as the reader may see it.

    ``key`` is the shared key; ``masked`` its value as anyone may be shown it; ``owner_id``
    whose lead it is (None while unassigned). ``lead_id`` and ``pool_id`` are set only when
    the reader may view the lead (``visible``). A merged lead is reported as the lead it was
    merged into.
    """

    key: DedupKey
    masked: str
    owner_id: str | None
    visible: bool
    lead_id: str | None = None
    pool_id: str | None = None

    def describe(self) -> str:
        """The match in words, e.g. ``电话 138****8000: lead L1`` or ``…: owned by bob``."""
        where = f"lead {self.lead_id}" if self.lead_id else f"owned by {self.owner_id or 'nobody'}"
        return f"{self.key.kind.label} {self.masked}: {where}"

    def as_data(self) -> dict[str, object]:
        """The match as plain data (JSON-ready), for reports and events."""
        return {
            "key": str(self.key),
            "masked": self.masked,
            "owner_id": self.owner_id,
            "lead_id": self.lead_id,
            "pool_id": self.pool_id,
            "visible": self.visible,
        }


def survivor_of(reads: Reads, lead: Lead) -> Lead:
    """The lead ``lead`` now is: itself, or the end of its ``merged_into`` chain."""
    seen = 0
    while lead.merged_into is not None and seen < _MAX_HOPS:
        found = reads.uow.get_leads([lead.merged_into]).get(lead.merged_into)
        if found is None:
            return lead
        lead, seen = found, seen + 1
    return lead


def merged_into_it(reads: Reads, lead_id: str, events: Sequence[Event] | None = None) -> list[Lead]:
    """The leads merged straight into ``lead_id`` that are still merged into it (by its
    ``merged`` events, which are ``events`` when the caller has them), in id order."""
    trail = reads.events_of(lead_id) if events is None else events
    named: dict[str, None] = {}
    for event in trail:
        ids = event.data.get("merged") if event.kind is EventKind.MERGED else None
        if isinstance(ids, list | tuple):
            named.update(dict.fromkeys(str(i) for i in ids))
    found = reads.uow.get_leads(list(named)).values() if named else ()
    return sorted((lead for lead in found if lead.merged_into == lead_id), key=lambda x: x.id)


@attrs.frozen(slots=True)
class Found:
    """A match with the stored lead behind it (for plans only; never handed to a host)."""

    lead: Lead
    match: DuplicateMatch


@attrs.frozen(slots=True)
class Attached:
    """A create that, by the pool's policy, added its details to an existing lead instead."""

    match: DuplicateMatch


@attrs.frozen(slots=True)
class StoredKeys:
    """The stored leads holding some keys, read in one go: an import asks once per chunk for
    the keys of all its rows, not once per row."""

    by_key: Mapping[DedupKey, tuple[str, ...]]
    leads: Mapping[str, Lead]


def stored_keys(reads: Reads, keys: list[DedupKey]) -> StoredKeys:
    """The ids holding each of ``keys`` (each given once) and the leads behind them."""
    by_key = reads.uow.leads_by_key(keys) if keys else {}
    ids = dict.fromkeys(lead_id for held in by_key.values() for lead_id in held)
    return StoredKeys(by_key, reads.uow.get_leads(list(ids)) if ids else {})


def find_matches(
    reads: Reads,
    actor: User,
    keys: Iterable[DedupKey],
    policy: DuplicatePolicy,
    *,
    pool_id: str,
    scope_value: object,
    exclude: Iterable[str] = (),
    scope: Callable[[], ViewScope] | None = None,
    known: StoredKeys | None = None,
) -> tuple[Found, ...]:
    """The leads in ``policy``'s scope sharing one of ``keys``, oldest first, one match per
    lead (named by its first shared key), each shown as ``actor`` may see it. Leads in
    ``exclude`` (and what was merged into them) are left out. ``scope`` gives the actor's
    view scope over every pool, and ``known`` the stored leads of every key asked about,
    when a caller asks many times (an import's chunk)."""
    wanted = [k for k in keys if k.kind in policy.kinds]
    if not wanted:
        return ()
    by_key = reads.uow.leads_by_key(wanted) if known is None else known.by_key
    if not by_key:
        return ()
    skipped = set(exclude)
    first_key: dict[str, DedupKey] = {}
    for key in wanted:
        for lead_id in by_key.get(key, ()):
            first_key.setdefault(lead_id, key)
    if not first_key:
        return ()
    stored = reads.uow.get_leads(list(first_key)) if known is None else known.leads
    chosen: dict[str, tuple[Lead, DedupKey]] = {}
    for lead_id, key in first_key.items():
        lead = stored.get(lead_id)
        if lead is None:
            continue
        if lead.status is LeadStatus.MERGED:
            lead = survivor_of(reads, lead)
        if lead.id in skipped or lead.status is LeadStatus.MERGED:
            continue
        if policy.counts(lead, pool_id, scope_value):
            chosen.setdefault(lead.id, (lead, key))
    if not chosen:
        return ()
    if scope is not None:
        seen = scope()
    else:
        pool_ids = {lead.pool_id for lead, _ in chosen.values()}
        seen = reads.view_scope(actor, [p for p in reads.uow.list_pools() if p.id in pool_ids])
    ordered = sorted(chosen.values(), key=lambda pair: (pair[0].created_at, pair[0].id))
    return tuple(Found(lead, _match(lead, key, seen.covers(lead))) for lead, key in ordered)


def _match(lead: Lead, key: DedupKey, visible: bool) -> DuplicateMatch:
    masked = mask_key(key)
    if visible:
        return DuplicateMatch(key, masked, lead.owner_id, True, lead.id, lead.pool_id)
    return DuplicateMatch(key, masked, lead.owner_id, False)


def duplicate_error(match: DuplicateMatch, *, attached: bool = False) -> DuplicateLead:
    """The ``DuplicateLead`` naming ``match`` as its reader may see it."""
    shown = match.key.value if match.visible else match.masked
    return DuplicateLead(
        match.key.kind.value,
        shown,
        match.lead_id,
        owner_id=match.owner_id,
        attached=attached,
        match=match,
    )


def flag_event(
    lead: Lead,
    matches: Sequence[DuplicateMatch],
    *,
    actor_id: str,
    now: datetime,
    customers: Sequence[CustomerMatch] = (),
) -> Event:
    """The ``duplicate_suspected`` event linking a new lead to what it matched (by key and
    count; who may see which match is answered when the link is read), and to the existing
    customers holding its details."""
    data: dict[str, object] = {
        "keys": sorted({str(m.key) for m in matches} | {str(c.key) for c in customers}),
        "matches": len(matches),
    }
    if customers:
        data["customers"] = sorted({c.customer_id for c in customers})
    return Event(
        EventKind.DUPLICATE_SUSPECTED,
        now,
        actor_id,
        lead_id=lead.id,
        pool_id=lead.pool_id,
        reason="; ".join([*(m.describe() for m in matches), *(str(c) for c in customers)]),
        data=data,
    )


def activity_for(
    existing: Lead,
    fields: Mapping[str, object],
    key: DedupKey,
    *,
    actor_id: str,
    now: datetime,
    origin: str = "create",
) -> Event:
    """The ``activity_recorded`` event adding a duplicate entry's details to ``existing``
    (activity ``duplicate_entry``; scorers may give it points like any activity)."""
    details = {name: _plain(value) for name, value in fields.items() if value or value == 0}
    details["matched_key"] = str(key)
    details["origin"] = origin
    return Event(
        EventKind.ACTIVITY_RECORDED,
        now,
        actor_id,
        lead_id=existing.id,
        pool_id=existing.pool_id,
        reason=f"a duplicate entry ({key.label}) was added to this lead",
        data={"activity": "duplicate_entry", "at": now.isoformat(), "details": details},
    )


def _plain(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [_plain(v) for v in value]
    return str(value)
