"""Cadences, cadence plans and SLA clocks with fixed dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadcore import ConfigError, FollowUpMethod, SlaPolicy, ValidationError
from leadcore.cadence import (
    Cadence,
    CadencePlan,
    CadenceSource,
    ClockKind,
    Every,
    SlaClock,
    WorkingCalendar,
    deadline,
    elapsed,
)
from leadcore.cadence.examples import HOUSE_PLAN, SHANGHAI_OFFICE
from leadcore.testing import make_follow_up

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


MONDAY_10 = sh(2026, 3, 2, 10)  # Monday 2 March 2026, 10:00 in Shanghai
OFFICE = WorkingCalendar.from_dict(SHANGHAI_OFFICE)

# --- single cadences --------------------------------------------------------------------------


def test_phone_three_times_a_week_is_due_on_the_next_listed_weekday() -> None:
    phone = Cadence("FREQ=WEEKLY;BYDAY=MO,WE,FR")
    assert phone.next_due(MONDAY_10, timezone="Asia/Shanghai") == sh(2026, 3, 4, 10)
    assert phone.next_due(sh(2026, 3, 6, 10), timezone="Asia/Shanghai") == sh(2026, 3, 9, 10)


def test_the_due_date_is_strictly_after_the_follow_up() -> None:
    monday = Cadence("FREQ=WEEKLY;BYDAY=MO")
    assert monday.next_due(MONDAY_10, timezone="Asia/Shanghai") == sh(2026, 3, 9, 10)
    just_after = MONDAY_10 + timedelta(microseconds=1)
    assert monday.next_due(just_after, timezone="Asia/Shanghai") == sh(2026, 3, 9, 10)


def test_weekdays_are_read_in_the_given_time_zone() -> None:
    # Monday 07:00 in Shanghai is still Sunday 23:00 in UTC.
    early = sh(2026, 3, 2, 7)
    monday = Cadence("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9")
    assert monday.next_due(early, timezone="Asia/Shanghai") == sh(2026, 3, 2, 9)
    assert monday.next_due(early) == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_byhour_means_the_whole_hour() -> None:
    morning = Cadence("FREQ=DAILY;BYHOUR=10")
    assert morning.next_due(
        datetime(2026, 3, 2, 15, 20, 33, tzinfo=SHANGHAI), timezone="Asia/Shanghai"
    ) == sh(2026, 3, 3, 10)


def test_wechat_every_three_days_and_a_visit_each_quarter() -> None:
    wechat = Cadence.gap(days=3)
    assert wechat.next_due(MONDAY_10) == MONDAY_10 + timedelta(days=3)
    visit = Cadence.gap(months=3)
    # 30 November + 3 months is the last day of February, at the same wall time.
    assert visit.next_due(sh(2026, 11, 30, 16), timezone="Asia/Shanghai") == sh(2027, 2, 28, 16)


def test_email_on_the_first_and_fifteenth() -> None:
    email = Cadence.monthly(1, 15, at="09:30")
    assert email.rrule == "FREQ=MONTHLY;BYMONTHDAY=1,15;BYHOUR=9;BYMINUTE=30"
    assert email.next_due(sh(2026, 3, 15, 11), timezone="Asia/Shanghai") == sh(2026, 4, 1, 9, 30)


def test_gaps_keep_the_wall_time_across_a_clock_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    friday = datetime(2026, 3, 27, 10, tzinfo=berlin)
    due = Cadence.gap(days=3).next_due(friday, timezone="Europe/Berlin")
    assert due.astimezone(berlin) == datetime(2026, 3, 30, 10, tzinfo=berlin)
    assert due - friday == timedelta(days=3, hours=-1)  # the weekend lost an hour
    hourly = Cadence.gap(hours=24).next_due(friday, timezone="Europe/Berlin")
    assert hourly - friday == timedelta(hours=24)


def test_snapping_moves_a_due_date_into_working_time() -> None:
    wechat = Cadence.gap(days=3)
    thursday_evening = sh(2026, 3, 5, 19)  # + 3 days = Sunday 19:00
    assert wechat.next_due(thursday_evening, snap_to=OFFICE) == sh(2026, 3, 9, 9)


def test_rules_are_written_in_one_canonical_form() -> None:
    assert Cadence("rrule:byday=th,mo;freq=weekly;interval=1").rrule == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert Cadence("FREQ=WEEKLY;BYDAY=TH,MO") == Cadence("FREQ=WEEKLY;BYDAY=MO,TH")
    assert Cadence.weekly("mon", "周四").rrule == "FREQ=WEEKLY;BYDAY=MO,TH"
    assert Cadence.gap(weeks=2).describe() == "every 2 weeks"
    assert Cadence.gap(days=3, label="微信：每3天").describe() == "微信：每3天"


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=WEEKLY;COUNT=3", "COUNT"),
        ("FREQ=MINUTELY", "too frequent"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a weekday"),
        ("FREQ=WEEKLY;BYDAY=1MO", "only MONTHLY or YEARLY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no day"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=MO", "may never match"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=10", "never comes round"),
        ("FREQ=DAILY;INTERVAL=100000", "INTERVAL"),
        ("BYDAY=MO", "FREQ is required"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ=WEEKLY;BYFOO=1", "not a rule part"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(rule: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why) as caught:
        Cadence(rule)
    assert caught.value.fields == ("rrule",)


def test_a_cadence_is_a_rule_or_a_gap_never_both() -> None:
    with pytest.raises(ValidationError):
        Cadence("FREQ=DAILY", every=Every(days=1))
    with pytest.raises(ValidationError):
        Cadence()
    with pytest.raises(ValidationError) as zero:
        Cadence(every=Every())
    assert zero.value.fields == ("every",)


def test_cadences_from_plain_data_in_every_form() -> None:
    assert Cadence.from_dict("FREQ=DAILY;INTERVAL=3") == Cadence("FREQ=DAILY;INTERVAL=3")
    assert Cadence.from_dict({"every": {"days": 3}, "label": "x"}) == Cadence.gap(days=3, label="x")
    structured = Cadence.from_dict({"freq": "weekly", "by_day": ["mon", "周四"], "at": "10:00"})
    assert structured.rrule == "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=10;BYMINUTE=0"
    monthly = Cadence.from_dict({"freq": "monthly", "by_day": ["-1fr"]})
    assert monthly.rrule == "FREQ=MONTHLY;BYDAY=-1FR"
    for cadence in (structured, Cadence.gap(months=3, label="季度")):
        assert Cadence.from_dict(cadence.to_dict()) == cadence


def test_bad_cadence_config_names_the_path() -> None:
    with pytest.raises(ConfigError) as caught:
        CadencePlan.from_dict({"by_method": {"phone": "FREQ=WEEKLY;BYDAY=MO,XX"}})
    assert caught.value.path == "$.by_method.phone"
    with pytest.raises(ConfigError) as gap:
        CadencePlan.from_dict({"default": {"every": {"days": -1}}})
    assert gap.value.path == "$.default.every.days"
    with pytest.raises(ConfigError) as structured:
        Cadence.from_dict({"freq": "weekly", "by_day": ["mon", 3]})
    assert structured.value.path == "$.by_day[1]"
    with pytest.raises(ConfigError) as both:
        Cadence.from_dict({"rrule": "FREQ=DAILY", "every": {"days": 1}})
    assert both.value.path == "$"
    with pytest.raises(ConfigError) as method:
        CadencePlan.from_dict({"by_method": {"fax": "FREQ=DAILY"}})
    assert method.value.path == "$.by_method.fax"


# --- plans ---------------------------------------------------------------------------------------

PLAN = CadencePlan(
    by_stage={"方案沟通": "FREQ=WEEKLY;BYDAY=MO,TH"},
    by_grade={"A": Cadence.gap(days=1)},
    by_method={FollowUpMethod.WECHAT: Cadence.gap(days=3), "电话": "FREQ=WEEKLY;BYDAY=MO,WE,FR"},
    default=Cadence.gap(weeks=1),
    stages=("初步接触", "需求确认", "方案沟通", "意向跟进"),
    timezone="Asia/Shanghai",
)


def test_precedence_is_stage_then_grade_then_method_then_default() -> None:
    def source(**kwargs: str) -> tuple[CadenceSource, str | None]:
        due = PLAN.due(MONDAY_10, **kwargs)
        assert due is not None
        return due.source, due.key

    everything = {"stage": "方案沟通", "grade": "A", "method": "wechat"}
    assert source(**everything) == (CadenceSource.STAGE, "方案沟通")
    assert source(stage="需求确认", grade="A", method="wechat") == (CadenceSource.GRADE, "A")
    assert source(stage="需求确认", grade="C", method="wechat") == (CadenceSource.METHOD, "wechat")
    assert source(grade="C", method="email") == (CadenceSource.DEFAULT, None)
    assert PLAN.next_due(MONDAY_10, stage="方案沟通") == sh(2026, 3, 5, 10)
    assert PLAN.next_due(MONDAY_10, method=FollowUpMethod.PHONE) == sh(2026, 3, 4, 10)
    assert CadencePlan().next_due(MONDAY_10, method="phone") is None


def test_the_due_date_explains_itself() -> None:
    due = PLAN.due(MONDAY_10, method="微信")
    assert due is not None and due.reason == "method wechat: every 3 days"
    plan = CadencePlan.from_dict(HOUSE_PLAN)
    friday = sh(2026, 3, 6, 16)  # WeChat + 3 days = Monday 16:00: inside working hours
    assert plan.due(friday, method="wechat") == plan.due(friday, method=FollowUpMethod.WECHAT)
    saturday_due = plan.due(sh(2026, 3, 4, 19), method="wechat")  # Saturday 19:00 → Monday 9:00
    assert saturday_due is not None
    assert saturday_due.at == sh(2026, 3, 9, 9) and saturday_due.moved
    assert saturday_due.reason == "method wechat: 微信：每3天, moved to the next working time"


def test_stages_are_checked_against_the_plans_stages() -> None:
    with pytest.raises(ValidationError) as unknown:
        PLAN.due(MONDAY_10, stage="谈判")
    assert unknown.value.fields == ("stage",)
    with pytest.raises(ConfigError) as config:
        CadencePlan.from_dict({"stages": ["初步接触"], "by_stage": {"谈判": "FREQ=DAILY"}})
    assert config.value.path == "$.by_stage.谈判"


def test_a_committed_next_date_wins_over_the_cadence() -> None:
    committed = sh(2026, 3, 20, 15)
    follow_up = make_follow_up("F1", "L1", at=MONDAY_10, next_follow_up_at=committed)
    due = PLAN.due_after(follow_up)
    assert due is not None and due.source is CadenceSource.COMMITTED and due.at == committed
    plain = make_follow_up("F2", "L1", at=MONDAY_10, method=FollowUpMethod.WECHAT, stage="方案沟通")
    by_stage = PLAN.due_after(plain)
    assert by_stage is not None and by_stage.source is CadenceSource.STAGE
    by_method = PLAN.due_after(plain, stage="需求确认")
    assert by_method is not None and by_method.at == MONDAY_10 + timedelta(days=3)


def test_plans_round_trip_and_check_the_time_zone() -> None:
    plan = CadencePlan.from_dict(HOUSE_PLAN)
    assert plan.zone_key == "Asia/Shanghai"
    assert CadencePlan.from_dict(plan.to_dict()) == plan
    assert CadencePlan.from_dict(PLAN.to_dict()) == PLAN
    with pytest.raises(ConfigError) as zone:
        CadencePlan.from_dict({"timezone": "UTC", "calendar": SHANGHAI_OFFICE})
    assert zone.value.path == "$.timezone"


# --- SLA clocks ----------------------------------------------------------------------------------


def test_a_pool_chooses_wall_clock_or_business_hours() -> None:
    friday_17 = sh(2026, 3, 6, 17)
    wall = SlaClock()
    business = SlaClock.business(OFFICE)
    assert wall.deadline(friday_17, 24) == sh(2026, 3, 7, 17)
    assert business.deadline(friday_17, 24) == sh(2026, 3, 12, 9, 30)
    assert deadline(friday_17, 24, "工作时间", OFFICE) == business.deadline(friday_17, 24)
    monday_noon = sh(2026, 3, 9, 12)
    assert wall.elapsed(friday_17, monday_noon) == 67.0
    assert business.elapsed(friday_17, monday_noon) == 4.0
    assert business.remaining(friday_17, 24, now=monday_noon) == 20.0
    assert wall.remaining(friday_17, 24, now=monday_noon) == -43.0
    assert elapsed(monday_noon, friday_17, ClockKind.BUSINESS, OFFICE) == -4.0
    assert ClockKind.BUSINESS.label == "工作时间"


def test_a_business_clock_needs_a_calendar() -> None:
    with pytest.raises(ValidationError) as clock:
        SlaClock(ClockKind.BUSINESS)
    assert clock.value.fields == ("calendar",)
    with pytest.raises(ValidationError) as call:
        deadline(MONDAY_10, 1, ClockKind.BUSINESS)
    assert call.value.fields == ("calendar",)
    with pytest.raises(ValidationError) as kind:
        deadline(MONDAY_10, 1, "sideways")
    assert kind.value.fields == ("kind",)
    with pytest.raises(ConfigError) as config:
        SlaClock.from_dict({"kind": "business"})
    assert config.value.path == "$.calendar"


def test_sla_clocks_round_trip() -> None:
    for clock in (SlaClock(), SlaClock.business(OFFICE)):
        assert SlaClock.from_dict(clock.to_dict()) == clock
    assert SlaClock.business(OFFICE).describe().startswith("business hours (Mon–Fri")


def test_a_rule_whose_steps_miss_every_chosen_day_is_a_config_error() -> None:
    # Every 12 months from April never meets a 31st; from January it does.
    yearly_31st = Cadence("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31")
    assert yearly_31st.next_due(datetime(2026, 1, 10, tzinfo=UTC)) == datetime(
        2026, 1, 31, tzinfo=UTC
    )
    with pytest.raises(ConfigError) as caught:
        yearly_31st.next_due(datetime(2026, 4, 10, tzinfo=UTC))
    assert caught.value.path == "rrule"
    with pytest.raises(ValidationError) as late:
        Cadence.gap(days=1).next_due(datetime(9999, 12, 31, 12, tzinfo=UTC))
    assert late.value.fields == ("after",)


def test_a_due_date_before_year_1_is_named_as_the_calendars_limit() -> None:
    for cadence in (Cadence.gap(days=1), Cadence("FREQ=DAILY")):
        with pytest.raises(ValidationError, match="limits of the calendar") as caught:
            cadence.next_due(datetime(1, 1, 1, 1, tzinfo=UTC), timezone="America/New_York")
        assert caught.value.fields == ("after",)
    assert Cadence.gap(days=1).next_due(datetime(1, 1, 1, 1, tzinfo=UTC)) == datetime(
        1, 1, 2, 1, tzinfo=UTC
    )


@pytest.mark.parametrize("table", ["by_grade", "by_stage", "by_method"])
def test_a_plan_key_given_twice_apart_from_spaces_is_refused(table: str) -> None:
    key = "phone" if table == "by_method" else "A"
    with pytest.raises(ValidationError, match="given twice") as caught:
        CadencePlan(**{table: {key: "FREQ=DAILY", f"{key} ": "FREQ=WEEKLY"}})  # type: ignore[arg-type]
    assert caught.value.fields == (f"{table}.{key} ",)


# --- messages and paths name what is wrong ----------------------------------------------------


def test_an_ordinal_weekday_range_is_named_at_its_by_day_item() -> None:
    with pytest.raises(ConfigError, match="numbers more than one weekday") as caught:
        Cadence.from_dict({"freq": "monthly", "by_day": ["1mon-fri"]})
    assert caught.value.path == "$.by_day[0]"
    with pytest.raises(ConfigError, match="only monthly or yearly") as weekly:
        Cadence.from_dict({"freq": "weekly", "by_day": ["mon", "2tue"]})
    assert weekly.value.path == "$.by_day[1]"
    with pytest.raises(ConfigError, match=r"1\.\.5") as sixth:
        Cadence.from_dict({"freq": "monthly", "by_day": ["6mo"]})
    assert sixth.value.path == "$.by_day[0]"
    numbered = Cadence.from_dict({"freq": "monthly", "by_day": ["-1fri", "+2 tue", "1MO"]})
    assert numbered.rrule == "FREQ=MONTHLY;BYDAY=1MO,2TU,-1FR"


def test_a_rule_part_problem_from_structured_fields_names_that_field() -> None:
    with pytest.raises(ConfigError, match="INTERVAL") as interval:
        Cadence.from_dict({"freq": "weekly", "interval": 1000})
    assert interval.value.path == "$.interval"
    with pytest.raises(ConfigError, match="BYMONTHDAY") as month_day:
        Cadence.from_dict({"freq": "monthly", "by_month_day": [32]})
    assert month_day.value.path == "$.by_month_day"
    with pytest.raises(ConfigError) as nested:
        CadencePlan.from_dict({"default": {"freq": "yearly", "interval": 11}})
    assert nested.value.path == "$.default.interval"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Cadence.monthly([1, 15]), "month_days[0]"),  # type: ignore[arg-type]
        (lambda: Cadence.monthly("1"), "month_days[0]"),  # type: ignore[arg-type]
        (lambda: Cadence.monthly(1, 1.5), "month_days[1]"),  # type: ignore[arg-type]
        (lambda: Cadence.monthly(True), "month_days[0]"),
        (lambda: Cadence.monthly(0), "month_days[0]"),
        (lambda: Cadence.monthly(32), "month_days[0]"),
        (lambda: Cadence.monthly(1, interval=121), "interval"),
        (lambda: Cadence.monthly(1, interval="2"), "interval"),  # type: ignore[arg-type]
        (lambda: Cadence.weekly("mon", interval=1.5), "interval"),  # type: ignore[arg-type]
        (lambda: Cadence.weekly("mon", interval="2"), "interval"),  # type: ignore[arg-type]
        (lambda: Cadence.weekly("mon", interval=True), "interval"),
        (lambda: Cadence.weekly("mon", interval=0), "interval"),
        (lambda: Cadence.weekly("mon", interval=523), "interval"),
    ],
)
def test_weekly_and_monthly_name_the_bad_argument(make: object, field: str) -> None:
    assert callable(make)
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.fields == (field,)


def test_weekly_and_monthly_still_build_their_rules() -> None:
    assert Cadence.monthly(1, -1, interval=2).rrule == "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1,1"
    assert Cadence.weekly("mon", interval=522).rrule == "FREQ=WEEKLY;INTERVAL=522;BYDAY=MO"
    assert Cadence.weekly("thu", interval=1).rrule == "FREQ=WEEKLY;BYDAY=TH"


def test_a_mapping_with_a_key_that_is_not_text_says_so() -> None:
    with pytest.raises(ValidationError, match=r"has the key 1 \(int\)") as plan:
        CadencePlan(by_grade={1: "FREQ=DAILY"})  # type: ignore[dict-item]
    assert plan.value.fields == ("by_grade",)
    with pytest.raises(ConfigError, match=r"has the key 1 \(int\)") as loaded:
        Cadence.from_dict({1: "FREQ=DAILY"})
    assert loaded.value.path == "$"


def test_a_rule_that_fires_only_from_some_follow_ups_is_taken() -> None:
    # Every other year on 29 February fires from even years, never from odd ones.
    leap = Cadence("FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYMONTHDAY=29")
    assert leap.next_due(datetime(2024, 3, 1, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)
    assert leap.next_due(datetime(2024, 1, 1, tzinfo=UTC)) == datetime(2024, 2, 29, tzinfo=UTC)
    with pytest.raises(ConfigError, match="never comes round after"):
        leap.next_due(datetime(2025, 3, 1, tzinfo=UTC))
    june = Cadence("FREQ=WEEKLY;INTERVAL=52;BYMONTH=6")
    assert june.next_due(datetime(2026, 6, 1, 9, tzinfo=UTC)) > datetime(2026, 6, 1, 9, tzinfo=UTC)
    with pytest.raises(ValidationError, match="never comes round"):
        Cadence("FREQ=YEARLY;INTERVAL=2;BYMONTH=2;BYDAY=MO;BYSETPOS=6")  # at most 5 Mondays


def test_an_sla_condition_with_days_null_names_days() -> None:
    text = '{"rules": [{"name": "r", "action": "recycle", "when": {"since": "created", "days": null}}]}'
    with pytest.raises(ConfigError, match="number of days") as caught:
        SlaPolicy.from_json(text)
    assert caught.value.path == "$.rules[0].when.days"
    hours = text.replace('"days"', '"hours"')
    with pytest.raises(ConfigError, match="number of hours") as by_hours:
        SlaPolicy.from_json(hours)
    assert by_hours.value.path == "$.rules[0].when.hours"
