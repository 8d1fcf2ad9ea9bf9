"""Rules and strategies active only in their schedules: windows past midnight, a rule skipped
outside its hours with the reason, a scheduled strategy declining, config by path."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import ConfigError, Lead, ValidationError
from leadcore.assignment import (
    Chain,
    LeastLoaded,
    MemoryContext,
    RoundRobin,
    RouteCondition,
    Router,
    RoutingRule,
    Scheduled,
    build_strategy,
    load_strategies,
)
from leadcore.cadence import Schedule

MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
DAY = Schedule(["mon-fri 09:00-18:00"], "Asia/Shanghai")
LATE = Schedule(["fri 22:00-02:00"], "Asia/Shanghai")  # Friday night into Saturday


def lead(region: str = "华东") -> Lead:
    return Lead(id="L1", pool_id="p", created_by="x", created_at=MONDAY_9, region=region)


def ctx(at: datetime) -> MemoryContext:
    return MemoryContext(["wang", "li", "zhao"], now=at, rng=random.Random(3))


def test_a_window_past_midnight_belongs_to_the_day_it_starts() -> None:
    saturday_1am = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Sat 01:00 Shanghai
    assert LATE.is_open(saturday_1am)
    assert not LATE.is_open(saturday_1am + timedelta(hours=1))
    late = Scheduled(RoundRobin(name="late", users=["zhao"]), LATE)
    assert late.choose(lead(), ctx(saturday_1am)).owner_id == "zhao"
    off = late.choose(lead(), ctx(saturday_1am + timedelta(hours=2)))
    assert off.owner_id is None
    assert off.reason == (
        "late is off: outside Fri 22:00–02:00 Asia/Shanghai; opens Fri 2026-03-13 22:00 Asia/Shanghai"
    )


def test_a_rule_outside_its_hours_is_skipped_and_its_users_are_told_why() -> None:
    router = Router(
        rules=[
            RoutingRule([RouteCondition("region", {"华东"})], ["wang"], team="day", schedule=DAY),
            RoutingRule([RouteCondition("region", {"华东"})], ["li"], team="always"),
        ],
        then=LeastLoaded(),
    )
    inside = router.choose(lead(), ctx(MONDAY_9))
    assert (inside.owner_id, inside.reason) == (
        "wang",
        "rule region=华东 → team day, least loaded: wang with 0 open",
    )
    evening = router.choose(lead(), ctx(MONDAY_9 + timedelta(hours=10)))
    assert evening.owner_id == "li"
    assert evening.reason.startswith(
        "rule region=华东 is off (outside Mon–Fri 09:00–18:00 Asia/Shanghai; opens Tue 2026-03-03 "
        "09:00 Asia/Shanghai); rule region=华东"
    )
    assert dict(evening.excluded) == {
        "wang": "rule region=华东 is off: outside Mon–Fri 09:00–18:00 Asia/Shanghai; "
        "opens Tue 2026-03-03 09:00 Asia/Shanghai"
    }
    # What the router may read covers both teams, whatever the hour.
    assert router.needs(lead(), None).users == {"wang", "li"}


def test_with_every_matching_rule_off_and_no_default_the_router_declines_saying_why() -> None:
    router = Router(rules=[RoutingRule([], ["wang"], schedule=DAY)])
    choice = router.choose(lead(), ctx(MONDAY_9 - timedelta(hours=2)))
    assert choice.owner_id is None
    assert choice.reason == (
        "rule always is off (outside Mon–Fri 09:00–18:00 Asia/Shanghai; opens Mon 2026-03-02 "
        "09:00 Asia/Shanghai); router: no rule matched and there is no default"
    )
    assert dict(choice.excluded) == {
        "wang": "rule always is off: outside Mon–Fri 09:00–18:00 Asia/Shanghai; "
        "opens Mon 2026-03-02 09:00 Asia/Shanghai"
    }


HOURS = st.integers(0, 24 * 7 - 1)


@given(HOURS, st.sampled_from(["华东", "华北"]))
def test_a_scheduled_router_chooses_as_if_its_rules_that_are_off_were_not_there(
    hour: int, region: str
) -> None:
    at = MONDAY_9 + timedelta(hours=hour)
    rules = [
        RoutingRule([RouteCondition("region", {"华东"})], ["wang"], team="day", schedule=DAY),
        RoutingRule([RouteCondition("region", {"华东"})], ["li"], team="late", schedule=LATE),
        RoutingRule([], ["zhao"], team="rest"),
    ]
    scheduled = Router(rules=rules, then=RoundRobin(name="then"))
    on = [r for r in rules if r.schedule is None or r.schedule.is_open(at)]
    plain = Router(
        rules=[RoutingRule(r.when, r.users, r.team) for r in on], then=RoundRobin(name="then")
    )
    chosen = scheduled.choose(lead(region), ctx(at))
    assert chosen.owner_id == plain.choose(lead(region), ctx(at)).owner_id
    assert chosen.owner_id in scheduled.needs(lead(region), None).users


def test_a_chain_of_shifts_falls_through_to_whoever_is_on() -> None:
    shifts = Chain(
        [
            Scheduled(RoundRobin(name="day", users=["wang"]), DAY),
            Scheduled(RoundRobin(name="late", users=["zhao"]), LATE),
            LeastLoaded(name="anyone", users=["li"]),
        ]
    )
    sunday = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)
    choice = shifts.choose(lead(), ctx(sunday))
    assert choice.owner_id == "li"
    assert (
        "day declined (day is off: outside Mon–Fri 09:00–18:00 Asia/Shanghai; "
        "opens Mon 2026-03-09 09:00 Asia/Shanghai)"
    ) in choice.reason
    assert shifts.choose(lead(), ctx(MONDAY_9)).owner_id == "wang"


def test_schedules_come_from_config_for_any_strategy_and_any_rule() -> None:
    built = load_strategies(
        """
        [day_desk]
        kind = "round_robin"
        users = ["wang"]
        schedule = { windows = ["mon-fri 09:00-18:00"], timezone = "Asia/Shanghai" }

        [routed]
        kind = "router"
        default = ["li"]
        [[routed.rules]]
        when = { region = "华东" }
        users = ["wang"]
        schedule = ["fri 22:00-02:00"]
        """
    )
    day = built["day_desk"]
    assert isinstance(day, Scheduled) and day.name == "day_desk" and day.schedule == DAY
    routed = built["routed"]
    assert isinstance(routed, Router)
    assert routed.rules[0].schedule == Schedule(["fri 22:00-02:00"])


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"kind": "round_robin", "schedule": ["mnday 09:00-10:00"]}, "$.schedule.windows[0]"),
        (
            {"kind": "least_loaded", "schedule": {"windows": [], "timezone": "Mars/Base"}},
            "$.schedule.timezone",
        ),
        ({"kind": "chain", "steps": [{"kind": "round_robin"}], "schedule": 9}, "$.schedule"),
        (
            {"kind": "router", "rules": [{"when": {}, "users": ["a"], "schedule": {"hours": 1}}]},
            "$.rules[0].schedule.hours",
        ),
    ],
)
def test_bad_schedules_name_the_path_at_fault(data: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build_strategy(data)
    assert any(p.field.startswith(path) for p in raised.value.problems), raised.value.problems


def test_a_rule_or_wrapper_built_in_code_checks_its_schedule() -> None:
    with pytest.raises(ValidationError, match="schedule"):
        RoutingRule([], ["wang"], schedule="mon 9-5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="schedule"):
        Scheduled(RoundRobin(), ["mon-fri 09:00-18:00"])  # type: ignore[arg-type]
