"""A host's own org directory that says "unknown" its own way (a ``KeyError`` from a dict, a
``None`` from a query) still meets the error the protocol promises, and the store is left as
it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from leadcore import (
    ConfigError,
    Department,
    FixedClock,
    LeadcoreError,
    LeadDesk,
    MemoryStore,
    NotFound,
    OrgChart,
    Pool,
    User,
)
from leadcore.desk.directory import HostDirectory, read_as_promised
from leadcore.org import DepartmentDirectory, ManagerDirectory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = [User("root", roles={"system_admin"}), User("wang", department_id="east")]


class DictDirectory:
    """A directory over a dict: an unknown id raises ``KeyError`` (or, with ``none``, answers
    ``None``, as an ORM's ``get`` does)."""

    def __init__(self, *, none: bool = False, answer: object = None) -> None:
        self.users = {u.id: u for u in USERS}
        self.none = none
        self.answer = answer

    def user(self, user_id: str) -> User:
        if self.answer is not None:
            return self.answer  # type: ignore[return-value]
        if self.none:
            return self.users.get(user_id)  # type: ignore[return-value]
        return self.users[user_id]

    def subordinates(self, user_id: str) -> frozenset[str]:
        return frozenset()


class DepartmentsToo(DictDirectory):
    """A directory that knows departments by a dict too."""

    def department(self, department_id: str) -> Department:
        return {"east": Department("east", "华东")}[department_id]


def _desk(org: object) -> tuple[LeadDesk, str]:
    desk = LeadDesk(MemoryStore(), FixedClock(T0), org)  # type: ignore[arg-type]
    desk.create_pool("root", Pool(id="p", name="池", admins={"root"}, members={"wang"}))
    return desk, desk.create("root", "p", company="甲公司", phone="13800138000").id


OPERATIONS: dict[str, Callable[[LeadDesk, str], object]] = {
    "an unknown actor creates": lambda d, _: d.create(
        "ghost", "p", company="乙", phone="13900139000"
    ),
    "assign to an unknown user": lambda d, lead: d.assign("root", lead, "ghost"),
    "an unknown pool default owner": lambda d, _: d.create_pool(
        "root", Pool(id="q", name="q", default_owner_id="ghost")
    ),
    "an unknown user's away periods": lambda d, _: d.set_away("root", "ghost", []),
    "an unknown actor reads": lambda d, lead: d.get("ghost", lead),
}


@pytest.mark.parametrize("none", [False, True], ids=["KeyError", "None"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=list(OPERATIONS))
def test_an_unknown_user_is_a_leadcore_error_and_nothing_changes(
    operation: str, none: bool
) -> None:
    desk, _lead = _desk(DictDirectory(none=none))
    before = _events(desk)
    with pytest.raises(LeadcoreError) as raised:
        OPERATIONS[operation](desk, _lead)
    assert "ghost" in str(raised.value)
    assert _events(desk) == before


def _events(desk: LeadDesk) -> int:
    with desk.store.unit_of_work() as uow:
        return len(uow.events_since(0))


def test_the_directory_itself_answers_not_found() -> None:
    for none in (False, True):
        org = read_as_promised(DictDirectory(none=none))
        with pytest.raises(NotFound) as raised:
            org.user("ghost")
        assert (raised.value.kind, raised.value.id) == ("user", "ghost")
        assert org.user("wang").department_id == "east"


def test_an_answer_that_is_not_a_user_names_the_method() -> None:
    org = read_as_promised(DictDirectory(answer={"id": "wang"}))
    with pytest.raises(ConfigError) as raised:
        org.user("wang")
    assert raised.value.path == "org.user"
    assert "answered dict for user 'wang', not User" in str(raised.value)


def test_other_errors_of_the_directory_pass_through() -> None:
    class Down(DictDirectory):
        def user(self, user_id: str) -> User:
            raise ConnectionError("directory database is down")

    with pytest.raises(ConnectionError):
        read_as_promised(Down()).user("wang")


def test_an_unknown_department_of_a_host_directory_is_refused_by_name() -> None:
    desk, lead = _desk(DepartmentsToo())
    with pytest.raises(LeadcoreError) as raised:
        desk.assign("root", lead, "wang", department_id="west")
    assert "there is no department 'west'" in str(raised.value)
    assert desk.assign("root", lead, "wang", department_id="east").department_id == "east"


def test_the_wrapped_directory_keeps_the_hosts_shape() -> None:
    plain, with_departments = read_as_promised(DictDirectory()), read_as_promised(DepartmentsToo())
    assert not isinstance(plain, DepartmentDirectory)
    assert isinstance(with_departments, DepartmentDirectory)
    assert not isinstance(plain, ManagerDirectory)
    assert isinstance(plain, HostDirectory) and isinstance(plain.host, DictDirectory)
    chart = OrgChart(users=USERS, departments=[Department("east", "华东")])
    assert read_as_promised(chart) is chart
    assert read_as_promised(plain) is plain
