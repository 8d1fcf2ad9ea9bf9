"""Reading scoring configuration from plain data, JSON or TOML: any junk is a ``ConfigError``.

The shared parser (``leadcore.config``) structures the data; before it runs, the data is checked
for what would otherwise escape it as a bare Python error: a list where a table of settings goes
(or a table where a list goes), nesting deeper than any configuration needs, an integer too large
for a float (``10**400``) and a number that is not finite. Numbers so large that the model's
totals overflow are named at their paths (see :data:`MAX_NUMBER`). Reading the text is the shared
parser's (``parse_json`` / ``parse_toml``), which makes unreadable text a ``ConfigError`` too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

from leadcore.config import kind_of, parse_json, parse_toml, structure
from leadcore.errors import ConfigError, FieldProblem

__all__ = ["MAX_DEPTH", "MAX_NUMBER", "load_dict", "load_json", "load_toml", "plain_problems"]

T = TypeVar("T")

MAX_DEPTH: Final = 32
"""How deeply configuration may nest; none needs more than a few levels."""

_LARGEST: Final = sys.float_info.max

MAX_NUMBER: Final = 1e15
"""When a score model's numbers are so large that its totals overflow, each number larger than
this (points, caps, thresholds) is refused at its path."""


def plain_problems(data: object, shape: Any, path: str = "$") -> list[FieldProblem]:
    """What is wrong with plain data before it is structured. ``shape`` says where tables
    (``{key: shape}``) and lists (``[item shape]``) go; ``None`` values are left to the
    structuring, which knows which settings are optional."""
    found: list[FieldProblem] = []
    _check(data, shape, path, 0, found)
    return found


def _check(data: object, shape: Any, path: str, depth: int, found: list[FieldProblem]) -> None:
    if depth > MAX_DEPTH:
        found.append(FieldProblem(path, f"nests more than {MAX_DEPTH} levels deep"))
        return
    if data is None:
        return
    if isinstance(shape, dict) and not isinstance(data, Mapping):
        found.append(FieldProblem(path, f"must be a table of settings, not {kind_of(data)}"))
        return
    if isinstance(shape, list) and not isinstance(data, list | tuple):
        found.append(FieldProblem(path, f"must be a list, not {kind_of(data)}"))
        return
    if isinstance(data, Mapping):
        inner = shape if isinstance(shape, dict) else {}
        for key, value in data.items():
            _check(value, inner.get(key), f"{path}.{key}", depth + 1, found)
    elif isinstance(data, list | tuple):
        item = shape[0] if isinstance(shape, list) else None
        for i, value in enumerate(data):
            _check(value, item, f"{path}[{i}]", depth + 1, found)
    elif isinstance(data, int) and not isinstance(data, bool) and abs(data) > _LARGEST:
        found.append(FieldProblem(path, "is too large a number"))
    elif isinstance(data, float) and not (-_LARGEST <= data <= _LARGEST):
        found.append(FieldProblem(path, "must be a finite number"))


def _oversized(data: object, path: str) -> list[FieldProblem]:
    """A problem at each number in ``data`` larger than :data:`MAX_NUMBER`."""
    if isinstance(data, Mapping):
        return [p for key, value in data.items() for p in _oversized(value, f"{path}.{key}")]
    if isinstance(data, list | tuple):
        return [p for i, value in enumerate(data) for p in _oversized(value, f"{path}[{i}]")]
    if isinstance(data, int | float) and not isinstance(data, bool) and abs(data) > MAX_NUMBER:
        return [FieldProblem(path, "is too large a number; a score model holds at most 10**15")]
    return []


def _overflowed(error: BaseException) -> bool:
    """Whether ``error`` came of a number overflowing (an ``OverflowError`` in its chain)."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OverflowError):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def load_dict(data: object, cls: type[T], shape: Any) -> T:
    """Build a ``cls`` from plain data shaped like ``shape``; ``ConfigError`` names every path
    at fault."""
    problems = plain_problems(data, shape)
    if problems:
        raise ConfigError.from_problems(problems)
    try:
        return structure(data, cls)
    except ConfigError as e:
        # A number so large that the model's totals overflow fails where the totals are
        # worked out, with no path: name the numbers instead.
        oversized = _oversized(data, "$") if _overflowed(e) else []
        if oversized:
            raise ConfigError.from_problems(oversized) from e
        raise
    except (ArithmeticError, AttributeError, RecursionError) as e:
        # Raised inside the shared converter, which does not turn these into problems.
        raise ConfigError("$", f"is not a valid {cls.__name__} ({e})") from e


def _load_text(
    source: str | Path, cls: type[T], shape: Any, parse: Callable[[str | Path], object]
) -> T:
    return load_dict(parse(source), cls, shape)


def load_json(text: str | Path, cls: type[T], shape: Any) -> T:
    """Build a ``cls`` from JSON text or a JSON file; ``ConfigError`` for anything wrong."""
    return _load_text(text, cls, shape, parse_json)


def load_toml(text: str | Path, cls: type[T], shape: Any) -> T:
    """Build a ``cls`` from TOML text or a TOML file; ``ConfigError`` for anything wrong."""
    return _load_text(text, cls, shape, parse_toml)
