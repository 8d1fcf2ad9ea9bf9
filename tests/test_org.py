"""The org chart: the department tree and its checks."""

from __future__ import annotations

import pytest

from leadcore import (
    Department,
    NotFound,
    OrgChart,
    User,
    ValidationError,
)


def make_org() -> OrgChart:
    return OrgChart(
        users=[
            User("ceo", department_id="hq"),
            User("east_mgr", department_id="east"),
            User("rep1", department_id="east"),
            User("sh_mgr", department_id="shanghai"),
            User("rep2", department_id="shanghai"),
            User("north_rep", department_id="north"),
        ],
        departments=[
            Department("hq", manager_id="ceo"),
            Department("east", parent_id="hq", manager_id="east_mgr"),
            Department("shanghai", parent_id="east", manager_id="sh_mgr"),
            Department("north", parent_id="hq"),
        ],
    )


def test_subordinates_follow_the_department_tree() -> None:
    org = make_org()
    assert org.subordinates("east_mgr") == {"rep1", "sh_mgr", "rep2"}
    assert org.subordinates("sh_mgr") == {"rep2"}
    assert org.subordinates("ceo") == {"east_mgr", "rep1", "sh_mgr", "rep2", "north_rep"}
    assert org.subordinates("rep1") == frozenset()
    with pytest.raises(NotFound):
        org.user("nobody")


def test_org_chart_refuses_cycles_and_unknown_parents() -> None:
    with pytest.raises(ValidationError) as caught:
        OrgChart(
            users=[User("u", department_id="ghost")],
            departments=[
                Department("a", parent_id="b"),
                Department("b", parent_id="a"),
                Department("c", parent_id="zz"),
            ],
        )
    assert set(caught.value.fields) == {
        "departments[a].parent_id",
        "departments[b].parent_id",
        "departments[c].parent_id",
        "users[u].department_id",
    }


@pytest.mark.parametrize("users", ["carol", None, {"a": User("a")}, [User("a"), "bob"]])
def test_an_org_chart_of_anything_but_users_is_refused_by_name(users: object) -> None:
    with pytest.raises(ValidationError, match="users"):
        OrgChart(users=users)  # type: ignore[arg-type]
