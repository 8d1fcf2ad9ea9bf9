"""Edges of time-keeping: an absurd sweep time, claims near the end of the calendar, SLA clocks
without working hours, recycle-rule values, hand-outs at the instant of the last one, and the
smaller checks of follow-ups, clocks and rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadcore import (
    CompanySize,
    ConfigError,
    FixedClock,
    Lead,
    LeadDesk,
    LeadStatus,
    MemoryStore,
    OrgChart,
    Pool,
    SlaPolicy,
    User,
    ValidationError,
)
from leadcore.cadence import SlaClock, WorkingCalendar
from leadcore.desk.plans.common import FURTHEST_AHEAD
from leadcore.policy.claims import ClaimFacts, claim_refusal
from leadcore.sla import Elapsed, FieldIn, RecycleRule, Since, StepKind

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
END = datetime(9999, 12, 31, 23, tzinfo=UTC)


def _desk(clock: FixedClock | None = None, **pool: Any) -> tuple[LeadDesk, str]:
    org = OrgChart(
        users=[
            User("admin", roles={"system_admin"}),
            User("carol"),
            User("bob"),
            User("dave"),
            User("zoe", active=False),
        ]
    )
    desk = LeadDesk(MemoryStore(), clock or FixedClock(T0), org)
    settings: dict[str, Any] = {"admins": {"carol"}, "claim_enabled": True, **pool}
    desk.create_pool("admin", Pool(id="p", name="P", **settings))
    lead_id = desk.create("carol", "p", contact_name="A", phone="13800138000").id
    desk.assign("carol", lead_id, "bob")
    return desk, lead_id


def _fields(error: ValidationError) -> list[str]:
    return [p.field for p in error.problems]


# --- 1. an absurd sweep time; claims never overflow -------------------------------------------


def test_sweep_refuses_a_now_further_ahead_than_five_years_and_changes_nothing() -> None:
    desk, lead_id = _desk(recycle_hours=72, claim_cooldown_hours=48)
    with pytest.raises(ValidationError) as caught:
        desk.sweep(datetime(9999, 12, 31, tzinfo=UTC))
    assert _fields(caught.value) == ["now"]
    assert "five years" in str(caught.value)
    lead = desk.get("carol", lead_id)
    assert lead.owner_id == "bob" and lead.status is LeadStatus.ASSIGNED
    assert desk.sweep(T0 + FURTHEST_AHEAD).counts[StepKind.RECYCLE] == 1  # the bound itself


def test_claim_refusal_does_not_overflow_near_the_end_of_the_calendar() -> None:
    pool = Pool(
        id="p",
        name="P",
        claim_enabled=True,
        claim_cooldown_hours=48,
        claim_lock_hours=24,
    )
    lead = Lead(id="L1", pool_id="p", created_by="x", created_at=T0)
    given_back = ClaimFacts(open_count=0, claims_today=0, last_given_back_at=END)
    refusal = claim_refusal(User("bob"), lead, pool, given_back, now=T0)
    assert refusal is not None and "cool-down" in refusal
    arrived = ClaimFacts(open_count=0, claims_today=0, arrived_at=END)
    refusal = claim_refusal(User("bob"), lead, pool, arrived, now=T0)
    assert refusal is not None and "new-lead lock" in refusal


# --- 2. a business-hours clock needs working hours --------------------------------------------


def test_a_business_clock_with_no_working_hours_is_refused_when_read() -> None:
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_dict({"clock": {"kind": "business", "calendar": {"weekly": {}}}})
    assert caught.value.path == "$.clock.calendar"
    assert "working hours" in caught.value.reason


def test_a_business_clock_with_no_working_hours_is_refused_in_code() -> None:
    empty = WorkingCalendar({}, makeup=["2026-10-10"], makeup_hours=["09:00-18:00"])
    with pytest.raises(ValidationError) as caught:
        SlaClock.business(empty)
    assert _fields(caught.value) == ["calendar"]
    assert SlaClock.business(WorkingCalendar({"mon": ["09:00-10:00"]})).calendar is not None


# --- 3. recycle-rule values are checked ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "listed"),
    [("status", "asigned", "assigned"), ("company_size", "huge", "large")],
)
def test_a_field_value_that_can_never_match_is_refused(field: str, value: str, listed: str) -> None:
    limit = {"since": "created", "days": 1}
    rule = {"name": "r", "when": {"all": [limit, {"field": field, "in": [value]}]}}
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_dict({"rules": [rule]})
    assert caught.value.path == "$.rules[0].when.all[1].in"
    assert repr(value) in caught.value.reason and listed in caught.value.reason


def test_a_status_no_held_lead_has_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        FieldIn("status", ["converted"])
    assert _fields(caught.value) == ["in"]
    assert "assigned" in str(caught.value)


def test_enum_values_are_read_by_value_name_or_label() -> None:
    condition = FieldIn("company_size", ["大型", "Small"])
    assert condition.values == frozenset({"large", "small"})
    assert FieldIn("status", ["跟进中"]).values == frozenset({"following"})
    lead = Lead(
        id="L1",
        pool_id="p",
        created_by="x",
        created_at=T0,
        status=LeadStatus.ASSIGNED,
        owner_id="bob",
        assigned_at=T0,
        company_size=CompanySize.LARGE,
    )
    assert condition.matches(lead)


# --- 4. a hand-out always starts a fresh SLA period --------------------------------------------


def test_a_lead_claimed_at_the_instant_of_its_last_hand_out_keeps_its_sla() -> None:
    desk, lead_id = _desk(reminder_hours=24, recycle_hours=72)
    assert desk.sweep(datetime(2026, 3, 5, 10, tzinfo=UTC)).counts[StepKind.RECYCLE] == 1
    desk.claim("dave", lead_id)  # the clock still reads the old hand-out's instant
    left = desk.time_left("dave", lead_id)
    assert left.rule == "pool.recycle" and left.at == T0 + timedelta(hours=72)
    summary = desk.sweep(datetime(2026, 6, 1, tzinfo=UTC))
    assert summary.counts[StepKind.REMINDER] == 1 and summary.counts[StepKind.RECYCLE] == 1


def test_a_follow_up_at_the_instant_of_the_period_start_starts_a_fresh_period() -> None:
    desk, lead_id = _desk(reminder_hours=24)
    late = datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert desk.sweep(late).counts[StepKind.REMINDER] == 1
    desk.follow_up("bob", lead_id, method="phone", content="c", result="r")  # at T0, again
    assert desk.sweep(late).counts[StepKind.REMINDER] == 1


# --- 5. smaller checks ---------------------------------------------------------------------------


def test_mentioning_a_deactivated_user_is_refused() -> None:
    desk, lead_id = _desk()
    with pytest.raises(ValidationError) as caught:
        desk.follow_up(
            "bob", lead_id, method="phone", content="c", result="r", mentions=["dave", "zoe"]
        )
    assert _fields(caught.value) == ["mentions[1]"]
    assert "deactivated" in str(caught.value)
    assert desk.get("carol", lead_id).last_followed_at is None


def test_remaining_names_now_when_it_is_naive() -> None:
    with pytest.raises(ValidationError) as caught:
        SlaClock().remaining(T0, 24, now=datetime(2026, 3, 3))
    assert _fields(caught.value) == ["now"]
    business = SlaClock.business(WorkingCalendar.always())
    with pytest.raises(ValidationError) as caught:
        business.remaining(T0, 24, now=T0 + timedelta(days=365 * 101))
    assert _fields(caught.value) == ["now"]


@pytest.mark.parametrize(("key", "value"), [("days", 0), ("hours", 0), ("hours", 0.0)])
def test_a_zero_time_limit_is_refused(key: str, value: float) -> None:
    rule = {"name": "r", "when": {"since": "assigned", key: value}}
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_dict({"rules": [rule]})
    assert caught.value.path == f"$.rules[0].when.{key}"
    assert "more than 0" in caught.value.reason
    with pytest.raises(ValidationError):
        Elapsed(Since.ASSIGNED, 0)


@pytest.mark.parametrize("warn", [72, 100])
def test_a_warning_not_before_the_rules_limit_is_refused(warn: float) -> None:
    rule = {"name": "r", "when": {"since": "followed_up", "hours": 72}, "warn_hours": warn}
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_dict({"rules": [rule]})
    assert caught.value.path == "$.rules[0].warn_hours"
    assert "72" in caught.value.reason
    with pytest.raises(ValidationError) as raised:
        RecycleRule("r", Elapsed(Since.FOLLOWED_UP, 72), warn_hours=warn)
    assert _fields(raised.value) == ["warn_hours"]
    assert RecycleRule("r", Elapsed(Since.FOLLOWED_UP, 72), warn_hours=71).warn_hours == 71


def test_a_recycle_rule_nested_too_deeply_is_refused_in_words() -> None:
    from leadcore import ConfigError, SlaPolicy

    when: dict[str, object] = {"since": "created", "days": 1}
    for _ in range(3_000):
        when = {"all": [when]}
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_dict({"rules": [{"name": "r", "when": when}]})
    assert "too deeply" in str(caught.value)
