"""The storage seam: what any lead store must do, whatever it keeps its data in.

A store hands out units of work. Everything an operation reads and writes goes through one unit
of work, and either all of it lands (``commit``) or none of it does (leaving the ``with`` block
without committing, or on an exception, rolls it back). Units of work on one store are
serialisable: a store runs them one at a time or detects the overlap (``ConcurrencyConflict``).
Saves carry the version they read; a stale one raises ``ConcurrencyConflict``.

Besides leads, pools, follow-ups and events, a store keeps typed records (temporary grants,
ownership records, away periods), a small key-value state for assignment cursors, and a
duplicate-key index: every lead's keys, read with the store's ``normaliser`` whenever the lead
is added or saved, found again by key in one lookup.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

from leadcore.dedup import DedupKey, Normaliser
from leadcore.errors import LeadcoreError
from leadcore.events import Event
from leadcore.jsonvalue import JSONValue
from leadcore.model import FollowUp, Lead, LeadStatus, Pool
from leadcore.query import LeadFilter, LeadOrder, LeadQuery, SortKey
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord

__all__ = [
    "JSONValue",
    "LeadFilter",
    "LeadOrder",
    "LeadQuery",
    "LeadStore",
    "SortKey",
    "UnitOfWork",
]


@runtime_checkable
class UnitOfWork(Protocol):
    """One atomic piece of work on a store: reads see its own writes; all lands or none.

    Obtained from ``LeadStore.unit_of_work()``. After ``commit`` or ``rollback`` the unit of work
    is finished and any further call raises ``LeadcoreError``.

    Every method checks its arguments before it reads or writes, since hosts call units of
    work directly: a wrong one raises ``ValidationError`` naming it, and nothing is written.
    Ids are ``str``; several ids are a collection of ``str``, never one ``str``; versions,
    positions and limits are whole numbers (not bools) from 0 to 2**63 - 1; times are
    timezone-aware; ``changes`` is a collection of ``OwnershipChange``. Values handed back
    (leads, records, ``get_state``'s value) are the caller's to keep: changing them never
    changes the store. ``leadcore.storage.arguments`` has these checks, and the contract suite
    (``leadcore.testing.LeadStoreContract``) holds a store to them.
    """

    # --- leads ---------------------------------------------------------------------------------
    def get_lead(self, lead_id: str) -> Lead:
        """The lead with this id; raises ``NotFound`` if there is none."""
        ...

    def get_leads(self, lead_ids: Iterable[str]) -> dict[str, Lead]:
        """The leads with these ids that exist, by id (missing ids are simply absent)."""
        ...

    def find_leads(self, query: LeadQuery) -> list[Lead]:
        """The leads matching ``query``, in its order, paged; ``[]`` if none."""
        ...

    def iter_leads(self, query: LeadQuery) -> Iterator[Lead]:
        """The leads matching ``query`` one by one in its order, paged like ``find_leads``. The
        iterator is valid only while the unit of work is open and nothing is written."""
        ...

    def count_leads(self, query: LeadQuery) -> int:
        """How many leads match ``query``'s criteria (ordering and paging ignored)."""
        ...

    def count_by_status(
        self,
        query: LeadFilter | None = None,
        *,
        pool_id: str | None = None,
        owner_id: str | None = None,
    ) -> dict[LeadStatus, int]:
        """Lead counts per status (statuses with none are absent) among the leads matching
        ``query`` (a ``LeadQuery`` may carry ``any_of``), optionally for one pool or owner."""
        ...

    def open_counts(self, owner_ids: Collection[str]) -> dict[str, int]:
        """How many open (assigned or following) leads each owner holds; 0 for those with none."""
        ...

    def add_lead(self, lead: Lead) -> Lead:
        """Store a new lead and return it at version 1 (a lead already at version 1 is kept as
        it is). Raises ``DuplicateLead`` if a lead with the same id exists (the existing one is
        kept)."""
        ...

    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        """Replace the stored lead with ``lead`` and return it at version ``expected_version + 1``
        (a lead already at that version is kept as it is).

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

    def get_follow_up(self, follow_up_id: str) -> FollowUp:
        """The follow-up record with this id; raises ``NotFound`` if there is none."""
        ...

    def follow_ups(self, lead_id: str) -> list[FollowUp]:
        """The lead's follow-ups, oldest first (by ``at``, then id); ``[]`` for none or no lead."""
        ...

    def move_follow_up(self, follow_up_id: str, lead_id: str) -> FollowUp:
        """Move a follow-up record to another lead (a merge moves them to the surviving lead,
        an unmerge moves them back) and return it as stored; everything else about it stays.
        Raises ``NotFound`` if the follow-up or the lead does not exist."""
        ...

    # --- the duplicate-key index ---------------------------------------------------------------
    def leads_by_key(self, keys: Iterable[DedupKey]) -> dict[DedupKey, tuple[str, ...]]:
        """For each of ``keys``, the ids of the stored leads with that key, in id order; a key
        no lead has is absent. A lead's keys are the store normaliser's ``keys(lead)`` as of
        its last add or save (merged leads keep theirs; a deleted lead has none). Each key is
        one lookup, however many leads are stored. Raises ``ValidationError`` if ``keys`` is
        not a collection of ``DedupKey``."""
        ...

    def keys_of(self, lead_ids: Iterable[str]) -> dict[str, tuple[DedupKey, ...]]:
        """The indexed keys of each of these leads, in the normaliser's order; leads that do
        not exist or have no keys are absent."""
        ...

    def find_follow_ups(
        self,
        *,
        author_id: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[FollowUp]:
        """Follow-ups by ``author_id`` (default: anyone) made at or after ``since`` and before
        ``before``, oldest first (by ``at``, then id), starting past the ``(at, id)`` key
        ``after``, at most ``limit``; ``[]`` when none. Costs follow the answer, not the store."""
        ...

    # --- the due-time index (when the sweep next looks at a lead) -------------------------------
    def set_sweep_at(self, lead_id: str, at: datetime | None) -> None:
        """Record when the sweep should next look at the lead (None: never, until it changes);
        setting the time it already has writes nothing. Raises ``NotFound`` if no lead has the
        id. Deleting a lead removes its entry."""
        ...

    def sweep_at(self, lead_id: str) -> datetime | None:
        """When the sweep should next look at the lead; None if never, or if there is no lead."""
        ...

    def due_for_sweep(
        self, until: datetime, *, limit: int | None = None
    ) -> list[tuple[datetime, str]]:
        """``(time, lead id)`` of each lead whose sweep time is at or before ``until``, earliest
        first (ties by id), at most ``limit``. Costs follow the leads due, not the store."""
        ...

    # --- events (the audit trail and outbox) ---------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[int]:
        """Record events in order and return their positions (last + 1, + 2, …); read back,
        each event carries its position."""
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

    # --- temporary grants ----------------------------------------------------------------------
    def put_grant(self, grant: Grant) -> Grant:
        """Store a grant, replacing the stored one with the same id (a grant's id, grantee and
        lead never change: a replacement with another grantee or lead raises ``ValidationError``)."""
        ...

    def get_grant(self, grant_id: str) -> Grant:
        """The grant with this id; raises ``NotFound`` if there is none."""
        ...

    def grants_of(
        self, user_id: str, *, lead_id: str | None = None, active_at: datetime | None = None
    ) -> list[Grant]:
        """The user's grants, oldest request first, optionally only those on one lead and only
        those active at ``active_at``. Expired grants must not slow down an ``active_at`` read."""
        ...

    # --- ownership records (claims, assignments, hand-backs) -----------------------------------
    def add_ownership_record(self, record: OwnershipRecord) -> None:
        """Store an ownership record (several may share every field)."""
        ...

    def count_ownership(
        self,
        user_id: str,
        *,
        changes: Collection[OwnershipChange],
        since: datetime,
        pool_id: str | None = None,
    ) -> int:
        """How many of the user's records of the given kinds are at or after ``since``
        (optionally in one pool)."""
        ...

    def last_ownership(
        self, user_id: str, lead_id: str, change: OwnershipChange
    ) -> datetime | None:
        """When the user last had a record of kind ``change`` on the lead; None if never."""
        ...

    # --- away periods --------------------------------------------------------------------------
    def set_away(self, user_id: str, periods: Sequence[Away]) -> None:
        """Replace the user's away periods (an empty sequence clears them). Raises
        ``ValidationError`` if a period names another user."""
        ...

    def away_periods(self, user_ids: Collection[str]) -> dict[str, list[Away]]:
        """Each user's away periods, earliest start first; users with none are absent."""
        ...

    # --- small key-value state for assignment cursors ------------------------------------------
    def get_state(self, key: str) -> JSONValue:
        """The value stored under ``key``, or None if nothing is."""
        ...

    def set_state(self, key: str, value: JSONValue) -> None:
        """Store ``value`` under ``key`` (None removes it). Raises ``ValidationError`` if the
        value is not JSON-representable."""
        ...

    # --- ending --------------------------------------------------------------------------------
    def savepoint(self) -> AbstractContextManager[None]:
        """A nested scope: if its ``with`` block raises, every write made inside it is undone
        (the exception propagates) and the unit of work goes on; otherwise its writes stay."""
        ...

    def commit(self) -> None:
        """Make every write of this unit of work durable and visible to others, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every write of this unit of work."""
        ...


@runtime_checkable
class LeadStore(Protocol):
    """A place leads, pools, follow-ups, events, records and assignment state live."""

    @property
    def normaliser(self) -> Normaliser:
        """The rules the duplicate-key index reads keys with (a desk over the store reads new
        leads' keys with the same rules, so they match)."""
        ...

    def snapshot(self) -> object:
        """Everything the store holds as one value to compare with ``==`` (tests use it to
        prove that a refused operation wrote nothing)."""
        ...

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        """Begin a unit of work. Leaving the ``with`` block without ``commit()`` rolls it back.

        A unit of work belongs to the thread that opened it; opening a second one on the same
        store in the same thread before the first ends raises ``LeadcoreError``.
        """
        ...


def nested_unit_of_work() -> LeadcoreError:
    """The error a store's ``unit_of_work`` raises when this thread already has one open on
    the store (the rule ``LeadStore.unit_of_work`` states)."""
    return LeadcoreError(
        "a unit of work is already open on this store in this thread; "
        "finish it before opening another"
    )
