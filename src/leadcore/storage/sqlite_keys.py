"""``SQLiteStore``'s duplicate-key index: the ``lead_keys`` table, one row per key of a lead.

A row is ``(lead_id, seq, key)``: the key's text form (``phone:+8613800138000``) at its place
in the normaliser's order. The primary key reads a lead's keys in order (``keys_of``, and
rewriting them on a save); the ``lead_keys_by_key`` index finds the leads of a key with one
seek (``leads_by_key``), however many leads are stored.

The rows are only as good as the rules they were read with, so the file records those rules
(``leadcore_rules``). A store opened with other rules — or a file upgraded from a version
without the index — reads every lead's keys again, once, when it opens (``index_keys``). Every
store on one file should use the same rules.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Final

from leadcore.checks import identifier_list
from leadcore.dedup import DedupKey, Normaliser
from leadcore.storage.memory_keys import key_list
from leadcore.storage.sqlite_codec import Codec

__all__ = [
    "drop_keys",
    "index_keys",
    "indexed_with",
    "keys_of",
    "leads_by_key",
    "rules_text",
    "stored_keys",
    "write_keys",
]

_CHUNK: Final = 500
_RULES: Final = "lead_keys"
_INSERTS: Final = {
    size: "INSERT INTO lead_keys (lead_id, seq, key) VALUES "
    + ", ".join(f"(?1, {seq}, ?{seq + 2})" for seq in range(size))
    for size in range(1, 9)
}
"""``_INSERTS[n]`` inserts ``n`` keys of one lead (``?1``) in one statement."""


def write_keys(
    conn: sqlite3.Connection, lead_id: str, texts: Sequence[str], *, replace: bool
) -> None:
    """Index the lead's key texts, in order (first dropping the keys it had)."""
    if replace:
        conn.execute("DELETE FROM lead_keys WHERE lead_id = ?", (lead_id,))
    if not texts:
        return
    insert = _INSERTS.get(len(texts))
    if insert is not None:
        conn.execute(insert, (lead_id, *texts))
    else:
        conn.executemany(
            "INSERT INTO lead_keys (lead_id, seq, key) VALUES (?, ?, ?)",
            [(lead_id, seq, text) for seq, text in enumerate(texts)],
        )


def drop_keys(conn: sqlite3.Connection, lead_id: str) -> None:
    """Forget a deleted lead's keys."""
    conn.execute("DELETE FROM lead_keys WHERE lead_id = ?", (lead_id,))


def stored_keys(conn: sqlite3.Connection, lead_id: str) -> tuple[str, ...]:
    """The key texts indexed for the lead, in order."""
    rows = conn.execute(
        "SELECT key FROM lead_keys WHERE lead_id = ? ORDER BY seq", (lead_id,)
    ).fetchall()
    return tuple(text for (text,) in rows)


def leads_by_key(conn: sqlite3.Connection, keys: object) -> dict[DedupKey, tuple[str, ...]]:
    """The ids of the leads having each key, in id order; keys nobody has are absent.
    ``ValidationError`` unless ``keys`` is a collection of ``DedupKey``."""
    wanted = key_list(keys)
    by_text = {str(key): key for key in wanted}
    texts = sorted(by_text)
    found: dict[str, list[str]] = {}
    for start in range(0, len(texts), _CHUNK):
        chunk = texts[start : start + _CHUNK]
        rows = conn.execute(
            f"SELECT key, lead_id FROM lead_keys WHERE key IN ({', '.join('?' * len(chunk))}) "
            "ORDER BY key, lead_id",
            chunk,
        ).fetchall()
        for text, lead_id in rows:
            found.setdefault(text, []).append(lead_id)
    return {key: tuple(found[str(key)]) for key in wanted if str(key) in found}


def keys_of(conn: sqlite3.Connection, lead_ids: Iterable[str]) -> dict[str, tuple[DedupKey, ...]]:
    """The indexed keys of each of the leads that has some, in the normaliser's order."""
    ids = list(dict.fromkeys(identifier_list(lead_ids, "lead_ids")))
    found: dict[str, list[DedupKey]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(
            f"SELECT lead_id, key FROM lead_keys WHERE lead_id IN "
            f"({', '.join('?' * len(chunk))}) ORDER BY lead_id, seq",
            chunk,
        ).fetchall()
        for lead_id, text in rows:
            found.setdefault(lead_id, []).append(DedupKey.parse(text))
    return {i: tuple(found[i]) for i in ids if i in found}


def rules_text(normaliser: Normaliser) -> str:
    """The normaliser's rules as canonical JSON text: equal text, equal keys."""
    return json.dumps(normaliser.rules.to_dict(), sort_keys=True, ensure_ascii=False)


def indexed_with(conn: sqlite3.Connection, rules: str) -> bool:
    """Whether the file's key rows were read with ``rules`` (``rules_text``)."""
    row = conn.execute("SELECT rules FROM leadcore_rules WHERE name = ?", (_RULES,)).fetchone()
    return row is not None and row[0] == rules


def index_keys(conn: sqlite3.Connection, codec: Codec, normaliser: Normaliser) -> bool:
    """Make the key rows those of ``normaliser``'s rules: when the file records other rules
    (or none), read every lead's keys again, in the caller's transaction. Whether it did."""
    rules = rules_text(normaliser)
    if indexed_with(conn, rules):
        return False
    conn.execute("DELETE FROM lead_keys")
    read = normaliser.key_texts
    cursor = conn.execute("SELECT body, version FROM leads ORDER BY id")
    while rows := cursor.fetchmany(1_000):
        for body, version in rows:
            lead = codec.lead(body, version)
            write_keys(conn, lead.id, read(lead), replace=False)
    conn.execute(
        "INSERT INTO leadcore_rules (name, rules) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET rules = excluded.rules",
        (_RULES, rules),
    )
    return True
