"""Strategies and rules active only at certain times (Frappe's assignment days; erpnext_china's
time windows): a :class:`~leadcore.cadence.Schedule` of weekly windows, past midnight too,
read in its time zone — use ``Schedule.in_zone_of(calendar, windows)`` to read it in a pool's
working calendar.

:class:`Scheduled` wraps any strategy: outside its windows it declines, saying why ("day desk is
off: outside Mon–Fri 09:00–18:00 Asia/Shanghai"), so a :class:`~leadcore.assignment.Chain` falls
through to the next step. A routing rule takes a ``schedule`` of its own: outside it the rule is
skipped, and its users are excluded with that reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import attrs

from leadcore.cadence import Schedule
from leadcore.cadence.schedule import read_schedule
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead, Pool

from .choice import Choice, Team, decline
from .context import AssignmentContext
from .core import Needs, Strategy, checked_strategy

__all__ = ["Scheduled", "as_schedule"]


def as_schedule(value: Schedule | Iterable[str] | Mapping[str, Any], path: str) -> Schedule:
    """A schedule from a ``Schedule``, a list of windows (``["mon-fri 09:00-18:00"]``, UTC) or
    a table ``{windows, timezone}``; ``ValidationError`` naming the paths at fault."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, list | tuple):
        value = {"windows": list(value)}
    if not isinstance(value, Mapping):
        raise ValidationError(
            [
                FieldProblem(
                    path,
                    'must be a list of windows like ["mon-fri 09:00-18:00"] or a table '
                    "{windows, timezone}",
                )
            ],
            subject="schedule",
        )
    return read_schedule(value, path)


@attrs.frozen(slots=True)
class Scheduled:
    """``strategy``, active only while ``schedule`` is open; outside, a decline saying why.

    It keeps the strategy's name (and so its state keys)."""

    strategy: Strategy
    schedule: Schedule
    kind: ClassVar[str] = "scheduled"

    def __attrs_post_init__(self) -> None:
        problems = checked_strategy(self.strategy, "strategy")
        if not isinstance(self.schedule, Schedule):
            problems.append(
                FieldProblem(
                    "schedule",
                    'must be a Schedule, e.g. Schedule(["mon-fri 09:00-18:00"], "Asia/Shanghai"), '
                    f"not {type(self.schedule).__name__}",
                )
            )
        if problems:
            raise ValidationError(problems, subject="scheduled strategy")

    @property
    def name(self) -> str:
        """The wrapped strategy's name."""
        return self.strategy.name

    def needs(self, lead: Lead, pool: Pool | None) -> Needs:
        """What the strategy reads (read whether or not it is open: the time is the
        decision's)."""
        return self.strategy.needs(lead, pool)

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """What the strategy reads within ``team``."""
        return self.strategy.needs_among(lead, pool, team)

    def _closed(self, ctx: AssignmentContext) -> Choice | None:
        why = self.schedule.why_closed(ctx.now)
        return None if why is None else decline(self.name, f"{self.name} is off: {why}")

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """The strategy's choice while open; a decline naming the schedule otherwise."""
        return self._closed(ctx) or self.strategy.choose(lead, ctx)

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """As :meth:`choose`, within ``team``."""
        return self._closed(ctx) or self.strategy.choose_among(lead, ctx, team)
