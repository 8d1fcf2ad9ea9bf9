"""``SQLiteStore``: the whole store protocol in one SQLite database file, safe across processes.

Concurrency. Every unit of work is one SQLite transaction begun with ``BEGIN IMMEDIATE``: it
takes the database's write lock before its first read, so units of work are serialisable
across every process and thread using the file, and what a unit of work read cannot change
before it commits. Within one process, a store object runs its units of work one at a time (a
lock, as ``MemoryStore`` does); across processes, SQLite's lock does it, and a writer waits up
to ``busy_timeout`` seconds for it before giving up with ``StoreLocked`` (a
``ConcurrencyConflict``: nothing was written, retry). The file is in WAL mode, so readers
outside any unit of work (a backup, a report on another connection) never wait for a writer.
A save checks its expected version inside the ``UPDATE`` itself.

Durability. ``synchronous="full"`` (the default) makes a commit survive a power cut; a process
killed mid-transaction never leaves a partial one behind, whatever the setting. ``"normal"`` is
faster and may lose the last commits, never consistency, on a power cut; ``"off"`` never waits
for the disk and may corrupt the file on a power cut (for tests and throwaway data only).

Files. A new or empty file becomes a store; an older leadcore file is upgraded on open; a file
of a newer leadcore, of another application or that is not a database is refused with a
``StoreFileError`` (see ``leadcore.storage.sqlite_schema``). ``backup(path)`` writes a
consistent copy through SQLite's backup API while the store stays in use. One store object
belongs to the process that opened it: open another in each process.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Final, Literal

from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.storage.sqlite_codec import Codec
from leadcore.storage.sqlite_errors import StoreFileError, StoreLocked, translate
from leadcore.storage.sqlite_schema import open_schema
from leadcore.storage.sqlite_uow import SQLiteUnitOfWork

__all__ = ["SQLiteStore", "StoreFileError", "StoreLocked"]

MEMORY: Final = ":memory:"
"""The path of a database in memory, gone when the store closes."""
_FIRST_WAIT: Final = 0.0001
_LONGEST_WAIT: Final = 0.004


def _path_text(path: object) -> str:
    if isinstance(path, str | os.PathLike):
        text = os.fspath(path)
        if isinstance(text, str) and text:
            return text
    raise ValidationError(
        [FieldProblem("path", f"must be a file path or ':memory:', not {path!r}")],
        subject="SQLite store",
    )


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise ValidationError(
            [FieldProblem("busy_timeout", f"must be seconds between 0 and 3600, not {value!r}")],
            subject="SQLite store",
        )
    return float(value)


class SQLiteStore:
    """A ``LeadStore`` in a SQLite database: ``SQLiteStore("leads.db")`` or, for tests, the
    default ``SQLiteStore()`` in memory. See the module docstring for the concurrency model.

    Raises ``StoreFileError`` if the file cannot be a leadcore store, ``ValidationError`` for a
    bad argument. Use it as a context manager, or call ``close()``, to release the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = MEMORY,
        *,
        busy_timeout: float = 15.0,
        synchronous: Literal["full", "normal", "off"] = "full",
    ) -> None:
        self.path = _path_text(path)
        self.busy_timeout = _seconds(busy_timeout)
        if synchronous not in ("full", "normal", "off"):
            raise ValidationError(
                [
                    FieldProblem(
                        "synchronous", f"must be 'full', 'normal' or 'off', not {synchronous!r}"
                    )
                ],
                subject="SQLite store",
            )
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._pid = os.getpid()
        self._codec = Codec(self.path)
        self._conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=512,
            )
        except sqlite3.Error as e:
            raise StoreFileError(self.path, f"cannot open the file: {e}") from e
        try:
            conn.execute("PRAGMA schema_version").fetchone()  # reads the header: is it SQLite?
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            self.schema_version = open_schema(conn, self.path)
            if mode == "wal":
                # In WAL mode only taking the write lock waits, and _begin does that waiting.
                conn.execute("PRAGMA busy_timeout = 0")
        except (sqlite3.Error, LeadcoreError) as e:
            conn.close()
            if isinstance(e, LeadcoreError):
                raise
            raise translate(e, self.path, self.busy_timeout) from e
        self._conn = conn

    # --- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the database connection, once another thread's unit of work has ended.
        Closing twice is harmless; a closed store refuses further use. Closing inside this
        thread's own unit of work is refused with ``LeadcoreError``."""
        if self._holder == threading.get_ident():
            raise LeadcoreError("finish this thread's unit of work before closing the store")
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if os.getpid() != self._pid:
            raise LeadcoreError(
                f"this SQLiteStore of {self.path!r} was opened in process {self._pid}; "
                "open a new SQLiteStore in each process"
            )
        if self._conn is None:
            raise LeadcoreError(f"the SQLiteStore of {self.path!r} is closed")
        return self._conn

    # --- the protocol --------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self) -> Iterator[SQLiteUnitOfWork]:
        """Begin a unit of work (``BEGIN IMMEDIATE``: the write lock is taken now, waiting up to
        ``busy_timeout`` for another writer, else ``StoreLocked``). Leaving the block without
        ``commit()`` rolls it back."""
        me = threading.get_ident()
        if self._holder == me:
            raise LeadcoreError(
                "a unit of work is already open on this store in this thread; "
                "finish it before opening another"
            )
        with self._lock:
            conn = self._connection()
            self._holder = me
            try:
                self._begin(conn)
                uow = SQLiteUnitOfWork(conn, self._codec, self.busy_timeout)
                try:
                    yield uow
                finally:
                    if uow.open:
                        uow.rollback()
            finally:
                self._holder = None

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, retried with short, growing sleeps while another connection
        holds the write lock (SQLite's own waits start at whole milliseconds), up to
        ``busy_timeout``; then ``StoreLocked``."""
        deadline: float | None = None
        delay = _FIRST_WAIT
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                error = translate(e, self.path, self.busy_timeout)
                if not isinstance(error, StoreLocked):
                    raise error from e
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.busy_timeout
                if now >= deadline:
                    raise error from e
                time.sleep(min(delay, deadline - now))
                delay = min(delay * 2, _LONGEST_WAIT)
            except sqlite3.Error as e:
                raise translate(e, self.path, self.busy_timeout) from e

    def snapshot(self) -> tuple[object, ...]:
        """Every row of every table the migrations made (the schema table aside), each table's
        rows in the order of all their columns, as one value to compare with ``==``."""
        with self.unit_of_work() as uow:
            conn = uow.conn
            tables = [
                str(name)
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' AND name != 'leadcore_schema' ORDER BY name"
                )
            ]
            found = []
            for table in tables:
                width = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
                order = ", ".join(str(n) for n in range(1, width + 1))
                rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
                found.append((table, tuple(rows)))
            return tuple(found)

    # --- files ---------------------------------------------------------------------------------
    def backup(self, path: str | os.PathLike[str]) -> None:
        """Write a consistent copy of the whole store to a new file at ``path`` (SQLite's backup
        API), while other connections go on using the database. The copy opens as a store of
        its own: ``SQLiteStore(path)``. Raises ``StoreFileError`` if a file is already there."""
        target = _path_text(path)
        if target == MEMORY or Path(target).exists():
            raise StoreFileError(target, "a backup needs a new file path; something is there")
        if self._holder == threading.get_ident():
            raise LeadcoreError("finish this thread's unit of work before taking a backup")
        with self._lock:
            conn = self._connection()
            try:
                copy = sqlite3.connect(target)
                try:
                    conn.backup(copy)
                finally:
                    copy.close()
            except sqlite3.Error as e:
                raise translate(e, target, self.busy_timeout) from e

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"
