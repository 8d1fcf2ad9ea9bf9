"""Working calendars (工作日历): weekly working hours in a time zone, holidays, and make-up
working days (调休)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from leadcore.cadence._check import HORIZON_YEARS, Problems, aware, fail, join, shown, text_keyed
from leadcore.cadence._reading import Loadable, read_attrs
from leadcore.cadence.days import Weekday, format_days, parse_days
from leadcore.cadence.spans import Span, parse_spans
from leadcore.cadence.zones import check_zone, next_clock_change, to_utc, zone
from leadcore.errors import ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.signatures import checked_constructor

__all__ = [
    "MAX_RANGE_DAYS",
    "NO_WEEKLY_HOURS",
    "WorkingCalendar",
    "horizon",
    "limit_after",
    "read_calendar",
]

NO_WEEKLY_HOURS: Final = (
    "gives no working hours in its weekly hours (make-up days alone run out); give weekly "
    "hours like {'mon-fri': ['09:00-18:00']}"
)
"""Why a calendar without weekly hours cannot keep time for good (SLA clocks, cadence plans)."""

MAX_RANGE_DAYS: Final = 366
"""The longest holiday range one entry like ``"2026-10-01..2026-10-07"`` may cover."""

_ONE_DAY: Final = timedelta(days=1)
_LAST_DAY: Final = date(9999, 12, 30)
_US: Final = 1_000_000

Seconds = tuple[tuple[int, int], ...]
"""A day's working spans as (start, end) seconds from local midnight, sorted, not overlapping."""


# --- converters: plain data or Python values in, checked values out; problems name the field --


def _day_spans(value: object, field: str) -> tuple[Span, ...]:
    """Spans for one working day: each ends by 24:00 and none overlap; sorted by start."""
    spans = parse_spans(value, field)
    problems = Problems("working hours")
    for i, span in enumerate(spans):
        if span.crosses_midnight:
            problems.add(
                f"{field}[{i}]",
                f"{span} runs past midnight; a working span ends by 24:00, so split it "
                "(e.g. 22:00-24:00, and 00:00-02:00 on the next day)",
            )
    problems.raise_if_any()
    indexed = sorted(enumerate(spans), key=lambda pair: pair[1].start_seconds)
    for (_, before), (i, span) in pairwise(indexed):
        if span.start_seconds < before.end_seconds:
            problems.add(
                f"{field}[{i}]", f"{span} overlaps {before}; give spans that do not overlap"
            )
    problems.raise_if_any()
    return tuple(span for _, span in indexed)


def _timezone(value: str | ZoneInfo) -> str:
    return check_zone(value, "timezone")


def _weekly(value: Mapping[str, Iterable[Span | str] | str]) -> Mapping[Weekday, tuple[Span, ...]]:
    table = text_keyed(
        value, "weekly", "weekdays → working spans, e.g. {'mon-fri': ['09:00-18:00']}"
    )
    problems = Problems("weekly hours")
    found: dict[Weekday, tuple[Span, ...]] = {}
    given_by: dict[Weekday, str] = {}
    for key, spans in table.items():
        field = join("weekly", str(key))
        try:
            days = parse_days(key, field)
            hours = _day_spans(spans, field)
        except ValidationError as e:
            problems.found.extend(e.problems)
            continue
        for day in sorted(days, key=lambda d: d.number):
            if day in given_by:
                problems.add(field, f"{day.value} is already given by {shown(given_by[day])}")
            else:
                given_by[day] = str(key)
                if hours:
                    found[day] = hours
    problems.raise_if_any()
    return frozen_mapping({d: found[d] for d in Weekday if d in found})


