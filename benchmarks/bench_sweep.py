"""The sweep and follow-ups: one sweep with 100 leads due among a large store ÷ among a small
one (the due-time index keeps it proportional to the leads due), and follow-ups per second."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench_store import filled_store
from timing import SMALL, interleaved, large_size, scaling_figure

from leadcore import FixedClock, LeadDesk, OrgChart, Pool, SlaPolicy, User, counter_ids
from leadcore.cadence import Cadence, CadencePlan

T0 = datetime(2027, 1, 4, 9, tzinfo=UTC)
OWNERS = [f"owner-{k}" for k in range(2000)]
DUE = 100
PLAN = CadencePlan(
    by_method={"phone": "FREQ=WEEKLY;BYDAY=MO,WE,FR", "wechat": Cadence.gap(days=3)},
    default=Cadence.gap(days=7),
)


def make_desk(size: int) -> tuple[LeadDesk, FixedClock]:
    """A desk over ``size`` stored leads (9 in 10 held, in pools ``pool-0``…``pool-9`` with a
    far-off timeout) and a pool ``hot`` with a one-hour timeout; swept once, so every held lead
    has its sweep time."""
    store = filled_store(size)
    org = OrgChart(users=[User("admin", roles={"system_admin"}), *(User(o) for o in OWNERS)])
    clock = FixedClock(T0)
    desk = LeadDesk(
        store,
        clock,
        org,
        ids=counter_ids("new-"),
        sla_policies={"cadence": SlaPolicy(cadence=PLAN)},
    )
    for k in range(10):
        desk.create_pool(
            "admin",
            Pool(
                id=f"pool-{k}",
                name=f"池{k}",
                admins={"admin"},
                reminder_hours=26_280,
                recycle_hours=52_560,
                sla_policy="cadence",
            ),
        )
    desk.create_pool(
        "admin", Pool(id="hot", name="热线索", admins={"admin"}, reminder_hours=1, recycle_hours=72)
    )
    desk.sweep(T0)  # keys every stored lead once (a pool's first sweep)
    return desk, clock


def sweep_cost(desk: LeadDesk, clock: FixedClock, round_: int) -> float:
    """Seconds for one sweep that finds ``DUE`` leads due (handed out an hour before)."""
    start = T0 + timedelta(hours=10 * (round_ + 1))
    clock.set(start)
    for n in range(DUE):
        lead = desk.create("admin", "hot", contact_name=f"客户{round_}-{n}", phone="13800138000")
        desk.assign("admin", lead.id, OWNERS[n])
    gc.collect()
    began = time.perf_counter()
    summary = desk.sweep(start + timedelta(hours=1))
    spent = time.perf_counter() - began
    assert summary.emitted == DUE and summary.looked_at == DUE, summary
    return spent


def sweep_scaling(quick: bool) -> dict[str, object]:
    """One sweep with 100 leads due among the large store ÷ among the small (target ≤ 2.0)."""
    small, large = SMALL, large_size(quick)
    desks = {size: make_desk(size) for size in (small, large)}
    rounds = {size: iter(range(3)) for size in desks}

    def sweeps(size: int) -> Callable[[], float]:
        return lambda: sweep_cost(*desks[size], next(rounds[size])) / DUE

    costs = interleaved({size: sweeps(size) for size in desks})
    figure = scaling_figure(costs, small=small, large=large, target="<= 2.0", op="lead_swept")
    return {**figure, "due": DUE}


def followup_rate(quick: bool) -> dict[str, object]:
    """``desk.follow_up`` calls per second at the small size (each re-keys the lead and asks
    the pool's cadence for the next due date)."""
    desk, _ = make_desk(10_000)
    held = [f"lead-{n:08d}-{n * 7919 % 100000:05d}" for n in range(10_000) if n % 10]
    count = 3_000
    best = float("inf")
    for k in range(3):
        chosen = held[k * count : (k + 1) * count]
        gc.collect()
        began = time.perf_counter()
        for n, lead_id in enumerate(chosen):
            owner = f"owner-{int(lead_id[5:13]) // 50}"
            desk.follow_up(
                owner,
                lead_id,
                method="wechat" if n % 2 else "phone",
                content="电话沟通需求",
                result="有意向",
            )
        best = min(best, (time.perf_counter() - began) / len(chosen))
    return {"value": round(1 / best), "unit": "follow-ups/s", "stored": 10_000}


BENCHMARKS = {"sweep_scaling": sweep_scaling, "followup_rate": followup_rate}
