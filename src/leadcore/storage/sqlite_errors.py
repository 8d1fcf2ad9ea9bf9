"""What ``SQLiteStore`` raises when the database itself is the problem, and the translation of
``sqlite3`` errors into them: no ``sqlite3`` exception leaves the store's public API."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import update_wrapper
from typing import Concatenate, Final, ParamSpec, Protocol, TypeVar

from leadcore.errors import ConcurrencyConflict, FieldProblem, LeadcoreError, ValidationError

__all__ = [
    "DIRECTORY",
    "STORE",
    "Guarded",
    "StoreFileError",
    "StoreLocked",
    "reading",
    "translate",
    "writing",
]

STORE: Final = "SQLite store"
"""How errors name a ``SQLiteStore``."""
DIRECTORY: Final = "SQLite customer directory"
"""How errors name a ``SQLiteCustomerDirectory``."""

P = ParamSpec("P")
T = TypeVar("T")


class StoreLocked(ConcurrencyConflict):
    """Raised when another connection held the database's write lock for longer than the
    store's busy timeout: nothing was written; retry the operation."""

    def __init__(self, path: str, timeout: float) -> None:
        self.kind = "database"
        self.id = path
        self.path = path
        self.timeout = timeout
        self.expected = 0
        self.actual = None
        LeadcoreError.__init__(
            self,
            f"database {path!r} stayed locked by another writer for more than {timeout:g} s; "
            "nothing was written; retry, or raise the store's busy_timeout",
        )


class StoreFileError(LeadcoreError, OSError):
    """Raised when the database file cannot serve as a leadcore store: it is not a SQLite
    database, is corrupt, belongs to another application, was written by a newer leadcore,
    or the disk refused a read or write. ``reason`` says which; ``subject`` names what could
    not use the file (``"SQLite store"`` or ``"SQLite customer directory"``)."""

    def __init__(self, path: str, reason: str, subject: str = STORE) -> None:
        self.path = path
        self.reason = reason
        self.subject = subject
        LeadcoreError.__init__(self, f"{subject} {path!r}: {reason}")


_LOCKED = ("database is locked", "database table is locked", "database is busy")
_READ_ONLY = (
    "the file or its folder is read-only: a store writes the file, and its -wal and -shm "
    "files beside it; nothing was written; give this process write access to both"
)


def translate(
    error: sqlite3.Error | UnicodeError, path: str, timeout: float, subject: str = STORE
) -> LeadcoreError:
    """The ``LeadcoreError`` to raise (``from error``) in place of a driver error; ``subject``
    names what was using the file (see ``StoreFileError``)."""
    if isinstance(error, UnicodeError):
        return ValidationError(
            [FieldProblem("text", f"must be valid Unicode (no lone surrogates): {error}")],
            subject="record",
        )
    text = str(error)
    if isinstance(error, sqlite3.OperationalError) and text.startswith(_LOCKED):
        return StoreLocked(path, timeout)
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in text:
        reason = "the file is not a SQLite database (or its header is damaged)"
    elif isinstance(error, sqlite3.DatabaseError) and "malformed" in text:
        reason = "the database file is corrupt (malformed); restore a backup"
    elif getattr(error, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
        reason = _READ_ONLY
    elif isinstance(error, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return LeadcoreError(f"{subject} {path!r}: {text}")
    else:
        reason = f"the database refused the operation: {text}"
    return StoreFileError(path, reason, subject)


class Guarded(Protocol):
    """What the guards need of the object whose methods they wrap."""

    path: str
    busy_timeout: float
    open: bool
    broken: bool

    @property
    def changes(self) -> int:
        """How many rows the connection has changed so far."""
        ...


W = TypeVar("W", bound=Guarded)


def _ended() -> LeadcoreError:
    return LeadcoreError("this unit of work has ended (committed or rolled back)")


def reading(method: Callable[Concatenate[W, P], T]) -> Callable[Concatenate[W, P], T]:
    """A read of a unit of work: refused once it ended; driver errors translated."""

    def run(self: W, /, *args: P.args, **kwargs: P.kwargs) -> T:
        """The read, guarded."""
        if not self.open:
            raise _ended()
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, UnicodeError) as e:
            raise translate(e, self.path, self.busy_timeout) from e

    update_wrapper(run, method)
    return run


def writing(method: Callable[Concatenate[W, P], T]) -> Callable[Concatenate[W, P], T]:
    """A write of a unit of work: as a read, and a failure of any kind after rows changed
    marks the unit of work broken (it can no longer commit)."""

    def run(self: W, /, *args: P.args, **kwargs: P.kwargs) -> T:
        """The write, guarded."""
        if not self.open:
            raise _ended()
        before = self.changes
        try:
            return method(self, *args, **kwargs)
        except BaseException as e:
            if self.changes != before:
                self.broken = True
            if isinstance(e, sqlite3.Error | UnicodeError):
                raise translate(e, self.path, self.busy_timeout) from e
            raise

    update_wrapper(run, method)
    return run
