"""Invariants of business-hour arithmetic over generated calendars, zones and instants, checked
against a day-by-day reference that never skips ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from leadcore.cadence import (
    ClockKind,
    Span,
    Weekday,
    WorkingCalendar,
    add_business_hours,
    business_hours_between,
    deadline,
    elapsed,
)
from leadcore.cadence.zones import to_utc

ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # a half-hour clock change
    "America/Santiago",  # clocks change at midnight
)
FIRST_DAY = date(2025, 1, 1)
US = timedelta(microseconds=1)


def change_days(zone: str) -> list[date]:
    """The days in 2025–2028 on which ``zone`` changes its clocks (local midnights differ)."""
    tz = ZoneInfo(zone)
    day, found = FIRST_DAY, []
    while day.year < 2029:
        following = day + timedelta(days=1)
        if (
            datetime.combine(day, datetime.min.time(), tz).utcoffset()
            != datetime.combine(following, datetime.min.time(), tz).utcoffset()
        ):
            found.append(day)
        day = following
    return found


CHANGE_DAYS = {zone: change_days(zone) for zone in ZONES}


def instants(zone: str) -> st.SearchStrategy[datetime]:
    """Instants anywhere in 2025–2028, or from three days before to a day after one of the
    zone's clock changes, at minute or microsecond precision."""
    anywhere = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC))
    if not CHANGE_DAYS[zone]:
        return anywhere
    near = st.builds(
        lambda day, minutes, micros: (
            datetime.combine(day, datetime.min.time(), ZoneInfo(zone)).astimezone(UTC)
            + timedelta(minutes=minutes, microseconds=micros)
        ),
        st.sampled_from(CHANGE_DAYS[zone]),
        st.integers(-72 * 60, 36 * 60),
        st.sampled_from([0, 0, 0, 1, 999_999]),
    )
    return st.one_of(anywhere, near, near)


@st.composite
def day_spans(draw: st.DrawFn) -> list[str]:
    """Sorted, non-overlapping spans on half-hour marks (possibly none, possibly 00:00-24:00),
    often covering the small hours when clocks change."""
    if draw(st.integers(0, 2)) == 0:
        return [draw(st.sampled_from(["00:00-24:00", "00:00-03:30", "01:30-02:30", "02:00-09:00"]))]
    marks = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    text = [f"{m // 2:02d}:{30 * (m % 2):02d}" for m in marks]
    return [f"{a}-{b}" for a, b in zip(text[::2], text[1::2], strict=True)]


@st.composite
def calendars(draw: st.DrawFn, zone: str | None = None) -> WorkingCalendar:
    if draw(st.booleans()):  # one pattern for every day, so clock-change days have hours
        weekly = {"daily": draw(day_spans())}
    else:
        weekly = {day.value: draw(day_spans()) for day in Weekday}
    assume(any(weekly.values()))
    offsets = draw(st.sets(st.integers(0, 4 * 366), max_size=12))
    special = sorted(FIRST_DAY + timedelta(days=n) for n in offsets)
    split = draw(st.integers(0, len(special)))
    makeup = {d: draw(st.one_of(st.none(), day_spans().filter(bool))) for d in special[split:]}
    hours = draw(st.one_of(st.none(), day_spans().filter(bool)))
    return WorkingCalendar(
        weekly,
        timezone=zone if zone is not None else draw(st.sampled_from(ZONES)),
        holidays=special[:split],
        makeup=makeup,
        makeup_hours=hours,
    )


def reference_intervals(calendar: WorkingCalendar, day: date) -> list[tuple[datetime, datetime]]:
    tz = ZoneInfo(calendar.timezone)
    midnight = datetime(day.year, day.month, day.day)
    found = []
    for span in calendar.hours_on(day):
        first = to_utc(midnight + timedelta(seconds=span.start_seconds), tz)
        last = to_utc(midnight + timedelta(seconds=span.end_seconds), tz)
        if last > first:
            found.append((first, last))
    return found


def reference_add(start: datetime, hours: float, calendar: WorkingCalendar) -> datetime:
    remaining = timedelta(hours=hours) // US
    if remaining == 0:
        return start
    day = start.astimezone(ZoneInfo(calendar.timezone)).date()
    while True:
        for a, b in reference_intervals(calendar, day):
            if b <= start:
                continue
            begin = max(a, start)
            if remaining <= (b - begin) // US:
                return begin + remaining * US
            remaining -= (b - begin) // US
        day += timedelta(days=1)


def reference_between(start: datetime, end: datetime, calendar: WorkingCalendar) -> int:
    tz = ZoneInfo(calendar.timezone)
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    total = 0
    while day <= last:
        for a, b in reference_intervals(calendar, day):
            begin, finish = max(a, start), min(b, end)
            if finish > begin:
                total += (finish - begin) // US
        day += timedelta(days=1)
    return total


