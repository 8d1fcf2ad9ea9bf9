"""``SQLiteStore``: the whole store protocol in one SQLite database file, safe across processes.

Concurrency. Every unit of work is one SQLite transaction begun with ``BEGIN IMMEDIATE``: it
takes the database's write lock before its first read, so units of work are serialisable
across every process and thread using the file, and what a unit of work read cannot change
before it commits. Within one process, a store object runs its units of work one at a time (a
lock, as ``MemoryStore`` does); across processes, SQLite's lock does it. A unit of work waits
up to ``busy_timeout`` seconds in all (for another thread's unit of work on the same object,
then for SQLite's lock) before giving up with ``StoreLocked`` (a ``ConcurrencyConflict``:
nothing was written, retry). A thread that already has a unit of work open on the file, through
this store or another object, is refused a second at once: it would wait for itself. The file
is in WAL mode, so readers outside any unit of work (a backup, a report on another connection)
never wait for a writer. A save checks its expected version inside the ``UPDATE`` itself.

Durability. ``synchronous="full"`` (the default) makes a commit survive a power cut; a process
killed mid-transaction never leaves a partial one behind, whatever the setting. ``"normal"`` is
faster and may lose the last commits, never consistency, on a power cut; ``"off"`` never waits
for the disk and may corrupt the file on a power cut (for tests and throwaway data only).

Files. A new or empty file becomes a store; an older leadcore file is upgraded on open; a file
of a newer leadcore, of another application or that is not a database is refused with a
``StoreFileError`` (see ``leadcore.storage.sqlite_schema``). ``backup(path)`` writes a
consistent copy through SQLite's backup API while the store stays in use (a copy that fails
midway is removed). One store object belongs to the process that opened it: open another in
each process (a forked child is refused the parent's at once, closing it there does nothing;
it cannot be pickled or copied). A store whose file was deleted, moved or replaced since it
opened it refuses units of work with ``StoreFileError``, so no commit lands in a file nobody
will open again.

Indexes. Beside the leads' own, the duplicate-key index (``leadcore.storage.sqlite_keys``,
read with the store's ``normaliser``; a file whose keys were read with other rules is re-read
when opened) and the time indexes (``leadcore.storage.sqlite_times``). The customer directory
(``leadcore.storage.sqlite_directory``) may share the file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Final, Literal

from leadcore.dedup import Normaliser
from leadcore.errors import LeadcoreError
from leadcore.signatures import checked_constructor
from leadcore.storage import sqlite_keys as key_index
from leadcore.storage.protocol import nested_unit_of_work
from leadcore.storage.sqlite_codec import Codec
from leadcore.storage.sqlite_errors import StoreFileError, StoreLocked, translate
from leadcore.storage.sqlite_file import MEMORY, SQLiteFile, path_text, unusable
from leadcore.storage.sqlite_uow import SQLiteUnitOfWork

__all__ = ["SQLiteStore", "StoreFileError", "StoreLocked"]

_TAKEN: Final = "a backup needs a new file path; something is there"


@checked_constructor
class SQLiteStore(SQLiteFile):
    """A ``LeadStore`` in a SQLite database: ``SQLiteStore("leads.db")`` or, for tests, the
    default ``SQLiteStore()`` in memory. See the module docstring for the concurrency model.
    ``normaliser`` reads the duplicate keys the store indexes (``Normaliser.default()`` unless
    given); opening a file indexed with other rules reads every lead's keys again, once.

    Raises ``StoreFileError`` if the file cannot be a leadcore store, ``ValidationError`` for a
    bad argument. Use it as a context manager, or call ``close()``, to release the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = MEMORY,
        *,
        busy_timeout: float = 15.0,
        synchronous: Literal["full", "normal", "off"] = "full",
        normaliser: Normaliser | None = None,
    ) -> None:
        self._normaliser = Normaliser.given(normaliser, subject=self.subject)
        self._codec = Codec(path_text(path))
        super().__init__(path, busy_timeout, synchronous, self._index_keys)

    def _index_keys(self, conn: sqlite3.Connection) -> None:
        """Read every lead's keys again if the file's were read with other rules (or none)."""
        if key_index.indexed_with(conn, key_index.rules_text(self._normaliser)):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            key_index.index_keys(conn, self._codec, self._normaliser)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @property
    def normaliser(self) -> Normaliser:
        """The rules the duplicate-key index reads keys with."""
        return self._normaliser

    # --- the protocol --------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self) -> Iterator[SQLiteUnitOfWork]:
        """Begin a unit of work (``BEGIN IMMEDIATE``: the write lock is taken now, waiting up to
        ``busy_timeout`` for another writer, another thread's unit of work on this object
        included, else ``StoreLocked``). Leaving the block without ``commit()`` rolls it back.
        ``StoreFileError`` if the file was deleted, moved or replaced since the store opened;
        ``LeadcoreError`` at once if this thread has one open already, on this store or on
        another object of the same file (waiting for itself, it would wait for ever)."""
        me = threading.get_ident()
        if self._holder == me:
            raise nested_unit_of_work()
        self.refuse_own_writer("a unit of work")
        left = self._acquire()
        try:
            conn = self._connection()
            self._holder = me
            self._begin_writing(conn, left)
            try:
                uow = SQLiteUnitOfWork(conn, self._codec, self.busy_timeout, self._normaliser)
                try:
                    self.check_file()
                    yield uow
                finally:
                    if uow.open:
                        uow.rollback()
            finally:
                self._end_writing(conn)
        finally:
            self._holder = None
            self._lock.release()

    def snapshot(self) -> tuple[object, ...]:
        """Every row of every table the migrations made for the store (leadcore's own
        bookkeeping and the customer directory's tables aside), each table's rows in the order
        of all their columns, as one value to compare with ``==``."""
        with self.unit_of_work() as uow:
            try:
                return _rows(uow.conn)
            except sqlite3.Error as e:
                raise translate(e, self.path, self.busy_timeout) from e

    # --- files ---------------------------------------------------------------------------------
    def backup(self, path: str | os.PathLike[str]) -> None:
        """Write a consistent copy of the whole store to a new file at ``path`` (SQLite's backup
        API), while other connections go on using the database. The copy opens as a store of
        its own: ``SQLiteStore(path)``. Raises ``StoreFileError`` if a file is already there (or
        appears meanwhile: it is never written over) or the copy fails (no file is left), and
        ``StoreLocked`` past ``busy_timeout`` waiting for another thread's unit of work."""
        target = path_text(path)
        if target == MEMORY or os.path.lexists(target):
            raise StoreFileError(target, _TAKEN)
        reason = unusable(target)
        if reason is not None:
            raise StoreFileError(target, reason)
        if self._holder == threading.get_ident():
            raise LeadcoreError("finish this thread's unit of work before taking a backup")
        self._acquire()
        try:
            conn = self._connection()
            self.check_file()
            _copy(conn, target, self.busy_timeout)
        finally:
            self._lock.release()


