"""``MemoryStore``'s lead indexes: every lead by id, and ordered key lists per bucket.

A bucket is a group of leads a query can start from: all leads, leads of one (pool, status),
of one (owner, status), of one collaborator, of one follower. Each bucket keeps its leads' sort
keys in a ``SortedList`` per ordering (created, due), so a page starts with a bisection and
reads only as far as it needs: O(page + log n), never a re-sort.

Every change is tolerant of a half-done earlier change (a discard of a key that is not there is
a no-op), so an undo can always put a lead back exactly, whatever failed midway.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Final

import attrs
from sortedcontainers import SortedList

from leadcore.dedup import Normaliser
from leadcore.model import OPEN_STATUSES, Lead, LeadStatus
from leadcore.query import LeadFilter, LeadOrder, LeadQuery, SortKey
from leadcore.query_plans import Conjunct, as_query, conjuncts, narrowed
from leadcore.storage.memory_keys import KeyIndex

__all__ = ["LeadIndex"]

Bucket = tuple[str, ...]
_ALL: Final[Bucket] = ("all",)
_STATUSES: Final = tuple(LeadStatus)


def _buckets(lead: Lead) -> list[Bucket]:
    found: list[Bucket] = [_ALL, ("pool", lead.pool_id, lead.status)]
    if lead.owner_id is not None:
        found.append(("owner", lead.owner_id, lead.status))
    if lead.collaborators:
        found.extend(("collab", user) for user in lead.collaborators)
    if lead.followers:
        found.extend(("follow", user) for user in lead.followers)
    return found


class LeadIndex:
    """Leads by id plus ordered per-bucket keys; see the module docstring. Not thread-safe on
    its own: ``MemoryStore`` holds its lock around every use."""

    def __init__(self, *, walk_only: bool = False, normaliser: Normaliser | None = None) -> None:
        self.leads: dict[str, Lead] = {}
        self.keys = KeyIndex(normaliser if normaliser is not None else Normaliser.default())
        self._walk_only = walk_only
        self._created: dict[Bucket, SortedList[SortKey]] = {}
        self._due: dict[Bucket, SortedList[SortKey]] = {}
        self._pools: dict[str, int] = {}
        self._open: dict[str, int] = {}  # open leads per owner, for the balancers' loads

    def __len__(self) -> int:
        return len(self.leads)

    # --- changes -----------------------------------------------------------------------------
    def add(self, lead: Lead, *, keys: bool = True) -> None:
        """Index ``lead`` (its id must not be indexed yet, or be indexed as this same lead);
        ``keys=False`` leaves its duplicate keys as they are."""
        self.leads[lead.id] = lead
        self._pools[lead.pool_id] = self._pools.get(lead.pool_id, 0) + 1
        owner = lead.owner_id
        if owner is not None and lead.status in OPEN_STATUSES:
            self._open[owner] = self._open.get(owner, 0) + 1
        created = (lead.created_at, lead.id)
        due = None if lead.next_due_at is None else (lead.next_due_at, lead.id)
        for bucket in _buckets(lead):
            _insert(self._created, bucket, created)
            if due is not None:
                _insert(self._due, bucket, due)
        if keys:
            self.keys.add(lead)

    def discard(self, lead: Lead, *, keys: bool = True) -> None:
        """Remove ``lead``'s entries wherever they are (missing ones are skipped);
        ``keys=False`` leaves its duplicate keys as they are."""
        if keys:
            self.keys.discard(lead.id)
        if self.leads.get(lead.id) is lead:
            del self.leads[lead.id]
            left = self._pools.get(lead.pool_id, 1) - 1
            if left:
                self._pools[lead.pool_id] = left
            else:
                self._pools.pop(lead.pool_id, None)
            owner = lead.owner_id
            if owner is not None and lead.status in OPEN_STATUSES:
                held = self._open.get(owner, 1) - 1
                if held:
                    self._open[owner] = held
                else:
                    self._open.pop(owner, None)
        created = (lead.created_at, lead.id)
        due = None if lead.next_due_at is None else (lead.next_due_at, lead.id)
        for bucket in _buckets(lead):
            _remove(self._created, bucket, created)
            if due is not None:
                _remove(self._due, bucket, due)

    def replace(self, old: Lead, new: Lead) -> None:
        """Re-index a lead that changed from ``old`` to ``new`` (its keys are read again only
        when a field they come from changed)."""
        keys = not self.keys.unchanged(old, new)
        self.discard(old, keys=keys)
        self.add(new, keys=keys)

    # --- reading -----------------------------------------------------------------------------
    def stream(self, query: LeadQuery) -> Iterator[Lead]:
        """The leads matching ``query`` in its order, from its cursor, offset and limit applied."""
        keys = self._keys(query)
        leads = self.leads
        found: Iterator[Lead] = (leads[key[1]] for key in keys)
        if query.offset or query.limit is not None:
            stop = None if query.limit is None else query.offset + query.limit
            found = islice(found, query.offset, stop)
        return found

    def count(self, query: LeadQuery) -> int:
        """How many leads match ``query``'s criteria (ordering and paging ignored)."""
        plain = query.unpaged()
        parts = conjuncts(plain)
        if len(parts) == 1 and parts[0].also is None and not self._walk_only:
            exact = self._exact_size(parts[0].index)
            if exact is not None:
                return exact
        return sum(1 for _ in self._keys(plain))

    def count_by_status(
        self, query: LeadFilter | None, *, pool_id: str | None, owner_id: str | None
    ) -> dict[LeadStatus, int]:
        """Counts per status of the leads matching ``query`` (and one pool or owner)."""
        base = narrowed(as_query(query), pool_id=pool_id, owner_id=owner_id)
        counts: dict[LeadStatus, int] = {}
        wanted = _STATUSES if base.statuses is None else tuple(base.statuses)
        for status in wanted:
            n = self.count(attrs.evolve(base, statuses=frozenset({status})))
            if n:
                counts[status] = n
        return counts

    def open_counts(self, owner_ids: Iterable[str]) -> dict[str, int]:
        """How many open leads each of ``owner_ids`` holds (counts kept as leads come and go,
        so each is one lookup)."""
        held = self._open
        return {owner: held.get(owner, 0) for owner in owner_ids}

    def _keys(self, query: LeadQuery) -> Iterator[SortKey]:
        order = query.order
        streams = [self._conjunct_keys(part, query) for part in conjuncts(query)]
        if not streams:
            return iter(())
        if len(streams) == 1:
            return streams[0]
        return _dedupe(heapq.merge(*streams, reverse=order.descending))

    def _conjunct_keys(self, branch: Conjunct, query: LeadQuery) -> Iterator[SortKey]:
        order = query.order
        part = branch.index
        lists = self._smallest_source(part, order)
        descending = order.descending
        after = query.after
        lower, upper = _bounds(part, order)
        iters = [_slice(keys, after, lower, upper, descending) for keys in lists]
        merged: Iterator[SortKey] = (
            iters[0] if len(iters) == 1 else heapq.merge(*iters, reverse=descending)
        )
        leads = self.leads
        accepts: Callable[[Lead], bool] = part.accepts if branch.also is None else branch.accepts
        return (key for key in merged if accepts(leads[key[1]]))

    def _index_of(self, order: LeadOrder) -> dict[Bucket, SortedList[SortKey]]:
        return self._due if order is LeadOrder.DUE else self._created

    def _smallest_source(self, part: LeadFilter, order: LeadOrder) -> list[SortedList[SortKey]]:
        """The ordered key lists whose union holds every match of ``part``, smallest first."""
        index = self._index_of(order)
        everything = index.get(_ALL)
        options: list[list[SortedList[SortKey]]] = [[everything] if everything else []]
        if self._walk_only:
            return options[0]
        if part.ids is not None:
            options.append([self._id_keys(part.ids, order)])
        owners = part.owners_allowed()
        statuses = _STATUSES if part.statuses is None else tuple(part.statuses)
        if owners is not None:
            options.append(_gather(index, "owner", owners, statuses))
        pools = part.pools_allowed()
        if pools is None and part.statuses is not None:
            pools = frozenset(self._pools)
        if pools is not None:
            options.append(_gather(index, "pool", pools, statuses))
        for kind, user in (("collab", part.collaborator_id), ("follow", part.follower_id)):
            if user is not None:
                found = index.get((kind, user))
                options.append([found] if found else [])
        return min(options, key=lambda lists: sum(map(len, lists)))

    def _id_keys(self, ids: Iterable[str], order: LeadOrder) -> SortedList[SortKey]:
        keys = SortedList[SortKey]()
        for lead_id in ids:
            lead = self.leads.get(lead_id)
            if lead is not None:
                key = order.key(lead)
                if key is not None:
                    keys.add(key)
        return keys

    def _exact_size(self, part: LeadFilter) -> int | None:
        """The number of matches when one bucket family captures every criterion, else None."""
        used = {name for name in _FILTER_FIELDS if getattr(part, name) is not None}
        statuses = _STATUSES if part.statuses is None else tuple(part.statuses)
        created = self._created
        if not used:
            return len(self.leads)
        owners = part.owners_allowed()
        if owners is not None and used <= {"owner_id", "owner_ids", "statuses"}:
            return sum(map(len, _gather(created, "owner", owners, statuses)))
        pools = part.pools_allowed()
        if pools is not None and used <= {"pool_id", "pool_ids", "statuses"}:
            return sum(map(len, _gather(created, "pool", pools, statuses)))
        if used == {"statuses"}:
            return sum(map(len, _gather(created, "pool", self._pools, statuses)))
        return None


