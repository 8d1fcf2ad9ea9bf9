"""A list of wrong items is refused naming every bad item at once (``field[i]`` each), not
only the first; a huge list of them is refused quickly; and the random queries the store
contract draws test each criterion nearly alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, find, given, settings

from leadcore import (
    FixedClock,
    LeadDesk,
    LeadFilter,
    LeadQuery,
    LeadStatus,
    MemoryStore,
    OrgChart,
    Pool,
    User,
    ValidationError,
    checks,
)
from leadcore.org import Department
from leadcore.scoring import ReadinessSignal
from leadcore.testing.strategies import lead_queries

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
CRITERIA = (*(f.name for f in attrs.fields(LeadFilter)), "any_of")
"""Every criterion of a query: the filter's fields and its reaches."""


def _wrong(*items: object) -> Any:
    """A list as a user passes it, whatever the signature says goes there."""
    return list(items)


def _refusal(call: Callable[[], object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


@pytest.fixture
def desk() -> LeadDesk:
    org = OrgChart(users=[User("root", roles={"system_admin"}), User("wang"), User("li")])
    desk = LeadDesk(MemoryStore(), FixedClock(T0), org)
    desk.create_pool("root", Pool(id="east", name="华东", members={"wang", "li"}, admins={"root"}))
    return desk


# --- every bad item is named --------------------------------------------------------------------
def test_a_query_names_every_wrong_status() -> None:
    error = _refusal(lambda: LeadQuery(statuses=["x", "assigned", "y"]))
    assert error.fields == ("statuses[0]", "statuses[2]")
    assert "'y' is not a lead status" in str(error)


def test_one_wrong_status_keeps_its_message() -> None:
    error = _refusal(lambda: LeadQuery(statuses=["x"]))
    assert [str(p) for p in error.problems] == [
        "statuses[0]: 'x' is not a lead status; expected one of: unassigned, assigned, "
        "following, converted, invalid, closed_lost, merged"
    ]


def test_a_view_names_every_wrong_status(desk: LeadDesk) -> None:
    error = _refusal(lambda: desk.leads("root", view="all", statuses=["x", "y"]))
    assert error.fields == ("statuses[0]", "statuses[1]")


def test_any_of_names_every_item_that_is_not_a_filter() -> None:
    error = _refusal(lambda: LeadQuery(any_of=[1, LeadFilter(owner_id="u1"), "mine"]))
    assert error.fields == ("any_of[0]", "any_of[2]")
    assert str(error.problems[0]) == "any_of[0]: must be one of LeadFilter criteria, not 1"


def test_reading_many_leads_names_every_bad_id(desk: LeadDesk) -> None:
    error = _refusal(lambda: desk.get_many("root", _wrong("", "L1", 3, None)))
    assert error.fields == ("lead_ids[0]", "lead_ids[2]", "lead_ids[3]")


def test_a_batch_names_every_bad_id_and_runs_none(desk: LeadDesk) -> None:
    lead = desk.create("root", "east", company="星河", phone="13800138000")
    before = desk.get("root", lead.id)
    error = _refusal(lambda: desk.batch_assign("root", _wrong(lead.id, " ", 7), "wang"))
    assert error.fields == ("lead_ids[1]", "lead_ids[2]")
    assert desk.get("root", lead.id) == before


def test_collaborators_name_every_bad_user_id(desk: LeadDesk) -> None:
    lead = desk.create("root", "east", company="星河", phone="13800138000")
    desk.assign("root", lead.id, "wang")
    error = _refusal(lambda: desk.add_collaborators("wang", lead.id, _wrong("", "li", 5)))
    assert error.fields == ("user_ids[0]", "user_ids[2]")


def test_access_requests_name_every_wrong_action(desk: LeadDesk) -> None:
    lead = desk.create("root", "east", company="星河", phone="13800138000")
    error = _refusal(
        lambda: desk.request_access(
            "wang", lead.id, reason="协助", actions=_wrong("x", "y"), hours=1
        )
    )
    assert [f for f in error.fields if f.startswith("actions")] == ["actions[0]", "actions[1]"]


def test_every_check_of_a_list_names_every_bad_item() -> None:
    def items() -> Iterator[object]:  # read once, like any iterable a host may pass
        yield from ("", "ok", 3)

    assert _refusal(lambda: checks.identifiers(items(), "ids")).fields == ("ids[0]", "ids[2]")
    assert _refusal(lambda: checks.identifier_list(["a", None, " "], "ids")).fields == (
        "ids[1]",
        "ids[2]",
    )
    signals = _refusal(lambda: checks.choices(ReadinessSignal, ["no", "nope"], "signals"))
    assert signals.fields == ("signals[0]", "signals[1]")
    found = _refusal(lambda: checks.instances([1, "a", 2.5], int, "counts", "whole numbers"))
    assert found.fields == ("counts[1]", "counts[2]")


def test_a_list_of_only_bad_ids_is_not_also_called_empty() -> None:
    error = _refusal(lambda: checks.identifiers(["", None], "user_ids", allow_empty=False))
    assert error.fields == ("user_ids[0]", "user_ids[1]")


def test_good_lists_come_back_as_before() -> None:
    assert checks.identifiers(("a", "b", "a"), "ids") == frozenset({"a", "b"})
    assert checks.identifier_list(iter(["b", "a", "b"]), "ids") == ["b", "a", "b"]
    assert checks.choices(LeadStatus, ["assigned", LeadStatus.MERGED], "s") == frozenset(
        {LeadStatus.ASSIGNED, LeadStatus.MERGED}
    )
    assert checks.instances({3}, int, "n", "numbers") == (3,)


# --- values a message cannot write out -----------------------------------------------------------
class _Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize("value", [10**5000, _Unprintable()], ids=["huge-int", "broken-repr"])
def test_an_item_that_cannot_be_written_out_is_still_refused_by_name(value: object) -> None:
    error = _refusal(lambda: LeadQuery(any_of=[value]))
    assert error.fields == ("any_of[0]",) and "too long to show" in str(error)
    assert _refusal(lambda: LeadQuery(statuses=value)).fields == ("statuses",)


# --- a huge list of wrong items ----------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda items: LeadQuery(statuses=items),
        lambda items: checks.identifier_list(items, "lead_ids"),
        lambda items: checks.identifiers(items, "lead_ids"),
        lambda items: checks.instances(items, LeadFilter, "any_of", "LeadFilter criteria"),
    ],
    ids=["choices", "identifier_list", "identifiers", "instances"],
)
def test_a_million_wrong_items_are_refused_quickly_with_a_short_message(
    call: Callable[[list[object]], object],
) -> None:
    error = _refusal(lambda: call([""] * 1_000_000))
    assert len(error.problems) == 21 and len(str(error)) < 5_000
    field = error.problems[0].field.split("[")[0]
    assert str(error.problems[-1]) == (
        f"{field}: has more bad items from {field}[20] on; only the first 20 are named"
    )


