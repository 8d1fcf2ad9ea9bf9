"""Working calendars and business-hour arithmetic with fixed dates: weekends, holidays,
make-up days (调休), clock changes, long spans, absurd inputs and config errors."""

from __future__ import annotations

import time as timer
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadcore import ConfigError, ValidationError
from leadcore.cadence import (
    MAX_HOURS,
    Span,
    Weekday,
    WorkingCalendar,
    add_business_hours,
    business_hours_between,
)
from leadcore.cadence.examples import SHANGHAI_OFFICE
from leadcore.cadence.zones import to_utc
from leadcore.config import parse_toml, structure, unstructure

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


NINE_TO_SIX = WorkingCalendar({"mon-fri": ["09:00-18:00"]}, timezone="Asia/Shanghai")
OFFICE = WorkingCalendar.from_dict(SHANGHAI_OFFICE)


# --- the weekly hours ---------------------------------------------------------------------------


def test_24_business_hours_from_friday_1700_on_nine_to_six_lands_wednesday_1400() -> None:
    # Fri 17–18 (1) + Mon (9) + Tue (9) = 19, then 5 more on Wednesday: 09:00 + 5 h.
    due = add_business_hours(sh(2026, 3, 6, 17), 24, NINE_TO_SIX)
    assert due == sh(2026, 3, 11, 14)
    assert due.tzinfo is UTC


def test_24_business_hours_from_friday_1700_with_a_lunch_break_lands_thursday_0930() -> None:
    calendar = WorkingCalendar(
        {"mon-fri": ["09:00-12:00", "13:30-18:00"]}, timezone="Asia/Shanghai"
    )
    # Fri 1 h + Mon, Tue, Wed 7.5 h each = 23.5 h; the last half hour on Thursday morning.
    assert add_business_hours(sh(2026, 3, 6, 17), 24, calendar) == sh(2026, 3, 12, 9, 30)


def test_the_clock_skips_a_weekend_and_a_public_holiday() -> None:
    calendar = WorkingCalendar(
        {"mon-fri": ["09:00-18:00"]}, timezone="Asia/Shanghai", holidays=["2026-03-09"]
    )
    # Friday 17:00 + 2 h: 1 h on Friday, Saturday and Sunday skipped, Monday the 9th off.
    assert add_business_hours(sh(2026, 3, 6, 17), 2, calendar) == sh(2026, 3, 10, 10)
    assert business_hours_between(sh(2026, 3, 6, 17), sh(2026, 3, 10, 10), calendar) == 2.0


def test_a_make_up_saturday_counts_with_the_normal_weekday_hours() -> None:
    calendar = WorkingCalendar(
        {"mon-fri": ["09:00-12:00", "13:30-18:00"]},
        timezone="Asia/Shanghai",
        makeup=["2026-03-07"],
    )
    assert calendar.hours_on(date(2026, 3, 7)) == (Span("09:00", "12:00"), Span("13:30", "18:00"))
    # Friday 17:00 + 2 h: 1 h on Friday, then the make-up Saturday from 09:00.
    assert add_business_hours(sh(2026, 3, 6, 17), 2, calendar) == sh(2026, 3, 7, 10)
    assert business_hours_between(sh(2026, 3, 6), sh(2026, 3, 9), calendar) == 15.0


def test_a_make_up_day_with_its_own_hours_and_a_calendar_wide_default() -> None:
    calendar = WorkingCalendar(
        {"mon-fri": ["09:00-18:00"]},
        timezone="Asia/Shanghai",
        makeup={date(2026, 3, 7): ["10:00-12:00"], date(2026, 3, 8): None},
        makeup_hours=["09:00-11:00"],
    )
    assert business_hours_between(sh(2026, 3, 7), sh(2026, 3, 9), calendar) == 4.0
    assert calendar.is_working_day(date(2026, 3, 8))
    assert not calendar.is_working_day(date(2026, 3, 14))


