"""``MemoryStore``'s typed records: grants indexed by user, lead and expiry; ownership records
by user, kind and time; away periods by user. Every write registers its undo first."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from itertools import count

from sortedcontainers import SortedList

from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord

__all__ = ["RecordBook", "Undo"]

Undo = Callable[[], object]
"""A step that undoes one write."""

Will = Callable[[Undo], None]
"""Registers an undo before the write it undoes."""

_LATEST = "\U0010ffff"


class RecordBook:
    """Grants, ownership records and away periods, with the indexes their reads need."""

    def __init__(self) -> None:
        self.grants: dict[str, Grant] = {}
        self.grants_by_user: dict[str, dict[str, None]] = {}
        self.grants_by_pair: dict[tuple[str, str], dict[str, None]] = {}
        self.active_by_user: dict[str, SortedList[tuple[datetime, str]]] = {}
        # Per (user, change): (time, sequence, pool) of each record, in time order.
        self.ownership: dict[tuple[str, OwnershipChange], list[tuple[datetime, int, str]]] = {}
        # Keyed by the change's value, not the enum member: a key of plain strings is one
        # the garbage collector stops tracking (one per lead and owner).
        self.last_ownership: dict[tuple[str, str, str], datetime] = {}
        self.away: dict[str, tuple[Away, ...]] = {}
        self.sequence = count(1)

    # --- grants ------------------------------------------------------------------------------
    def index_grant(self, grant: Grant) -> None:
        """Store ``grant`` in every index (its expiry too, once it has one)."""
        self.grants[grant.id] = grant
        self.grants_by_user.setdefault(grant.grantee_id, {})[grant.id] = None
        self.grants_by_pair.setdefault((grant.grantee_id, grant.lead_id), {})[grant.id] = None
        if grant.expires_at is not None:
            keys = self.active_by_user.setdefault(grant.grantee_id, SortedList())
            key = (grant.expires_at, grant.id)
            if key not in keys:
                keys.add(key)

    def unindex_grant(self, grant: Grant) -> None:
        """Remove ``grant`` from every index it is in (missing entries are skipped)."""
        if self.grants.get(grant.id) is grant:
            del self.grants[grant.id]
        self.grants_by_user.get(grant.grantee_id, {}).pop(grant.id, None)
        self.grants_by_pair.get((grant.grantee_id, grant.lead_id), {}).pop(grant.id, None)
        if grant.expires_at is not None:
            keys = self.active_by_user.get(grant.grantee_id)
            if keys is not None:
                keys.discard((grant.expires_at, grant.id))

    def put_grant(self, grant: Grant, will: Will) -> Grant:
        """Store or replace a grant; its id keeps its grantee and lead."""
        old = self.grants.get(grant.id)
        if old is not None and (old.grantee_id, old.lead_id) != (grant.grantee_id, grant.lead_id):
            raise ValidationError(
                [FieldProblem("grant", f"grant {grant.id!r} belongs to another user or lead")]
            )

        def undo() -> None:
            self.unindex_grant(grant)
            if old is not None:
                self.index_grant(old)

        will(undo)
        if old is not None:
            self.unindex_grant(old)
        self.index_grant(grant)
        return grant

    def get_grant(self, grant_id: str) -> Grant:
        """The grant; ``NotFound`` if there is none."""
        try:
            return self.grants[grant_id]
        except KeyError:
            raise NotFound("grant", grant_id) from None

    def grants_of(
        self, user_id: str, *, lead_id: str | None, active_at: datetime | None
    ) -> list[Grant]:
        """The user's grants (see ``UnitOfWork.grants_of``). An ``active_at`` read starts in the
        expiry index past every grant already expired, so those are never looked at."""
        if active_at is not None:
            keys = self.active_by_user.get(user_id)
            if not keys:
                return []
            start = keys.bisect_right((active_at, _LATEST))
            ids: Iterable[str] = [grant_id for _, grant_id in keys.islice(start)]
        elif lead_id is not None:
            ids = self.grants_by_pair.get((user_id, lead_id), {})
        else:
            ids = self.grants_by_user.get(user_id, {})
        found = [self.grants[i] for i in ids]
        if active_at is not None:
            found = [
                g
                for g in found
                if g.is_active(active_at) and (lead_id is None or g.lead_id == lead_id)
            ]
        found.sort(key=lambda g: (g.requested_at, g.id))
        return found

    # --- ownership records -------------------------------------------------------------------
    def add_ownership(self, record: OwnershipRecord, will: Will) -> None:
        """Store an ownership record."""
        entry = (record.at, next(self.sequence), record.pool_id)
        key = (record.user_id, record.change)
        # The change's text, not the member: a tuple of texts leaves the collector's sight.
        last_key = (record.user_id, record.lead_id, record.change._value_)
        before = self.last_ownership.get(last_key)

        def undo() -> None:
            times = self.ownership.get(key, [])
            if entry in times:
                times.remove(entry)
            if not times:
                self.ownership.pop(key, None)
            if before is None:
                self.last_ownership.pop(last_key, None)
            else:
                self.last_ownership[last_key] = before

        will(undo)
        insort(self.ownership.setdefault(key, []), entry)  # records mostly arrive in time order
        if before is None or record.at > before:
            self.last_ownership[last_key] = record.at

    def count_ownership(
        self,
        user_id: str,
        changes: Collection[OwnershipChange],
        since: datetime,
        pool_id: str | None,
    ) -> int:
        """How many of the user's records of ``changes`` are at or after ``since``."""
        total = 0
        for change in changes:
            times = self.ownership.get((user_id, change))
            if not times:
                continue
            start = bisect_left(times, (since,))
            if pool_id is None:
                total += len(times) - start
            else:
                total += sum(1 for _, _, pool in times[start:] if pool == pool_id)
        return total

    # --- away periods ------------------------------------------------------------------------
    def set_away(self, user_id: str, periods: Sequence[Away], will: Will) -> None:
        """Replace the user's away periods (each already checked to name the user)."""
        before = self.away.get(user_id)

        def undo() -> None:
            if before is None:
                self.away.pop(user_id, None)
            else:
                self.away[user_id] = before

        will(undo)
        if periods:
            self.away[user_id] = tuple(sorted(periods, key=lambda p: (p.start, p.end)))
        else:
            self.away.pop(user_id, None)
