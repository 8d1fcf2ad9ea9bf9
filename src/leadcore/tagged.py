"""Loosely typed values as plain data that says its own type, for the project's converter.

An audit's before and after, an event's data and a custom field's value are typed only as
``object`` (or a union), so plain JSON would lose what they were: a ``Decimal`` would come back
as text, a date as text, a tuple as a list. Here text, whole numbers, finite floats, booleans
and None stay themselves and everything else becomes a one-key mapping naming its type
(``{"decimal": "1.5"}``, ``{"date": "2026-01-31"}``, ``{"tuple": ["a"]}``). Enums and attrs
classes are named by module and qualified name; only leadcore's own are looked up again.

Datetimes in a named zone keep the zone's name after the offset
(``2026-03-02T09:00:00+08:00[Asia/Shanghai]``) and come back in that zone.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import cattrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import FieldChange
from leadcore.labels import LabelledEnum
from leadcore.model import CustomValue

__all__ = ["Tags", "datetime_text", "is_custom_value", "is_loose_mapping", "zoned_datetime"]


def datetime_text(value: datetime) -> str:
    """ISO 8601 text; a datetime in a named zone keeps the zone's name after its offset."""
    tz = value.tzinfo
    key = tz.key if isinstance(tz, ZoneInfo) else None
    return f"{value.isoformat()}[{key}]" if key else value.isoformat()


def zoned_datetime(text: str) -> datetime:
    """The datetime ``datetime_text`` wrote (the ``[zone]`` suffix is optional);
    ``ValueError`` if it is not one."""
    if not text.endswith("]"):
        return datetime.fromisoformat(text)
    stamp, _, key = text[:-1].partition("[")
    parsed = datetime.fromisoformat(stamp)
    if parsed.tzinfo is None:
        raise ValueError("needs a UTC offset before the zone, e.g. 2026-01-31T09:00:00+08:00")
    try:
        return parsed.astimezone(ZoneInfo(key))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {key!r}") from e


def is_loose_mapping(cls: Any) -> bool:
    """Whether ``cls`` is ``Mapping[str, object]`` (an event's data)."""
    return bool(cls == Mapping[str, object])


def is_custom_value(cls: Any) -> bool:
    """Whether ``cls`` is the custom field value union."""
    return bool(cls == CustomValue)


class Tags:
    """Tagged plain data for one converter (attrs values inside are unstructured by it)."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self._converter = converter

    def value(self, value: object) -> Any:
        """``value`` as tagged plain data; ``ValidationError`` for a type it cannot keep."""
        kind = type(value)
        if value is None or kind is str or kind is int or kind is bool:
            return value
        if kind is float:
            number = float(value)  # type: ignore[arg-type]
            return number if math.isfinite(number) else {"float": repr(number)}
        if isinstance(value, LabelledEnum):
            return {"enum": [_qualified(kind), value.value]}
        if isinstance(value, list):
            return {"list": [self.value(item) for item in value]}
        if isinstance(value, tuple):
            return {"tuple": [self.value(item) for item in value]}
        if isinstance(value, set | frozenset):
            name = "frozenset" if isinstance(value, frozenset) else "set"
            return {name: sorted((self.value(item) for item in value), key=repr)}
        if isinstance(value, Mapping):
            return self.mapping(value)
        return self._scalar(value)

    def _scalar(self, value: object) -> Any:
        if isinstance(value, datetime):
            return {"datetime": datetime_text(value)}
        if isinstance(value, date):
            return {"date": value.isoformat()}
        if isinstance(value, timedelta):
            return {"timedelta": [value.days, value.seconds, value.microseconds]}
        if isinstance(value, Decimal):
            return {"decimal": str(value)}
        kind = type(value)
        if attrs.has(kind) and kind.__module__.startswith("leadcore."):
            return {"attrs": [_qualified(kind), self._converter.unstructure(value)]}
        raise ValidationError(
            [FieldProblem("value", f"a {kind.__name__} cannot be stored; use plain data")]
        )

    def mapping(self, value: Mapping[Any, object]) -> Any:
        """A mapping, tagged: with text keys a JSON object, with other keys a list of pairs."""
        if all(type(key) is str for key in value):
            return {"dict": {key: self.value(item) for key, item in value.items()}}
        return {"pairs": [[self.value(key), self.value(item)] for key, item in value.items()]}

    def change(self, change: FieldChange) -> Any:
        """An audited field change, its before and after tagged."""
        return {
            "field": change.field,
            "before": self.value(change.before),
            "after": self.value(change.after),
        }

    def read_change(self, data: Any) -> FieldChange:
        """The field change ``change`` wrote; ``ValueError`` if ``data`` is not one."""
        if not isinstance(data, Mapping) or set(data) != {"field", "before", "after"}:
            raise ValueError("expected a field change with field, before and after")
        if not isinstance(data["field"], str):
            raise ValueError("a field change names its field in text")
        return FieldChange(data["field"], self.read(data["before"]), self.read(data["after"]))

    def read(self, data: Any) -> Any:
        """The value ``value`` or ``mapping`` wrote; ``ValueError`` if ``data`` is not one."""
        if data is None or isinstance(data, str | int | float):
            return data
        if not isinstance(data, Mapping) or len(data) != 1:
            raise ValueError(f"expected a tagged value, not {type(data).__name__}")
        ((tag, body),) = data.items()
        try:
            if tag == "enum":
                enum: type[LabelledEnum] = _named(body[0], LabelledEnum)
                return enum.parse(body[1])
            if tag == "attrs":
                return self._converter.structure(body[1], _named(body[0], None))
            return _READERS[tag](self, body)
        except (KeyError, IndexError, TypeError, AttributeError, InvalidOperation) as e:
            raise ValueError(f"a malformed {tag!r} value") from e


_READERS: dict[str, Callable[[Tags, Any], object]] = {
    "list": lambda tags, body: [tags.read(item) for item in body],
    "tuple": lambda tags, body: tuple(tags.read(item) for item in body),
    "set": lambda tags, body: {tags.read(item) for item in body},
    "frozenset": lambda tags, body: frozenset(tags.read(item) for item in body),
    "dict": lambda tags, body: {str(key): tags.read(item) for key, item in body.items()},
    "pairs": lambda tags, body: {tags.read(key): tags.read(item) for key, item in body},
    "float": lambda tags, body: float(body),
    "datetime": lambda tags, body: zoned_datetime(body),
    "date": lambda tags, body: date.fromisoformat(body),
    "timedelta": lambda tags, body: timedelta(*body),
    "decimal": lambda tags, body: Decimal(body),
}


def _qualified(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _named(name: object, base: type | None) -> Any:
    """The leadcore class called ``name`` (``module:qualname``): a subclass of ``base``, or an
    attrs class when ``base`` is None; ``ValueError`` for anything else."""
    if not isinstance(name, str) or not name.startswith("leadcore.") or ":" not in name:
        raise ValueError(f"{name!r} is not a leadcore type")
    module, _, qualname = name.partition(":")
    try:
        found: Any = importlib.import_module(module)
    except ImportError as e:
        raise ValueError(f"{name!r} is not a leadcore type") from e
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not isinstance(found, type):
        raise ValueError(f"{name!r} is not a leadcore type")
    if not (issubclass(found, base) if base is not None else attrs.has(found)):
        raise ValueError(f"{name!r} is not a leadcore type of the expected kind")
    return found
