"""Opening a leadcore SQLite file and taking its write lock: what ``SQLiteStore`` and
``SQLiteCustomerDirectory`` share.

``open_database`` connects, checks the file is empty or a leadcore store this leadcore reads
(refusing any other file before writing anything to it), puts it in WAL mode, sets how commits
wait for the disk and brings it to the latest schema (``leadcore.storage.sqlite_schema``). ``begin`` takes the write lock with ``BEGIN IMMEDIATE``, retrying with short sleeps
while another connection holds it, up to the busy timeout; then ``StoreLocked``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final, Self

from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.storage.sqlite_errors import StoreFileError, StoreLocked, translate
from leadcore.storage.sqlite_schema import check_schema, open_schema

__all__ = [
    "MEMORY",
    "SYNCHRONOUS",
    "SQLiteFile",
    "begin",
    "open_database",
    "path_text",
    "seconds",
]

MEMORY: Final = ":memory:"
"""The path of a database in memory, gone when its connection closes."""
SYNCHRONOUS: Final = ("full", "normal", "off")
"""How a commit may wait for the disk (SQLite's ``synchronous`` settings leadcore allows)."""
_FIRST_WAIT: Final = 0.0001
_LONGEST_WAIT: Final = 0.004


def path_text(path: object, subject: str = "SQLite store") -> str:
    """``path`` as text; ``ValidationError`` unless it is a file path (non-empty text without
    NUL characters) or ``':memory:'``."""
    if isinstance(path, str | os.PathLike):
        text = os.fspath(path)
        if isinstance(text, str) and text and "\0" not in text:
            return text
    raise ValidationError(
        [FieldProblem("path", f"must be a file path or ':memory:', not {path!r}")],
        subject=subject,
    )


def seconds(value: object, subject: str = "SQLite store") -> float:
    """A busy timeout in seconds (above 0, at most an hour); ``ValidationError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise ValidationError(
            [FieldProblem("busy_timeout", f"must be seconds between 0 and 3600, not {value!r}")],
            subject=subject,
        )
    return float(value)


def open_database(
    path: str,
    busy_timeout: float,
    synchronous: str,
    prepare: Callable[[sqlite3.Connection], None] | None = None,
    subject: str = "SQLite store",
) -> tuple[sqlite3.Connection, int]:
    """A connection to the leadcore database at ``path`` and its schema version: upgraded if
    older, in WAL mode (a file that cannot be a store is refused first, left as it was); ``prepare`` runs on it before writers stop waiting in SQLite itself
    (``begin`` waits for them instead). ``StoreFileError`` if the file cannot be a store."""
    if synchronous not in SYNCHRONOUS:
        raise ValidationError(
            [
                FieldProblem(
                    "synchronous", f"must be 'full', 'normal' or 'off', not {synchronous!r}"
                )
            ],
            subject=subject,
        )
    try:
        conn = sqlite3.connect(
            path,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=512,
        )
    except sqlite3.Error as e:
        raise StoreFileError(path, f"cannot open the file: {e}") from e
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: is it SQLite?
        check_schema(conn, path)  # another application's file, or a newer one: touch nothing
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        version = open_schema(conn, path)
        if prepare is not None:
            prepare(conn)
        if mode == "wal":
            # In WAL mode only taking the write lock waits, and ``begin`` does that waiting.
            conn.execute("PRAGMA busy_timeout = 0")
    except (sqlite3.Error, LeadcoreError) as e:
        conn.close()
        if isinstance(e, LeadcoreError):
            raise
        raise translate(e, path, busy_timeout) from e
    return conn, version


def begin(conn: sqlite3.Connection, path: str, busy_timeout: float) -> None:
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
            error = translate(e, path, busy_timeout)
            if not isinstance(error, StoreLocked):
                raise error from e
            now = time.monotonic()
            if deadline is None:
                deadline = now + busy_timeout
            if now >= deadline:
                raise error from e
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, _LONGEST_WAIT)
        except sqlite3.Error as e:
            raise translate(e, path, busy_timeout) from e


class SQLiteFile:
    """One connection to a leadcore database file, used by one thread at a time (``_lock``;
    ``_holder`` is the thread inside a transaction) and only in the process that opened it.
    ``SQLiteStore`` and ``SQLiteCustomerDirectory`` are made of one. ``prepare`` runs on the
    connection once the schema is current (see ``open_database``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        busy_timeout: float,
        synchronous: str,
        prepare: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        subject = type(self).__name__
        self.path = path_text(path, subject)
        self.busy_timeout = seconds(busy_timeout, subject)
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = None
        conn, self.schema_version = open_database(
            self.path, self.busy_timeout, synchronous, prepare, subject
        )
        self._conn = conn

    def close(self) -> None:
        """Close the database connection, once another thread's transaction has ended.
        Closing twice is harmless; a closed object refuses further use. Closing inside this
        thread's own unit of work is refused with ``LeadcoreError``."""
        if self._holder == threading.get_ident():
            raise LeadcoreError("finish this thread's unit of work before closing the store")
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        """The open connection, in the process that opened it; ``LeadcoreError`` otherwise."""
        name = type(self).__name__
        if os.getpid() != self._pid:
            raise LeadcoreError(
                f"this {name} of {self.path!r} was opened in process {self._pid}; "
                f"open a new {name} in each process"
            )
        if self._conn is None:
            raise LeadcoreError(f"the {name} of {self.path!r} is closed")
        return self._conn

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"
