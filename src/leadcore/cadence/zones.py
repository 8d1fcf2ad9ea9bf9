"""Time zones: checking IANA keys, turning local wall-clock times into UTC instants across
clock changes, and finding the days on which a zone changes its clocks."""

from __future__ import annotations

import difflib
from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from leadcore.cadence._check import fail, shown

__all__ = ["check_zone", "local_wall", "next_clock_change", "to_utc", "zone"]

_ONE_DAY = timedelta(days=1)
_HOST_FILES: Final = frozenset({"localtime", "posixrules"})
"""Files in a zoneinfo directory that are not zone names: links to whatever zone the host was
set up with, so that a calendar naming them would change from one machine to the next."""


def check_zone(value: object, field: str) -> str:
    """The IANA key of a time zone (``"Asia/Shanghai"``, ``"Europe/Berlin"``, ``"UTC"``), or a
    ``ValidationError`` naming ``field``. A ``ZoneInfo`` gives its key."""
    if isinstance(value, ZoneInfo):
        value = value.key
    if not isinstance(value, str) or not value.strip():
        fail(field, f"must be an IANA time zone name like 'Asia/Shanghai', not {shown(value)}")
    key = value.strip()
    if key in _HOST_FILES or key.startswith("right/"):
        fail(
            field,
            f"{shown(key)} is a file of this machine's time zone data, not a zone name "
            "(it may differ from host to host); name the zone, like 'Asia/Shanghai' or 'UTC'",
        )
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError, UnicodeError):
        hint = _closest_zone(key)
        fail(
            field,
            f"{shown(key)} is not an IANA time zone; "
            + (f"did you mean {hint!r}?" if hint else "use a name like 'Asia/Shanghai' or 'UTC'"),
        )
    return key


MAINLAND_NAMES: Final = frozenset(
    {"beijing", "北京", "北京时间", "china", "中国", "shenzhen", "深圳", "guangzhou", "广州"}
)
"""Names people give for mainland China's one time zone, which IANA calls ``Asia/Shanghai``
(casefolded): a refusal of one of them suggests it."""


def _closest_zone(key: str) -> str | None:
    """The zone ``key`` most likely meant: the one it spells in other case (``asia/shanghai``),
    else the closest name (``Asia/Shangai``); None when nothing is close."""
    by_folded = _zones_by_folded()
    folded = key.casefold()
    if folded in MAINLAND_NAMES:
        return "Asia/Shanghai"
    if folded in by_folded:
        return by_folded[folded]
    close = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.8)
    return by_folded[close[0]] if close else None


@lru_cache(maxsize=1)
def _zones_by_folded() -> dict[str, str]:
    """Every zone this machine's time zone data names, by its casefolded name (read once, on
    the first refusal)."""
    return {name.casefold(): name for name in sorted(available_timezones())}


def zone(key: str) -> ZoneInfo:
    """The ``ZoneInfo`` for a key already checked by :func:`check_zone` (cached by zoneinfo)."""
    return ZoneInfo(key)


def local_wall(at: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock time in ``tz`` at the aware instant ``at``."""
    return at.astimezone(tz).replace(tzinfo=None)


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` shows ``local`` (naive).

    A time shown twice (clocks going back) is its first occurrence. A time never shown (clocks
    going forward skip it) is the moment the clocks jump, so a working span that starts in the
    skipped hour starts when the clock reaches the first time that exists.
    """
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local:
        return instant
    # Skipped: fold=1 reads it with the offset after the jump, an instant before the jump.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after_offset = instant.astimezone(tz).utcoffset()
    low, high = 0, int((instant - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(tz).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


def _midnight_offset(tz: ZoneInfo, day: date) -> timedelta | None:
    return datetime(day.year, day.month, day.day, tzinfo=tz).utcoffset()


@lru_cache(maxsize=4096)
def _changes_in_year(key: str, year: int) -> tuple[date, ...]:
    """The days of ``year`` whose local midnight has a different UTC offset from the next
    day's midnight: the days on which the zone changes its clocks."""
    tz = ZoneInfo(key)
    day = date(year, 1, 1)
    offset = _midnight_offset(tz, day)
    found: list[date] = []
    while day.year == year:
        if day == date.max:
            break
        following = day + _ONE_DAY
        next_offset = _midnight_offset(tz, following)
        if next_offset != offset:
            found.append(day)
        day, offset = following, next_offset
    return tuple(found)


def next_clock_change(key: str, start: date, limit: date) -> date | None:
    """The first day from ``start`` to ``limit`` (inclusive) on which the zone changes its
    clocks, or ``None``. Assumes a zone changes its clocks at most once a day."""
    for year in range(start.year, limit.year + 1):
        days = _changes_in_year(key, year)
        i = bisect_left(days, start)
        if i < len(days):
            return days[i] if days[i] <= limit else None
    return None
