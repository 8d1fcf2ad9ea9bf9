"""Named transforms a field mapping may apply (``transform = "label"``), and how a host adds
its own: ``ConversionMapping.from_toml(text, transforms={"region_code": to_code})``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from leadcore.labels import LabelledEnum
from leadcore.model import Money, SourceChannel

from .records import FieldValue

__all__ = ["BUILT_IN_TRANSFORMS", "Transform"]

Transform = Callable[[object], "FieldValue | None"]
"""A transform: the lead field's value in, the target field's value out (None: leave the
field out). Raising ``ValueError`` or ``TypeError`` refuses the conversion, naming the field."""


def _text(value: object) -> str:
    if isinstance(value, LabelledEnum):
        return value.value
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _member(value: object) -> LabelledEnum | None:
    """The enum member behind ``value``: itself, or a source channel given by its value (a
    lead's ``source`` is plain text, since pools may allow sources of their own)."""
    if isinstance(value, LabelledEnum):
        return value
    if isinstance(value, str):
        try:
            return SourceChannel.parse(value)
        except ValueError:
            return None
    return None


def _label(value: object) -> FieldValue:
    member = _member(value)
    return _text(value) if member is None else member.label


def _label_en(value: object) -> FieldValue:
    member = _member(value)
    return _text(value) if member is None else member.label_en


def _amount(value: object) -> FieldValue:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"is not an amount of money: {value!r}")


def _date(value: object) -> FieldValue:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"is not a date or time: {value!r}")


def _upper(value: object) -> FieldValue:
    return _text(value).upper()


def _lower(value: object) -> FieldValue:
    return _text(value).lower()


BUILT_IN_TRANSFORMS: Final[Mapping[str, Transform]] = MappingProxyType(
    {
        "text": _text,
        "label": _label,
        "label_en": _label_en,
        "amount": _amount,
        "date": _date,
        "upper": _upper,
        "lower": _lower,
    }
)
"""Transforms every mapping knows: ``text`` (plain text; an enum's value), ``label`` and
``label_en`` (an enum's Chinese or English label: 大型, Large; a source channel's: 展会活动), ``amount`` (a budget's number
without its currency), ``date`` (a time's date), ``upper`` and ``lower``."""
