"""The storage seam: what any lead store must do, whatever it keeps its data in.

A store hands out units of work. Everything an operation reads and writes goes through one unit
of work, and either all of it lands (``commit``) or none of it does (leaving the ``with`` block
without committing, or on an exception, rolls it back). Units of work on one store are
serialisable: a store runs them one at a time or detects the overlap (``ConcurrencyConflict``).
Saves carry the version they read; a stale one raises ``ConcurrencyConflict``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, TypeAlias, runtime_checkable

import attrs

from leadcore.events import Event
from leadcore.labels import LabelledEnum
from leadcore.model import FollowUp, Lead, LeadStatus, Pool

__all__ = [
    "JSONValue",
    "LeadOrder",
    "LeadQuery",
    "LeadStore",
    "SortKey",
    "UnitOfWork",
]

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
"""What strategy state may hold: anything JSON can represent."""

SortKey: TypeAlias = tuple[datetime, str]
"""A lead's position in an ordering: the ordering's timestamp, then the lead id."""


class LeadOrder(LabelledEnum):
    """How a query orders leads. Every ordering breaks ties by lead id, so it is total."""

    CREATED = "created", "创建时间（早→晚）", "Oldest first"
    CREATED_DESC = "created_desc", "创建时间（晚→早）", "Newest first"
    DUE = "due", "下次跟进时间", "Next follow-up due first"

    def key(self, lead: Lead) -> SortKey | None:
        """The lead's sort key in this ordering; None when the lead has no place in it
        (a lead with no ``next_due_at`` in the DUE ordering)."""
        if self is LeadOrder.DUE:
            return None if lead.next_due_at is None else (lead.next_due_at, lead.id)
        return (lead.created_at, lead.id)


def _frozen_statuses(
    value: Collection[LeadStatus] | LeadStatus | None,
) -> frozenset[LeadStatus] | None:
    if value is None:
        return None
    if isinstance(value, LeadStatus):
        return frozenset({value})
    return frozenset(value)


def _frozen_or_none(value: Collection[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen(kw_only=True, slots=True)
class LeadQuery:
    """Which leads to find, in what order, and which page. Every criterion given must hold.

    ``owner_ids`` matches leads owned by any of the ids (a team, "my subordinates");
    ``due_before`` matches leads whose ``next_due_at`` is before it; ``created_from`` is
    inclusive and ``created_before`` exclusive. Paging: ``after`` is the sort key of the last
    lead of the previous page (keyset paging stays correct while leads change); ``offset`` skips
    that many matches; ``limit`` caps the page. With ``order=DUE`` only leads with a due date
    are returned.
    """

    ids: frozenset[str] | None = attrs.field(default=None, converter=_frozen_or_none)
    pool_id: str | None = None
    statuses: frozenset[LeadStatus] | None = attrs.field(default=None, converter=_frozen_statuses)
    owner_id: str | None = None
    owner_ids: frozenset[str] | None = attrs.field(default=None, converter=_frozen_or_none)
    follower_id: str | None = None
    collaborator_id: str | None = None
    source: str | None = None
    grade: str | None = None
    due_before: datetime | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    order: LeadOrder = LeadOrder.CREATED
    after: SortKey | None = None
    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    limit: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
    )

    def matches(self, lead: Lead) -> bool:
        """Whether ``lead`` meets every criterion (ordering and paging aside).

        This is the reference meaning of a query: stores may find leads any way they like but
        must return exactly the leads this accepts, in ``order``, paged as described.
        """
        if self.ids is not None and lead.id not in self.ids:
            return False
        if self.pool_id is not None and lead.pool_id != self.pool_id:
            return False
        if self.statuses is not None and lead.status not in self.statuses:
            return False
        if self.owner_id is not None and lead.owner_id != self.owner_id:
            return False
        if self.owner_ids is not None and lead.owner_id not in self.owner_ids:
            return False
        if self.follower_id is not None and self.follower_id not in lead.followers:
            return False
        if self.collaborator_id is not None and self.collaborator_id not in lead.collaborators:
            return False
        if self.source is not None and lead.source != self.source:
            return False
        if self.grade is not None and lead.grade != self.grade:
            return False
        if self.due_before is not None and (
            lead.next_due_at is None or not lead.next_due_at < self.due_before
        ):
            return False
        if self.created_from is not None and lead.created_at < self.created_from:
            return False
        return not (self.created_before is not None and lead.created_at >= self.created_before)

    def select(self, leads: Iterator[Lead] | Sequence[Lead]) -> list[Lead]:
        """Apply the query to any collection of leads by brute force: filter, order, page.

        The slow, obviously-right reference that store implementations are tested against.
        """
        keyed = []
        for lead in leads:
            key = self.order.key(lead)
            if key is not None and self.matches(lead):
                keyed.append((key, lead))
        descending = self.order is LeadOrder.CREATED_DESC
        keyed.sort(key=lambda kl: kl[0], reverse=descending)
        if self.after is not None:
            after = self.after
            keyed = [kl for kl in keyed if (kl[0] < after if descending else kl[0] > after)]
        page = keyed[self.offset :]
        if self.limit is not None:
            page = page[: self.limit]
        return [lead for _, lead in page]


@runtime_checkable
class UnitOfWork(Protocol):
    """One atomic piece of work on a store: reads see its own writes; all lands or none.

    Obtained from ``LeadStore.unit_of_work()``. After ``commit`` or ``rollback`` the unit of work
    is finished and any further call raises ``LeadcoreError``.
    """

    # --- leads ---------------------------------------------------------------------------------
    def get_lead(self, lead_id: str) -> Lead:
        """The lead with this id; raises ``NotFound`` if there is none."""
        ...

    def find_leads(self, query: LeadQuery) -> list[Lead]:
        """The leads matching ``query``, in its order, paged; ``[]`` if none."""
        ...

    def count_leads(self, query: LeadQuery) -> int:
        """How many leads match ``query``'s criteria (ordering and paging ignored)."""
        ...

    def count_by_status(
        self, *, pool_id: str | None = None, owner_id: str | None = None
    ) -> dict[LeadStatus, int]:
        """Lead counts per status (statuses with none are absent), optionally for one pool or owner."""
        ...

    def add_lead(self, lead: Lead) -> Lead:
        """Store a new lead and return it at version 1.

        Raises ``DuplicateLead`` if a lead with the same id exists (the existing one is kept).
        """
        ...

    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        """Replace the stored lead with ``lead`` and return it at version ``expected_version + 1``.

        Raises ``NotFound`` if no lead has ``lead.id``, and ``ConcurrencyConflict`` (expected and
        actual versions) if the stored version is not ``expected_version``; nothing is written then.
        """
        ...

    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        """Remove the lead and its follow-ups (events are kept: they are the audit trail).

        Raises ``NotFound`` if it does not exist, ``ConcurrencyConflict`` if its version differs.
        """
        ...

    # --- pools ---------------------------------------------------------------------------------
    def get_pool(self, pool_id: str) -> Pool:
        """The pool with this id; raises ``NotFound`` if there is none."""
        ...

    def list_pools(self) -> list[Pool]:
        """Every pool, ordered by id."""
        ...

    def add_pool(self, pool: Pool) -> Pool:
        """Store a new pool at version 1; raises ``AlreadyExists`` if the id is taken."""
        ...

    def save_pool(self, pool: Pool, *, expected_version: int) -> Pool:
        """Replace a pool (version + 1); ``NotFound`` if missing, ``ConcurrencyConflict`` if stale."""
        ...

    # --- follow-ups ----------------------------------------------------------------------------
    def add_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """Store a follow-up record. Raises ``NotFound`` if its lead does not exist and
        ``AlreadyExists`` if the follow-up id is taken."""
        ...

    def save_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """Replace a stored follow-up (same id and lead); ``NotFound`` if there is none."""
        ...

    def follow_ups(self, lead_id: str) -> list[FollowUp]:
        """The lead's follow-ups, oldest first (by ``at``, then id); ``[]`` for none or no lead."""
        ...

    # --- events (the audit trail and outbox) ---------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[Event]:
        """Record events in order and return them with their new positions (last + 1, + 2, …)."""
        ...

    def events_since(
        self, position: int = 0, *, lead_id: str | None = None, limit: int | None = None
    ) -> list[Event]:
        """Recorded events with a position greater than ``position``, oldest first, optionally
        only those of one lead, at most ``limit`` of them."""
        ...

    def last_position(self) -> int:
        """The position of the newest recorded event; 0 when there is none."""
        ...

    # --- small key-value state for strategies (round-robin cursors, counters) ------------------
    def get_state(self, key: str) -> JSONValue:
        """The value stored under ``key``, or None if nothing is."""
        ...

    def set_state(self, key: str, value: JSONValue) -> None:
        """Store ``value`` under ``key`` (None removes it). Raises ``ValidationError`` if the
        value is not JSON-representable."""
        ...

    # --- ending --------------------------------------------------------------------------------
    def commit(self) -> None:
        """Make every write of this unit of work durable and visible to others, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every write of this unit of work."""
        ...


@runtime_checkable
class LeadStore(Protocol):
    """A place leads, pools, follow-ups, events and strategy state live."""

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """Begin a unit of work. Leaving the ``with`` block without ``commit()`` rolls it back.

        A unit of work belongs to the thread that opened it; opening a second one on the same
        store in the same thread before the first ends raises ``LeadcoreError``.
        """
        ...
