"""A unit of work on a ``SQLiteStore``: one SQLite transaction, taken with ``BEGIN IMMEDIATE``.

Reads see the unit of work's own writes. A save carries its expected version into the
``UPDATE … WHERE id = ? AND version = ?`` itself, so the check and the write are one statement;
when no row changed, one more read tells ``NotFound`` from ``ConcurrencyConflict``. Refusals
(``NotFound``, ``ConcurrencyConflict``, ``DuplicateLead``, ``AlreadyExists``,
``ValidationError``) are raised before a write changes anything. A failure after a write began
changing rows (a disk error, an interrupt) leaves the unit of work unable to commit, unless a
``savepoint`` around it undid its writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Final

import attrs

from leadcore.dedup import Normaliser
from leadcore.errors import DuplicateLead, LeadcoreError
from leadcore.model import OPEN_STATUSES, Lead, LeadStatus
from leadcore.query import LeadFilter, LeadQuery
from leadcore.query_plans import as_query, narrowed
from leadcore.storage import arguments as args
from leadcore.storage import sqlite_keys as key_index
from leadcore.storage import sqlite_query as compile_query
from leadcore.storage.sqlite_codec import Codec
from leadcore.storage.sqlite_errors import StoreFileError, reading, translate, writing
from leadcore.storage.sqlite_uow_index import IndexWork

__all__ = ["SQLiteUnitOfWork", "drop_dependents", "write_people"]

_LEAD_COLUMNS: Final = "pool_id, status, owner_id, source, grade, created_at, due_at, version, body"
_INSERT_LEAD: Final = (
    f"INSERT INTO leads ({_LEAD_COLUMNS}, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_LEAD: Final = (
    "UPDATE leads SET pool_id = ?, status = ?, owner_id = ?, source = ?, grade = ?, "
    "created_at = ?, due_at = ?, version = ?, body = ? WHERE id = ? AND version = ?"
)
_OPEN: Final = tuple(sorted(s.value for s in OPEN_STATUSES))
_STATUS: Final = {s.value: s for s in LeadStatus}
_CHUNK: Final = 500


def write_people(conn: sqlite3.Connection, lead: Lead, *, replace: bool) -> None:
    """Index the lead's collaborators and followers (first dropping the old ones)."""
    if replace:
        conn.execute("DELETE FROM lead_people WHERE lead_id = ?", (lead.id,))
    rows = [("c", user, lead.id) for user in lead.collaborators]
    rows.extend(("f", user, lead.id) for user in lead.followers)
    if rows:
        conn.executemany("INSERT INTO lead_people (role, user_id, lead_id) VALUES (?, ?, ?)", rows)


def drop_dependents(conn: sqlite3.Connection, lead_id: str) -> None:
    """Remove a deleted lead's people, follow-ups, keys and sweep time (its events stay: the
    audit trail)."""
    conn.execute("DELETE FROM lead_people WHERE lead_id = ?", (lead_id,))
    conn.execute("DELETE FROM follow_ups WHERE lead_id = ?", (lead_id,))
    key_index.drop_keys(conn, lead_id)
    conn.execute("DELETE FROM sweeps WHERE lead_id = ?", (lead_id,))


_LEAD_SLOTS: Final = tuple(f.name for f in attrs.fields(Lead))


def _versioned(lead: Lead, version: int) -> Lead:
    """``lead`` at ``version`` (itself when it already is): a field-by-field copy with only
    the version changed, which skips re-validating what a ``Lead`` already guarantees."""
    if lead.version == version:
        return lead
    copy = Lead.__new__(Lead)
    for name in _LEAD_SLOTS:
        object.__setattr__(copy, name, getattr(lead, name))
    object.__setattr__(copy, "version", version)
    return copy


