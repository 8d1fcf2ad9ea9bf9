"""``MemoryStore``: the default store, in process memory, indexed and thread-safe.

Units of work run one at a time (a store-wide lock is held from ``unit_of_work()`` to the end
of the ``with`` block), which makes every operation serialisable: two users claiming one lead
at once are simply ordered. Writes apply in place and record how to undo themselves; a unit of
work that ends without ``commit`` replays the undo log backwards.

Indexes (so that no lookup scans every lead):
- leads by (pool, status) and by (owner, status): pool queues, "my leads", load counts;
- leads by follower and by collaborator;
- every lead's (created_at, id) in one sorted list, and (next_due_at, id) in another, for ordered
  paging and "due before" queries.
"""

from __future__ import annotations

import json
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import TypeVar, cast

import attrs

from leadcore.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DuplicateLead,
    FieldProblem,
    LeadcoreError,
    NotFound,
    ValidationError,
)
from leadcore.events import Event
from leadcore.model import FollowUp, Lead, LeadStatus, Pool
from leadcore.storage.protocol import JSONValue, LeadOrder, LeadQuery, SortKey

__all__ = ["MemoryStore"]

K = TypeVar("K")
_Index = dict[str, dict[str, None]]
_PairIndex = dict[tuple[str, LeadStatus], dict[str, None]]
_ALL_STATUSES = tuple(LeadStatus)


