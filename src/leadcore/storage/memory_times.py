"""``MemoryStore``'s time indexes: the sweep's due-time index (when the sweep next looks at each
lead) and follow-ups by time, overall and per author. Each is a ``SortedList`` of
``(time, id)`` keys, so a read bisects to its start and reads only what it returns. Every
write registers its undo first; a change that does nothing registers nothing.

``TimeIndexReads`` is the part of the memory unit of work that reads and writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import islice
from typing import Protocol

from sortedcontainers import SortedList

from leadcore.errors import NotFound
from leadcore.model import FollowUp
from leadcore.storage import arguments as args
from leadcore.storage.memory_index import LeadIndex

__all__ = ["FollowUpTimes", "SweepIndex", "TimeIndexReads"]

Undo = Callable[[], object]
Will = Callable[[Undo], None]
Key = tuple[datetime, str]

_LAST = "\U0010ffff"


class SweepIndex:
    """Each lead's next sweep time, and the times in order."""

    def __init__(self) -> None:
        self.at: dict[str, datetime] = {}
        self.order: SortedList[Key] = SortedList()

    def _put(self, lead_id: str, at: datetime | None) -> None:
        old = self.at.pop(lead_id, None)
        if old is not None:
            self.order.discard((old, lead_id))
        if at is not None:
            self.at[lead_id] = at
            self.order.add((at, lead_id))

    def set(self, lead_id: str, at: datetime | None, will: Will) -> None:
        """Set (None: clear) the lead's sweep time."""
        old = self.at.get(lead_id)
        if old == at:
            return
        will(lambda: self._put(lead_id, old))
        self._put(lead_id, at)

    def due(self, until: datetime, limit: int | None) -> list[Key]:
        """The keys at or before ``until``, earliest first, at most ``limit``."""
        end = self.order.bisect_right((until, _LAST))
        stop = end if limit is None else min(end, max(limit, 0))
        return list(self.order.islice(0, stop))


class FollowUpTimes:
    """Follow-up ids by ``(at, id)``, overall and per author."""

    def __init__(self) -> None:
        self.everyone: SortedList[Key] = SortedList()
        self.by_author: dict[str, SortedList[Key]] = {}

    def _index(self, record: FollowUp) -> None:
        key = (record.at, record.id)
        if key not in self.everyone:
            self.everyone.add(key)
        mine = self.by_author.setdefault(record.author_id, SortedList())
        if key not in mine:
            mine.add(key)

    def _unindex(self, record: FollowUp) -> None:
        key = (record.at, record.id)
        self.everyone.discard(key)
        mine = self.by_author.get(record.author_id)
        if mine is not None:
            mine.discard(key)
            if not mine:
                del self.by_author[record.author_id]

    def add(self, record: FollowUp, will: Will) -> None:
        """Index a new follow-up."""
        will(lambda: self._unindex(record))
        self._index(record)

    def replace(self, old: FollowUp, new: FollowUp, will: Will) -> None:
        """Re-index a follow-up that changed from ``old`` to ``new``."""

        def undo() -> None:
            self._unindex(new)
            self._index(old)

        will(undo)
        self._unindex(old)
        self._index(new)

    def remove(self, records: list[FollowUp], will: Will) -> None:
        """Unindex the follow-ups of a deleted lead."""

        def undo() -> None:
            for record in records:
                self._index(record)

        will(undo)
        for record in records:
            self._unindex(record)

    def find(
        self,
        author_id: str | None,
        since: datetime | None,
        before: datetime | None,
        after: Key | None,
        limit: int | None,
    ) -> list[str]:
        """The ids of the matching follow-ups, oldest first (see ``UnitOfWork``)."""
        keys = self.everyone if author_id is None else self.by_author.get(author_id)
        if not keys:
            return []
        start = 0 if since is None else keys.bisect_left((since, ""))
        if after is not None:
            start = max(start, keys.bisect_right(after))
        end = len(keys) if before is None else keys.bisect_left((before, ""))
        found = keys.islice(start, max(start, end))
        chosen = found if limit is None else islice(found, max(limit, 0))
        return [record_id for _, record_id in chosen]


class _Store(Protocol):
    """What the mixin needs of ``MemoryStore``."""

    sweeps: SweepIndex
    follow_up_times: FollowUpTimes
    _follow_ups: dict[str, FollowUp]

    leads: LeadIndex


class TimeIndexReads:
    """The memory unit of work's reads and writes of the time indexes (see
    ``leadcore.storage.UnitOfWork``)."""

    _times: _Store

    def _check_open(self) -> None:
        raise NotImplementedError  # pragma: no cover - the unit of work defines it

    def _will(self, undo: Undo) -> None:
        raise NotImplementedError  # pragma: no cover - the unit of work defines it

    def find_follow_ups(
        self,
        *,
        author_id: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: Key | None = None,
        limit: int | None = None,
    ) -> list[FollowUp]:
        """See ``UnitOfWork.find_follow_ups``."""
        self._check_open()
        ids = self._times.follow_up_times.find(
            args.optional_id(author_id, "author_id"),
            args.optional_moment(since, "since"),
            args.optional_moment(before, "before"),
            args.cursor(after),
            args.limit(limit),
        )
        return [self._times._follow_ups[i] for i in ids]

    def set_sweep_at(self, lead_id: str, at: datetime | None) -> None:
        """See ``UnitOfWork.set_sweep_at``."""
        self._check_open()
        lead_id = args.an_id(lead_id, "lead_id")
        at = args.optional_moment(at, "at")
        if lead_id not in self._times.leads.leads:
            raise NotFound("lead", lead_id)
        self._times.sweeps.set(lead_id, at, self._will)

    def sweep_at(self, lead_id: str) -> datetime | None:
        """See ``UnitOfWork.sweep_at``."""
        self._check_open()
        return self._times.sweeps.at.get(args.an_id(lead_id, "lead_id"))

    def due_for_sweep(self, until: datetime, *, limit: int | None = None) -> list[Key]:
        """See ``UnitOfWork.due_for_sweep``."""
        self._check_open()
        return self._times.sweeps.due(args.moment(until, "until"), args.limit(limit))
