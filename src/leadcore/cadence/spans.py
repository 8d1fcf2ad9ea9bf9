"""Spans of wall-clock time within a day: ``09:00-12:00``, ``13:30-24:00``, ``22:00-02:00``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import time, timedelta
from typing import Final

import attrs

from leadcore.cadence._check import Problems, fail, shown
from leadcore.errors import ValidationError
from leadcore.signatures import checked_constructor

__all__ = [
    "DAY_SECONDS",
    "Span",
    "end_time",
    "parse_span",
    "parse_spans",
    "parse_time",
    "start_time",
]

DAY_SECONDS: Final = 86_400
_TIME: Final = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SEPARATOR: Final = re.compile(r"\s*(?:-|–|—|~|～|至|到)\s*")


def _clock(value: time, *, end: bool) -> str:
    if end and value == time(0):
        return "24:00"
    text = f"{value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if value.second else text


def parse_time(value: object, field: str, *, end: bool = False) -> time:
    """A wall-clock time from ``"09:00"``, ``"9:00"``, ``"09:00:30"`` or a naive ``time``;
    ``"24:00"`` (midnight at the end of the day) only where ``end`` is true."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            fail(field, "must be a wall-clock time without a time zone")
        if value.microsecond:
            fail(field, "must be given to the second, e.g. 09:00 or 09:00:30")
        return value
    if not isinstance(value, str):
        fail(field, f"must be a time like '09:00', not {type(value).__name__}")
    match = _TIME.match(value.strip())
    if match is None:
        fail(field, f"{shown(value)} is not a time like '09:00' or '09:00:30'")
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if (hour, minute, second) == (24, 0, 0):
        if not end:
            fail(field, "24:00 can only end a span; a span starts at 00:00–23:59")
        return time(0)
    if hour > 23 or minute > 59 or second > 59:
        fail(field, f"{shown(value)} is not a time of day (00:00–23:59, or 24:00 as an end)")
    return time(hour, minute, second)


def start_time(value: time | str) -> time:
    """The converter of a ``start`` field: :func:`parse_time` naming ``start``."""
    return parse_time(value, "start")


def end_time(value: time | str) -> time:
    """The converter of an ``end`` field: :func:`parse_time` naming ``end`` (24:00 allowed)."""
    return parse_time(value, "end", end=True)


@checked_constructor
@attrs.frozen(slots=True, order=True)
class Span:
    """Wall-clock time from ``start`` to ``end`` on one day. An ``end`` at or before ``start``
    falls on the next day: ``00:00-00:00`` (written ``00:00-24:00``) is the whole day and
    ``22:00-02:00`` runs past midnight. ``end`` is exclusive."""

    start: time = attrs.field(converter=start_time)
    end: time = attrs.field(converter=end_time)

    @classmethod
    def parse(cls, text: str) -> Span:
        """A span from text like ``"09:00-12:00"`` (also ``–``, ``~``, ``至``)."""
        return parse_span(text, "span")

    @property
    def start_seconds(self) -> int:
        """Seconds from the day's midnight to the start."""
        return self.start.hour * 3600 + self.start.minute * 60 + self.start.second

    @property
    def end_seconds(self) -> int:
        """Seconds from the start day's midnight to the end: above 86 400 when the span runs
        past midnight, 86 400 when it ends at 24:00."""
        end = self.end.hour * 3600 + self.end.minute * 60 + self.end.second
        return end + DAY_SECONDS if end <= self.start_seconds else end

    @property
    def length(self) -> timedelta:
        """How long the span lasts on the wall clock."""
        return timedelta(seconds=self.end_seconds - self.start_seconds)

    @property
    def crosses_midnight(self) -> bool:
        """Whether the span runs into the next day (ending at 24:00 does not)."""
        return self.end_seconds > DAY_SECONDS

    def text(self) -> str:
        """The span as config text: ``09:00-12:00``."""
        return f"{_clock(self.start, end=False)}-{_clock(self.end, end=True)}"

    def __str__(self) -> str:
        return f"{_clock(self.start, end=False)}–{_clock(self.end, end=True)}"


def parse_span(value: object, field: str) -> Span:
    """A span from ``"09:00-12:00"``, a table ``{start = "09:00", end = "12:00"}`` or a
    ``Span``; problems name ``field`` (``field.end`` for a bad end)."""
    if isinstance(value, Span):
        return value
    if isinstance(value, str):
        parts = _SEPARATOR.split(value.strip())
        if len(parts) != 2:
            fail(field, f"{shown(value)} is not a span like '09:00-12:00'")
        return Span(parse_time(parts[0], field, end=False), parse_time(parts[1], field, end=True))
    if isinstance(value, Mapping):
        problems = Problems("span")
        unknown = sorted(str(k) for k in value if k not in ("start", "end"))
        for key in unknown:
            problems.add(f"{field}.{key}", "is not a span setting; known: start, end")
        found: dict[str, time] = {}
        for key in ("start", "end"):
            if key not in value:
                problems.add(f"{field}.{key}", "is required, e.g. '09:00'")
                continue
            try:
                found[key] = parse_time(value[key], f"{field}.{key}", end=key == "end")
            except ValidationError as e:
                problems.found.extend(e.problems)
        problems.raise_if_any()
        return Span(found["start"], found["end"])
    fail(field, f"must be a span like '09:00-12:00', not {type(value).__name__}")


def parse_spans(value: object, field: str) -> tuple[Span, ...]:
    """Spans from a list of spans (each as :func:`parse_span` reads it) or a single span text,
    in the order given. Problems name ``field[i]``."""
    if isinstance(value, str | Span):
        return (parse_span(value, field),)
    if not isinstance(value, Iterable) or isinstance(value, Mapping | bytes | bytearray):
        fail(field, f"must be a list of spans like ['09:00-12:00'], not {type(value).__name__}")
    problems = Problems("spans")
    spans: list[Span] = []
    for i, item in enumerate(value):
        try:
            spans.append(parse_span(item, f"{field}[{i}]"))
        except ValidationError as e:
            problems.found.extend(e.problems)
    problems.raise_if_any()
    return tuple(spans)