def _add_to(index: dict[K, dict[str, None]], key: K, lead_id: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        index[key] = {lead_id: None}
    else:
        bucket[lead_id] = None


def _remove_from(index: dict[K, dict[str, None]], key: K, lead_id: str) -> None:
    bucket = index[key]
    del bucket[lead_id]
    if not bucket:
        del index[key]


def _sorted_remove(keys: list[SortKey], key: SortKey) -> None:
    i = bisect_left(keys, key)
    del keys[i]


def _sorted_add(keys: list[SortKey], key: SortKey) -> None:
    if not keys or keys[-1] < key:
        keys.append(key)  # the usual case: new leads arrive in time order
    else:
        insort(keys, key)


class MemoryStore:
    """An in-memory ``LeadStore``: fast, indexed, thread-safe; data lives as long as the object.

    A query reads its smallest index-backed candidate set and sorts it, unless that set holds
    more than ``max(min_index_rows, walk_share × all leads)`` leads: then it walks the ordering
    from the cursor and stops when the page is full. Both paths return the same answer; the
    thresholds only trade speed (tests set them to force one path or the other).
    """

    def __init__(self, *, walk_share: float = 0.25, min_index_rows: int = 64) -> None:
        self._walk_share = walk_share
        self._min_index_rows = min_index_rows
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._leads: dict[str, Lead] = {}
        self._created: list[SortKey] = []
        self._due: list[SortKey] = []
        self._by_pool_status: _PairIndex = {}
        self._by_owner_status: _PairIndex = {}
        self._by_follower: _Index = {}
        self._by_collaborator: _Index = {}
        self._pools: dict[str, Pool] = {}
        self._follow_ups: dict[str, FollowUp] = {}
        self._follow_ups_by_lead: dict[str, list[str]] = {}
        self._events: list[Event] = []
        self._events_by_lead: dict[str, list[int]] = {}
        self._state: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._leads)

    def snapshot(self) -> tuple[object, ...]:
        """Everything the store holds — leads, pools, follow-ups, events and state — as one value
        to compare with ``==``: policy tests use it to prove a refused operation wrote nothing."""
        with self._lock:
            return (
                tuple(sorted(self._leads.items())),
                tuple(sorted(self._pools.items())),
                tuple(sorted(self._follow_ups.items())),
                tuple(self._events),
                tuple(sorted(self._state.items())),
            )

    @contextmanager
    def unit_of_work(self) -> Iterator[_MemoryUnitOfWork]:
        """Begin a unit of work; the store is locked for other threads until the block ends."""
        me = threading.get_ident()
        if self._holder == me:
            raise LeadcoreError(
                "a unit of work is already open on this store in this thread; "
                "finish it before opening another"
            )
        with self._lock:
            self._holder = me
            uow = _MemoryUnitOfWork(self)
            try:
                yield uow
            finally:
                if uow.open:
                    uow.rollback()
                self._holder = None

    # --- index maintenance (called with the lock held) ---------------------------------------
    def _index(self, lead: Lead) -> None:
        lead_id = lead.id
        _add_to(self._by_pool_status, (lead.pool_id, lead.status), lead_id)
        if lead.owner_id is not None:
            _add_to(self._by_owner_status, (lead.owner_id, lead.status), lead_id)
        for user in lead.followers:
            _add_to(self._by_follower, user, lead_id)
        for user in lead.collaborators:
            _add_to(self._by_collaborator, user, lead_id)
        _sorted_add(self._created, (lead.created_at, lead_id))
        if lead.next_due_at is not None:
            _sorted_add(self._due, (lead.next_due_at, lead_id))

    def _unindex(self, lead: Lead) -> None:
        lead_id = lead.id
        _remove_from(self._by_pool_status, (lead.pool_id, lead.status), lead_id)
        if lead.owner_id is not None:
            _remove_from(self._by_owner_status, (lead.owner_id, lead.status), lead_id)
        for user in lead.followers:
            _remove_from(self._by_follower, user, lead_id)
        for user in lead.collaborators:
            _remove_from(self._by_collaborator, user, lead_id)
        _sorted_remove(self._created, (lead.created_at, lead_id))
        if lead.next_due_at is not None:
            _sorted_remove(self._due, (lead.next_due_at, lead_id))

    def _reindex(self, old: Lead, new: Lead) -> None:
        """Move a lead between index entries, touching only the entries whose keys changed."""
        lead_id = new.id
        if old.pool_id != new.pool_id or old.status != new.status:
            _remove_from(self._by_pool_status, (old.pool_id, old.status), lead_id)
            _add_to(self._by_pool_status, (new.pool_id, new.status), lead_id)
        if old.owner_id != new.owner_id or old.status != new.status:
            if old.owner_id is not None:
                _remove_from(self._by_owner_status, (old.owner_id, old.status), lead_id)
            if new.owner_id is not None:
                _add_to(self._by_owner_status, (new.owner_id, new.status), lead_id)
        if old.followers != new.followers:
            for user in old.followers - new.followers:
                _remove_from(self._by_follower, user, lead_id)
            for user in new.followers - old.followers:
                _add_to(self._by_follower, user, lead_id)
        if old.collaborators != new.collaborators:
            for user in old.collaborators - new.collaborators:
                _remove_from(self._by_collaborator, user, lead_id)
            for user in new.collaborators - old.collaborators:
                _add_to(self._by_collaborator, user, lead_id)
        if old.created_at != new.created_at:
            _sorted_remove(self._created, (old.created_at, lead_id))
            _sorted_add(self._created, (new.created_at, lead_id))
        if old.next_due_at != new.next_due_at:
            if old.next_due_at is not None:
                _sorted_remove(self._due, (old.next_due_at, lead_id))
            if new.next_due_at is not None:
                _sorted_add(self._due, (new.next_due_at, lead_id))

    # --- querying ---------------------------------------------------------------------------
    def _pair_buckets(
        self, index: _PairIndex, keys: Iterable[str], statuses: Iterable[LeadStatus] | None
    ) -> list[dict[str, None]]:
        wanted = _ALL_STATUSES if statuses is None else tuple(statuses)
        buckets = []
        for key in keys:
            for status in wanted:
                bucket = index.get((key, status))
                if bucket:
                    buckets.append(bucket)
        return buckets

    def _status_buckets(self, statuses: Iterable[LeadStatus]) -> list[dict[str, None]]:
        wanted = set(statuses)
        return [b for (_, status), b in self._by_pool_status.items() if status in wanted]

    def _smallest_candidates(self, q: LeadQuery) -> tuple[int, Iterable[str]] | None:
        """The cheapest index-backed superset of the query's matches: (size, ids), or None."""
        options: list[tuple[int, Iterable[str]]] = []
        if q.ids is not None:
            options.append((len(q.ids), q.ids))
        if q.owner_id is not None or q.owner_ids is not None:
            owners = {q.owner_id} if q.owner_id is not None else set()
            if q.owner_ids is not None:
                owners = owners & q.owner_ids if q.owner_id is not None else set(q.owner_ids)
            buckets = self._pair_buckets(self._by_owner_status, owners, q.statuses)
            options.append((sum(map(len, buckets)), chain.from_iterable(buckets)))
        if q.pool_id is not None:
            buckets = self._pair_buckets(self._by_pool_status, (q.pool_id,), q.statuses)
            options.append((sum(map(len, buckets)), chain.from_iterable(buckets)))
        elif q.statuses is not None:
            buckets = self._status_buckets(q.statuses)
            options.append((sum(map(len, buckets)), chain.from_iterable(buckets)))
        for user, index in (
            (q.follower_id, self._by_follower),
            (q.collaborator_id, self._by_collaborator),
        ):
            if user is not None:
                bucket = index.get(user, {})
                options.append((len(bucket), bucket))
        if q.due_before is not None:
            end = bisect_left(self._due, (q.due_before, ""))
            options.append((end, (lead_id for _, lead_id in islice(self._due, end))))
        return min(options, key=lambda o: o[0]) if options else None

    def _find(self, q: LeadQuery) -> list[Lead]:
        candidates = self._smallest_candidates(q)
        threshold = max(self._min_index_rows, self._walk_share * len(self._leads))
        if candidates is not None and candidates[0] <= threshold:
            leads = self._leads
            return q.select([leads[i] for i in candidates[1] if i in leads])
        return self._walk(q)

    def _walk(self, q: LeadQuery) -> list[Lead]:
        """Walk the ordering index from the cursor, keeping matches until the page is full."""
        keys = self._due if q.order is LeadOrder.DUE else self._created
        descending = q.order is LeadOrder.CREATED_DESC
        if descending:
            end = len(keys) if q.after is None else bisect_left(keys, q.after)
            walk: Iterator[SortKey] = (keys[i] for i in range(end - 1, -1, -1))
        else:
            start = 0 if q.after is None else bisect_right(keys, q.after)
            walk = islice(keys, start, None)
        to_skip = q.offset
        page: list[Lead] = []
        if q.limit == 0:
            return page
        leads = self._leads
        for _, lead_id in walk:
            lead = leads[lead_id]
            if not q.matches(lead):
                continue
            if to_skip:
                to_skip -= 1
                continue
            page.append(lead)
            if q.limit is not None and len(page) >= q.limit:
                break
        return page

    def _count(self, q: LeadQuery) -> int:
        plain = attrs.evolve(q, order=LeadOrder.CREATED, after=None, offset=0, limit=None)
        if plain == LeadQuery(pool_id=q.pool_id, statuses=q.statuses) and q.pool_id is not None:
            return sum(map(len, self._pair_buckets(self._by_pool_status, (q.pool_id,), q.statuses)))
        if plain == LeadQuery(owner_id=q.owner_id, statuses=q.statuses) and q.owner_id is not None:
            return sum(
                map(len, self._pair_buckets(self._by_owner_status, (q.owner_id,), q.statuses))
            )
        if plain == LeadQuery():
            return len(self._leads)
        candidates = self._smallest_candidates(plain)
        ids: Iterable[str] = self._leads if candidates is None else candidates[1]
        leads = self._leads
        return sum(1 for i in ids if i in leads and plain.matches(leads[i]))