def test_the_office_example_skips_the_national_day_week() -> None:
    # Fri 25 Sep 17:00: 1 h + Mon–Wed 22.5 h, 1–7 October off, the last 0.5 h on 8 October.
    due = add_business_hours(sh(2026, 9, 25, 17), 24, OFFICE)
    assert due == sh(2026, 10, 8, 9, 30)
    assert OFFICE.is_working_day(date(2026, 10, 10))  # the make-up Saturday
    assert business_hours_between(sh(2026, 10, 1), sh(2026, 10, 8), OFFICE) == 0.0


def test_counting_starts_at_the_next_working_moment_and_ends_at_a_spans_end() -> None:
    saturday = sh(2026, 3, 7, 15)
    assert add_business_hours(saturday, 1, NINE_TO_SIX) == sh(2026, 3, 9, 10)
    # Using up Friday's last hour ends at 18:00, not at Monday's opening.
    assert add_business_hours(sh(2026, 3, 6, 17), 1, NINE_TO_SIX) == sh(2026, 3, 6, 18)
    assert add_business_hours(saturday, 0, NINE_TO_SIX) == saturday
    assert add_business_hours(saturday, timedelta(minutes=30), NINE_TO_SIX) == sh(2026, 3, 9, 9, 30)


def test_between_is_antisymmetric_and_clips_to_working_time() -> None:
    start, end = sh(2026, 3, 6, 8), sh(2026, 3, 9, 9, 15)
    assert business_hours_between(start, end, NINE_TO_SIX) == 9.25
    assert business_hours_between(end, start, NINE_TO_SIX) == -9.25
    assert business_hours_between(start, start, NINE_TO_SIX) == 0.0


def test_is_working_time_and_next_working_time() -> None:
    assert OFFICE.is_working_time(sh(2026, 3, 9, 9))
    assert not OFFICE.is_working_time(sh(2026, 3, 9, 12))  # a span's end is not working time
    assert not OFFICE.is_working_time(sh(2026, 3, 9, 12, 30))
    assert OFFICE.next_working_time(sh(2026, 3, 9, 12, 30)) == sh(2026, 3, 9, 13, 30)
    assert OFFICE.next_working_time(sh(2026, 3, 9, 10)) == sh(2026, 3, 9, 10)
    assert OFFICE.next_working_time(sh(2026, 9, 30, 18)) == sh(2026, 10, 8, 9)


def test_results_are_in_utc_whatever_the_input_zone() -> None:
    due = add_business_hours(datetime(2026, 3, 6, 9, tzinfo=UTC), 1, NINE_TO_SIX)  # 17:00 Shanghai
    assert due == datetime(2026, 3, 6, 10, tzinfo=UTC) and due.tzinfo is UTC


# --- clock changes --------------------------------------------------------------------------------

BERLIN_OFFICE = WorkingCalendar({"mon-fri": ["09:00-17:00"]}, timezone="Europe/Berlin")


def test_business_hours_across_the_spring_change_keep_wall_clock_hours() -> None:
    # Friday 27 March 2026 16:00 CET + 2 h → Monday 10:00 CEST (08:00 UTC, not 09:00).
    due = add_business_hours(berlin(2026, 3, 27, 16), 2, BERLIN_OFFICE)
    assert due == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 10
    assert business_hours_between(berlin(2026, 3, 27, 16), due, BERLIN_OFFICE) == 2.0


def test_a_working_week_across_the_autumn_change_is_still_40_hours() -> None:
    week = business_hours_between(berlin(2026, 10, 19), berlin(2026, 10, 26), BERLIN_OFFICE)
    assert week == 40.0


def test_round_the_clock_days_are_23_and_25_hours_long_on_change_days() -> None:
    always = WorkingCalendar.always("Europe/Berlin")
    assert business_hours_between(berlin(2026, 3, 29), berlin(2026, 3, 30), always) == 23.0
    assert business_hours_between(berlin(2026, 10, 25), berlin(2026, 10, 26), always) == 25.0
    start = berlin(2026, 3, 28, 12)
    # 48 elapsed hours: 13:00 on Monday by the wall clock, not the 12:00 that wall-clock
    # arithmetic on an aware Berlin datetime (start + timedelta(hours=48)) would give.
    due = add_business_hours(start, 48, always)
    assert due == start.astimezone(UTC) + timedelta(hours=48)
    assert due.astimezone(BERLIN).hour == 13