def test_twenty_wrong_items_are_all_named_without_a_note() -> None:
    error = _refusal(lambda: LeadQuery(statuses=["x"] * 20))
    assert error.fields == tuple(f"statuses[{i}]" for i in range(20))


# --- the contract's random queries ---------------------------------------------------------------
def _criteria(query: LeadQuery) -> list[str]:
    return [name for name in CRITERIA if getattr(query, name) is not None]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(lead_queries())
def test_a_random_query_carries_at_most_three_criteria(query: LeadQuery) -> None:
    assert len(_criteria(query)) <= 3


@pytest.mark.parametrize("name", CRITERIA)
def test_every_criterion_is_drawn_alone(name: str) -> None:
    alone = settings(database=None, max_examples=5_000)
    found = find(lead_queries(), lambda q: _criteria(q) == [name], settings=alone)
    assert getattr(found, name) is not None


def test_any_of_with_several_reaches_and_other_criteria_is_drawn() -> None:
    found = find(
        lead_queries(),
        lambda q: q.any_of is not None and len(q.any_of) >= 2 and len(_criteria(q)) == 3,
        settings=settings(database=None, max_examples=2_000),
    )
    assert len(found.any_of or ()) >= 2


# --- single values a message cannot write out ----------------------------------------------------
@pytest.mark.parametrize("value", [10**5000, _Unprintable()], ids=["huge-int", "broken-repr"])
def test_a_switch_that_cannot_be_written_out_is_refused_by_name(
    desk: LeadDesk, value: object
) -> None:
    lead = desk.create("root", "east", company="星河", phone="13800138000")
    error = _refusal(lambda: desk.get("root", lead.id, follow_merge=_wrong(value)[0]))
    assert error.fields == ("follow_merge",) and "too long to show" in str(error)


def test_a_huge_number_of_hours_is_refused_by_name(desk: LeadDesk) -> None:
    lead = desk.create("root", "east", company="星河", phone="13800138000")
    error = _refusal(
        lambda: desk.request_access(
            "wang", lead.id, reason="协助", actions=_wrong("view"), hours=10**5000
        )
    )
    assert error.fields == ("hours",) and "too long to show" in str(error)


def test_a_huge_text_for_a_switch_gives_a_short_message(desk: LeadDesk) -> None:
    lead = desk.create("root", "east", company="星河", phone="13800138000")
    error = _refusal(lambda: desk.get("root", lead.id, follow_merge=_wrong("x" * 100_000)[0]))
    assert error.fields == ("follow_merge",) and len(str(error)) < 200


def test_a_huge_kept_id_with_a_space_is_called_too_long_not_shown_whole() -> None:
    huge = Department("x" * 100_000 + " ", "华东")
    error = _refusal(lambda: OrgChart(users=[User("u1")], departments=[huge]))
    assert [str(p) for p in error.problems] == [
        "departments[0].id: must be at most 200 characters, not 100001"
    ]
    assert checks.id_problem(" east") == "must not begin or end with spaces (use 'east')"


# --- every list check, every caller -----------------------------------------------------------
def test_a_follow_up_names_every_bad_mention(desk: LeadDesk) -> None:
    lead = desk.create("root", "east", contact_name="王", phone="13800138000", owner_id="wang")
    mentions: list[Any] = ["", 3, "li"]
    error = _refusal(
        lambda: desk.follow_up(
            "wang", lead.id, method="phone", content="c", result="r", mentions=mentions
        )
    )
    assert error.fields[:2] == ("mentions[0]", "mentions[1]")


def test_a_million_bad_query_ids_are_refused_with_a_short_message() -> None:
    error = _refusal(lambda: LeadQuery(ids=[1] * 10**6))
    assert len(error.problems) == 21 and len(str(error)) < 2_000


@pytest.mark.parametrize("user_id", ["bob ", " bob", "x" * 300, "b\u200bob"])
def test_a_user_id_no_call_could_reach_is_refused(user_id: str) -> None:
    # Calls trim the ids they are given: a user "bob " could never act as themselves.
    assert _refusal(lambda: User(user_id)).fields == ("id",)


def test_a_pools_huge_id_is_not_written_out_whole_in_its_error() -> None:
    assert len(str(_refusal(lambda: Pool(id="p" * 100_000, name="P")))) < 300
