"""The quick paths that keep assignment fast give what the full checks give: a team's users
are taken as they are, everything else is still read item by item, and a wrong value is still
refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol, runtime_checkable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import Pool, ValidationError, checks
from leadcore.assignment import Choice, Needs, Team
from leadcore.assignment.choice import TeamUsers


def test_a_team_checks_its_users_once_and_choices_and_needs_take_them_as_they_are() -> None:
    team = Team(["u1", "u2", "u1"], scope="p1", label="p1")
    assert type(team.users) is TeamUsers
    assert team.users == ("u1", "u2")
    assert Team(team.users, scope="p1/t", label="t").users is team.users
    choice = Choice("u1", "next", strategy="rr", candidates=team.users)
    assert choice.candidates is team.users
    assert Needs(team.users).users == frozenset({"u1", "u2"})


def test_a_team_still_refuses_users_that_are_not_ids() -> None:
    with pytest.raises(ValidationError, match=r"users\[1\]"):
        Team(["u1", 2], scope="p1", label="p1")


@pytest.mark.parametrize("given", [["u1", 2], "u1", None, [""], {"u1": 1}])
def test_team_users_made_by_hand_are_checked_too(given: object) -> None:
    with pytest.raises(ValidationError, match="users"):
        TeamUsers(given)


def test_team_users_keep_their_order_once_each_and_survive_a_copy() -> None:
    import copy
    import pickle

    users = TeamUsers(["b", "a", "b"])
    assert users == ("b", "a")
    assert pickle.loads(pickle.dumps(users)) == users
    assert type(copy.deepcopy(users)) is TeamUsers


class _Text(str):
    """A ``str`` subclass: text for every check."""


@given(st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=6))
def test_all_text_is_every_item_a_str(items: list[object]) -> None:
    assert checks.all_text(items) is all(isinstance(i, str) for i in items)
    assert checks.all_text(tuple(items)) is all(isinstance(i, str) for i in items)


def test_all_text_takes_str_subclasses() -> None:
    assert checks.all_text([_Text("a"), "b"])


@pytest.mark.parametrize(
    "values",
    [["u1", 2], ("u1", None), {"u1", 3}, frozenset({b"u1"})],
)
def test_needs_still_name_an_id_that_is_not_text(values: Any) -> None:
    with pytest.raises(ValidationError, match="users"):
        Needs(values)


def test_a_choice_still_names_state_keys_and_exclusions_that_are_wrong() -> None:
    with pytest.raises(ValidationError, match=r"state_updates\[1\]"):
        Choice("u1", "r", strategy="s", state_updates={1: "x"})
    with pytest.raises(ValidationError, match="excluded: must be a mapping"):
        Choice("u1", "r", strategy="s", excluded=["u2"])
    with pytest.raises(ValidationError, match="candidates"):
        Choice("u1", "r", strategy="s", candidates=("u1", 2))


def test_aware_keeps_a_utc_time_and_converts_any_other_zone() -> None:
    now = datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert checks.aware(now, "now") is now
    shanghai = now.astimezone(timezone(timedelta(hours=8)))
    assert checks.aware(shanghai, "now") == now
    assert checks.aware(shanghai, "now").tzinfo is UTC
    with pytest.raises(ValidationError, match="now: must be timezone-aware"):
        checks.aware(datetime(2026, 1, 1), "now")


class _SubPool(Pool):
    """A subclass of ``Pool``: still one."""


def test_instances_takes_subclasses_and_names_the_first_wrong_item() -> None:
    pool = Pool(id="p1", name="Pool 1")
    sub = _SubPool(id="p2", name="Pool 2")
    assert checks.instances([pool, sub], Pool, "pools", "Pool records") == (pool, sub)
    with pytest.raises(ValidationError, match=r"pools\[1\]: must be one of Pool records"):
        checks.instances([pool, "p2"], Pool, "pools", "Pool records")


@runtime_checkable
class _Reads(Protocol):
    def read(self) -> None: ...


class _Reader:
    def read(self) -> None:
        """What ``_Reads`` asks for."""


def test_conforms_remembers_only_a_class_that_conforms() -> None:
    class Late:
        pass

    late = Late()
    assert not checks.conforms(late, _Reads)
    Late.read = lambda self: None  # type: ignore[attr-defined]
    assert checks.conforms(late, _Reads)
    assert checks.conforms(_Reader(), _Reads)
    assert not checks.conforms(object(), _Reads)
