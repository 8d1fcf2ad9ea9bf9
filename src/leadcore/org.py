"""Users, departments and the hierarchy behind "my subordinates' leads" (我下属的线索)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from leadcore import checks
from leadcore.checks import id_problem, not_an_id
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.signatures import checked_constructor

__all__ = [
    "Department",
    "DepartmentDirectory",
    "ManagerDirectory",
    "OrgChart",
    "OrgDirectory",
    "User",
]


GLOBAL_ROLES: Final = frozenset({"system_admin"})
"""The global roles a ``User`` may hold: ``system_admin`` (系统管理员)."""


def _frozen_roles(roles: Iterable[str]) -> frozenset[str]:
    if isinstance(roles, str | bytes) or not isinstance(roles, Iterable):
        raise ValidationError(
            [FieldProblem("roles", f'must be a collection like ["system_admin"], not {roles!r}')]
        )
    found = frozenset(roles)
    unknown = sorted(str(r) for r in found - GLOBAL_ROLES)
    if unknown:
        raise ValidationError(
            [
                FieldProblem(
                    "roles",
                    f"{', '.join(map(repr, unknown))} is not a global role; known: "
                    f"{', '.join(sorted(GLOBAL_ROLES))}",
                )
            ]
        )
    return found


@checked_constructor
@attrs.frozen(slots=True)
class User:
    """A person using the CRM. ``roles`` holds global roles such as ``"system_admin"``."""

    id: str
    name: str = ""
    department_id: str | None = None
    active: bool = True
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_roles)

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.id, str) or not self.id.strip():
            problems.append(FieldProblem("id", "must be a non-blank id"))
        elif (wrong := id_problem(self.id)) is not None:
            # Calls trim the ids they are given: "bob " could never act.
            problems.append(FieldProblem("id", wrong))
        if not isinstance(self.name, str):
            problems.append(FieldProblem("name", "must be text"))
        if not isinstance(self.active, bool):
            problems.append(FieldProblem("active", f"must be True or False, not {self.active!r}"))
        if problems:
            raise ValidationError(problems, subject="user")


@checked_constructor
@attrs.frozen(slots=True)
class Department:
    """A unit of the organisation; ``manager_id`` sees the leads of everyone below it.

    An ``OrgChart`` checks its departments: the id non-blank text, the name text, the parent a
    known department and the manager a known user (or None)."""

    id: str
    name: str = ""
    parent_id: str | None = None
    manager_id: str | None = None


@runtime_checkable
class OrgDirectory(Protocol):
    """Where the library learns who users are and who reports to whom. The host may plug in its own."""

    def user(self, user_id: str) -> User:
        """The user with this id; raises ``NotFound`` if there is none."""
        ...

    def subordinates(self, user_id: str) -> frozenset[str]:
        """Ids of the users in every department the user manages and all departments below them,
        the user excluded; empty for someone who manages nothing or an unknown user."""
        ...


@runtime_checkable
class ManagerDirectory(Protocol):
    """An org directory that also knows each user's manager (escalation steps notify them)."""

    def manager_of(self, user_id: str) -> str | None:
        """The user's manager: the manager of their department, or of the nearest department
        above it with a manager other than the user; None when there is none or the user is
        unknown."""
        ...


@runtime_checkable
class DepartmentDirectory(Protocol):
    """An org directory that also knows the departments (the desk then refuses a
    ``department_id`` it does not know, in ``assign`` and ``change_owner``)."""

    def department(self, department_id: str) -> Department:
        """The department with this id; raises ``NotFound`` if there is none."""
        ...