class SQLiteUnitOfWork(IndexWork):
    """A unit of work on a ``SQLiteStore``; see ``leadcore.storage.UnitOfWork``. Made by
    ``SQLiteStore.unit_of_work()`` inside the transaction it began.

    Keys. An added lead's keys are read with the store's ``normaliser`` and indexed. A save
    reads them again only when a field they come from changed: it compares the saved lead with
    the version this unit of work last read or wrote (``_known``), and when it has none, the
    keys the new lead reads to with those indexed."""

    def __init__(
        self, conn: sqlite3.Connection, codec: Codec, busy_timeout: float, normaliser: Normaliser
    ) -> None:
        super().__init__(conn, codec, busy_timeout)
        self._depth = 0
        self._cursors: list[sqlite3.Cursor] = []
        self._key_texts = normaliser.key_texts
        self._key_source = normaliser.key_source
        self._known: dict[str, Lead] = {}

    def _leads(self, rows: Iterable[tuple[str, int]]) -> list[Lead]:
        lead = self.codec.lead
        return [lead(body, version) for body, version in rows]

    # --- leads -------------------------------------------------------------------------------
    @reading
    def get_lead(self, lead_id: str) -> Lead:
        """See ``UnitOfWork.get_lead``."""
        lead_id = args.an_id(lead_id, "lead_id")
        row = self._found("SELECT body, version FROM leads WHERE id = ?", "lead", lead_id)
        lead = self._known[lead_id] = self.codec.lead(row[0], row[1])
        return lead

    @reading
    def get_leads(self, lead_ids: Iterable[str]) -> dict[str, Lead]:
        """See ``UnitOfWork.get_leads``."""
        wanted = list(dict.fromkeys(args.id_list(lead_ids, "lead_ids")))
        found: dict[str, Lead] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT body, version FROM leads WHERE id IN ({marks})", chunk
            ).fetchall()
            for lead in self._leads(rows):
                found[lead.id] = lead
        self._known.update(found)
        return {i: found[i] for i in wanted if i in found}

    @reading
    def find_leads(self, query: LeadQuery) -> list[Lead]:
        """See ``UnitOfWork.find_leads``."""
        query = args.query(query)
        compiled = None if query.limit == 0 else compile_query.select_sql(query)
        if compiled is None:
            return []
        return self._leads(self.conn.execute(*compiled).fetchall())

    @reading
    def iter_leads(self, query: LeadQuery) -> Iterator[Lead]:
        """See ``UnitOfWork.iter_leads``: rows are read from the database as you iterate."""
        query = args.query(query)
        compiled = None if query.limit == 0 else compile_query.select_sql(query)
        if compiled is None:
            return iter(())
        cursor = self.conn.execute(*compiled)
        self._cursors.append(cursor)
        return self._stream(cursor)

    def _stream(self, cursor: sqlite3.Cursor) -> Iterator[Lead]:
        lead = self.codec.lead
        while True:
            if not self.open:
                raise LeadcoreError("this unit of work has ended; its lead iterator with it")
            try:
                row = cursor.fetchone()
            except (sqlite3.Error, UnicodeError) as e:
                raise translate(e, self.path, self.busy_timeout) from e
            if row is None:
                return
            yield lead(row[0], row[1])

    @reading
    def count_leads(self, query: LeadQuery) -> int:
        """See ``UnitOfWork.count_leads``."""
        compiled = compile_query.count_sql(args.query(query))
        if compiled is None:
            return 0
        return int(self.conn.execute(*compiled).fetchone()[0])

    @reading
    def count_by_status(
        self,
        query: LeadFilter | None = None,
        *,
        pool_id: str | None = None,
        owner_id: str | None = None,
    ) -> dict[LeadStatus, int]:
        """See ``UnitOfWork.count_by_status``."""
        base = as_query(args.criteria(query))
        wanted = narrowed(
            base,
            pool_id=args.optional_id(pool_id, "pool_id"),
            owner_id=args.optional_id(owner_id, "owner_id"),
        )
        compiled = compile_query.count_by_status_sql(wanted)
        if compiled is None:
            return {}
        rows = self.conn.execute(*compiled).fetchall()
        counts: dict[LeadStatus, int] = {}
        for status, n in rows:
            known = _STATUS.get(status)
            if known is None:
                raise StoreFileError(
                    self.path,
                    f"a stored lead has the unknown status {status!r}; the file is damaged",
                )
            if n:
                counts[known] = int(n)
        return counts

    @reading
    def open_counts(self, owner_ids: Collection[str]) -> dict[str, int]:
        """See ``UnitOfWork.open_counts``."""
        owners = list(dict.fromkeys(args.id_list(owner_ids, "owner_ids")))
        counts = dict.fromkeys(owners, 0)
        for start in range(0, len(owners), _CHUNK):
            sql, params = compile_query.open_counts_sql(owners[start : start + _CHUNK], _OPEN)
            for owner, n in self.conn.execute(sql, params).fetchall():
                counts[owner] = int(n)
        return counts

    @writing
    def add_lead(self, lead: Lead) -> Lead:
        """See ``UnitOfWork.add_lead``."""
        lead = args.lead(lead)
        stored = _versioned(lead, 1)
        try:
            self.conn.execute(_INSERT_LEAD, self.codec.lead_row(stored, 1))
        except sqlite3.IntegrityError as e:
            if "UNIQUE" not in str(e):
                raise
            raise DuplicateLead("id", lead.id, lead.id) from None
        if stored.collaborators or stored.followers:
            write_people(self.conn, stored, replace=False)
        key_index.write_keys(self.conn, stored.id, self._key_texts(stored), replace=False)
        self._known[stored.id] = stored
        return stored

    @writing
    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        """See ``UnitOfWork.save_lead``."""
        lead = args.lead(lead)
        expected_version = args.number(expected_version, "expected_version")
        if expected_version == args.MAX_NUMBER:  # no stored lead is at a version past this one
            raise self._refuse("leads", "lead", lead.id, expected_version)
        version = expected_version + 1
        new = _versioned(lead, version)
        row = (*self.codec.lead_row(new, version), expected_version)
        if self.conn.execute(_UPDATE_LEAD, row).rowcount == 0:
            raise self._refuse("leads", "lead", lead.id, expected_version)
        write_people(self.conn, new, replace=True)
        old = self._known.get(lead.id)
        if (
            old is None
            or old.version != expected_version
            or self._key_source(old) != self._key_source(new)
        ):
            texts = self._key_texts(new)
            if texts != key_index.stored_keys(self.conn, new.id):
                key_index.write_keys(self.conn, new.id, texts, replace=True)
        self._known[new.id] = new
        return new

    @writing
    def delete_lead(self, lead_id: str, *, expected_version: int) -> None:
        """See ``UnitOfWork.delete_lead``."""
        lead_id = args.an_id(lead_id, "lead_id")
        expected_version = args.number(expected_version, "expected_version")
        gone = self.conn.execute(
            "DELETE FROM leads WHERE id = ? AND version = ?", (lead_id, expected_version)
        )
        if gone.rowcount == 0:
            raise self._refuse("leads", "lead", lead_id, expected_version)
        self._known.pop(lead_id, None)
        drop_dependents(self.conn, lead_id)

    # --- ending ------------------------------------------------------------------------------
    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """See ``UnitOfWork.savepoint`` (a SQLite ``SAVEPOINT``)."""
        if not self.open:
            raise LeadcoreError("this unit of work has ended (committed or rolled back)")
        self._depth += 1
        name = f"leadcore_{self._depth}"
        was_broken = self.broken
        self._run(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._known.clear()  # what was read or written inside may be undone
            if self.open:
                self._run(f"ROLLBACK TO {name}")
                self._run(f"RELEASE {name}")
                self.broken = was_broken
            raise
        else:
            if self.open:
                self._run(f"RELEASE {name}")
        finally:
            self._depth -= 1

    def _run(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except sqlite3.Error as e:
            raise translate(e, self.path, self.busy_timeout) from e

    def _end(self) -> None:
        self.open = False
        self._known.clear()
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()

    def commit(self) -> None:
        """See ``UnitOfWork.commit``. Refused (and rolled back) if a write failed midway."""
        if not self.open:
            raise LeadcoreError("this unit of work has ended (committed or rolled back)")
        if self.broken:
            self.rollback()
            raise LeadcoreError(
                "a write of this unit of work failed after it began; nothing was committed"
            )
        self._end()
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as e:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise translate(e, self.path, self.busy_timeout) from e

    def rollback(self) -> None:
        """See ``UnitOfWork.rollback``."""
        if not self.open:
            raise LeadcoreError("this unit of work has ended (committed or rolled back)")
        self._end()
        if self.conn.in_transaction:
            self._run("ROLLBACK")
