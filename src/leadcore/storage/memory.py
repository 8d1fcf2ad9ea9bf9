"""``MemoryStore``: the default store, in process memory, indexed and thread-safe.

Units of work run one at a time (a store-wide lock is held from ``unit_of_work()`` to the end
of the ``with`` block), which makes every operation serialisable: two users claiming one lead
at once are simply ordered. Writes apply in place, and each registers how to undo itself
*before* it changes anything, so a unit of work that ends without ``commit`` (or fails inside
the store itself) replays the undo log backwards and leaves the store exactly as it was.

Leads are indexed by ``LeadIndex`` (ordered keys per pool/status, owner/status, collaborator,
follower), grants by user, lead and expiry, ownership records by user and time, follow-ups and
sweep times by time."""

from __future__ import annotations

import json
import threading
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import cast

import attrs

from leadcore import checks
from leadcore.dedup import Normaliser
from leadcore.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DuplicateLead,
    LeadcoreError,
    NotFound,
)
from leadcore.events import Event
from leadcore.frozen import replace
from leadcore.jsonvalue import JSONValue, dump_json
from leadcore.model import FollowUp, Lead, LeadStatus, Pool
from leadcore.query import LeadFilter, LeadQuery
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord
from leadcore.signatures import checked_constructor
from leadcore.storage import arguments as args
from leadcore.storage.memory_follow_ups import FollowUpMethods
from leadcore.storage.memory_index import LeadIndex
from leadcore.storage.memory_positions import EventPositions
from leadcore.storage.memory_records import RecordBook, Undo
from leadcore.storage.memory_times import FollowUpTimes, SweepIndex, TimeIndexReads
from leadcore.storage.protocol import nested_unit_of_work

__all__ = ["MemoryStore"]

_STATUSES = tuple(LeadStatus)


@checked_constructor
class MemoryStore:
    """An in-memory ``LeadStore``: fast, indexed, thread-safe; data lives as long as the object.

    ``walk_only=True`` makes every query walk the whole ordering instead of choosing the
    smallest index (same answers, slower: the contract suite runs both ways). ``normaliser``
    reads the duplicate keys the store indexes (``Normaliser.default()`` unless given).
    """

    def __init__(self, *, walk_only: bool = False, normaliser: Normaliser | None = None) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None
        self.leads = LeadIndex(
            walk_only=checks.flag(walk_only, "walk_only"),
            normaliser=Normaliser.given(normaliser, subject="memory store"),
        )
        self.normaliser = self.leads.keys.normaliser
        self._pools: dict[str, Pool] = {}
        self._follow_ups: dict[str, FollowUp] = {}
        self._follow_ups_by_lead: dict[str, dict[str, None]] = {}
        self._events: list[Event] = []
        self._positions = EventPositions()
        self._state: dict[str, str] = {}
        self.records = RecordBook()
        self.sweeps, self.follow_up_times = SweepIndex(), FollowUpTimes()

    def __len__(self) -> int:
        return len(self.leads)

    def snapshot(self) -> tuple[object, ...]:
        """Everything the store holds — leads, pools, follow-ups, events, records and state — as
        one value to compare with ``==``: tests use it to prove a refused operation wrote
        nothing."""
        with self._lock:
            r = self.records
            return (
                tuple(sorted(self.leads.leads.items())),
                tuple(sorted(self.leads.keys.by_lead.items())),
                tuple(sorted(self._pools.items())),
                tuple(sorted(self._follow_ups.items())),
                # Events take their position when first read; a read must not change this.
                tuple(_positioned(e, n) for n, e in enumerate(self._events, 1)),
                tuple(sorted(self._state.items())),
                tuple(sorted(r.grants.items())),
                tuple(sorted((k, tuple(v)) for k, v in r.ownership.items())),
                tuple(sorted(r.last_ownership.items())),
                tuple(sorted(r.away.items())),
                tuple(self.sweeps.order),
            )

    def unit_of_work(self) -> _Held:
        """Begin a unit of work; the store is locked for other threads until the block ends."""
        return _Held(self)


