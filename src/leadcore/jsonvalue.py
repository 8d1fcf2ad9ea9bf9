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
    it (a datetime, NaN, an object, text with a lone surrogate)."""
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
    return text
