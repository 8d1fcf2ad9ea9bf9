"""Mutation tests of the store contract: a suite that cannot fail proves nothing.

Each mutant below is a ``MemoryStore`` with one promise of the ``LeadStore`` protocol broken, the
way a host's own store might break it (a save ignoring ``expected_version``, a rollback that
forgets a write, a query ignoring a filter, an index not following a delete, a value handed out
that the caller can change…). Every mutant must fail at least one test of ``LeadStoreContract``;
the cases named beside it are the ones expected to catch it (they are tried first, then every
other case). The same cases pass on the unbroken store wrapped the same way.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar
from unittest.mock import patch

import attrs
import pytest
from hypothesis import Phase, settings

from leadcore import MemoryStore
from leadcore.conversion import (
    CarriedFollowUp,
    Contact,
    ContactDraft,
    CustomerDirectory,
    Deal,
    DealDraft,
    MemoryCustomerDirectory,
)
from leadcore.errors import ConcurrencyConflict, DuplicateLead, NotFound, ValidationError
from leadcore.events import Event
from leadcore.model import FollowUp, Lead, LeadStatus, Pool
from leadcore.query import LeadFilter, LeadOrder, LeadQuery
from leadcore.records import Away, Grant, GrantStatus, OwnershipChange, OwnershipRecord
from leadcore.storage import arguments as args
from leadcore.storage.protocol import LeadStore
from leadcore.testing import (
    FAULT_POINTS,
    CustomerDirectoryContract,
    FaultPoints,
    InjectedFault,
    LeadStoreContract,
)

Case = Callable[[LeadStoreContract], None]

# --- the machinery ---------------------------------------------------------------------------


class Wrapped:
    """A unit of work passing every call to a ``MemoryStore``'s, but those a mutant overrides."""

    def __init__(self, inner: Any, store: Mutant) -> None:
        self.inner = inner
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def permanent(self, work: Callable[[], Any]) -> Any:
        """Run ``work`` and forget how to undo it: it survives rollbacks and savepoints."""
        mark = len(self.inner._undo)
        result = work()
        del self.inner._undo[mark:]
        return result


class Mutant(MemoryStore):
    """A ``MemoryStore`` whose units of work are ``bug`` wrappers."""

    bug: ClassVar[type[Wrapped]] = Wrapped

    def __init__(self) -> None:
        super().__init__()
        self.extra: dict[str, Any] = {}

    @contextmanager
    def unit_of_work(self) -> Iterator[Any]:  # type: ignore[override]
        with MemoryStore.unit_of_work(self) as uow:
            yield self.bug(uow, self)


MUTANTS: dict[str, tuple[type[Mutant], tuple[str, ...]]] = {}
"""Each mutant's store class, and the contract cases expected to catch it."""


def mutant(name: str, *catchers: str) -> Callable[[type[Wrapped]], type[Wrapped]]:
    """Register the decorated ``Wrapped`` subclass as the mutant ``name``."""

    def register(bug: type[Wrapped]) -> type[Wrapped]:
        MUTANTS[name] = (type(f"Mutant_{bug.__name__}", (Mutant,), {"bug": bug}), catchers)
        return bug

    return register


def _store_mutant(name: str, *catchers: str) -> Callable[[type[Mutant]], type[Mutant]]:
    """Register a ``Mutant`` subclass (one changing the store, not only its units of work)."""

    def register(cls: type[Mutant]) -> type[Mutant]:
        MUTANTS[name] = (cls, catchers)
        return cls

    return register


# --- versions and ids ------------------------------------------------------------------------


@mutant("save_lead ignores expected_version", "test_stale_save_conflicts_and_writes_nothing")
class _SaveIgnoresVersion(Wrapped):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        lead = args.instance(lead, Lead, "lead")
        args.number(expected_version, "expected_version")
        current = self.inner.get_lead(lead.id)
        return self.inner.save_lead(lead, expected_version=current.version)  # type: ignore[no-any-return]


@mutant("delete_lead ignores expected_version", "test_stale_delete_conflicts")
class _DeleteIgnoresVersion(Wrapped):
    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        lead_id = args.an_id(lead_id, "lead_id")
        args.number(expected_version, "expected_version")
        current = self.inner.get_lead(lead_id)
        self.inner.delete_lead(lead_id, expected_version=current.version)


@mutant("save_pool ignores expected_version", "test_pools_add_list_save")
class _SavePoolIgnoresVersion(Wrapped):
    def save_pool(self, pool: Any, *, expected_version: int) -> Any:
        pool = args.instance(pool, Pool, "pool")
        args.number(expected_version, "expected_version")
        current = self.inner.get_pool(pool.id)
        return self.inner.save_pool(pool, expected_version=current.version)


@mutant("a stale save writes, then conflicts", "test_stale_save_conflicts_and_writes_nothing")
class _StaleSaveWrites(Wrapped):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        lead = args.instance(lead, Lead, "lead")
        expected_version = args.number(expected_version, "expected_version")
        current = self.inner.get_lead(lead.id)
        saved = self.inner.save_lead(lead, expected_version=current.version)
        if current.version != expected_version:
            raise ConcurrencyConflict("lead", lead.id, expected_version, current.version)
        return saved  # type: ignore[no-any-return]


@mutant("a save bumps the version by two", "test_save_bumps_the_version")
class _VersionJumps(Wrapped):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        once = self.inner.save_lead(lead, expected_version=expected_version)
        return self.inner.save_lead(once, expected_version=once.version)  # type: ignore[no-any-return]


