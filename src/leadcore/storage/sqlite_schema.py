"""``SQLiteStore``'s schema: ordered migrations, and opening a file safely.

A leadcore database carries the application id ``0x4C454144`` ("LEAD") in its header and a
``leadcore_schema`` table listing every migration applied. Opening a file:

* an empty file (or a new one) gets every migration;
* an older leadcore file gets the migrations it lacks, in order, in one transaction taken with
  ``BEGIN IMMEDIATE`` (two processes opening it at once upgrade it once);
* a file written by a newer leadcore, a SQLite file of another application and a file that is
  not a database at all are refused with a ``StoreFileError`` saying which.

To change the schema, append a ``Migration`` to ``MIGRATIONS`` with the next version: never edit
one that has shipped. A step is SQL text or a function of the connection (for data moves).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Final

import attrs

from leadcore.storage.sqlite_errors import STORE, StoreFileError

__all__ = [
    "APPLICATION_ID",
    "LATEST",
    "MIGRATIONS",
    "Migration",
    "check_schema",
    "migrate",
    "open_schema",
]

APPLICATION_ID: Final = 0x4C454144
"""The SQLite header's application id of a leadcore store ("LEAD")."""

Step = str | Callable[[sqlite3.Connection], None]
"""One step of a migration: a SQL statement, or a function run on the connection."""


@attrs.frozen
class Migration:
    """Schema version ``version``: what it adds (``summary``) and the steps that add it."""

    version: int
    summary: str
    steps: tuple[Step, ...]


_TABLES: Final = (
    """CREATE TABLE leadcore_schema (
        version INTEGER PRIMARY KEY, summary TEXT NOT NULL, applied_at TEXT NOT NULL)""",
    """CREATE TABLE leads (
        id TEXT PRIMARY KEY, pool_id TEXT NOT NULL, status TEXT NOT NULL, owner_id TEXT,
        source TEXT, grade TEXT, created_at INTEGER NOT NULL, due_at INTEGER,
        version INTEGER NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE lead_people (
        role TEXT NOT NULL, user_id TEXT NOT NULL, lead_id TEXT NOT NULL,
        PRIMARY KEY (role, user_id, lead_id)) WITHOUT ROWID""",
    """CREATE TABLE pools (id TEXT PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE follow_ups (
        id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL)""",
    """CREATE TABLE events (position INTEGER PRIMARY KEY, lead_id TEXT, body TEXT NOT NULL)""",
    """CREATE TABLE grants (
        id TEXT PRIMARY KEY, grantee_id TEXT NOT NULL, lead_id TEXT NOT NULL,
        requested_at INTEGER NOT NULL, expires_at INTEGER, body TEXT NOT NULL)""",
    """CREATE TABLE ownership (
        seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, lead_id TEXT NOT NULL,
        pool_id TEXT NOT NULL, change TEXT NOT NULL, at INTEGER NOT NULL, at_text TEXT NOT NULL)""",
    """CREATE TABLE away (
        user_id TEXT NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL,
        "end" INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (user_id, seq)) WITHOUT ROWID""",
    """CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID""",
)

