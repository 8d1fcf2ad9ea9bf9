"""Read-only mappings for the immutable records (leads, events, choices, activities)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

__all__ = ["frozen_mapping"]

K = TypeVar("K")
V = TypeVar("V")

_EMPTY: Final[Mapping[Any, Any]] = MappingProxyType({})


def frozen_mapping(values: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only copy of ``values``; an already read-only mapping is kept as it is, and every
    empty one shares a single instance."""
    if isinstance(values, MappingProxyType):
        return values
    return MappingProxyType(dict(values)) if values else _EMPTY