def _rows(conn: sqlite3.Connection) -> tuple[object, ...]:
    """The rows of ``snapshot``: each store table's name and its rows, in order."""
    tables = [
        str(name)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'leadcore_%' "
            "AND name NOT LIKE 'directory_%' ORDER BY name"
        )
    ]
    found = []
    for table in tables:
        width = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
        order = ", ".join(str(n) for n in range(1, width + 1))
        rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
        found.append((table, tuple(rows)))
    return tuple(found)


def _copy(conn: sqlite3.Connection, target: str, busy_timeout: float) -> None:
    """Copy the database of ``conn`` into a new file at ``target``, created here (never one
    that appeared meanwhile); a copy that fails midway is removed, leaving no file."""
    try:
        with open(target, "x"):
            pass
    except FileExistsError:
        raise StoreFileError(target, _TAKEN) from None
    except OSError as e:
        raise StoreFileError(target, f"cannot create the backup file: {e.strerror}") from e
    try:
        copy = sqlite3.connect(target)
        try:
            conn.backup(copy)
        finally:
            copy.close()
    except BaseException as e:
        for leftover in (target, f"{target}-journal"):
            with suppress(OSError):
                os.remove(leftover)
        if isinstance(e, sqlite3.Error):
            raise translate(e, target, busy_timeout) from e
        raise