_FILTER_FIELDS: Final = tuple(f.name for f in attrs.fields(LeadFilter))


def _insert(index: dict[Bucket, SortedList[SortKey]], bucket: Bucket, key: SortKey) -> None:
    keys = index.get(bucket)
    if keys is None:
        keys = index[bucket] = SortedList()
    keys.add(key)  # every change discards a lead's keys before it adds them again


def _remove(index: dict[Bucket, SortedList[SortKey]], bucket: Bucket, key: SortKey) -> None:
    keys = index.get(bucket)
    if keys is None:
        return
    keys.discard(key)
    if not keys:
        del index[bucket]


def _gather(
    index: dict[Bucket, SortedList[SortKey]],
    kind: str,
    keys: Iterable[str],
    statuses: Iterable[LeadStatus],
) -> list[SortedList[SortKey]]:
    wanted = tuple(statuses)
    found = []
    for key in keys:
        for status in wanted:
            bucket = index.get((kind, key, status))
            if bucket:
                found.append(bucket)
    return found


def _bounds(part: LeadFilter, order: LeadOrder) -> tuple[SortKey | None, SortKey | None]:
    """The key range an ordering index may be cut to for ``part``: [lower, upper)."""
    if order is LeadOrder.DUE:
        upper = None if part.due_before is None else (part.due_before, "")
        return None, upper
    lower = None if part.created_from is None else (part.created_from, "")
    upper = None if part.created_before is None else (part.created_before, "")
    return lower, upper


def _slice(
    keys: SortedList[SortKey],
    after: SortKey | None,
    lower: SortKey | None,
    upper: SortKey | None,
    descending: bool,
) -> Iterator[SortKey]:
    """The keys of one list within [lower, upper), past ``after`` in the walking direction."""
    if descending:
        top = upper
        if after is not None and (top is None or after < top):
            top = after
        start = 0 if lower is None else keys.bisect_left(lower)
        end = len(keys) if top is None else keys.bisect_left(top)
        return iter(keys.islice(start, end, reverse=True))
    start = 0 if lower is None else keys.bisect_left(lower)
    if after is not None:
        start = max(start, keys.bisect_right(after))
    end = len(keys) if upper is None else keys.bisect_left(upper)
    return iter(keys.islice(start, end))


def _dedupe(keys: Iterator[SortKey]) -> Iterator[SortKey]:
    last: SortKey | None = None
    for key in keys:
        if key != last:
            yield key
            last = key
