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


@given(
    st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
        st.booleans(),
        st.none(),
    )
)
def test_any_number_input_is_accepted_or_refused_cleanly(value: object) -> None:
    try:
        clean = CustomFieldSet([CustomField("n", FieldType.NUMBER)]).validate({"n": value})
    except ValidationError as e:
        assert e.fields == ("custom_fields.n",)
    else:
        assert value is None or value == "" or isinstance(clean["n"], int | Decimal)
