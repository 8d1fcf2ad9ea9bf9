"""RFC 5545 recurrence rules (``FREQ=WEEKLY;BYDAY=MO,TH``) for follow-up cadences: parsed,
checked, written in one canonical form, and evaluated with ``dateutil.rrule`` in bounded time.
"""

from __future__ import annotations

import calendar as _gregorian
import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs
from dateutil import rrule as _rr

from leadcore.cadence._check import Problems, fail, shown

__all__ = ["FREQUENCIES", "MAX_INTERVAL", "Frequency", "Recurrence", "parse_rrule"]

Frequency = Literal[0, 1, 2, 3, 4, 5, 6]
"""``dateutil.rrule``'s frequency constants (YEARLY 0 … SECONDLY 6)."""

FREQUENCIES: Final[dict[str, Frequency]] = {
    "YEARLY": _rr.YEARLY,
    "MONTHLY": _rr.MONTHLY,
    "WEEKLY": _rr.WEEKLY,
    "DAILY": _rr.DAILY,
    "HOURLY": _rr.HOURLY,
}
MAX_INTERVAL: Final[dict[Frequency, int]] = {
    _rr.YEARLY: 10,
    _rr.MONTHLY: 120,
    _rr.WEEKLY: 522,
    _rr.DAILY: 3653,
    _rr.HOURLY: 87_660,
}
"""The largest INTERVAL of each frequency: a cadence comes round at least once in 10 years."""
_ORDER: Final = (
    "FREQ",
    "INTERVAL",
    "BYMONTH",
    "BYMONTHDAY",
    "BYDAY",
    "BYHOUR",
    "BYMINUTE",
    "BYSECOND",
    "BYSETPOS",
    "WKST",
)
_REFUSED: Final = {
    "COUNT": "a cadence starts again after every follow-up, so it has no COUNT",
    "UNTIL": "a cadence starts again after every follow-up, so it has no UNTIL",
    "DTSTART": "the follow-up itself is the start",
    "BYYEARDAY": "is not supported for cadences; use BYMONTH with BYMONTHDAY",
    "BYWEEKNO": "is not supported for cadences; use FREQ=WEEKLY with INTERVAL",
    "BYEASTER": "is not supported for cadences",
}
_NUMBERS: Final = {  # name: (lowest, highest, zero allowed)
    "BYMONTH": (1, 12, False),
    "BYMONTHDAY": (-31, 31, False),
    "BYHOUR": (0, 23, True),
    "BYMINUTE": (0, 59, True),
    "BYSECOND": (0, 59, True),
    "BYSETPOS": (-366, 366, False),
}
_INTEGER: Final = re.compile(r"[+-]?0*[0-9]{1,9}")
"""A whole number as RFC 5545 writes it: ASCII digits (not ``1_0``, not full-width), a sign."""
_DAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAYS: Final = (_rr.MO, _rr.TU, _rr.WE, _rr.TH, _rr.FR, _rr.SA, _rr.SU)
# Late, so that the search for a rule that never fires stops soon, at year 9999.
_PROBE_START: Final = datetime(9979, 1, 1)
_PROBE_YEARS: Final = 20
_ERA: Final = 400  # the Gregorian calendar repeats every 400 years, weekdays included