# Each protocol read has an index that serves it in order: a page of a query reads about as
# many index entries as it returns, whatever the store holds.
_INDEXES: Final = (
    # every lead, by creation time or due time
    "CREATE INDEX leads_by_created ON leads (created_at, id)",
    "CREATE INDEX leads_by_due ON leads (due_at, id) WHERE due_at IS NOT NULL",
    # a pool's leads in one status ("the pool's unassigned leads"), both orders
    "CREATE INDEX leads_by_pool ON leads (pool_id, status, created_at, id)",
    """CREATE INDEX leads_by_pool_due ON leads (pool_id, status, due_at, id)
        WHERE due_at IS NOT NULL""",
    # an owner's leads in one status ("my leads", open counts), both orders
    """CREATE INDEX leads_by_owner ON leads (owner_id, status, created_at, id)
        WHERE owner_id IS NOT NULL""",
    """CREATE INDEX leads_by_owner_due ON leads (owner_id, status, due_at, id)
        WHERE owner_id IS NOT NULL AND due_at IS NOT NULL""",
    # leads in one status anywhere
    "CREATE INDEX leads_by_status ON leads (status, created_at, id)",
    # collaborators and followers: by user (the view) and by lead (rewriting a lead's people)
    "CREATE INDEX lead_people_by_lead ON lead_people (lead_id)",
    "CREATE INDEX follow_ups_by_lead ON follow_ups (lead_id, at, id)",
    "CREATE INDEX events_by_lead ON events (lead_id, position) WHERE lead_id IS NOT NULL",
    # grants: a user's, a user's on one lead, a user's unexpired ones (expired never read)
    "CREATE INDEX grants_by_user ON grants (grantee_id, requested_at, id)",
    "CREATE INDEX grants_by_user_lead ON grants (grantee_id, lead_id, requested_at, id)",
    """CREATE INDEX grants_by_expiry ON grants (grantee_id, expires_at)
        WHERE expires_at IS NOT NULL""",
    # ownership records: counts since a moment (covering), and the last of a kind on a lead
    "CREATE INDEX ownership_by_user ON ownership (user_id, change, at, pool_id)",
    "CREATE INDEX ownership_by_lead ON ownership (user_id, lead_id, change, at)",
)


def _fill_authors(conn: sqlite3.Connection) -> None:
    """Copy each stored follow-up's author out of its body into the new column."""
    conn.execute("UPDATE follow_ups SET author_id = json_extract(body, '$.author_id')")


# The duplicate-key index, the sweep's due-time index and follow-ups by author and time; the
# customer directory's tables. A file upgraded to this version has no key rows yet: the store
# reads every lead's keys when it opens it (see ``leadcore.storage.sqlite_keys``).
_KEYS_TIMES_DIRECTORY: Final = (
    # every lead's duplicate keys, in the normaliser's order; and the leads of a key
    """CREATE TABLE lead_keys (
        lead_id TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL,
        PRIMARY KEY (lead_id, seq)) WITHOUT ROWID""",
    "CREATE INDEX lead_keys_by_key ON lead_keys (key, lead_id)",
    # which rules the key rows were read with
    """CREATE TABLE leadcore_rules (name TEXT PRIMARY KEY, rules TEXT NOT NULL) WITHOUT ROWID""",
    # when the sweep next looks at a lead; the leads due, earliest first (covering)
    """CREATE TABLE sweeps (
        lead_id TEXT PRIMARY KEY, at INTEGER NOT NULL, at_text TEXT NOT NULL) WITHOUT ROWID""",
    "CREATE INDEX sweeps_by_time ON sweeps (at, lead_id, at_text)",
    # follow-ups by author and time, and by time alone
    "ALTER TABLE follow_ups ADD COLUMN author_id TEXT NOT NULL DEFAULT ''",
    _fill_authors,
    "CREATE INDEX follow_ups_by_author ON follow_ups (author_id, at, id)",
    "CREATE INDEX follow_ups_by_time ON follow_ups (at, id)",
    # the customer directory (``SQLiteCustomerDirectory``): customers, contacts and deals in
    # creation order, each conversion key's binding, carried follow-ups, and the keys each
    # customer is found by (contact_id '' for the customer's own details)
    """CREATE TABLE directory_customers (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created_for TEXT UNIQUE,
        body TEXT NOT NULL)""",
    """CREATE TABLE directory_contacts (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL,
        created_for TEXT UNIQUE, body TEXT NOT NULL)""",
    "CREATE INDEX directory_contacts_by_customer ON directory_contacts (customer_id, seq)",
    """CREATE TABLE directory_deals (
        seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL,
        created_for TEXT UNIQUE, body TEXT NOT NULL)""",
    "CREATE INDEX directory_deals_by_customer ON directory_deals (customer_id, seq)",
    """CREATE TABLE directory_bindings (
        key TEXT PRIMARY KEY, customer_id TEXT NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE directory_history (
        customer_id TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (customer_id, id)) WITHOUT ROWID""",
    "CREATE INDEX directory_history_by_time ON directory_history (customer_id, at, id)",
    """CREATE TABLE directory_keys (
        key TEXT NOT NULL, customer_id TEXT NOT NULL, contact_id TEXT NOT NULL,
        PRIMARY KEY (key, customer_id, contact_id)) WITHOUT ROWID""",
)

MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "leads, pools, follow-ups, events, records and state", _TABLES),
    Migration(2, "an index for every query of the store protocol", _INDEXES),
    Migration(
        3,
        "duplicate keys, sweep times, follow-ups by author and time, the customer directory",
        _KEYS_TIMES_DIRECTORY,
    ),
)
"""Every schema version, oldest first; a file at version N has had migrations 1…N applied."""

LATEST: Final = MIGRATIONS[-1].version
"""The schema version this leadcore writes."""


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return sorted(str(name) for (name,) in rows)


def _version(conn: sqlite3.Connection, path: str, subject: str) -> int:
    """The file's schema version (0 for an empty file); ``StoreFileError`` (naming ``subject``)
    if it is not a leadcore store."""
    (app,) = conn.execute("PRAGMA application_id").fetchone()
    tables = _tables(conn)
    if app == 0 and not tables:
        (user_version,) = conn.execute("PRAGMA user_version").fetchone()
        if user_version:  # empty, but marked by another application: not ours to set up
            raise StoreFileError(
                path,
                f"the file is an empty SQLite database that another application marked "
                f"(user_version {user_version}); give leadcore a new file",
                subject,
            )
        return 0
    if app != APPLICATION_ID:
        held = f"; it holds the tables {', '.join(tables[:5])}" if tables else ""
        raise StoreFileError(
            path,
            f"the file is a SQLite database of another application (application id {app:#x})"
            f"{held}; give leadcore a new file",
            subject,
        )
    if "leadcore_schema" not in tables:
        raise StoreFileError(
            path, "the leadcore schema table is missing; the file is damaged", subject
        )
    (version,) = conn.execute("SELECT MAX(version) FROM leadcore_schema").fetchone()
    if not isinstance(version, int):
        raise StoreFileError(
            path, "the leadcore schema table is empty; the file is damaged", subject
        )
    return version


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Apply each of ``migrations`` the database lacks, in order, inside the caller's
    transaction (the caller holds the write lock)."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == 0 and not _tables(conn):
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for migration in migrations:
        if migration.version <= version:
            continue
        for step in migration.steps:
            if isinstance(step, str):
                conn.execute(step)
            else:
                step(conn)
        conn.execute(
            "INSERT INTO leadcore_schema (version, summary, applied_at) "
            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            (migration.version, migration.summary),
        )
        conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        version = migration.version


def check_schema(conn: sqlite3.Connection, path: str, subject: str = STORE) -> int:
    """The file's schema version (0 for an empty file), reading only: ``StoreFileError`` if it
    is not a leadcore store this leadcore can read (another application's, a damaged one, a
    newer leadcore's). Run it before anything is written to a file just opened. Outside a
    transaction it reads in one of its own, so another process creating or upgrading the file
    meanwhile is seen wholly or not at all. ``subject`` names the opener in errors."""
    if conn.in_transaction:
        version = _version(conn, path, subject)
    else:
        conn.execute("BEGIN")
        try:
            version = _version(conn, path, subject)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    if version > LATEST:
        raise StoreFileError(
            path,
            f"the file was written by a newer leadcore (schema version {version}; this one "
            f"reads up to {LATEST}); upgrade leadcore to open it",
            subject,
        )
    return version


def open_schema(conn: sqlite3.Connection, path: str, subject: str = STORE) -> int:
    """Check the file is a leadcore store this leadcore can read, upgrade it if it is older,
    and return its schema version. ``StoreFileError`` if it cannot be used."""
    version = check_schema(conn, path, subject)
    if version == LATEST:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn, path, subject)  # another process may have upgraded it meanwhile
        if version < LATEST:
            migrate(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return LATEST
