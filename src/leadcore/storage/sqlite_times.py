"""``SQLiteStore``'s time indexes: the sweep's due-time index (the ``sweeps`` table: when the
sweep next looks at each lead) and follow-ups by author and time.

Times are kept as whole microseconds since 1970 (they order as the instants do) beside their
text with its zone (what is read back). Each read walks one index in order from where its
range starts (``sweeps_by_time``; ``follow_ups_by_author`` or ``follow_ups_by_time``) and
stops at its limit, so it costs about what it returns, whatever the store holds.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from leadcore.errors import LeadcoreError, NotFound
from leadcore.model import FollowUp
from leadcore.storage.sqlite_codec import Codec, micros

__all__ = ["due_for_sweep", "find_follow_ups", "set_sweep_at", "sweep_at", "write_sweep"]

Key = tuple[datetime, str]


def write_sweep(conn: sqlite3.Connection, lead_id: str, row: tuple[int, str] | None) -> None:
    """Set the lead's sweep time row ``(micros, text)`` (None: remove it). An equal instant
    already there is kept as it is (nothing is written)."""
    if row is None:
        conn.execute("DELETE FROM sweeps WHERE lead_id = ?", (lead_id,))
        return
    conn.execute(
        "INSERT INTO sweeps (lead_id, at, at_text) VALUES (?, ?, ?) ON CONFLICT (lead_id) "
        "DO UPDATE SET at = excluded.at, at_text = excluded.at_text WHERE at != excluded.at",
        (lead_id, *row),
    )


def set_sweep_at(conn: sqlite3.Connection, codec: Codec, lead_id: str, at: datetime | None) -> None:
    """Record when the sweep should next look at the lead; ``NotFound`` without the lead."""
    if conn.execute("SELECT 1 FROM leads WHERE id = ?", (lead_id,)).fetchone() is None:
        raise NotFound("lead", lead_id)
    if at is None:
        if conn.execute("SELECT 1 FROM sweeps WHERE lead_id = ?", (lead_id,)).fetchone():
            write_sweep(conn, lead_id, None)
        return
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise LeadcoreError(f"a sweep time needs a timezone-aware datetime, not {at!r}")
    when = micros(at)
    old = conn.execute("SELECT at FROM sweeps WHERE lead_id = ?", (lead_id,)).fetchone()
    if old is None or old[0] != when:
        write_sweep(conn, lead_id, (when, codec.when(at)))


def sweep_at(conn: sqlite3.Connection, codec: Codec, lead_id: str) -> datetime | None:
    """When the sweep should next look at the lead; None if never or no lead."""
    row = conn.execute("SELECT at_text FROM sweeps WHERE lead_id = ?", (lead_id,)).fetchone()
    return None if row is None else codec.instant(row[0])


def due_for_sweep(
    conn: sqlite3.Connection, codec: Codec, until: datetime, limit: int | None
) -> list[Key]:
    """``(time, lead id)`` of the leads due at or before ``until``, earliest first (ties by
    id), at most ``limit``: a walk of ``sweeps_by_time`` from its start."""
    rows = conn.execute(
        "SELECT at_text, lead_id FROM sweeps WHERE at <= ? ORDER BY at, lead_id LIMIT ?",
        (micros(until), -1 if limit is None else max(limit, 0)),
    ).fetchall()
    return [(codec.instant(text), lead_id) for text, lead_id in rows]


def find_follow_ups(
    conn: sqlite3.Connection,
    codec: Codec,
    *,
    author_id: str | None,
    since: datetime | None,
    before: datetime | None,
    after: Key | None,
    limit: int | None,
) -> list[FollowUp]:
    """Follow-ups by ``author_id`` (default: anyone) in ``[since, before)``, past the
    ``(at, id)`` key ``after``, oldest first, at most ``limit``."""
    where: list[str] = []
    params: list[object] = []
    if author_id is not None:
        where.append("author_id = ?")
        params.append(author_id)
    if since is not None:
        where.append("at >= ?")
        params.append(micros(since))
    if before is not None:
        where.append("at < ?")
        params.append(micros(before))
    if after is not None:
        where.append("(at, id) > (?, ?)")
        params.extend((micros(after[0]), after[1]))
    params.append(-1 if limit is None else max(limit, 0))
    index = "follow_ups_by_time" if author_id is None else "follow_ups_by_author"
    rows = conn.execute(
        f"SELECT body FROM follow_ups INDEXED BY {index} WHERE {' AND '.join(where) or '1'} "
        "ORDER BY at, id LIMIT ?",
        params,
    ).fetchall()
    return [codec.follow_up(body) for (body,) in rows]
