"""``SQLiteStore``'s typed records and state: grants, ownership records, away periods and the
key-value state, each a few parametrised statements over its own indexed table."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import cast

from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.jsonvalue import JSONValue, dump_json
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord
from leadcore.storage.sqlite_codec import Codec, micros

__all__ = [
    "add_ownership",
    "away_periods",
    "count_ownership",
    "get_grant",
    "get_state",
    "grants_of",
    "last_ownership",
    "put_grant",
    "set_away",
    "set_state",
    "write_grant",
]

_CHUNK = 500


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


# --- grants -------------------------------------------------------------------------------------
def put_grant(conn: sqlite3.Connection, codec: Codec, grant: Grant) -> Grant:
    """Store or replace a grant; its id keeps its grantee and lead (``ValidationError``)."""
    old = conn.execute(
        "SELECT grantee_id, lead_id FROM grants WHERE id = ?", (grant.id,)
    ).fetchone()
    if old is not None and tuple(old) != (grant.grantee_id, grant.lead_id):
        raise ValidationError(
            [FieldProblem("grant", f"grant {grant.id!r} belongs to another user or lead")]
        )
    expires = None if grant.expires_at is None else micros(grant.expires_at)
    write_grant(
        conn,
        (
            grant.id,
            grant.grantee_id,
            grant.lead_id,
            micros(grant.requested_at),
            expires,
            codec.body(grant),
        ),
    )
    return grant


def write_grant(conn: sqlite3.Connection, row: tuple[object, ...]) -> None:
    """Insert or replace one grant row (id, grantee, lead, requested, expires, body)."""
    conn.execute(
        "INSERT INTO grants (id, grantee_id, lead_id, requested_at, expires_at, body) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "requested_at = excluded.requested_at, expires_at = excluded.expires_at, "
        "body = excluded.body",
        row,
    )


def get_grant(conn: sqlite3.Connection, codec: Codec, grant_id: str) -> Grant:
    """The grant; ``NotFound`` if there is none."""
    row = conn.execute("SELECT body FROM grants WHERE id = ?", (grant_id,)).fetchone()
    if row is None:
        raise NotFound("grant", grant_id)
    return codec.grant(row[0])


def grants_of(
    conn: sqlite3.Connection,
    codec: Codec,
    user_id: str,
    *,
    lead_id: str | None,
    active_at: datetime | None,
) -> list[Grant]:
    """The user's grants, oldest request first. An ``active_at`` read walks only the grants
    expiring after it (the expiry index), so expired ones are never read."""
    where = ["grantee_id = ?"]
    params: list[object] = [user_id]
    if lead_id is not None:
        where.append("lead_id = ?")
        params.append(lead_id)
    if active_at is not None:
        where.append("expires_at > ?")
        params.append(micros(active_at))
    rows = conn.execute(
        f"SELECT body FROM grants WHERE {' AND '.join(where)} ORDER BY requested_at, id", params
    ).fetchall()
    found = [codec.grant(body) for (body,) in rows]
    if active_at is not None:
        found = [g for g in found if g.is_active(active_at)]
    return found


# --- ownership records --------------------------------------------------------------------------
def add_ownership(conn: sqlite3.Connection, codec: Codec, record: OwnershipRecord) -> None:
    """Store an ownership record."""
    conn.execute(
        "INSERT INTO ownership (user_id, lead_id, pool_id, change, at, at_text) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            record.user_id,
            record.lead_id,
            record.pool_id,
            record.change.value,
            micros(record.at),
            codec.when(record.at),
        ),
    )


def count_ownership(
    conn: sqlite3.Connection,
    user_id: str,
    changes: Collection[OwnershipChange],
    since: datetime,
    pool_id: str | None,
) -> int:
    """How many of the user's records of ``changes`` are at or after ``since``."""
    kinds = sorted({str(getattr(c, "value", c)) for c in changes})
    if not kinds:
        return 0
    params: list[object] = [user_id, *kinds, micros(since)]
    pool = ""
    if pool_id is not None:
        pool = " AND pool_id = ?"
        params.append(pool_id)
    (count,) = conn.execute(
        f"SELECT COUNT(*) FROM ownership WHERE user_id = ? "
        f"AND change IN ({', '.join('?' * len(kinds))}) AND at >= ?{pool}",
        params,
    ).fetchone()
    return int(count)


def last_ownership(
    conn: sqlite3.Connection, codec: Codec, user_id: str, lead_id: str, change: OwnershipChange
) -> datetime | None:
    """When the user last had a record of kind ``change`` on the lead (the first one stored
    at that latest instant); None if never."""
    row = conn.execute(
        "SELECT at_text FROM ownership WHERE user_id = ? AND lead_id = ? AND change = ? "
        "ORDER BY at DESC, seq ASC LIMIT 1",
        (user_id, lead_id, str(getattr(change, "value", change))),
    ).fetchone()
    return None if row is None else codec.instant(row[0])


# --- away periods -------------------------------------------------------------------------------
def set_away(conn: sqlite3.Connection, codec: Codec, user_id: str, periods: Sequence[Away]) -> None:
    """Replace the user's away periods (each already checked to name the user)."""
    rows = [
        (user_id, seq, micros(p.start), micros(p.end), codec.body(p))
        for seq, p in enumerate(periods)
    ]
    conn.execute("DELETE FROM away WHERE user_id = ?", (user_id,))
    conn.executemany(
        'INSERT INTO away (user_id, seq, start, "end", body) VALUES (?, ?, ?, ?, ?)', rows
    )


def away_periods(
    conn: sqlite3.Connection, codec: Codec, user_ids: Collection[str]
) -> dict[str, list[Away]]:
    """Each user's away periods, earliest start first; users with none absent."""
    found: dict[str, list[Away]] = {}
    for chunk in _chunks(sorted(set(user_ids))):
        rows = conn.execute(
            f"SELECT user_id, body FROM away WHERE user_id IN ({', '.join('?' * len(chunk))}) "
            'ORDER BY user_id, start, "end", seq',
            tuple(chunk),
        ).fetchall()
        for user, body in rows:
            found.setdefault(user, []).append(codec.away(body))
    return {u: found[u] for u in user_ids if u in found}


# --- state --------------------------------------------------------------------------------------
def get_state(conn: sqlite3.Connection, key: str) -> JSONValue:
    """The value stored under ``key``, or None."""
    row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return None if row is None else cast(JSONValue, json.loads(row[0]))


def set_state(conn: sqlite3.Connection, key: str, value: JSONValue) -> None:
    """Store ``value`` under ``key`` (None removes it); ``ValidationError`` if it is not
    JSON-representable."""
    text = dump_json(value, f"state[{key}]")
    if value is None:
        conn.execute("DELETE FROM state WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, text),
        )
