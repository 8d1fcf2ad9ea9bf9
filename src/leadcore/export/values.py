"""Turning any value a record holds into JSON-ready data, and into a table cell's text.

The rules, one per kind of value (record → table cell):

- None → ``None`` → empty.
- text, whole numbers (NumPy's as ``int``) → as they are; a bool → ``true``/``false`` in a
  record, and 是/否 or yes/no in a Chinese or English cell.
- float (NumPy's as ``float``) → as it is, NaN and infinities as ``None`` → at most 2
  decimals, never ``-0``.
- ``Decimal`` (money amounts) → exact text, ``"1000.00"``, never a float.
- a labelled enum → its value, Chinese or English label, by the label setting; another enum →
  its value.
- datetime, date, time → ISO 8601 text → ``2026-03-02 09:00`` (the offset added unless UTC).
- timedelta → seconds, a number → ``1:30:00``.
- set → a sorted list (numbers by size) → sorted and comma-separated; list, tuple → a list →
  comma-separated.
- mapping → an object (keys as text; two keys that write as the same text, ``1`` and ``"1"``,
  are a ``ValidationError`` naming it, since an object keeps only one) → ``key: value`` pairs;
  an attrs record → an object of its fields →
  ``field: value`` pairs (or its own ``str()``).
- anything else → ``str(value)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Set
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final

from leadcore.checks import shown
from leadcore.errors import FieldProblem, ValidationError
from leadcore.jsonvalue import JSONValue
from leadcore.labels import LabelledEnum

from .settings import Labels, resolve_labels

__all__ = ["cell", "enum_text", "plain"]

_MAX_DEPTH: Final = 20
_FLAGS: Final[dict[Labels, tuple[str, str]]] = {
    "value": ("true", "false"),
    "zh": ("是", "否"),
    "en": ("yes", "no"),
}


def enum_text(member: Enum, labels: Labels) -> str:
    """An enum member by the label setting: its value, its Chinese or its English label
    (``labels`` checked: anything else is a ``ValidationError``)."""
    labels = resolve_labels(labels)
    if isinstance(member, LabelledEnum):
        if labels == "zh":
            return member.label
        if labels == "en":
            return member.label_en
    return str(member.value)


def plain(value: object, labels: Labels = "value", _depth: int = 0) -> JSONValue:
    """``value`` as JSON-ready data (``json.dumps`` takes it as is); ``labels`` checked."""
    if _depth == 0:
        labels = resolve_labels(labels)
    if isinstance(value, Enum):
        return enum_text(value, labels)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, numbers.Integral):  # NumPy's and pandas' whole numbers
        return int(value)
    if isinstance(value, numbers.Real):
        return plain(float(value), labels, _depth)
    if _depth >= _MAX_DEPTH:
        return str(value)
    deeper = _depth + 1
    if isinstance(value, Mapping):
        return _object(value, labels, deeper)
    if isinstance(value, Set):
        ordered = _numbers_in_order(value)
        if ordered is not None:
            return [plain(v, labels, deeper) for v in ordered]
        items = [plain(v, labels, deeper) for v in value]
        return sorted(items, key=lambda v: (type(v).__name__, str(v)))
    if isinstance(value, list | tuple):
        return [_under(f"[{i}]", v, labels, deeper) for i, v in enumerate(value)]
    names = _field_names(value)
    if names is not None:
        return {name: _under(name, getattr(value, name, None), labels, deeper) for name in names}
    return str(value)


def _numbers_in_order(values: Set[object]) -> list[object] | None:
    """A set of numbers smallest first (NaN last), so 9 comes before 10; None for any other
    set (sorted by its text)."""
    if not all(_is_number(v) for v in values):
        return None
    return sorted(values, key=lambda v: (0, v) if _finite(v) else (1, 0))


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool | Enum)


def _finite(number: object) -> bool:
    if isinstance(number, Decimal):
        return number.is_finite()
    return isinstance(number, numbers.Real) and math.isfinite(number)


def _float_cell(value: float) -> str:
    """At most 2 decimals, trailing zeros dropped; a value that rounds to zero is ``0``,
    never ``-0``."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _int_cell(value: int) -> str:
    """A whole number's digits; one past Python's 4,300 digits is named by its type, as
    writing it out raises."""
    try:
        return str(value)
    except ValueError:
        return shown(value)


def _field_names(value: object) -> tuple[str, ...] | None:
    """The field names of an attrs record, or None for anything else."""
    fields = getattr(type(value), "__attrs_attrs__", None)
    return None if fields is None else tuple(f.name for f in fields)


def _object(value: Mapping[object, object], labels: Labels, depth: int) -> dict[str, JSONValue]:
    """A mapping as a JSON object; two keys that write as the same text (``1`` and ``"1"``)
    are a ``ValidationError`` naming that key, as the object would silently keep only one."""
    written: dict[str, JSONValue] = {}
    first: dict[str, object] = {}
    for key, item in value.items():
        text = _key(key, labels)
        if text in first:
            reason = (
                f"the keys {shown(first[text])} and {shown(key)} both write as {shown(text)}; "
                "an object keeps only one, so give each key its own text"
            )
            raise ValidationError([FieldProblem(text, reason)], subject="export")
        first[text] = key
        written[text] = _under(text, item, labels, depth)
    return written


def _under(where: str, value: object, labels: Labels, depth: int) -> JSONValue:
    """``plain(value)`` for the value at ``where`` (a key, or ``[i]``) in an object or list; a
    problem found inside is named by its path from here."""
    try:
        return plain(value, labels, depth)
    except ValidationError as e:
        raise within(e, where) from e


def within(error: ValidationError, where: str) -> ValidationError:
    """``error`` with each problem's path put under ``where`` (``data``, ``[2]``)."""
    problems = [
        FieldProblem(where + (p.field if p.field.startswith("[") else f".{p.field}"), p.reason)
        for p in error.problems
    ]
    return ValidationError(problems, subject=error.subject)


def _key(key: object, labels: Labels) -> str:
    written = plain(key, labels)
    return written if isinstance(written, str) else str(written)


def cell(value: object, labels: Labels = "value", _depth: int = 0) -> str:
    """``value`` as the text of one table cell; ``labels`` checked."""
    if _depth == 0:
        labels = resolve_labels(labels)
    if value is None:
        return ""
    if isinstance(value, bool):
        yes, no = _FLAGS[labels]
        return yes if value else no
    if isinstance(value, Enum):
        return enum_text(value, labels)
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _float_cell(value)
    if isinstance(value, int):
        return _int_cell(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        offset = f"{value:%z}" if value.utcoffset() else ""
        return f"{value.year:04d}-{value:%m-%d %H:%M} {offset}".rstrip()
    if isinstance(value, date | time):
        return value.isoformat()
    if _depth >= _MAX_DEPTH:
        return str(value)
    deeper = _depth + 1
    if isinstance(value, Mapping):
        return ", ".join(f"{cell(k, labels)}: {cell(v, labels, deeper)}" for k, v in value.items())
    if isinstance(value, Set):
        ordered = _numbers_in_order(value)
        if ordered is not None:
            return ", ".join(cell(v, labels, deeper) for v in ordered)
        return ", ".join(sorted(cell(v, labels, deeper) for v in value))
    if isinstance(value, list | tuple):
        return ", ".join(cell(v, labels, deeper) for v in value)
    names = _field_names(value)
    if names is not None and type(value).__str__ is object.__str__:
        pairs = ((name, getattr(value, name, None)) for name in names)
        return ", ".join(f"{name}: {cell(v, labels, deeper)}" for name, v in pairs if v is not None)
    return str(value)