@mutant("add_lead stores a given version + 1", "test_add_stores_any_lead_at_version_1")
class _AddKeepsVersion(Wrapped):
    def add_lead(self, lead: Lead) -> Lead:
        stored = self.inner.add_lead(lead)
        for _ in range(max(lead.version, 0)):
            stored = self.inner.save_lead(stored, expected_version=stored.version)
        return stored  # type: ignore[no-any-return]


@mutant("add_lead overwrites a taken id", "test_adding_an_existing_id_raises_and_keeps_the_first")
class _AddOverwrites(Wrapped):
    def add_lead(self, lead: Lead) -> Lead:
        try:
            return self.inner.add_lead(lead)  # type: ignore[no-any-return]
        except DuplicateLead:
            current = self.inner.get_lead(lead.id)
            return self.inner.save_lead(lead, expected_version=current.version)  # type: ignore[no-any-return]


@mutant("add_pool overwrites a taken id", "test_pools_add_list_save")
class _AddPoolOverwrites(Wrapped):
    def add_pool(self, pool: Any) -> Any:
        pool = args.instance(pool, Pool, "pool")
        pools = self.store._pools
        if pool.id in pools:
            old = pools[pool.id]
            self.inner._will(lambda: pools.__setitem__(old.id, old))
            pools[pool.id] = attrs.evolve(pool, version=1)
            return pools[pool.id]
        return self.inner.add_pool(pool)


# --- units of work: rollback, savepoints, commit ---------------------------------------------

_WRITES = {
    "add_lead": "test_leaving_without_commit_writes_nothing",
    "save_lead": "test_leaving_without_commit_writes_nothing",
    "delete_lead": "test_rollback_undoes_every_kind_of_write",
    "append_events": "test_a_failure_midway_rolls_back_every_write",
    "add_follow_up": "test_a_failure_midway_rolls_back_every_write",
    "save_follow_up": "test_rollback_undoes_every_kind_of_write",
    "move_follow_up": "test_a_follow_up_moves_to_another_lead_and_back",
    "add_pool": "test_rollback_undoes_every_kind_of_write",
    "save_pool": "test_a_failure_midway_rolls_back_every_write",
    "put_grant": "test_rollback_undoes_every_kind_of_write",
    "add_ownership_record": "test_a_rolled_back_ownership_record_leaves_no_trace",
    "set_away": "test_rollback_undoes_every_kind_of_write",
    "set_state": "test_a_failure_midway_rolls_back_every_write",
    "set_sweep_at": "test_sweep_times_roll_back_with_their_unit_of_work",
}


def _never_undone(write: str) -> type[Wrapped]:
    def method(self: Wrapped, *a: Any, **kw: Any) -> Any:
        return self.permanent(lambda: getattr(self.inner, write)(*a, **kw))

    return type(f"_Permanent_{write}", (Wrapped,), {write: method})


for _write, _catcher in _WRITES.items():
    mutant(f"rollback does not undo {_write}", _catcher)(_never_undone(_write))


@mutant("every write commits at once", "test_leaving_without_commit_writes_nothing")
class _Autocommit(Wrapped):
    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if name.startswith(("add_", "save_", "delete_", "put_", "set_", "append_", "move_")):
            return lambda *a, **kw: self.permanent(lambda: found(*a, **kw))
        return found


@_store_mutant(
    "leaving the block without commit commits", "test_leaving_without_commit_writes_nothing"
)
class _CommitOnExit(Mutant):
    @contextmanager
    def unit_of_work(self) -> Iterator[Any]:  # type: ignore[override]
        with MemoryStore.unit_of_work(self) as uow:
            try:
                yield uow
            finally:
                if uow.open:
                    uow.commit()


@_store_mutant(
    "an exception commits what was written", "test_a_failure_midway_rolls_back_every_write"
)
class _CommitOnError(Mutant):
    @contextmanager
    def unit_of_work(self) -> Iterator[Any]:  # type: ignore[override]
        with MemoryStore.unit_of_work(self) as uow:
            try:
                yield uow
            except Exception:
                if uow.open:
                    uow.commit()
                raise


@mutant("a savepoint undoes nothing", "test_a_savepoint_undoes_only_its_own_writes")
class _SavepointNoop(Wrapped):
    @contextmanager
    def savepoint(self) -> Iterator[None]:
        yield


