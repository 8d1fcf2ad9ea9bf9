"""Weekly schedules of opening windows (e.g. when automatic assignment runs): is it open now,
and if not, why not and when does it open."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import attrs

from leadcore.cadence._check import Problems, aware, fail, join, shown
from leadcore.cadence._reading import Loadable, read_attrs
from leadcore.cadence.calendar import WorkingCalendar
from leadcore.cadence.days import Weekday, format_days, parse_days
from leadcore.cadence.spans import Span, end_time, parse_span, start_time
from leadcore.cadence.zones import check_zone, to_utc, zone
from leadcore.errors import ValidationError
from leadcore.signatures import checked_constructor

__all__ = ["Schedule", "Window", "read_schedule", "read_window"]

_WINDOW_TEXT: Final = re.compile(r"^\s*(.+?)\s+(\d{1,2}:\d{2}.*?)\s*$")


def _window_days(value: Iterable[Weekday | str] | str) -> frozenset[Weekday]:
    return parse_days(value, "days")


@checked_constructor
@attrs.frozen(slots=True)
class Window:
    """Open on ``days`` from ``start`` to ``end`` (wall clock, end exclusive). An ``end`` at or
    before ``start`` runs past midnight and belongs to the day it starts on: ``fri
    22:00-02:00`` is open from Friday 22:00 to Saturday 02:00, whatever Saturday's windows."""

    days: frozenset[Weekday] = attrs.field(converter=_window_days)
    start: time = attrs.field(converter=start_time)
    end: time = attrs.field(converter=end_time)

    @classmethod
    def parse(cls, text: str) -> Window:
        """A window from text: ``"mon-fri 09:00-18:00"``, ``"fri 22:00-02:00"``."""
        return read_window(text, "window")

    @property
    def span(self) -> Span:
        """The window's hours as a :class:`Span`."""
        return Span(self.start, self.end)

    def text(self) -> str:
        """The window as config text: ``mon-fri 09:00-18:00``."""
        return f"{format_days(self.days, style='config')} {self.span.text()}"

    def __str__(self) -> str:
        return f"{format_days(self.days)} {self.span}"


def read_window(value: object, path: str) -> Window:
    """A window from ``"mon-fri 09:00-18:00"`` (full-width characters read as their plain
    forms: ``"周一至周五 09：00-18：00"``), a table ``{days, start, end}`` or ``{days,
    hours = "09:00-18:00"}``, or a ``Window``; problems named under ``path``."""
    if isinstance(value, Window):
        return value
    if isinstance(value, str):
        # full-width as typed in Chinese: "mon 09：00-18：00"
        plain = value if value.isascii() else unicodedata.normalize("NFKC", value)
        match = _WINDOW_TEXT.match(plain)
        if match is None:
            fail(path, f"{shown(value)} is not a window like 'mon-fri 09:00-18:00'")
        value = {"days": match.group(1), "hours": match.group(2)}
    if isinstance(value, Mapping) and "hours" in value:
        if "start" in value or "end" in value:
            fail(join(path, "hours"), "give hours, or start and end, not both")
        rest = {k: v for k, v in value.items() if k != "hours"}
        try:
            span = parse_span(value["hours"], "hours")
        except ValidationError as e:
            raise ValidationError(
                [attrs.evolve(p, field=join(path, p.field)) for p in e.problems], subject="window"
            ) from None
        value = {**rest, "start": span.start, "end": span.end}
    return read_attrs(Window, value, path, what="window", known="days, hours, or start and end")


def _windows(value: Iterable[Window | str | Mapping[str, Any]]) -> tuple[Window, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        fail("windows", "must be a list of windows like ['mon-fri 09:00-18:00']")
    problems = Problems("schedule")
    found: list[Window] = []
    for i, item in enumerate(value):
        try:
            found.append(read_window(item, f"windows[{i}]"))
        except ValidationError as e:
            problems.found.extend(e.problems)
    problems.raise_if_any()
    return tuple(found)


def _days(day: date, first: int, last: int) -> Iterator[date]:
    """The days from ``day + first`` to ``day + last`` that the calendar has (years 1–9999)."""
    for offset in range(first, last + 1):
        try:
            yield day + timedelta(days=offset)
        except OverflowError:
            continue


def _timezone(value: str) -> str:
    return check_zone(value, "timezone")


@checked_constructor
@attrs.frozen(slots=True)
class Schedule(Loadable):
    """A weekly schedule: open during any of its ``windows``, read on the wall clock of
    ``timezone``; closed otherwise (always, with no windows)."""

    windows: tuple[Window, ...] = attrs.field(converter=_windows)
    timezone: str = attrs.field(default="UTC", converter=_timezone)

    @classmethod
    def in_zone_of(
        cls, calendar: WorkingCalendar, windows: Iterable[Window | str | Mapping[str, Any]]
    ) -> Schedule:
        """A schedule read in a working calendar's time zone."""
        if not isinstance(calendar, WorkingCalendar):
            fail("calendar", f"must be a WorkingCalendar, not {type(calendar).__name__}")
        return cls(_windows(windows), calendar.timezone)

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        tz = zone(self.timezone)
        midnight = datetime(day.year, day.month, day.day)
        weekday = Weekday.of(day.weekday())
        found = []
        for window in self.windows:
            if weekday in window.days:
                span = window.span
                first = to_utc(midnight + timedelta(seconds=span.start_seconds), tz)
                last = to_utc(midnight + timedelta(seconds=span.end_seconds), tz)
                if last > first:
                    found.append((first, last))
        return sorted(found)

    def is_open(self, at: datetime) -> bool:
        """Whether the instant ``at`` (aware) falls in one of the windows."""
        instant = aware(at, "at")
        try:
            day = instant.astimezone(zone(self.timezone)).date()
            return any(a <= instant < b for d in _days(day, -1, 0) for a, b in self._intervals(d))
        except OverflowError:
            fail("at", "is too close to the limits of the calendar (years 1–9999)")

    def why_closed(self, at: datetime) -> str | None:
        """``None`` when open at ``at``, else the reason: ``outside Mon–Fri 09:00–18:00
        Asia/Shanghai``."""
        if self.is_open(at):
            return None
        if not self.windows:
            return f"no opening hours are set ({self.timezone})"
        return f"outside {self.describe()}"

    def next_open(self, at: datetime) -> datetime | None:
        """The first instant at or after ``at`` when the schedule is open (UTC); ``None`` when
        it has no windows."""
        instant = aware(at, "at")
        if not self.windows:
            return None
        try:
            day = instant.astimezone(zone(self.timezone)).date()
            for each in _days(day, -1, 8):
                for a, b in self._intervals(each):
                    if b > instant:
                        return max(a, instant)
        except OverflowError:
            fail("at", "is too close to the limits of the calendar (years 1–9999)")
        return None

    def describe(self) -> str:
        """The windows in words, days with the same hours together:
        ``Mon–Fri 09:00–12:00, 13:30–18:00; Sat 10:00–14:00 Asia/Shanghai``."""
        groups: dict[frozenset[Weekday], list[Span]] = {}
        for window in self.windows:
            groups.setdefault(window.days, []).append(window.span)
        text = "; ".join(
            f"{format_days(days)} {', '.join(str(s) for s in sorted(spans))}"
            for days, spans in groups.items()
        )
        return f"{text or 'never'} {self.timezone}"


def read_schedule(value: object, path: str) -> Schedule:
    """A schedule from plain data (``windows`` required, ``timezone``), problems named under
    ``path``."""
    return read_attrs(Schedule, value, path, what="schedule")
