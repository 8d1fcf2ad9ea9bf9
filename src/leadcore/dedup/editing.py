"""Editing default lists from config: ``{add = [...], remove = [...]}`` instead of a list.

In dedup config a list may be given whole (it replaces the default) or as a table with ``add``
and/or ``remove``, which edits the default list: ``remove`` names items by their value (or a
region's or provider's ``name``), ``add`` appends new ones. A table of lists (``fields``) is
merged into the default key by key. Each problem is a ``ConfigError`` naming its path
(``$.company.legal_suffixes.remove[0]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args, get_origin, get_type_hints

import attrs

from leadcore.config import structure, unstructure
from leadcore.errors import ConfigError, FieldProblem

__all__ = ["apply_edits", "check_shape", "renamed"]

_EDIT_KEYS = frozenset({"add", "remove"})


def _is_edit(value: object) -> bool:
    return isinstance(value, Mapping) and bool(value) and set(value) <= _EDIT_KEYS


def apply_edits(
    data: object, base: object, cls: Any, path: str = "$", moves: dict[str, str] | None = None
) -> object:
    """``data`` with every edit table replaced by the edited list from ``base`` (the plain form
    of the defaults); anything else is left for ``structure`` to check. ``moves`` collects,
    for each added item, its path in the edited list and its path in the config
    (``$.company.regions[82]`` → ``$.company.regions.add[0]``), for :func:`renamed`."""
    moves = {} if moves is None else moves
    if attrs.has(cls) and isinstance(data, Mapping) and isinstance(base, Mapping):
        hints = get_type_hints(cls)
        return {
            key: (
                apply_edits(value, base[key], hints[key], f"{path}.{key}", moves)
                if key in base and key in hints
                else value
            )
            for key, value in data.items()
        }
    origin = get_origin(cls)
    if origin is tuple and isinstance(base, list | tuple) and _is_edit(data):
        assert isinstance(data, Mapping)
        element = get_args(cls)[0]
        return _edit_list(data, list(base), element, path, moves)
    if (
        origin is not None
        and issubclass(origin, Mapping)
        and isinstance(data, Mapping)
        and isinstance(base, Mapping)
    ):
        # A table of lists (like ``fields``) is merged into the default one key by key.
        value_type = get_args(cls)[1]
        merged = dict(base)
        for key, value in data.items():
            merged[key] = (
                apply_edits(value, base[key], value_type, f"{path}.{key}", moves)
                if key in base
                else value
            )
        return merged
    return data


def check_shape(data: object, cls: Any, path: str = "$") -> None:
    """Raise ``ConfigError`` where ``data`` has the wrong shape for ``cls``: settings and
    tables must be tables, lists must be lists (a string is not a list of its characters)."""
    origin = get_origin(cls)
    if attrs.has(cls):
        if not isinstance(data, Mapping):
            known = ", ".join(a.name for a in attrs.fields(cls))
            raise ConfigError(path, f"must be a table of settings ({known})")
        hints = get_type_hints(cls)
        for key, value in data.items():
            if key in hints:
                check_shape(value, hints[key], f"{path}.{key}")
    elif origin is tuple:
        if not isinstance(data, list | tuple):
            hint = "" if ".add[" in path else " (or a table with add and/or remove)"
            raise ConfigError(path, f"must be a list{hint}")
        element = get_args(cls)[0]
        for i, item in enumerate(data):
            check_shape(item, element, f"{path}[{i}]")
    elif origin is not None and issubclass(origin, Mapping):
        if not isinstance(data, Mapping):
            raise ConfigError(path, "must be a table")
        value_type = get_args(cls)[1]
        for key, value in data.items():
            check_shape(value, value_type, f"{path}.{key}")


def _identity(item: object) -> object:
    if isinstance(item, Mapping):
        return item.get("name")
    return item


def _edit_list(
    edit: Mapping[str, Any], base: list[Any], element: Any, path: str, moves: dict[str, str]
) -> list[Any]:
    added = edit.get("add", [])
    removed = edit.get("remove", [])
    for name, value in (("add", added), ("remove", removed)):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{path}.{name}", "must be a list")
    # Check the new items at their own path, then merge them in their plain form.
    check_shape(list(added), tuple[element, ...], f"{path}.add")
    plain_added = unstructure(structure(list(added), tuple[element, ...], path=f"{path}.add"))
    kept = list(base)
    for i, item in enumerate(removed):
        matches = [b for b in kept if _identity(b) == item or b == item]
        if not matches:
            shown = ", ".join(repr(_identity(b)) for b in kept[:12])
            more = ", …" if len(kept) > 12 else ""
            raise ConfigError(
                f"{path}.remove[{i}]",
                f"{item!r} is not in the list to remove; it has {shown}{more}",
            )
        kept = [b for b in kept if b not in matches]
    edited = list(kept)
    for i, item in enumerate(plain_added):
        if item not in edited:
            moves[f"{path}[{len(edited)}]"] = f"{path}.add[{i}]"
            edited.append(item)
    return edited


def renamed(error: ConfigError, moves: Mapping[str, str]) -> ConfigError:
    """``error`` with the paths of added items put back as the config wrote them."""
    if not moves:
        return error

    def rename(field: str) -> str:
        for inside, written in moves.items():
            if field == inside or field.startswith((f"{inside}.", f"{inside}[")):
                return written + field[len(inside) :]
        return field

    return ConfigError.from_problems(
        [FieldProblem(rename(p.field), p.reason) for p in error.problems]
    )
