"""The part of a ``SQLiteStore`` unit of work that reads the duplicate-key index and the time
indexes, and sets sweep times (see ``leadcore.storage.sqlite_keys`` and ``sqlite_times``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from leadcore.dedup import DedupKey
from leadcore.model import FollowUp
from leadcore.storage import arguments as args
from leadcore.storage import sqlite_keys as key_index
from leadcore.storage import sqlite_times as times
from leadcore.storage.sqlite_errors import reading, writing
from leadcore.storage.sqlite_uow_records import RecordWork

__all__ = ["IndexWork"]


class IndexWork(RecordWork):
    """The unit of work's duplicate-key reads, sweep times and follow-up time reads."""

    # --- the duplicate-key index -------------------------------------------------------------
    @reading
    def leads_by_key(self, keys: Iterable[DedupKey]) -> dict[DedupKey, tuple[str, ...]]:
        """See ``UnitOfWork.leads_by_key``: one seek of ``lead_keys_by_key`` per key."""
        return key_index.leads_by_key(self.conn, keys)

    @reading
    def keys_of(self, lead_ids: Iterable[str]) -> dict[str, tuple[DedupKey, ...]]:
        """See ``UnitOfWork.keys_of``."""
        return key_index.keys_of(self.conn, lead_ids)

    # --- follow-ups by author and time -------------------------------------------------------
    @reading
    def find_follow_ups(
        self,
        *,
        author_id: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
    ) -> list[FollowUp]:
        """See ``UnitOfWork.find_follow_ups``."""
        return times.find_follow_ups(
            self.conn,
            self.codec,
            author_id=args.optional_id(author_id, "author_id"),
            since=args.optional_moment(since, "since"),
            before=args.optional_moment(before, "before"),
            after=args.cursor(after),
            limit=args.limit(limit),
        )

    # --- the due-time index ------------------------------------------------------------------
    @writing
    def set_sweep_at(self, lead_id: str, at: datetime | None) -> None:
        """See ``UnitOfWork.set_sweep_at``."""
        lead_id = args.an_id(lead_id, "lead_id")
        times.set_sweep_at(self.conn, self.codec, lead_id, args.optional_moment(at, "at"))

    @reading
    def sweep_at(self, lead_id: str) -> datetime | None:
        """See ``UnitOfWork.sweep_at``."""
        return times.sweep_at(self.conn, self.codec, args.an_id(lead_id, "lead_id"))

    @reading
    def due_for_sweep(
        self, until: datetime, *, limit: int | None = None
    ) -> list[tuple[datetime, str]]:
        """See ``UnitOfWork.due_for_sweep``: a walk of ``sweeps_by_time`` from its start."""
        until = args.moment(until, "until")
        return times.due_for_sweep(self.conn, self.codec, until, args.limit(limit))
