"""Fairness and safety properties of assignment, checked with hypothesis."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadcore import Lead, LeadStatus, User
from leadcore.assignment import (
    Away,
    Chain,
    Choice,
    LeastLoaded,
    MemoryContext,
    PerformanceBased,
    RoundRobin,
    RouteCondition,
    Router,
    RoutingRule,
    Strategy,
    WeightedRoundRobin,
    plan_distribution,
)
from leadcore.testing.factories import make_lead

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = tuple(f"u{i}" for i in range(8))
REGIONS = ("华东", "华北", "华南")
INDUSTRIES = ("SaaS", "零售", "制造业")

user_lists = st.lists(st.sampled_from(USERS), min_size=1, max_size=8, unique=True)
seeds = st.integers(0, 2**32 - 1)


def context(users: list[str], seed: int, **kw: object) -> MemoryContext:
    return MemoryContext(users, now=T0, rng=random.Random(seed), **kw)  # type: ignore[arg-type]


def assign(strategy: Strategy, ctx: MemoryContext, leads: list[Lead]) -> list[Choice]:
    """One lead at a time, each choice applied before the next (as the desk does)."""
    choices = []
    for lead in leads:
        choice = strategy.choose(lead, ctx)
        ctx.apply(choice)
        choices.append(choice)
    return choices


@st.composite
def routed_leads(draw: st.DrawFn, n: int) -> list[Lead]:
    return [
        make_lead(
            f"L{i}",
            region=draw(st.none() | st.sampled_from(REGIONS)),
            industry=draw(st.none() | st.sampled_from(INDUSTRIES)),
            score=draw(st.none() | st.floats(0, 100)),
        )
        for i in range(n)
    ]


@given(k=st.integers(1, 8), n=st.integers(0, 60), seed=seeds)
def test_round_robin_counts_differ_by_at_most_one(k: int, n: int, seed: int) -> None:
    ctx = context(list(USERS[:k]), seed)
    owners = [c.owner_id for c in assign(RoundRobin(), ctx, [make_lead(f"L{i}") for i in range(n)])]
    counts = [owners.count(u) for u in USERS[:k]]
    assert sum(counts) == n
    assert max(counts) - min(counts) <= 1


@given(
    weights=st.lists(st.integers(1, 5), min_size=1, max_size=5),
    rounds=st.integers(1, 4),
    seed=seeds,
)
def test_weighted_round_robin_gives_exact_shares_per_cycle(
    weights: list[int], rounds: int, seed: int
) -> None:
    users = list(USERS[: len(weights)])
    ctx = context(users, seed)
    strategy = WeightedRoundRobin(dict(zip(users, weights, strict=True)))
    leads = [make_lead(f"L{i}") for i in range(sum(weights) * rounds)]
    owners = [c.owner_id for c in assign(strategy, ctx, leads)]
    assert [owners.count(u) for u in users] == [w * rounds for w in weights]


@given(
    users=user_lists,
    caps=st.lists(st.none() | st.integers(0, 6), min_size=8, max_size=8),
    start=st.lists(st.integers(0, 6), min_size=8, max_size=8),
    n=st.integers(0, 40),
    seed=seeds,
)
def test_least_loaded_never_exceeds_a_cap(
    users: list[str], caps: list[int | None], start: list[int], n: int, seed: int
) -> None:
    capacity = {u: c for u, c in zip(USERS, caps, strict=True) if c is not None}
    loads = dict(zip(USERS, start, strict=True))
    ctx = context(users, seed, loads=dict(loads))
    for choice in assign(
        LeastLoaded(capacity=capacity), ctx, [make_lead(f"L{i}") for i in range(n)]
    ):
        owner = choice.owner_id
        if owner is None:
            # Declines only when every candidate is at its cap.
            assert all(u in capacity and ctx.loads[u] >= capacity[u] for u in users)
        else:
            assert owner in users
    for user in users:
        cap = capacity.get(user)
        if cap is not None:
            assert ctx.loads[user] <= max(cap, loads[user])


@given(users=user_lists, n=st.integers(0, 50), extra=st.integers(0, 3), seed=seeds)
def test_least_loaded_keeps_counts_within_one_when_caps_allow(
    users: list[str], n: int, extra: int, seed: int
) -> None:
    cap = -(-n // len(users)) + extra  # room for an even spread
    ctx = context(users, seed)
    assign(LeastLoaded(default_capacity=cap), ctx, [make_lead(f"L{i}") for i in range(n)])
    counts = [ctx.loads.get(u, 0) for u in users]
    assert sum(counts) == n
    assert max(counts) - min(counts) <= 1


def rule_sets() -> st.SearchStrategy[tuple[RoutingRule, ...]]:
    condition = st.one_of(
        st.builds(
            RouteCondition,
            st.sampled_from(("region", "industry")),
            st.frozensets(st.sampled_from(REGIONS + INDUSTRIES), min_size=1, max_size=3),
        ),
        st.builds(lambda low: RouteCondition("score", min=low), st.integers(0, 100)),
    )
    rule = st.builds(
        RoutingRule,
        st.lists(condition, max_size=2).map(tuple),
        user_lists.map(tuple),
        st.none() | st.sampled_from(("east", "north", "vip")),
    )
    return st.lists(rule, max_size=4).map(tuple)


@given(
    rules=rule_sets(),
    default=st.lists(st.sampled_from(USERS), max_size=3, unique=True),
    leads=st.integers(0, 25).flatmap(routed_leads),
    then=st.sampled_from(("rr", "ll", "wrr")),
    seed=seeds,
)
def test_rule_routing_sends_each_lead_to_the_first_matching_rule(
    rules: tuple[RoutingRule, ...], default: list[str], leads: list[Lead], then: str, seed: int
) -> None:
    inner: Strategy = {"rr": RoundRobin(), "ll": LeastLoaded(), "wrr": WeightedRoundRobin()}[then]
    router = Router(rules, then=inner, default=tuple(default))
    ctx = context(list(USERS), seed)
    for lead, choice in zip(leads, assign(router, ctx, leads), strict=True):
        first = next((r for r in rules if r.matches(lead)), None)
        allowed = first.users if first is not None else tuple(default)
        if allowed:
            assert choice.owner_id in allowed
        else:
            assert choice.owner_id is None


@st.composite
def any_strategy(draw: st.DrawFn) -> Strategy:
    leaf = st.sampled_from(
        (
            RoundRobin(),
            WeightedRoundRobin({"u1": 3, "u2": 2}),
            LeastLoaded(),
            LeastLoaded(tie_break="longest_wait"),
            PerformanceBased(min_sample=1, fallback=RoundRobin()),
        )
    )
    kind = draw(st.sampled_from(("leaf", "router", "chain")))
    if kind == "leaf":
        return draw(leaf)
    if kind == "router":
        return Router(draw(rule_sets()), then=draw(leaf), default=("u1", "u2", "u3"))
    return Chain((RoundRobin(name="small", users=("u1", "u2")), draw(leaf)))


@given(
    strategy=any_strategy(),
    inactive=st.sets(st.sampled_from(USERS)),
    away=st.sets(st.sampled_from(USERS)),
    leads=st.integers(1, 25).flatmap(routed_leads),
    seed=seeds,
)
def test_away_or_deactivated_users_never_receive_leads(
    strategy: Strategy, inactive: set[str], away: set[str], leads: list[Lead], seed: int
) -> None:
    users = [User(u, active=u not in inactive) for u in USERS]
    periods = [Away(u, T0 - timedelta(hours=1), T0 + timedelta(hours=1)) for u in sorted(away)]
    past = [
        make_lead(
            f"h{i}",
            industry=INDUSTRIES[i % 3],
            status=LeadStatus.CONVERTED,
            owner_id=USERS[i % 8],
            converted_customer_id="c",
        )
        for i in range(24)
    ]
    ctx = MemoryContext(users, now=T0, rng=random.Random(seed), away=periods, history=past)
    for choice in assign(strategy, ctx, leads):
        assert choice.owner_id not in inactive | away
        for user in (inactive | away) & set(choice.candidates):
            assert user in choice.excluded


@given(
    users=st.lists(st.sampled_from(USERS), min_size=2, max_size=8, unique=True),
    n=st.integers(2, 40),
    kind=st.sampled_from(("rr", "ll", "wrr")),
    seed=seeds,
)
def test_a_bulk_batch_never_goes_all_to_one_rep(
    users: list[str], n: int, kind: str, seed: int
) -> None:
    strategy: Strategy = {"rr": RoundRobin(), "ll": LeastLoaded(), "wrr": WeightedRoundRobin()}[
        kind
    ]
    plan = plan_distribution([make_lead(f"L{i}") for i in range(n)], strategy, context(users, seed))
    counts = plan.counts()
    assert sum(counts.values()) == n
    assert len(counts) >= 2
    assert max(counts.values()) - min(counts.get(u, 0) for u in users) <= 1


@given(
    users=user_lists,
    ids=st.lists(st.sampled_from([f"L{i}" for i in range(12)]), max_size=20),
    kind=st.sampled_from(("rr", "ll")),
    seed=seeds,
)
def test_rerunning_a_distribution_assigns_nothing_twice(
    users: list[str], ids: list[str], kind: str, seed: int
) -> None:
    strategy: Strategy = RoundRobin() if kind == "rr" else LeastLoaded()
    ctx = context(users, seed)
    leads = [make_lead(i) for i in ids]
    plan = plan_distribution(leads, strategy, ctx)
    owners = plan.owners()
    assert sorted(owners) == sorted(set(ids))  # every distinct lead exactly once
    assert sum(1 for c in plan if c.owner_id is not None) == len(set(ids))
    # The desk applies the plan; running it again over the same leads changes nothing.
    for choice in plan:
        ctx.apply(choice)
    applied = [
        attrs.evolve(lead, status=LeadStatus.ASSIGNED, owner_id=owners[lead.id]) for lead in leads
    ]
    again = plan_distribution(applied, strategy, ctx)
    assert again.owners() == {} and again.state_updates == {}


@given(strategy=any_strategy(), leads=st.integers(1, 15).flatmap(routed_leads), seed=seeds)
def test_a_seeded_run_replays_exactly(strategy: Strategy, leads: list[Lead], seed: int) -> None:
    first = assign(strategy, context(list(USERS), seed), leads)
    second = assign(strategy, context(list(USERS), seed), leads)
    assert first == second