@mutant("a savepoint undoes the whole unit of work", "test_a_savepoint_undoes_only_its_own_writes")
class _SavepointUndoesAll(Wrapped):
    @contextmanager
    def savepoint(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            while self.inner._undo:
                self.inner._undo.pop()()
            raise


@mutant("a nested savepoint replaces the outer one's mark", "test_savepoints_nest")
class _OneMark(Wrapped):
    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self.inner.mark = len(self.inner._undo)  # one SAVEPOINT name, reused when nested
        try:
            yield
        except BaseException:
            while len(self.inner._undo) > self.inner.mark:
                self.inner._undo.pop()()
            raise


@mutant(
    "a committed unit of work goes on writing", "test_an_ended_unit_of_work_refuses_further_use"
)
class _EndedStillOpen(Wrapped):
    def commit(self) -> None:
        self.inner._undo.clear()


class _NoLock:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass

    def acquire(self) -> None:
        pass

    def release(self) -> None:
        pass


@mutant(
    "units of work overlap (check, then write)",
    "test_concurrent_claims_of_one_lead_have_one_winner",
)
class _LostUpdate(Wrapped):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        lead = args.instance(lead, Lead, "lead")
        expected_version = args.number(expected_version, "expected_version")
        current = self.inner.get_lead(lead.id)
        if current.version != expected_version:
            raise ConcurrencyConflict("lead", lead.id, expected_version, current.version)
        time.sleep(0.002)  # a round trip to the database: another writer slips in
        current = self.inner.get_lead(lead.id)
        return self.inner.save_lead(lead, expected_version=current.version)  # type: ignore[no-any-return]


class _Unlocked(Mutant):
    bug = _LostUpdate

    def __init__(self) -> None:
        super().__init__()
        self._lock = _NoLock()  # type: ignore[assignment]
        self.serial = threading.Lock()

    @contextmanager
    def unit_of_work(self) -> Iterator[Any]:  # type: ignore[override]
        self._holder = None
        with MemoryStore.unit_of_work(self) as uow:
            yield self.bug(uow, self)


MUTANTS["units of work overlap (check, then write)"] = (
    _Unlocked,
    MUTANTS["units of work overlap (check, then write)"][1],
)


@_store_mutant(
    "a second unit of work in one thread is let in",
    "test_a_second_unit_of_work_in_one_thread_is_refused",
)
class _Reentrant(Mutant):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()  # type: ignore[assignment]

    @contextmanager
    def unit_of_work(self) -> Iterator[Any]:  # type: ignore[override]
        self._holder = None  # forgets who holds it: the same thread gets in again
        with MemoryStore.unit_of_work(self) as uow:
            yield self.bug(uow, self)


class _PartWrite(Wrapped):
    """A store whose writes, when made to fail inside, leave what they did so far."""

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if name not in self.store.extra.get("failing", ()):
            return found

        def fail_after(*a: Any, **kw: Any) -> Any:
            self.permanent(lambda: found(*a, **kw))
            raise InjectedFault(name)

        return fail_after


@_store_mutant(
    "a write failing inside leaves its part behind",
    "test_a_failure_inside_any_write_leaves_the_store_unchanged",
    "test_a_failure_inside_a_time_index_write_leaves_the_store_unchanged",
)
class _LeavesParts(Mutant):
    bug = _PartWrite

    @staticmethod
    def faults() -> FaultPoints:
        @contextmanager
        def failing(write: str, store: LeadStore) -> Iterator[None]:
            assert isinstance(store, Mutant)
            store.extra["failing"] = {write}
            try:
                yield
            finally:
                store.extra["failing"] = set()

        names = {p: p.removesuffix("_keys") for p in FAULT_POINTS}
        return {p: partial(failing, w) for p, w in names.items()}


# --- queries ---------------------------------------------------------------------------------


def _query_bug(change: Callable[[LeadQuery], LeadQuery]) -> type[Wrapped]:
    """A store whose query planner drops part of every query (finds, iterations and counts)."""

    def find(self: Wrapped, query: LeadQuery) -> list[Lead]:
        return self.inner.find_leads(change(args.query(query)))  # type: ignore[no-any-return]

    def iterate(self: Wrapped, query: LeadQuery) -> Iterator[Lead]:
        return self.inner.iter_leads(change(args.query(query)))  # type: ignore[no-any-return]

    def count(self: Wrapped, query: LeadQuery) -> int:
        return self.inner.count_leads(change(args.query(query)))  # type: ignore[no-any-return]

    return type(
        "_QueryBug", (Wrapped,), {"find_leads": find, "iter_leads": iterate, "count_leads": count}
    )


_BRUTE = "test_each_criterion_alone_agrees_with_brute_force"
for _field in (*(f.name for f in attrs.fields(LeadFilter)), "any_of"):
    mutant(f"queries ignore {_field}", _BRUTE)(
        _query_bug(partial(lambda f, q: attrs.evolve(q, **{f: None}), _field))
    )

mutant("newest first comes back oldest first", _BRUTE)(
    _query_bug(
        lambda q: (
            attrs.evolve(q, order=LeadOrder.CREATED) if q.order is LeadOrder.CREATED_DESC else q
        )
    )
)
mutant("offset is ignored", _BRUTE)(_query_bug(lambda q: attrs.evolve(q, offset=0)))


@mutant("ties are broken by id backwards", _BRUTE)
class _TiesBackwards(Wrapped):
    def find_leads(self, query: LeadQuery) -> list[Lead]:
        query = args.query(query)
        page: list[Lead] = self.inner.find_leads(query)
        order = query.order

        def primary(lead: Lead) -> datetime:
            key = order.key(lead)
            assert key is not None
            return key[0]

        page.sort(key=lambda lead: lead.id, reverse=True)
        page.sort(key=primary, reverse=order.descending)
        return page


@mutant(
    "a page starts at its cursor (repeats a lead)", "test_keyset_pages_cover_the_whole_result_once"
)
class _AfterInclusive(Wrapped):
    def find_leads(self, query: LeadQuery) -> list[Lead]:
        query = args.query(query)
        if query.after is None:
            return self.inner.find_leads(query)  # type: ignore[no-any-return]
        everything = self.inner.find_leads(attrs.evolve(query, after=None, offset=0, limit=None))
        at: list[Lead] = [x for x in everything if query.order.key(x) == query.after]
        rest: list[Lead] = self.inner.find_leads(attrs.evolve(query, offset=0, limit=None))
        page = (at + rest)[query.offset :]
        return page if query.limit is None else page[: query.limit]


@mutant("a page after a cursor skips a lead", "test_keyset_pages_cover_the_whole_result_once")
class _AfterSkips(Wrapped):
    def find_leads(self, query: LeadQuery) -> list[Lead]:
        query = args.query(query)
        if query.after is not None:
            query = attrs.evolve(query, offset=query.offset + 1)
        return self.inner.find_leads(query)  # type: ignore[no-any-return]


@mutant("iter_leads ignores the limit", _BRUTE)
class _IterUnlimited(Wrapped):
    def iter_leads(self, query: LeadQuery) -> Iterator[Lead]:
        return self.inner.iter_leads(attrs.evolve(args.query(query), limit=None))  # type: ignore[no-any-return]


@mutant("count_leads counts the page", _BRUTE)
class _CountPaged(Wrapped):
    def count_leads(self, query: LeadQuery) -> int:
        return len(self.inner.find_leads(query))


@mutant("count_leads ignores any_of", _BRUTE)
class _CountNoReaches(Wrapped):
    def count_leads(self, query: LeadQuery) -> int:
        return self.inner.count_leads(attrs.evolve(args.query(query), any_of=None))  # type: ignore[no-any-return]


@mutant(
    "count_by_status ignores its query", "test_a_query_with_reaches_returns_what_any_reach_accepts"
)
class _StatusCountsNoQuery(Wrapped):
    def count_by_status(self, query: Any = None, **kw: Any) -> Any:
        return self.inner.count_by_status(None, **kw)


@mutant("count_by_status ignores its owner", "test_counts_by_status_agree_with_brute_force")
class _StatusCountsNoOwner(Wrapped):
    def count_by_status(
        self, query: Any = None, *, pool_id: Any = None, owner_id: Any = None
    ) -> Any:
        return self.inner.count_by_status(query, pool_id=pool_id)


@mutant("open_counts counts closed leads", "test_open_counts_follow_every_change_and_rollback")
class _OpenCountsAll(Wrapped):
    def open_counts(self, owner_ids: Any) -> dict[str, int]:
        owners = args.id_list(owner_ids, "owner_ids")
        found = self.inner.find_leads(LeadQuery(owner_ids=frozenset(owners)))
        return {o: sum(1 for x in found if x.owner_id == o) for o in owners}


# --- the duplicate-key index -----------------------------------------------------------------


@mutant("keys are not read again on save", "test_keys_follow_saves_deletes_and_merges")
class _KeysStale(Wrapped):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        lead = args.instance(lead, Lead, "lead")
        args.number(expected_version, "expected_version")
        old = self.inner.get_lead(lead.id)
        saved = self.inner.save_lead(lead, expected_version=expected_version)
        self.store.leads.keys.add(old)
        return saved  # type: ignore[no-any-return]


@mutant("a deleted lead keeps its keys", "test_keys_follow_saves_deletes_and_merges")
class _KeysOutliveDelete(Wrapped):
    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        args.number(expected_version, "expected_version")
        old = self.inner.get_lead(lead_id)
        self.inner.delete_lead(lead_id, expected_version=expected_version)
        self.store.leads.keys.add(old)


@mutant("a merged lead loses its keys", "test_keys_follow_saves_deletes_and_merges")
class _MergedLosesKeys(Wrapped):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        saved = self.inner.save_lead(lead, expected_version=expected_version)
        if saved.status is LeadStatus.MERGED:
            self.store.leads.keys.discard(saved.id)
        return saved  # type: ignore[no-any-return]


@mutant(
    "leads_by_key lists ids newest first", "test_a_lead_is_found_by_each_key_however_it_is_spelled"
)
class _KeysBackwards(Wrapped):
    def leads_by_key(self, keys: Any) -> Any:
        return {k: tuple(reversed(v)) for k, v in self.inner.leads_by_key(keys).items()}


@mutant(
    "leads_by_key gives one lead per key", "test_a_lead_is_found_by_each_key_however_it_is_spelled"
)
class _KeysFirstOnly(Wrapped):
    def leads_by_key(self, keys: Any) -> Any:
        return {k: v[:1] for k, v in self.inner.leads_by_key(keys).items()}


# --- events ----------------------------------------------------------------------------------


@mutant("events_since includes the position itself", "test_events_are_numbered_in_commit_order")
class _EventsInclusive(Wrapped):
    def events_since(self, position: int = 0, **kw: Any) -> list[Event]:
        start = args.number(position, "position")
        return self.inner.events_since(max(start - 1, 0), **kw)  # type: ignore[no-any-return]


@mutant(
    "a lead's events ignore the position",
    "test_a_long_history_reads_in_order_and_a_rollback_keeps_it_whole",
)
class _LeadEventsFromStart(Wrapped):
    def events_since(self, position: int = 0, *, lead_id: Any = None, limit: Any = None) -> Any:
        if lead_id is not None:
            position = 0
        return self.inner.events_since(position, lead_id=lead_id, limit=limit)


@mutant(
    "a lead's events ignore the limit",
    "test_a_long_history_reads_in_order_and_a_rollback_keeps_it_whole",
)
class _LeadEventsUnlimited(Wrapped):
    def events_since(self, position: int = 0, *, lead_id: Any = None, limit: Any = None) -> Any:
        args.limit(limit)
        if lead_id is not None:
            limit = None
        return self.inner.events_since(position, lead_id=lead_id, limit=limit)


@mutant("events_since takes a limit of 0 for no limit", "test_a_limit_of_0_reads_nothing")
class _ZeroIsNoLimit(Wrapped):
    def events_since(self, position: int = 0, *, lead_id: Any = None, limit: Any = None) -> Any:
        return self.inner.events_since(position, lead_id=lead_id, limit=args.limit(limit) or None)


@mutant("events lose their reason and data", "test_events_keep_their_content")
class _EventsForget(Wrapped):
    def append_events(self, events: Any) -> list[int]:
        events = args.event_list(events)
        return self.inner.append_events(  # type: ignore[no-any-return]
            [attrs.evolve(e, reason=None, data={}) for e in events]
        )


class _OwnLog(Wrapped):
    """Events in a log of the store's own, numbered by a counter (a database sequence)."""

    def __init__(self, inner: Any, store: Mutant) -> None:
        super().__init__(inner, store)
        store.extra.setdefault("log", [])
        store.extra.setdefault("next", 1)
        self.pending: list[Event] = []
        self.start = store.extra["next"]

    def _all(self) -> list[Event]:
        return [*self.store.extra["log"], *self.pending]

    def append_events(self, events: Any) -> list[int]:
        events = args.event_list(events)
        made = []
        for event in events:
            made.append(attrs.evolve(event, position=self.store.extra["next"]))
            self.store.extra["next"] += 1
        self.pending.extend(made)
        return [e.position for e in made]

    def events_since(self, position: int = 0, *, lead_id: Any = None, limit: Any = None) -> Any:
        start = args.number(position, "position")
        lead_id, limit = args.optional_id(lead_id, "lead_id"), args.limit(limit)
        found = [e for e in self._all() if e.position > start and lead_id in (None, e.lead_id)]
        return found if limit is None else found[:limit]

    def last_position(self) -> int:
        return max((e.position for e in self._all()), default=0)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = len(self.pending)
        with self.inner.savepoint():
            try:
                yield
            except BaseException:
                del self.pending[mark:]
                raise

    def commit(self) -> None:
        self.inner.commit()
        self.store.extra["log"].extend(self.pending)

    def rollback(self) -> None:
        self.inner.rollback()
        self.forget()

    def forget(self) -> None:
        """What a rollback does to the counter (a sequence: nothing)."""


class _OwnLogStore(Mutant):
    @contextmanager
    def unit_of_work(self) -> Iterator[Any]:  # type: ignore[override]
        with MemoryStore.unit_of_work(self) as inner:
            uow = self.bug(inner, self)
            try:
                yield uow
            finally:
                if inner.open:
                    uow.rollback()


@_store_mutant("a rollback leaves a gap in the positions", "test_rolled_back_events_leave_no_gap")
class _Gaps(_OwnLogStore):
    bug = _OwnLog


class _Rewinds(_OwnLog):
    def forget(self) -> None:
        self.store.extra["next"] = self.start - 1  # off by one: the last committed one again


@_store_mutant(
    "a rollback hands out a taken position again", "test_rolled_back_events_leave_no_gap"
)
class _RewindStore(_OwnLogStore):
    bug = _Rewinds


class _DropsEvents(_OwnLog):
    def __init__(self, inner: Any, store: Mutant) -> None:
        super().__init__(inner, store)
        self.start = store.extra["next"]
        self.gone: set[str] = set()
        store.extra.setdefault("next", 1)

    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        self.inner.delete_lead(lead_id, expected_version=expected_version)
        self.gone.add(lead_id)

    def _all(self) -> list[Event]:
        return [e for e in super()._all() if e.lead_id not in self.gone]

    def commit(self) -> None:
        self.inner.commit()
        log = self.store.extra["log"]
        log[:] = [e for e in [*log, *self.pending] if e.lead_id not in self.gone]

    def forget(self) -> None:
        self.store.extra["next"] = self.start


@_store_mutant("deleting a lead deletes its events", "test_deleting_a_lead_keeps_its_events")
class _DropStore(_OwnLogStore):
    bug = _DropsEvents


# --- values handed back ----------------------------------------------------------------------


@mutant("get_state hands out the stored value", "test_state_returned_is_a_copy")
class _StateShared(Wrapped):
    def get_state(self, key: str) -> Any:
        cache = self.store.extra.setdefault("state", {})
        value = self.inner.get_state(key)
        was = cache.get(key)
        if was is not None and was[0] == value:
            return was[1]
        cache[key] = (copy.deepcopy(value), value)
        return value


@mutant("set_state keeps the caller's value", "test_values_handed_over_or_back_are_never_shared")
class _StateKeepsCaller(Wrapped):
    def __init__(self, inner: Any, store: Mutant) -> None:
        super().__init__(inner, store)
        self.pending: dict[str, Any] = {}

    def set_state(self, key: str, value: Any) -> None:
        self.inner.set_state(key, value)
        self.pending[key] = value

    def get_state(self, key: str) -> Any:
        kept = {**self.store.extra.get("state", {}), **self.pending}
        value = kept.get(key) if self.inner.get_state(key) is not None else None
        return copy.deepcopy(value)

    def commit(self) -> None:
        self.inner.commit()
        self.store.extra.setdefault("state", {}).update(self.pending)


def _shared_lists(method: str) -> type[Wrapped]:
    """A store whose read ``method`` hands out the same list while the data is unchanged."""

    def read(self: Wrapped, *a: Any, **kw: Any) -> Any:
        found = getattr(self.inner, method)(*a, **kw)
        cache = self.store.extra.setdefault(method, {})
        key = repr((a, kw))
        if isinstance(found, dict):
            for k, v in found.items():
                was = cache.get((key, k))
                if was is not None and was[0] == tuple(v):
                    found[k] = was[1]
                else:
                    cache[(key, k)] = (tuple(v), v)
            return found
        was = cache.get(key)
        if was is not None and was[0] == tuple(found):
            return was[1]
        cache[key] = (tuple(found), found)
        return found

    return type(f"_Shared_{method}", (Wrapped,), {method: read})


for _read in ("away_periods", "follow_ups", "grants_of", "find_leads", "list_pools"):
    mutant(f"{_read} hands out a stored list", "test_values_handed_over_or_back_are_never_shared")(
        _shared_lists(_read)
    )


# --- deleted leads ---------------------------------------------------------------------------


class _Tombstones(Wrapped):
    """Deletes that leave what they deleted behind for some reads."""

    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        args.number(expected_version, "expected_version")
        old = self.inner.get_lead(lead_id)
        notes = self.inner.follow_ups(lead_id)
        self.inner.delete_lead(lead_id, expected_version=expected_version)
        self.store.extra.setdefault("leads", {})[lead_id] = old
        self.store.extra.setdefault("notes", {}).update({f.id: f for f in notes})


@mutant("get_lead finds a deleted lead", "test_delete_removes_the_lead_and_its_follow_ups")
class _GetDeleted(_Tombstones):
    def get_lead(self, lead_id: str) -> Lead:
        try:
            return self.inner.get_lead(lead_id)  # type: ignore[no-any-return]
        except NotFound:
            if lead_id in self.store.extra.get("leads", {}):
                return self.store.extra["leads"][lead_id]  # type: ignore[no-any-return]
            raise


@mutant("get_leads finds a deleted lead", "test_a_deleted_lead_is_gone_from_every_read")
class _GetManyDeleted(_Tombstones):
    def get_leads(self, lead_ids: Any) -> dict[str, Lead]:
        ids = args.id_list(lead_ids, "lead_ids")
        found: dict[str, Lead] = self.inner.get_leads(ids)
        gone = self.store.extra.get("leads", {})
        return {**{i: gone[i] for i in ids if i in gone}, **found}


@mutant(
    "get_follow_up finds a deleted lead's follow-up", "test_a_deleted_lead_is_gone_from_every_read"
)
class _NoteOfDeleted(_Tombstones):
    def get_follow_up(self, follow_up_id: str) -> Any:
        try:
            return self.inner.get_follow_up(follow_up_id)
        except NotFound:
            if follow_up_id in self.store.extra.get("notes", {}):
                return self.store.extra["notes"][follow_up_id]
            raise


@mutant("a deleted lead keeps its sweep time", "test_a_sweep_time_needs_its_lead_and_goes_with_it")
class _SweepOutlivesDelete(Wrapped):
    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        args.number(expected_version, "expected_version")
        at = self.inner.sweep_at(lead_id)
        self.inner.delete_lead(lead_id, expected_version=expected_version)
        if at is not None:
            self.store.sweeps.set(lead_id, at, self.inner._will)


@mutant(
    "set_sweep_at(None) keeps the time listed",
    "test_sweep_times_are_set_read_cleared_and_listed_earliest_first",
)
class _SweepNotCleared(Wrapped):
    def set_sweep_at(self, lead_id: str, at: datetime | None) -> None:
        if at is None:
            old = self.inner.sweep_at(lead_id)
            self.inner.set_sweep_at(lead_id, at)
            if old is not None:
                self.store.sweeps.order.add((old, lead_id))
            return
        self.inner.set_sweep_at(lead_id, at)


@mutant("save_lead revives a deleted lead", "test_a_deleted_lead_is_gone_from_every_read")
class _SaveRevives(_Tombstones):
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        lead = args.instance(lead, Lead, "lead")
        gone = self.store.extra.get("leads", {}).get(lead.id)
        if gone is not None and lead.id not in self.inner.get_leads([lead.id]):
            if gone.version != expected_version:
                raise ConcurrencyConflict("lead", lead.id, expected_version, gone.version)
            self.inner.add_lead(gone)  # an UPDATE that forgot the row's "deleted" flag
            return self.inner.save_lead(lead, expected_version=1)  # type: ignore[no-any-return]
        return self.inner.save_lead(lead, expected_version=expected_version)  # type: ignore[no-any-return]


@mutant("get_leads serves a stale cache", "test_save_bumps_the_version")
class _StaleCache(Wrapped):
    def get_leads(self, lead_ids: Any) -> dict[str, Lead]:
        cache = self.store.extra.setdefault("cache", {})
        found: dict[str, Lead] = self.inner.get_leads(lead_ids)
        cache.update({i: lead for i, lead in found.items() if i not in cache})
        return {i: cache[i] for i in found}


# --- grants, ownership records, away periods, state ------------------------------------------


def _active(
    grant: Grant, at: datetime, *, inclusive: bool = False, any_status: bool = False
) -> bool:
    if grant.expires_at is None:
        return False
    if not any_status and grant.status is not GrantStatus.APPROVED:
        return False
    return at <= grant.expires_at if inclusive else at < grant.expires_at


def _grant_reads(**how: bool) -> type[Wrapped]:
    def grants_of(
        self: Wrapped, user_id: str, *, lead_id: Any = None, active_at: Any = None
    ) -> Any:
        found = self.inner.grants_of(user_id, lead_id=lead_id)
        if active_at is None:
            return found
        at = args.moment(active_at, "active_at")
        if how.get("expiry_ignored"):
            return [g for g in found if g.status is GrantStatus.APPROVED]
        return [g for g in found if _active(g, at, **how)]

    return type("_Grants", (Wrapped,), {"grants_of": grants_of})


mutant("grants' expiry is ignored", "test_grants_by_user_lead_and_expiry")(
    _grant_reads(expiry_ignored=True)
)
mutant("a grant is active at its expiry", "test_a_grant_ends_at_its_expiry_and_keeps_its_lead")(
    _grant_reads(inclusive=True)
)
mutant(
    "a pending or revoked grant is active", "test_a_grant_ends_at_its_expiry_and_keeps_its_lead"
)(_grant_reads(any_status=True))


@mutant(
    "grants come back by id, not by request", "test_a_grant_ends_at_its_expiry_and_keeps_its_lead"
)
class _GrantsById(Wrapped):
    def grants_of(self, user_id: str, **kw: Any) -> Any:
        return sorted(self.inner.grants_of(user_id, **kw), key=lambda g: g.id)


@mutant("a grant may move to another lead", "test_a_grant_ends_at_its_expiry_and_keeps_its_lead")
class _GrantMoves(Wrapped):
    def put_grant(self, grant: Grant) -> Grant:
        grant = args.instance(grant, Grant, "grant")
        records = self.store.records
        old = records.grants.get(grant.id)
        if old is None or old.grantee_id != grant.grantee_id or old.lead_id == grant.lead_id:
            return self.inner.put_grant(grant)  # type: ignore[no-any-return]

        def undo() -> None:
            records.unindex_grant(grant)
            records.index_grant(old)

        self.inner._will(undo)
        records.unindex_grant(old)
        records.index_grant(grant)
        return grant


@mutant(
    "count_ownership excludes its since",
    "test_ownership_counts_include_their_moment_and_the_latest_is_last",
)
class _SinceExclusive(Wrapped):
    def count_ownership(self, user_id: str, *, since: datetime, **kw: Any) -> int:
        moment = args.moment(since, "since")
        return self.inner.count_ownership(user_id, since=moment + timedelta(microseconds=1), **kw)  # type: ignore[no-any-return]


@mutant(
    "last_ownership is the last one added",
    "test_ownership_counts_include_their_moment_and_the_latest_is_last",
)
class _LastAdded(Wrapped):
    def __init__(self, inner: Any, store: Mutant) -> None:
        super().__init__(inner, store)
        self.pending: dict[tuple[str, str, str], datetime] = {}

    def add_ownership_record(self, record: OwnershipRecord) -> None:
        record = args.ownership_record(record)
        self.inner.add_ownership_record(record)
        self.pending[(record.user_id, record.lead_id, record.change.value)] = record.at

    def last_ownership(self, user_id: str, lead_id: str, change: OwnershipChange) -> Any:
        found = self.inner.last_ownership(user_id, lead_id, change)
        kept = {**self.store.extra.get("last", {}), **self.pending}
        return kept.get((user_id, lead_id, change.value), found)

    def commit(self) -> None:
        self.inner.commit()
        self.store.extra.setdefault("last", {}).update(self.pending)


@mutant("set_away adds to the periods it had", "test_away_periods_are_replaced_not_added")
class _AwayAppends(Wrapped):
    def set_away(self, user_id: str, periods: Any) -> None:
        periods = list(args.away_list(periods, args.an_id(user_id, "user_id")))
        had: list[Away] = self.inner.away_periods([user_id]).get(user_id, [])
        self.inner.set_away(user_id, [*had, *periods] if periods else [])


@mutant("a rolled back set_state forgets the old value", "test_state_rolls_back_to_its_old_value")
class _StateUndoForgets(Wrapped):
    def set_state(self, key: str, value: Any) -> None:
        self.inner.set_state(key, value)
        state = self.store._state
        self.inner._undo[-1] = lambda: state.pop(key, None)


@mutant("follow-ups come back by id", "test_follow_ups_come_back_oldest_first")
class _NotesById(Wrapped):
    def follow_ups(self, lead_id: str) -> Any:
        return sorted(self.inner.follow_ups(lead_id), key=lambda f: f.id)


@mutant("save_follow_up moves it to another lead", "test_a_saved_follow_up_keeps_its_lead")
class _SaveMovesNote(Wrapped):
    def save_follow_up(self, follow_up: Any) -> Any:
        follow_up = args.instance(follow_up, FollowUp, "follow_up")
        old = self.inner.get_follow_up(follow_up.id)
        if old.lead_id != follow_up.lead_id:
            self.inner.move_follow_up(follow_up.id, follow_up.lead_id)
        return self.inner.save_follow_up(follow_up)


@mutant(
    "find_follow_ups includes its before",
    "test_follow_ups_by_author_and_period_agree_with_brute_force",
)
class _BeforeInclusive(Wrapped):
    def find_follow_ups(self, *, before: Any = None, **kw: Any) -> Any:
        moment = args.optional_moment(before, "before")
        if moment is not None:
            moment += timedelta(microseconds=1)
        return self.inner.find_follow_ups(before=moment, **kw)


@mutant(
    "find_follow_ups ignores its cursor",
    "test_follow_ups_by_author_and_period_agree_with_brute_force",
)
class _NoteCursorIgnored(Wrapped):
    def find_follow_ups(self, *, after: Any = None, **kw: Any) -> Any:
        args.cursor(after)
        return self.inner.find_follow_ups(**kw)


# --- refusals that write ---------------------------------------------------------------------


class _HalfAppend(Wrapped):
    """``append_events`` writes the events before the first bad one, then refuses."""

    def append_events(self, events: Any) -> list[int]:
        try:
            return self.inner.append_events(events)  # type: ignore[no-any-return]
        except ValidationError:
            if isinstance(events, list):
                good = []
                for event in events:
                    try:
                        good.extend(args.event_list([event]))
                    except ValidationError:
                        break
                self.inner.append_events(good)
            raise


mutant("a refused append writes its good events", "test_a_wrong_argument_is_refused_by_name")(
    _HalfAppend
)


@_store_mutant(
    "a refused append writes, and snapshot() sees nothing",
    "test_a_wrong_argument_is_refused_by_name",
    "test_snapshot_sees_every_write",
)
class _BlindSnapshot(Mutant):
    bug = _HalfAppend

    def snapshot(self) -> tuple[object, ...]:
        return ()


# --- customer directories --------------------------------------------------------------------

DIRECTORY_MUTANTS: dict[str, tuple[type[MemoryCustomerDirectory], tuple[str, ...]]] = {}


class _ContactPerCustomer(MemoryCustomerDirectory):
    def create_contact(self, key: str, customer_id: str, draft: ContactDraft) -> Contact:
        had = self.contacts(customer_id) if isinstance(customer_id, str) else []
        return had[0] if had else super().create_contact(key, customer_id, draft)


class _DealPerCustomer(MemoryCustomerDirectory):
    def create_deal(
        self, key: str, customer_id: str, draft: DealDraft, *, contact_id: str | None = None
    ) -> Deal:
        had = self.deals(customer_id) if isinstance(customer_id, str) else []
        if had:
            return had[0]
        return super().create_deal(key, customer_id, draft, contact_id=contact_id)


class _HistoryInArrivalOrder(MemoryCustomerDirectory):
    def history(self, customer_id: str) -> list[CarriedFollowUp]:
        held = self._history.get(customer_id)
        return list(held.values()) if held is not None else super().history(customer_id)


_KEYS = "test_each_key_makes_its_own_contact_and_deal"
DIRECTORY_MUTANTS.update(
    {
        "a customer's first contact answers every key": (_ContactPerCustomer, (_KEYS,)),
        "a customer's first deal answers every key": (_DealPerCustomer, (_KEYS,)),
        "history in arrival order": (
            _HistoryInArrivalOrder,
            ("test_follow_ups_and_attachments_are_carried_once_in_time_order",),
        ),
    }
)


# --- running the contract on a store ---------------------------------------------------------


def contract_cases(suite: type = LeadStoreContract) -> dict[str, Case]:
    """Every test of ``suite``, by name (a parametrised one once per value)."""
    cases: dict[str, Case] = {}
    for name in sorted(dir(suite)):
        if not name.startswith("test_"):
            continue
        method = getattr(suite, name)
        marks = [m for m in getattr(method, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            cases[name] = method
            continue
        argname, values = marks[0].args
        for value in values:
            cases[f"{name}[{value}]"] = partial(_with, method, argname, value)
    return cases


def _with(method: Callable[..., None], argname: str, value: object, case: object) -> None:
    method(case, **{argname: value})


def _contract_on(make: Callable[[], MemoryStore]) -> LeadStoreContract:
    faults: Callable[[], FaultPoints] = getattr(make, "faults", dict)

    class OnProbe(LeadStoreContract):
        def make_store(self) -> MemoryStore:
            return make()

        def fault_points(self) -> FaultPoints:
            return faults()

    return OnProbe()


def failures(make: Callable[[], Any], names: Iterable[str]) -> dict[str, str]:
    """The cases among ``names`` that fail on stores (or directories) from ``make``, with
    what they raised."""
    directory = isinstance(make, type) and issubclass(make, MemoryCustomerDirectory)
    contract: Any = _directory_contract_on(make) if directory else _contract_on(make)
    cases = contract_cases(CustomerDirectoryContract if directory else LeadStoreContract)
    failed: dict[str, str] = {}
    for name in names:
        chosen = [c for c in cases if c == name or c.startswith(f"{name}[")]
        assert chosen, f"the contract has no case {name!r}"
        for case in chosen:
            try:
                with _no_shrinking(cases[case]):
                    cases[case](contract)
            except pytest.skip.Exception:
                continue
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # an assertion, pytest.fail, hypothesis' report…
                failed[case] = f"{type(e).__name__}: {str(e)[:200]}"
    return failed


@contextmanager
def _no_shrinking(case: Case) -> Iterator[None]:
    """Run a property case without shrinking what fails, or saving it: a mutant's failure only
    has to be found, and found fast."""
    method = getattr(case, "func", case)
    chosen = getattr(method, "_hypothesis_internal_use_settings", None)
    if chosen is None:
        yield
        return
    quick = settings(chosen, phases=(Phase.explicit, Phase.generate), database=None)
    with patch.object(method, "_hypothesis_internal_use_settings", quick):
        yield


def _directory_contract_on(make: Callable[[], CustomerDirectory]) -> CustomerDirectoryContract:
    class OnProbe(CustomerDirectoryContract):
        def make_directory(self) -> CustomerDirectory:
            return make()

    return OnProbe()


def first_catch(make: Callable[[], Any], hints: Iterable[str] = ()) -> str | None:
    """The first contract case failing on what ``make`` makes (``hints`` tried first)."""
    hints = list(hints)
    directory = isinstance(make, type) and issubclass(make, MemoryCustomerDirectory)
    every = contract_cases(CustomerDirectoryContract if directory else LeadStoreContract)
    for name in [*hints, *(c for c in every if c not in hints)]:
        if failures(make, [name]):
            return name
    return None


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_contract_catches_the_mutant(name: str) -> None:
    store_class, catchers = MUTANTS[name]
    failed = failures(store_class, catchers)
    assert failed, f"{name!r} passed {catchers}; first failing case: {first_catch(store_class)}"


def test_the_catching_cases_pass_on_the_wrapped_store() -> None:
    """The wrapping itself breaks nothing: every case that catches a mutant passes on a
    ``MemoryStore`` wrapped the same way, with nothing overridden."""
    catchers = sorted({c for _, cs in MUTANTS.values() for c in cs})
    assert failures(Mutant, catchers) == {}


@pytest.mark.parametrize("name", sorted(DIRECTORY_MUTANTS))
def test_the_directory_contract_catches_the_mutant(name: str) -> None:
    directory_class, catchers = DIRECTORY_MUTANTS[name]
    failed = failures(directory_class, catchers)
    assert failed, f"{name!r} passed {catchers}; first failing case: {first_catch(directory_class)}"


def test_the_catching_directory_cases_pass_on_memory() -> None:
    catchers = sorted({c for _, cs in DIRECTORY_MUTANTS.values() for c in cs})
    assert failures(MemoryCustomerDirectory, catchers) == {}
