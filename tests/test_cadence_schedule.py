"""Weekly schedules of opening windows, including windows past midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import ConfigError, ValidationError
from leadcore.cadence import Schedule, Weekday, Window, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


OFFICE_HOURS = Schedule(["mon-fri 09:00-18:00"], timezone="Asia/Shanghai")
NIGHTS = Schedule(["fri 22:00-02:00"], timezone="Asia/Shanghai")


def test_open_inside_a_window_and_closed_with_a_reason_outside() -> None:
    assert OFFICE_HOURS.is_open(sh(2026, 3, 6, 9))  # Friday
    assert OFFICE_HOURS.why_closed(sh(2026, 3, 6, 9)) is None
    assert not OFFICE_HOURS.is_open(sh(2026, 3, 6, 18))  # the end is closed
    assert (
        OFFICE_HOURS.why_closed(sh(2026, 3, 7, 10)) == "outside Mon–Fri 09:00–18:00 Asia/Shanghai"
    )


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    assert not NIGHTS.is_open(sh(2026, 3, 6, 21, 59))  # Friday
    assert NIGHTS.is_open(sh(2026, 3, 6, 22))
    assert NIGHTS.is_open(sh(2026, 3, 7, 1, 59))  # Saturday, still Friday's window
    assert not NIGHTS.is_open(sh(2026, 3, 7, 2))
    assert not NIGHTS.is_open(sh(2026, 3, 6, 1))  # Friday 01:00 would be Thursday's window
    assert NIGHTS.describe() == "Fri 22:00–02:00 Asia/Shanghai"


def test_next_open_is_now_when_open_else_the_next_window_start() -> None:
    assert OFFICE_HOURS.next_open(sh(2026, 3, 6, 10)) == sh(2026, 3, 6, 10)
    assert OFFICE_HOURS.next_open(sh(2026, 3, 6, 18)) == sh(2026, 3, 9, 9)
    assert NIGHTS.next_open(sh(2026, 3, 7, 3)) == sh(2026, 3, 13, 22)
    assert Schedule([]).next_open(sh(2026, 3, 7, 3)) is None
    assert Schedule([]).why_closed(sh(2026, 3, 7, 3)) == "no opening hours are set (UTC)"


def test_several_windows_are_described_by_day_group() -> None:
    schedule = Schedule.in_zone_of(
        WorkingCalendar({"mon": ["09:00-18:00"]}, timezone="Asia/Shanghai"),
        ["mon-fri 13:30-18:00", "mon-fri 09:00-12:00", {"days": "sat", "hours": "10:00-14:00"}],
    )
    assert schedule.describe() == (
        "Mon–Fri 09:00–12:00, 13:30–18:00; Sat 10:00–14:00 Asia/Shanghai"
    )
    assert schedule.is_open(sh(2026, 3, 7, 11))
    assert not schedule.is_open(sh(2026, 3, 6, 12, 30))


def test_windows_from_text_and_tables_and_back() -> None:
    window = Window.parse("周一至周五 09:00-18:00")
    assert window == Window(frozenset(Weekday) - {Weekday.SAT, Weekday.SUN}, time(9), time(18))
    assert window.text() == "mon-fri 09:00-18:00" and str(window) == "Mon–Fri 09:00–18:00"
    schedule = Schedule.from_toml(
        'timezone = "Asia/Shanghai"\n'
        'windows = ["mon-fri 09:00-18:00", { days = ["fri"], start = "22:00", end = "02:00" }]\n'
    )
    assert schedule.windows[1] == Window("fri", "22:00", "02:00")
    assert Schedule.from_dict(schedule.to_dict()) == schedule
    assert schedule.to_dict()["windows"] == ["mon-fri 09:00-18:00", "fri 22:00-02:00"]


def test_bad_windows_name_the_path() -> None:
    with pytest.raises(ConfigError) as caught:
        Schedule.from_dict({"windows": ["mon-fri 09:00-18:00", {"days": "fri", "end": "25:00"}]})
    assert {p.field for p in caught.value.problems} == {"$.windows[1].end", "$.windows[1].start"}
    with pytest.raises(ConfigError) as days:
        Schedule.from_dict({"windows": ["someday 09:00-18:00"]})
    assert days.value.path == "$.windows[0].days"
    with pytest.raises(ConfigError) as text:
        Schedule.from_dict({"windows": "mon-fri 09:00-18:00"})
    assert text.value.path == "$.windows"
    with pytest.raises(ValidationError) as naive:
        OFFICE_HOURS.is_open(datetime(2026, 3, 6, 9))
    assert naive.value.fields == ("at",)


@given(st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)))
def test_next_open_agrees_with_is_open(at: datetime) -> None:
    for schedule in (
        OFFICE_HOURS,
        NIGHTS,
        Schedule(["daily 23:30-00:30"], timezone="Europe/Berlin"),
    ):
        found = schedule.next_open(at)
        assert found is not None and found >= at
        assert schedule.is_open(found)
        assert (found == at) == schedule.is_open(at)
        assert (schedule.why_closed(at) is None) == schedule.is_open(at)
