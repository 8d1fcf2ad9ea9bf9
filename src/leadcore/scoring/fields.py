"""Which lead fields a score model or a learned grade may read, and how their values compare.

A field path is a ``Lead`` attribute name (``"industry"``, ``"company_size"``, ``"budget"``) or a
custom field as ``"custom_fields.<name>"``. Values compare as text keys: an enum by its value
(``"large"``), a boolean as ``"true"``/``"false"``, a number in plain decimal (``"3"``, ``"2.5"``),
a date in ISO form; a multi-choice value (a tuple) matches through any of its items.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from operator import attrgetter
from typing import Final

import attrs

from leadcore.labels import LabelledEnum
from leadcore.model import CompanySize, Lead, LeadStatus, Money

__all__ = [
    "CUSTOM_PREFIX",
    "ENUM_FIELDS",
    "MULTI_CHOICE",
    "NUMBER_FIELDS",
    "TEXT_FIELDS",
    "FieldKind",
    "FieldRef",
    "as_number",
    "describe_value",
    "in_currency",
    "is_multi_choice",
    "items_of",
    "known_fields",
    "lead_getter",
    "read_field",
    "resolve_field",
    "value_key",
    "value_keys",
]

CUSTOM_PREFIX: Final = "custom_fields."
"""The prefix of a custom field path: ``custom_fields.urgency``."""

_NOT_READ: Final = frozenset({"id", "grade"})  # identity, and the score's own output

TEXT_FIELDS: Final = tuple(
    f.name
    for f in attrs.fields(Lead)
    # annotations are text here (postponed evaluation in the model)
    if str(f.type) in ("str", "str | None") and f.name not in _NOT_READ
)
"""Lead fields holding text (or nothing)."""

ENUM_FIELDS: Final[Mapping[str, type[LabelledEnum]]] = {
    "company_size": CompanySize,
    "status": LeadStatus,
}
"""Lead fields holding an enum, with the enum: config keys may be its values, names or labels."""

NUMBER_FIELDS: Final = ("budget",)
"""Lead fields holding a number (``budget``, a ``Money``, compares by its amount in the
currency a dimension names)."""


def known_fields() -> tuple[str, ...]:
    """Every built-in field path, sorted (custom fields come on top as ``custom_fields.<name>``)."""
    return tuple(sorted((*TEXT_FIELDS, *ENUM_FIELDS, *NUMBER_FIELDS)))


class FieldKind(StrEnum):
    """What a field path reads."""

    TEXT = "text"
    ENUM = "enum"
    NUMBER = "number"
    CUSTOM = "custom"


@attrs.frozen(slots=True)
class FieldRef:
    """A checked field path and what it reads (``kind``); ``name`` is the attribute or the
    custom field's name, ``enum`` the enum of an enum field."""

    path: str
    kind: FieldKind
    name: str
    enum: type[LabelledEnum] | None = None


def resolve_field(path: str) -> FieldRef:
    """Check a field path; raise ``ValueError`` listing the known fields when it is unknown."""
    if path.startswith(CUSTOM_PREFIX):
        name = path[len(CUSTOM_PREFIX) :]
        if not name.isidentifier():
            raise ValueError(f"{path!r}: a custom field is named like custom_fields.urgency")
        return FieldRef(path, FieldKind.CUSTOM, name)
    if path in ENUM_FIELDS:
        return FieldRef(path, FieldKind.ENUM, path, ENUM_FIELDS[path])
    if path in NUMBER_FIELDS:
        return FieldRef(path, FieldKind.NUMBER, path)
    if path in TEXT_FIELDS:
        return FieldRef(path, FieldKind.TEXT, path)
    known = ", ".join(known_fields())
    raise ValueError(f"{path!r} is not a lead field; use one of: {known}, or custom_fields.<name>")


def lead_getter(ref: FieldRef) -> Callable[[Lead], object]:
    """A fast function reading the field from a ``Lead`` (budget as its ``Money``, so that a
    reader sees its currency; :func:`as_number` and :func:`value_keys` read its amount)."""
    if ref.kind is FieldKind.CUSTOM:
        name = ref.name

        def custom(lead: Lead) -> object:
            return lead.custom_fields.get(name)

        return custom
    getter: Callable[[Lead], object] = attrgetter(ref.name)
    return getter


def in_currency(get: Callable[[Lead], object], currency: str) -> Callable[[Lead], object]:
    """``get`` (a budget reader) with a budget in another currency than ``currency`` read as
    missing (None): amounts in two currencies do not compare."""

    def budget(lead: Lead) -> object:
        money = get(lead)
        return money if not isinstance(money, Money) or money.currency == currency else None

    return budget


def read_field(record: Lead | Mapping[str, object], path: str) -> object:
    """The value at ``path`` in a ``Lead`` or a plain mapping (``None`` when absent).

    A mapping may hold ``"custom_fields.x"`` as a key of its own or nest ``{"custom_fields":
    {"x": ...}}``; a lead's custom field is read from ``lead.custom_fields``.
    """
    if isinstance(record, Lead):
        if path.startswith(CUSTOM_PREFIX):
            return record.custom_fields.get(path[len(CUSTOM_PREFIX) :])
        return getattr(record, path, None)
    if path in record:
        return record[path]
    if path.startswith(CUSTOM_PREFIX):
        nested = record.get("custom_fields")
        if isinstance(nested, Mapping):
            return nested.get(path[len(CUSTOM_PREFIX) :])
    return None


def _number_text(number: int | Decimal | float) -> str:
    if isinstance(number, int):
        return str(number)
    if isinstance(number, float):
        return str(int(number)) if number.is_integer() else repr(number)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def value_key(value: object) -> str | None:
    """The text key a single value compares by, or ``None`` for a missing value."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | float):
        return _number_text(value)
    if isinstance(value, Money):
        return _number_text(value.amount)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


MULTI_CHOICE: Final = (tuple, list, frozenset, set)
"""The types of a multi-choice value: it matches through any of its items."""


def is_multi_choice(value: object) -> bool:
    """Whether a value holds several choices (a tuple, list or set)."""
    return isinstance(value, MULTI_CHOICE)


def items_of(value: object) -> tuple[object, ...]:
    """A multi-choice value's items, or the value alone."""
    return tuple(value) if isinstance(value, MULTI_CHOICE) else (value,)


def value_keys(value: object) -> tuple[str, ...]:
    """The keys of a value: none when missing, each item's for a multi-choice value."""
    keys = (value_key(item) for item in items_of(value))
    return tuple(k for k in keys if k is not None)


def as_number(value: object) -> float | None:
    """The value as a float for bands and ranges, or ``None`` when it is not a number (a NaN
    is none either); a number beyond a float's range is ±infinity."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, Decimal) and value.is_nan():
        return None
    if not isinstance(value, int | float | Decimal):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond a float's range
        return math.inf if value > 0 else -math.inf
    return None if math.isnan(number) else number


def describe_value(value: object) -> str:
    """A short display form of a field value for explanations."""
    if value is None:
        return "(missing)"
    if isinstance(value, float):
        return _number_text(value)
    if is_multi_choice(value):
        return "[" + ", ".join(describe_value(v) for v in items_of(value)) + "]"
    return value_key(value) or "(missing)"
