"""Labels and currencies in scoring: an activity kind or a status given by its label is the
built-in one, an unknown status is refused, and money is counted and binned per currency."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from leadcore import EventKind, LeadStatus, MemoryStore, Money, ValidationError
from leadcore.config import unstructure
from leadcore.scoring import (
    Activity,
    ActivityKind,
    BehaviourRule,
    PredictiveModel,
    ReadinessSignal,
    ScoreModel,
    fit_predictive,
    fit_scoped,
    readiness,
)
from leadcore.scoring.activity import activity_kind
from leadcore.scoring.predictive_data import MISSING
from leadcore.testing import EPOCH, make_lead
from leadcore.testing.world import make_world, new_lead

NOW = EPOCH + timedelta(days=30)
Row = dict[str, Any]

# --- activity kinds by label --------------------------------------------------------------


@pytest.mark.parametrize(
    "given", ["申请演示", "Demo requested", "demo requested", "DEMO_REQUESTED", " 申请演示 "]
)
def test_a_built_in_kind_given_by_its_label_or_name_is_that_kind(given: str) -> None:
    assert Activity(given, NOW).kind == "demo_requested"
    assert BehaviourRule(given, 10, cap=20).kind == "demo_requested"
    assert activity_kind(given) == ActivityKind.DEMO_REQUESTED.value


@pytest.mark.parametrize("own", ["trial_started", "试用开通", " trial "])
def test_a_hosts_own_kind_is_kept_as_given(own: str) -> None:
    assert Activity(own, NOW).kind == own.strip()  # trimmed, so it meets the rule "trial"
    assert BehaviourRule(own, 1, cap=1).kind == own.strip()


def test_a_rule_by_label_scores_activities_recorded_by_value_and_by_label() -> None:
    scorer = ScoreModel(behaviour=(BehaviourRule("访问定价页", 10, cap=30),)).compile()
    lead = make_lead("L1")
    activities = [Activity("pricing_page_visit", NOW), Activity("Pricing page visit", NOW)]
    assert scorer.score(lead, activities, now=NOW).total == 20.0


@pytest.mark.parametrize("load", ["dict", "json", "toml"])
def test_loaded_config_reads_a_kind_by_its_label(load: str) -> None:
    rule = {"kind": "下载白皮书", "points": 8, "cap": 16}
    if load == "dict":
        model = ScoreModel.from_dict({"behaviour": [rule]})
    elif load == "json":
        model = ScoreModel.from_json(json.dumps({"behaviour": [rule]}))
    else:
        model = ScoreModel.from_toml('[[behaviour]]\nkind = "下载白皮书"\npoints = 8\ncap = 16\n')
    assert [r.kind for r in model.behaviour] == ["whitepaper_download"]
    assert model.to_dict()["behaviour"][0]["kind"] == "whitepaper_download"
    score = model.compile().score(make_lead("L1"), [Activity("whitepaper_download", NOW)], now=NOW)
    assert score.total == 8.0


def test_a_kind_given_by_value_and_by_label_is_one_kind_twice() -> None:
    with pytest.raises(ValidationError) as caught:
        ScoreModel(
            behaviour=(BehaviourRule("email_open", 1, cap=3), BehaviourRule("打开邮件", 2, cap=4))
        )
    assert caught.value.fields == ("behaviour[1].kind",)


def test_the_desk_records_a_kind_given_by_its_label_as_the_built_in_kind() -> None:
    model = ScoreModel(behaviour=(BehaviourRule("demo_requested", 15, cap=30),))
    world = make_world(MemoryStore(), scorer=model.compile())
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    world.desk.record_activity("bob", lead_id, "申请演示")
    assert world.desk.score("bob", lead_id).total == 15.0
    recorded = [
        e for e in world.desk.history("bob", lead_id) if e.kind is EventKind.ACTIVITY_RECORDED
    ]
    assert recorded[-1].data["activity"] == "demo_requested"
    ready = world.desk.readiness("bob", lead_id)
    assert ReadinessSignal.DEMO_REQUESTED in ready.held


def test_readiness_reads_an_activity_recorded_by_its_label() -> None:
    found = readiness(make_lead("L1"), [Activity("明确购买意向", NOW)], now=NOW)
    assert ReadinessSignal.PURCHASE_INTENT in found.held


# --- statuses by label, unknown statuses refused --------------------------------------------


def history(converted: str = "converted", lost: str = "closed_lost") -> list[Row]:
    return (
        [{"source": "referral", "status": converted}] * 6
        + [{"source": "event", "status": lost}] * 4
        + [{"source": "event", "status": converted}] * 1
    )


@pytest.mark.parametrize(
    ("converted", "lost"),
    [("已转化", "关闭"), ("Converted", "Closed (lost)"), ("CONVERTED", "closed_lost")],
)
def test_a_status_given_by_its_label_or_name_counts_as_that_status(
    converted: str, lost: str
) -> None:
    model = fit_predictive(history(converted, lost), fields=("source",))
    assert model == fit_predictive(history(), fields=("source",))
    assert (model.converted, model.lost) == (7, 4)


def test_a_record_in_another_known_status_is_pending_and_not_learned_from() -> None:
    rows = [*history(), {"source": "event", "status": "跟进中"}, {"source": "event"}]
    model = fit_predictive(rows, fields=("source",))
    assert (model.converted, model.lost) == (7, 4)
    assert model.predict({"source": "event", "status": "跟进中"}).outcome.value == "pending"


def test_a_status_that_is_no_lead_status_is_refused_naming_the_record() -> None:
    rows = [*history(), {"source": "event", "status": "won"}]
    with pytest.raises(ValidationError) as caught:
        fit_predictive(rows, fields=("source",))
    assert caught.value.fields == ("records[11].status",)
    reason = caught.value.problems[0].reason
    assert "'won' is not a lead status" in reason
    assert all(status.value in reason for status in LeadStatus)
    with pytest.raises(ValidationError) as scoped:
        fit_scoped(rows, fields=("source",), scope_field="source")
    assert scoped.value.fields == ("records[11].status",)


def test_predicting_a_record_with_no_lead_status_is_refused() -> None:
    model = fit_predictive(history(), fields=("source",))
    with pytest.raises(ValidationError) as caught:
        model.predict({"source": "event", "status": "已转化了"})
    assert caught.value.fields == ("record.status",)
    assert model.predict({"source": "event", "status": "已转化"}).probability == 1.0


def test_positive_and_negative_statuses_may_be_labels_but_must_be_statuses() -> None:
    model = fit_predictive(history(), fields=("source",), positive=["已转化"], negative=["关闭"])
    assert (model.positive, model.negative) == ({"converted"}, {"closed_lost"})
    with pytest.raises(ValidationError) as caught:
        fit_predictive(history(), fields=("source",), positive=["converted", "won"])
    assert caught.value.fields == ("positive",)


def test_a_hosts_own_outcome_field_keeps_other_values_pending() -> None:
    rows = [{"source": "a", "result": "won"}] * 3 + [{"source": "b", "result": "gone"}] * 2
    rows.append({"source": "b", "result": "maybe"})
    model = fit_predictive(
        rows, fields=("source",), outcome="result", positive=["won"], negative=["gone"]
    )
    assert (model.converted, model.lost) == (3, 2)


# --- money per currency ------------------------------------------------------------------


def budgets(*given: tuple[object, str]) -> list[Row]:
    return [{"budget": budget, "status": status} for budget, status in given]


CONVERTED_CNY = (Money("100000"), "converted")
LOST_JPY = (Money("100000", "JPY"), "closed_lost")


@pytest.mark.parametrize(
    ("bins", "cny", "jpy"),
    [({"budget": [50000]}, "≥ 50000", "JPY ≥ 50000"), (None, "100000", "JPY 100000")],
)
def test_the_same_amount_in_two_currencies_is_counted_apart(bins: Any, cny: str, jpy: str) -> None:
    model = fit_predictive(budgets(CONVERTED_CNY, LOST_JPY) * 3, fields=("budget",), bins=bins)
    assert dict(model.counts["budget"]) == {cny: (3, 0), jpy: (0, 3)}
    cny_up = model.predict({"budget": Money("100000")}).log_odds
    jpy_down = model.predict({"budget": Money("100000", "JPY")}).log_odds
    assert cny_up > model.prior > jpy_down


def test_a_plain_number_is_an_amount_in_cny() -> None:
    rows = budgets(CONVERTED_CNY, LOST_JPY, (100000, "converted"), (Money("1", "JPY"), "invalid"))
    model = fit_predictive(rows, fields=("budget",), bins={"budget": [50000]})
    assert dict(model.counts["budget"]) == {
        "≥ 50000": (2, 0),
        "JPY < 50000": (0, 1),
        "JPY ≥ 50000": (0, 1),
    }


def test_a_currency_never_seen_in_training_carries_no_evidence() -> None:
    model = fit_predictive(
        budgets(CONVERTED_CNY, LOST_JPY) * 3, fields=("budget",), bins={"budget": [50000]}
    )
    prediction = model.predict({"budget": Money("100000", "USD")})
    assert prediction.log_odds == model.prior
    (contribution,) = prediction.contributions
    assert (contribution.value, contribution.delta, contribution.converted) == (
        "USD ≥ 50000",
        0.0,
        0,
    )


def test_bins_per_currency_bin_each_currency_by_its_own_edges() -> None:
    bins = {"budget": {"CNY": [100000], "JPY": [2000000]}}
    rows = budgets(
        (Money("150000"), "converted"),
        (Money("3000000", "JPY"), "converted"),
        (Money("150000", "JPY"), "closed_lost"),
        (Money("900", "USD"), "closed_lost"),
    )
    model = fit_predictive(rows, fields=("budget",), bins=bins)
    assert dict(model.counts["budget"]) == {
        "USD": (0, 1),
        "≥ 100000": (1, 0),
        "JPY < 2e+06": (0, 1),
        "JPY ≥ 2e+06": (1, 0),
    }
    saved = model.to_dict()
    assert saved["bins"] == {"budget": {"CNY": [100000.0], "JPY": [2000000.0]}}
    assert PredictiveModel.from_dict(json.loads(json.dumps(saved))) == model


def test_bins_per_currency_name_a_bad_currency_or_edge() -> None:
    bins: Any = {"budget": {"RMB": [1], "JPY": ["x"], "USD": []}}
    with pytest.raises(ValidationError) as caught:
        fit_predictive(budgets(CONVERTED_CNY, LOST_JPY), fields=("budget",), bins=bins)
    assert set(caught.value.fields) == {"bins.budget.RMB", "bins.budget.JPY[0]", "bins.budget.USD"}


def test_a_budget_in_plain_data_form_counts_as_its_money() -> None:
    as_money = budgets(CONVERTED_CNY, LOST_JPY) * 2
    plain = [{**row, "budget": unstructure(row["budget"])} for row in as_money]
    assert plain[1]["budget"] == {"amount": "100000", "currency": "JPY"}
    options: Any = {"fields": ("budget",), "bins": {"budget": [50000]}}
    assert fit_predictive(plain, **options) == fit_predictive(as_money, **options)


def test_a_budget_that_is_no_money_is_refused_naming_the_record() -> None:
    rows = [
        *budgets(CONVERTED_CNY, LOST_JPY),
        {"budget": {"amount": "1", "currency": "XXX"}, "status": "invalid"},
    ]
    with pytest.raises(ValidationError) as caught:
        fit_predictive(rows, fields=("budget",))
    assert caught.value.fields == ("records[2].budget",)
    assert "currency: 'XXX' is not an ISO 4217 code" in caught.value.problems[0].reason


def test_money_in_a_custom_field_is_counted_per_currency() -> None:
    field = "custom_fields.deal"
    rows = [
        {field: Money("5"), "status": "converted"},
        {field: Money("5", "USD"), "status": "closed_lost"},
    ]
    model = fit_predictive(rows, fields=(field,))
    assert dict(model.counts[field]) == {"5": (1, 0), "USD 5": (0, 1)}


def test_a_lead_budget_is_counted_in_its_currency() -> None:
    leads = [
        make_lead(
            "L1", status=LeadStatus.CONVERTED, converted_customer_id="C1", budget=Money("100000")
        ),
        make_lead("L2", status=LeadStatus.CLOSED_LOST, budget=Money("100000", "JPY")),
    ]
    model = fit_predictive(leads, fields=("budget",), bins={"budget": [50000]})
    assert set(model.counts["budget"]) == {"≥ 50000", "JPY ≥ 50000"}


def test_a_model_saved_before_currencies_were_counted_apart_still_loads() -> None:
    saved = {
        "fields": ["budget"],
        "converted": 3,
        "lost": 2,
        "counts": {"budget": {"≥ 100000": [3, 0], "< 100000": [0, 2]}},
        "smoothing": 1.0,
        "grades": [["A", 0.5], ["B", 0.25], ["C", 0.1], ["D", 0.0]],
        "bins": {"budget": [100000.0]},
        "outcome": "status",
        "positive": ["converted"],
        "negative": ["closed_lost", "invalid"],
    }
    model = PredictiveModel.from_dict(saved)
    assert model.to_dict() == saved
    up = model.predict({"budget": Money("200000")})
    assert up.contributions[0].value == "≥ 100000" and up.contributions[0].delta > 0
    assert model.predict({"budget": Money("200000", "JPY")}).log_odds == model.prior
    assert model.predict({"budget": None}).contributions[0].value == MISSING
