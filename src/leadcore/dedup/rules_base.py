"""What every rule list shares: tuples from any iterable, ``extended(...)``, problems as one
``ConfigError``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Self, cast

import attrs
from attrs import AttrsInstance

from leadcore.errors import ConfigError, FieldProblem

__all__ = ["ExtendableRules", "check_texts", "raise_problems", "to_tuple"]


def to_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    """``values`` as a tuple; a single string is kept whole (it is checked, not split)."""
    if isinstance(values, str):
        return (values,)
    if isinstance(values, tuple):
        return values
    try:
        return tuple(values)
    except TypeError:
        return (values,)


def check_texts(problems: list[FieldProblem], field: str, values: tuple[object, ...]) -> None:
    """Record a problem for each item of ``values`` that is not non-blank text."""
    for i, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(f"{field}[{i}]", "must be non-blank text"))


def raise_problems(problems: list[FieldProblem]) -> None:
    """Raise every problem as one ``ConfigError`` naming the first path."""
    if problems:
        raise ConfigError.from_problems(problems)


class ExtendableRules:
    """A mixin for frozen attrs rule classes whose list fields are tuples."""

    __slots__ = ()

    def extended(self, **additions: Iterable[Any]) -> Self:
        """A copy with ``additions`` appended to the named list fields (an item already there is
        not repeated); raises ``ConfigError`` for a field that is not a list of this class."""
        cls = cast("type[AttrsInstance]", type(self))
        lists = {f.name for f in attrs.fields(cls) if isinstance(getattr(self, f.name), tuple)}
        unknown = sorted(set(additions) - lists)
        if unknown:
            known = ", ".join(sorted(lists))
            raise ConfigError(unknown[0], f"is not a list of {type(self).__name__} ({known})")
        changes: dict[str, tuple[Any, ...]] = {}
        for name, more in additions.items():
            current: tuple[Any, ...] = getattr(self, name)
            changes[name] = current + tuple(v for v in to_tuple(more) if v not in current)
        values = {f.name: getattr(self, f.name) for f in attrs.fields(cls)} | changes
        factory = cast("Callable[..., Self]", type(self))
        return factory(**values)
