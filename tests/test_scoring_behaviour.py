"""Behaviour scoring: points per activity, decay at ``now``, caps; grades, MQL and SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadcore import CompanySize, ValidationError
from leadcore.scoring import (
    Activity,
    ActivityKind,
    BehaviourRule,
    Decay,
    DecayKind,
    Grade,
    ScoreModel,
    Scorer,
    accept_sql,
    apply_score,
    crossed_into_mql,
)
from leadcore.scoring.examples import SPEC_7_1_WITH_BEHAVIOUR
from leadcore.testing import EPOCH, make_lead

NOW = EPOCH + timedelta(days=60)


def days_ago(kind: str, days: float) -> Activity:
    return Activity(kind, NOW - timedelta(days=days))


def behaviour_only(*rules: BehaviourRule, decay: Decay | None = None) -> ScoreModel:
    return ScoreModel(behaviour=rules, decay=decay)


def test_half_life_halves_the_points_every_period() -> None:
    model = behaviour_only(
        BehaviourRule("pricing_page_visit", 10, cap=100, decay=Decay(half_life=timedelta(days=7)))
    )
    scorer = model.compile()
    lead = make_lead("L1")
    fresh = scorer.score(lead, [days_ago("pricing_page_visit", 0)], now=NOW)
    week = scorer.score(lead, [days_ago("pricing_page_visit", 7)], now=NOW)
    fortnight = scorer.score(lead, [days_ago("pricing_page_visit", 14)], now=NOW)
    assert (fresh.total, week.total, fortnight.total) == (10.0, 5.0, 2.5)


def test_linear_decay_loses_points_per_full_idle_period_and_stops_at_zero() -> None:
    model = behaviour_only(
        BehaviourRule("email_open", 3, cap=9), decay=Decay(lose=1, every=timedelta(days=7))
    )
    scorer = model.compile()
    ages = [0, 6.9, 7, 13, 14, 21, 100]
    totals = [
        scorer.score(make_lead("L1"), [days_ago("email_open", a)], now=NOW).total for a in ages
    ]
    assert totals == [3.0, 3.0, 2.0, 2.0, 1.0, 0.0, 0.0]


def test_caps_limit_each_kind_and_unknown_kinds_score_nothing() -> None:
    scorer = behaviour_only(
        BehaviourRule("pricing_page_visit", 10, cap=25), BehaviourRule("email_open", 3, cap=5)
    ).compile()
    activities = [days_ago("pricing_page_visit", 1)] * 4 + [
        days_ago("email_open", 1),
        days_ago("my_host_kind", 1),
    ]
    score = scorer.score(make_lead("L1"), activities, now=NOW)
    assert score.behaviour == 28.0
    visits = score.breakdown.parts[0]
    assert (visits.raw, visits.capped, visits.points) == (40.0, 15.0, 25.0)


def test_activities_after_now_are_ignored() -> None:
    scorer = behaviour_only(BehaviourRule("form_submitted", 6, cap=12)).compile()
    activities = [days_ago("form_submitted", 1), days_ago("form_submitted", -1)]
    assert scorer.score(make_lead("L1"), activities, now=NOW).total == 6.0


def test_host_kinds_and_enum_kinds_are_the_same_strings() -> None:
    scorer = behaviour_only(BehaviourRule(ActivityKind.WEBINAR_ATTENDED, 8, cap=8)).compile()
    activity = Activity(ActivityKind.WEBINAR_ATTENDED, NOW)
    assert activity.kind == "webinar_attended" and type(activity.kind) is str
    assert scorer.score(make_lead("L1"), [activity], now=NOW).total == 8.0
    assert ActivityKind.PRICING_PAGE_VISIT.label == "访问定价页"


def test_naive_times_and_foreign_activities_are_refused() -> None:
    with pytest.raises(ValidationError, match="at: must be timezone-aware"):
        Activity("email_open", datetime(2026, 1, 1))
    scorer = behaviour_only(BehaviourRule("email_open", 3, cap=9)).compile()
    with pytest.raises(ValidationError, match="now: must be timezone-aware"):
        scorer.score(make_lead("L1"), now=datetime(2026, 1, 1))
    other = Activity("email_open", NOW, lead_id="L2")
    with pytest.raises(ValidationError, match=r"activities\[0\].lead_id"):
        scorer.score(make_lead("L1"), [other], now=NOW)


def test_score_many_matches_score_one_by_one() -> None:
    scorer = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR).compile()
    leads = [
        make_lead(f"L{i}", company_size=size, custom_fields={"urgency": "urgent"})
        for i, size in enumerate([CompanySize.LARGE, CompanySize.MEDIUM, None])
    ]
    activities = {
        "L0": [days_ago("pricing_page_visit", 3), days_ago("email_open", 10)],
        "L2": [days_ago("whitepaper_download", 40)],
    }
    many = scorer.score_many(leads, activities, now=NOW)
    one = [scorer.score(lead, activities.get(lead.id, ()), now=NOW) for lead in leads]
    assert many == one
    assert many[1].behaviour == 0.0


def test_the_breakdown_shows_decay_and_renders_in_the_table() -> None:
    scorer = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR).compile()
    lead = make_lead("L1", company_size=CompanySize.LARGE)
    score = scorer.score(lead, [days_ago("pricing_page_visit", 30)], now=NOW)
    part = score.breakdown.parts[-1]
    assert (part.rule, part.raw, part.decay, part.points) == ("pricing_page_visit", 10, 5, 5)
    assert "10 − 5.00 decay" in str(score)
    assert "half-life 30d" in str(score)


GRADED = ScoreModel(
    behaviour=(BehaviourRule("demo_requested", 10, cap=40),),
    grades=(Grade("hot", 30), Grade("warm", 10), Grade("cold", 0)),
    mql_at_least=20,
)


@pytest.mark.parametrize(
    ("demos", "grade", "mql"),
    [(0, "cold", False), (1, "warm", False), (2, "warm", True), (3, "hot", True)],
)
def test_grades_and_mql_follow_the_thresholds(demos: int, grade: str, mql: bool) -> None:
    score = GRADED.compile().score(
        make_lead("L1"), [days_ago("demo_requested", 0)] * demos, now=NOW
    )
    assert (score.grade, score.mql) == (grade, mql)


def test_crossing_into_mql_is_reported_once_and_stamped_on_the_lead() -> None:
    scorer = GRADED.compile()
    lead = make_lead("L1")
    low = scorer.score(lead, [days_ago("demo_requested", 0)], now=NOW)
    high = scorer.score(lead, [days_ago("demo_requested", 0)] * 2, now=NOW)
    assert crossed_into_mql(None, high) and crossed_into_mql(low, high)
    assert not crossed_into_mql(high, high) and not crossed_into_mql(None, low)

    scored, reached = apply_score(lead, low, now=NOW)
    assert (scored.score, scored.grade, scored.mql_at, reached) == (10.0, "warm", None, False)
    mql, reached = apply_score(scored, high, now=NOW)
    assert (mql.score, mql.mql_at, reached) == (20.0, NOW, True)
    fell = attrs.evolve(mql, score=5.0)
    again, reached = apply_score(fell, high, now=NOW + timedelta(days=1))
    assert (again.mql_at, reached) == (NOW, False)


def test_sql_acceptance_is_recorded_once() -> None:
    lead = make_lead("L1")
    accepted, new = accept_sql(lead, now=NOW)
    assert (accepted.sql_at, new) == (NOW, True)
    twice, new = accept_sql(accepted, now=NOW + timedelta(days=1))
    assert (twice.sql_at, new) == (NOW, False)
    with pytest.raises(ValidationError):
        accept_sql(lead, now=datetime(2026, 1, 1))


def test_default_model_decay_applies_unless_a_rule_has_its_own() -> None:
    model = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR)
    assert model.decay_for(model.behaviour[0]) == Decay(half_life=timedelta(days=30))
    assert model.decay_for(model.behaviour[4]).lose == 1
    assert datetime(2026, 1, 1, tzinfo=UTC) < NOW


def test_each_decay_kind_has_one_fade_function() -> None:
    week = timedelta(days=7)
    assert Decay().kind is DecayKind.NONE
    assert Decay(half_life=week).kind is DecayKind.HALF_LIFE
    assert Decay(lose=1, every=week).kind is DecayKind.LOSE_PER_PERIOD
    seconds = week.total_seconds()
    halving = Decay(half_life=week).fade(10)
    assert [halving(n * seconds) for n in (0, 1, 2)] == pytest.approx([10.0, 5.0, 2.5])
    losing = Decay(lose=1, every=week).fade(3)
    assert [losing(n * seconds) for n in (0, 0.9, 1, 2.5, 3, 9)] == [3, 3, 2, 1, 0, 0]
    assert Decay().fade(4)(10 * seconds) == 4
    assert Decay(lose=1, every=week).describe() == "−1 per 7d idle"


def test_a_scorer_compiles_a_model_or_its_sheet_alike() -> None:
    model = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR)
    lead = make_lead("L1", company_size=CompanySize.LARGE)
    activities = [days_ago("pricing_page_visit", 3)]
    scores = [
        scorer.score(lead, activities, now=NOW)
        for scorer in (model.compile(), Scorer(model), Scorer(model.sheet()))
    ]
    assert scores[0] == scores[1] == scores[2]
    assert str(scores[0]) == str(scores[1])
