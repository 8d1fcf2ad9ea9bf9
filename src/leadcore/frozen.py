"""Read-only mappings for the immutable records (leads, events, choices, activities).

They are ``MappingProxyType`` views of a dict nothing else holds, which Python cannot pickle or
deep-copy by itself. Importing this module teaches ``pickle`` and ``copy`` to write any
``MappingProxyType`` as the mapping it shows, read back as a read-only mapping made here: so a
host can pickle a lead or an event (a cache, a process pool, a task queue) and deep-copy it.
Nothing that could be pickled before is written differently.
"""

from __future__ import annotations

import copyreg
import gc
from collections.abc import Callable, Mapping
from functools import cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

__all__ = ["frozen_mapping", "replace"]

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R", bound=attrs.AttrsInstance)


class _Sealed(dict[Any, Any]):
    """The dict inside a read-only mapping made here: nothing else holds it."""

    __slots__ = ()


_EMPTY: Final[Mapping[Any, Any]] = MappingProxyType(_Sealed())


def frozen_mapping(values: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only copy of ``values``; one this function made is kept as it is, and every
    empty one shares a single instance. A caller's own ``MappingProxyType`` is copied too: it
    is a live view of a dict the caller can still change."""
    if not values:
        return _EMPTY
    if type(values) is MappingProxyType and type(gc.get_referents(values)[0]) is _Sealed:
        return values
    return MappingProxyType(_Sealed(values))


def _reduce_mapping(view: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return frozen_mapping, (dict(view),)


copyreg.pickle(MappingProxyType, _reduce_mapping)


def replace(record: R, /, **changes: Any) -> R:
    """``record`` with ``changes``, built again through its class (converters, validators and
    invariants all run), like ``attrs.evolve`` but reading the fields in one call and passing
    them by position, which is several times cheaper for a record as wide as a ``Lead``."""
    read, position = _shape(type(record))
    values = list(read(record))
    for name, value in changes.items():
        try:
            values[position[name]] = value
        except KeyError:
            raise TypeError(f"{type(record).__name__} has no field {name!r}") from None
    return type(record)(*values)


@cache
def _shape(cls: type[Any]) -> tuple[Callable[[Any], tuple[Any, ...]], dict[str, int]]:
    """One reader of all of ``cls``'s fields (as a tuple) and each field's position. Only for
    classes whose every field is a positional ``__init__`` argument under its own name."""
    fields = attrs.fields(cls)
    if any(not f.init or f.kw_only or f.name.startswith("_") for f in fields):
        raise TypeError(f"{cls.__name__} cannot be rebuilt by position")
    names = [f.name for f in fields]
    read: Callable[[Any], Any] = attrgetter(*names)
    if len(names) == 1:
        single = read
        read = lambda record: (single(record),)  # noqa: E731 - attrgetter of one name gives no tuple
    return read, {name: i for i, name in enumerate(names)}
