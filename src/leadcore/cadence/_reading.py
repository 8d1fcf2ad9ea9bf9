"""Reading attrs classes from plain data through their own field converters, so that Python
construction and config loading check values in one place and name the same fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self, TypeVar

import attrs
from attrs import AttrsInstance

from leadcore.cadence._check import Problems, fail, join, prefixed, shown
from leadcore.config import parse_json, parse_toml, structure, unstructure
from leadcore.errors import ValidationError

__all__ = ["Loadable", "load", "read_attrs", "root_hook"]

A = TypeVar("A", bound=AttrsInstance)
T = TypeVar("T")


def read_attrs(cls: type[A], data: object, path: str, *, what: str, known: str = "") -> A:
    """A ``cls`` from a table of its settings, each passed through the field's converter;
    every problem is collected and named under ``path`` (``""`` at the root). ``known`` lists
    the settings for a message about an unknown one (default: the fields)."""
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        fail(path, f"must be a table of {what} settings, not {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            fail(path, f"has the key {shown(key)} ({type(key).__name__}); setting names are text")
    fields = {a.name: a for a in attrs.fields(cls) if a.init}
    problems = Problems(what)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            problems.add(
                join(path, key), f"is not a {what} setting; known: {known or ', '.join(fields)}"
            )
            continue
        converter: Callable[[object], object] | None = field.converter
        try:
            kwargs[key] = converter(value) if converter is not None else value
        except ValidationError as e:
            problems.extend(path, e)
    for name, field in fields.items():
        if field.default is attrs.NOTHING and name not in data:
            problems.add(join(path, name), "is required")
    problems.raise_if_any()
    try:
        return cls(**kwargs)
    except ValidationError as e:
        raise ValidationError(prefixed(path, e.problems), subject=what) from None


def root_hook(reader: Callable[[object, str], T]) -> Callable[[object, Any], T]:
    """A cattrs structure hook reading with ``reader`` at the root path; a problem with the
    whole value becomes a ``ValueError`` so that ``leadcore.config`` names it ``$``."""

    def hook(data: object, _: Any) -> T:
        try:
            return reader(data, "")
        except ValidationError as e:
            whole = [p.reason for p in e.problems if not p.field]
            if whole and len(whole) == len(e.problems):
                raise ValueError("; ".join(whole)) from None
            raise

    return hook


def load(text: object, cls: type[T], *, toml: bool) -> T:
    """A ``cls`` from JSON or TOML text, or from a file given as a ``Path``: a
    ``ValidationError`` naming ``text`` unless it is a str or Path, a ``ConfigError`` when the
    file cannot be read or the data is wrong."""
    if not isinstance(text, str | Path):
        fail(
            "text",
            f"must be {'TOML' if toml else 'JSON'} text or a Path, not {type(text).__name__}",
        )
    return structure(parse_toml(text) if toml else parse_json(text), cls)


class Loadable:
    """``from_dict`` / ``from_json`` / ``from_toml`` and ``to_dict`` for a class the project's
    converter knows (its hooks are registered in ``leadcore.cadence.loading`` or beside it).
    Mixed into attrs classes with slots; it adds no attributes."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Build from plain data; ``ConfigError`` names every path at fault."""
        return structure(data, cls)

    @classmethod
    def from_json(cls, text: str | Path) -> Self:
        """Build from JSON text or a JSON file."""
        return load(text, cls, toml=False)

    @classmethod
    def from_toml(cls, text: str | Path) -> Self:
        """Build from TOML text or a TOML file."""
        return load(text, cls, toml=True)

    def to_dict(self) -> Any:
        """Plain data that :meth:`from_dict` turns back into an equal value."""
        return unstructure(self)
