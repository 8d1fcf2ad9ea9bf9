"""Quotas over time windows: windows in a time zone, pro-rating to working days, per-user
quotas, the owner-eligibility rule, batch planning, and config errors by path."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import ConfigError, Lead, Pool, User, ValidationError
from leadcore.assignment import LeastLoaded, MemoryContext, RoundRobin, plan_distribution
from leadcore.cadence import WorkingCalendar
from leadcore.policy import (
    OwnerFacts,
    Quota,
    QuotaPeriod,
    QuotaPolicy,
    QuotaUse,
    load_quota_policies,
    owner_refusal,
)

T0 = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # Wednesday, 11:00 in Shanghai
SHANGHAI_WEEKDAYS = WorkingCalendar({"mon-fri": ["09:00-18:00"]}, timezone="Asia/Shanghai")
POOL = Pool(id="q", name="配额池", quota_policy="quota")


def test_windows_start_at_local_midnight_of_the_day_week_and_month() -> None:
    policy = QuotaPolicy(calendar=SHANGHAI_WEEKDAYS)
    assert policy.window_start(QuotaPeriod.DAY, T0) == datetime(2026, 3, 3, 16, tzinfo=UTC)
    assert policy.window_start(QuotaPeriod.WEEK, T0) == datetime(2026, 3, 1, 16, tzinfo=UTC)
    assert policy.window_start(QuotaPeriod.MONTH, T0) == datetime(2026, 2, 28, 16, tzinfo=UTC)
    utc = QuotaPolicy()
    assert utc.window_start(QuotaPeriod.DAY, T0) == datetime(2026, 3, 4, tzinfo=UTC)


def test_a_pro_rated_month_quota_accrues_with_its_working_days() -> None:
    policy = QuotaPolicy(calendar=SHANGHAI_WEEKDAYS)
    quota = Quota(100, "month", prorate=True)
    # March 2026 has 22 weekdays; by Wednesday the 4th, 3 have begun: ceil(300 / 22) = 14.
    assert policy.allowance(quota, T0) == 14
    assert policy.allowance(Quota(100, "month"), T0) == 100
    last = datetime(2026, 3, 31, 2, tzinfo=UTC)
    assert policy.allowance(quota, last) == 100
    weekend = datetime(2026, 3, 8, 2, tzinfo=UTC)  # Sunday: still 5 working days begun
    assert policy.allowance(quota, weekend) == policy.allowance(
        quota, datetime(2026, 3, 6, 2, tzinfo=UTC)
    )


@given(st.integers(0, 500), st.integers(0, 60 * 24 - 1), st.sampled_from(["week", "month"]))
def test_a_pro_rated_allowance_never_falls_within_a_window_and_ends_at_the_limit(
    limit: int, minutes: int, period: str
) -> None:
    policy = QuotaPolicy(calendar=SHANGHAI_WEEKDAYS)
    quota = Quota(limit, period, prorate=True)
    start = policy.window_start(quota.period, datetime(2026, 3, 2, 1, tzinfo=UTC))
    previous = 0
    at = start + timedelta(minutes=minutes)
    while policy.window_start(quota.period, at) == start:
        allowed = policy.allowance(quota, at)
        assert previous <= allowed <= limit
        previous = allowed
        at += timedelta(days=1)
    assert previous == limit


def test_a_users_own_quota_replaces_the_pool_wide_one_of_its_period() -> None:
    policy = QuotaPolicy(
        [Quota(20, "day"), Quota(80, "week")], users={"wang": [Quota(5, QuotaPeriod.DAY)]}
    )
    assert policy.quotas_for("li") == (Quota(20, "day"), Quota(80, "week"))
    assert policy.quotas_for("wang") == (Quota(5, "day"), Quota(80, "week"))
    uses = policy.standing("wang", T0, lambda since: 5 if since.day == 4 else 7)
    assert [(u.received, u.allowed, u.reached) for u in uses] == [(5, 5, True), (7, 80, False)]


def test_the_owner_rule_refuses_at_a_reached_quota_and_says_which() -> None:
    use = QuotaUse(Quota(5, "day"), 5, 5, datetime(2026, 3, 4, tzinfo=UTC))
    refusal = owner_refusal("wang", OwnerFacts(User("wang"), quotas=(use,)), POOL)
    assert refusal == (
        "quota reached: 5 of 5 leads received this day (5 a day, since 2026-03-04 00:00 UTC)"
    )
    assert owner_refusal("wang", OwnerFacts(User("wang"), quotas=(use.plus(-1),)), POOL) is None
    share = QuotaUse(Quota(44, "month", prorate=True), 2, 2, datetime(2026, 3, 1, tzinfo=UTC))
    assert "2 of 2 so far of 44 leads" in str(share.refusal())


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6))
def test_the_owner_rule_refuses_exactly_when_a_quota_is_reached(
    received: int, day: int, week: int
) -> None:
    uses = (
        QuotaUse(Quota(day, "day"), received, day, T0),
        QuotaUse(Quota(week, "week"), received, week, T0),
    )
    refused = owner_refusal("wang", OwnerFacts(User("wang"), quotas=uses), POOL) is not None
    assert refused == (received >= day or received >= week)


@given(
    st.integers(0, 6),
    st.one_of(st.none(), st.integers(1, 6)),
    st.one_of(st.none(), st.integers(0, 6)),
    st.integers(0, 8),
)
def test_an_owners_room_lasts_exactly_as_long_as_the_rule_says_yes(
    received: int, cap: int | None, open_count: int | None, more: int
) -> None:
    pool = attrs.evolve(POOL, max_open_per_user=cap)
    facts = OwnerFacts(User("wang"), open_count, quotas=(QuotaUse(Quota(4, "day"), 0, 4, T0),))
    facts = facts.plus(received)
    room = facts.room(pool)
    allowed = owner_refusal("wang", facts.plus(more), pool) is None
    assert allowed == (room is None or more < room)


@pytest.mark.parametrize(
    ("count", "said"),
    [
        ("3", "must be a whole number, not str"),
        (None, "must be a whole number, not NoneType"),
        (True, "must be a whole number, not bool"),
        (2.5, "must be a whole number, not float"),
        (-5, "would leave -2 open leads (they hold 3)"),
        (10**30, "must be between"),
    ],
)
def test_an_owners_facts_take_only_a_whole_count_that_leaves_some_leads(
    count: object, said: str
) -> None:
    facts = OwnerFacts(User("wang"), 3)
    with pytest.raises(ValidationError) as raised:
        facts.plus(count)  # type: ignore[arg-type]
    assert raised.value.fields == ("count",)
    assert said in str(raised.value)
    assert facts.plus(-3).open_count == 0 and facts.plus(0) is facts


def _context(users: list[str], limit: int, received: dict[str, int]) -> MemoryContext:
    since = datetime(2026, 3, 4, tzinfo=UTC)
    return MemoryContext(
        users,
        now=T0,
        rng=random.Random(1),
        pools=[POOL],
        quotas={
            (u, POOL.id): [QuotaUse(Quota(limit, "day"), received.get(u, 0), limit, since)]
            for u in users
        },
    )


def test_a_batch_reaching_the_quota_mid_way_leaves_the_rest_with_reasons() -> None:
    ctx = _context(["wang", "li"], 2, {"wang": 1})
    leads = [Lead(id=f"L{i}", pool_id="q", created_by="x", created_at=T0) for i in range(5)]
    plan = plan_distribution(leads, RoundRobin(), ctx)
    assert plan.counts() == {"li": 2, "wang": 1}
    declined = plan.choices[3:]
    assert all(c.owner_id is None for c in declined)
    assert dict(declined[0].excluded) == {
        "li": "quota reached: 2 of 2 leads received this day (2 a day, since 2026-03-04 00:00 UTC)",
        "wang": "quota reached: 2 of 2 leads received this day (2 a day, since 2026-03-04 00:00 UTC)",
    }


@given(
    st.integers(0, 4),
    st.dictionaries(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 5)),
    st.integers(0, 20),
    st.sampled_from(["rr", "ll"]),
)
def test_a_planned_batch_never_takes_anyone_past_their_quota(
    limit: int, received: dict[str, int], count: int, kind: str
) -> None:
    users = ["u1", "u2", "u3"]
    ctx = _context(users, limit, received)
    strategy = RoundRobin() if kind == "rr" else LeastLoaded()
    leads = [Lead(id=f"L{i}", pool_id="q", created_by="x", created_at=T0) for i in range(count)]
    plan = plan_distribution(leads, strategy, ctx)
    for user in users:
        assert received.get(user, 0) + plan.counts().get(user, 0) <= max(
            limit, received.get(user, 0)
        )
    room = sum(max(0, limit - received.get(u, 0)) for u in users)
    assert len(plan.owners()) == min(count, room)


def test_policies_load_from_toml_and_round_trip() -> None:
    policies = load_quota_policies(
        """
        [telesales]
        quotas = [{ limit = 20, period = "day" }, { limit = 300, period = "month", prorate = true }]
        calendar = { weekly = { "mon-fri" = ["09:00-18:00"] }, timezone = "Asia/Shanghai" }
        [telesales.users]
        wang = [{ limit = 5, period = "每日" }]
        """
    )
    policy = policies["telesales"]
    assert policy.quotas_for("wang")[0] == Quota(5, "day")
    assert policy.calendar.timezone == "Asia/Shanghai"
    assert QuotaPolicy.from_dict(policy.to_dict()) == policy
    assert load_quota_policies('{"x": {}}') == {"x": QuotaPolicy()}


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        ({"x": {"quotas": [{"limit": 5, "period": "dya"}]}}, "$.x.quotas[0].period", "period"),
        ({"x": {"quotas": [{"limit": -1, "period": "day"}]}}, "$.x.quotas[0].limit", "0 to"),
        (
            {"x": {"quotas": [{"limit": 5, "period": "day", "prorate": True}]}},
            "$.x.quotas[0].prorate",
            "a day quota has nothing to spread",
        ),
        (
            {
                "x": {
                    "users": {
                        "wang": [{"limit": 1, "period": "day"}, {"limit": 2, "period": "day"}]
                    }
                }
            },
            "$.x.users.wang[1].period",
            "a second day quota",
        ),
        (
            {"x": {"quotas": [{"limit": 1, "period": "day", "max": 3}]}},
            "$.x.quotas[0].max",
            "known",
        ),
        ({"x": {"calendar": {"weekly": {"mon": ["9-18"]}}}}, "$.x.calendar.weekly", ""),
        ({"x": 3}, "$.x", "a table of quota settings"),
        ({"x": {"quotas": "20 a day"}}, "$.x.quotas", "list"),
        ({"x": {"users": ["wang"]}}, "$.x.users", "must map a user id to that user's list"),
        ({"x": {"users": "wang"}}, "$.x.users", "must map a user id to that user's list"),
    ],
)
def test_bad_policies_name_the_path_at_fault(data: object, path: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_quota_policies(data)  # type: ignore[arg-type]
    assert any(p.field.startswith(path) and reason in p.reason for p in raised.value.problems), (
        raised.value.problems
    )


def test_quotas_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError, match="limit"):
        Quota(True, "day")
    with pytest.raises(ValidationError, match="period"):
        Quota(3, 7)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="users"):
        QuotaPolicy(users={"": [Quota(1, "day")]})
    with pytest.raises(ValidationError, match="must be a list of quotas"):
        QuotaPolicy(quotas="daily")  # type: ignore[arg-type]


def test_windows_and_allowances_take_a_period_a_quota_and_an_aware_now() -> None:
    policy = QuotaPolicy(quotas=[Quota(2, "day")])
    wednesday = datetime(2026, 3, 18, 9, tzinfo=UTC)
    assert policy.window_start("day", wednesday) == datetime(2026, 3, 18, tzinfo=UTC)
    assert policy.window_start("week", wednesday) == datetime(2026, 3, 16, tzinfo=UTC)
    for period in (None, "dya", 1):
        with pytest.raises(ValidationError) as caught:
            policy.window_start(period, wednesday)  # type: ignore[arg-type]
        assert caught.value.fields == ("period",)
    for now in (datetime(2026, 3, 18, 9), "2026-03-18", None):
        with pytest.raises(ValidationError) as caught:
            policy.window_start(QuotaPeriod.DAY, now)  # type: ignore[arg-type]
        assert caught.value.fields == ("now",)
        with pytest.raises(ValidationError) as caught:
            policy.allowance(Quota(2, "day"), now)  # type: ignore[arg-type]
        assert caught.value.fields == ("now",)
    with pytest.raises(ValidationError) as caught:
        policy.allowance({"limit": 2}, wednesday)  # type: ignore[arg-type]
    assert caught.value.fields == ("quota",)
    shanghai = QuotaPolicy(calendar=SHANGHAI_WEEKDAYS)
    with pytest.raises(ValidationError, match="limits of the calendar") as caught:
        shanghai.allowance(Quota(10, "month", True), datetime.max.replace(tzinfo=UTC))
    assert caught.value.fields == ("now",)
    for edge in (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)):
        with pytest.raises(ValidationError, match="limits of the calendar"):
            shanghai.window_start("day", edge)  # local midnight falls off the calendar
