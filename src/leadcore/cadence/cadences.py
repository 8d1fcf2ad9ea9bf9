"""Cadences (跟进节奏): when the next follow-up is due after one has happened, as an RFC 5545
recurrence rule (``FREQ=WEEKLY;BYDAY=MO,TH``) or a fixed gap (every 3 days, every quarter)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any, Final

import attrs
from dateutil.relativedelta import relativedelta

from leadcore.cadence._check import Problems, aware, fail, join, shown
from leadcore.cadence._reading import Loadable, read_attrs
from leadcore.cadence.calendar import WorkingCalendar
from leadcore.cadence.days import Weekday, parse_days
from leadcore.cadence.rrules import FREQUENCIES, MAX_INTERVAL, Recurrence, parse_rrule
from leadcore.cadence.spans import parse_time
from leadcore.cadence.zones import check_zone, local_wall, to_utc, zone
from leadcore.checks import text, whole
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.signatures import checked_constructor

__all__ = ["Cadence", "Every", "read_cadence", "snapped"]

_UNITS: Final = {"months": 120, "weeks": 522, "days": 3653, "hours": 87_660}


def _unit(value: int, name: str) -> int:
    top = _UNITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        fail(name, f"must be a whole number 0..{top}, not {shown(value)}")
    return value


def _months(value: int) -> int:
    return _unit(value, "months")


def _weeks(value: int) -> int:
    return _unit(value, "weeks")


def _days(value: int) -> int:
    return _unit(value, "days")


def _hours(value: int) -> int:
    return _unit(value, "hours")


@checked_constructor
@attrs.frozen(slots=True)
class Every:
    """A fixed gap after a follow-up: ``months``, ``weeks`` and ``days`` move the local date
    (same wall time; 31 January plus a month is 28 or 29 February), ``hours`` are then added
    as elapsed time. A cadence needs at least one above 0."""

    months: int = attrs.field(default=0, converter=_months)
    weeks: int = attrs.field(default=0, converter=_weeks)
    days: int = attrs.field(default=0, converter=_days)
    hours: int = attrs.field(default=0, converter=_hours)

    @property
    def is_zero(self) -> bool:
        """Whether every unit is 0."""
        return not (self.months or self.weeks or self.days or self.hours)

    def after(self, instant: datetime, zone_key: str) -> datetime:
        """``instant`` (timezone-aware) moved on by the gap, in UTC, reading dates in the zone
        ``zone_key``; a ``ValidationError`` names a bad argument, or ``instant`` when the result
        would fall off the calendar (years 1–9999)."""
        moved = aware(instant, "instant")
        key = check_zone(zone_key, "zone_key")
        try:
            if self.months or self.weeks or self.days:
                tz = zone(key)
                step = relativedelta(months=self.months, weeks=self.weeks, days=self.days)
                moved = to_utc(local_wall(moved, tz) + step, tz)
            return moved + timedelta(hours=self.hours)
        except (OverflowError, ValueError):  # before year 1 or past year 9999
            fail("instant", "is too close to the limits of the calendar (years 1–9999)")

    def __str__(self) -> str:
        names = {"months": "month", "weeks": "week", "days": "day", "hours": "hour"}
        pieces = [
            f"{n} {names[unit]}{'s' if n != 1 else ''}"
            for unit in names
            if (n := getattr(self, unit))
        ]
        return " ".join(pieces)


def _rrule(value: str | None) -> str | None:
    return None if value is None else parse_rrule(value, "rrule").text


def _every(value: Every | Mapping[str, int] | None) -> Every | None:
    if value is None or isinstance(value, Every):
        return value
    return read_attrs(Every, value, "every", what="gap")


def _label(value: str | None) -> str | None:
    """One line of clean text (as :func:`leadcore.checks.text` has it: at most 200 characters):
    it is shown in every due date's reason, which the follow-up's event keeps."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        fail("label", f"must be non-empty text like '电话：每周2–3次', not {shown(value)}")
    return text(value, "label")


