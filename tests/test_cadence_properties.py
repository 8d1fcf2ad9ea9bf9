"""Invariants of cadences over generated rules, zones and follow-up instants, and junk inputs
to every public name of ``leadcore.cadence``: only ``LeadcoreError`` may escape."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadcore import FollowUpMethod, LeadcoreError
from leadcore.cadence import (
    Cadence,
    CadencePlan,
    ClockKind,
    Every,
    Schedule,
    SlaClock,
    Span,
    Weekday,
    Window,
    WorkingCalendar,
    add_business_hours,
    business_hours_between,
    deadline,
    elapsed,
)
from leadcore.cadence.examples import HOUSE_PLAN, SHANGHAI_OFFICE
from leadcore.config import structure

ZONES = ("UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe")
OFFICE = WorkingCalendar.from_dict(SHANGHAI_OFFICE)
PLAN = CadencePlan.from_dict(HOUSE_PLAN)
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

follow_ups = st.one_of(
    st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC)),
    # Around the 2026 clock changes of Berlin and New York, to the microsecond.
    st.builds(
        lambda base, seconds, micros: base + timedelta(seconds=seconds, microseconds=micros),
        st.sampled_from(
            [
                datetime(2026, 3, 29, 1, tzinfo=UTC),
                datetime(2026, 10, 25, 1, tzinfo=UTC),
                datetime(2026, 3, 8, 7, tzinfo=UTC),
                datetime(2026, 11, 1, 6, tzinfo=UTC),
            ]
        ),
        st.integers(-7200, 7200),
        st.integers(0, 999_999),
    ),
)


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 4))}")
    simple = "INTERVAL" not in parts[-1] or freq in ("YEARLY", "WEEKLY")
    if simple and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY" and simple and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 28, 31, -1]))}")
    if freq != "HOURLY" and draw(st.booleans()):
        parts.append(f"BYHOUR={draw(st.integers(0, 23))}")
    if draw(st.booleans()):
        parts.append(f"BYMINUTE={draw(st.sampled_from([0, 15, 30]))}")
    return ";".join(parts)


cadences = st.one_of(
    rules().map(Cadence),
    st.builds(
        lambda months, weeks, days, hours: Cadence.gap(
            months=months, weeks=weeks, days=days, hours=hours or int(not (months or weeks or days))
        ),
        st.integers(0, 4),
        st.integers(0, 3),
        st.integers(0, 10),
        st.integers(0, 30),
    ),
)


@given(cadences, follow_ups, st.sampled_from(ZONES), st.booleans())
def test_a_cadence_is_never_due_at_or_before_the_follow_up(
    cadence: Cadence, followed: datetime, zone: str, snap: bool
) -> None:
    due = cadence.next_due(followed, timezone=zone, snap_to=OFFICE if snap else None)
    assert due > followed
    assert due.tzinfo is UTC
    if snap:
        assert OFFICE.is_working_time(due)


@given(
    follow_ups,
    st.sampled_from([*FollowUpMethod, None]),
    st.sampled_from(["A", "B", None]),
    st.sampled_from([*HOUSE_PLAN["stages"], None]),
)
def test_a_plan_is_never_due_at_or_before_the_follow_up(
    followed: datetime, method: FollowUpMethod | None, grade: str | None, stage: str | None
) -> None:
    due = PLAN.due(followed, method=method, grade=grade, stage=stage)
    assert due is not None  # the house plan has a default
    assert due.at > followed and due.rule_at is not None and due.at >= due.rule_at


@given(cadences)
def test_cadences_round_trip_through_plain_data(cadence: Cadence) -> None:
    assert Cadence.from_dict(cadence.to_dict()) == cadence
    assert structure(cadence.to_dict(), Cadence) == cadence


# --- junk ----------------------------------------------------------------------------------------

plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["mon-fri", "09:00-18:00", "24:00", "FREQ=DAILY", "2026-10-01..2026-10-07"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
junk = st.one_of(
    plain,
    st.datetimes(),  # naive
    st.datetimes(timezones=st.sampled_from([UTC])),
    st.just(datetime.max.replace(tzinfo=UTC)),
    st.just(datetime.min.replace(tzinfo=UTC)),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.binary(max_size=4),
    st.just(object()),
    st.just(math.nan),
    st.just(1e300),
    st.just(10**400),
    st.just(10**5000),  # past the digits Python will write out: a message must not crash on it
    st.sampled_from(list(Weekday) + list(FollowUpMethod) + list(ClockKind)),
    st.just(OFFICE),
)

NOW = datetime(2026, 3, 6, 9, tzinfo=UTC)
SCHEDULE = Schedule(["mon-fri 09:00-18:00"], timezone="Asia/Shanghai")
CALLS: dict[str, Callable[[Any, Any], object]] = {
    "add_business_hours": lambda a, b: add_business_hours(a, b, OFFICE),
    "add_business_hours.calendar": lambda a, b: add_business_hours(NOW, a, b),
    "business_hours_between": lambda a, b: business_hours_between(a, b, OFFICE),
    "deadline": lambda a, b: deadline(NOW, a, b, OFFICE),
    "deadline.start": deadline,
    "elapsed": lambda a, b: elapsed(a, b, ClockKind.BUSINESS, OFFICE),
    "elapsed.kind": lambda a, b: elapsed(NOW, NOW, a, b),
    "WorkingCalendar": lambda a, b: WorkingCalendar(a, timezone=b),
    "WorkingCalendar.holidays": lambda a, b: WorkingCalendar({}, holidays=a, makeup=b),
    "WorkingCalendar.makeup_hours": lambda a, b: WorkingCalendar({"mon": a}, makeup_hours=b),
    "WorkingCalendar.from_dict": lambda a, b: WorkingCalendar.from_dict(a),
    "WorkingCalendar.from_dict.fields": lambda a, b: WorkingCalendar.from_dict(
        {"weekly": a, "holidays": b, "makeup": a}
    ),
    "WorkingCalendar.from_json": lambda a, b: WorkingCalendar.from_json(a),
    "WorkingCalendar.from_toml": lambda a, b: WorkingCalendar.from_toml(a),
    "WorkingCalendar.always": lambda a, b: WorkingCalendar.always(a),
    "WorkingCalendar.hours_on": lambda a, b: OFFICE.hours_on(a),
    "WorkingCalendar.is_working_day": lambda a, b: OFFICE.is_working_day(a),
    "WorkingCalendar.is_working_time": lambda a, b: OFFICE.is_working_time(a),
    "WorkingCalendar.next_working_time": lambda a, b: OFFICE.next_working_time(a),
    "Span": Span,
    "Span.parse": lambda a, b: Span.parse(a),
    "Weekday.of": lambda a, b: Weekday.of(a),
    "Every": Every,
    "Every.after": lambda a, b: Every(days=1).after(a, b),
    "Cadence": lambda a, b: Cadence(a, label=b),
    "Cadence.every": lambda a, b: Cadence(every=a),
    "Cadence.gap": lambda a, b: Cadence.gap(days=a, hours=b),
    "Cadence.weekly": lambda a, b: Cadence.weekly(a, interval=b),
    "Cadence.weekly.at": lambda a, b: Cadence.weekly("mon", at=a, label=b),
    "Cadence.monthly": lambda a, b: Cadence.monthly(a, at=b),
    "Cadence.from_dict": lambda a, b: Cadence.from_dict(a),
    "Cadence.from_dict.fields": lambda a, b: Cadence.from_dict(
        {"freq": "weekly", "by_day": a, "at": b}
    ),
    "Cadence.next_due": lambda a, b: Cadence.gap(days=1).next_due(a, timezone=b),
    "Cadence.next_due.rule": lambda a, b: Cadence("FREQ=WEEKLY;BYDAY=MO").next_due(a, snap_to=b),
    "CadencePlan": lambda a, b: CadencePlan(by_method=a, stages=b),
    "CadencePlan.by_stage": lambda a, b: CadencePlan(by_stage=a, default=b),
    "CadencePlan.calendar": lambda a, b: CadencePlan(calendar=a, timezone=b),
    "CadencePlan.from_dict": lambda a, b: CadencePlan.from_dict(a),
    "CadencePlan.from_dict.fields": lambda a, b: CadencePlan.from_dict(
        {"by_grade": a, "calendar": b}
    ),
    "CadencePlan.due": lambda a, b: PLAN.due(a, method=b),
    "CadencePlan.due.grade": lambda a, b: PLAN.due(NOW, grade=a, stage=b),
    "CadencePlan.next_due": lambda a, b: PLAN.next_due(NOW, method=a, stage=b),
    "CadencePlan.choose": lambda a, b: PLAN.choose(method=a, grade=b),
    "CadencePlan.due_after": lambda a, b: PLAN.due_after(a, grade=b),
    "SlaClock": SlaClock,
    "SlaClock.business": lambda a, b: SlaClock.business(a),
    "SlaClock.from_dict": lambda a, b: SlaClock.from_dict(a),
    "SlaClock.deadline": lambda a, b: SlaClock.business(OFFICE).deadline(a, b),
    "SlaClock.elapsed": lambda a, b: SlaClock().elapsed(a, b),
    "SlaClock.remaining": lambda a, b: SlaClock.business(OFFICE).remaining(NOW, a, now=b),
    "Window": lambda a, b: Window(a, b, b),
    "Window.parse": lambda a, b: Window.parse(a),
    "Schedule": lambda a, b: Schedule(a, timezone=b),
    "Schedule.in_zone_of": Schedule.in_zone_of,
    "Schedule.from_dict": lambda a, b: Schedule.from_dict(a),
    "Schedule.is_open": lambda a, b: SCHEDULE.is_open(a),
    "Schedule.why_closed": lambda a, b: SCHEDULE.why_closed(a),
    "Schedule.next_open": lambda a, b: SCHEDULE.next_open(a),
}


@given(st.sampled_from(sorted(CALLS)), junk, junk)
def test_junk_only_ever_raises_leadcore_errors(name: str, first: object, second: object) -> None:
    with contextlib.suppress(LeadcoreError):
        CALLS[name](first, second)


def test_the_junk_test_would_notice_a_foreign_error() -> None:
    # A plain TypeError is not a LeadcoreError, so the junk test above would fail on one.
    try:
        CALLS["WorkingCalendar.hours_on"](date(2026, 1, 1), None)
        CALLS["Span"](time(9), time(10))
        CALLS["deadline"](Decimal("1.5"), ClockKind.WALL)
    except LeadcoreError:  # pragma: no cover - these are all valid calls
        raise AssertionError("valid calls raised") from None
    assert not issubclass(TypeError, LeadcoreError)
