"""Probes of the small value modules: money, currencies, JSON state, tagged values, frozen
mappings, clocks and id factories. Each wrong input gets a ``LeadcoreError`` naming it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, localcontext
from types import MappingProxyType
from typing import Any

import pytest

from leadcore import FixedClock, Money, ValidationError, counter_ids
from leadcore.config import make_converter, structure, unstructure
from leadcore.errors import LeadcoreError
from leadcore.events import Event, EventKind
from leadcore.ids import CounterIds
from leadcore.jsonvalue import dump_json
from leadcore.storage import MemoryStore
from leadcore.tagged import Tags
from leadcore.testing import EPOCH, make_lead
from leadcore.testing.world import World, new_lead

# --- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("100.123", "CNY"), ("100.5", "JPY"), ("5.1234", "KWD"), ("1e-999999999", "CNY")],
)
def test_an_amount_has_no_more_decimals_than_its_currency(amount: str, currency: str) -> None:
    with pytest.raises(ValidationError, match=f"{currency} amounts have") as caught:
        Money(amount, currency)
    assert caught.value.fields == ("amount",)


def test_an_amount_within_its_currencys_decimals_is_kept() -> None:
    assert Money("5.125", "KWD").amount == Decimal("5.125")
    assert Money("1000", "JPY").amount == Decimal("1000")
    assert str(Money("12000.50")) == "CNY 12000.50"


def test_a_budget_with_a_fraction_of_a_fen_is_refused_at_intake(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        new_lead(world, budget="1e-999999")
    assert caught.value.fields == ("budget",)
    assert "at most 2 decimals" in str(caught.value)


def test_an_amount_is_kept_in_plain_notation() -> None:
    assert str(Money("1.5e6")) == "CNY 1500000"
    assert str(Money(Decimal("1E+3"), "JPY")) == "JPY 1000"
    assert str(Money("100.000")) == "CNY 100.00"
    assert str(Money("0E-999999999")) == "CNY 0.00"
    assert Money("1.5e6") == Money("1500000")
    with localcontext() as context:  # a host's own decimal context changes nothing
        context.prec = 3
        assert str(Money("123456789.125", "KWD")) == "KWD 123456789.125"


def test_minus_zero_is_zero() -> None:
    assert str(Money("-0")) == "CNY 0"
    assert str(Money(Decimal("-0.00"))) == "CNY 0.00"


@pytest.mark.parametrize(
    ("given", "meant"), [("cny", "CNY"), (" USD", "USD"), ("RMB", "CNY"), ("人民币", "CNY")]
)
def test_a_near_miss_currency_is_answered_with_the_code_meant(given: str, meant: str) -> None:
    with pytest.raises(ValidationError, match=f"did you mean '{meant}'") as caught:
        Money("1", given)
    assert caught.value.fields == ("currency",)


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("50万", "500000"),
        ("¥500,000", "500000"),
        ("1.5亿元", "150000000"),
        ("￥1,234.56", "1234.56"),
    ],
)
def test_an_amount_written_as_people_write_it_is_answered_with_the_plain_number(
    written: str, plain: str
) -> None:
    with pytest.raises(ValidationError, match=f"write it as '{plain}'") as caught:
        Money(written)
    assert caught.value.fields == ("amount",)


@pytest.mark.parametrize("written", ["12,34", "1,0", "abc", "万", "1e999999万"])
def test_no_plain_number_is_offered_for_what_is_not_clearly_one(written: str) -> None:
    with pytest.raises(ValidationError, match=r"e\.g\. '1000\.00'"):
        Money(written)


def test_money_messages_stay_short_whatever_the_input() -> None:
    given: list[tuple[str | int, str]] = [
        ("x" * 100_000, "CNY"),
        ("1", "C" * 100_000),
        (-(10**5000), "CNY"),
    ]
    for amount, currency in given:
        with pytest.raises(ValidationError) as caught:
            Money(amount, currency)
        assert len(str(caught.value)) < 300


# --- JSON state ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [{1: "a"}, {"credit": {"bob": 1, 2: 3}}, [{None: 1}]])
def test_json_state_refuses_keys_that_are_not_text(value: object) -> None:
    with pytest.raises(ValidationError, match="not text") as caught:
        dump_json(value, "state[k]")
    assert caught.value.fields[0].startswith("state[k]")


def test_a_store_keeps_no_state_with_a_number_for_a_key() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError, match="not text"):
            uow.set_state("rr:east", {1: "bob", "1": "carol"})  # type: ignore[dict-item]
        assert uow.get_state("rr:east") is None


# --- tagged values ---------------------------------------------------------------------------


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_event_data_nested_too_deep_is_refused_by_name() -> None:
    cycle: list[object] = []
    cycle.append(cycle)
    for data in (_nested(5000), cycle, {"a": _nested(101)}):
        event = Event(EventKind.LEAD_CREATED, EPOCH, "bob", "L1", "east", data={"x": data})
        with pytest.raises(ValidationError, match="deep"):
            unstructure(event)
    deep = Event(EventKind.LEAD_CREATED, EPOCH, "bob", "L1", "east", data={"x": _nested(90)})
    assert structure(unstructure(deep), Event) == deep


@pytest.mark.parametrize(
    "data",
    [
        {"list": "abc"},
        {"tuple": {"a": 1}},
        {"decimal": 5},
        {"timedelta": [10**10, 0, 0]},
        {"datetime": "9999-12-31T23:59:59-14:00[Asia/Shanghai]"},
    ],
)
def test_a_malformed_tagged_value_reads_as_a_value_error(data: object) -> None:
    with pytest.raises(ValueError, match="'"):
        Tags(make_converter()).read(data)


def test_a_tagged_value_too_deep_to_read_is_a_value_error() -> None:
    data: object = 1
    for _ in range(5000):
        data = {"list": [data]}
    with pytest.raises(ValueError, match="deep"):
        Tags(make_converter()).read(data)


# --- frozen mappings -------------------------------------------------------------------------


def test_a_callers_read_only_view_is_copied_not_kept() -> None:
    source: dict[str, Any] = {"urgency": "urgent"}
    lead = make_lead("L1", custom_fields=MappingProxyType(source))
    event = Event(EventKind.LEAD_CREATED, EPOCH, "bob", data=MappingProxyType(source))
    source["urgency"] = "normal"
    assert lead.custom_fields == {"urgency": "urgent"}
    assert event.data == {"urgency": "urgent"}


# --- clocks --------------------------------------------------------------------------------


def test_a_clock_does_not_advance_backwards() -> None:
    clock = FixedClock(EPOCH)
    with pytest.raises(ValidationError, match="set") as caught:
        clock.advance(hours=-1)
    assert caught.value.fields == ("hours",)
    with pytest.raises(ValidationError) as caught:
        clock.advance(timedelta(days=1), days=-2)
    assert caught.value.fields == ("delta",)
    assert clock.advance(days=1, hours=-1) == EPOCH + timedelta(hours=23)


def test_a_clock_step_too_large_for_a_float_is_refused_by_name() -> None:
    clock = FixedClock(EPOCH)
    with pytest.raises(ValidationError, match="limits of the calendar") as caught:
        clock.advance(hours=10**400)
    assert caught.value.fields == ("hours",)
    assert clock.now() == EPOCH


# --- id factories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"prefix": None}, "prefix"),
        ({"prefix": 5}, "prefix"),
        ({"prefix": "crm\u200b"}, "prefix"),
        ({"prefix": " crm"}, "prefix"),
        ({"prefix": "x" * 300}, "prefix"),
        ({"start": -1}, "start"),
        ({"start": True}, "start"),
        ({"start": "1"}, "start"),
        ({"start": 1.5}, "start"),
        ({"letters": 5}, "letters"),
        ({"letters": {"lead": 5}}, "letters['lead']"),
    ],
)
def test_counter_ids_check_what_they_are_given(arguments: Mapping[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CounterIds(**arguments)
    assert caught.value.fields == (field,)


def test_counter_ids_name_a_kind_that_is_not_text() -> None:
    ids = counter_ids()
    for kind in (5, None, "", " "):
        with pytest.raises(ValidationError) as caught:
            ids(kind)  # type: ignore[arg-type]
        assert caught.value.fields == ("kind",)
    assert (ids("lead"), counter_ids("crm-", 0)("lead")) == ("L1", "crm-L0")


def test_resuming_past_a_store_that_reports_every_id_used_ends() -> None:
    calls = 0

    def every_id_used(record_id: str) -> bool:
        nonlocal calls
        calls += 1
        assert calls < 500, "resume looked for a free id forever"
        return True

    with pytest.raises(LeadcoreError, match="every lead id"):
        counter_ids().resume("lead", every_id_used)
