"""Scoring inputs at the edge: each wrong argument is a ``ValidationError`` naming it, and
what cannot match or grade correctly is refused when the model is built."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadcore import ConfigError, FixedClock, LeadDesk, OrgChart, User, ValidationError
from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType
from leadcore.model import Lead
from leadcore.scoring import (
    Activity,
    BehaviourRule,
    Decay,
    Dimension,
    Grade,
    ProfileCondition,
    ScoreModel,
    accept_sql,
    apply_score,
    crossed_into_mql,
    fit_predictive,
    readiness,
)
from leadcore.scoring.examples import SPEC_7_1_WITH_BEHAVIOUR
from leadcore.storage import MemoryStore

T = datetime(2026, 3, 2, tzinfo=UTC)
LEAD = Lead(id="L", pool_id="p", created_by="a", created_at=T)
SCORER = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR).compile()
RULE = BehaviourRule("a", 1, 1)
PAST = [{"industry": "a", "status": "converted"}] + [
    {"industry": "b", "status": "closed_lost"}
] * 30


def _refused(call: Callable[[], object], field: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.fields[0] == field, caught.value
    return caught.value


def test_learned_grades_need_a_floor_at_0() -> None:
    error = _refused(
        lambda: fit_predictive(PAST, fields=("industry",), grades=[("A", 0.5), ("B", 0.25)]),
        "grades[1].at_least",
    )
    assert "must start at 0" in str(error)
    model = fit_predictive(PAST, fields=("industry",), grades=[("A", 0.5), ("B", 0)])
    assert model.predict({"industry": "b"}).grade == "B"


def test_score_many_and_readiness_refuse_another_leads_activities() -> None:
    other = Activity("pricing_page_visit", T, lead_id="X")
    error = _refused(
        lambda: SCORER.score_many([LEAD], {"L": [other]}, now=T),
        "activities_by_lead['L'][0].lead_id",
    )
    assert "the lead scored is 'L'" in str(error)
    kinds = ("demo_requested", "contract_inquiry", "referral_made")
    _refused(
        lambda: readiness(LEAD, [Activity(k, T, lead_id="X") for k in kinds], now=T),
        "activities[0].lead_id",
    )
    own = [Activity(k, T, lead_id="L") for k in kinds]
    assert readiness(LEAD, own, now=T).suggest_convert
    assert SCORER.score_many([LEAD], {"L": [Activity("pricing_page_visit", T)]}, now=T)[0].behaviour


def test_a_desk_refuses_a_scorer_that_is_not_compiled_and_a_seed_for_rng() -> None:
    org = OrgChart(users=[User("root", roles={"system_admin"}), User("wang")])
    store = MemoryStore()
    model = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR)
    for scorer in (model, {"a": 1}, "scorer"):
        error = _refused(
            lambda s=scorer: LeadDesk(store, FixedClock(T), org, scorer=s),  # type: ignore[misc]
            "scorer",
        )
        assert "model.compile()" in str(error)
    _refused(lambda: LeadDesk(store, FixedClock(T), org, rng=7), "rng")  # type: ignore[arg-type]
    fields = CustomFieldSet(
        [
            CustomField("urgency", FieldType.CHOICE, options=("urgent", "normal")),
            CustomField("interaction", FieldType.CHOICE, options=("high", "low")),
        ]
    )
    LeadDesk(
        store,
        FixedClock(T),
        org,
        scorer=model.compile(),
        custom_fields=fields,
        rng=random.Random(7),
    )


def test_a_desk_refuses_a_scorer_reading_a_custom_field_it_does_not_declare() -> None:
    """A typo in a dimension's custom field would score every lead 0 there, silently."""
    org = OrgChart(users=[User("root", roles={"system_admin"})])
    model = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR)
    only = CustomFieldSet([CustomField("urgency", FieldType.CHOICE, options=("urgent", "normal"))])
    with pytest.raises(ValidationError) as caught:
        LeadDesk(MemoryStore(), FixedClock(T), org, scorer=model.compile(), custom_fields=only)
    assert caught.value.fields == ("scorer.dimensions[3].field",)
    assert "'interaction'" in str(caught.value)


