"""Assignment strategies by example: each strategy, composition, contexts and reasons."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadcore import (
    Lead,
    LeadcoreError,
    LeadStatus,
    MemoryStore,
    OrgChart,
    User,
    ValidationError,
)
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
    Team,
    TieBreak,
    WeightedRoundRobin,
    plan_distribution,
    state_key,
)
from leadcore.desk import context_for
from leadcore.storage import UnitOfWork
from leadcore.testing.factories import make_lead, make_pool

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ctx_of(*users: str | User, seed: int = 7, **kw: object) -> MemoryContext:
    """A memory context over ``users`` at T0 with a seeded random source."""
    return MemoryContext(users, now=T0, rng=random.Random(seed), **kw)  # type: ignore[arg-type]


def run(strategy: Strategy, ctx: MemoryContext, n: int, **fields: object) -> list[Choice]:
    """Choose for ``n`` fresh leads, applying each choice as the desk would."""
    choices = []
    for i in range(n):
        choice = strategy.choose(make_lead(f"L{i}", **fields), ctx)
        ctx.apply(choice)
        choices.append(choice)
    return choices


# --- Choice -------------------------------------------------------------------------------------


def test_choice_event_data_is_plain_json() -> None:
    choice = Choice(
        "u1",
        "why",
        strategy="s",
        state_updates={"k": 1},
        excluded={"u2": "away"},
        tie_break="random among u1, u3: u1",
        candidates=["u1", "u2", "u3"],
    )
    assert choice.as_event_data() == {
        "strategy": "s",
        "owner_id": "u1",
        "reason": "why",
        "candidates": ["u1", "u2", "u3"],
        "excluded": {"u2": "away"},
        "tie_break": "random among u1, u3: u1",
    }
    assert not choice.declined
    assert Choice(None, "nobody", strategy="s").declined


# --- round robin --------------------------------------------------------------------------------


def test_round_robin_cycles_and_records_the_cursor() -> None:
    ctx = ctx_of("u1", "u2", "u3")
    choices = run(RoundRobin(), ctx, 4)
    assert [c.owner_id for c in choices] == ["u1", "u2", "u3", "u1"]
    assert choices[1].reason == "round robin: next after u1: u2"
    assert choices[3].state_updates == {state_key("round_robin", "pool-a", "cursor"): "u1"}
    assert ctx.state("assign:round_robin:pool-a:cursor") == "u1"


def test_round_robin_skips_inactive_and_away_users_and_says_why() -> None:
    away = Away("u2", T0 - timedelta(days=1), T0 + timedelta(days=2), "年假")
    ctx = ctx_of("u1", "u2", User("u3", active=False), "u4", away=[away])
    choices = run(RoundRobin(), ctx, 3)
    assert [c.owner_id for c in choices] == ["u1", "u4", "u1"]
    assert choices[1].excluded == {
        "u2": "away until 2026-03-04 09:00 (年假)",
        "u3": "inactive (deactivated)",
    }
    assert choices[1].reason == "round robin: next after u1 (skipped u2, u3): u4"


def test_round_robin_away_period_ends() -> None:
    away = Away("u1", T0 - timedelta(days=1), T0)  # ended exactly at T0 (end is exclusive)
    ctx = ctx_of("u1", "u2", away=[away])
    assert RoundRobin().choose(make_lead("L"), ctx).owner_id == "u1"


def test_round_robin_declines_with_nobody_available() -> None:
    ctx = ctx_of(User("u1", active=False))
    choice = RoundRobin().choose(make_lead("L"), ctx)
    assert choice.owner_id is None
    assert choice.excluded == {"u1": "inactive (deactivated)"}
    assert choice.state_updates == {}


def test_unknown_users_are_excluded() -> None:
    ctx = ctx_of("u1")
    choice = RoundRobin(users=("ghost", "u1")).choose(make_lead("L"), ctx)
    assert (choice.owner_id, dict(choice.excluded)) == ("u1", {"ghost": "unknown user"})


def test_round_robin_uses_pool_members_by_default() -> None:
    pool = make_pool("pool-a", members={"u3", "u1"})
    ctx = ctx_of("u1", "u2", "u3", pools=[pool])
    assert [c.owner_id for c in run(RoundRobin(), ctx, 3)] == ["u1", "u3", "u1"]


def test_empty_team_declines_with_reason() -> None:
    choice = RoundRobin().choose(make_lead("L"), ctx_of())
    assert choice.owner_id is None
    assert "no candidates" in choice.reason


# --- weighted round robin -----------------------------------------------------------------------


def test_weighted_round_robin_gives_each_their_share_spread_out() -> None:
    ctx = ctx_of("a", "b", "c")
    strategy = WeightedRoundRobin({"a": 3, "b": 2, "c": 1})
    owners = [c.owner_id for c in run(strategy, ctx, 12)]
    assert {u: owners.count(u) for u in "abc"} == {"a": 6, "b": 4, "c": 2}
    assert owners[:6].count("a") == 3  # smooth: not a, a, a, b, b, c bunched up
    assert all(owners[i] != owners[i + 1] or owners[i] == "a" for i in range(11))


def test_weight_zero_never_chosen() -> None:
    ctx = ctx_of("a", "b")
    choices = run(WeightedRoundRobin({"a": 0}), ctx, 3)
    assert {c.owner_id for c in choices} == {"b"}
    assert choices[0].excluded == {"a": "weight 0"}


# --- least loaded -------------------------------------------------------------------------------


def test_least_loaded_picks_fewest_open_and_says_so() -> None:
    ctx = ctx_of("u1", "u2", "u3", loads={"u1": 5, "u2": 2, "u3": 4})
    choice = LeastLoaded().choose(make_lead("L"), ctx)
    assert (choice.owner_id, choice.reason, choice.tie_break) == (
        "u2",
        "least loaded: u2 with 2 open",
        None,
    )


def test_least_loaded_respects_caps() -> None:
    ctx = ctx_of("u1", "u2", loads={"u1": 0, "u2": 3})
    strategy = LeastLoaded(capacity={"u1": 2}, default_capacity=4)
    owners = [c.owner_id for c in run(strategy, ctx, 4)]
    assert owners[:3] == ["u1", "u1", "u2"]
    last = owners[3]
    assert last is None
    assert ctx.loads == {"u1": 2, "u2": 4}
    final = strategy.choose(make_lead("X"), ctx)
    assert final.excluded == {"u1": "over cap: 2 open, cap 2", "u2": "over cap: 4 open, cap 4"}


def test_ties_are_not_won_by_list_order() -> None:
    """With equal loads, the first-listed (senior) member does not win every tie."""
    winners = set()
    for seed in range(20):
        ctx = ctx_of("senior", "b", "c", seed=seed)
        choice = LeastLoaded().choose(make_lead("L"), ctx)
        assert choice.tie_break is not None and choice.tie_break.startswith("random among")
        winners.add(choice.owner_id)
    assert winners == {"senior", "b", "c"}


def test_seeded_runs_replay_exactly() -> None:
    def owners(seed: int) -> list[str | None]:
        return [c.owner_id for c in run(LeastLoaded(), ctx_of("a", "b", "c", "d", seed=seed), 9)]

    assert owners(3) == owners(3)


def test_longest_wait_tie_break_prefers_who_waited() -> None:
    ctx = ctx_of("a", "b", "c")
    strategy = LeastLoaded(tie_break="longest_wait")
    first = run(strategy, ctx, 3)
    assert sorted(c.owner_id or "" for c in first) == ["a", "b", "c"]
    # Everyone now holds one lead: the tie goes to whoever was served first (waited longest).
    nxt = strategy.choose(make_lead("N"), ctx)
    assert nxt.owner_id == first[0].owner_id
    assert nxt.tie_break is not None and "longest wait" in nxt.tie_break
    assert strategy.tie_break is TieBreak.LONGEST_WAIT


# --- rules and composition ----------------------------------------------------------------------


def east_router(then: Strategy | None = None) -> Router:
    """Region 华东 → east team, score ≥ 80 → u9, otherwise the default team."""
    return Router(
        rules=(
            RoutingRule((RouteCondition("region", {"华东"}),), ("u1", "u2"), "east"),
            RoutingRule((RouteCondition("score", min=80),), ("u9",)),
        ),
        then=then if then is not None else LeastLoaded(),
        default=("u5",),
    )


def test_router_first_match_wins_and_reason_tells_the_story() -> None:
    ctx = ctx_of("u1", "u2", "u5", "u9", loads={"u1": 4, "u2": 3})
    choice = east_router().choose(make_lead("L", region="华东", score=95.0), ctx)
    assert choice.owner_id == "u2"
    assert choice.reason == "rule region=华东 → team east, least loaded: u2 with 3 open"
    assert choice.strategy == "router"


def test_router_records_rules_that_did_not_match_and_default() -> None:
    ctx = ctx_of("u1", "u2", "u5", "u9")
    choice = east_router().choose(make_lead("L", region="华北", score=10.0), ctx)
    assert choice.owner_id == "u5"
    assert choice.excluded == {
        "u1": "rule region=华东 did not match",
        "u2": "rule region=华东 did not match",
        "u9": "rule score>=80 did not match",
    }
    assert choice.reason.startswith("no rule matched → the default team")


def test_router_without_default_declines() -> None:
    router = attrs.evolve(east_router(), default=())
    choice = router.choose(make_lead("L"), ctx_of("u1"))
    assert choice.owner_id is None
    assert choice.reason == "router: no rule matched and there is no default"


def test_router_keeps_a_cursor_per_team() -> None:
    router = east_router(then=RoundRobin())
    ctx = ctx_of("u1", "u2", "u5", "u9")
    run(router, ctx, 1, region="华东")
    assert ctx.state("assign:round_robin:pool-a/east:cursor") == "u1"


def test_conditions_cover_lists_custom_fields_and_score_ranges() -> None:
    lead = make_lead("L", industry="SaaS", score=70.0, custom_fields={"product_line": "CRM"})
    assert RouteCondition("industry", {"SaaS", "零售"}).matches(lead)
    assert RouteCondition("product_line", {"CRM"}).matches(lead)
    assert RouteCondition("custom.product_line", {"CRM"}).matches(lead)
    assert RouteCondition("score", min=60, max=80).matches(lead)
    assert not RouteCondition("score", min=70.5).matches(lead)
    assert not RouteCondition("region", {"华东"}).matches(lead)  # missing value never matches
    assert RouteCondition("score", min=60, max=80).describe() == "60<=score<80"


def test_bad_condition_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="regoin"):
        RouteCondition("regoin", {"华东"})
    with pytest.raises(ValidationError, match="min, max or both"):
        RouteCondition("score")


def test_chain_falls_through_on_decline() -> None:
    ctx = ctx_of("u1", "u2", User("u3", active=False))
    chain = Chain((RoundRobin(name="vip", users=("u3",)), LeastLoaded(name="all")))
    choice = chain.choose(make_lead("L"), ctx)
    assert choice.owner_id in {"u1", "u2", "u3"} and choice.owner_id != "u3"
    assert choice.strategy == "chain"
    assert choice.reason.startswith("vip declined (round robin: nobody in configured users")
    assert "→ all: least loaded" in choice.reason


def test_chain_drops_state_of_declined_steps() -> None:
    ctx = ctx_of(User("u1", active=False))
    choice = Chain((RoundRobin(),)).choose(make_lead("L"), ctx)
    assert choice.owner_id is None and choice.state_updates == {}
    assert choice.reason.startswith("every step declined")


# --- performance --------------------------------------------------------------------------------


def history(owner: str, industry: str, won: int, lost: int) -> list[Lead]:
    """Decided leads of one owner: ``won`` converted and ``lost`` closed-lost."""
    leads = []
    for i in range(won + lost):
        status = LeadStatus.CONVERTED if i < won else LeadStatus.CLOSED_LOST
        leads.append(
            make_lead(
                f"h-{owner}-{industry}-{i}",
                industry=industry,
                status=status,
                owner_id=owner,
                converted_customer_id="c" if status is LeadStatus.CONVERTED else None,
                lost_reason=None if status is LeadStatus.CONVERTED else "budget",
            )
        )
    return leads


def test_performance_picks_best_rate_with_enough_history() -> None:
    past = [
        *history("a", "SaaS", 6, 4),  # 60 %
        *history("b", "SaaS", 8, 2),  # 80 %
        *history("c", "SaaS", 3, 0),  # 100 % but only 3 decided
    ]
    ctx = ctx_of("a", "b", "c", history=past)
    strategy = PerformanceBased(min_sample=5, fallback=LeastLoaded())
    choice = strategy.choose(make_lead("L", industry="SaaS"), ctx)
    assert choice.owner_id == "b"
    assert choice.reason == "performance on industry=SaaS: b converted 8 of 10 (80%)"
    assert choice.excluded == {"c": "only 3 decided industry=SaaS leads (< 5)"}


def test_performance_falls_back_without_history() -> None:
    ctx = ctx_of("a", "b", loads={"a": 3})
    strategy = PerformanceBased(min_sample=5, fallback=LeastLoaded())
    choice = strategy.choose(make_lead("L", industry="医疗"), ctx)
    assert choice.owner_id == "b"
    assert choice.strategy == "performance"
    assert choice.reason == (
        "performance: nobody has 5 decided industry=医疗 leads; fallback least loaded: b with 0 open"
    )
    no_fallback = PerformanceBased().choose(make_lead("L"), ctx)
    assert no_fallback.owner_id is None
    assert no_fallback.reason == "performance: the lead has no industry; no fallback"


# --- facts from a store (what the desk hands a strategy) --------------------------------------


ORG = OrgChart(users=[User("u1"), User("u2"), User("u3"), User("u4", active=False)])
POOL_A = make_pool("pool-a", members={"u1", "u2", "u3", "u4"})


def store_with_pool() -> MemoryStore:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.add_pool(POOL_A)
        for i in range(3):
            uow.add_lead(make_lead(f"open-{i}", status=LeadStatus.ASSIGNED, owner_id="u1"))
        uow.add_lead(make_lead("done", status=LeadStatus.INVALID, owner_id="u2"))
        uow.commit()
    return store


def facts_for(uow: UnitOfWork, strategy: Strategy, lead: Lead, seed: int = 0) -> MemoryContext:
    """The facts the strategy declares it needs, loaded from the unit of work."""
    return context_for(
        uow, ORG, strategy.needs(lead, POOL_A), [POOL_A], now=T0, rng=random.Random(seed)
    )


def assign_once(store: MemoryStore, strategy: Strategy, lead: Lead, seed: int = 1) -> Choice:
    """What the desk does: load the facts, choose, write the state updates in one unit of work."""
    with store.unit_of_work() as uow:
        choice = strategy.choose(lead, facts_for(uow, strategy, lead, seed))
        for key, value in choice.state_updates.items():
            uow.set_state(key, value)
        if choice.owner_id is not None:
            uow.add_lead(attrs.evolve(lead, status=LeadStatus.ASSIGNED, owner_id=choice.owner_id))
        uow.commit()
    return choice


def test_loaded_facts_hold_pool_members_loads_and_users() -> None:
    store = store_with_pool()
    with store.unit_of_work() as uow:
        ctx = facts_for(uow, LeastLoaded(), make_lead("L"))
        assert ctx.members("pool-a") == ("u1", "u2", "u3", "u4")
        assert [ctx.open_count(u) for u in ("u1", "u2")] == [3, 0]
        with pytest.raises(LeadcoreError, match="did not ask for"):
            ctx.user("nobody")
        assert ctx.pool("nope") is None


def test_a_strategy_declares_what_it_reads() -> None:
    lead = make_lead("L", region="华东")
    router = Router(
        (RoutingRule((RouteCondition("region", {"华东"}),), ("u1", "u2"), "east"),),
        then=RoundRobin(name="rr"),
    )
    needs = router.needs(lead, POOL_A)
    assert needs.users == {"u1", "u2"}
    assert needs.state_keys == {state_key("rr", "pool-a/east", "cursor")}
    assert not needs.history
    assert PerformanceBased(users=("u1",)).needs(lead, POOL_A).history
    assert LeastLoaded().needs(lead, POOL_A).users == {"u1", "u2", "u3", "u4"}


def test_cursor_survives_a_restart_through_the_store() -> None:
    store = store_with_pool()
    owners = [assign_once(store, RoundRobin(), make_lead(f"L{i}")).owner_id for i in range(2)]
    # A new strategy object and a new context (a "restarted process") continue the rotation.
    owners += [assign_once(store, RoundRobin(), make_lead(f"M{i}")).owner_id for i in range(3)]
    assert owners == ["u1", "u2", "u3", "u1", "u2"]  # u4 is inactive


def test_away_periods_recorded_in_the_store_are_handed_in() -> None:
    store = store_with_pool()
    with store.unit_of_work() as uow:
        uow.set_away("u1", [Away("u1", T0, T0 + timedelta(hours=8))])
        uow.commit()
    choice = assign_once(store, LeastLoaded(), make_lead("L"))
    assert choice.owner_id in {"u2", "u3"}
    assert choice.excluded == {
        "u1": "away until 2026-03-02 17:00",
        "u4": "inactive (deactivated)",
    }


def test_store_track_record_counts_converted_and_lost() -> None:
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for lead in history("u1", "SaaS", 2, 1):
            uow.add_lead(lead)
        strategy = PerformanceBased(users=("u1",), min_sample=1)
        ctx = facts_for(uow, strategy, make_lead("L", industry="SaaS"))
        record = ctx.track_record("u1", "industry", "SaaS")
        assert (record.converted, record.decided) == (2, 3)
        assert record.rate == pytest.approx(2 / 3)


def test_away_period_is_validated() -> None:
    with pytest.raises(ValidationError, match="end: must be after start"):
        Away("u1", T0, T0)
    with pytest.raises(ValidationError, match="needs a timezone"):
        Away("u1", datetime(2026, 1, 1), T0)


def test_strategies_are_validated() -> None:
    with pytest.raises(ValidationError, match=r"capacity\[u1\]"):
        LeastLoaded(capacity={"u1": -1})
    with pytest.raises(ValidationError, match="steps"):
        Chain(())
    with pytest.raises(ValidationError, match="dimension"):
        PerformanceBased(dimension="mood")


def test_every_strategy_satisfies_the_protocol() -> None:
    for strategy in (
        RoundRobin(),
        WeightedRoundRobin(),
        LeastLoaded(),
        PerformanceBased(),
        east_router(),
        Chain((RoundRobin(),)),
    ):
        assert isinstance(strategy, Strategy)
        choice = strategy.choose_among(
            make_lead("L"), ctx_of("u1", "u2"), Team(("u1", "u2"), "x", "t")
        )
        assert isinstance(choice, Choice)


# --- batch planning -----------------------------------------------------------------------------


def test_plan_distribution_is_fair_and_leaves_context_untouched() -> None:
    ctx = ctx_of("u1", "u2", "u3", loads={"u1": 2})
    leads = [make_lead(f"L{i}") for i in range(7)]
    plan = plan_distribution(leads, LeastLoaded(), ctx)
    counts = plan.counts()
    assert sum(counts.values()) == 7
    assert {u: counts.get(u, 0) + (2 if u == "u1" else 0) for u in ("u1", "u2", "u3")} == {
        "u1": 3,
        "u2": 3,
        "u3": 3,
    }
    assert ctx.loads == {"u1": 2} and ctx.data == {}
    assert len(plan) == 7 and set(plan.owners()) == {lead.id for lead in leads}


def test_plan_skips_owned_and_repeated_leads() -> None:
    ctx = ctx_of("u1", "u2")
    owned = make_lead("O", status=LeadStatus.ASSIGNED, owner_id="u2")
    plan = plan_distribution([make_lead("A"), make_lead("A"), owned], RoundRobin(), ctx)
    reasons = [c.reason for c in plan]
    assert plan.choices[0].owner_id == "u1"
    assert reasons[1] == "lead A appears earlier in this batch; it is assigned once"
    assert reasons[2] == "lead O is already owned by u2; not assigned again"
    assert plan.state_updates == {"assign:round_robin:pool-a:cursor": "u1"}
