"""SLA clocks (时效): a pool counts its reminder and recycle hours either on the wall clock or
in business hours of a working calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from leadcore.cadence._check import Problems, as_hours, aware, fail, member, to_microseconds
from leadcore.cadence._reading import Loadable
from leadcore.cadence.business import add_business_hours, business_hours_between
from leadcore.cadence.calendar import NO_WEEKLY_HOURS, WorkingCalendar, read_calendar
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.signatures import checked_constructor

__all__ = ["ClockKind", "SlaClock", "deadline", "elapsed"]


class ClockKind(LabelledEnum):
    """How an SLA counts hours: every hour on the wall clock, or only working hours."""

    WALL = "wall", "自然时间", "Wall clock"
    BUSINESS = "business", "工作时间", "Business hours"


def _kind(value: object, field: str = "kind") -> ClockKind:
    return member(ClockKind, value, field, "a clock kind")


_NO_HOURS: Final = f"a business-hour clock needs working hours, but the calendar {NO_WEEKLY_HOURS}"


def _business_problem(kind: ClockKind, calendar: WorkingCalendar | None) -> str | None:
    """What is wrong with ``calendar`` for a clock of ``kind``, or None."""
    if kind is not ClockKind.BUSINESS:
        return None
    if calendar is None:
        return "a business-hour clock needs a working calendar"
    if not calendar.has_weekly_hours:
        return _NO_HOURS
    return None


def _calendar_for(kind: ClockKind, calendar: object) -> WorkingCalendar | None:
    if calendar is not None and not isinstance(calendar, WorkingCalendar):
        fail("calendar", f"must be a WorkingCalendar or None, not {type(calendar).__name__}")
    problem = _business_problem(kind, calendar)
    if problem is not None:
        fail("calendar", problem)
    return calendar


def deadline(
    start: datetime,
    hours: float | timedelta,
    kind: ClockKind | str = ClockKind.WALL,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """When ``hours`` have passed since ``start`` (UTC): plain addition on the wall clock, or
    :func:`add_business_hours` on ``calendar`` for a business-hour clock."""
    chosen = _kind(kind)
    cal = _calendar_for(chosen, calendar)
    if cal is None or chosen is ClockKind.WALL:
        instant = aware(start, "start")
        step = timedelta(microseconds=to_microseconds(hours, "hours"))
        try:
            return instant + step
        except OverflowError:
            fail("hours", "takes the deadline past year 9999")
    return add_business_hours(start, hours, cal)


def elapsed(
    start: datetime,
    end: datetime,
    kind: ClockKind | str = ClockKind.WALL,
    calendar: WorkingCalendar | None = None,
) -> float:
    """The hours from ``start`` to ``end`` on the chosen clock (negative if ``end`` is
    earlier)."""
    chosen = _kind(kind)
    cal = _calendar_for(chosen, calendar)
    if cal is None or chosen is ClockKind.WALL:
        first, last = aware(start, "start"), aware(end, "end")
        return as_hours((last - first) // timedelta(microseconds=1))
    return business_hours_between(start, end, cal)


def _clock_kind(value: ClockKind | str) -> ClockKind:
    return _kind(value)


def _clock_calendar(value: WorkingCalendar | dict[str, Any] | None) -> WorkingCalendar | None:
    return None if value is None else read_calendar(value, "calendar")


@checked_constructor
@attrs.frozen(slots=True)
class SlaClock(Loadable):
    """A pool's choice of clock for its SLA hours (reminder, recycle): ``kind`` wall or
    business, and the ``calendar`` a business-hour clock counts in."""

    kind: ClockKind = attrs.field(default=ClockKind.WALL, converter=_clock_kind)
    calendar: WorkingCalendar | None = attrs.field(default=None, converter=_clock_calendar)

    def __attrs_post_init__(self) -> None:
        problems = Problems("SLA clock")
        problem = _business_problem(self.kind, self.calendar)
        if problem is not None:
            problems.add("calendar", problem)
        problems.raise_if_any()

    @classmethod
    def business(cls, calendar: WorkingCalendar) -> SlaClock:
        """A clock counting working hours of ``calendar``."""
        return cls(ClockKind.BUSINESS, calendar)

    def deadline(self, start: datetime, hours: float | timedelta) -> datetime:
        """When ``hours`` on this clock have passed since ``start``."""
        return deadline(start, hours, self.kind, self.calendar)

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Hours on this clock from ``start`` to ``end``."""
        return elapsed(start, end, self.kind, self.calendar)

    def remaining(self, start: datetime, hours: float | timedelta, *, now: datetime) -> float:
        """Hours on this clock left at ``now`` of ``hours`` allowed since ``start``; negative
        once overdue."""
        allowed = as_hours(to_microseconds(hours, "hours"))
        aware(now, "now")
        try:
            return allowed - self.elapsed(start, now)
        except ValidationError as e:  # the clock counts up to ``now``: name it as given
            named = [
                FieldProblem("now" if p.field == "end" else p.field, p.reason) for p in e.problems
            ]
            raise ValidationError(named, subject=e.subject) from None

    def describe(self) -> str:
        """The clock in words: ``wall clock`` or ``business hours (Mon–Fri …)``."""
        if self.kind is ClockKind.WALL or self.calendar is None:
            return "wall clock"
        return f"business hours ({self.calendar.describe()})"