@checked_constructor
@attrs.frozen(slots=True)
class Cadence(Loadable):
    """How soon to follow up again: ``rrule``, an RFC 5545 recurrence rule started at the
    follow-up (``FREQ=WEEKLY;BYDAY=MO,TH``: the next Monday or Thursday, at the follow-up's
    time of day unless BYHOUR says), or ``every``, a fixed gap (:class:`Every`); exactly one.
    ``label`` is how people call it (``电话：每周2–3次``).

    The next due date is always strictly after the follow-up.
    """

    rrule: str | None = attrs.field(default=None, converter=_rrule)
    every: Every | None = attrs.field(default=None, converter=_every)
    label: str | None = attrs.field(default=None, converter=_label)
    _recurrence: Recurrence | None = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        if (self.rrule is None) == (self.every is None):
            fail("rrule", "give exactly one of rrule (a recurrence rule) or every (a gap)")
        if self.every is not None and self.every.is_zero:
            fail("every", "a gap needs at least one of months, weeks, days or hours above 0")
        recurrence = None if self.rrule is None else parse_rrule(self.rrule, "rrule")
        object.__setattr__(self, "_recurrence", recurrence)

    @classmethod
    def gap(
        cls,
        *,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        label: str | None = None,
    ) -> Cadence:
        """A fixed gap: ``Cadence.gap(days=3)`` is due three days after each follow-up."""
        return cls(every=Every(months, weeks, days, hours), label=label)

    @classmethod
    def weekly(
        cls,
        *days: Weekday | str,
        interval: int = 1,
        at: time | str | None = None,
        label: str | None = None,
    ) -> Cadence:
        """On the given weekdays (``Cadence.weekly("mon", "thu")``), every ``interval``
        weeks (a whole number 1..522), at ``at`` (else at the follow-up's time of day)."""
        rule = _frequency("WEEKLY", interval)
        chosen = parse_days(days, "days") if days else None
        codes = "" if chosen is None else ",".join(d.code for d in Weekday if d in chosen)
        return cls(rule + (f";BYDAY={codes}" if codes else "") + _at(at), label=label)

    @classmethod
    def monthly(
        cls,
        *month_days: int,
        interval: int = 1,
        at: time | str | None = None,
        label: str | None = None,
    ) -> Cadence:
        """On the given days of the month (``Cadence.monthly(1, 15)``, each a whole number
        1..31 or -31..-1, ``-1`` being the last day), every ``interval`` months (1..120), at
        ``at``."""
        rule = _frequency("MONTHLY", interval)
        checked = [_month_day(day, f"month_days[{i}]") for i, day in enumerate(month_days)]
        if checked:
            rule += ";BYMONTHDAY=" + ",".join(str(d) for d in checked)
        return cls(rule + _at(at), label=label)

    def next_due(
        self,
        after: datetime,
        *,
        timezone: str = "UTC",
        snap_to: WorkingCalendar | None = None,
    ) -> datetime:
        """The due date (UTC) after a follow-up at ``after``: strictly later, with weekdays and
        dates read in ``timezone``; with ``snap_to`` a due date outside working time moves to
        the next working moment of that calendar. A rule whose INTERVAL steps from this
        follow-up miss every day it picks raises ``ConfigError``; an ``after`` whose due date
        would fall off the calendar (years 1–9999) raises ``ValidationError`` naming it."""
        instant = aware(after, "after")
        key = check_zone(timezone, "timezone")
        if snap_to is not None and not isinstance(snap_to, WorkingCalendar):
            fail("snap_to", f"must be a WorkingCalendar or None, not {type(snap_to).__name__}")
        try:
            due = self._next(instant, key)
            overflowed = False
        except (OverflowError, ValueError):  # before year 1 or past year 9999
            due, overflowed = None, True
        if due is None and (overflowed or instant.year >= 9000):
            fail(
                "after",
                f"is too close to the limits of the calendar (years 1–9999) for {self.describe()}",
            )
        if due is None:
            # INTERVAL steps counted from this follow-up can miss every day the rule picks.
            raise ConfigError(
                "rrule", f"{self.rrule} never comes round after a follow-up at {instant}"
            )
        return due if snap_to is None else snapped(snap_to, due, "snap_to")

    def _next(self, instant: datetime, key: str) -> datetime | None:
        if self.every is not None:
            due = self.every.after(instant, key)
            while due <= instant:  # only if a clock change swallowed the whole gap
                due = self.every.after(due, key)
            return due
        assert self._recurrence is not None
        tz = zone(key)
        cursor = local_wall(instant, tz)
        for _ in range(8):  # a wall time shown twice can map to an instant not yet later
            found = self._recurrence.next_after(cursor)
            if found is None:
                return None
            due = to_utc(found, tz)
            if due > instant:
                return due
            cursor = found
        return None

    def describe(self) -> str:
        """The label if given, else ``every 3 days`` or the rule text."""
        if self.label is not None:
            return self.label
        return f"every {self.every}" if self.every is not None else str(self.rrule)


