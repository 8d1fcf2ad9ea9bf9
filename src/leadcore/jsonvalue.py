"""The JSON value type shared by strategy state, event data and exports."""

from __future__ import annotations

import json
from typing import TypeAlias

from leadcore.errors import FieldProblem, ValidationError

__all__ = ["JSONValue", "dump_json"]

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
"""Anything JSON can represent: strategy state (cursors, credits) holds only such values."""


def dump_json(value: object, field: str) -> str:
    """``value`` as compact JSON text; ``ValidationError`` naming ``field`` if JSON cannot hold
    it (a datetime, NaN, an object, text with a lone surrogate, a key that is not text)."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as e:
        raise ValidationError([FieldProblem(field, f"must be JSON-representable: {e}")]) from e
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no store can keep it as UTF-8 text
            raise ValidationError(
                [FieldProblem(field, "must not contain lone surrogate characters (broken Unicode)")]
            ) from None
    if "{" in text:
        _check_keys(value, field)
    return text


def _check_keys(value: object, field: str) -> None:
    """``ValidationError`` naming the first mapping in ``value`` with a key that is not text:
    JSON would write ``1`` as ``"1"`` (and ``{1: …, "1": …}`` twice), so it would come back
    as another value. ``value`` is one ``json.dumps`` took: finite, without cycles."""
    stack: list[tuple[object, str]] = [(value, field)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise ValidationError([FieldProblem(path, _key_problem(key))])
                if isinstance(inner, dict | list | tuple):
                    stack.append((inner, f"{path}.{key}"))
        elif isinstance(item, list | tuple):
            stack.extend(
                (inner, f"{path}[{i}]")
                for i, inner in enumerate(item)
                if isinstance(inner, dict | list | tuple)
            )


def _key_problem(key: object) -> str:
    return f"has the key {key!r:.40}, which is not text (JSON keys are text: use {str(key)!r:.40})"