@checked_constructor
class OrgChart:
    """The default in-memory org directory, built from users and departments.

    Raises ``ValidationError`` if a department's parent is unknown or the parents form a cycle,
    or if an id repeats.
    """

    def __init__(self, users: Iterable[User] = (), departments: Iterable[Department] = ()) -> None:
        self._users: dict[str, User] = {}
        self._departments: dict[str, Department] = {}
        problems: list[FieldProblem] = []
        users = _listed(users, "users", problems)
        departments = _listed(departments, "departments", problems)
        for i, u in enumerate(users):
            if not isinstance(u, User):
                problems.append(FieldProblem(f"users[{i}]", f"must be a User, not {_kind(u)}"))
            elif u.id in self._users:
                problems.append(FieldProblem(f"users[{u.id}]", "repeats a user id"))
            else:
                self._users[u.id] = u
        for i, d in enumerate(departments):
            if not isinstance(d, Department):
                problems.append(
                    FieldProblem(f"departments[{i}]", f"must be a Department, not {_kind(d)}")
                )
                continue
            found = _department_problems(d, f"departments[{i}]")
            if not found and d.manager_id is not None and d.manager_id not in self._users:
                problems.append(  # still filed, so its members are not also reported
                    FieldProblem(
                        f"departments[{i}].manager_id",
                        f"unknown user {d.manager_id!r}: name one of the org's users, or None",
                    )
                )
            if found:
                problems.extend(found)
            elif d.id in self._departments:
                problems.append(FieldProblem(f"departments[{d.id}]", "repeats a department id"))
            else:
                self._departments[d.id] = d
        problems.extend(self._check_tree())
        if problems:
            raise ValidationError(problems, subject="org chart")
        self._children: dict[str, list[str]] = {}
        for d in self._departments.values():
            if d.parent_id is not None:
                self._children.setdefault(d.parent_id, []).append(d.id)
        self._members: dict[str, list[str]] = {}
        for u in self._users.values():
            if u.department_id is not None:
                self._members.setdefault(u.department_id, []).append(u.id)
        self._subordinates_cache: dict[str, frozenset[str]] = {}

    def _check_tree(self) -> list[FieldProblem]:
        problems = []
        for d in self._departments.values():
            if d.parent_id is not None and d.parent_id not in self._departments:
                problems.append(
                    FieldProblem(
                        f"departments[{d.id}].parent_id", f"unknown department {d.parent_id!r}"
                    )
                )
            seen = {d.id}
            parent = d.parent_id
            while parent is not None and parent in self._departments:
                if parent in seen:
                    problems.append(
                        FieldProblem(f"departments[{d.id}].parent_id", "parents form a cycle")
                    )
                    break
                seen.add(parent)
                parent = self._departments[parent].parent_id
        for u in self._users.values():
            if u.department_id is not None and u.department_id not in self._departments:
                problems.append(
                    FieldProblem(
                        f"users[{u.id}].department_id", f"unknown department {u.department_id!r}"
                    )
                )
        return problems

    @property
    def users(self) -> Mapping[str, User]:
        """Every user by id."""
        return self._users

    @property
    def departments(self) -> Mapping[str, Department]:
        """Every department by id."""
        return self._departments

    def user(self, user_id: str) -> User:
        """The user with this id; raises ``NotFound`` if there is none."""
        try:
            return self._users[user_id]
        except KeyError:
            raise NotFound("user", user_id) from None
        except TypeError:  # an unhashable id: no user has it, and it is not an id
            raise not_an_id("user_id", user_id) from None

    def department(self, department_id: str) -> Department:
        """The department with this id; raises ``NotFound`` if there is none."""
        try:
            return self._departments[department_id]
        except KeyError:
            raise NotFound("department", department_id) from None
        except TypeError:
            raise not_an_id("department_id", department_id) from None

    def manager_of(self, user_id: str) -> str | None:
        """See ``ManagerDirectory.manager_of``."""
        user = self._users.get(checks.identifier(user_id, "user_id"))
        department = None if user is None else user.department_id
        while department is not None and department in self._departments:
            found = self._departments[department]
            if found.manager_id is not None and found.manager_id != user_id:
                return found.manager_id
            department = found.parent_id
        return None

    def subordinates(self, user_id: str) -> frozenset[str]:
        """Users in the departments ``user_id`` manages and all departments below, minus the user."""
        cached = self._subordinates_cache.get(checks.identifier(user_id, "user_id"))
        if cached is not None:
            return cached
        found: set[str] = set()
        stack = [d.id for d in self._departments.values() if d.manager_id == user_id]
        seen: set[str] = set()
        while stack:
            dept = stack.pop()
            if dept in seen:
                continue
            seen.add(dept)
            found.update(self._members.get(dept, ()))
            manager = self._departments[dept].manager_id
            if manager is not None:
                found.add(manager)
            stack.extend(self._children.get(dept, ()))
        found.discard(user_id)
        result = frozenset(found)
        self._subordinates_cache[user_id] = result
        return result


def _department_problems(d: Department, path: str) -> list[FieldProblem]:
    """What is wrong with ``d``'s own fields, each named under ``path``."""
    problems = []
    bad = id_problem(d.id)
    if bad is not None:
        shown = f" (got {_kind(d.id)})" if not isinstance(d.id, str) else ""
        problems.append(FieldProblem(f"{path}.id", f"{bad}{shown}"))
    if not isinstance(d.name, str):
        problems.append(FieldProblem(f"{path}.name", f"must be text, not {_kind(d.name)}"))
    for field in ("parent_id", "manager_id"):
        value = getattr(d, field)
        bad = None if value is None else id_problem(value)
        if bad is not None:
            problems.append(FieldProblem(f"{path}.{field}", f"{bad}, or None"))
    return problems


def _listed(values: object, field: str, problems: list[FieldProblem]) -> list[Any]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        problems.append(FieldProblem(field, f"must be a list, not {_kind(values)}"))
        return []
    return list(values)


def _kind(value: object) -> str:
    return type(value).__name__