def test_hours_in_the_skipped_hour_start_when_the_clocks_jump() -> None:
    # On 29 March 2026 Berlin skips 02:00–03:00; 02:30 is the jump itself, 01:00 UTC.
    assert to_utc(datetime(2026, 3, 29, 2, 30), BERLIN) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    night = WorkingCalendar({"daily": ["02:30-04:00"]}, timezone="Europe/Berlin")
    assert business_hours_between(berlin(2026, 3, 29), berlin(2026, 3, 30), night) == 1.0
    assert night.next_working_time(berlin(2026, 3, 29, 1)) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_hours_shown_twice_run_from_their_first_showing() -> None:
    # On 25 October 2026 Berlin shows 02:00–03:00 twice; 02:30–05:00 lasts 3.5 hours.
    night = WorkingCalendar({"daily": ["02:30-05:00"]}, timezone="Europe/Berlin")
    assert business_hours_between(berlin(2026, 10, 25), berlin(2026, 10, 26), night) == 3.5
    assert to_utc(datetime(2026, 10, 25, 2, 30), BERLIN) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


# --- long spans and absurd inputs -----------------------------------------------------------------


def test_very_long_spans_are_exact_and_quick() -> None:
    utc_office = WorkingCalendar({"mon-fri": ["09:00-17:00"]})
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday
    weeks = 2500  # 100 000 hours, about 48 years
    began = timer.perf_counter()
    due = add_business_hours(start, 40 * weeks, utc_office)
    # The last hour ends at 17:00 on the Friday of the last week.
    assert due == start + timedelta(weeks=weeks - 1, days=4, hours=8)
    assert business_hours_between(start, due, utc_office) == 40 * weeks
    # Counted week by week this would take seconds; skipping regular weeks takes milliseconds.
    assert timer.perf_counter() - began < 5
    assert business_hours_between(start, start + timedelta(days=365 * 90), utc_office) > 0


@pytest.mark.parametrize(
    "hours", [1e12, float("nan"), float("inf"), -1, "24", True, None, [24], timedelta(days=-1)]
)
def test_absurd_hours_are_refused_naming_the_argument(hours: object) -> None:
    with pytest.raises(ValidationError) as caught:
        add_business_hours(sh(2026, 3, 6, 17), hours, NINE_TO_SIX)  # type: ignore[arg-type]
    assert caught.value.fields == ("hours",)


def test_bad_instants_and_calendars_are_refused_naming_the_argument() -> None:
    with pytest.raises(ValidationError) as naive:
        add_business_hours(datetime(2026, 3, 6, 17), 1, NINE_TO_SIX)
    assert naive.value.fields == ("start",)
    with pytest.raises(ValidationError) as wrong:
        business_hours_between(sh(2026, 3, 6), "tomorrow", NINE_TO_SIX)  # type: ignore[arg-type]
    assert wrong.value.fields == ("end",)
    with pytest.raises(ValidationError) as calendar:
        add_business_hours(sh(2026, 3, 6), 1, {"mon": ["09:00-18:00"]})  # type: ignore[arg-type]
    assert calendar.value.fields == ("calendar",)
    with pytest.raises(ValidationError) as far:
        business_hours_between(sh(2026, 3, 6), sh(2226, 3, 6), NINE_TO_SIX)
    assert far.value.fields == ("end",)
    end_of_time = datetime(9999, 12, 31, 12, tzinfo=UTC)
    with pytest.raises(ValidationError):
        add_business_hours(end_of_time, 100, NINE_TO_SIX)
    with pytest.raises(ValidationError):
        NINE_TO_SIX.next_working_time(end_of_time)


def test_a_calendar_without_working_time_gives_no_deadline() -> None:
    idle = WorkingCalendar({}, makeup={date(2026, 3, 7): ["09:00-10:00"]})
    assert add_business_hours(datetime(2026, 3, 1, tzinfo=UTC), 1, idle) == datetime(
        2026, 3, 7, 10, tzinfo=UTC
    )
    with pytest.raises(ValidationError) as caught:
        add_business_hours(datetime(2026, 3, 1, tzinfo=UTC), 2, idle)
    assert caught.value.fields == ("hours",)
    with pytest.raises(ValidationError) as never:
        idle.next_working_time(datetime(2026, 3, 8, tzinfo=UTC))
    assert never.value.fields == ("at",)


