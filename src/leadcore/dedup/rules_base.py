"""What every rule list shares: tuples from any iterable, ``extended(...)``, problems as one
``ConfigError``, loading from JSON or TOML through one ``from_dict``, and the shape of a
normalised value (a key, or the reason there is none)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Self, cast

import attrs
from attrs import AttrsInstance

from leadcore.config import parse_json, parse_toml
from leadcore.dedup.keys import DedupKey, KeyKind
from leadcore.dedup.text import EMPTY
from leadcore.errors import ConfigError, FieldProblem

__all__ = [
    "ExtendableRules",
    "FromConfig",
    "KeyedResult",
    "check_texts",
    "raise_problems",
    "to_tuple",
]


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


class FromConfig:
    """A mixin for anything built from plain config data: a class defines ``from_dict`` and
    gets ``from_json`` and ``from_toml`` (text or a file) that parse and hand over to it."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Build from plain data (each class says how)."""
        raise NotImplementedError(f"{cls.__name__} does not define from_dict")

    @classmethod
    def from_json(cls, text: str | Path) -> Self:
        """Build from JSON text or a JSON file (see :meth:`from_dict`)."""
        return cls.from_dict(parse_json(text))

    @classmethod
    def from_toml(cls, text: str | Path) -> Self:
        """Build from TOML text or a TOML file (see :meth:`from_dict`)."""
        return cls.from_dict(parse_toml(text))


class KeyedResult:
    """A mixin for one normalised value: ``key_kind`` says which kind of key it gives,
    ``key_value`` is the key's value (``None`` when there is none) and ``reason`` says why
    there is none (``"is empty"`` when there was nothing to read)."""

    __slots__ = ()
    key_kind: ClassVar[KeyKind]
    reason: str

    @property
    def key_value(self) -> str | None:
        """The key's value, or ``None`` (each result says where it comes from)."""
        raise NotImplementedError

    @property
    def valid(self) -> bool:
        """Whether the value is usable (and so has a key)."""
        return self.key_value is not None

    @property
    def empty(self) -> bool:
        """Whether there was nothing at all to read (``None`` or blank)."""
        return self.reason == EMPTY

    @property
    def key(self) -> DedupKey | None:
        """The duplicate key, or ``None`` for an empty or unusable value."""
        value = self.key_value
        return None if value is None else DedupKey(self.key_kind, value)
