"""Strategies and rules active only at certain times (Frappe's assignment days; erpnext_china's
time windows): a :class:`~leadcore.cadence.Schedule` of weekly windows, past midnight too,
read in its time zone — use ``Schedule.in_zone_of(calendar, windows)`` to read it in a pool's
working calendar.

:class:`Scheduled` wraps any strategy: outside its windows it declines, saying why ("day desk is
off: outside Mon–Fri 09:00–18:00 Asia/Shanghai; opens Tue 2026-03-03 09:00 Asia/Shanghai"), so
a :class:`~leadcore.assignment.Chain` falls through to the next step. A routing rule takes a
``schedule`` of its own: outside it the rule is skipped, and its users are excluded with that
reason. :func:`closed_reason` writes the reason: why the schedule is closed and when it next
opens, on the schedule's own wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

import attrs

from leadcore import checks
from leadcore.cadence import Schedule, Weekday
from leadcore.cadence.schedule import read_schedule
from leadcore.cadence.zones import local_wall, zone
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead, Pool
from leadcore.signatures import checked_constructor

from .choice import Choice, Team, decline
from .context import AssignmentContext
from .core import Needs, Strategy, checked_strategy, chosen, needed

__all__ = ["Scheduled", "as_schedule", "closed_reason"]


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
                    f"{{windows, timezone}}, not {type(value).__name__}",
                )
            ],
            subject="schedule",
        )
    return read_schedule(value, path)


def closed_reason(schedule: Schedule, at: datetime) -> str | None:
    """``None`` while ``schedule`` is open at ``at`` (aware), else why it is closed and when it
    next opens, on the schedule's own wall clock: ``outside Mon–Fri 09:00–18:00 Asia/Shanghai;
    opens Tue 2026-03-03 09:00 Asia/Shanghai`` (to the second when a window starts within a
    minute, ``09:00:30``). A schedule without windows never opens, and says only that; nor is
    an opening named past the end of the calendar (year 9999). ``ValidationError`` names a bad
    ``schedule`` or ``at`` (a naive datetime, a time too close to the calendar's limits)."""
    if not isinstance(schedule, Schedule):
        raise ValidationError(
            [FieldProblem("schedule", f"must be a Schedule, not {type(schedule).__name__}")]
        )
    return _closed_reason(schedule, checks.aware(at, "at"))


@lru_cache(maxsize=256)
def _closed_reason(schedule: Schedule, at: datetime) -> str | None:
    """:func:`closed_reason`, kept for recent instants: a batch asks it once per lead at the
    same time."""
    why = schedule.why_closed(at)
    if why is None:
        return None
    opens = schedule.next_open(at)
    if opens is None:
        return why
    local = local_wall(opens, zone(schedule.timezone))
    day = Weekday.of(local.weekday()).short
    clock = f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"  # never before it opens
    return f"{why}; opens {day} {local:%Y-%m-%d} {clock} {schedule.timezone}"


@checked_constructor
@attrs.frozen(slots=True)
class Scheduled:
    """``strategy``, active only while ``schedule`` is open; outside, a decline saying why and
    when it next opens.

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
        return needed(self.strategy, lead, pool)

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """What the strategy reads within ``team``."""
        return needed(self.strategy, lead, pool, team)

    def _closed(self, ctx: AssignmentContext) -> Choice | None:
        why = closed_reason(self.schedule, ctx.now)
        return None if why is None else decline(self.name, f"{self.name} is off: {why}")

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """The strategy's choice while open; a decline naming the schedule and when it next
        opens otherwise."""
        return self._closed(ctx) or chosen(self.strategy, lead, ctx)

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """As :meth:`choose`, within ``team``."""
        return self._closed(ctx) or chosen(self.strategy, lead, ctx, team)
