"""Edges of the learned grade's fit, conversion mappings and caller fields, and the assignment
context: every bad input is refused when it is given, named by its path, and nothing else."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import ConfigError, Lead, MemoryCustomerDirectory, MemoryStore, User, ValidationError
from leadcore.assignment import LeastLoaded, MemoryContext
from leadcore.conversion import ConversionMapping
from leadcore.conversion.mapping import check_caller_fields
from leadcore.conversion.records import CustomerDraft, check_value
from leadcore.scoring import PredictiveModel, ScopedPredictiveModel, fit_predictive, fit_scoped
from leadcore.scoring.predictive_data import MISSING
from leadcore.testing.world import make_world, new_lead

T0 = datetime(2026, 3, 2, tzinfo=UTC)
Row = dict[str, object]

# Called through ``Any``: the point is what they do with options their types do not allow.
FIT: Any = fit_predictive
FIT_SCOPED: Any = fit_scoped
FIT_OPTIONS = ("bins", "fields", "grades", "negative", "outcome", "positive", "smoothing")


def industry_rows() -> list[Row]:
    return [
        {"pool_id": "east", "industry": "SaaS", "status": "converted"},
        {"pool_id": "east", "industry": "零售", "status": "closed_lost"},
    ] * 3


def budget_rows() -> list[Row]:
    return [{"budget": 300, "status": "converted"}, {"budget": 50, "status": "closed_lost"}] * 3


# 1. Options and the scope field ---------------------------------------------------------------


@pytest.mark.parametrize("fit", [FIT, FIT_SCOPED])
@pytest.mark.parametrize(
    ("options", "path"),
    [({"smothing": 5}, "smothing"), ({"grade": [("A", 0.9), ("B", 0)]}, "grade")],
)
def test_a_misspelt_fit_option_is_refused_listing_the_known_ones(
    fit: Any, options: dict[str, object], path: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        fit(industry_rows(), fields=("industry",), **options)
    assert caught.value.fields == (path,)
    assert all(name in str(caught.value) for name in FIT_OPTIONS)


@given(st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(lambda n: n not in FIT_OPTIONS))
def test_any_option_fit_predictive_does_not_know_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        FIT(industry_rows(), fields=("industry",), **{name: 1})
    assert name in caught.value.fields


def test_fit_scoped_lists_its_scope_field_among_the_known_options() -> None:
    with pytest.raises(ValidationError) as caught:
        FIT_SCOPED(industry_rows(), fields=("industry",), scope=("pool_id",))
    assert caught.value.fields == ("scope",)
    assert "scope_field" in str(caught.value)


def test_a_scope_field_that_is_no_lead_field_is_refused_like_a_field() -> None:
    with pytest.raises(ValidationError) as caught:
        fit_scoped(industry_rows(), fields=("industry",), scope_field="pool")
    assert caught.value.fields == ("scope_field",)
    assert "'pool' is not a lead field" in str(caught.value)
    organisation = fit_predictive(industry_rows(), fields=("industry",))
    with pytest.raises(ValidationError, match="scope_field"):
        ScopedPredictiveModel(organisation, {}, "pool")
    saved = {"organisation": organisation.to_dict(), "scope_field": "custom_fields.x y"}
    with pytest.raises(ValidationError) as loaded:
        ScopedPredictiveModel.from_dict(saved)
    assert "scope_field" in loaded.value.fields


def test_a_custom_scope_field_still_fits_per_scope() -> None:
    rows = [{**row, "custom_fields.team": "A"} for row in industry_rows()]
    scoped = fit_scoped(rows, fields=("industry",), scope_field="custom_fields.team")
    assert set(scoped.scopes) == {"A"}
    prediction = scoped.predict({"custom_fields.team": "A", "industry": "SaaS"})
    assert prediction.reason.startswith("custom_fields.team A:")


# 2. NaN and numbers beyond a float in learned fields ------------------------------------------

NANS = (float("nan"), Decimal("NaN"), Decimal("sNaN"))


@pytest.mark.parametrize("nan", NANS, ids=repr)
@pytest.mark.parametrize("bins", [{"budget": [100]}, None])
def test_a_nan_counts_as_missing_when_fitting_and_predicting(
    nan: object, bins: dict[str, list[float]] | None
) -> None:
    model = fit_predictive(
        [*budget_rows(), {"budget": nan, "status": "converted"}], fields=("budget",), bins=bins
    )
    assert model.counts["budget"][MISSING] == (1, 0)
    assert sum(t.converted for t in model.counts["budget"].values()) == 4
    assert model.predict({"budget": nan}) == model.predict({"budget": None})
    assert model.predict({"budget": [nan, 300]}) == model.predict({"budget": 300})


@given(
    edges=st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=4),
    nan=st.sampled_from(NANS),
)
def test_a_nan_is_predicted_as_a_missing_value_whatever_the_bins(
    edges: list[float], nan: object
) -> None:
    model = fit_predictive(budget_rows(), fields=("budget",), bins={"budget": edges})
    prediction = model.predict({"budget": nan})
    assert [c.value for c in prediction.contributions] == [MISSING]
    assert prediction == model.predict({})


TOO_LARGE = st.one_of(
    st.integers(min_value=2**1024, max_value=10**600),
    st.integers(min_value=-(10**600), max_value=-(2**1024)),
    st.sampled_from(
        [float("inf"), float("-inf"), Decimal("Infinity"), Decimal("-1e400"), 10**5000]
    ),
)


@given(TOO_LARGE, st.booleans())
def test_a_number_beyond_a_float_is_refused_naming_the_record(number: object, binned: bool) -> None:
    bins = {"budget": [100]} if binned else None
    rows = [*budget_rows(), {"budget": number, "status": "converted"}]
    with pytest.raises(ValidationError) as caught:
        fit_predictive(rows, fields=("budget",), bins=bins)
    assert caught.value.fields == ("records[6].budget",)
    assert "finite" in str(caught.value)
    model = fit_predictive(budget_rows(), fields=("budget",), bins=bins)
    for call in (
        lambda: model.predict({"budget": number}),
        lambda: model.observed({"budget": (number,)}, True),
    ):
        with pytest.raises(ValidationError) as predicted:
            call()
        assert predicted.value.fields == ("record.budget",)
    assert model == fit_predictive(budget_rows(), fields=("budget",), bins=bins)


def test_a_huge_number_in_a_custom_field_is_refused_by_fit_scoped_too() -> None:
    rows: list[Row] = [*industry_rows(), {"custom_fields.n": 10**400, "status": "converted"}]
    with pytest.raises(ValidationError) as caught:
        fit_scoped(rows, fields=("industry", "custom_fields.n"))
    assert caught.value.fields == ("records[6].custom_fields.n",)


def test_a_pending_record_is_not_read_so_its_numbers_are_not_checked() -> None:
    rows = [*budget_rows(), {"budget": 10**400, "status": "following"}]
    assert fit_predictive(rows, fields=("budget",)).converted == 3


def test_a_saved_model_still_predicts_large_finite_numbers() -> None:
    model = fit_predictive(budget_rows(), fields=("budget",), bins={"budget": [100]})
    assert model.predict({"budget": 10**300}).contributions[0].value == "≥ 100"
    assert isinstance(PredictiveModel.from_dict(model.to_dict()), PredictiveModel)


# 3. Conversion mappings checked when read ------------------------------------------------------


def mapping_error(rule: dict[str, object], **transforms: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        ConversionMapping.from_dict(
            {"customer": {"fields": [{"from": "industry", "to": "行业"}, rule]}},
            transforms=transforms or None,
        )
    return caught.value


@pytest.mark.parametrize(
    ("rule", "path", "says"),
    [
        (
            {"from": "company_size", "to": "规模", "values": {"huge": "大型企业"}},
            "$.customer.fields[1].values.huge",
            "micro, small, medium, large",
        ),
        (
            {"from": "status", "to": "s", "values": {"converted": "y", "won": "n"}},
            "$.customer.fields[1].values.won",
            "converted",
        ),
        (
            {"from": "budget", "to": "b", "values": {"100": "x"}, "default": "y"},
            "$.customer.fields[1].values",
            "money",
        ),
        (
            {"from": "created_at", "to": "c", "values": {"2026-01-01": "x"}},
            "$.customer.fields[1].values",
            "a time",
        ),
        (
            {"from": "industry", "to": "x", "bands": [{"below": 10, "label": "a"}, {"label": "b"}]},
            "$.customer.fields[1].bands",
            "budget",
        ),
        (
            {"from": "score", "to": "x", "bands": [{"label": "all"}]},
            "$.customer.fields[1].bands",
            "budget",
        ),
        (
            {"from": "industry", "to": "x", "transform": "amount"},
            "$.customer.fields[1].transform",
            "budget",
        ),
        (
            {"from": "region", "to": "x", "transform": "date"},
            "$.customer.fields[1].transform",
            "created_at",
        ),
        (
            {"from": "industry", "to": "x", "values": {"a": datetime(2026, 1, 1)}},
            "$.customer.fields[1].values.a",
            "timezone-aware",
        ),
    ],
)
def test_a_rule_that_can_never_convert_is_a_config_error_naming_its_path(
    rule: dict[str, object], path: str, says: str
) -> None:
    error = mapping_error(rule)
    assert tuple(p.field for p in error.problems) == (path,)
    assert says in str(error)


@pytest.mark.parametrize(
    "rule",
    [
        {
            "from": "company_size",
            "to": "规模",
            "values": {"large": "大", "中型": "中", "Small": "小"},
        },
        {"from": "status", "to": "s", "values": {"converted": "won"}, "default": "open"},
        {"from": "industry", "to": "x", "values": {"anything": "goes"}},
        {"from": "custom_fields.n", "to": "x", "values": {"3": "three"}},
        {"from": "budget", "to": "b", "bands": [{"below": 10, "label": "a"}, {"label": "b"}]},
        {"from": "custom_fields.n", "to": "b", "bands": [{"label": "all"}]},
        {"from": "budget", "to": "x", "transform": "amount"},
        {"from": "custom_fields.d", "to": "x", "transform": "date"},
        {"from": "created_at", "to": "x", "transform": "date"},
        {"from": "sql_at", "to": "x", "transform": "date"},
        {"from": "industry", "to": "x", "values": {"a": datetime(2026, 1, 1, tzinfo=UTC)}},
    ],
)
def test_rules_that_can_convert_are_still_read(rule: dict[str, object]) -> None:
    mapping = ConversionMapping.from_dict({"customer": {"fields": [rule]}})
    assert ConversionMapping.from_dict(mapping.to_dict()) == mapping


def test_a_host_transform_named_like_a_built_in_one_is_not_held_to_its_fields() -> None:
    def amount(value: object) -> str:
        return str(value)

    rule = {"from": "industry", "to": "x", "transform": "amount"}
    mapping = ConversionMapping.from_dict(
        {"customer": {"fields": [rule]}}, transforms={"amount": amount}
    )
    assert mapping.customer.rules[0].transform == "amount"


@given(st.text(min_size=1, max_size=8).filter(lambda k: k.strip()))
def test_a_company_size_value_map_key_is_read_only_when_a_size_has_it(key: str) -> None:
    from leadcore import CompanySize

    names = {n for m in CompanySize for n in (m.value, m.label, m.label_en)}
    data = {"customer": {"fields": [{"from": "company_size", "to": "规模", "values": {key: "x"}}]}}
    if key in names:
        ConversionMapping.from_dict(data)
    else:
        with pytest.raises(ConfigError):
            ConversionMapping.from_dict(data)


# 4. Caller fields and drafts hold timezone-aware times only -------------------------------------


def test_convert_refuses_naive_times_in_caller_fields_naming_each() -> None:
    directory = MemoryCustomerDirectory()
    world = make_world(MemoryStore(), directory=directory)
    lead_id = new_lead(world, company="星河科技")
    world.desk.assign("carol", lead_id, "bob")
    with pytest.raises(ValidationError) as caught:
        world.desk.convert(
            "bob",
            lead_id,
            customer_fields={"签约时间": datetime(2026, 1, 1, 9)},
            contact_fields={"生日": datetime(1990, 1, 1)},
            deal=True,
            deal_fields={"预计成交": datetime(2026, 6, 1), "备注": "ok"},
        )
    assert caught.value.fields == (
        "customer_fields.签约时间",
        "contact_fields.生日",
        "deal_fields.预计成交",
    )
    assert "must be timezone-aware" in str(caught.value)
    assert world.desk.get("carol", lead_id).status.value == "assigned"
    assert directory.customers() == []
    signed = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=8)))
    done = world.desk.convert("bob", lead_id, customer_fields={"签约时间": signed})
    assert directory.customer(done.customer_id).fields["签约时间"] == signed


@given(st.datetimes(timezones=st.none()))
def test_a_naive_time_is_no_field_value_anywhere(naive: datetime) -> None:
    assert check_value(naive) is not None
    assert check_value(naive.replace(tzinfo=UTC)) is None
    with pytest.raises(ValidationError) as caught:
        check_caller_fields(deal_fields={"t": naive})
    assert caught.value.fields == ("deal_fields.t",)
    with pytest.raises(ValidationError) as drafted:
        CustomerDraft("星河", "bob", fields={"t": naive})
    assert drafted.value.fields == ("fields.t",)


# 5. MemoryContext checks loads and users --------------------------------------------------------


@pytest.mark.parametrize("load", [float("nan"), -1, "3", 2.5, True, None, 10**12])
def test_memory_context_refuses_a_load_that_is_no_count(load: object) -> None:
    with pytest.raises(ValidationError) as caught:
        MemoryContext(["wang", "li"], loads={"wang": load, "li": 3}, now=T0, rng=random.Random(1))  # type: ignore[dict-item]
    assert caught.value.fields == ("loads.wang",)


def test_memory_context_refuses_a_load_keyed_by_no_user_id() -> None:
    with pytest.raises(ValidationError) as caught:
        MemoryContext(["wang"], loads={3: 1}, now=T0, rng=random.Random(1))  # type: ignore[dict-item]
    assert caught.value.fields == ("loads",)


@given(st.dictionaries(st.sampled_from(["wang", "li", "zhao"]), st.integers(0, 10**9)))
def test_memory_context_keeps_every_good_load_and_least_loaded_reads_it(
    loads: dict[str, int],
) -> None:
    ctx = MemoryContext(["wang", "li", "zhao"], loads=loads, now=T0, rng=random.Random(1))
    lead = Lead(id="L1", pool_id="east", created_by="x", created_at=T0)
    low = min(loads.get(u, 0) for u in ("wang", "li", "zhao"))
    assert LeastLoaded().choose(lead, ctx).reason.endswith(f"with {low} open")


def test_memory_context_refuses_one_user_given_twice_differently() -> None:
    with pytest.raises(ValidationError) as caught:
        MemoryContext(["wang", User("wang", active=False)], now=T0, rng=random.Random(1))
    assert caught.value.fields == ("users[1]",)
    assert "users[0]" in str(caught.value)
    same = MemoryContext(["wang", User("wang"), "li"], now=T0, rng=random.Random(1))
    assert sorted(same.users) == ["li", "wang"]


def test_a_refused_context_leaves_the_loads_given_unchanged() -> None:
    loads: dict[str, Any] = {"wang": 1, "li": math.nan}
    with pytest.raises(ValidationError):
        MemoryContext(["wang", "li"], loads=loads, now=T0, rng=random.Random(1))
    assert loads["wang"] == 1
    assert math.isnan(loads["li"])
