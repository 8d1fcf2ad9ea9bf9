"""Build leadcore objects from plain data (dicts, JSON, TOML) and back.

One private cattrs converter, made by :func:`make_converter`, is used for everything; the global
cattrs converter is never touched. Structuring errors become a :class:`ConfigError` naming the
path at fault (``$.dimensions[2].weight``) and what would be right. At every depth (lists of
tables, table values), a string is never read as a list of its characters, and only a table
(mapping) is read as a class of settings.
"""

from __future__ import annotations

import json
import math
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeVar, get_origin

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from leadcore.errors import ConfigError, FieldProblem, LeadcoreError, ValidationError
from leadcore.events import FieldChange
from leadcore.labels import LabelledEnum
from leadcore.model import Money
from leadcore.tagged import Tags, datetime_text, is_custom_value, is_loose_mapping, zoned_datetime

__all__ = ["kind_of", "load_json", "load_toml", "make_converter", "structure", "unstructure"]

T = TypeVar("T")


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 100:
        parsed = zoned_datetime(value)
    else:
        raise ValueError("expected an ISO 8601 date-time with a timezone")
    if parsed.tzinfo is None:
        raise ValueError("needs a timezone, e.g. 2026-01-31T09:00:00+08:00")
    return parsed


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError("expected an ISO date like 2026-01-31")


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("expected a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


def _structure_timedelta(value: object, _: type) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, Mapping):
        allowed = {"weeks", "days", "hours", "minutes", "seconds"}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"unknown unit(s) {sorted(unknown)}; use {sorted(allowed)}")
        return timedelta(**{k: _finite(v) for k, v in value.items()})
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=_finite(value))
    raise ValueError('expected seconds or units like {"hours": 2}')


def _finite(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, not {value!r}")
    number = float(value)
    if math.isnan(number) or abs(number) > 1e12:
        raise ValueError(f"expected a finite number of reasonable size, not {value!r}")
    return number


_MONEY_KEYS: Final = frozenset({"amount", "currency"})


def _structure_money(value: object, _: type) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, Mapping):
        unknown = sorted(str(key) for key in value if key not in _MONEY_KEYS)
        if unknown:
            raise ValueError(f"unknown money settings {unknown} (known: amount, currency)")
        return Money(_structure_decimal(value.get("amount"), Decimal), value.get("currency", "CNY"))
    if isinstance(value, str) and " " in value.strip():
        first, second = value.split(None, 1)
        if first.isalpha():
            return Money(_structure_decimal(second, Decimal), first)
        return Money(_structure_decimal(first, Decimal), second)
    return Money(_structure_decimal(value, Decimal))


def _structure_enum(value: object, cls: type[LabelledEnum]) -> LabelledEnum:
    if isinstance(value, cls):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected one of: {', '.join(m.value for m in cls)}")
    return cls.parse(value)


