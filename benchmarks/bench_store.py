"""MemoryStore scaling: add and owner-query cost at a large size against a small one; memory."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from timing import SMALL, interleaved, large_size, per_call, scaling_figure

from leadcore import Lead, LeadQuery, LeadStatus, MemoryStore

START = datetime(2026, 1, 1, tzinfo=UTC)
PER_OWNER = 50
INDUSTRIES = ("制造业", "零售", "SaaS", "教育", "医疗")
REGIONS = ("华东", "华北", "华南", "西南")


def realistic_lead(n: int) -> Lead:
    """The n-th lead of a realistic data set: full contact details; 9 in 10 assigned, 50 per owner."""
    assigned = n % 10 != 0
    return Lead(
        id=f"lead-{n:08d}-{n * 7919 % 100000:05d}",
        pool_id=f"pool-{n % 10}",
        created_by=f"user-{n % 997}",
        created_at=START + timedelta(seconds=n),
        contact_name=f"联系人{n}",
        company=f"星河{n % 5000}科技有限公司",
        phone=f"+86138{n % 100000000:08d}",
        email=f"contact{n}@example.com",
        source="web_form" if n % 3 else "event",
        industry=INDUSTRIES[n % len(INDUSTRIES)],
        region=REGIONS[n % len(REGIONS)],
        status=LeadStatus.ASSIGNED if assigned else LeadStatus.UNASSIGNED,
        owner_id=f"owner-{n // PER_OWNER}" if assigned else None,
    )


_MADE: list[Lead] = []


def realistic_leads(size: int) -> list[Lead]:
    """The first ``size`` realistic leads. Leads are immutable, so the benchmarks of one run
    share them: each store is filled without making its leads again."""
    _MADE.extend(realistic_lead(n) for n in range(len(_MADE), size))
    return _MADE[:size]


def filled_store(size: int) -> MemoryStore:
    """A MemoryStore holding ``size`` realistic leads."""
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for lead in realistic_leads(size):
            uow.add_lead(lead)
        uow.commit()
    return store


def add_cost(store: MemoryStore, first: int, count: int) -> float:
    """Seconds per lead to add ``count`` new leads, each in its own unit of work."""
    leads = [realistic_lead(n) for n in range(first, first + count)]
    gc.collect()
    start = time.perf_counter()
    for lead in leads:
        with store.unit_of_work() as uow:
            uow.add_lead(lead)
            uow.commit()
    return (time.perf_counter() - start) / count


def store_add_scaling(quick: bool) -> dict[str, object]:
    """Per-lead add cost at the large size ÷ at the small size (target ≤ 1.3)."""
    small, large = SMALL, large_size(quick)
    batch = 5_000
    stores = {size: filled_store(size) for size in (small, large)}
    rounds = {size: iter(range(3)) for size in stores}

    def adds(size: int) -> Callable[[], float]:
        return lambda: add_cost(stores[size], size + next(rounds[size]) * batch, batch)

    costs = interleaved({size: adds(size) for size in stores})
    return scaling_figure(costs, small=small, large=large, target="<= 1.3", op="add")


def owner_query(store: MemoryStore, owners: Iterator[str]) -> Callable[[], object]:
    """A function running "leads of owner X, first page of 50" for 200 different owners."""
    chosen = [next(owners) for _ in range(200)]

    def run() -> object:
        with store.unit_of_work() as uow:
            for owner in chosen:
                page = uow.find_leads(LeadQuery(owner_id=owner, limit=PER_OWNER))
                assert len(page) == PER_OWNER - PER_OWNER // 10 or len(page) == PER_OWNER, len(page)
        return None

    return run


def store_query_scaling(quick: bool) -> dict[str, object]:
    """Cost of "leads of owner X" (≈50 results) at the large size ÷ at the small (target ≤ 2.0)."""
    small, large = SMALL, large_size(quick)
    queries = {}
    for size in (small, large):
        owners = (
            f"owner-{k}" for k in range(0, size // PER_OWNER, max(1, size // PER_OWNER // 200))
        )
        run = owner_query(filled_store(size), owners)
        queries[size] = per_call(run, 200)
    timings = interleaved(queries)
    return scaling_figure(timings, small=small, large=large, target="<= 2.0", op="query")


def store_memory_per_lead(quick: bool) -> dict[str, object]:
    """Bytes per stored lead, the lead itself and every index included (target ≤ 2000)."""
    size = 20_000 if quick else 200_000
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = MemoryStore()  # with leads made here, not shared ones: their bytes count too
    with store.unit_of_work() as uow:
        for n in range(size):
            uow.add_lead(realistic_lead(n))
        uow.commit()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(store) == size
    return {
        "value": round((after - before) / size),
        "unit": "bytes/lead",
        "target": "<= 2000",
        "leads": size,
    }


BENCHMARKS = {
    "store_add_scaling": store_add_scaling,
    "store_query_scaling": store_query_scaling,
    "store_memory_per_lead": store_memory_per_lead,
}