def snapped(calendar: WorkingCalendar, due: datetime, field: str) -> datetime:
    """``due`` moved to the next working moment of ``calendar``; a calendar with none is a
    ``ValidationError`` naming ``field``, the calendar given."""
    try:
        return calendar.next_working_time(due)
    except ValidationError as e:
        reasons = "; ".join(p.reason for p in e.problems)
        fail(field, f"the due date {due.isoformat()} {reasons}")


def _frequency(freq: str, interval: object) -> str:
    """The rule's start, ``FREQ=WEEKLY;INTERVAL=2`` (no INTERVAL when it is 1), once
    ``interval`` is checked against the frequency's largest."""
    step = whole(interval, "interval", least=1, most=MAX_INTERVAL[FREQUENCIES[freq]])
    return f"FREQ={freq}" + (f";INTERVAL={step}" if step != 1 else "")


def _month_day(value: object, field: str) -> int:
    if isinstance(value, list | tuple | set | frozenset | range):
        fail(
            field,
            f"must be a day of the month, not a {type(value).__name__}; give the days one by "
            "one, as in Cadence.monthly(1, 15)",
        )
    day = whole(value, field, least=-31, most=31)
    if day == 0:
        fail(field, "must not be 0 (1 is the first day of the month, -1 the last)")
    return day


def _at(at: time | str | None) -> str:
    if at is None:
        return ""
    when = parse_time(at, "at")
    return f";BYHOUR={when.hour};BYMINUTE={when.minute}" + (
        f";BYSECOND={when.second}" if when.second else ""
    )


_STRUCTURED: Final = {
    "freq": "FREQ",
    "interval": "INTERVAL",
    "by_month": "BYMONTH",
    "by_month_day": "BYMONTHDAY",
    "by_day": "BYDAY",
    "by_hour": "BYHOUR",
    "by_minute": "BYMINUTE",
    "by_set_pos": "BYSETPOS",
    "wkst": "WKST",
}
_KEYS: Final = ("rrule", "every", "label", "at", *_STRUCTURED)
_FIELD_OF_PART: Final = {name: key for key, name in _STRUCTURED.items()}
_PART_PROBLEM: Final = re.compile(r"([A-Z]+): ")
_NUMBERED_DAY: Final = re.compile(r"([+-]?[0-9]{1,3})\s*(\S.*)")
_LARGEST_PART: Final = max(MAX_INTERVAL.values())
_NUMBERED_TOP: Final = {"MONTHLY": 5, "YEARLY": 53}


def _structured_rule(table: Mapping[str, object], path: str) -> str:
    """RRULE text from structured fields (``freq = "weekly"``, ``by_day = ["mon", "thu"]``)."""
    problems = Problems("cadence")
    pieces: list[str] = []
    given = table.get("freq")
    freq = given.strip().upper() if isinstance(given, str) else None
    for key, name in _STRUCTURED.items():
        if key not in table:
            continue
        value = table[key]
        field = join(path, key)
        try:
            pieces.append(f"{name}={_structured_value(key, value, field, freq)}")
        except ValidationError as e:
            problems.found.extend(e.problems)
    problems.raise_if_any()
    return ";".join(pieces)


def _structured_value(key: str, value: object, field: str, freq: str | None) -> str:
    if key == "freq":
        if not isinstance(value, str) or value.strip().upper() not in FREQUENCIES:
            fail(field, f"must be one of: {', '.join(f.lower() for f in FREQUENCIES)}")
        return value.strip().upper()
    if key in ("by_day", "wkst"):
        if key == "wkst":
            days = parse_days(value, field)
            if len(days) != 1:
                fail(field, "must be one weekday, e.g. 'mon'")
            return next(iter(days)).code
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not items:
            fail(field, "must be weekdays like ['mon', 'thu'] (or '1mo', '-1fr' in monthly rules)")
        codes = [_structured_day(item, f"{field}[{i}]", freq) for i, item in enumerate(items)]
        return ",".join(codes)
    numbers = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(numbers, list | tuple) or not numbers:
        fail(field, "must be a whole number or a list of them")
    for item in numbers:
        if isinstance(item, bool) or not isinstance(item, int):
            fail(field, f"must be whole numbers, not {shown(item)}")
        if not -_LARGEST_PART <= item <= _LARGEST_PART:
            fail(field, f"{shown(item)} is out of range for any rule part")
    if key == "interval" and len(numbers) != 1:
        fail(field, "must be one whole number")
    return ",".join(str(n) for n in numbers)