@cache
def make_converter() -> cattrs.Converter:
    """The project's one cattrs converter: unknown keys are errors; datetimes are ISO strings
    with a timezone (and a named zone's name); ``Decimal`` and ``Money`` never pass through
    float; enums accept their value, name or either label; frozensets and tuples come from
    lists; loosely typed values (audits, event data, custom fields) keep their type."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime_text)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, lambda d: d.isoformat())
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_unstructure_hook(timedelta, lambda t: t.total_seconds())
    converter.register_structure_hook(Money, _structure_money)
    converter.register_unstructure_hook(
        Money, lambda m: {"amount": str(m.amount), "currency": m.currency}
    )
    # Registered on the base class: cattrs' class dispatch then serves every LabelledEnum.
    converter.register_structure_hook(LabelledEnum, _structure_enum)
    converter.register_unstructure_hook(LabelledEnum, lambda e: e.value)
    # Plain values are taken only as themselves: "1" is no number, 1 no text, "yes" no switch.
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    # Values typed loosely (an audit's before and after, event data, custom field values) keep
    # their exact type through a one-key tag: {"decimal": "1.5"}, {"date": "2026-01-31"}.
    tags = Tags(converter)
    converter.register_unstructure_hook(FieldChange, tags.change)
    converter.register_structure_hook(FieldChange, lambda data, _: tags.read_change(data))
    converter.register_unstructure_hook_func(is_loose_mapping, tags.mapping)
    converter.register_structure_hook_func(is_loose_mapping, lambda data, _: tags.read(data))
    converter.register_unstructure_hook_func(is_custom_value, tags.value)
    converter.register_structure_hook_func(is_custom_value, lambda data, _: tags.read(data))
    # A string is never read as a collection of its characters, and only a table is read as
    # a class of settings: at every depth (lists of tables, table values), the value's outline
    # is checked before cattrs' own hook for the type reads it.
    _guard(converter, _is_collection_type, _refuse_non_list)
    _guard(converter, _is_attrs_class, _refuse_non_table)
    # Sets become sorted lists, so the plain data is JSON-ready and the same on every run.
    converter.register_unstructure_hook_func(
        _is_set_type, lambda items: _sorted_plain([converter.unstructure(i) for i in items])
    )
    return converter


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {type(value).__name__}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, not {value!r}")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, not {value!r}")
    return value


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, not {value!r}")
    return float(value)


_COLLECTIONS = (tuple, list, set, frozenset)


def _is_collection_type(cls: Any) -> bool:
    return cls in _COLLECTIONS or get_origin(cls) in (*_COLLECTIONS, AbstractSet)


def _is_attrs_class(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls)


def _shown(value: object) -> str:
    return "None" if value is None else kind_of(value)


def _refuse_non_list(value: object) -> None:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"must be a list, not {_shown(value)}")


def _refuse_non_table(value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a table (mapping) of settings, not {_shown(value)}")


def _guard(
    converter: cattrs.Converter, applies: Callable[[Any], bool], refuse: Callable[[object], None]
) -> None:
    """Run ``refuse`` on the value before cattrs' own hook for every type ``applies`` to.

    The guard's factory asks the converter itself for the hook it wraps, passing over the guard
    for that one look-up only; so the hooks of the element and field types inside are the
    converter's own, each guarded in turn, at any depth."""
    passing = threading.local()

    def guarded(cls: Any) -> bool:
        if not applies(cls):
            return False
        skipped: set[Any] = passing.__dict__.setdefault("types", set())
        if cls in skipped:
            skipped.discard(cls)  # one look-up only: a type nested in itself is guarded again
            return False
        return True

    def factory(cls: Any) -> Callable[[Any, Any], Any]:
        skipped: set[Any] = passing.__dict__.setdefault("types", set())
        skipped.add(cls)
        try:
            inner = converter.get_structure_hook(cls, cache_result=False)
        finally:
            skipped.discard(cls)

        def structure(value: object, target: Any) -> Any:
            refuse(value)
            return inner(value, target)

        return structure

    converter.register_structure_hook_factory(guarded, factory)


def _is_set_type(cls: Any) -> bool:
    return cls in (set, frozenset) or get_origin(cls) in (set, frozenset, AbstractSet)


