"""Converters and checks the records share for their collection fields: sets of ids and
tuples of texts. Each converter turns a list, tuple or set into the stored kind and leaves
anything else as given, so the record's checks can refuse it by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from leadcore.checks import text_problem
from leadcore.errors import FieldProblem, ValidationError

__all__ = [
    "IdCollection",
    "frozen_ids",
    "ids_only",
    "ids_problem",
    "text_tuple",
    "texts_problem",
]

IdCollection = frozenset[str] | set[str] | list[str] | tuple[str, ...]
"""Several ids: a set, list or tuple (never one string)."""


def frozen_ids(values: IdCollection) -> frozenset[str]:
    """``values`` as a frozenset (anything but a collection is left for the checks: a
    mapping too, whose keys would otherwise be taken silently)."""
    if values.__class__ is frozenset:  # the common case, first: every rebuilt record has one
        return values
    if isinstance(values, frozenset | str | bytes | Mapping) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value,unused-ignore]  # the checks refuse it, by name
    try:
        return frozenset(values)
    except TypeError:  # an item that cannot be in a set (a list, a dict): the checks refuse it
        return values  # type: ignore[return-value]


def ids_problem(field: str, value: object) -> FieldProblem | None:
    """What is wrong with ``value`` as a set of non-blank string ids, or None."""
    if isinstance(value, frozenset) and all(isinstance(v, str) and v.strip() for v in value):
        return None
    shown = f"the string {value!r}" if isinstance(value, str) else repr(value)
    return FieldProblem(field, f'must be a collection of ids like ["u1", "u2"], not {shown}')


def ids_only(_: object, attribute: attrs.Attribute[frozenset[str]], value: object) -> None:
    """An attrs validator: refuse anything but a set of non-blank string ids, naming the field."""
    if not value and value.__class__ is frozenset:  # most records have none
        return
    problem = ids_problem(attribute.name, value)
    if problem is not None:
        raise ValidationError([problem])


def text_tuple(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``values`` as a tuple (anything but a collection is left for the checks)."""
    if isinstance(values, tuple | str | bytes) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value,unused-ignore]  # the checks refuse it, by name
    return tuple(values)


def texts_problem(field: str, value: object) -> FieldProblem | None:
    """What is wrong with ``value`` as a tuple of non-blank one-line texts, or None."""
    if isinstance(value, tuple) and all(
        isinstance(v, str) and v.strip() and not text_problem(v) for v in value
    ):
        return None
    return FieldProblem(field, f'must be a list of texts like ["a", "b"], not {value!r}')