# --- building and config ----------------------------------------------------------------------------

TOML = """
timezone = "Asia/Shanghai"
holidays = [2026-10-01, "2026-10-02..2026-10-07"]
makeup = [2026-09-27, { date = 2026-10-10, hours = ["09:00-12:00"] }]

[weekly]
"mon-fri" = ["09:00-12:00", { start = "13:30", end = "18:00" }]
sat = "10:00-12:00"
"""


def test_a_calendar_from_toml_with_ranges_tables_and_toml_dates() -> None:
    calendar = WorkingCalendar.from_toml(TOML)
    assert calendar.weekly[Weekday.FRI] == (Span(time(9), time(12)), Span(time(13, 30), time(18)))
    assert calendar.weekly[Weekday.SAT] == (Span("10:00", "12:00"),)
    assert Weekday.SUN not in calendar.weekly
    assert len(calendar.holidays) == 7
    assert calendar.hours_on(date(2026, 10, 10)) == (Span("09:00", "12:00"),)
    assert calendar.hours_on(date(2026, 9, 27)) == calendar.weekly[Weekday.MON]
    assert calendar.describe() == (
        "Mon–Fri 09:00–12:00, 13:30–18:00; Sat 10:00–12:00 Asia/Shanghai "
        "(7 holidays, 2 make-up days)"
    )
    assert WorkingCalendar.from_dict(calendar.to_dict()) == calendar
    assert structure(unstructure(calendar), WorkingCalendar) == calendar
    assert WorkingCalendar.from_json(__import__("json").dumps(calendar.to_dict())) == calendar


def test_to_dict_groups_days_with_the_same_hours() -> None:
    assert OFFICE.to_dict()["weekly"] == {"mon-fri": ["09:00-12:00", "13:30-18:00"]}
    assert WorkingCalendar.always().to_dict() == {
        "timezone": "UTC",
        "weekly": {"mon-sun": ["00:00-24:00"]},
    }


def test_weekday_names_in_chinese_and_english_and_spans_in_several_spellings() -> None:
    calendar = WorkingCalendar(
        {"周一至周五": ["09:00–12:00", "13:30~18:00"], "Saturday": "10:00至12:00"}
    )
    assert set(calendar.weekly) == {*Weekday} - {Weekday.SUN}


def test_a_bad_span_end_is_named_by_its_path() -> None:
    data = {"timezone": "Asia/Shanghai", "weekly": {"mon": [{"start": "09:00", "end": "25:00"}]}}
    with pytest.raises(ConfigError) as caught:
        WorkingCalendar.from_dict(data)
    assert caught.value.path == "$.weekly.mon[0].end"
    assert "not a time of day" in caught.value.reason


def test_every_config_problem_is_reported_at_once() -> None:
    data = {
        "timezone": "Asia/Shangai",
        "weekly": {"mon-fri": ["09:00-12:00", "11:00-13:00"], "fri": ["22:00-02:00"], "xyz": []},
        "holidays": ["2026-02-30", "2026-10-07..2026-10-01"],
        "makeup": [{"day": "2026-10-10"}],
        "colour": "red",
    }
    with pytest.raises(ConfigError) as caught:
        WorkingCalendar.from_dict(data)
    assert set(caught.value.problems and [p.field for p in caught.value.problems]) == {
        "$.timezone",
        "$.weekly.mon-fri[1]",
        "$.weekly.fri[0]",
        "$.weekly.xyz",
        "$.holidays[0]",
        "$.holidays[1]",
        "$.makeup[0].day",
        "$.makeup[0].date",
        "$.colour",
    }