class _MemoryUnitOfWork:
    """A unit of work on a ``MemoryStore``; see ``leadcore.storage.UnitOfWork``."""

    def __init__(self, store: MemoryStore) -> None:
        self._s = store
        self._undo: list[Callable[[], None]] = []
        self.open = True

    def _check_open(self) -> None:
        if not self.open:
            raise LeadcoreError("this unit of work has ended (committed or rolled back)")

    # --- leads -------------------------------------------------------------------------------
    def get_lead(self, lead_id: str) -> Lead:
        """See ``UnitOfWork.get_lead``."""
        self._check_open()
        try:
            return self._s._leads[lead_id]
        except KeyError:
            raise NotFound("lead", lead_id) from None

    def find_leads(self, query: LeadQuery) -> list[Lead]:
        """See ``UnitOfWork.find_leads``."""
        self._check_open()
        return self._s._find(query)

    def count_leads(self, query: LeadQuery) -> int:
        """See ``UnitOfWork.count_leads``."""
        self._check_open()
        return self._s._count(query)

    def count_by_status(
        self, *, pool_id: str | None = None, owner_id: str | None = None
    ) -> dict[LeadStatus, int]:
        """See ``UnitOfWork.count_by_status``."""
        self._check_open()
        s = self._s
        counts: dict[LeadStatus, int] = {}
        if pool_id is not None and owner_id is not None:
            for lead in s._find(LeadQuery(pool_id=pool_id, owner_id=owner_id)):
                counts[lead.status] = counts.get(lead.status, 0) + 1
            return counts
        if pool_id is not None or owner_id is not None:
            index = s._by_pool_status if pool_id is not None else s._by_owner_status
            key = pool_id if pool_id is not None else owner_id
            assert key is not None
            for status in _ALL_STATUSES:
                bucket = index.get((key, status))
                if bucket:
                    counts[status] = len(bucket)
            return counts
        for (_, status), bucket in s._by_pool_status.items():
            counts[status] = counts.get(status, 0) + len(bucket)
        return counts

    def add_lead(self, lead: Lead) -> Lead:
        """See ``UnitOfWork.add_lead``."""
        self._check_open()
        s = self._s
        if lead.id in s._leads:
            raise DuplicateLead("id", lead.id, lead.id)
        stored = attrs.evolve(lead, version=1)
        s._leads[lead.id] = stored
        s._index(stored)
        self._undo.append(lambda: self._forget_lead(stored))
        return stored

    def _forget_lead(self, lead: Lead) -> None:
        del self._s._leads[lead.id]
        self._s._unindex(lead)

    def _restore_lead(self, lead: Lead) -> None:
        self._s._leads[lead.id] = lead
        self._s._index(lead)

    def _current(self, lead_id: str, expected_version: int) -> Lead:
        current = self._s._leads.get(lead_id)
        if current is None:
            raise NotFound("lead", lead_id)
        if current.version != expected_version:
            raise ConcurrencyConflict("lead", lead_id, expected_version, current.version)
        return current

    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        """See ``UnitOfWork.save_lead``."""
        self._check_open()
        s = self._s
        old = self._current(lead.id, expected_version)
        new = attrs.evolve(lead, version=expected_version + 1)
        s._leads[lead.id] = new
        s._reindex(old, new)

        def undo() -> None:
            s._leads[old.id] = old
            s._reindex(new, old)

        self._undo.append(undo)
        return new

    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        """See ``UnitOfWork.delete_lead``."""
        self._check_open()
        s = self._s
        old = self._current(lead_id, expected_version)
        self._forget_lead(old)
        self._undo.append(lambda: self._restore_lead(old))
        follow_up_ids = s._follow_ups_by_lead.pop(lead_id, [])
        removed = [s._follow_ups.pop(i) for i in follow_up_ids]

        def undo_follow_ups() -> None:
            s._follow_ups_by_lead[lead_id] = follow_up_ids
            for f in removed:
                s._follow_ups[f.id] = f

        if follow_up_ids:
            self._undo.append(undo_follow_ups)

    # --- pools -------------------------------------------------------------------------------
    def get_pool(self, pool_id: str) -> Pool:
        """See ``UnitOfWork.get_pool``."""
        self._check_open()
        try:
            return self._s._pools[pool_id]
        except KeyError:
            raise NotFound("pool", pool_id) from None

    def list_pools(self) -> list[Pool]:
        """See ``UnitOfWork.list_pools``."""
        self._check_open()
        return [self._s._pools[k] for k in sorted(self._s._pools)]

    def add_pool(self, pool: Pool) -> Pool:
        """See ``UnitOfWork.add_pool``."""
        self._check_open()
        pools = self._s._pools
        if pool.id in pools:
            raise AlreadyExists("pool", pool.id)
        stored = attrs.evolve(pool, version=1)
        pools[pool.id] = stored
        self._undo.append(lambda: pools.__delitem__(pool.id))
        return stored

    def save_pool(self, pool: Pool, *, expected_version: int) -> Pool:
        """See ``UnitOfWork.save_pool``."""
        self._check_open()
        pools = self._s._pools
        old = pools.get(pool.id)
        if old is None:
            raise NotFound("pool", pool.id)
        if old.version != expected_version:
            raise ConcurrencyConflict("pool", pool.id, expected_version, old.version)
        new = attrs.evolve(pool, version=expected_version + 1)
        pools[pool.id] = new
        self._undo.append(lambda: pools.__setitem__(old.id, old))
        return new

    # --- follow-ups --------------------------------------------------------------------------
    def add_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """See ``UnitOfWork.add_follow_up``."""
        self._check_open()
        s = self._s
        if follow_up.lead_id not in s._leads:
            raise NotFound("lead", follow_up.lead_id)
        if follow_up.id in s._follow_ups:
            raise AlreadyExists("follow-up", follow_up.id)
        s._follow_ups[follow_up.id] = follow_up
        s._follow_ups_by_lead.setdefault(follow_up.lead_id, []).append(follow_up.id)

        def undo() -> None:
            del s._follow_ups[follow_up.id]
            ids = s._follow_ups_by_lead[follow_up.lead_id]
            ids.remove(follow_up.id)
            if not ids:
                del s._follow_ups_by_lead[follow_up.lead_id]

        self._undo.append(undo)
        return follow_up

    def save_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """See ``UnitOfWork.save_follow_up``."""
        self._check_open()
        records = self._s._follow_ups
        old = records.get(follow_up.id)
        if old is None or old.lead_id != follow_up.lead_id:
            raise NotFound("follow-up", follow_up.id)
        records[follow_up.id] = follow_up
        self._undo.append(lambda: records.__setitem__(old.id, old))
        return follow_up

    def follow_ups(self, lead_id: str) -> list[FollowUp]:
        """See ``UnitOfWork.follow_ups``."""
        self._check_open()
        s = self._s
        found = [s._follow_ups[i] for i in s._follow_ups_by_lead.get(lead_id, ())]
        found.sort(key=lambda f: (f.at, f.id))
        return found

    # --- events ------------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[Event]:
        """See ``UnitOfWork.append_events``."""
        self._check_open()
        log = self._s._events
        by_lead = self._s._events_by_lead
        start = len(log)
        recorded = []
        for offset, event in enumerate(events):
            stored = attrs.evolve(event, position=start + offset + 1)
            log.append(stored)
            if stored.lead_id is not None:
                by_lead.setdefault(stored.lead_id, []).append(stored.position)
            recorded.append(stored)

        def undo() -> None:
            for event in reversed(recorded):
                log.pop()
                if event.lead_id is not None:
                    positions = by_lead[event.lead_id]
                    positions.pop()
                    if not positions:
                        del by_lead[event.lead_id]

        self._undo.append(undo)
        return recorded

    def events_since(
        self, position: int = 0, *, lead_id: str | None = None, limit: int | None = None
    ) -> list[Event]:
        """See ``UnitOfWork.events_since``."""
        self._check_open()
        log = self._s._events
        start = max(position, 0)
        if lead_id is None:
            end = None if limit is None else start + limit
            return log[start:end]
        positions = self._s._events_by_lead.get(lead_id, [])
        first = bisect_right(positions, start)
        chosen = positions[first:] if limit is None else positions[first : first + limit]
        return [log[p - 1] for p in chosen]

    def last_position(self) -> int:
        """See ``UnitOfWork.last_position``."""
        self._check_open()
        return len(self._s._events)

    # --- state -------------------------------------------------------------------------------
    def get_state(self, key: str) -> JSONValue:
        """See ``UnitOfWork.get_state``."""
        self._check_open()
        text = self._s._state.get(key)
        return None if text is None else cast(JSONValue, json.loads(text))

    def set_state(self, key: str, value: JSONValue) -> None:
        """See ``UnitOfWork.set_state``."""
        self._check_open()
        try:
            text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise ValidationError(
                [FieldProblem(f"state[{key}]", f"must be JSON-representable: {e}")]
            ) from e
        state = self._s._state
        old = state.get(key)
        if value is None:
            state.pop(key, None)
        else:
            state[key] = text

        def undo() -> None:
            if isinstance(old, str):
                state[key] = old
            else:
                state.pop(key, None)

        self._undo.append(undo)

    # --- ending ------------------------------------------------------------------------------
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
