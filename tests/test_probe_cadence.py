"""Probes of the cadence package with the mistakes users make: unchecked arguments of public
methods, lenient numbers in recurrence rules, make-up days without hours, instants at the edge
of the calendar, and huge values echoed in messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadcore import ConfigError, ValidationError
from leadcore.cadence import (
    Cadence,
    CadencePlan,
    Every,
    Schedule,
    SlaClock,
    Span,
    Window,
    WorkingCalendar,
    add_business_hours,
    deadline,
)

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_TO_FIVE = WorkingCalendar({"mon-fri": ["09:00-17:00"]}, timezone="America/New_York")
HUGE = "x" * 100_000


def refused(call: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


# --- Every.after checks its arguments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone_key", "field"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), "Mars/Base", "zone_key"),
        (datetime(2026, 1, 1, tzinfo=UTC), 8, "zone_key"),
        ("2026-01-01", "UTC", "instant"),
        (datetime(2026, 1, 1), "UTC", "instant"),  # naive: was read as the host's local time
    ],
)
def test_every_after_refuses_a_bad_instant_or_zone(instant: Any, zone_key: Any, field: str) -> None:
    for gap in (Every(days=1), Every(hours=1)):
        assert refused(lambda gap=gap: gap.after(instant, zone_key)).fields == (field,)


def test_every_after_answers_in_utc_for_an_aware_instant_in_any_zone() -> None:
    start = datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
    moved = Every(days=1, hours=1).after(start, "America/New_York")
    assert moved == datetime(2026, 3, 8, 13, tzinfo=NEW_YORK)
    assert moved.tzinfo is UTC
    assert Every(hours=1).after(start, "UTC").tzinfo is UTC


# --- numbers in recurrence rules are ASCII digits --------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=1_0",
        "FREQ=DAILY;INTERVAL=\uff11",  # a full-width 1
        "FREQ=MONTHLY;BYMONTHDAY=1_5",
        "FREQ=DAILY;BYHOUR=\u0669",  # an Arabic-Indic 9
        "FREQ=YEARLY;BYDAY=5_3MO",
        "FREQ=WEEKLY;INTERVAL=" + "9" * 100_000,
    ],
)
def test_a_rule_number_must_be_plain_digits(rule: str) -> None:
    problem = refused(lambda: Cadence(rule))
    assert problem.fields == ("rrule",)
    assert len(str(problem)) < 300


def test_signed_rule_numbers_stay_accepted() -> None:
    assert Cadence("FREQ=MONTHLY;BYMONTHDAY=+1,-1;BYDAY=+1MO,-1FR").rrule == (
        "FREQ=MONTHLY;BYMONTHDAY=-1,1;BYDAY=1MO,-1FR"
    )


# --- a make-up day is a working day -----------------------------------------------------------


def test_a_makeup_day_with_empty_hours_is_refused() -> None:
    problem = refused(
        lambda: WorkingCalendar({"mon-fri": ["09:00-18:00"]}, makeup={"2026-10-10": []})
    )
    assert problem.fields == ("makeup['2026-10-10']",)
    assert "holidays" in str(problem)
    with pytest.raises(ConfigError) as caught:
        WorkingCalendar.from_dict(
            {"weekly": {"mon": ["09:00-10:00"]}, "makeup": [{"date": "2026-10-10", "hours": []}]}
        )
    assert caught.value.path == "$.makeup[0].hours"


def test_empty_makeup_hours_are_refused_naming_them() -> None:
    problem = refused(
        lambda: WorkingCalendar(
            {"mon-fri": ["09:00-18:00"]}, makeup=["2026-10-10"], makeup_hours=[]
        )
    )
    assert problem.fields == ("makeup_hours",)
    assert "neither" not in str(problem)


# --- instants at the edge of the calendar -----------------------------------------------------


@pytest.mark.parametrize(
    "at",
    [
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    ],
)
def test_an_instant_past_the_calendar_in_utc_is_too_close_to_its_limits(at: datetime) -> None:
    problem = refused(lambda: NINE_TO_FIVE.is_working_time(at))
    assert problem.fields == ("at",)
    assert "limits of the calendar" in str(problem)
    assert "cannot be read" not in str(problem)


def test_adding_hours_at_the_very_start_of_the_calendar_does_not_blame_year_9999() -> None:
    problem = refused(
        lambda: add_business_hours(datetime.min.replace(tzinfo=UTC), 10, NINE_TO_FIVE)
    )
    assert problem.fields == ("start",)
    assert "9999" not in str(problem).replace("1–9999", "")


def test_near_year_9999_the_reason_is_the_end_of_the_calendar_not_100_years() -> None:
    late = datetime(9999, 12, 29, tzinfo=UTC)
    problem = refused(lambda: add_business_hours(late, 30, NINE_TO_FIVE))
    assert problem.fields == ("hours",)
    assert "100 years" not in str(problem) and "9999" in str(problem)
    problem = refused(lambda: NINE_TO_FIVE.next_working_time(datetime(9999, 12, 31, tzinfo=UTC)))
    assert problem.fields == ("at",)
    assert "100 years" not in str(problem) and "9999" in str(problem)


def test_a_schedule_answers_on_the_first_day_of_the_calendar() -> None:
    first = datetime.min.replace(tzinfo=UTC)  # Monday 1 January of year 1
    schedule = Schedule(["mon 00:00-01:00", "tue 09:00-10:00"])
    assert schedule.is_open(first)
    assert schedule.next_open(first) == first
    assert schedule.next_open(first + timedelta(hours=2)) == datetime(1, 1, 2, 9, tzinfo=UTC)


# --- a snapped due date names the calendar it was snapped to -----------------------------------


def test_snapping_to_a_calendar_without_working_time_names_snap_to() -> None:
    idle = WorkingCalendar({})
    after = datetime(2026, 1, 1, tzinfo=UTC)
    problem = refused(lambda: Cadence.gap(days=1).next_due(after, snap_to=idle))
    assert problem.fields == ("snap_to",)


# --- config tables name every setting they take ----------------------------------------------


def test_a_window_table_with_a_typo_lists_hours_as_a_setting() -> None:
    with pytest.raises(ConfigError) as caught:
        Schedule.from_dict({"windows": [{"days": "sat", "hour": "10:00-12:00"}]})
    (typo,) = [p for p in caught.value.problems if p.field == "$.windows[0].hour"]
    assert "known: days, hours, or start and end" in typo.reason


# --- a huge value is not echoed whole ---------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: WorkingCalendar({}, timezone=HUGE),
        lambda: WorkingCalendar({"mon": [HUGE]}),
        lambda: WorkingCalendar({"mon": ["09:00-" + HUGE]}),
        lambda: WorkingCalendar({"mon-" + HUGE: ["09:00-10:00"]}),
        lambda: WorkingCalendar({}, holidays=[HUGE]),
        lambda: WorkingCalendar({}, holidays=["2026-01-01.." + HUGE]),
        lambda: Cadence(HUGE),
        lambda: Cadence("FREQ=" + HUGE),
        lambda: Cadence("FREQ=DAILY;" + HUGE + "=1"),
        lambda: Cadence("FREQ=MONTHLY;BYMONTHDAY=" + "9" * 100_000),
        lambda: Cadence.from_dict({"freq": "weekly", "by_day": [HUGE]}),
        lambda: Span.parse(HUGE),
        lambda: Window.parse(HUGE),
        lambda: Window.parse(HUGE + " 09:00-10:00"),
        lambda: SlaClock(HUGE),
        lambda: CadencePlan().due(datetime(2026, 1, 1, tzinfo=UTC), method=HUGE),
        lambda: CadencePlan(stages=["a"]).due(datetime(2026, 1, 1, tzinfo=UTC), stage=HUGE),
        lambda: Every(days=10**1000),
    ],
)
def test_a_huge_value_is_shortened_in_the_message(call: Any) -> None:
    with pytest.raises((ValidationError, ConfigError)) as caught:
        call()
    error = caught.value
    assert isinstance(error, ValidationError | ConfigError)
    assert all(len(p.reason) < 400 for p in error.problems)


def test_a_short_value_is_still_quoted_whole() -> None:
    problem = refused(lambda: WorkingCalendar({}, timezone="Mars/Base"))
    assert "'Mars/Base'" in str(problem)


# --- a time zone is a name, not a file of the host's zone data -------------------------------


@pytest.mark.parametrize("key", ["localtime", "posixrules", "right/Asia/Shanghai"])
def test_a_host_dependent_zone_file_is_not_a_time_zone(key: str) -> None:
    problem = refused(lambda: WorkingCalendar({}, timezone=key))
    assert problem.fields == ("timezone",)
    assert "Asia/Shanghai" in str(problem)
    assert WorkingCalendar({}, timezone="PRC").timezone == "PRC"  # an IANA link still works


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("asia/shanghai", "Asia/Shanghai"),
        ("Asia/ShangHai", "Asia/Shanghai"),
        ("Asia/Shangai", "Asia/Shanghai"),
        ("utc", "UTC"),
        ("Europe/london", "Europe/London"),
        ("Beijing", "Asia/Shanghai"),
        ("北京时间", "Asia/Shanghai"),
    ],
)
def test_a_misspelt_zone_is_refused_with_the_zone_it_most_likely_meant(
    key: str, meant: str
) -> None:
    problem = refused(lambda: WorkingCalendar({}, timezone=key))
    assert problem.fields == ("timezone",)
    assert f"did you mean {meant!r}?" in str(problem)


def test_a_zone_nothing_resembles_is_refused_with_an_example() -> None:
    problem = refused(lambda: WorkingCalendar({}, timezone="Qqqq/Zzzz"))
    assert "did you mean" not in str(problem)
    assert "use a name like 'Asia/Shanghai' or 'UTC'" in str(problem)


# --- an int past Python's 4,300 digits is refused, not a crash --------------------------------

BIG: Any = 10**5000
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Every(days=BIG), "days"),
        (lambda: add_business_hours(START, BIG, NINE_TO_FIVE), "hours"),
        (lambda: add_business_hours(START, -BIG, NINE_TO_FIVE), "hours"),
        (lambda: add_business_hours(START, Fraction(BIG, 3), NINE_TO_FIVE), "hours"),  # type: ignore[arg-type]
        (lambda: deadline(START, BIG), "hours"),
        (lambda: SlaClock().remaining(START, BIG, now=START), "hours"),
        (lambda: Cadence("FREQ=DAILY", label=BIG), "label"),
        (lambda: CadencePlan(stages=[BIG]), "stages[0]"),
        (lambda: CadencePlan(by_method={BIG: "FREQ=DAILY"}), "by_method"),
        (lambda: WorkingCalendar({BIG: []}), "weekly"),
        (lambda: WorkingCalendar({}, holidays=[BIG]), "holidays[0]"),
        (lambda: WorkingCalendar({}, makeup={BIG: None}), "makeup[an int too long to show]"),
        (lambda: WorkingCalendar({}, timezone=BIG), "timezone"),
        (lambda: SlaClock(BIG), "kind"),
    ],
)
def test_a_huge_int_is_refused_naming_its_field(call: Any, field: str) -> None:
    problem = refused(call)
    assert problem.fields == (field,)
    assert "an int too long to show" in str(problem) or "a Fraction too long" in str(problem)


@pytest.mark.parametrize("key", ["by_hour", "interval", "by_month_day"])
def test_a_huge_int_in_a_structured_rule_names_its_setting(key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Cadence.from_dict({"freq": "daily", key: BIG})
    assert caught.value.path == f"$.{key}"


# --- a label is one line of clean text, as the follow-up's event keeps it --------------------


@pytest.mark.parametrize("label", ["a\ud800", "line\nbreak", "x" * 201, "bell\x07"])
def test_a_label_must_be_clean_short_text(label: str) -> None:
    assert refused(lambda: Cadence("FREQ=DAILY", label=label)).fields == ("label",)
    with pytest.raises(ConfigError) as caught:
        CadencePlan.from_dict({"default": {"every": {"days": 1}, "label": label}})
    assert caught.value.path == "$.default.label"
    assert Cadence("FREQ=DAILY", label=" 电话：每周2–3次 ").label == "电话：每周2–3次"


# --- a plan's calendar must keep having working time ----------------------------------------


@pytest.mark.parametrize(
    "calendar",
    [
        {"weekly": {}},
        {"weekly": {"mon": []}, "makeup": ["2026-10-10"], "makeup_hours": ["09:00-18:00"]},
    ],
)
def test_a_plan_whose_calendar_has_no_weekly_hours_is_refused(calendar: dict[str, Any]) -> None:
    # Before, the plan was taken and every due date after the last make-up day failed, so
    # recording a follow-up in a pool with this plan raised.
    with pytest.raises(ConfigError) as caught:
        CadencePlan.from_dict({"default": {"every": {"days": 1}}, "calendar": calendar})
    assert caught.value.path == "$.calendar"
    problem = refused(lambda: CadencePlan(calendar=WorkingCalendar.from_dict(calendar)))
    assert problem.fields == ("calendar",)
