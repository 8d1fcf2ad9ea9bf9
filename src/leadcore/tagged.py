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
from functools import partial
from typing import Any, Final, TypeAlias
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

    def value(self, value: object, _depth: int = 0) -> Any:
        """``value`` as tagged plain data; ``ValidationError`` for a type it cannot keep, or
        for lists and mappings nested more than :data:`MAX_DEPTH` deep (or in a cycle)."""
        kind = type(value)
        if value is None or kind is str or kind is int or kind is bool:
            return value
        if kind is float:
            number = float(value)  # type: ignore[arg-type]
            return number if math.isfinite(number) else {"float": repr(number)}
        if isinstance(value, LabelledEnum):
            return {"enum": [_qualified(kind), value.value]}
        if not isinstance(value, list | tuple | set | frozenset | Mapping):
            return self._scalar(value)
        if _depth >= MAX_DEPTH:
            raise ValidationError(
                [FieldProblem("value", f"nests lists or mappings more than {MAX_DEPTH} deep")]
            )
        deeper = _depth + 1
        if isinstance(value, Mapping):
            return self.mapping(value, deeper)
        items = [self.value(item, deeper) for item in value]
        if isinstance(value, set | frozenset):
            name = "frozenset" if isinstance(value, frozenset) else "set"
            return {name: sorted(items, key=repr)}
        return {"list" if isinstance(value, list) else "tuple": items}

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

    def mapping(self, value: Mapping[Any, object], _depth: int = 0) -> Any:
        """A mapping, tagged: with text keys a JSON object, with other keys a list of pairs."""
        if all(type(key) is str for key in value):
            return {"dict": {key: self.value(item, _depth) for key, item in value.items()}}
        pairs = [[self.value(key, _depth), self.value(item, _depth)] for key, item in value.items()]
        return {"pairs": pairs}

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

    def read(self, data: Any, _depth: int = 0) -> Any:
        """The value ``value`` or ``mapping`` wrote; ``ValueError`` if ``data`` is not one."""
        if data is None or isinstance(data, str | int | float):
            return data
        if not isinstance(data, Mapping) or len(data) != 1:
            raise ValueError(f"expected a tagged value, not {type(data).__name__}")
        if _depth > MAX_DEPTH:  # one deeper than ``value`` writes: a scalar's tag at the end
            raise ValueError(f"nests lists or mappings more than {MAX_DEPTH} deep")
        ((tag, body),) = data.items()
        try:
            if tag == "enum":
                enum: type[LabelledEnum] = _named(body[0], LabelledEnum)
                return enum.parse(body[1])
            if tag == "attrs":
                return self._converter.structure(body[1], _named(body[0], None))
            reader, shape = _READERS[tag]
            if not isinstance(body, shape):
                raise ValueError(f"a {tag!r} value holds a {shape.__name__}, not {_kind(body)}")
            return reader(partial(self.read, _depth=_depth + 1), body)
        except (KeyError, IndexError, TypeError, AttributeError, InvalidOperation) as e:
            raise ValueError(f"a malformed {tag!r} value") from e
        except OverflowError as e:
            raise ValueError(f"a {tag!r} value beyond the limits of the calendar") from e


MAX_DEPTH: Final = 100
"""How deep lists and mappings may nest in a loosely typed value."""

_Read: TypeAlias = Callable[[Any], Any]
_READERS: Final[Mapping[str, tuple[Callable[[_Read, Any], object], type]]] = {
    "list": (lambda read, body: [read(item) for item in body], list),
    "tuple": (lambda read, body: tuple(read(item) for item in body), list),
    "set": (lambda read, body: {read(item) for item in body}, list),
    "frozenset": (lambda read, body: frozenset(read(item) for item in body), list),
    "dict": (lambda read, body: {str(key): read(item) for key, item in body.items()}, Mapping),
    "pairs": (lambda read, body: {read(key): read(item) for key, item in body}, list),
    "float": (lambda read, body: float(body), str),
    "datetime": (lambda read, body: zoned_datetime(body), str),
    "date": (lambda read, body: date.fromisoformat(body), str),
    "timedelta": (lambda read, body: timedelta(*body), list),
    "decimal": (lambda read, body: Decimal(body), str),
}
"""Each tag's reader (given the reader of the values inside) and the JSON type of its body."""


def _kind(value: object) -> str:
    return type(value).__name__


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
