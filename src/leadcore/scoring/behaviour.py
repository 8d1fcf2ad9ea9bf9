"""Behaviour (implicit) scoring: points per activity kind, decaying with age, capped per kind.

Each :class:`BehaviourRule` gives ``points`` to every activity of its ``kind``; an activity's
points decay with its age at ``now`` (:class:`Decay`: a half-life, or points lost per idle
period); a kind's decayed points together never exceed its ``cap``. Activities later than ``now``
have not happened yet at ``now`` and are ignored, so a score can be replayed at any instant.
"""

from __future__ import annotations

import math
from datetime import timedelta

import attrs

from leadcore.scoring.problems import Problems

__all__ = ["BehaviourRule", "Decay", "DecayMode"]

DecayMode = tuple[int, float, float]
"""A compiled decay: ``(0, 0, 0)`` none; ``(1, k, 0)`` ``points·e^(−k·age)``; ``(2, lose, every)``
``points − lose·⌊age/every⌋`` floored at 0 (ages in seconds)."""


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:g}d" if days >= 1 else f"{delta.total_seconds() / 3600:g}h"


@attrs.frozen(slots=True)
class Decay:
    """How an activity's points fade with age: give ``half_life`` (points halve every period),
    or ``lose`` points per ``every`` full idle period (never below 0), or neither (no decay)."""

    half_life: timedelta | None = None
    lose: float | None = None
    every: timedelta | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if self.half_life is not None and (self.lose is not None or self.every is not None):
            problems.add("half_life", "give either half_life, or lose with every — not both")
        if self.half_life is not None and self.half_life <= timedelta(0):
            problems.add("half_life", 'must be a positive duration, e.g. {"days": 14}')
        if self.lose is None and self.every is not None:
            problems.add("lose", "goes with every: lose N points every period")
        if self.every is None and self.lose is not None:
            problems.add("every", 'goes with lose: the idle period, e.g. {"days": 7}')
        problems.points("lose", self.lose, positive=True)
        if self.every is not None and self.every <= timedelta(0):
            problems.add("every", 'must be a positive duration, e.g. {"days": 7}')
        problems.raise_if_any()

    def mode(self) -> DecayMode:
        """The compiled form used by the scorer."""
        if self.half_life is not None:
            return (1, math.log(2) / self.half_life.total_seconds(), 0.0)
        if self.lose is not None and self.every is not None:
            return (2, self.lose, self.every.total_seconds())
        return (0, 0.0, 0.0)

    def describe(self) -> str:
        """The decay in words."""
        if self.half_life is not None:
            return f"half-life {_days(self.half_life)}"
        if self.lose is not None and self.every is not None:
            return f"−{self.lose:g} per {_days(self.every)} idle"
        return "no decay"


NO_DECAY = Decay()


def decayed(points: float, mode: DecayMode, age: float) -> float:
    """``points`` after ``age`` seconds under a compiled decay (the explain path; the scorer
    inlines the same arithmetic)."""
    kind, a, b = mode
    if kind == 1:
        return points * math.exp(-a * age)
    if kind == 2:
        left = points - a * (age // b)
        return left if left > 0 else 0.0
    return points


@attrs.frozen(slots=True)
class BehaviourRule:
    """Points for each activity of ``kind`` (an ``ActivityKind`` value or a host's own), capped
    at ``cap`` for the kind in total; ``decay`` overrides the model's default decay."""

    kind: str
    points: float
    cap: float
    decay: Decay | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.kind, str) or not self.kind.strip():
            problems.add("kind", "must be a non-empty activity kind, e.g. pricing_page_visit")
        else:
            object.__setattr__(self, "kind", str(self.kind))
        problems.points("points", self.points)
        problems.points("cap", self.cap, positive=True)
        problems.raise_if_any()