def _structured_day(item: object, field: str, freq: str | None) -> str:
    """BYDAY codes for one ``by_day`` item: weekdays (``"mon"``, ``"mon-fri"``) or one
    numbered weekday (``"1mon"``, the first Monday; ``"-1fri"``, the last Friday)."""
    if not isinstance(item, str):
        fail(field, f"must be a weekday like 'mon', not {shown(item)}")
    text = item.strip()
    numbered = _NUMBERED_DAY.fullmatch(text)
    if numbered is None:
        return ",".join(d.code for d in Weekday if d in parse_days(text, field))
    days = parse_days(numbered.group(2), field)
    if len(days) != 1:
        fail(
            field,
            f"{shown(item)} numbers more than one weekday; number one day, e.g. '1mon' (the first "
            "Monday) or '-1fri' (the last Friday)",
        )
    if freq in FREQUENCIES and freq not in _NUMBERED_TOP:
        fail(field, f"{shown(item)} numbers a weekday, which only monthly or yearly rules do")
    ordinal = int(numbered.group(1))
    top = _NUMBERED_TOP.get(freq or "", 53)
    if ordinal == 0 or abs(ordinal) > top:
        fail(field, f"{shown(item)} must number the weekday 1..{top} or -{top}..-1")
    return f"{ordinal}{next(iter(days)).code}"


def _structured_field(value: Mapping[str, object], problem: FieldProblem) -> str:
    """Where a problem of the rule built from structured fields belongs: the field its rule
    part came from (``INTERVAL: ...`` is ``interval``), else the table itself."""
    if problem.field != "rrule":
        return problem.field
    part = _PART_PROBLEM.match(problem.reason)
    key = _FIELD_OF_PART.get(part.group(1), "") if part is not None else ""
    return key if key in value else ""


def read_cadence(value: object, path: str) -> Cadence:
    """A cadence from plain data, problems named under ``path``: RRULE text
    (``"FREQ=DAILY;INTERVAL=3"``), or a table with one of ``rrule``, ``every`` (``{days =
    3}``) or structured fields (``freq``, ``interval``, ``by_day``, ``by_month_day``,
    ``by_month``, ``by_hour``, ``by_minute``, ``by_set_pos``, ``wkst``, plus ``at = "10:00"``),
    and an optional ``label``."""
    if isinstance(value, Cadence):
        return value
    if isinstance(value, str):
        try:
            return Cadence(value)
        except ValidationError as e:
            raise ValidationError(
                [attrs.evolve(p, field=path or p.field) for p in e.problems], subject="cadence"
            ) from None
    if not isinstance(value, Mapping):
        fail(path, f"must be RRULE text or a table of cadence settings, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            fail(path, f"has the key {shown(key)} ({type(key).__name__}); setting names are text")
    problems = Problems("cadence")
    for key in value:
        if key not in _KEYS:
            problems.add(join(path, key), f"is not a cadence setting; known: {', '.join(_KEYS)}")
    problems.raise_if_any()
    structured = [k for k in _STRUCTURED if k in value]
    ways = [k for k in ("rrule", "every") if k in value] + (["freq"] if structured else [])
    if len(ways) != 1:
        # A problem with the table as a whole, raised alone so that it can be named "$".
        fail(path, "give exactly one of rrule, every, or structured fields (freq, by_day, ...)")
    if "freq" not in value and structured:
        problems.add(join(path, "freq"), "is required with structured fields, e.g. 'weekly'")
    if "at" in value and "every" in value:
        problems.add(join(path, "at"), "goes with a rule (rrule or freq), not with every")
    problems.raise_if_any()
    fields: dict[str, Any] = {}
    try:
        if "label" in value:
            fields["label"] = value["label"]
            _label(value["label"])
        if "every" in value:
            fields["every"] = _every(value["every"])
        else:
            rule = value["rrule"] if "rrule" in value else _structured_rule(value, "")
            if not isinstance(rule, str):
                fail("rrule", "must be RRULE text like 'FREQ=WEEKLY;BYDAY=MO,TH'")
            if "at" in value:
                rule += _at(value["at"])
            fields["rrule"] = rule
        return Cadence(**fields)
    except ValidationError as e:
        from_fields = "rrule" not in value and "every" not in value
        raise ValidationError(
            [
                attrs.evolve(
                    p, field=join(path, _structured_field(value, p) if from_fields else p.field)
                )
                for p in e.problems
            ],
            subject="cadence",
        ) from None
