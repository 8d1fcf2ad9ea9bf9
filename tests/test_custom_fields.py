"""Custom fields: declarations, coercion, every problem reported."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    CustomField,
    CustomFieldSet,
    FieldType,
    ValidationError,
)
from leadcore.conversion.records import check_value
from leadcore.custom_fields import MAX_NUMBER_DIGITS

FIELDS = CustomFieldSet(
    [
        CustomField("urgency", FieldType.CHOICE, required=True, options=("urgent", "normal")),
        CustomField("seats", FieldType.NUMBER),
        CustomField("products", FieldType.MULTI_CHOICE, options=("crm", "erp")),
        CustomField("visited", FieldType.DATE),
        CustomField("vip", FieldType.BOOLEAN),
        CustomField("note", FieldType.TEXT),
    ]
)


def test_custom_values_are_normalised() -> None:
    clean = FIELDS.validate(
        {
            "urgency": "urgent",
            "seats": "12.5",
            "products": ["crm", "crm", "erp"],
            "visited": "2026-02-01",
            "vip": True,
        }
    )
    assert clean == {
        "urgency": "urgent",
        "seats": Decimal("12.5"),
        "products": ("crm", "erp"),
        "visited": date(2026, 2, 1),
        "vip": True,
    }


def test_custom_field_problems_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        FIELDS.validate(
            {"seats": True, "products": "crm", "visited": "soon", "vip": "yes", "colour": "red"}
        )
    assert set(caught.value.fields) == {
        "custom_fields.seats",
        "custom_fields.products",
        "custom_fields.visited",
        "custom_fields.vip",
        "custom_fields.colour",
        "custom_fields.urgency",
    }


def test_partial_validation_skips_missing_required() -> None:
    assert FIELDS.validate({"note": "hi"}, partial=True) == {"note": "hi"}
    with pytest.raises(ValidationError, match="is required"):
        FIELDS.validate({"urgency": ""}, partial=True)


def test_whole_numbers_longer_than_any_store_can_keep_are_refused() -> None:
    numbers = CustomFieldSet([CustomField("n", FieldType.NUMBER)])
    largest = 10**MAX_NUMBER_DIGITS - 1
    assert numbers.validate({"n": largest}) == {"n": largest}
    assert numbers.validate({"n": -largest}) == {"n": -largest}
    for huge in (largest + 1, -largest - 1, 10**5000):
        with pytest.raises(ValidationError, match=f"at most {MAX_NUMBER_DIGITS} digits") as e:
            numbers.validate({"n": huge})
        assert e.value.fields == ("custom_fields.n",)
    assert MAX_NUMBER_DIGITS < 640, "under the smallest int-to-text limit Python may be set to"


def test_every_kind_of_number_is_held_to_the_digit_limit() -> None:
    numbers = CustomFieldSet([CustomField("n", FieldType.NUMBER)])
    for fine in (
        Decimal("9" * MAX_NUMBER_DIGITS),
        Decimal("9.99E+99"),
        9.999e99,
        "-9.99e99",
        Decimal("0." + "1" * MAX_NUMBER_DIGITS),
        Decimal("-1E-100"),
    ):
        assert numbers.validate({"n": fine}) == {"n": Decimal(str(fine))}
    refused = {
        Decimal("1E+100"): "too large a number",
        Decimal("-1E+5000"): "too large a number",
        Decimal("1" * (MAX_NUMBER_DIGITS + 1) + ".5"): "too large a number",
        1e100: "too large a number",
        -1e300: "too large a number",
        "1e300": "too large a number",
        Decimal("0." + "1" * 200): "too many decimals",
        Decimal("1E-101"): "too many decimals",
        "0." + "1" * (MAX_NUMBER_DIGITS + 1): "too many decimals",
    }
    for huge, said in refused.items():
        with pytest.raises(ValidationError, match=said) as e:
            numbers.validate({"n": huge})
        assert e.value.fields == ("custom_fields.n",), huge


@given(
    st.one_of(
        st.integers(min_value=-(10**102), max_value=10**102),
        st.floats(allow_nan=False, allow_infinity=False),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.builds(Decimal.scaleb, st.decimals(-1000, 1000, places=0), st.integers(-300, 300)),
    )
)
def test_a_number_field_keeps_only_what_a_conversion_can_write(
    value: int | float | Decimal,
) -> None:
    """One number rule: what a number field accepts, a conversion copying it accepts too (a
    lead whose field no conversion can write would never convert), and what it refuses is
    refused for the same reason."""
    try:
        clean = CustomFieldSet([CustomField("n", FieldType.NUMBER)]).validate({"n": value})
    except ValidationError as e:
        assert e.fields == ("custom_fields.n",)
        stored = value if isinstance(value, int) else Decimal(str(value))
        assert check_value(stored) == e.problems[0].reason
    else:
        assert check_value(clean["n"]) is None


def test_a_set_of_choices_is_kept_in_the_options_order() -> None:
    field = CustomField("lines", FieldType.MULTI_CHOICE, options=("a", "b", "c"))
    assert field.coerce({"c", "a"}) == ("a", "c")
    assert field.coerce(frozenset({"b", "c", "a"})) == ("a", "b", "c")
    assert field.coerce(["c", "a"]) == ("c", "a")  # a list keeps the order it was given
