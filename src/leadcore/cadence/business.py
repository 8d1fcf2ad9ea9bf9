"""Business-hour arithmetic on a :class:`WorkingCalendar`: deadlines that count only working
time, and the working time between two instants.

The work is bounded: weeks that follow the weekly hours (no holiday, make-up day or clock
change) are counted in one step each run, so a span of years costs about as much as the
holidays and clock changes in it; nothing looks further than 100 years ahead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from leadcore.cadence._check import HORIZON_YEARS, as_hours, aware, fail, to_microseconds
from leadcore.cadence.calendar import WorkingCalendar, _Table, horizon, limit_after

__all__ = ["add_business_hours", "business_hours_between"]

_ONE_DAY: Final = timedelta(days=1)
_HORIZON: Final = timedelta(days=round(HORIZON_YEARS * 365.2425))


def _calendar(value: object) -> WorkingCalendar:
    if not isinstance(value, WorkingCalendar):
        fail("calendar", f"must be a WorkingCalendar, not {type(value).__name__}")
    return value


def _us(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def add_business_hours(
    start: datetime, hours: float | timedelta, calendar: WorkingCalendar
) -> datetime:
    """The earliest instant (UTC) by which ``hours`` working hours of ``calendar`` have passed
    since ``start``.

    Counting begins at ``start`` if it is working time, else at the next working moment; a
    deadline that uses up a day's last working hour lands at the end of that span (18:00),
    not at the next opening. Zero hours is ``start`` itself. ``hours`` is a number (or a
    ``timedelta``), finite, not negative and at most ``MAX_HOURS`` (876,000: 100 years of
    365 days, round the clock); the deadline must fall within 100 years of ``start``, so on a
    calendar with fewer hours fewer of them fit.
    """
    instant = aware(start, "start")
    remaining = to_microseconds(hours, "hours")
    table = _calendar(calendar)._table
    if remaining == 0:
        return instant
    try:
        found = _add(table, instant, remaining)
    except OverflowError:
        fail("start", "is too close to the limits of the calendar (years 1–9999)")
    if found is None:
        fail(
            "hours",
            f"{hours} working hours of {calendar.describe()} do not fit "
            f"{horizon(instant.astimezone(table.tz).date(), 'after start')}",
        )
    return found


def _add(table: _Table, instant: datetime, remaining: int) -> datetime | None:
    day = instant.astimezone(table.tz).date()
    limit = limit_after(day)
    for a, b in table.intervals(day):
        if b <= instant:
            continue
        begin = max(a, instant)
        length = _us(b - begin)
        if remaining <= length:
            return begin + timedelta(microseconds=remaining)
        remaining -= length
    day += _ONE_DAY
    while day <= limit:
        if table.total_us == 0:
            makeup = table.next_makeup(day)
            if makeup is None or makeup > limit:
                return None
            day = makeup
        # Only look for irregular days as far as the remaining hours could reach.
        weeks_needed = remaining // table.total_us + 2 if table.total_us else 0
        reach = (
            limit if weeks_needed * 7 >= (limit - day).days else day + timedelta(weeks=weeks_needed)
        )
        stop = table.next_irregular(day, reach)
        if stop > day:
            run = table.run_us(day, stop)
            if remaining > run:
                remaining -= run
                day = stop
                continue
            return _find_in_run(table, day, remaining)
        for a, b in table.intervals(day):
            length = _us(b - a)
            if remaining <= length:
                return a + timedelta(microseconds=remaining)
            remaining -= length
        day += _ONE_DAY
    return None


def _find_in_run(table: _Table, day: date, remaining: int) -> datetime:
    """The instant ``remaining`` working microseconds into a run of regular days from ``day``
    (the run is known to hold at least that much)."""
    weeks = (remaining - 1) // table.total_us
    day += timedelta(weeks=weeks)
    remaining -= weeks * table.total_us
    while remaining > table.wall_us(day):
        remaining -= table.wall_us(day)
        day += _ONE_DAY
    for a, b in table.intervals(day):
        length = _us(b - a)
        if remaining <= length:
            return a + timedelta(microseconds=remaining)
        remaining -= length
    raise AssertionError("a regular day held fewer working hours than its weekly total")


def business_hours_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> float:
    """The working hours of ``calendar`` from ``start`` to ``end``; negative when ``end`` is
    before ``start`` (so ``between(a, b) == -between(b, a)``). The two may be at most 100
    years apart."""
    first = aware(start, "start")
    last = aware(end, "end")
    table = _calendar(calendar)._table
    if last < first:
        return -business_hours_between(last, first, calendar)
    if last - first > _HORIZON:
        fail("end", f"must be at most {HORIZON_YEARS} years after start")
    try:
        return as_hours(_between(table, first, last))
    except OverflowError:
        fail("end", "is too close to the limits of the calendar (years 1–9999)")


def _clipped(table: _Table, day: date, low: datetime | None, high: datetime | None) -> int:
    total = 0
    for a, b in table.intervals(day):
        begin = a if low is None or a >= low else low
        finish = b if high is None or b <= high else high
        if finish > begin:
            total += _us(finish - begin)
    return total


def _between(table: _Table, first: datetime, last: datetime) -> int:
    day = first.astimezone(table.tz).date()
    final = last.astimezone(table.tz).date()
    if day == final:
        return _clipped(table, day, first, last)
    total = _clipped(table, day, first, None)
    day += _ONE_DAY
    while day < final:
        stop = min(table.next_irregular(day, final - _ONE_DAY), final)
        if stop > day:
            total += table.run_us(day, stop)
            day = stop
        else:
            total += _clipped(table, day, None, None)
            day += _ONE_DAY
    return total + _clipped(table, final, None, last)
