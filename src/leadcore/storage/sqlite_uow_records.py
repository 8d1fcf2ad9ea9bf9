"""The part of a ``SQLiteStore`` unit of work beside the leads: pools, follow-ups, events,
grants, ownership records, away periods and state (see ``leadcore.storage.sqlite_uow``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import attrs

from leadcore.errors import AlreadyExists, ConcurrencyConflict, LeadcoreError, NotFound
from leadcore.events import Event
from leadcore.jsonvalue import JSONValue
from leadcore.model import FollowUp, Pool
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord
from leadcore.storage import arguments as args
from leadcore.storage import sqlite_records as records
from leadcore.storage.sqlite_codec import Codec, micros
from leadcore.storage.sqlite_errors import reading, writing

__all__ = ["RecordWork", "insert_events", "insert_follow_up", "write_follow_up"]


def insert_events(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """Append event rows ``(position, lead_id, body)``."""
    conn.executemany("INSERT INTO events (position, lead_id, body) VALUES (?, ?, ?)", rows)


def insert_follow_up(conn: sqlite3.Connection, row: tuple[object, ...]) -> None:
    """Insert a follow-up row ``(id, lead_id, at, author_id, body)``."""
    conn.execute(
        "INSERT INTO follow_ups (id, lead_id, at, author_id, body) VALUES (?, ?, ?, ?, ?)", row
    )


def write_follow_up(conn: sqlite3.Connection, row: tuple[object, ...]) -> int:
    """Rewrite a follow-up row from ``(lead_id, at, author_id, body, id, lead_id it had)``;
    how many rows changed (0 when no follow-up has the id and the lead it had)."""
    return conn.execute(
        "UPDATE follow_ups SET lead_id = ?, at = ?, author_id = ?, body = ? "
        "WHERE id = ? AND lead_id = ?",
        row,
    ).rowcount


class RecordWork:
    """The unit of work's state, and its reads and writes of everything but leads."""

    def __init__(self, conn: sqlite3.Connection, codec: Codec, busy_timeout: float) -> None:
        self.conn = conn
        self.codec = codec
        self.path = codec.path
        self.busy_timeout = busy_timeout
        self.open = True
        self.broken = False

    @property
    def changes(self) -> int:
        """How many rows the connection has changed so far."""
        return self.conn.total_changes

    def _found(self, sql: str, kind: str, record_id: str) -> Any:
        """The row ``sql`` selects for ``record_id``; ``NotFound(kind, record_id)`` when there
        is none."""
        row = self.conn.execute(sql, (record_id,)).fetchone()
        if row is None:
            raise NotFound(kind, record_id)
        return row

    def _refuse(self, table: str, kind: str, record_id: str, expected: int) -> LeadcoreError:
        """Why an expected-version write changed no row: missing, or another version."""
        row = self.conn.execute(
            f"SELECT version FROM {table} WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return NotFound(kind, record_id)
        return ConcurrencyConflict(kind, record_id, expected, int(row[0]))

    # --- pools -------------------------------------------------------------------------------
    @reading
    def get_pool(self, pool_id: str) -> Pool:
        """See ``UnitOfWork.get_pool``."""
        pool_id = args.an_id(pool_id, "pool_id")
        row = self._found("SELECT body, version FROM pools WHERE id = ?", "pool", pool_id)
        return self.codec.pool(row[0], row[1])

    @reading
    def list_pools(self) -> list[Pool]:
        """See ``UnitOfWork.list_pools``."""
        rows = self.conn.execute("SELECT body, version FROM pools ORDER BY id").fetchall()
        return [self.codec.pool(body, version) for body, version in rows]

    @writing
    def add_pool(self, pool: Pool) -> Pool:
        """See ``UnitOfWork.add_pool``."""
        pool = args.instance(pool, Pool, "pool")
        stored = pool if pool.version == 1 else attrs.evolve(pool, version=1)
        body = self.codec.body(stored)
        try:
            self.conn.execute(
                "INSERT INTO pools (id, version, body) VALUES (?, 1, ?)", (pool.id, body)
            )
        except sqlite3.IntegrityError:
            raise AlreadyExists("pool", pool.id) from None
        return stored

    @writing
    def save_pool(self, pool: Pool, *, expected_version: int) -> Pool:
        """See ``UnitOfWork.save_pool``."""
        pool = args.instance(pool, Pool, "pool")
        expected_version = args.number(expected_version, "expected_version")
        if expected_version == args.MAX_NUMBER:  # no stored pool is at a version past this one
            raise self._refuse("pools", "pool", pool.id, expected_version)
        version = expected_version + 1
        new = pool if pool.version == version else attrs.evolve(pool, version=version)
        changed = self.conn.execute(
            "UPDATE pools SET version = ?, body = ? WHERE id = ? AND version = ?",
            (version, self.codec.body(new), pool.id, expected_version),
        )
        if changed.rowcount == 0:
            raise self._refuse("pools", "pool", pool.id, expected_version)
        return new

    # --- follow-ups --------------------------------------------------------------------------
    @writing
    def add_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """See ``UnitOfWork.add_follow_up``."""
        follow_up = args.follow_up(follow_up)
        self._found("SELECT 1 FROM leads WHERE id = ?", "lead", follow_up.lead_id)
        row = (
            follow_up.id,
            follow_up.lead_id,
            micros(follow_up.at),
            follow_up.author_id,
            self.codec.body(follow_up),
        )
        try:
            insert_follow_up(self.conn, row)
        except sqlite3.IntegrityError:
            raise AlreadyExists("follow-up", follow_up.id) from None
        return follow_up

    @writing
    def save_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """See ``UnitOfWork.save_follow_up``."""
        follow_up = args.follow_up(follow_up)
        lead_id = follow_up.lead_id
        if not write_follow_up(self.conn, self._follow_up_row(follow_up, lead_id)):
            raise NotFound("follow-up", follow_up.id)
        return follow_up

    def _follow_up_row(self, follow_up: FollowUp, was_of: str) -> tuple[object, ...]:
        return (
            follow_up.lead_id,
            micros(follow_up.at),
            follow_up.author_id,
            self.codec.body(follow_up),
            follow_up.id,
            was_of,
        )

    @writing
    def move_follow_up(self, follow_up_id: str, lead_id: str) -> FollowUp:
        """See ``UnitOfWork.move_follow_up``."""
        follow_up_id = args.an_id(follow_up_id, "follow_up_id")
        lead_id = args.an_id(lead_id, "lead_id")
        row = self._found("SELECT body FROM follow_ups WHERE id = ?", "follow-up", follow_up_id)
        self._found("SELECT 1 FROM leads WHERE id = ?", "lead", lead_id)
        old = self.codec.follow_up(row[0])
        if old.lead_id == lead_id:
            return old
        moved = attrs.evolve(old, lead_id=lead_id)
        write_follow_up(self.conn, self._follow_up_row(moved, old.lead_id))
        return moved

    @reading
    def get_follow_up(self, follow_up_id: str) -> FollowUp:
        """See ``UnitOfWork.get_follow_up``."""
        follow_up_id = args.an_id(follow_up_id, "follow_up_id")
        row = self._found("SELECT body FROM follow_ups WHERE id = ?", "follow-up", follow_up_id)
        return self.codec.follow_up(row[0])

    @reading
    def follow_ups(self, lead_id: str) -> list[FollowUp]:
        """See ``UnitOfWork.follow_ups``."""
        lead_id = args.an_id(lead_id, "lead_id")
        rows = self.conn.execute(
            "SELECT body FROM follow_ups WHERE lead_id = ? ORDER BY at, id", (lead_id,)
        ).fetchall()
        return [self.codec.follow_up(body) for (body,) in rows]

    # --- events ------------------------------------------------------------------------------
    @writing
    def append_events(self, events: Sequence[Event]) -> list[int]:
        """See ``UnitOfWork.append_events``. Positions follow the last committed one without a
        gap: the write lock, held since the unit of work began, keeps them ours."""
        events = args.event_list(events)
        if not events:
            return []
        start = self._last()
        body = self.codec.body
        rows = [(start + n, e.lead_id, body(e)) for n, e in enumerate(events, start=1)]
        insert_events(self.conn, rows)
        return list(range(start + 1, start + 1 + len(events)))

    def _last(self) -> int:
        (last,) = self.conn.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()
        return int(last)

    @reading
    def events_since(
        self, position: int = 0, *, lead_id: str | None = None, limit: int | None = None
    ) -> list[Event]:
        """See ``UnitOfWork.events_since``."""
        position = args.number(position, "position")
        lead_id = args.optional_id(lead_id, "lead_id")
        limit = args.limit(limit)
        where = "position > ?"
        params: list[object] = [position]
        if lead_id is not None:
            where += " AND lead_id = ?"
            params.append(lead_id)
        params.append(-1 if limit is None else max(limit, 0))
        rows = self.conn.execute(
            f"SELECT position, body FROM events WHERE {where} ORDER BY position LIMIT ?", params
        ).fetchall()
        return [self.codec.event(body, p) for p, body in rows]

    @reading
    def last_position(self) -> int:
        """See ``UnitOfWork.last_position``."""
        return self._last()

    # --- grants, ownership records, away periods, state --------------------------------------
    @writing
    def put_grant(self, grant: Grant) -> Grant:
        """See ``UnitOfWork.put_grant``."""
        return records.put_grant(self.conn, self.codec, args.instance(grant, Grant, "grant"))

    @reading
    def get_grant(self, grant_id: str) -> Grant:
        """See ``UnitOfWork.get_grant``."""
        return records.get_grant(self.conn, self.codec, args.an_id(grant_id, "grant_id"))

    @reading
    def grants_of(
        self, user_id: str, *, lead_id: str | None = None, active_at: datetime | None = None
    ) -> list[Grant]:
        """See ``UnitOfWork.grants_of``."""
        return records.grants_of(
            self.conn,
            self.codec,
            args.an_id(user_id, "user_id"),
            lead_id=args.optional_id(lead_id, "lead_id"),
            active_at=args.optional_moment(active_at, "active_at"),
        )

    @writing
    def add_ownership_record(self, record: OwnershipRecord) -> None:
        """See ``UnitOfWork.add_ownership_record``."""
        records.add_ownership(self.conn, self.codec, args.ownership_record(record))

    @reading
    def count_ownership(
        self,
        user_id: str,
        *,
        changes: Collection[OwnershipChange],
        since: datetime,
        pool_id: str | None = None,
    ) -> int:
        """See ``UnitOfWork.count_ownership``."""
        return records.count_ownership(
            self.conn,
            args.an_id(user_id, "user_id"),
            args.changes(changes),
            args.moment(since, "since"),
            args.optional_id(pool_id, "pool_id"),
        )

    @reading
    def last_ownership(
        self, user_id: str, lead_id: str, change: OwnershipChange
    ) -> datetime | None:
        """See ``UnitOfWork.last_ownership``."""
        user_id = args.an_id(user_id, "user_id")
        lead_id = args.an_id(lead_id, "lead_id")
        return records.last_ownership(self.conn, self.codec, user_id, lead_id, args.change(change))

    @writing
    def set_away(self, user_id: str, periods: Sequence[Away]) -> None:
        """See ``UnitOfWork.set_away``."""
        user_id = args.an_id(user_id, "user_id")
        records.set_away(self.conn, self.codec, user_id, args.away_list(periods, user_id))

    @reading
    def away_periods(self, user_ids: Collection[str]) -> dict[str, list[Away]]:
        """See ``UnitOfWork.away_periods``."""
        return records.away_periods(self.conn, self.codec, args.id_list(user_ids, "user_ids"))

    @reading
    def get_state(self, key: str) -> JSONValue:
        """See ``UnitOfWork.get_state``."""
        return records.get_state(self.conn, args.state_key(key))

    @writing
    def set_state(self, key: str, value: JSONValue) -> None:
        """See ``UnitOfWork.set_state``."""
        records.set_state(self.conn, args.state_key(key), value)