@attrs.frozen(slots=True)
class Recurrence:
    """A checked recurrence rule: its canonical ``text`` and what ``dateutil.rrule`` needs."""

    text: str
    freq: Frequency
    options: Mapping[str, Any]

    def next_after(self, after: datetime) -> datetime | None:
        """The first occurrence strictly after the naive wall time ``after``, the rule starting
        at ``after`` (so INTERVAL counts from it); ``None`` if there is none before year 9999.

        The rule is evaluated a whole number of 400-year cycles later, where the calendar is
        the same but the end of ``datetime`` is near, so even a rule that never matches stops
        after a bounded search.
        """
        shift = max(0, (9899 - after.year) // _ERA) * _ERA
        start = after.replace(year=after.year + shift)
        found = _rr.rrule(self.freq, dtstart=start, **self.options).after(start, inc=False)
        return None if found is None else found.replace(year=found.year - shift)


def _split(text: str, field: str) -> dict[str, str]:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for piece in body.split(";"):
        if not piece.strip():
            continue
        name, sep, value = piece.partition("=")
        name = name.strip().upper()
        if not sep or not name or not value.strip():
            fail(field, f"{shown(piece)} is not a NAME=VALUE part, as in FREQ=WEEKLY;BYDAY=MO,TH")
        if name in parts:
            fail(field, f"{shown(name, quote=False)} is given twice")
        parts[name] = value.strip().upper()
    return parts


def _integer(text: str, name: str, field: str) -> int:
    """A whole number in ASCII digits with an optional sign, or a ``ValidationError``."""
    item = text.strip()
    if _INTEGER.fullmatch(item) is None:
        fail(field, f"{name}: {shown(item)} is not a whole number like 2 or -1")
    return int(item)


def _numbers(name: str, value: str, field: str) -> tuple[int, ...]:
    low, high, zero = _NUMBERS[name]
    found: set[int] = set()
    for item in value.split(","):
        number = _integer(item, name, field)
        if not low <= number <= high or (number == 0 and not zero):
            allowed = f"{low}..-1 or 1..{high}" if low < 0 and not zero else f"{low}..{high}"
            fail(field, f"{name}: {number} is outside {allowed}")
        found.add(number)
    return tuple(sorted(found))


def _weekday(code: str, name: str, field: str) -> int:
    if code not in _DAYS:
        fail(field, f"{name}: {shown(code)} is not a weekday; use {', '.join(_DAYS)}")
    return _DAYS.index(code)


def _by_day(value: str, freq: int, field: str) -> tuple[tuple[int, int | None], ...]:
    found: set[tuple[int, int | None]] = set()
    for raw in value.split(","):
        item = raw.strip()
        code, digits = item[-2:], item[:-2]
        day = _weekday(code, "BYDAY", field)
        ordinal: int | None = None
        if digits:
            if _INTEGER.fullmatch(digits.strip()) is None:
                fail(field, f"BYDAY: {shown(item)} is not a weekday like MO or 1MO or -1FR")
            ordinal = int(digits)
            top = {_rr.MONTHLY: 5, _rr.YEARLY: 53}.get(freq)
            if top is None:
                fail(
                    field,
                    f"BYDAY: {shown(item)} numbers a weekday, which only MONTHLY or YEARLY rules do",
                )
            if ordinal == 0 or abs(ordinal) > top:
                fail(field, f"BYDAY: {shown(item)} must number the weekday 1..{top} or -{top}..-1")
        found.add((day, ordinal))
    return tuple(sorted(found, key=lambda pair: (pair[0], pair[1] or 0)))


def parse_rrule(text: object, field: str) -> Recurrence:
    """A checked recurrence from RRULE text (with or without ``RRULE:``).

    FREQ is YEARLY, MONTHLY, WEEKLY, DAILY or HOURLY; INTERVAL, BYMONTH, BYMONTHDAY, BYDAY,
    BYHOUR, BYMINUTE, BYSECOND, BYSETPOS and WKST may follow. COUNT, UNTIL and DTSTART are
    refused (the follow-up is the start, and every follow-up starts the cadence again), and
    so are rules that never come round: a DAILY or HOURLY rule with INTERVAL above 1 cannot
    also pick days, nor a MONTHLY one pick months, and a rule must fire within 20 years of
    some follow-up (``FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29`` does, from an even
    year).
    BYHOUR=10 means 10:00:00 (unset minutes and seconds are 0, not the follow-up's).
    """
    if not isinstance(text, str) or not text.strip():
        fail(field, "must be RRULE text like 'FREQ=WEEKLY;BYDAY=MO,TH'")
    parts = _split(text, field)
    for name in parts:
        if name in _REFUSED:
            fail(field, f"{name}: {_REFUSED[name]}")
        if name not in _ORDER:
            fail(field, f"{shown(name, quote=False)} is not a rule part; use {', '.join(_ORDER)}")
    if "FREQ" not in parts:
        fail(field, "FREQ is required, e.g. FREQ=WEEKLY")
    if parts["FREQ"] not in FREQUENCIES:
        reason = (
            "is too frequent for a follow-up cadence"
            if parts["FREQ"] in ("MINUTELY", "SECONDLY")
            else "is not a frequency"
        )
        fail(
            field,
            f"FREQ={shown(parts['FREQ'], quote=False)} {reason}; use {', '.join(FREQUENCIES)}",
        )
    freq = FREQUENCIES[parts["FREQ"]]
    interval = 1
    if "INTERVAL" in parts:
        interval = _integer(parts["INTERVAL"], "INTERVAL", field)
        if not 1 <= interval <= MAX_INTERVAL[freq]:
            fail(
                field,
                f"INTERVAL: {interval} must be 1..{MAX_INTERVAL[freq]} for FREQ={parts['FREQ']} "
                "(a cadence comes round at least once in 10 years)",
            )
    numbers = {name: _numbers(name, parts[name], field) for name in _NUMBERS if name in parts}
    days = _by_day(parts["BYDAY"], freq, field) if "BYDAY" in parts else ()
    wkst = _weekday(parts["WKST"], "WKST", field) if "WKST" in parts else 0
    _check_reachable(parts, freq, interval, numbers, field)

    pieces = [f"FREQ={parts['FREQ']}"]
    if interval != 1:
        pieces.append(f"INTERVAL={interval}")
    for name in _ORDER[2:]:
        if name == "BYDAY" and days:
            pieces.append("BYDAY=" + ",".join(f"{n or ''}{_DAYS[d]}" for d, n in days))
        elif name in numbers:
            pieces.append(f"{name}={','.join(str(n) for n in numbers[name])}")
        elif name == "WKST" and wkst:
            pieces.append(f"WKST={_DAYS[wkst]}")
    options: dict[str, Any] = {"interval": interval, "wkst": wkst, "cache": False}
    keys = {"BYMONTH": "bymonth", "BYMONTHDAY": "bymonthday", "BYHOUR": "byhour"}
    keys |= {"BYMINUTE": "byminute", "BYSECOND": "bysecond", "BYSETPOS": "bysetpos"}
    for name, key in keys.items():
        if name in numbers:
            options[key] = numbers[name]
    if days:
        options["byweekday"] = tuple(
            _WEEKDAYS[d] if n is None else _WEEKDAYS[d](n) for d, n in days
        )
    if "byhour" in options and "byminute" not in options:
        options["byminute"] = 0
    if ("byhour" in options or "byminute" in options) and "bysecond" not in options:
        options["bysecond"] = 0
    recurrence = Recurrence(";".join(pieces), freq, MappingProxyType(options))
    _probe(recurrence, field)
    return recurrence


def _check_reachable(
    parts: Mapping[str, str],
    freq: int,
    interval: int,
    numbers: Mapping[str, tuple[int, ...]],
    field: str,
) -> None:
    problems = Problems("recurrence rule")
    if interval > 1:
        limits = {_rr.DAILY: ("BYMONTH", "BYMONTHDAY", "BYDAY"), _rr.MONTHLY: ("BYMONTH",)}
        limits[_rr.HOURLY] = ("BYMONTH", "BYMONTHDAY", "BYDAY", "BYHOUR")
        for name in limits.get(freq, ()):
            if name in parts:
                problems.add(
                    field,
                    f"{name} with FREQ={parts['FREQ']};INTERVAL={interval} may never match "
                    "(the steps can miss it for good); use INTERVAL=1 or a coarser FREQ",
                )
    if "BYSETPOS" in parts and not any(n.startswith("BY") and n != "BYSETPOS" for n in parts):
        problems.add(field, "BYSETPOS needs another BY... part to pick from")
    if "BYMONTHDAY" in numbers:
        months = numbers.get("BYMONTH", tuple(range(1, 13)))
        longest = max(29 if m == 2 else _gregorian.monthrange(2001, m)[1] for m in months)
        if all(abs(d) > longest for d in numbers["BYMONTHDAY"]):
            problems.add(field, "BYMONTHDAY names no day that the chosen months have")
    problems.raise_if_any()


def _probe(recurrence: Recurrence, field: str) -> None:
    """Refuse a rule whose BY... parts pick no moment within 20 years (the search is bounded).

    INTERVAL is left out of the search: whatever moment the parts pick, a follow-up at the
    start of its year, month or week (as FREQ says) has the steps begin there, so the rule
    fires from it. ``FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29`` is taken (it fires
    from even years); a follow-up whose steps miss every moment is reported by
    :meth:`Cadence.next_due`.
    """
    options = dict(recurrence.options, interval=1)
    try:
        rule = _rr.rrule(recurrence.freq, dtstart=_PROBE_START, **options)
        found = rule.after(_PROBE_START, inc=True)
    except (ValueError, TypeError, OverflowError) as e:
        fail(field, f"{recurrence.text} is not a rule dateutil can follow: {e}")
    if found is None or found.year >= _PROBE_START.year + _PROBE_YEARS:
        fail(field, f"{recurrence.text} never comes round (not once in {_PROBE_YEARS} years)")
