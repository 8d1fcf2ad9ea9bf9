"""Days of the week: the :class:`Weekday` enum and day sets written as text (``"mon-fri"``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from leadcore.cadence._check import fail, shown
from leadcore.labels import LabelledEnum

__all__ = ["ALL_DAYS", "Weekday", "format_days", "parse_days", "parse_weekday"]


class Weekday(LabelledEnum):
    """A day of the week; ``number`` is Python's ``date.weekday()`` (Monday 0 … Sunday 6) and
    ``code`` the RFC 5545 two-letter code (``MO`` … ``SU``)."""

    MON = "mon", "周一", "Monday"
    TUE = "tue", "周二", "Tuesday"
    WED = "wed", "周三", "Wednesday"
    THU = "thu", "周四", "Thursday"
    FRI = "fri", "周五", "Friday"
    SAT = "sat", "周六", "Saturday"
    SUN = "sun", "周日", "Sunday"

    @property
    def number(self) -> int:
        """Monday 0 … Sunday 6, as ``date.weekday()`` counts."""
        return _ORDER.index(self)  # tuple.index, not str.index

    @property
    def code(self) -> str:
        """The RFC 5545 code: ``MO``, ``TU``, ``WE``, ``TH``, ``FR``, ``SA``, ``SU``."""
        return self.value[:2].upper()

    @property
    def short(self) -> str:
        """The English short name shown in descriptions: ``Mon`` … ``Sun``."""
        return self.value.capitalize()

    @classmethod
    def of(cls, index: int) -> Weekday:
        """The weekday of ``date.weekday()`` number ``index`` (Monday 0; taken modulo 7)."""
        if isinstance(index, bool) or not isinstance(index, int):
            fail("index", f"must be a whole number (Monday 0), not {shown(index)}")
        return _ORDER[index % 7]


_ORDER: Final[tuple[Weekday, ...]] = tuple(Weekday)
ALL_DAYS: Final = frozenset(Weekday)
"""Every day of the week."""

_NAMES: Final[dict[str, Weekday]] = {}
for _day in Weekday:
    for _name in (
        _day.value,
        _day.name,
        _day.label,
        _day.label_en,
        _day.code,
        "星期" + _day.label[1],
        "礼拜" + _day.label[1],
    ):
        _NAMES[_name.casefold()] = _day
_NAMES["周天"] = _NAMES["星期天"] = _NAMES["礼拜天"] = Weekday.SUN
_NAMES.update({"tues": Weekday.TUE, "thur": Weekday.THU, "thurs": Weekday.THU})

_GROUPS: Final[dict[str, frozenset[Weekday]]] = {
    "daily": ALL_DAYS,
    "every day": ALL_DAYS,
    "everyday": ALL_DAYS,
    "每天": ALL_DAYS,
    "weekdays": frozenset(_ORDER[:5]),
    "weekend": frozenset(_ORDER[5:]),
    "weekends": frozenset(_ORDER[5:]),
    "周末": frozenset(_ORDER[5:]),
}
_LIST_SPLIT: Final = re.compile(r"\s*[,，、;；/]\s*|\s+(?:and|和)\s+|\s+")
_RANGE_SPLIT: Final = re.compile(r"\s*(?:-|–|—|~|～|至|到|to)\s*")
_CHOICES: Final = "mon, tue, wed, thu, fri, sat, sun (or 周一…周日, Monday…Sunday)"


def parse_weekday(text: str, field: str) -> Weekday:
    """One weekday from its value, name, code or label (``mon``, ``MO``, ``周一``, ``Monday``)."""
    day = _NAMES.get(text.strip().casefold())
    if day is None:
        fail(field, f"{shown(text)} is not a weekday; use {_CHOICES}")
    return day


def parse_days(value: object, field: str) -> frozenset[Weekday]:
    """A set of weekdays from text (``"mon-fri"``, ``"sat,sun"``, ``"周一至周五"``, ``"daily"``),
    a ``Weekday``, or an iterable of those; ranges may wrap (``"fri-mon"``). Never empty."""
    days: set[Weekday] = set()
    if isinstance(value, Weekday):
        return frozenset({value})
    if isinstance(value, str):
        days.update(_parse_text(value, field))
    elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        for i, item in enumerate(value):
            if isinstance(item, Weekday):
                days.add(item)
            elif isinstance(item, str):
                days.update(_parse_text(item, f"{field}[{i}]"))
            else:
                fail(f"{field}[{i}]", f"must be a weekday like 'mon', not {type(item).__name__}")
    else:
        fail(
            field, f"must be weekdays like 'mon-fri' or ['sat', 'sun'], not {type(value).__name__}"
        )
    if not days:
        fail(field, "must name at least one weekday, e.g. 'mon-fri'")
    return frozenset(days)


def _parse_text(text: str, field: str) -> set[Weekday]:
    cleaned = text.strip()
    group = _GROUPS.get(cleaned.casefold())
    if group is not None:
        return set(group)
    days: set[Weekday] = set()
    for token in _split_list(cleaned):
        group = _GROUPS.get(token.casefold())
        if group is not None:
            days.update(group)
            continue
        ends = _RANGE_SPLIT.split(token)
        if len(ends) == 1:
            days.add(parse_weekday(token, field))
        elif len(ends) == 2 and all(ends):
            first, last = (parse_weekday(e, field) for e in ends)
            step = (last.number - first.number) % 7
            days.update(Weekday.of(first.number + i) for i in range(step + 1))
        else:
            fail(field, f"{shown(token)} is not a weekday or a range like 'mon-fri'")
    return days


def _split_list(text: str) -> list[str]:
    # Keep ranges with spaces around the dash ("mon - fri") together before splitting on spaces.
    joined = re.sub(r"\s*(-|–|—|~|～|至|到)\s*", r"\1", text)
    joined = re.sub(r"\s+to\s+", "-", joined)
    return [t for t in _LIST_SPLIT.split(joined) if t]


def format_days(days: Iterable[Weekday], *, style: str = "text") -> str:
    """A day set in words: ``Mon–Fri``, ``Mon, Wed, Fri``, ``every day`` (``style="text"``), or
    as config text ``mon-fri``, ``mon,wed,fri`` (``style="config"``), Monday first."""
    chosen = sorted(set(days), key=lambda d: d.number)
    if style == "text" and len(chosen) == 7:
        return "every day"
    runs: list[list[Weekday]] = []
    for day in chosen:
        if runs and runs[-1][-1].number + 1 == day.number:
            runs[-1].append(day)
        else:
            runs.append([day])
    config = style == "config"
    dash, comma = ("-", ",") if config else ("–", ", ")
    parts: list[str] = []
    for run in runs:
        names = [d.value if config else d.short for d in run]
        if len(run) >= 3:
            parts.append(f"{names[0]}{dash}{names[-1]}")
        else:
            parts.extend(names)
    return comma.join(parts)