hours_ = st.one_of(st.integers(0, 400), st.floats(0, 400, allow_nan=False))


@st.composite
def calendar_and_instant(draw: st.DrawFn) -> tuple[WorkingCalendar, datetime]:
    zone = draw(st.sampled_from(ZONES))
    return draw(calendars(zone)), draw(instants(zone))


@given(calendar_and_instant(), hours_)
def test_add_agrees_with_the_day_by_day_reference(
    case: tuple[WorkingCalendar, datetime], hours: float
) -> None:
    calendar, start = case
    assert add_business_hours(start, hours, calendar) == reference_add(start, hours, calendar)


@given(calendar_and_instant(), st.integers(0, 400 * 3600))
def test_between_agrees_with_the_day_by_day_reference(
    case: tuple[WorkingCalendar, datetime], seconds: int
) -> None:
    calendar, start = case
    end = start + timedelta(seconds=seconds)
    expected = reference_between(start, end, calendar) / 3_600_000_000
    assert business_hours_between(start, end, calendar) == expected
    assert business_hours_between(end, start, calendar) == -expected


@given(calendar_and_instant(), hours_, hours_)
def test_add_is_monotone_in_hours(
    case: tuple[WorkingCalendar, datetime], a: float, b: float
) -> None:
    calendar, start = case
    low, high = sorted((a, b))
    assert add_business_hours(start, low, calendar) <= add_business_hours(start, high, calendar)


@given(calendar_and_instant(), hours_)
def test_between_undoes_add(case: tuple[WorkingCalendar, datetime], hours: float) -> None:
    calendar, start = case
    due = add_business_hours(start, hours, calendar)
    assert due >= start
    assert abs(business_hours_between(start, due, calendar) - hours) <= 1e-9


@given(calendar_and_instant())
def test_next_working_time_is_working_and_nothing_is_skipped(
    case: tuple[WorkingCalendar, datetime],
) -> None:
    calendar, at = case
    found = calendar.next_working_time(at)
    assert found >= at
    assert calendar.is_working_time(found)
    assert business_hours_between(at, found, calendar) == 0.0
    assert calendar.is_working_time(at) == (found == at)


@given(st.sampled_from(ZONES).flatmap(lambda z: st.tuples(st.just(z), instants(z))), hours_)
def test_a_round_the_clock_calendar_is_plain_addition(
    case: tuple[str, datetime], hours: float
) -> None:
    zone, start = case
    always = WorkingCalendar.always(zone)
    plain = start + timedelta(hours=hours)
    assert add_business_hours(start, hours, always) == plain
    assert deadline(start, hours, ClockKind.BUSINESS, always) == plain
    assert deadline(start, hours) == plain
    assert elapsed(start, plain, ClockKind.BUSINESS, always) == elapsed(start, plain)


@given(calendars())
def test_calendars_round_trip_through_plain_data(calendar: WorkingCalendar) -> None:
    assert WorkingCalendar.from_dict(calendar.to_dict()) == calendar


def test_the_generated_spans_cover_the_edges() -> None:
    # The strategies above can produce a whole day and a span ending at 24:00.
    assert Span.parse("00:00-24:00").length == timedelta(days=1)
    assert Span.parse("22:00-24:00").end_seconds == 86_400


def transitions(zone: str) -> list[datetime]:
    """The UTC instants (to the second) at which ``zone`` changes its clocks in 2025–2028."""
    tz = ZoneInfo(zone)
    found = []
    for day in CHANGE_DAYS[zone]:
        low = datetime.combine(day, datetime.min.time(), tz).astimezone(UTC)
        high = low + timedelta(days=1)
        offset = low.astimezone(tz).utcoffset()
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(tz).utcoffset() == offset:
                low = middle
            else:
                high = middle
        found.append(high.replace(microsecond=0))
    return found


TRANSITIONS = {zone: transitions(zone) for zone in ZONES if CHANGE_DAYS[zone]}


@given(
    st.sampled_from(sorted(TRANSITIONS)).flatmap(
        lambda z: st.tuples(st.just(z), st.sampled_from(TRANSITIONS[z]))
    ),
    st.integers(-90, 90),
)
def test_a_wall_time_maps_to_the_first_instant_the_clock_reaches_it(
    case: tuple[str, datetime], minutes: int
) -> None:
    zone, change = case
    tz = ZoneInfo(zone)
    # Wall times around the change: skipped ones, ones shown twice, and ordinary ones.
    local = (change - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
    local += timedelta(seconds=1, minutes=minutes)
    found = to_utc(local, tz)
    assert found.tzinfo is UTC
    # The clock shows `local` (or, if it skips it, a later time) at `found`, but not a second
    # earlier: the first moment it reaches it.
    assert found.astimezone(tz).replace(tzinfo=None) >= local
    assert (found - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) < local
