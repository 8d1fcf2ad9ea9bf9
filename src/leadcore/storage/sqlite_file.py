"""Opening a leadcore SQLite file and taking its write lock: what ``SQLiteStore`` and
``SQLiteCustomerDirectory`` share.

``open_database`` connects, checks the file is empty or a leadcore store this leadcore reads
(refusing any other file before writing anything to it), puts it in WAL mode, sets how commits
wait for the disk and brings it to the latest schema (``leadcore.storage.sqlite_schema``).
``begin`` takes the write lock with ``BEGIN IMMEDIATE``, retrying with short sleeps while
another connection holds it, up to the busy timeout; then ``StoreLocked``.

Paths are file paths as ``open`` takes them: relative to the working directory, ``~`` not
expanded, never SQLite ``file:`` URIs (refused: SQLite could read one as another file). A path
that cannot hold a database file (a directory, a name ending in a separator, one in a directory
that does not exist or this process may not write) is refused with a ``StoreFileError`` saying
so. Each thread keeps which of its connections have a write transaction open on which file
(``SQLiteFile._begin_writing``): a thread that would wait for its own transaction on another
connection to the file — for ever — is refused at once instead.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import ClassVar, Final, Self

from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.storage.sqlite_errors import STORE, StoreFileError, StoreLocked, translate
from leadcore.storage.sqlite_schema import check_schema, open_schema

__all__ = [
    "MEMORY",
    "SYNCHRONOUS",
    "SQLiteFile",
    "begin",
    "open_database",
    "path_text",
    "seconds",
    "unusable",
    "waits_for_itself",
]

MEMORY: Final = ":memory:"
"""The path of a database in memory, gone when its connection closes."""
SYNCHRONOUS: Final = ("full", "normal", "off")
"""How a commit may wait for the disk (SQLite's ``synchronous`` settings leadcore allows)."""
_FIRST_WAIT: Final = 0.0001
_LONGEST_WAIT: Final = 0.004

_File = tuple[int, int]  # a file's device and inode
_SEPARATORS: Final = tuple(sep for sep in (os.sep, os.altsep) if sep)


class _Writes(threading.local):
    """This thread's connections with a write transaction open, by file. Each thread sees
    only its own (so nothing needs a lock), and a thread's go when it ends."""

    def __init__(self) -> None:
        self.held: dict[_File, list[sqlite3.Connection]] = {}


_writes = _Writes()


def _forget() -> None:
    """In a forked child: its one thread holds none of the parent's transactions."""
    _writes.held = {}


os.register_at_fork(after_in_child=_forget)


def _writing_here(file: _File | None) -> bool:
    """Whether this thread has a write transaction open on ``file`` (any connection)."""
    held = _writes.held.get(file) if file is not None else None
    if not held:  # the common case: one dictionary look-up
        return False
    for conn in held:
        with suppress(sqlite3.ProgrammingError):  # a closed connection holds nothing
            if conn.in_transaction:
                return True
    return False


def waits_for_itself(path: str, what: str) -> LeadcoreError:
    """The error for ``what`` (a write) on ``path`` in a thread whose own open unit of work on
    the file, through another connection, holds the lock it would wait for: for ever."""
    return LeadcoreError(
        f"SQLite file {path!r}: {what} would wait for ever, because this thread already has a "
        "unit of work open on the file through another store object; finish that one first, "
        "or use its object"
    )


def path_text(path: object, subject: str = STORE) -> str:
    """``path`` as text; ``ValidationError`` unless it is a file path (non-empty text without
    NUL characters, not a SQLite ``file:`` URI) or ``':memory:'``."""
    if isinstance(path, str | os.PathLike):
        text = os.fspath(path)
        if isinstance(text, str) and text.startswith("file:"):
            # SQLite may read it as a URI naming another file: a backup would write over it.
            reason = (
                f"must be a file path, not a SQLite URI ({text!r}); give the file's path "
                f"(for a file named so, {os.path.join(os.curdir, text)!r})"
            )
            raise ValidationError([FieldProblem("path", reason)], subject=subject)
        if isinstance(text, str) and text and "\0" not in text:
            return text
    raise ValidationError(
        [FieldProblem("path", f"must be a file path or ':memory:', not {path!r}")],
        subject=subject,
    )


def seconds(value: object, subject: str = STORE) -> float:
    """A busy timeout in seconds (above 0, at most an hour); ``ValidationError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        raise ValidationError(
            [
                FieldProblem(
                    "busy_timeout",
                    f"must be seconds above 0 and at most 3600 (e.g. 15), not {value!r:.40}",
                )
            ],
            subject=subject,
        )
    return float(value)


def unusable(path: str) -> str | None:
    """Why ``path`` cannot hold a database file (a directory, a name ending in a separator, a
    folder that is missing or is a file, a symbolic link that leads to none of those), or None
    if it can as far as the file system tells; ``':memory:'`` always can."""
    if path == MEMORY:
        return None
    if os.path.isdir(path):
        example = os.path.join(path, "leads.db")
        return f"the path is a directory; give a file path, such as {example!r}"
    if path.endswith(_SEPARATORS):
        example = path.rstrip("".join(_SEPARATORS))
        return (
            f"the path ends with {path[-1]!r}, so it names a directory; give a file path, "
            f"such as {example!r}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    link = ""
    if os.path.islink(path):
        try:
            os.stat(path)
        except FileNotFoundError:  # dangling: the file would be made where it leads
            folder = os.path.dirname(os.path.realpath(path))
            link = f"the path is a symbolic link to {os.readlink(path)!r}, and "
        except OSError as e:
            return f"the path is a symbolic link that cannot be followed ({e.strerror})"
    if os.path.isdir(folder):
        return None
    if os.path.lexists(folder):
        return f"{link}{folder!r} is not a directory; give a file path inside a directory"
    home = ""
    if path.startswith("~"):
        home = "; '~' is not expanded (as with open()): use os.path.expanduser(path) for it"
    return (
        f"{link}the directory {folder!r} does not exist; create it first, or give another "
        f"path{home}"
    )


def _unopenable(path: str, error: sqlite3.Error) -> str:
    """Why SQLite could not open the file at ``path`` (refused with ``error``), as far as
    the file system tells."""
    if os.path.exists(path):
        try:
            with open(path, "rb"):
                pass
        except OSError as e:
            return (
                f"this process may not read the file ({e.strerror}); give it read and write "
                "access to the file and its directory"
            )
    else:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.access(folder, os.W_OK | os.X_OK):
            return (
                f"this process may not create a file in {folder!r} (permission denied); "
                "give it write access to the directory, or give another path"
            )
    return f"cannot open the file: {error}"


def open_database(
    path: str,
    busy_timeout: float,
    synchronous: str,
    prepare: Callable[[sqlite3.Connection], None] | None = None,
    subject: str = STORE,
) -> tuple[sqlite3.Connection, int]:
    """A connection to the leadcore database at ``path`` and its schema version: upgraded if
    older, in WAL mode (a file that cannot be a store is refused first, left as it was);
    ``prepare`` runs on it before writers stop waiting in SQLite itself (``begin`` waits for
    them instead). ``StoreFileError`` if the file cannot be a store. If this thread has a unit
    of work open on the file, an open that must write (an upgrade, keys to read again) is
    refused at once (``waits_for_itself``) instead of waiting for it. ``subject`` names the
    opener in errors."""
    if synchronous not in SYNCHRONOUS:
        raise ValidationError(
            [
                FieldProblem(
                    "synchronous", f"must be 'full', 'normal' or 'off', not {synchronous!r}"
                )
            ],
            subject=subject,
        )
    reason = unusable(path)
    if reason is not None:
        raise StoreFileError(path, reason, subject)
    mine = path != MEMORY and _writing_here(_identity(path))
    try:
        conn = sqlite3.connect(
            path,
            timeout=0 if mine else busy_timeout,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=512,
        )
    except sqlite3.Error as e:
        raise StoreFileError(path, _unopenable(path, e), subject) from e
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: is it SQLite?
        check_schema(conn, path, subject)  # another application's, or a newer one: touch nothing
        wait = 0 if mine else None
        wal = _until_unlocked(
            conn, "PRAGMA journal_mode = WAL", path, busy_timeout, wait, subject=subject
        )
        (mode,) = wal.fetchone()
        conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        version = open_schema(conn, path, subject)
        if prepare is not None:
            prepare(conn)
        if mode == "wal":
            # In WAL mode only taking the write lock waits, and ``begin`` does that waiting.
            conn.execute("PRAGMA busy_timeout = 0")
        elif mine:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    except (sqlite3.Error, LeadcoreError) as e:
        conn.close()
        error = e if isinstance(e, LeadcoreError) else translate(e, path, busy_timeout, subject)
        if mine and isinstance(error, StoreLocked):
            raise waits_for_itself(path, "opening it (it must write to the file)") from e
        if error is e:
            raise
        raise error from e
    return conn, version


def begin(
    conn: sqlite3.Connection,
    path: str,
    busy_timeout: float,
    wait: float | None = None,
    *,
    subject: str = STORE,
) -> None:
    """``BEGIN IMMEDIATE``, retried with short, growing sleeps while another connection
    holds the write lock (SQLite's own waits start at whole milliseconds), up to ``wait``
    seconds (``busy_timeout`` unless given: what is left of it); then ``StoreLocked``."""
    _until_unlocked(conn, "BEGIN IMMEDIATE", path, busy_timeout, wait, subject=subject)


def _until_unlocked(
    conn: sqlite3.Connection,
    sql: str,
    path: str,
    busy_timeout: float,
    wait: float | None = None,
    *,
    subject: str = STORE,
) -> sqlite3.Cursor:
    """Run ``sql``, again after short, growing sleeps while the database is locked, for up to
    ``wait`` seconds (``busy_timeout`` unless given); then ``StoreLocked``. (SQLite itself
    does not wait when a connection that read must wait for another's lock to write.)"""
    deadline = time.monotonic() + (busy_timeout if wait is None else wait)
    delay = _FIRST_WAIT
    while True:
        try:
            return conn.execute(sql)
        except sqlite3.OperationalError as e:
            error = translate(e, path, busy_timeout, subject)
            if not isinstance(error, StoreLocked):
                raise error from e
            now = time.monotonic()
            if now >= deadline:
                raise error from e
            time.sleep(min(delay, deadline - now))
            delay = min(delay * 2, _LONGEST_WAIT)
        except sqlite3.Error as e:
            raise translate(e, path, busy_timeout, subject) from e


def _identity(path: str) -> tuple[int, int] | None:
    """Which file is at ``path`` now (device and inode); None for none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _identities(path: str, real: str) -> tuple[tuple[int, int] | None, ...]:
    """Which files are the database at ``path`` and its ``-wal`` and ``-shm`` files now (an
    open connection keeps all three; SQLite puts those beside ``real``, the file a symbolic
    link at ``path`` led to when it opened); nothing for a database in memory."""
    if path == MEMORY:
        return ()
    return (_identity(path), _identity(f"{real}-wal"), _identity(f"{real}-shm"))


class SQLiteFile:
    """One connection to a leadcore database file, used by one thread at a time (``_lock``;
    ``_holder`` is the thread inside a transaction) and only in the process that opened it.
    ``SQLiteStore`` and ``SQLiteCustomerDirectory`` are made of one. ``prepare`` runs on the
    connection once the schema is current (see ``open_database``). The file's identity is
    kept: a file deleted, moved or replaced at its path since is refused (``check_file``).
    ``subject`` names the kind of object in errors."""

    subject: ClassVar[str] = STORE

    def __init__(
        self,
        path: str | os.PathLike[str],
        busy_timeout: float,
        synchronous: str,
        prepare: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        subject = self.subject
        self.path = path_text(path, subject)
        self.busy_timeout = seconds(busy_timeout, subject)
        self._lock = threading.Lock()
        self._holder: int | None = None
        self._pid = os.getpid()
        self._conn: sqlite3.Connection | None = None
        self._where = self.path if self.path == MEMORY else os.path.abspath(self.path)
        conn, self.schema_version = open_database(
            self.path, self.busy_timeout, synchronous, prepare, subject
        )
        self._real = os.path.realpath(self._where)
        self._files = _identities(self._where, self._real)
        self._file = self._files[0] if self._files else None  # what ``_begin_writing`` notes
        self._conn = conn

    def close(self) -> None:
        """Close the database connection, once another thread's transaction has ended.
        Closing twice is harmless; a closed object refuses further use. Closing inside this
        thread's own unit of work is refused with ``LeadcoreError``. In a forked child it
        does nothing: the connection is the parent's."""
        if os.getpid() != self._pid:
            return
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

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        """Refused (pickling and copying alike): the object is one connection to the file."""
        name = type(self).__name__
        raise LeadcoreError(
            f"a {name} cannot be pickled or copied: it is one connection to {self.path!r}; "
            f"share the object between threads, or open a new {name}(path) in each process"
        )

    def _acquire(self) -> float:
        """Take this object's lock, waiting while another thread uses it up to the busy
        timeout (then ``StoreLocked``); the seconds left of that wait. Refused at once in a
        process that did not open the object."""
        self._own_process()
        if self._lock.acquire(blocking=False):  # the common case: no other thread inside
            return self.busy_timeout
        started = time.monotonic()
        if not self._lock.acquire(timeout=self.busy_timeout):
            raise StoreLocked(self.path, self.busy_timeout)
        return max(self.busy_timeout - (time.monotonic() - started), 0.0)

    def refuse_own_writer(self, what: str) -> None:
        """``waits_for_itself`` if this thread has a unit of work open on the file through
        another connection: ``what`` (a write) would wait for it for ever."""
        if self._file in _writes.held and _writing_here(self._file):
            raise waits_for_itself(self.path, what)

    def _begin_writing(self, conn: sqlite3.Connection, wait: float | None = None) -> None:
        """``begin`` on ``conn`` (waiting up to ``wait``, see there); from then until
        ``_end_writing``, it is known as this thread's write transaction on the file
        (``refuse_own_writer``). A few dictionary operations, no lock: each thread has its own."""
        begin(conn, self.path, self.busy_timeout, wait, subject=self.subject)
        if (file := self._file) is not None:
            _writes.held.setdefault(file, []).append(conn)

    def _end_writing(self, conn: sqlite3.Connection) -> None:
        """Forget ``conn`` as this thread's write transaction on the file (``_begin_writing``);
        harmless if it is not known (in a forked child, say)."""
        if (file := self._file) is not None:  # None for a database in memory
            held = _writes.held
            conns = held.get(file)
            if conns is not None and conn in conns:
                conns.remove(conn)
                if not conns:
                    del held[file]

    def check_file(self) -> None:
        """``StoreFileError`` if the file at the path, or its ``-wal`` or ``-shm`` file beside it,
        is no longer the one this object opened (deleted, moved or replaced): its writes would
        be lost, or land where other processes never look."""
        if self._files and _identities(self._where, self._real) != self._files:
            raise StoreFileError(
                self.path,
                "the database file was deleted, moved or replaced since this store opened "
                "it; nothing was written; open a new store on the file",
                self.subject,
            )

    def _own_process(self) -> None:
        name = type(self).__name__
        if os.getpid() != self._pid:
            raise LeadcoreError(
                f"this {name} of {self.path!r} was opened in process {self._pid}; "
                f"open a new {name} in each process"
            )

    def _connection(self) -> sqlite3.Connection:
        """The open connection, in the process that opened it; ``LeadcoreError`` otherwise."""
        self._own_process()
        if self._conn is None:
            raise LeadcoreError(f"the {type(self).__name__} of {self.path!r} is closed")
        return self._conn

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"
