"""Short, one-line reprs: ``<Lead L1 王磊 · 星河科技 · assigned (待跟进) · owner bob>``.

Every text in a repr is cleaned to one line and cut to a few columns, so a repr stays short
whatever a lead holds. They read attributes only, so any record with the same fields works.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, Final

from leadcore.checks import whole
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.table import fit

from .values import cell

__all__ = ["REPR_WIDTH", "event_repr", "id_list", "lead_repr", "short", "status_text"]

REPR_WIDTH: Final = 120
"""The widest (in terminal columns) a repr made here gets."""

_TEXT: Final = 16
_ID: Final = 12


def short(value: object, width: int = _TEXT) -> str:
    """``value`` as one line of at most ``width`` columns (cut with ``…``; ``width`` a whole
    number of at least 1)."""
    return fit(value if isinstance(value, str) else cell(value), width)


def status_text(status: object) -> str:
    """``assigned (待跟进)``: an enum's value and its Chinese label."""
    if isinstance(status, LabelledEnum):
        return f"{status.value} ({status.label})"
    return short(status.value if isinstance(status, Enum) else status, 24)


def id_list(ids: Sequence[str], most: int = 5) -> str:
    """``L1, L2, L3, …``: the first ``most`` ids, short. ``ids`` is a list of ids (not one
    ``str``), ``most`` a whole number of at least 1: a ``ValidationError`` otherwise."""
    if isinstance(ids, str | bytes | Mapping) or not isinstance(ids, Iterable):
        reason = f'must be a list of ids like ["L1", "L2"], not {type(ids).__name__}'
        raise ValidationError([FieldProblem("ids", reason)])
    count = whole(most, "most", least=1)
    found = list(ids)
    listed = ", ".join(short(i, _ID) for i in found[:count])
    return listed + (", …" if len(found) > count else "")


def lead_repr(lead: Any) -> str:
    """``<Lead L1 王磊 · 星河科技 · assigned (待跟进) · owner bob>``."""
    names = " · ".join(short(t) for t in (lead.contact_name, lead.company) if t)
    parts = [f"{short(lead.id, _ID)} {names}".rstrip(), status_text(lead.status)]
    if lead.owner_id is not None:
        parts.append(f"owner {short(lead.owner_id, _ID)}")
    return f"<Lead {' · '.join(parts)}>"


def event_repr(event: Any) -> str:
    """``<Event #7 assigned (分配) · lead L1 · by carol · 2026-03-02 09:00>``."""
    head = f"#{event.position} " if event.position else ""
    parts = [head + status_text(event.kind)]
    if event.lead_id is not None:
        parts.append(f"lead {short(event.lead_id, _ID)}")
    elif event.pool_id is not None:
        parts.append(f"pool {short(event.pool_id, _ID)}")
    parts += [f"by {short(event.actor_id, _ID)}", short(event.at, 24)]
    return f"<Event {' · '.join(parts)}>"