class _Held:
    """One ``with store.unit_of_work()`` block: the store's lock held by this thread, and the
    unit of work rolled back on leaving unless it was committed. (A class, not a generator:
    every operation opens one.)"""

    __slots__ = ("_store", "_uow")

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._uow: _MemoryUnitOfWork | None = None

    def __enter__(self) -> _MemoryUnitOfWork:
        store = self._store
        me = threading.get_ident()
        if store._holder == me:
            raise nested_unit_of_work()
        store._lock.acquire()
        try:
            store._holder = me
            self._uow = _MemoryUnitOfWork(store)
        except BaseException:
            store._holder = None
            store._lock.release()
            raise
        return self._uow

    def __exit__(self, *exc: object) -> None:
        store, uow = self._store, self._uow
        try:
            if uow is not None and uow.open:
                uow.rollback()
        finally:
            store._holder = None
            store._lock.release()


def _versioned(record: Lead, version: int) -> Lead:
    """``record`` at ``version`` (itself when it already is)."""
    return record if record.version == version else replace(record, version=version)


def _positioned(event: Event, position: int) -> Event:
    """``event`` at ``position`` (itself when it already is)."""
    return event if event.position == position else replace(event, position=position)


class _MemoryUnitOfWork(FollowUpMethods, TimeIndexReads):
    """A unit of work on a ``MemoryStore``; see ``leadcore.storage.UnitOfWork``."""

    _s: MemoryStore

    def __init__(self, store: MemoryStore) -> None:
        self._s = self._times = store
        self._undo: list[Undo] = []
        self.open = True

    def _check_open(self) -> None:
        if not self.open:
            raise LeadcoreError("this unit of work has ended (committed or rolled back)")

    def _will(self, undo: Undo) -> None:
        """Register how to undo the write about to happen (before it happens)."""
        self._undo.append(undo)

    # --- leads -------------------------------------------------------------------------------
    def get_lead(self, lead_id: str) -> Lead:
        """See ``UnitOfWork.get_lead``."""
        self._check_open()
        lead_id = args.an_id(lead_id, "lead_id")
        try:
            return self._s.leads.leads[lead_id]
        except KeyError:
            raise NotFound("lead", lead_id) from None

    def get_leads(self, lead_ids: Iterable[str]) -> dict[str, Lead]:
        """See ``UnitOfWork.get_leads``."""
        self._check_open()
        leads = self._s.leads.leads
        return {i: leads[i] for i in args.id_list(lead_ids, "lead_ids") if i in leads}

    def find_leads(self, query: LeadQuery) -> list[Lead]:
        """See ``UnitOfWork.find_leads``."""
        self._check_open()
        query = args.query(query)
        if query.limit == 0:
            return []
        return list(self._s.leads.stream(query))

    def iter_leads(self, query: LeadQuery) -> Iterator[Lead]:
        """See ``UnitOfWork.iter_leads``."""
        self._check_open()
        query = args.query(query)
        if query.limit == 0:
            return iter(())
        return self._s.leads.stream(query)

    def count_leads(self, query: LeadQuery) -> int:
        """See ``UnitOfWork.count_leads``."""
        self._check_open()
        return self._s.leads.count(args.query(query))

    def count_by_status(
        self,
        query: LeadFilter | None = None,
        *,
        pool_id: str | None = None,
        owner_id: str | None = None,
    ) -> dict[LeadStatus, int]:
        """See ``UnitOfWork.count_by_status``."""
        self._check_open()
        return self._s.leads.count_by_status(
            args.criteria(query),
            pool_id=args.optional_id(pool_id, "pool_id"),
            owner_id=args.optional_id(owner_id, "owner_id"),
        )

    def open_counts(self, owner_ids: Collection[str]) -> dict[str, int]:
        """See ``UnitOfWork.open_counts``."""
        self._check_open()
        return self._s.leads.open_counts(args.id_list(owner_ids, "owner_ids"))

    def add_lead(self, lead: Lead) -> Lead:
        """See ``UnitOfWork.add_lead``."""
        self._check_open()
        lead = args.lead_times(lead)
        index = self._s.leads
        if lead.id in index.leads:
            raise DuplicateLead("id", lead.id, lead.id)
        stored = _versioned(lead, 1)
        self._will(lambda: index.discard(stored))
        index.add(stored)
        return stored

    def _current(self, lead_id: str, expected_version: int) -> Lead:
        current = self._s.leads.leads.get(lead_id)
        if current is None:
            raise NotFound("lead", lead_id)
        if current.version != expected_version:
            raise ConcurrencyConflict("lead", lead_id, expected_version, current.version)
        return current

    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        """See ``UnitOfWork.save_lead``."""
        self._check_open()
        lead = args.lead_times(lead)
        index = self._s.leads
        expected_version = args.number(expected_version, "expected_version")
        old = self._current(lead.id, expected_version)
        new = _versioned(lead, expected_version + 1)

        def undo() -> None:
            index.discard(new)
            index.discard(old)
            index.add(old)

        self._will(undo)
        index.replace(old, new)
        return new

    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        """See ``UnitOfWork.delete_lead``."""
        self._check_open()
        s = self._s
        lead_id = args.an_id(lead_id, "lead_id")
        old = self._current(lead_id, args.number(expected_version, "expected_version"))
        follow_up_ids = dict(s._follow_ups_by_lead.get(lead_id, {}))
        removed = [s._follow_ups[i] for i in follow_up_ids]

        def undo() -> None:
            s.leads.discard(old)
            s.leads.add(old)
            if follow_up_ids:
                s._follow_ups_by_lead[lead_id] = dict(follow_up_ids)
                for f in removed:
                    s._follow_ups[f.id] = f

        self._will(undo)
        s.follow_up_times.remove(removed, self._will)
        s.sweeps.set(lead_id, None, self._will)
        s.leads.discard(old)
        s._follow_ups_by_lead.pop(lead_id, None)
        for i in follow_up_ids:
            s._follow_ups.pop(i, None)

    # --- pools -------------------------------------------------------------------------------
    def get_pool(self, pool_id: str) -> Pool:
        """See ``UnitOfWork.get_pool``."""
        self._check_open()
        try:
            return self._s._pools[args.an_id(pool_id, "pool_id")]
        except KeyError:
            raise NotFound("pool", pool_id) from None

    def list_pools(self) -> list[Pool]:
        """See ``UnitOfWork.list_pools``."""
        self._check_open()
        return [self._s._pools[k] for k in sorted(self._s._pools)]

    def add_pool(self, pool: Pool) -> Pool:
        """See ``UnitOfWork.add_pool``."""
        self._check_open()
        pool = args.instance(pool, Pool, "pool")
        pools = self._s._pools
        if pool.id in pools:
            raise AlreadyExists("pool", pool.id)
        stored = pool if pool.version == 1 else attrs.evolve(pool, version=1)
        self._will(lambda: pools.pop(pool.id, None))
        pools[pool.id] = stored
        return stored

    def save_pool(self, pool: Pool, *, expected_version: int) -> Pool:
        """See ``UnitOfWork.save_pool``."""
        self._check_open()
        pool = args.instance(pool, Pool, "pool")
        expected_version = args.number(expected_version, "expected_version")
        pools = self._s._pools
        old = pools.get(pool.id)
        if old is None:
            raise NotFound("pool", pool.id)
        if old.version != expected_version:
            raise ConcurrencyConflict("pool", pool.id, expected_version, old.version)
        version = expected_version + 1
        new = pool if pool.version == version else attrs.evolve(pool, version=version)
        self._will(lambda: pools.__setitem__(old.id, old))
        pools[pool.id] = new
        return new

    # --- events ------------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[int]:
        """See ``UnitOfWork.append_events``. Events are kept as given and take their position
        when first read (so the write path builds nothing)."""
        self._check_open()
        events = args.event_list(events)  # before the undo is registered: it reads them
        log = self._s._events
        positions = self._s._positions
        start = len(log)

        def undo() -> None:
            del log[start:]
            positions.forget_after({e.lead_id for e in events if e.lead_id is not None}, start)

        self._will(undo)
        log.extend(events)
        for offset, event in enumerate(events):
            if event.lead_id is not None:
                positions.note(event.lead_id, start + offset + 1)
        return list(range(start + 1, start + 1 + len(events)))

    def _read(self, position: int) -> Event:
        """The event at ``position``, carrying it (built once, then kept)."""
        log = self._s._events
        event = log[position - 1]
        if event.position != position:
            event = log[position - 1] = _positioned(event, position)
        return event

    def events_since(
        self, position: int = 0, *, lead_id: str | None = None, limit: int | None = None
    ) -> list[Event]:
        """See ``UnitOfWork.events_since``."""
        self._check_open()
        start = args.number(position, "position")
        lead_id = args.optional_id(lead_id, "lead_id")
        limit = args.limit(limit)
        size = len(self._s._events)
        if lead_id is None:
            end = size if limit is None else min(size, start + max(limit, 0))
            return [self._read(p) for p in range(start + 1, end + 1)]
        positions = self._s._positions.of(lead_id)
        first = bisect_right(positions, start)
        chosen = positions[first:] if limit is None else positions[first : first + limit]
        return [self._read(p) for p in chosen]

    def last_position(self) -> int:
        """See ``UnitOfWork.last_position``."""
        self._check_open()
        return len(self._s._events)

    # --- grants, ownership records, away periods --------------------------------------------
    def put_grant(self, grant: Grant) -> Grant:
        """See ``UnitOfWork.put_grant``."""
        self._check_open()
        return self._s.records.put_grant(args.instance(grant, Grant, "grant"), self._will)

    def get_grant(self, grant_id: str) -> Grant:
        """See ``UnitOfWork.get_grant``."""
        self._check_open()
        return self._s.records.get_grant(args.an_id(grant_id, "grant_id"))

    def grants_of(
        self, user_id: str, *, lead_id: str | None = None, active_at: datetime | None = None
    ) -> list[Grant]:
        """See ``UnitOfWork.grants_of``."""
        self._check_open()
        return self._s.records.grants_of(
            args.an_id(user_id, "user_id"),
            lead_id=args.optional_id(lead_id, "lead_id"),
            active_at=args.optional_moment(active_at, "active_at"),
        )

    def add_ownership_record(self, record: OwnershipRecord) -> None:
        """See ``UnitOfWork.add_ownership_record``."""
        self._check_open()
        self._s.records.add_ownership(args.ownership_record(record), self._will)

    def count_ownership(
        self,
        user_id: str,
        *,
        changes: Collection[OwnershipChange],
        since: datetime,
        pool_id: str | None = None,
    ) -> int:
        """See ``UnitOfWork.count_ownership``."""
        self._check_open()
        return self._s.records.count_ownership(
            args.an_id(user_id, "user_id"),
            args.changes(changes),
            args.moment(since, "since"),
            args.optional_id(pool_id, "pool_id"),
        )

    def last_ownership(
        self, user_id: str, lead_id: str, change: OwnershipChange
    ) -> datetime | None:
        """See ``UnitOfWork.last_ownership``."""
        self._check_open()
        key = (
            args.an_id(user_id, "user_id"),
            args.an_id(lead_id, "lead_id"),
            args.change(change).value,
        )
        return self._s.records.last_ownership.get(key)

    def set_away(self, user_id: str, periods: Sequence[Away]) -> None:
        """See ``UnitOfWork.set_away``."""
        self._check_open()
        user_id = args.an_id(user_id, "user_id")
        self._s.records.set_away(user_id, args.away_list(periods, user_id), self._will)

    def away_periods(self, user_ids: Collection[str]) -> dict[str, list[Away]]:
        """See ``UnitOfWork.away_periods``."""
        self._check_open()
        away = self._s.records.away
        return {u: list(away[u]) for u in args.id_list(user_ids, "user_ids") if u in away}

    # --- state -------------------------------------------------------------------------------
    def get_state(self, key: str) -> JSONValue:
        """See ``UnitOfWork.get_state``."""
        self._check_open()
        text = self._s._state.get(args.state_key(key))
        return None if text is None else cast(JSONValue, json.loads(text))

    def set_state(self, key: str, value: JSONValue) -> None:
        """See ``UnitOfWork.set_state``."""
        self._check_open()
        key = args.state_key(key)
        text = dump_json(value, f"state[{key}]")
        state = self._s._state
        old = state.get(key)
        self._will(lambda: state.pop(key, None) if old is None else state.update({key: old}))
        if value is None:
            state.pop(key, None)
        else:
            state[key] = text

    # --- ending ------------------------------------------------------------------------------
    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """See ``UnitOfWork.savepoint``."""
        self._check_open()
        mark = len(self._undo)
        try:
            yield
        except BaseException:
            while len(self._undo) > mark:
                self._undo.pop()()
            raise

    def commit(self) -> None:
        """See ``UnitOfWork.commit``."""
        self._check_open()
        self._undo.clear()
        self.open = False

    def rollback(self) -> None:
        """See ``UnitOfWork.rollback``."""
        self._check_open()
        while self._undo:
            self._undo.pop()()
        self.open = False
