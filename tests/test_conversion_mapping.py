"""Field mappings as data: the seed's examples, each way of mapping, required fields, and
configuration errors naming their path."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import CompanySize, ConfigError, Money, SourceChannel, ValidationError
from leadcore.conversion import ConversionMapping
from leadcore.conversion.examples import SEED_MAPPING
from leadcore.conversion.mapping import check_caller_fields
from leadcore.testing import make_lead

SEED = ConversionMapping.from_toml(SEED_MAPPING)


def test_the_seed_examples_map_industry_budget_band_and_key_person_title() -> None:
    lead = make_lead(
        "L1",
        company="北京星河科技有限公司",
        industry="制造业",
        budget=Money("200000"),
        decision_maker_title="采购总监",
        company_size=CompanySize.LARGE,
        source=SourceChannel.EVENT.value,
    )
    assert SEED.customer.apply(lead) == {
        "所属行业": "制造业",
        "预算区间": "10万-50万",
        "关键人职务": "采购总监",
        "企业规模": "大型企业",
        "客户来源": "展会活动",
    }
    assert SEED.contact.apply(lead) == {"职务": "采购总监"}
    assert SEED.deal.apply(lead) == {"预计金额": Decimal("200000")}


@pytest.mark.parametrize(
    ("amount", "band"),
    [("0", "10万以下"), ("99999.99", "10万以下"), ("100000", "10万-50万"), ("5000000", "50万以上")],
)
def test_a_budget_falls_into_the_first_band_it_is_under(amount: str, band: str) -> None:
    lead = make_lead("L1", industry="制造业", budget=Money(amount))
    assert SEED.customer.apply(lead)["预算区间"] == band


def test_a_budget_in_another_currency_than_the_bands_is_refused() -> None:
    lead = make_lead("L1", industry="制造业", budget=Money("100", "USD"))
    with pytest.raises(ValidationError) as caught:
        SEED.customer.apply(lead)
    assert caught.value.fields == ("customer.预算区间",)
    assert "USD" in str(caught.value) and "CNY" in str(caught.value)


def test_a_value_the_map_does_not_list_takes_the_default_or_is_refused() -> None:
    mapping = ConversionMapping.from_dict(
        {
            "customer": {
                "fields": [
                    {"from": "region", "to": "大区", "values": {"北京": "华北"}, "default": "其他"},
                    {"from": "industry", "to": "行业", "values": {"制造业": "工业"}},
                ]
            }
        }
    )
    assert mapping.customer.apply(make_lead("L1", region="北京", industry="制造业")) == {
        "大区": "华北",
        "行业": "工业",
    }
    with pytest.raises(ValidationError) as caught:
        mapping.customer.apply(make_lead("L1", region="广州", industry="金融"))
    assert caught.value.fields == ("customer.行业",)
    assert "'金融' is not in the value map (known: 制造业)" in str(caught.value)


def test_custom_fields_copy_and_host_transforms_by_name() -> None:
    mapping = ConversionMapping.from_dict(
        {
            "customer": {
                "fields": [{"from": "custom_fields.渠道编号", "to": "渠道", "transform": "code"}]
            }
        },
        transforms={"code": lambda value: f"CH-{value}"},
    )
    lead = make_lead("L1", custom_fields={"渠道编号": "007"})
    assert mapping.customer.apply(lead) == {"渠道": "CH-007"}
    assert mapping.customer.apply(make_lead("L2")) == {}, "an empty lead field writes nothing"


def test_a_failing_transform_refuses_naming_the_field() -> None:
    def broken(value: object) -> str:
        raise KeyError(value)

    mapping = ConversionMapping.from_dict(
        {"deal": {"fields": [{"from": "industry", "to": "行业", "transform": "broken"}]}},
        transforms={"broken": broken},
    )
    with pytest.raises(ValidationError) as caught:
        mapping.deal.apply(make_lead("L1", industry="制造业"))
    assert caught.value.fields == ("deal.行业",)
    assert "transform 'broken' failed" in str(caught.value)


def test_required_fields_name_what_to_fill_and_caller_fields_complete_them() -> None:
    lead = make_lead("L1")
    with pytest.raises(ValidationError) as caught:
        SEED.customer.apply(lead)
    assert caught.value.fields == ("customer.所属行业",)
    assert "fill the lead's industry" in str(caught.value)
    assert SEED.customer.apply(lead, {"所属行业": "零售", "客户等级": "A"}) == {
        "所属行业": "零售",
        "客户等级": "A",
    }
    with pytest.raises(ValidationError) as bad:
        SEED.customer.apply(lead, {"所属行业": "零售", "x": object(), "": 1})
    assert set(bad.value.fields) == {"customer_fields.x", "customer_fields"}


@pytest.mark.parametrize(
    ("data", "path", "says"),
    [
        ({"customer": {"fields": [{"from": "industry"}]}}, "$.customer.fields[0].to", "non-blank"),
        (
            {"customer": {"fields": [{"from": "industy", "to": "x"}]}},
            "$.customer.fields[0].from",
            "not a lead field",
        ),
        (
            {
                "customer": {
                    "fields": [
                        {"from": "a", "to": "x"},
                        {"from": "industry", "to": "y"},
                        {"from": "budget", "to": ""},
                    ]
                }
            },
            "$.customer.fields[0].from",
            "custom_fields.<name>",
        ),
        (
            {"contact": {"fields": [{"from": "industry", "to": "x", "transform": "nope"}]}},
            "$.contact.fields[0].transform",
            "known: amount",
        ),
        (
            {
                "deal": {
                    "fields": [
                        {
                            "from": "budget",
                            "to": "x",
                            "bands": [{"label": "a"}, {"below": 5, "label": "b"}],
                        }
                    ]
                }
            },
            "$.deal.fields[0].bands[0].below",
            "needs below",
        ),
        (
            {
                "deal": {
                    "fields": [
                        {
                            "from": "budget",
                            "to": "x",
                            "bands": [
                                {"below": 9, "label": "a"},
                                {"below": 5, "label": "b"},
                                {"label": "c"},
                            ],
                        }
                    ]
                }
            },
            "$.deal.fields[0].bands[1].below",
            "above the band before",
        ),
        (
            {
                "customer": {
                    "fields": [
                        {
                            "from": "region",
                            "to": "x",
                            "values": {"a": "b"},
                            "bands": [{"label": "c"}],
                        }
                    ]
                }
            },
            "$.customer.fields[0]",
            "one of values, bands or transform",
        ),
        (
            {
                "customer": {
                    "fields": [{"from": "region", "to": "x"}, {"from": "industry", "to": "x"}]
                }
            },
            "$.customer.fields[1].to",
            "already written",
        ),
        (
            {"customer": {"fields": [{"from": "region", "to": "x", "colour": 1}]}},
            "$.customer.fields[0].colour",
            "not a known setting",
        ),
        ({"lead": {}}, "$.lead", "not a target"),
        ({"customer": {"required": "所属行业"}}, "$.customer.required", "list of names"),
        (
            {"customer": {"fields": [{"from": "region", "to": "x", "default": "y"}]}},
            "$.customer.fields[0].default",
            "goes with values",
        ),
        *(
            (
                {
                    "customer": {
                        "fields": [
                            {
                                "from": "budget",
                                "to": "x",
                                "bands": [{"label": "a"}],
                                "currency": currency,
                            }
                        ]
                    }
                },
                "$.customer.fields[0].currency",
                "must be an ISO 4217 code",
            )
            for currency in (["CNY"], {"code": "CNY"})
        ),
        (
            {"customer": {"fields": [{"from": "company_size", "to": "x", "values": {1: "a"}}]}},
            "$.customer.fields[0].values[1]",
            "must be keyed by text",
        ),
    ],
)
def test_config_errors_name_the_path(data: Any, path: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ConversionMapping.from_dict(data)
    assert caught.value.path == path
    assert says in str(caught.value)


def test_toml_and_json_load_alike_and_round_trip() -> None:
    as_json = ConversionMapping.from_json(json.dumps(SEED.to_dict()))
    assert as_json == SEED
    assert ConversionMapping.from_dict(SEED.to_dict()).to_dict() == SEED.to_dict()
    with pytest.raises(ConfigError, match="not valid TOML"):
        ConversionMapping.from_toml("[customer\n")


@given(amount=st.decimals(min_value=0, max_value=10**9, places=2))
def test_every_budget_gets_exactly_the_band_its_amount_falls_in(amount: Decimal) -> None:
    band = SEED.customer.apply(make_lead("L1", industry="x", budget=Money(amount)))["预算区间"]
    expected = "10万以下" if amount < 100000 else "10万-50万" if amount < 500000 else "50万以上"
    assert band == expected


def test_caller_fields_and_transform_answers_are_bounded() -> None:
    mapping = ConversionMapping.from_dict(
        {"customer": {"fields": [{"from": "industry", "to": "规模", "transform": "huge"}]}},
        transforms={"huge": lambda value: 10**5000},
    )
    lead = make_lead("L1", industry="制造业")
    with pytest.raises(ValidationError) as caught:
        mapping.customer.apply(lead)
    assert caught.value.fields == ("customer.规模",)
    assert "too large a number (at most 100 digits)" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        SEED.customer.apply(
            lead,
            {"\ud800": "a", "ok": ("a", "\x00"), "n": Decimal("Infinity"), "big": -(10**100)},
        )
    reasons = [str(p) for p in caught.value.problems]
    assert any("customer_fields: key '\\ud800' is not a field name" in r for r in reasons)
    assert "customer_fields.ok: item 1 must not contain control characters such as '\\x00'" in (
        "\n".join(reasons)
    )
    assert caught.value.fields[-2:] == ("customer_fields.n", "customer_fields.big")
    fine = SEED.customer.apply(lead, {"big": 10**100 - 1, "d": Decimal("1e-100")})
    assert fine["big"] == 10**100 - 1 and fine["d"] == Decimal("1e-100")


def test_floats_are_held_to_the_same_digit_limit_as_every_number() -> None:
    lead = make_lead("L1", industry="制造业")
    given = {"a": 1e100, "b": -1e300, "c": 1.7e308, "d": Decimal("1E+100"), "e": 10**100}
    with pytest.raises(ValidationError) as caught:
        SEED.customer.apply(lead, given)
    assert caught.value.fields == tuple(f"customer_fields.{name}" for name in given)
    assert all("too large a number (at most 100 digits)" in p.reason for p in caught.value.problems)
    fine = {"a": 9.999e99, "b": -9.999e99, "c": 1e-300, "d": 0.5}
    assert SEED.customer.apply(lead, fine).items() >= fine.items()
    mapping = ConversionMapping.from_dict(
        {"customer": {"fields": [{"from": "industry", "to": "规模", "transform": "huge"}]}},
        transforms={"huge": lambda value: 1e300},
    )
    with pytest.raises(ValidationError, match="too large a number") as refused:
        mapping.customer.apply(lead)
    assert refused.value.fields == ("customer.规模",)


def test_caller_fields_are_checked_without_a_lead_or_a_directory() -> None:
    check_caller_fields({"ok": 1.5}, None, {"t": ("a", "b")})
    with pytest.raises(ValidationError) as caught:
        check_caller_fields(
            {"x": 1e300}, {"y": Decimal("0." + "1" * 101)}, {"\x00": 1}, subject="conversion"
        )
    assert caught.value.fields == ("customer_fields.x", "contact_fields.y", "deal_fields")
    with pytest.raises(ValidationError, match="contact_fields: must be a mapping"):
        check_caller_fields(contact_fields=["x"])
