"""Reading a host's org directory as the desk's rules need it.

The directory protocol says that ``user(id)`` (and ``department(id)``, for a directory that
knows departments) raises ``NotFound`` for an id it does not know. Many directories a host
writes are a dict lookup (a ``KeyError``) or a database query that answers ``None``. The desk
reads both as "not known", a ``NotFound`` naming the id, so every operation meets the error the
protocol promises, never a bare ``KeyError`` or an ``AttributeError`` on ``None``. An answer
that is not a ``User`` (or ``Department``) at all is a ``ConfigError`` naming the method and
what came back. Any other error of the directory (its database is down) passes through as it
is. An ``OrgChart`` keeps the promise itself and is used as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from leadcore.errors import ConfigError, NotFound
from leadcore.org import Department, OrgChart, OrgDirectory, User

__all__ = ["HostDirectory", "read_as_promised"]

R = TypeVar("R", User, Department)


def read_as_promised(org: OrgDirectory) -> OrgDirectory:
    """``org`` as the desk reads it: an ``OrgChart`` as it is, a host's directory wrapped in a
    :class:`HostDirectory`."""
    if type(org) is OrgChart or isinstance(org, HostDirectory):
        return org
    return HostDirectory(org)


class HostDirectory:
    """A host's directory whose unknown ids are ``NotFound`` (see the module docstring). It
    has exactly the methods the host's directory has, so a check for a manager or department
    directory sees the host's own shape."""

    __slots__ = ("_org",)

    def __init__(self, org: OrgDirectory) -> None:
        self._org = org

    @property
    def host(self) -> OrgDirectory:
        """The host's own directory."""
        return self._org

    def user(self, user_id: str) -> User:
        """The user with this id; ``NotFound`` if the host's directory does not know them."""
        return _answer(self._org.user, user_id, "user", User)

    def subordinates(self, user_id: str) -> frozenset[str]:
        """See ``OrgDirectory.subordinates``."""
        return self._org.subordinates(user_id)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._org, name)  # AttributeError when the host's has none
        if name == "department" and callable(found):
            return lambda department_id: _answer(found, department_id, "department", Department)
        return found

    def __repr__(self) -> str:
        return f"HostDirectory({self._org!r})"


def _answer(ask: Callable[[str], object], record_id: str, kind: str, expected: type[R]) -> R:
    try:
        found = ask(record_id)
    except NotFound:
        raise
    except LookupError:
        raise NotFound(kind, record_id) from None
    if found is None:
        raise NotFound(kind, record_id)
    if not isinstance(found, expected):
        raise ConfigError(
            f"org.{kind}",
            f"answered {type(found).__name__} for {kind} {record_id!r}, not {expected.__name__}",
        )
    return found
