"""Probing money and export: object keys that write alike, naive times in a DataFrame, the
id list of a repr, budgets in another currency than a score dimension's, and the currency of
conversion bands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar

import attrs
import pytest

from leadcore import ConfigError, LeadStatus, Money, ValidationError
from leadcore.conversion import ConversionMapping
from leadcore.export import Column, Columns, Exportable, cell, id_list, plain
from leadcore.scoring import Band, Dimension, ProfileCondition, ScoreModel
from leadcore.testing import EPOCH, make_lead

NOW = EPOCH + timedelta(days=1)


@attrs.frozen
class Row:
    at: object = None
    data: object = None


@attrs.frozen
class Report(Exportable):
    _export: ClassVar[Columns] = Columns(
        (Column("at", "时间", "At", kind="time"), Column("data", "数据", "Data", kind="data"))
    )
    rows: tuple[Row, ...]

    def __iter__(self) -> Any:
        return iter(self.rows)


# --- object keys that write as the same text ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "labels", "field"),
    [
        ({1: "a", "1": "b"}, "value", "1"),
        ({LeadStatus.ASSIGNED: 1, "待跟进": 2}, "zh", "待跟进"),
        ({"a": [{"x": 1}, {None: 1, "None": 2}]}, "value", "a[1].None"),
    ],
)
def test_keys_that_write_alike_are_refused_not_dropped(
    value: object, labels: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        plain(value, labels)
    assert caught.value.fields == (field,)
    assert "both write as" in str(caught.value)


def test_a_record_names_the_column_of_keys_that_write_alike() -> None:
    report = Report((Row(data={"ok": 1}), Row(data={"n": {2: "x", "2": "y"}})))
    with pytest.raises(ValidationError) as caught:
        report.to_records()
    assert caught.value.fields == ("data.n.2",)


def test_distinct_keys_still_write_as_text() -> None:
    assert plain({1: "a", "b": 2, LeadStatus.ASSIGNED: 3}) == {"1": "a", "b": 2, "assigned": 3}
    assert plain({LeadStatus.ASSIGNED: 1}, "zh") == {"待跟进": 1}


# --- naive times in a DataFrame ------------------------------------------------------------


@pytest.mark.parametrize(
    "naive", [datetime(2026, 3, 2, 9, 0), date(2026, 3, 2), "2026-03-02T09:00:00"]
)
def test_a_time_without_a_zone_is_refused_by_to_dataframe(naive: object) -> None:
    pytest.importorskip("pandas")
    with pytest.raises(ValidationError) as caught:
        Report((Row(at=datetime(2026, 3, 2, tzinfo=UTC)), Row(at=naive))).to_dataframe()
    assert caught.value.fields == ("at",)
    assert "without a time zone" in str(caught.value)


def test_aware_times_still_become_utc_in_a_dataframe() -> None:
    pytest.importorskip("pandas")
    east = timezone(timedelta(hours=8))
    frame = Report((Row(at=datetime(2026, 3, 2, 9, tzinfo=east)), Row())).to_dataframe()
    assert frame["at"][0].isoformat() == "2026-03-02T01:00:00+00:00"


# --- a repr's id list, and a huge number in a cell -----------------------------------------


@pytest.mark.parametrize("most", [0, -1, True, 2.5, None, "3"])
def test_id_list_refuses_a_count_that_is_not_at_least_one(most: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        id_list(["L1", "L2"], most=most)
    assert caught.value.fields == ("most",)


@pytest.mark.parametrize("ids", ["L1L2", None, b"L1", {"L1": 1}])
def test_id_list_refuses_what_is_not_a_list_of_ids(ids: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        id_list(ids)
    assert caught.value.fields == ("ids",)


def test_id_list_still_shows_the_first_ids() -> None:
    assert id_list(["L1", "L2", "L3"], most=2) == "L1, L2, …"
    assert id_list(("L1",)) == "L1"
    assert id_list([]) == ""


def test_a_whole_number_too_long_to_write_out_is_a_cell_not_a_value_error() -> None:
    assert cell(10**5000) == "an int too long to show"
    assert cell(10**30) == str(10**30)


# --- budgets in another currency than a score dimension's ----------------------------------

BANDS = (Band(0, 2.0), Band(100_000, 10.0))
DIMENSIONS = [
    Dimension("budget", 1.0, bands=BANDS, default=1.0),
    Dimension("budget", 1.0, values={"100000": 10.0}, default=1.0),
    Dimension("budget", 1.0, when=ProfileCondition(at_least=100_000), points=10.0, default=1.0),
    Dimension("budget", 1.0, when=ProfileCondition(present=True), points=10.0, default=1.0),
]


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_a_usd_budget_counts_as_missing_in_a_cny_dimension(dimension: Dimension) -> None:
    scorer = ScoreModel(dimensions=(dimension,)).compile()
    cny = scorer.score(make_lead("L1", budget=Money("100000")), now=NOW)
    usd = scorer.score(make_lead("L1", budget=Money("100000", "USD")), now=NOW)
    missing = scorer.score(make_lead("L1"), now=NOW)
    assert cny.total == 10.0
    assert usd.total == missing.total == 1.0
    (part,) = usd.breakdown.parts
    assert part.points == 1.0
    assert part.matched.startswith("budget = USD 100000 (not CNY, so counted as missing)")


def test_a_values_rule_on_the_budget_scores_what_its_breakdown_says() -> None:
    scorer = ScoreModel(dimensions=(DIMENSIONS[1],)).compile()
    score = scorer.score(make_lead("L1", budget=Money("100000")), now=NOW)
    assert score.total == 10.0
    assert score.breakdown.parts[0].points == 10.0


def test_a_dimension_in_usd_reads_usd_budgets_and_not_cny_ones() -> None:
    dimension = Dimension("budget", 1.0, bands=BANDS, currency="USD")
    scorer = ScoreModel(dimensions=(dimension,)).compile()
    assert scorer.score(make_lead("L1", budget=Money("100000", "USD")), now=NOW).total == 10.0
    cny = scorer.score(make_lead("L1", budget=Money("100000")), now=NOW)
    assert cny.total == 0.0
    assert "CNY 100000 (not USD" in cny.breakdown.parts[0].matched


def test_a_cny_budget_still_scores_and_reads_as_before() -> None:
    scorer = ScoreModel(dimensions=(DIMENSIONS[0],)).compile()
    score = scorer.score(make_lead("L1", budget=Money("500000.50")), now=NOW)
    assert score.total == 10.0
    assert score.breakdown.parts[0].matched == "budget = 500000.5 (≥ 100000)"


@pytest.mark.parametrize(
    ("currency", "hint"),
    [("usd", "did you mean 'USD'?"), ("RMB", "did you mean 'CNY'?"), (5, "not int")],
)
def test_a_dimension_currency_is_an_iso_code(currency: Any, hint: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Dimension("budget", 1.0, bands=BANDS, currency=currency)
    assert caught.value.fields == ("currency",)
    assert hint in str(caught.value)


def test_a_currency_goes_with_the_budget_only() -> None:
    with pytest.raises(ValidationError) as caught:
        Dimension("industry", 1.0, values={"SaaS": 10.0}, currency="USD")
    assert caught.value.fields == ("currency",)


def test_a_dimension_currency_round_trips_and_is_checked_in_config() -> None:
    data: dict[str, Any] = {
        "dimensions": [{"field": "budget", "weight": 1.0, "bands": [{"at_least": 0, "points": 3}]}]
    }
    assert ScoreModel.from_dict(data).dimensions[0].currency == "CNY"
    data["dimensions"][0]["currency"] = "usd"
    with pytest.raises(ConfigError) as caught:
        ScoreModel.from_dict(data)
    assert "$.dimensions[0].currency" in str(caught.value)
    assert "did you mean 'USD'?" in str(caught.value)
    data["dimensions"][0]["currency"] = "USD"
    model = ScoreModel.from_dict(data)
    assert ScoreModel.from_dict(model.to_dict()) == model


# --- the currency of conversion bands ------------------------------------------------------


@pytest.mark.parametrize(("currency", "meant"), [("cny", "CNY"), ("RMB", "CNY"), (" usd", "USD")])
def test_a_mistyped_band_currency_is_answered_with_the_code_meant(
    currency: str, meant: str
) -> None:
    rule = {
        "from": "budget",
        "to": "预算区间",
        "bands": [{"label": "小", "below": 100000}, {"label": "大"}],
        "currency": currency,
    }
    with pytest.raises(ConfigError) as caught:
        ConversionMapping.from_dict({"deal": {"fields": [rule]}})
    assert [p.field for p in caught.value.problems] == ["$.deal.fields[0].currency"]
    assert f"did you mean {meant!r}?" in str(caught.value)


# --- profile dimension settings built in Python --------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Band(10**400, 1.0), "at_least"),
        (lambda: Band(True, 1.0), "at_least"),
        (lambda: ProfileCondition(at_most=10**400), "at_most"),
        (lambda: ProfileCondition(at_least=-(10**400)), "at_least"),
        (lambda: Dimension("budget", 1.0, values={5: 1.0}), "values.5"),  # type: ignore[dict-item]
    ],
)
def test_a_setting_no_float_holds_or_of_the_wrong_type_is_named(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.fields == (field,)
