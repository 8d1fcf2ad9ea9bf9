"""LeadDesk scaling: create (validate, audit, assign) and the "my leads" view, large vs small."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench_store import filled_store
from timing import SMALL, interleaved, large_size, per_call, scaling_figure

from leadcore import FixedClock, LeadDesk, OrgChart, Pool, User, counter_ids

T0 = datetime(2027, 1, 1, tzinfo=UTC)
OWNERS = [f"owner-{k}" for k in range(2000)]


def make_desk(size: int) -> LeadDesk:
    """A desk over a store already holding ``size`` realistic leads (50 per owner), with pools."""
    store = filled_store(size)
    org = OrgChart(users=[User("admin", roles={"system_admin"}), *(User(o) for o in OWNERS)])
    desk = LeadDesk(store, FixedClock(T0), org, ids=counter_ids("new-"))
    desk.create_pool("admin", Pool(id="bench", name="基准线索池", default_owner_id="owner-1"))
    for k in range(10):
        desk.create_pool("admin", Pool(id=f"pool-{k}", name=f"池{k}", admins={"admin"}))
    return desk


def create_cost(desk: LeadDesk, count: int, offset: int) -> float:
    """Seconds per ``desk.create`` of a lead with full, valid contact details."""
    gc.collect()
    start = time.perf_counter()
    for n in range(offset, offset + count):
        desk.create(
            "owner-7",
            "bench",
            contact_name=f"联系人{n}",
            company=f"星河{n % 500}科技有限公司",
            phone=f"1380013{n % 10000:04d}",
            email=f"c{n}@example.com",
            source="web_form",
            industry="制造业",
            region="华东",
        )
    return (time.perf_counter() - start) / count


def desk_create_scaling(quick: bool) -> dict[str, object]:
    """Per-lead ``desk.create`` cost at the large size ÷ at the small size (target ≤ 1.3)."""
    small, large = SMALL, large_size(quick)
    desks = {size: make_desk(size) for size in (small, large)}
    rounds = {size: iter(range(3)) for size in desks}

    def creates(size: int) -> Callable[[], float]:
        return lambda: create_cost(desks[size], 3_000, next(rounds[size]) * 3_000)

    costs = interleaved({size: creates(size) for size in desks})
    return scaling_figure(costs, small=small, large=large, target="<= 1.3", op="create")


def desk_create_rate(quick: bool) -> dict[str, object]:
    """``desk.create`` calls per second at the small size (aim ≥ 20,000/s)."""
    desk = make_desk(10_000)
    # The best of eight short rounds: this machine's speed drifts, and the lowest cost is the
    # one least disturbed by whatever else ran at the time.
    cost = min(create_cost(desk, 2_000, k * 2_000) for k in range(8))
    return {"value": round(1 / cost), "unit": "creates/s", "aim": ">= 20000", "stored": 10_000}


def desk_view_scaling(quick: bool) -> dict[str, object]:
    """A "my leads" page of 50 at the large size ÷ at the small size (target ≤ 2.0)."""
    small, large = SMALL, large_size(quick)
    measures: dict[int, Callable[[], float]] = {}
    for size in (small, large):
        desk = make_desk(size)
        owners = [f"owner-{k}" for k in range(0, min(size // 50, 2000), 10)][:100]

        def pages(desk: LeadDesk = desk, owners: list[str] = owners) -> None:
            for owner in owners:
                page = desk.leads(owner, view="mine", limit=50)
                assert len(page) >= 45, len(page)

        measures[size] = per_call(pages, len(owners))
    timings = interleaved(measures)
    return scaling_figure(timings, small=small, large=large, target="<= 2.0", op="page")


BENCHMARKS = {
    "desk_create_scaling": desk_create_scaling,
    "desk_view_scaling": desk_view_scaling,
    "desk_create_rate": desk_create_rate,
}
