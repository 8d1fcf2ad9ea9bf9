"""``MemoryStore``'s per-lead event index: where in the log each lead's events are."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = ["EventPositions"]

_SHORT_HISTORY: Final = 16
"""Positions a lead keeps in a tuple before they move to an array."""


class EventPositions:
    """Each lead's event positions in log order: a tuple while short (a tuple of numbers is
    one the garbage collector stops tracking), then an array (plain numbers, nothing for it to
    walk). Not thread-safe on its own: ``MemoryStore`` holds its lock around every use."""

    def __init__(self) -> None:
        self._by_lead: dict[str, tuple[int, ...] | array[int]] = {}

    def note(self, lead_id: str, position: int) -> None:
        """Index the event at ``position`` (past every position noted so far) under its lead."""
        by_lead = self._by_lead
        positions = by_lead.get(lead_id)
        if positions is None:
            by_lead[lead_id] = (position,)
        elif isinstance(positions, tuple):
            grown = (*positions, position)
            by_lead[lead_id] = grown if len(grown) <= _SHORT_HISTORY else array("q", grown)
        else:
            positions.append(position)

    def forget_after(self, lead_ids: Iterable[str], position: int) -> None:
        """Drop the positions past ``position`` of each of ``lead_ids`` (an append undone)."""
        by_lead = self._by_lead
        for lead_id in lead_ids:
            positions = by_lead.get(lead_id, ())
            kept = positions[: bisect_right(positions, position)]
            if kept:
                by_lead[lead_id] = kept
            else:
                by_lead.pop(lead_id, None)

    def of(self, lead_id: str) -> Sequence[int]:
        """The lead's positions, in order (none for a lead without events)."""
        return self._by_lead.get(lead_id, ())