BAD: list[tuple[Callable[[], object], str]] = [
    (lambda: SCORER.score(LEAD, None, now=T), "activities"),  # type: ignore[arg-type]
    (lambda: SCORER.score(LEAD, "abc", now=T), "activities"),  # type: ignore[arg-type]
    (lambda: SCORER.score(LEAD, Activity("a", T), now=T), "activities"),  # type: ignore[arg-type]
    (lambda: SCORER.score(LEAD, [1], now=T), "activities[0]"),  # type: ignore[list-item]
    (lambda: SCORER.score(None, [], now=T), "lead"),  # type: ignore[arg-type]
    (lambda: SCORER.score({"id": "L"}, [], now=T), "lead"),  # type: ignore[arg-type]
    (lambda: SCORER.score_many(None, {}, now=T), "leads"),  # type: ignore[arg-type]
    (lambda: SCORER.score_many([None], {}, now=T), "leads[0]"),  # type: ignore[list-item]
    (lambda: SCORER.score_many([LEAD], [Activity("a", T)], now=T), "activities_by_lead"),  # type: ignore[arg-type]
    (lambda: Decay(half_life=5), "half_life"),  # type: ignore[arg-type]
    (lambda: Decay(half_life="30d"), "half_life"),  # type: ignore[arg-type]
    (lambda: Decay(lose=1, every=7), "every"),  # type: ignore[arg-type]
    (lambda: ScoreModel(dimensions="abc"), "dimensions"),  # type: ignore[arg-type]
    (lambda: ScoreModel(behaviour=[RULE], mql_at_least="5"), "mql_at_least"),  # type: ignore[arg-type]
    (lambda: ScoreModel(behaviour=[RULE], decay={"half_life": {"days": 3}}), "decay"),  # type: ignore[arg-type]
    (lambda: ScoreModel(behaviour=[RULE], grades=[Grade("A", "x"), Grade("D", 0)]), "at_least"),  # type: ignore[arg-type]
    (lambda: BehaviourRule("a", 1, 1, decay={"days": 3}), "decay"),  # type: ignore[arg-type]
    (lambda: ProfileCondition(at_least="x"), "at_least"),  # type: ignore[arg-type]
    (lambda: ProfileCondition(one_of="abc"), "one_of"),  # type: ignore[arg-type]
    (lambda: Dimension(field="region", weight=1.0, values=["a"]), "values"),  # type: ignore[arg-type]
    (lambda: Dimension(field=None, weight=1.0, values={"a": 1}), "field"),  # type: ignore[arg-type]
    (
        lambda: Dimension("budget", 1.0, bands=[{"at_least": 0, "points": 1}]),  # type: ignore[list-item]
        "bands[0]",
    ),
    (lambda: Activity("a", T, data=[1, 2]), "data"),  # type: ignore[arg-type]
    (lambda: Activity("a", T, lead_id=5), "lead_id"),  # type: ignore[arg-type]
    (lambda: apply_score(LEAD, None, now=T), "score"),  # type: ignore[arg-type]
    (lambda: apply_score(None, SCORER.score(LEAD, now=T), now=T), "lead"),  # type: ignore[arg-type]
    (lambda: apply_score(LEAD, SCORER.score(LEAD, now=T), now=datetime(2026, 1, 1)), "now"),
    (lambda: accept_sql(None, now=T), "lead"),  # type: ignore[arg-type]
    (lambda: crossed_into_mql("x", "y"), "before"),  # type: ignore[arg-type]
    (lambda: readiness(LEAD, "abc", now=T), "activities"),  # type: ignore[arg-type]
    (lambda: readiness(LEAD, [], now=T, signals=5), "signals"),  # type: ignore[arg-type]
    (lambda: readiness("L", [], now=T), "lead"),  # type: ignore[arg-type]
    (lambda: readiness(LEAD, [], follow_ups=None), "follow_ups"),  # type: ignore[arg-type]
    (lambda: fit_predictive(None, fields=("industry",)), "records"),  # type: ignore[arg-type]
    (lambda: fit_predictive(PAST, fields=None), "fields"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "field"), BAD)
def test_a_wrong_argument_is_a_validation_error_naming_it(
    call: Callable[[], object], field: str
) -> None:
    _refused(call, field)


def test_score_model_pieces_accept_grade_pairs_and_iterators() -> None:
    pairs: Any = [("A", 0.5), ("D", 0)]
    model = ScoreModel(behaviour=(RULE,), grades=pairs)
    assert model.grades == (Grade("A", 0.5), Grade("D", 0))
    activities = iter([Activity("pricing_page_visit", T - timedelta(days=1))])
    assert SCORER.score(LEAD, activities, now=T).behaviour > 0  # type: ignore[arg-type]


def test_a_range_test_on_a_text_field_is_refused_like_bands() -> None:
    def dimension(field: str, **rule: Any) -> dict[str, Any]:
        return {"dimensions": [{"name": "x", "field": field, "weight": 1.0, **rule}]}

    for field in ("region", "company_size"):
        for bound in ("at_least", "at_most"):
            with pytest.raises(ConfigError) as caught:
                ScoreModel.from_dict(dimension(field, when={bound: 3}, points=3))
            assert caught.value.path == "$.dimensions[0].when"
            assert "is not a number" in str(caught.value)
    ScoreModel.from_dict(dimension("budget", when={"at_least": 3}, points=3))
    ScoreModel.from_dict(dimension("custom_fields.seats", when={"at_most": 3}, points=3))
    ScoreModel.from_dict(dimension("region", when={"equals": "华东"}, points=3))


@pytest.mark.parametrize("setting", ["weight", "default"])
def test_a_dimension_number_no_float_holds_is_named_not_an_overflow(setting: str) -> None:
    from leadcore.scoring import Dimension

    given: dict[str, Any] = {"weight": 0.2, "values": {"制造业": 10}, setting: 10**400}
    with pytest.raises(ValidationError, match=f"{setting}: must be a finite number"):
        Dimension("industry", **given)
