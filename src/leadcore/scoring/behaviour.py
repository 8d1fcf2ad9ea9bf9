"""Behaviour (implicit) scoring: points per activity kind, decaying with age, capped per kind.

Each :class:`BehaviourRule` gives ``points`` to every activity of its ``kind``; an activity's
points decay with its age at ``now`` (:class:`Decay`: a half-life, or points lost per idle
period); a kind's decayed points together never exceed its ``cap``. Activities later than ``now``
have not happened yet at ``now`` and are ignored, so a score can be replayed at any instant.

Each rule lives in one place: the decay arithmetic in :meth:`Decay.fade`, which activities
score and how the caps apply in :func:`compile_behaviour` — the scorer and a score's breakdown
both run them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from enum import Enum

import attrs

from leadcore.errors import ValidationError
from leadcore.scoring.activity import Activity, activity_kind
from leadcore.scoring.problems import Problems
from leadcore.signatures import checked_constructor

__all__ = [
    "NO_DECAY",
    "BehaviourRule",
    "BehaviourTally",
    "CompiledRule",
    "Decay",
    "DecayKind",
    "Fade",
    "compile_behaviour",
]

Fade = Callable[[float], float]
"""An activity's points after ``age`` seconds (``age ≥ 0``)."""


class DecayKind(Enum):
    """How a :class:`Decay` fades points."""

    NONE = "none"
    HALF_LIFE = "half_life"
    LOSE_PER_PERIOD = "lose_per_period"


def _span(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:g}d" if days >= 1 else f"{delta.total_seconds() / 3600:g}h"


@checked_constructor
@attrs.frozen(slots=True)
class Decay:
    """How an activity's points fade with age: give ``half_life`` (points halve every period),
    or ``lose`` points per ``every`` full idle period (never below 0), or neither (no decay)."""

    half_life: timedelta | None = None
    lose: float | None = None
    every: timedelta | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        for name in ("half_life", "every"):
            if not isinstance(getattr(self, name), timedelta | None):
                problems.add(
                    name,
                    "must be a timedelta, e.g. timedelta(days=14), not "
                    f"{type(getattr(self, name)).__name__}",
                )
        problems.raise_invalid("decay")
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
        problems.raise_invalid("decay")

    @property
    def kind(self) -> DecayKind:
        """Which way the points fade."""
        if self.half_life is not None:
            return DecayKind.HALF_LIFE
        if self.lose is not None:
            return DecayKind.LOSE_PER_PERIOD
        return DecayKind.NONE

    def fade(self, points: float) -> Fade:
        """The function giving ``points`` after an age in seconds: ``points·e^(−age·ln2/half_life)``
        with a half-life; ``points − lose·⌊age/every⌋``, floored at 0, per idle period; else
        ``points``. Made once per rule, called once per activity."""
        kind = self.kind
        if kind is DecayKind.HALF_LIFE:
            assert self.half_life is not None
            rate = math.log(2) / self.half_life.total_seconds()
            exp = math.exp

            def halving(age: float) -> float:
                return points * exp(-rate * age)

            return halving
        if kind is DecayKind.LOSE_PER_PERIOD:
            assert self.lose is not None and self.every is not None
            lose = self.lose
            every = self.every.total_seconds()

            def losing(age: float) -> float:
                left = points - lose * (age // every)
                return left if left > 0 else 0.0

            return losing

        def steady(age: float) -> float:
            return points

        return steady

    def describe(self) -> str:
        """The decay in words."""
        kind = self.kind
        if kind is DecayKind.HALF_LIFE:
            assert self.half_life is not None
            return f"half-life {_span(self.half_life)}"
        if kind is DecayKind.LOSE_PER_PERIOD:
            assert self.lose is not None and self.every is not None
            return f"−{self.lose:g} per {_span(self.every)} idle"
        return "no decay"


NO_DECAY = Decay()
"""No decay: an activity keeps its points."""


@checked_constructor
@attrs.frozen(slots=True)
class BehaviourRule:
    """Points for each activity of ``kind`` (an ``ActivityKind`` value — its name or either
    label is read as the value — or a host's own, read as :func:`activity_kind` reads it),
    capped at ``cap`` for the kind in total; ``decay`` overrides the model's default decay."""

    kind: str
    points: float
    cap: float
    decay: Decay | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        try:
            object.__setattr__(self, "kind", activity_kind(self.kind))
        except ValidationError as e:
            problems.add("kind", e.problems[0].reason)
        problems.points("points", self.points)
        problems.points("cap", self.cap, positive=True)
        if self.decay is not None and not isinstance(self.decay, Decay):
            problems.add("decay", f"must be a Decay or None, not {type(self.decay).__name__}")
        problems.raise_invalid("behaviour rule")

    def decay_with(self, default: Decay | None) -> Decay:
        """The decay that applies: the rule's own, else ``default`` (the model's), else none."""
        return self.decay or default or NO_DECAY


@attrs.frozen(slots=True)
class CompiledRule:
    """A behaviour rule ready for the fast path: its place among the rules (``order``, so kinds
    add up in the model's order) and the function giving an activity's points at an age."""

    order: int
    fade: Fade


BehaviourTally = Callable[
    [Iterable[Activity], float, "list[int] | None"], tuple[list[float], float]
]
"""Compiled behaviour rules: ``tally(activities, now_ts, counts)`` gives, per rule in order, the
points of the activities it scored after decay (before the cap), and the behaviour points with
each kind capped (not yet rounded); given a ``counts`` list (one slot per rule), it also counts
the activities each rule scored."""


def compile_behaviour(
    rules: Sequence[BehaviourRule], default: Decay | None = None
) -> BehaviourTally:
    """Compile ``rules`` (a rule without a decay of its own gets ``default``) into a
    :data:`BehaviourTally`. An activity scores when a rule has its kind and it has happened by ``now``:
    a later one has not happened yet. A kind's decayed points together count up to its cap."""
    rule_for = {
        rule.kind: CompiledRule(order, rule.decay_with(default).fade(rule.points))
        for order, rule in enumerate(rules)
    }.get
    caps = tuple(rule.cap for rule in rules)
    size = len(caps)

    def tally(
        activities: Iterable[Activity], now_ts: float, counts: list[int] | None = None
    ) -> tuple[list[float], float]:
        kept = [0.0] * size
        for activity in activities:
            rule = rule_for(activity.kind)
            if rule is None:
                continue
            age = now_ts - activity.timestamp
            if age < 0:
                continue
            order = rule.order
            if counts is not None:
                counts[order] += 1
            kept[order] += rule.fade(age)
        points = 0.0
        for have, cap in zip(kept, caps, strict=True):
            points += have if have < cap else cap
        return kept, points

    return tally
