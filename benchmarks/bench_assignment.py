"""Assignment: round-robin fairness, assignment rate through rules + load balancing, and how the
per-lead cost scales with the number of open leads in the store (loads come from an index)."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from timing import SMALL, interleaved, large_size, scaling_figure

from leadcore import Lead, LeadStatus, MemoryStore, OrgChart, User
from leadcore.assignment import (
    RoundRobin,
    Strategy,
    build_strategy,
    distribution_needs,
    plan_distribution,
)
from leadcore.desk import context_for
from leadcore.frozen import replace
from leadcore.testing.factories import make_pool

START = datetime(2026, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=400)
REGIONS = ("华东", "华北", "华南", "西南", "华中")
USERS = tuple(f"u{k:02d}" for k in range(50))
ORG = OrgChart(users=[User(u) for u in USERS])


def team_router() -> Strategy:
    """Five regions, ten reps each; score ≥ 90 goes to the first three of each team; least
    loaded with a cap picks the member."""
    teams = {r: list(USERS[i * 10 : i * 10 + 10]) for i, r in enumerate(REGIONS)}
    return build_strategy(
        {
            "kind": "router",
            "name": "bench",
            "teams": teams,
            "rules": [
                *(
                    {"when": {"region": r, "score": {"min": 90}}, "users": teams[r][:3]}
                    for r in REGIONS
                ),
                *({"when": {"region": r}, "team": r} for r in REGIONS),
            ],
            "default": USERS[:10],
            "then": {"kind": "least_loaded", "default_capacity": 1_000_000},
        }
    )


def open_lead(n: int) -> Lead:
    """The n-th lead already held: spread over the 50 users, regions and sources."""
    return Lead(
        id=f"open-{n:08d}",
        pool_id="pool-a",
        created_by="import",
        created_at=START + timedelta(seconds=n),
        company=f"星河{n % 5000}科技有限公司",
        phone=f"+86138{n % 100000000:08d}",
        source="web_form" if n % 3 else "event",
        region=REGIONS[n % len(REGIONS)],
        status=LeadStatus.ASSIGNED if n % 2 else LeadStatus.FOLLOWING,
        owner_id=USERS[n % len(USERS)],
    )


def new_leads(first: int, count: int) -> list[Lead]:
    """Unassigned leads to hand out, with regions and scores for the rules."""
    return [
        Lead(
            id=f"new-{n:08d}",
            pool_id="pool-a",
            created_by="import",
            created_at=NOW,
            company=f"新客户{n}",
            region=REGIONS[n % len(REGIONS)],
            score=float(n * 37 % 100),
        )
        for n in range(first, first + count)
    ]


POOL = make_pool("pool-a", members=set(USERS))


def filled_store(open_leads: int) -> MemoryStore:
    """A store with the pool and ``open_leads`` leads held by the 50 users."""
    store = MemoryStore()
    with store.unit_of_work() as uow:
        uow.add_pool(POOL)
        for n in range(open_leads):
            uow.add_lead(open_lead(n))
        uow.commit()
    return store


def assign_each(store: MemoryStore, strategy: Strategy, leads: Sequence[Lead], seed: int) -> int:
    """Assign each lead in its own unit of work, as the desk does: load the facts the strategy
    needs, choose, write the strategy state, store the lead with its owner. Returns how many
    got an owner."""
    rng = random.Random(seed)
    assigned = 0
    for lead in leads:
        with store.unit_of_work() as uow:
            ctx = context_for(uow, ORG, strategy.needs(lead, POOL), [POOL], now=NOW, rng=rng)
            choice = strategy.choose(lead, ctx)
            for key, value in choice.state_updates.items():
                uow.set_state(key, value)
            if choice.owner_id is not None:
                uow.add_lead(
                    replace(lead, status=LeadStatus.ASSIGNED, owner_id=choice.owner_id, version=1)
                )
                assigned += 1
            uow.commit()
    return assigned


def timed_assign(store: MemoryStore, strategy: Strategy, leads: Sequence[Lead]) -> float:
    """Seconds to assign ``leads`` one by one (garbage collection paused)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        assigned = assign_each(store, strategy, leads, seed=1)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    assert assigned == len(leads), (assigned, len(leads))
    return elapsed


def assign_fairness(quick: bool) -> dict[str, object]:
    """Round robin over 10 users and 10,007 leads through the store: max − min of counts."""
    users = USERS[:10]
    store = filled_store(0)
    leads = new_leads(0, 10_007)
    assign_each(store, RoundRobin(users=users), leads, seed=1)
    with store.unit_of_work() as uow:
        counts = {u: uow.count_by_status(owner_id=u).get(LeadStatus.ASSIGNED, 0) for u in users}
    return {
        "value": max(counts.values()) - min(counts.values()),
        "unit": "leads",
        "target": "<= 1",
        "users": len(users),
        "leads": len(leads),
        "min": min(counts.values()),
        "max": max(counts.values()),
    }


def assign_rate(quick: bool) -> dict[str, object]:
    """Leads assigned per second through rule routing + least loaded (50 users, 100k open
    leads in the store), each in its own unit of work; the batch planner's rate as context."""
    store = filled_store(100_000)
    strategy = team_router()
    count = 5_000 if quick else 20_000
    timed_assign(store, strategy, new_leads(0, 500))  # warm up
    elapsed = min(
        timed_assign(store, strategy, new_leads(1_000 + k * count, count)) for k in range(2)
    )
    batch = new_leads(10_000_000, count)
    with store.unit_of_work() as uow:
        start = time.perf_counter()
        needs = distribution_needs(batch, strategy, {POOL.id: POOL})
        ctx = context_for(uow, ORG, needs, [POOL], now=NOW, rng=random.Random(2))
        plan = plan_distribution(batch, strategy, ctx)
        planned = time.perf_counter() - start
    assert len(plan.owners()) == count
    return {
        "value": round(count / elapsed),
        "unit": "leads/s",
        "target": ">= 20000",
        "users": len(USERS),
        "open_leads": 100_000,
        "leads": count,
        "us_per_lead": round(elapsed / count * 1e6, 2),
        "batch_plan_leads_per_s": round(count / planned),
    }


def assign_scaling(quick: bool) -> dict[str, object]:
    """Per-lead assignment cost with 1M (quick: 100k) open leads ÷ with 10k (target ≤ 1.5)."""
    small, large = SMALL, large_size(quick)
    count = 3_000
    strategy = team_router()
    stores = {size: filled_store(size) for size in (small, large)}
    rounds = {size: iter(range(3)) for size in stores}
    for store in stores.values():
        timed_assign(store, strategy, new_leads(0, 300))  # warm up

    def assigns(size: int) -> Callable[[], float]:
        def timed() -> float:
            leads = new_leads(1_000 + next(rounds[size]) * count, count)
            return timed_assign(stores[size], strategy, leads) / count

        return timed

    costs = interleaved({size: assigns(size) for size in stores})
    return scaling_figure(costs, small=small, large=large, target="<= 1.5", op="lead")


BENCHMARKS = {
    "assign_fairness": assign_fairness,
    "assign_rate": assign_rate,
    "assign_scaling": assign_scaling,
}
