"""Converters and checks the records share for their collection fields: sets of ids and
tuples of texts. Each converter turns a collection into the stored kind and leaves anything
else as given (a mapping, whose keys would be taken silently; a set where order counts), so
the record's checks can refuse it by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

import attrs

from leadcore.checks import MAX_TEXT, text_problem
from leadcore.errors import FieldProblem, ValidationError

__all__ = [
    "IdCollection",
    "frozen_ids",
    "ids_only",
    "ids_problem",
    "text_item_problem",
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
    """``values`` as a tuple, in order. Anything but an ordered collection is left for the
    checks to refuse by name: a single text, a mapping (whose keys would be taken silently)
    and a set (whose order is arbitrary)."""
    if values.__class__ is tuple:  # the common case, first: every rebuilt record has one
        return values
    if isinstance(values, str | bytes | Mapping | AbstractSet) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value,unused-ignore]  # the checks refuse it, by name
    return tuple(values)


def text_item_problem(value: object) -> str | None:
    """What is wrong with ``value`` as one item of a list of texts (a pool's stages, sources,
    conditions), or None: the rule of a lead's one-line text fields (non-blank, no control
    characters or line separators, at most ``MAX_TEXT`` characters), and no surrounding
    spaces, since the text a call gives is trimmed before it is compared with the item."""
    if not isinstance(value, str) or not value.strip():
        return "must be non-blank text"
    if len(value) > MAX_TEXT:  # first, as for a lead's fields: no scan of a huge text
        return f"must be at most {MAX_TEXT} characters, not {len(value)}"
    problem = text_problem(value)
    if problem is not None:
        return problem
    if value != value.strip():
        return f"must not begin or end with spaces (use {value.strip()!r})"
    return None


def texts_problem(field: str, value: object) -> FieldProblem | None:
    """What is wrong with ``value`` as a tuple of texts (each as :func:`text_item_problem`
    says), or None; a bad item is named by its place (``sales_stages[0]``)."""
    if isinstance(value, AbstractSet):
        return FieldProblem(
            field,
            f'must be a list (its order counts) like ["a", "b"], not a {type(value).__name__}',
        )
    if not isinstance(value, tuple):
        return FieldProblem(field, f'must be a list of texts like ["a", "b"], not {value!r:.60}')
    for i, item in enumerate(value):
        problem = text_item_problem(item)
        if problem is not None:
            return FieldProblem(f"{field}[{i}]", problem)
    return None