def test_cross_field_problems_name_the_field() -> None:
    with pytest.raises(ConfigError) as both:
        WorkingCalendar.from_dict(
            {"weekly": {"mon": "09:00-18:00"}, "holidays": ["2026-10-10"], "makeup": ["2026-10-10"]}
        )
    assert both.value.path == "$.holidays"
    with pytest.raises(ConfigError) as twice:
        WorkingCalendar.from_dict({"weekly": {"mon-fri": "09:00-18:00", "fri": "09:00-12:00"}})
    assert twice.value.path == "$.weekly.fri" and "already given" in twice.value.reason
    with pytest.raises(ConfigError) as missing:
        WorkingCalendar.from_dict({"timezone": "UTC"})
    assert missing.value.path == "$.weekly"
    with pytest.raises(ConfigError) as whole:
        WorkingCalendar.from_dict(["mon-fri"])
    assert whole.value.path == "$"
    with pytest.raises(ConfigError) as no_hours:
        WorkingCalendar.from_dict({"weekly": {}, "makeup": ["2026-10-10"]})
    assert no_hours.value.path == "$.makeup_hours"


def test_python_construction_raises_validation_errors_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkingCalendar({"mon": ["18:00-09:00"]})
    assert caught.value.fields == ("weekly.mon[0]",)
    with pytest.raises(ValidationError) as zone:
        WorkingCalendar({"mon": ["09:00-18:00"]}, timezone="Mars/Olympus")
    assert zone.value.fields == ("timezone",)
    with pytest.raises(ValidationError) as holidays:
        WorkingCalendar({}, holidays="2026-10-01")
    assert holidays.value.fields == ("holidays",)


def test_a_nested_calendar_is_named_under_its_parent(tmp_path: Path) -> None:
    from leadcore.cadence import SlaClock

    data = parse_toml('kind = "business"\n[calendar]\nweekly = { mon = ["09:00-18:60"] }\n')
    with pytest.raises(ConfigError) as caught:
        SlaClock.from_dict(data)
    assert caught.value.path == "$.calendar.weekly.mon[0]"
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError):
        SlaClock.from_toml(path)


# --- messages and limits say what is true -------------------------------------------------------


def test_a_weekly_key_that_is_not_text_is_named_as_the_problem() -> None:
    with pytest.raises(ValidationError, match=r"has the key 1 \(int\); its keys must be text") as e:
        WorkingCalendar({1: ["09:00-18:00"]})  # type: ignore[dict-item]
    assert e.value.fields == ("weekly",)
    assert "not dict" not in str(e.value)
    with pytest.raises(ValidationError, match="not list"):
        WorkingCalendar(["09:00-18:00"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"has the key 1 \(int\)") as loaded:
        WorkingCalendar.from_dict({1: {"mon": ["09:00-18:00"]}})
    assert loaded.value.path == "$"
    assert WorkingCalendar({Weekday.MON: ["09:00-18:00"]}).is_working_day(date(2026, 3, 2))


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 9, 25, 9, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2096, 2, 29, 23, 59, 59, tzinfo=UTC),  # 100 years on has no 29 February
        datetime(2051, 3, 1, 23, 30, tzinfo=UTC),  # the century has 24 leap days, not 25
        datetime(9000, 6, 30, 12, tzinfo=UTC),
    ],
)
def test_max_hours_round_the_clock_fit_from_any_start(start: datetime) -> None:
    assert add_business_hours(start, MAX_HOURS, WorkingCalendar.always()) == start + timedelta(
        hours=MAX_HOURS
    )
    with pytest.raises(ValidationError) as caught:
        add_business_hours(start, MAX_HOURS + 1, WorkingCalendar.always())
    assert caught.value.fields == ("hours",)


def test_max_hours_fit_across_a_skipped_day_and_big_offset_changes() -> None:
    for key, start in (
        ("Pacific/Apia", datetime(1950, 1, 1, 23, tzinfo=UTC)),  # skips 30 December 2011
        ("Asia/Shanghai", datetime(1900, 1, 1, 23, tzinfo=UTC)),
        ("America/St_Johns", datetime(1920, 5, 1, 22, tzinfo=UTC)),
    ):
        found = add_business_hours(start, MAX_HOURS, WorkingCalendar.always(key))
        assert found == start + timedelta(hours=MAX_HOURS)
    assert MAX_HOURS == 100 * 365 * 24
