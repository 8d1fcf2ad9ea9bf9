"""Conditions pools react to on later edits: tests on lead fields, firing only on a transition
into the condition, loading from data with every bad path named."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import Action, ConfigError, Lead, LeadStatus, ValidationError
from leadcore.conditions import ConditionAction, FieldTest, LeadCondition, load_conditions

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEAD = Lead(
    id="L1",
    pool_id="p",
    created_by="x",
    created_at=T0,
    status=LeadStatus.ASSIGNED,
    owner_id="wang",
    region="华东",
    custom_fields={"tags": ("展会", "复购")},
)


def test_tests_read_fields_custom_fields_and_score_ranges() -> None:
    assert FieldTest("region", {"华东", "华南"}).holds(LEAD)
    assert not FieldTest("region", {"华北"}).holds(LEAD)
    assert FieldTest("status", {"assigned"}).holds(LEAD)
    assert FieldTest("custom.tags", {"复购"}).holds(LEAD)
    assert not FieldTest("custom.missing", {"x"}).holds(LEAD)
    assert not FieldTest("score", max=20).holds(LEAD)  # no score: never passes
    assert FieldTest("score", max=20).holds(attrs.evolve(LEAD, score=10.0))
    assert FieldTest("score", min=10, max=20).describe() == "10<=score<20"


@given(
    st.sampled_from(["华东", "华北", None]),
    st.sampled_from(["华东", "华北", None]),
    st.sampled_from(list(LeadStatus)[:3]),
)
def test_a_condition_fires_exactly_on_a_transition_into_it(
    before: str | None, after: str | None, status: LeadStatus
) -> None:
    condition = LeadCondition("north", [FieldTest("region", {"华北"})], "return_to_pool")
    old = attrs.evolve(LEAD, region=before)
    new = attrs.evolve(LEAD, region=after)
    assert condition.fires(old, new) == (after == "华北" and before != "华北")
    assert not condition.fires(None, new)  # a new lead: conditions react to later edits


def test_actions_are_the_lifecycles_and_the_reason_defaults_to_the_condition() -> None:
    assert ConditionAction.RETURN_TO_POOL.action is Action.RECYCLE
    assert ConditionAction.parse("关闭") is ConditionAction.CLOSE_LOST
    condition = LeadCondition("north", [FieldTest("region", {"华北"})], "invalidate")
    assert condition.why() == "condition north: region=华北"
    assert LeadCondition("n", condition.when, "close_lost", "换区域").why() == "换区域"


def test_conditions_load_from_toml() -> None:
    loaded = load_conditions(
        """
        [moved_north]
        when = { region = ["华北", "东北"] }
        then = "return_to_pool"

        [cold]
        when = { stage = "意向跟进", score = { max = 20 } }
        then = "close_lost"
        reason = "意向跟进阶段评分过低"
        """
    )
    assert loaded["moved_north"].describe() == "region=东北|华北"
    assert loaded["cold"].then is ConditionAction.CLOSE_LOST
    assert (
        load_conditions('{"a": {"when": {"region": "x"}, "then": "invalidate"}}')["a"].name == "a"
    )


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"a": {"when": {"regoin": "华北"}, "then": "close_lost"}}, "$.a.when.regoin"),
        ({"a": {"when": {"region": []}, "then": "close_lost"}}, "$.a.when.region"),
        ({"a": {"when": {"region": {"x": 1}}, "then": "close_lost"}}, "$.a.when.region"),
        ({"a": {"when": {"score": {"min": "high"}}, "then": "close_lost"}}, "$.a.when.score.min"),
        (
            {"a": {"when": {"score": {"min": 5, "max": 1}}, "then": "close_lost"}},
            "$.a.when.score.max",
        ),
        ({"a": {"when": {"region": "x"}, "then": "explode"}}, "$.a.then"),
        ({"a": {"when": {"region": "x"}}}, "$.a.then"),
        ({"a": {"then": "close_lost"}}, "$.a.when"),
        ({"a": {"when": {"region": "x"}, "then": "close_lost", "reason": " "}}, "$.a.reason"),
        ({"a": {"when": {"region": "x"}, "then": "close_lost", "colour": 1}}, "$.a.colour"),
        ({"a": 3}, "$.a"),
    ],
)
def test_bad_conditions_name_the_path_at_fault(data: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_conditions(data)
    assert any(p.field == path for p in raised.value.problems), raised.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        load_conditions({"a": {"when": {"regoin": 1}, "then": 2}, "b": {}})
    assert {p.field for p in raised.value.problems} == {
        "$.a.when.regoin",
        "$.a.then",
        "$.b.when",
        "$.b.then",
    }


def test_conditions_built_in_code_are_checked() -> None:
    with pytest.raises(ValidationError, match="when"):
        LeadCondition("empty", [], "close_lost")
    with pytest.raises(ValidationError, match="then"):
        LeadCondition("bad", [FieldTest("region", {"x"})], "explode")
    with pytest.raises(ValidationError, match="field"):
        FieldTest("phone", {"1"})


def test_a_status_test_reads_values_names_and_labels() -> None:
    assert FieldTest("status", {"跟进中", "ASSIGNED"}).values == {"following", "assigned"}


@given(st.text(min_size=1, max_size=12).filter(lambda t: t.strip()))
def test_a_status_no_lead_can_have_is_refused(text: str) -> None:
    try:
        LeadStatus.parse(text)
    except ValidationError:
        with pytest.raises(ValidationError) as caught:
            FieldTest("status", {text})
        assert caught.value.fields == ("values",)
