"""The pure time-keeping rules: conditions, policies from config, schedules on a business-hour
clock, time left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import (
    ConfigError,
    FixedClock,
    FollowUp,
    FollowUpMethod,
    Lead,
    LeadDesk,
    LeadStatus,
    MemoryStore,
    OrgChart,
    Pool,
    RoundRobin,
    User,
    ValidationError,
)
from leadcore.cadence import SlaClock, WorkingCalendar
from leadcore.sla import (
    AllOf,
    AnyOf,
    Audience,
    Elapsed,
    FieldIn,
    LadderStep,
    RecycleRule,
    Since,
    SlaPolicy,
    StepAction,
    StepKind,
    due_now,
    effective_policy,
    next_check,
    period_start,
    schedule,
    time_left,
)
from leadcore.testing.factories import make_lead

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = WorkingCalendar.from_dict(
    {
        "timezone": "Asia/Shanghai",
        "weekly": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
        "holidays": ["2026-10-01..2026-10-07"],
        "makeup": ["2026-10-10"],
    }
)
POOL = Pool(id="p", name="p", admins={"carol"}, reminder_hours=24, recycle_hours=72)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def held(at: datetime, **fields: Any) -> Lead:
    return make_lead(
        "L1", status=LeadStatus.ASSIGNED, owner_id="bob", assigned_at=at, created_at=at, **fields
    )


def test_the_pools_hours_are_the_simplest_rule() -> None:
    sla = effective_policy(POOL)
    lead = held(datetime(2026, 3, 2, 9, tzinfo=UTC))
    steps = schedule(lead, sla)
    assert [(s.kind, s.at.hour, s.audience) for s in steps] == [
        (StepKind.REMINDER, 9, frozenset({Audience.OWNER, Audience.POOL_ADMINS})),
        (StepKind.RECYCLE, 9, frozenset({Audience.OWNER})),
    ]
    assert [s.at.day for s in steps] == [3, 5]
    assert (
        effective_policy(attrs.evolve(POOL, reminder_hours=None, recycle_hours=None)).active
        is False
    )
    assert effective_policy(POOL, SlaPolicy(pool_hours=False)).active is False


def test_a_business_hour_clock_skips_a_weekend_and_a_holiday_and_counts_a_makeup_saturday() -> None:
    policy = SlaPolicy(
        clock=SlaClock.business(OFFICE), ladder=(LadderStep("remind", 16),), pool_hours=False
    )
    sla = effective_policy(POOL, policy)
    # Friday 25 September 2026 17:00: 1 h that day, 8 h Monday 28th, 7 h Tuesday 29th by 17:00.
    friday = held(local(2026, 9, 25, 17, 0))
    (step,) = schedule(friday, sla)
    assert step.at.astimezone(SHANGHAI) == local(2026, 9, 29, 17, 0)
    # Wednesday 30 September 15:00: 3 h that day; 1–7 October are holidays; 8 h on Thursday
    # 8 October and 5 h on Friday 9th.
    before_holiday = held(local(2026, 9, 30, 15, 0))
    (step,) = schedule(before_holiday, sla)
    assert step.at.astimezone(SHANGHAI) == local(2026, 10, 9, 15, 0)
    # Friday 9 October 15:00: 3 h that day, then the make-up Saturday 10th works.
    makeup = effective_policy(POOL, attrs.evolve(policy, ladder=(LadderStep("remind", 8),)))
    (step,) = schedule(held(local(2026, 10, 9, 15, 0)), makeup)
    assert step.at.astimezone(SHANGHAI) == local(2026, 10, 10, 15, 0)


def test_and_or_conditions_fire_when_their_parts_allow() -> None:
    lead = held(datetime(2026, 3, 2, tzinfo=UTC), grade="C", source="event")
    clock = SlaClock()
    both = AllOf((Elapsed(Since.CREATED, 10), FieldIn("grade", {"C", "D"})))
    either = AnyOf((Elapsed(Since.CREATED, 30), Elapsed(Since.ASSIGNED, 20)))
    never = AllOf((Elapsed(Since.CREATED, 1), FieldIn("grade", {"A"})))
    start = datetime(2026, 3, 2, tzinfo=UTC)
    assert both.holds_from(lead, clock) == start + timedelta(hours=10)
    assert both.holds_from(lead, clock, shorter=4) == start + timedelta(hours=6)
    assert either.holds_from(lead, clock) == start + timedelta(hours=20)
    assert never.holds_from(lead, clock) is None
    assert both.describe() == "10 h since it was created and grade in C, D"
    assert FieldIn("custom.tier", {"gold"}).matches(make_lead("L2", custom_fields={"tier": "gold"}))


def test_exemptions_delay_acting_but_not_warning() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    rule = RecycleRule("r", Elapsed(Since.FOLLOWED_UP, 10), warn_hours=2)
    sla = effective_policy(POOL, SlaPolicy(rules=(rule,), pool_hours=False))
    protected = held(start, protected_until=start + timedelta(hours=50))
    warn, act = schedule(protected, sla)
    assert (warn.kind, warn.at, warn.acts_at) == (
        StepKind.WARNING,
        start + timedelta(hours=8),
        start + timedelta(hours=50),
    )
    assert (act.kind, act.at) == (StepKind.RECYCLE, start + timedelta(hours=50))
    left = time_left(protected, sla, start + timedelta(hours=9))
    assert left.exempt is not None and left.hours == 41.0
    due = due_now(protected, sla, start + timedelta(hours=60))
    assert [d.kind for d in due] == [StepKind.WARNING, StepKind.RECYCLE]
    assert next_check(make_lead("L3"), sla) is None  # nobody holds it


def test_steps_already_emitted_in_the_period_are_not_due_again() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    sla = effective_policy(POOL)
    lead = held(start)
    marked = attrs.evolve(lead, sla_period=start, sla_steps=("step:pool.reminder",))
    assert [d.key for d in schedule(marked, sla)] == ["rule:pool.recycle"]
    followed = attrs.evolve(marked, last_followed_at=start + timedelta(hours=5))
    assert period_start(followed) == start + timedelta(hours=5)
    assert [d.key for d in schedule(followed, sla)] == ["step:pool.reminder", "rule:pool.recycle"]


def test_a_policy_loads_from_toml_and_round_trips() -> None:
    policy = SlaPolicy.from_toml(
        """
        [clock]
        kind = "business"
        calendar = { timezone = "Asia/Shanghai", weekly = { "mon-fri" = ["09:00-18:00"] } }

        [[ladder]]
        name = "提醒负责人"
        hours = 8

        [[ladder]]
        name = "reassign"
        hours = 24
        notify = ["manager", "pool_admins"]
        action = "reassign"

        [[rules]]
        name = "stale-low-grade"
        warn_hours = 24
        when = { all = [{ since = "followed_up", days = 5 }, { field = "grade", in = ["C", "D"] }] }
        """
    )
    assert policy.ladder[1].action is StepAction.REASSIGN
    assert policy.rules[0].when == AllOf(
        (Elapsed(Since.FOLLOWED_UP, 120), FieldIn("grade", {"C", "D"}))
    )
    assert SlaPolicy.from_dict(policy.to_dict()) == policy
    assert SlaPolicy.from_json('{"ladder": [{"name": "a", "hours": 1}]}').ladder[0].hours == 1


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ('ladder = "x"', ["$.ladder"]),
        ('[[ladder]]\nname = "a"\nhours = 0', ["$.ladder[0].hours"]),
        ('[[ladder]]\nname = "pool.x"\nhours = 1', ["$.ladder[0].name"]),
        (
            '[[ladder]]\nname = "a"\nhours = 1\n[[rules]]\nname = "a"\nwhen = {since = "created", hours = 1}',
            ["$.rules[0].name"],
        ),
        ('[[rules]]\nname = "r"\nwhen = {field = "grade", in = ["C"]}', ["$.rules[0].when"]),
        ('[[rules]]\nname = "r"\nwhen = {since = "never", hours = 1}', ["$.rules[0].when.since"]),
        (
            '[[rules]]\nname = "r"\nwhen = {any = [{field = "colour", in = ["x"]}]}',
            ["$.rules[0].when.any[0].field"],
        ),
        (
            '[[rules]]\nname = "r"\nwhen = {since = "created", hours = 1}\naction = "notify"',
            ["$.rules[0].action"],
        ),
        ("surprise = 1", ["$.surprise"]),
    ],
)
def test_bad_policies_are_config_errors_naming_the_path(text: str, paths: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        SlaPolicy.from_toml(text)
    named = [p.field for p in caught.value.problems]
    assert named == paths, caught.value


def test_bad_arguments_are_validation_errors_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        LadderStep("x", float("nan"), "owner")
    assert caught.value.fields == ("hours",)
    with pytest.raises(ValidationError):
        FieldIn("grade", "C")
    with pytest.raises(ValidationError):
        AllOf(())
    with pytest.raises(ValidationError) as caught:
        Pool(id="p", name="p", recycle_hours=10, recycle_warning_hours=12)
    assert caught.value.fields == ("recycle_warning_hours",)


# --- the records and the desk's time-keeping arguments --------------------------------------


def _follow_up(**changes: Any) -> FollowUp:
    fields: dict[str, Any] = {
        "id": "F1",
        "lead_id": "L1",
        "author_id": "bob",
        "at": datetime(2026, 3, 2, 10, tzinfo=UTC),
        "method": FollowUpMethod.PHONE,
        "content": "电话",
        "result": "有意向",
        **changes,
    }
    return FollowUp(**fields)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content": None}, "content"),
        ({"result": 5}, "result"),
        ({"at": datetime(2026, 3, 2, 10)}, "at"),
        ({"at": "2026-03-02"}, "at"),
        ({"next_follow_up_at": datetime(2026, 3, 5)}, "next_follow_up_at"),
        ({"next_follow_up_at": "2026-03-05"}, "next_follow_up_at"),
        ({"duration": 5}, "duration"),
        ({"duration": timedelta(minutes=-1)}, "duration"),
    ],
)
def test_a_follow_up_record_names_each_bad_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _follow_up(**changes)
    assert caught.value.fields == (field,)
    with pytest.raises(ValidationError) as again:
        attrs.evolve(_follow_up(), **changes)
    assert again.value.fields == (field,)


def test_a_follow_up_record_keeps_its_times_in_utc() -> None:
    record = _follow_up(
        at=datetime(2026, 3, 2, 18, tzinfo=SHANGHAI),
        next_follow_up_at=datetime(2026, 3, 3, 9, tzinfo=SHANGHAI),
    )
    assert record.at == datetime(2026, 3, 2, 10, tzinfo=UTC) and record.at.tzinfo is UTC
    assert record.next_follow_up_at == datetime(2026, 3, 3, 1, tzinfo=UTC)
    assert record.next_follow_up_at.tzinfo is UTC


_ORG = OrgChart(users=[User("admin", roles={"system_admin"})])
_CLOCK = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"sla_policies": [SlaPolicy()]}, "sla_policies"),
        ({"sla_policies": "p"}, "sla_policies"),
        ({"sla_policies": {"p": "fast"}}, "sla_policies.p"),
        ({"strategies": [RoundRobin()]}, "strategies"),
        ({"strategies": {"rr": "round_robin"}}, "strategies.rr"),
    ],
)
def test_the_desk_checks_its_strategies_and_sla_policies(
    arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        LeadDesk(MemoryStore(), _CLOCK, _ORG, **arguments)
    assert caught.value.fields == (field,)


def test_the_desk_needs_a_clock_that_tells_an_aware_time() -> None:
    for clock in (None, datetime(2026, 3, 2, tzinfo=UTC), "now", FixedClock):
        with pytest.raises(ValidationError) as caught:
            LeadDesk(MemoryStore(), clock, _ORG)  # type: ignore[arg-type]
        assert caught.value.fields == ("clock",)

    class Naive:
        def now(self) -> datetime:
            return datetime(2026, 3, 2)

    desk = LeadDesk(MemoryStore(), Naive(), _ORG)
    with pytest.raises(ValidationError) as refused:
        desk.create_pool("admin", Pool(id="p", name="P"))
    assert refused.value.fields == ("clock.now()",)

    class Local:
        def now(self) -> datetime:
            return datetime(2026, 3, 2, 17, tzinfo=SHANGHAI)

    local = LeadDesk(MemoryStore(), Local(), _ORG)
    assert local.sweep().now == datetime(2026, 3, 2, 9, tzinfo=UTC)