def _one_date(value: object, field: str) -> date:
    if isinstance(value, datetime):
        fail(field, "must be a date like 2026-10-01, not a date-time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    fail(field, f"must be a date like '2026-10-01', not {shown(value)}")


def _dates(value: object, field: str) -> frozenset[date]:
    """Dates from a list of dates, ISO texts and ranges ``"2026-10-01..2026-10-07"``."""
    if (
        isinstance(value, str | bytes)
        or not isinstance(value, Iterable)
        or isinstance(value, Mapping)
    ):
        fail(field, "must be a list of dates like ['2026-10-01', '2026-10-02..2026-10-07']")
    problems = Problems("dates")
    found: set[date] = set()
    for i, item in enumerate(value):
        at = f"{field}[{i}]"
        try:
            if isinstance(item, str) and ".." in item:
                first_text, _, last_text = item.partition("..")
                first, last = _one_date(first_text, at), _one_date(last_text, at)
                if last < first:
                    fail(at, f"{shown(item)} ends before it starts")
                if (last - first).days >= MAX_RANGE_DAYS:
                    fail(at, f"a range covers at most {MAX_RANGE_DAYS} days; split {shown(item)}")
                found.update(first + timedelta(days=n) for n in range((last - first).days + 1))
            else:
                found.add(_one_date(item, at))
        except ValidationError as e:
            problems.found.extend(e.problems)
    problems.raise_if_any()
    return frozenset(found)


def _holidays(value: Iterable[date | str]) -> frozenset[date]:
    return _dates(value, "holidays")


def _makeup(
    value: Mapping[date, Iterable[Span | str] | None] | Iterable[date | str | Mapping[str, Any]],
) -> Mapping[date, tuple[Span, ...] | None]:
    problems = Problems("make-up days")
    found: dict[date, tuple[Span, ...] | None] = {}

    def add(day_value: object, hours: object, at: str, hours_at: str) -> None:
        try:
            day = _one_date(day_value, at)
            spans = None if hours is None else _working_spans(hours, hours_at, _NO_MAKEUP_HOURS)
        except ValidationError as e:
            problems.found.extend(e.problems)
            return
        if day in found:
            problems.add(at, f"{day} is listed twice")
        found[day] = spans

    if isinstance(value, Mapping):
        for key, hours in value.items():
            at = f"makeup[{shown(key, quote=isinstance(key, str))}]"
            add(key, hours, at, at)
    elif isinstance(value, str | bytes) or not isinstance(value, Iterable):
        fail("makeup", "must be a list of dates, or of {date = ..., hours = [...]} tables")
    else:
        for i, item in enumerate(value):
            at = f"makeup[{i}]"
            if isinstance(item, Mapping):
                unknown = sorted(str(k) for k in item if k not in ("date", "hours"))
                for key in unknown:
                    problems.add(f"{at}.{key}", "is not a make-up day setting; known: date, hours")
                if "date" not in item:
                    problems.add(f"{at}.date", "is required, e.g. 2026-10-10")
                    continue
                add(item["date"], item.get("hours"), f"{at}.date", f"{at}.hours")
            else:
                add(item, None, at, at)
    problems.raise_if_any()
    return frozen_mapping(dict(sorted(found.items())))


_NO_MAKEUP_HOURS: Final = (
    "gives no working hours, but a make-up day (调休) is a working day: give its hours, or "
    "leave them out for makeup_hours or the weekday hours; a day off goes in holidays"
)


def _working_spans(value: object, field: str, empty: str) -> tuple[Span, ...]:
    """:func:`_day_spans` with at least one span; ``empty`` says why one is needed."""
    spans = _day_spans(value, field)
    if not spans:
        fail(field, empty)
    return spans


def _makeup_hours(value: Iterable[Span | str] | None) -> tuple[Span, ...] | None:
    if value is None:
        return None
    return _working_spans(
        value,
        "makeup_hours",
        "must give at least one span, e.g. ['09:00-18:00']; leave it out to use the weekday hours",
    )


def _seconds(spans: Iterable[Span]) -> Seconds:
    return tuple((s.start_seconds, s.end_seconds) for s in spans)


class _Table:
    """The calendar compiled for arithmetic: spans as seconds, per-weekday totals, special days."""

    __slots__ = (
        "cumulative",
        "key",
        "makeup_days",
        "special",
        "special_days",
        "total_us",
        "tz",
        "week",
        "week_us",
    )

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.key = calendar.timezone
        self.tz: ZoneInfo = zone(calendar.timezone)
        self.week: tuple[Seconds, ...] = tuple(
            _seconds(calendar.weekly.get(day, ())) for day in Weekday
        )
        self.week_us = tuple(sum(e - s for s, e in spans) * _US for spans in self.week)
        self.total_us = sum(self.week_us)
        running = [0]
        for i in range(14):
            running.append(running[-1] + self.week_us[i % 7])
        self.cumulative = tuple(running)
        standard = _seconds(calendar.standard_hours)
        self.special: dict[date, Seconds] = dict.fromkeys(calendar.holidays, ())
        for day, hours in calendar.makeup.items():
            self.special[day] = standard if hours is None else _seconds(hours)
        self.special_days = tuple(sorted(self.special))
        self.makeup_days = tuple(sorted(d for d, spans in self.special.items() if spans))

    def spans(self, day: date) -> Seconds:
        """The working spans of ``day`` (local date)."""
        special = self.special.get(day)
        return self.week[day.weekday()] if special is None else special

    def wall_us(self, day: date) -> int:
        """Working microseconds of ``day`` on the wall clock."""
        special = self.special.get(day)
        if special is None:
            return self.week_us[day.weekday()]
        return sum(e - s for s, e in special) * _US

    def run_us(self, first: date, stop: date) -> int:
        """Working microseconds of the days ``[first, stop)``, none of them special."""
        weeks, rest = divmod((stop - first).days, 7)
        start = first.weekday()
        return weeks * self.total_us + self.cumulative[start + rest] - self.cumulative[start]

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of ``day`` as UTC instants (empty ones left out)."""
        midnight = datetime(day.year, day.month, day.day)
        found: list[tuple[datetime, datetime]] = []
        for start, end in self.spans(day):
            first = to_utc(midnight + timedelta(seconds=start), self.tz)
            last = to_utc(midnight + timedelta(seconds=end), self.tz)
            if last > first:
                found.append((first, last))
        return found

    def next_makeup(self, day: date) -> date | None:
        """The first make-up working day on or after ``day``."""
        i = bisect_left(self.makeup_days, day)
        return self.makeup_days[i] if i < len(self.makeup_days) else None

    def next_irregular(self, day: date, limit: date) -> date:
        """The first day from ``day`` that is special (holiday, make-up) or on which the clocks
        change, else the day after ``limit``: the days before it follow the weekly hours."""
        i = bisect_left(self.special_days, day)
        stop = limit + _ONE_DAY
        if i < len(self.special_days) and self.special_days[i] < stop:
            stop = self.special_days[i]
        change = next_clock_change(self.key, day, stop - _ONE_DAY) if stop > day else None
        return change if change is not None else stop

    def next_working_day(self, day: date, limit: date) -> date | None:
        """The first day from ``day`` up to ``limit`` with working hours."""
        if self.total_us == 0:
            found = self.next_makeup(day)
            return found if found is not None and found <= limit else None
        while day <= limit:
            if self.spans(day):
                return day
            day += _ONE_DAY
        return None


def limit_after(day: date) -> date:
    """The last local day the calendar arithmetic looks at when it starts on ``day``."""
    try:
        return min(day.replace(year=day.year + HORIZON_YEARS), _LAST_DAY)
    except ValueError:  # 29 February, or past year 9999
        return (
            _LAST_DAY if day.year + HORIZON_YEARS > 9999 else date(day.year + HORIZON_YEARS, 3, 1)
        )


def horizon(day: date, after: str) -> str:
    """How far the arithmetic from the local ``day`` looks, in words: ``within 100 years`` and
    ``after`` (``"after it"``), or ``before the end of the calendar (year 9999)`` when that
    comes first."""
    if limit_after(day) == _LAST_DAY:
        return "before the end of the calendar (year 9999)"
    return f"within {HORIZON_YEARS} years {after}"


@checked_constructor
@attrs.frozen(slots=True)
class WorkingCalendar(Loadable):
    """When people work, in a time zone: ``weekly`` working hours (weekday → spans, several a
    day, each ending by 24:00), ``holidays`` (dates with no working hours) and ``makeup``
    working days (调休: dates that are working days whatever their weekday, with their own
    hours or, when given none, ``makeup_hours``, or else the hours of the first weekday from
    Monday on that has any).

    Wall-clock hours are read in ``timezone``: a day on which the clocks go forward is an
    hour shorter if its working hours span the change. A date is never both a holiday and a
    make-up day.
    """

    weekly: Mapping[Weekday, tuple[Span, ...]] = attrs.field(converter=_weekly)
    timezone: str = attrs.field(default="UTC", converter=_timezone)
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_holidays)
    makeup: Mapping[date, tuple[Span, ...] | None] = attrs.field(factory=dict, converter=_makeup)
    makeup_hours: tuple[Span, ...] | None = attrs.field(default=None, converter=_makeup_hours)
    _table: _Table = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        problems = Problems("working calendar")
        both = sorted(self.holidays & set(self.makeup))
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            problems.add("holidays", f"{listed} is also a make-up working day; keep one")
        if not self.standard_hours and any(h is None for h in self.makeup.values()):
            problems.add(
                "makeup_hours",
                "make-up days without their own hours take these, or the weekday hours, but "
                "the calendar has neither; give makeup_hours",
            )
        problems.raise_if_any()
        object.__setattr__(self, "_table", _Table(self))

    @classmethod
    def always(cls, timezone: str = "UTC") -> WorkingCalendar:
        """Round the clock, every day: business hours are then plain elapsed hours."""
        return cls({"daily": ["00:00-24:00"]}, timezone=timezone)

    @property
    def has_weekly_hours(self) -> bool:
        """Whether some weekday has working hours, so that working time never runs out."""
        return self._table.total_us > 0

    @property
    def standard_hours(self) -> tuple[Span, ...]:
        """The hours of a make-up day that gives none of its own."""
        if self.makeup_hours is not None:
            return self.makeup_hours
        for day in Weekday:
            if day in self.weekly:
                return self.weekly[day]
        return ()

    def hours_on(self, day: date) -> tuple[Span, ...]:
        """The working spans of a local date: none on a holiday, a make-up day's own hours,
        else the weekday's."""
        if not isinstance(day, date) or isinstance(day, datetime):
            fail("day", f"must be a date, not {type(day).__name__}")
        if day in self.holidays:
            return ()
        if day in self.makeup:
            hours = self.makeup[day]
            return self.standard_hours if hours is None else hours
        return self.weekly.get(Weekday.of(day.weekday()), ())

    def is_working_day(self, day: date) -> bool:
        """Whether a local date has any working hours."""
        return bool(self.hours_on(day))

    def is_working_time(self, at: datetime) -> bool:
        """Whether the instant ``at`` (aware) falls in working hours (a span's end is not)."""
        instant = aware(at, "at")
        try:
            day = instant.astimezone(self._table.tz).date()
            return any(a <= instant < b for a, b in self._table.intervals(day))
        except OverflowError:
            fail("at", "is too close to the limits of the calendar (years 1–9999)")

    def next_working_time(self, at: datetime) -> datetime:
        """The first working instant at or after ``at``, in UTC: ``at`` itself in working
        hours, else the start of the next working span (within 100 years)."""
        instant = aware(at, "at")
        table = self._table
        try:
            day = instant.astimezone(table.tz).date()
            limit = limit_after(day)
            found = table.next_working_day(day, limit)
            while found is not None:
                for a, b in table.intervals(found):
                    if b > instant:
                        return max(a, instant)
                found = table.next_working_day(found + _ONE_DAY, limit)
        except OverflowError:
            fail("at", "is too close to the limits of the calendar (years 1–9999)")
        fail("at", f"has no working time {horizon(day, 'after it')} ({self.describe()})")

    def describe(self) -> str:
        """The calendar in words: ``Mon–Fri 09:00–12:00, 13:30–18:00 Asia/Shanghai``, with the
        number of holidays and make-up days."""
        groups: dict[tuple[Span, ...], list[Weekday]] = {}
        for day, spans in self.weekly.items():
            groups.setdefault(spans, []).append(day)
        hours = "; ".join(
            f"{format_days(days)} {', '.join(str(s) for s in spans)}"
            for spans, days in groups.items()
        )
        text = f"{hours or 'no weekly hours'} {self.timezone}"
        extras = []
        if self.holidays:
            extras.append(f"{len(self.holidays)} holiday{'s' if len(self.holidays) != 1 else ''}")
        if self.makeup:
            extras.append(f"{len(self.makeup)} make-up day{'s' if len(self.makeup) != 1 else ''}")
        return f"{text} ({', '.join(extras)})" if extras else text


def read_calendar(value: object, path: str) -> WorkingCalendar:
    """A working calendar from plain data, problems named under ``path``: ``weekly`` (required:
    a table of weekdays or ranges like ``mon-fri`` → spans like ``"09:00-12:00"`` or
    ``{start, end}``), ``timezone``, ``holidays`` (dates and ranges ``"a..b"``), ``makeup``
    (dates, or ``{date, hours}`` tables) and ``makeup_hours``."""
    return read_attrs(WorkingCalendar, value, path, what="working calendar")