def _sorted_plain(items: list[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def _problems(error: BaseException, path: str) -> list[FieldProblem]:
    """Flatten a cattrs exception group into one problem per failing path."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        found: list[FieldProblem] = []
        with_notes, without_notes = error.group_exceptions()
        notes: list[tuple[Exception, object]] = [*with_notes, *((e, None) for e in without_notes)]
        for inner, note in notes:
            name = getattr(note, "name", None)
            index = getattr(note, "index", None)
            if name is not None:
                step = f"{path}.{name}"
            elif index is not None:
                step = f"{path}[{index}]" if isinstance(index, int) else f"{path}[{index!r}]"
            else:
                step = path
            found.extend(_problems(inner, step))
        return found
    if isinstance(error, ForbiddenExtraKeysError):
        known = ""
        if error.cl is not None and hasattr(error.cl, "__attrs_attrs__"):
            known = "; known keys: " + ", ".join(a.name for a in error.cl.__attrs_attrs__)
        return [
            FieldProblem(f"{path}.{key}", f"is not a known setting{known}")
            for key in sorted(error.extra_fields)
        ]
    if isinstance(error, KeyError):
        return [FieldProblem(path, "is required")]
    if isinstance(error, ConfigError | ValidationError):
        return [
            FieldProblem(f"{path}.{p.field}" if p.field else path, p.reason) for p in error.problems
        ]
    if isinstance(error, ValueError | TypeError | AttributeError | OverflowError):
        return [FieldProblem(path, str(error) or type(error).__name__)]
    return [FieldProblem(path, f"is not valid ({type(error).__name__})")]


def structure(data: object, cls: type[T], *, path: str = "$") -> T:
    """Build a ``cls`` from plain data; raise ``ConfigError`` naming every path at fault.

    Only ``ConfigError`` comes out, whatever the data: a list where a table goes, numbers too
    large for a float, data nested too deep."""
    converter = make_converter()
    try:
        converter.get_structure_hook(cls)
    except Exception:  # cattrs knows no way to build it (not a type, an unsupported one)
        raise ConfigError.from_problems(
            [FieldProblem("cls", f"{cls!r:.60} is not a type leadcore can build from config")]
        ) from None
    # Each error is raised while the cattrs one is handled, so it stays the ConfigError's
    # (hidden) __context__ for callers that look at what failed.
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as e:
        raise _config_error(_problems(e, path), path) from None
    except (LeadcoreError, KeyError, ValueError, TypeError) as e:
        raise _config_error(_problems(e, path), path) from None
    except (AttributeError, OverflowError, RecursionError, IndexError) as e:
        if hasattr(cls, "__attrs_attrs__") and not isinstance(data, Mapping):
            shown = type(data).__name__
            problems = [FieldProblem(path, f"must be a table (mapping) of settings, not {shown}")]
        elif isinstance(e, RecursionError):
            problems = [FieldProblem(path, "nests tables or lists too deeply to be read")]
        else:
            problems = [FieldProblem(path, f"is not valid here ({type(e).__name__}: {e})")]
        raise _config_error(problems, path) from None


def _config_error(problems: list[FieldProblem], path: str) -> ConfigError:
    return ConfigError.from_problems(problems or [FieldProblem(path, "is not valid")])


def unstructure(obj: object) -> Any:
    """Turn a leadcore object into plain data (dicts, lists, strings, numbers)."""
    return make_converter().unstructure(obj)


def load_json(text: str | Path, cls: type[T]) -> T:
    """Build a ``cls`` from JSON text or a JSON file; ``ConfigError`` names the path at fault."""
    return structure(parse_json(text), cls)


def load_toml(text: str | Path, cls: type[T]) -> T:
    """Build a ``cls`` from TOML text or a TOML file; ``ConfigError`` names the path at fault."""
    return structure(parse_toml(text), cls)


_MAX_TEXT = 10_000_000
_NOT_IN_A_PATH: Final = frozenset("\n=[]{}\"'#")  # what config text has and a path has not


def _path_like(text: str) -> bool:
    """Whether config text is rather a file's name (``"strategies.toml"``, ``"./conf/x"``): one
    line without ``= [ ] { } " ' #``, ending in ``.toml`` / ``.json`` or holding a ``/`` or
    ``\\``. No such text is valid TOML or JSON."""
    name = text.strip() if len(text) <= 4096 else ""
    if not name or not _NOT_IN_A_PATH.isdisjoint(name):
        return False
    return name.lower().endswith((".toml", ".json")) or "/" in name or "\\" in name


def _read(text: str | Path, kind: str) -> str:
    """The config text itself: a string, or a file's contents; ``ConfigError`` otherwise."""
    if isinstance(text, Path):
        try:
            raw = text.read_text(encoding="utf-8")
        except (OSError, ValueError) as e:  # ValueError: a NUL in the path, bad UTF-8
            raise ConfigError(str(text), f"cannot read the {kind} file: {e}") from e
    elif isinstance(text, str):
        if _path_like(text):
            shown = repr(text.strip()[:200])
            raise ConfigError(
                "$",
                f"{shown} looks like a file path, not config text; pass pathlib.Path({shown}) "
                "to read the file, or the file's text",
            )
        raw = text
    else:
        raise ConfigError("$", f"{kind} config must be text or a Path, not {type(text).__name__}")
    if len(raw) > _MAX_TEXT:
        raise ConfigError("$", f"{kind} config is too large (over {_MAX_TEXT} characters)")
    return raw


def kind_of(value: object) -> str:
    """What a config value is, for a message: "a table", "a list", or its type and value."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{type(value).__name__} {value!r:.40}"


def parse_json(text: str | Path) -> Any:
    """Plain data from JSON text or a JSON file; ``ConfigError`` says where it is malformed."""
    raw = _read(text, "JSON")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise ConfigError(f"line {e.lineno} column {e.colno}", f"not valid JSON: {e.msg}") from e
    except RecursionError as e:
        raise ConfigError("$", "not valid JSON: nested too deeply") from e
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise ConfigError("$", f"not valid JSON: {e}") from e


def parse_source(source: object) -> object:
    """The plain data of a config ``source``: a mapping (or any other value) as it is, JSON
    text (starting with ``{``), TOML text, or a ``.json`` / ``.toml`` file's ``Path`` (any other
    suffix is read as TOML); ``ConfigError`` when a file cannot be read, the text is malformed
    or is rather a file's path (``"strategies.toml"``: pass ``Path("strategies.toml")``)."""
    if isinstance(source, Path):
        return (parse_json if source.suffix.lower() == ".json" else parse_toml)(source)
    if isinstance(source, str):
        return parse_json(source) if source.lstrip().startswith("{") else parse_toml(source)
    return source


def parse_toml(text: str | Path) -> dict[str, Any]:
    """Plain data from TOML text or a TOML file; ``ConfigError`` says where it is malformed."""
    raw = _read(text, "TOML")
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("$", f"not valid TOML: {e}") from e
    except RecursionError as e:
        raise ConfigError("$", "not valid TOML: nested too deeply") from e
    except ValueError as e:
        raise ConfigError("$", f"not valid TOML: {e}") from e
