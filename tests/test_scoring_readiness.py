"""Conversion readiness (3 of 5 signals suggest converting) and the learned grade."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from leadcore import LeadStatus, Money, ValidationError
from leadcore.scoring import (
    Activity,
    ActivityKind,
    PredictiveModel,
    ReadinessSignal,
    fit_predictive,
    readiness,
)
from leadcore.testing import EPOCH, make_follow_up, make_lead

NOW = EPOCH + timedelta(days=10)


def test_three_of_five_signals_suggest_converting_and_say_which() -> None:
    lead = make_lead("L1", budget=Money("300000"))
    two = readiness(lead, [Activity(ActivityKind.DEMO_REQUESTED, EPOCH)], now=NOW)
    assert not two.suggest_convert
    assert two.held == (ReadinessSignal.BUDGET_GIVEN, ReadinessSignal.DEMO_REQUESTED)
    assert ReadinessSignal.CONTRACT_INQUIRY in two.missing

    three = readiness(
        lead,
        [Activity("demo_requested", EPOCH), Activity("contract_inquiry", EPOCH)],
        now=NOW,
    )
    assert three.suggest_convert
    assert len(three.held) == 3 and len(three.missing) == 2
    assert three.reasons[ReadinessSignal.BUDGET_GIVEN] == "budget CNY 300000"
    text = str(three)
    assert (
        "suggest converting: 3 of 5" in text and "✓ 申请演示" in text and "✗ 推荐其他客户" in text
    )


def test_intent_comes_from_the_intent_stage_and_hosts_may_pass_signals() -> None:
    follow_up = make_follow_up("F1", "L1", stage="意向跟进")
    result = readiness(
        make_lead("L1"), follow_ups=[follow_up], signals=["推荐其他客户", "budget_given"]
    )
    assert result.held == (
        ReadinessSignal.PURCHASE_INTENT,
        ReadinessSignal.BUDGET_GIVEN,
        ReadinessSignal.REFERRAL_MADE,
    )
    assert result.suggest_convert
    assert not readiness(signals=[ReadinessSignal.DEMO_REQUESTED]).suggest_convert
    with pytest.raises(ValueError, match="not a readiness signal"):
        readiness(signals=["liked our post"])


def test_future_activities_are_not_signals_yet() -> None:
    later = Activity("purchase_intent", NOW + timedelta(days=1))
    assert readiness(activities=[later], now=NOW).held == ()
    assert readiness(activities=[later]).held == (ReadinessSignal.PURCHASE_INTENT,)


INDUSTRIES = ("制造业", "零售", "SaaS", "教育", "医疗")
SOURCES = ("web_form", "event", "referral", "advertising")
REGIONS = ("华东", "华北", "华南")


def history(rng: random.Random, size: int) -> list[dict[str, object]]:
    """Leads whose conversion odds are planted: SaaS from referrals convert far more often."""
    rows: list[dict[str, object]] = []
    for _ in range(size):
        industry = rng.choice(INDUSTRIES)
        source = rng.choice(SOURCES)
        good = industry == "SaaS" or source == "referral"
        converted = rng.random() < (0.6 if good else 0.08)
        status = LeadStatus.CONVERTED if converted else rng.choice(["closed_lost", "invalid"])
        rows.append(
            {
                "industry": industry,
                "source": source,
                "region": rng.choice(REGIONS),
                "status": status,
                "good": good,
            }
        )
    return rows


def auc(scores_good: list[float], scores_bad: list[float]) -> float:
    wins = 0.0
    for g in scores_good:
        for b in scores_bad:
            wins += 1.0 if g > b else 0.5 if g == b else 0.0
    return wins / (len(scores_good) * len(scores_bad))


def test_learned_grade_ranks_planted_good_leads_higher() -> None:
    model = fit_predictive(history(random.Random(7), 3000), fields=("industry", "source", "region"))
    # Predicted while still open: a decided lead reads 1 or 0 whatever its fields say.
    fresh = [{**r, "status": "following"} for r in history(random.Random(8), 600)]
    good = [model.predict(r).probability for r in fresh if r["good"]]
    bad = [model.predict(r).probability for r in fresh if not r["good"]]
    assert auc(good, bad) >= 0.8


def test_prediction_explains_which_values_pushed_it_and_is_deterministic() -> None:
    rows = history(random.Random(7), 2000)
    model = fit_predictive(rows, fields=("industry", "source", "region"))
    assert fit_predictive(list(reversed(rows)), fields=("industry", "source", "region")) == model
    lead = make_lead("L9", industry="SaaS", source="referral", region="火星")
    prediction = model.predict(lead)
    assert prediction.probability > 0.5 and prediction.grade == "A"
    first, second, last = prediction.contributions
    assert {first.field, second.field} == {"industry", "source"}
    assert first.delta > 0 and second.delta > 0
    assert (last.field, last.value, last.delta) == ("region", "火星", 0.0)
    assert "↑" in str(prediction) and "grade A" in str(prediction)
    low = model.predict({"industry": "零售", "source": "event", "region": "华东"})
    assert low.probability < prediction.probability
    assert PredictiveModel.from_dict(model.to_dict()) == model


def test_fit_reads_leads_custom_fields_bins_and_boolean_outcomes() -> None:
    leads = [
        make_lead(f"L{i}", budget=Money(str(b)), custom_fields={"plan": plan})
        for i, (b, plan) in enumerate([(900000, "pro"), (800000, "pro"), (5000, "free")])
    ]
    records = [
        {"budget": 900000, "custom_fields": {"plan": "pro"}, "won": True},
        {"budget": 5000, "custom_fields.plan": "free", "won": False},
        {"budget": 7000, "won": False, "custom_fields": {"plan": "free"}},
    ]
    model = fit_predictive(
        records, fields=("budget", "custom_fields.plan"), outcome="won", bins={"budget": [100000]}
    )
    assert model.counts["budget"] == {"< 100000": (0, 2), "≥ 100000": (1, 0)}
    assert model.predict(leads[0]).probability > model.predict(leads[2]).probability


def test_fit_refuses_bad_input_with_the_field() -> None:
    with pytest.raises(ValidationError, match=r"fields\[0\]"):
        fit_predictive([], fields=("sector",))
    with pytest.raises(ValidationError, match="both converted and lost"):
        fit_predictive([{"status": "converted", "industry": "SaaS"}], fields=("industry",))
    with pytest.raises(ValidationError, match="smoothing"):
        fit_predictive([], fields=("industry",), smoothing=0)
