"""Pages and grants that scale: the three selective views of a large pool, and ``can()`` for a
user with thousands of expired grants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from timing import SMALL, best_of, interleaved, large_size, per_call, scaling_figure

from leadcore import (
    Action,
    FixedClock,
    Grant,
    GrantStatus,
    Lead,
    LeadDesk,
    LeadStatus,
    MemoryStore,
    OrgChart,
    Page,
    Pool,
    User,
    counter_ids,
)

T0 = datetime(2027, 1, 1, tzinfo=UTC)
OWNERS = [f"rep-{k}" for k in range(200)]
STATUSES = (
    LeadStatus.ASSIGNED,
    LeadStatus.FOLLOWING,
    LeadStatus.UNASSIGNED,
    LeadStatus.FOLLOWING,
    LeadStatus.ASSIGNED,
    LeadStatus.INVALID,
)
ORG = OrgChart(
    users=[
        User("root", roles={"system_admin"}),
        User("admin"),
        User("whale"),
        User("outsider"),
        *map(User, OWNERS),
    ]
)


def _lead(n: int) -> Lead:
    status = STATUSES[n % len(STATUSES)]
    owner = None
    if status is not LeadStatus.UNASSIGNED:
        owner = "whale" if n % 10 == 0 else OWNERS[n % len(OWNERS)]
    return Lead(
        id=f"lead-{n:08d}",
        pool_id="big",
        created_by="admin",
        created_at=T0 - timedelta(seconds=n),
        contact_name=f"客户{n}",
        phone="+8613800138000",
        status=status,
        owner_id=owner,
        invalid_reason="空号" if status is LeadStatus.INVALID else None,
        version=1,
    )


def desk_of(size: int) -> LeadDesk:
    """A desk over ``size`` leads in one pool: ``whale`` owns a tenth of them, ``outsider`` is a
    member who may see none (the pool does not allow claiming), ``admin`` runs it."""
    store = MemoryStore()
    desk = LeadDesk(store, FixedClock(T0), ORG, ids=counter_ids())
    desk.create_pool("root", Pool(id="big", name="大池", admins={"admin"}))
    with store.unit_of_work() as uow:
        for n in range(size):
            uow.add_lead(_lead(n))
        uow.commit()
    return desk


VIEWS: dict[str, Callable[[LeadDesk], Page]] = {
    "owner_with_a_tenth": lambda desk: desk.leads("whale", view="mine", limit=50),
    "pool_by_status": lambda desk: desk.leads(
        "admin", view="pool", pool_id="big", statuses=["following"], limit=50
    ),
    "member_who_sees_none": lambda desk: desk.leads(
        "outsider", view="pool", pool_id="big", limit=50
    ),
}


def view_selective_scaling(quick: bool) -> dict[str, object]:
    """The worst of the three selective views, per page, at the large size ÷ the small size
    (target ≤ 2.0)."""
    small, large = SMALL, large_size(quick)
    measures: dict[tuple[str, int], Callable[[], float]] = {}
    for size in (small, large):
        desk = desk_of(size)
        for name, view in VIEWS.items():
            page = view(desk)
            assert len(page) == (0 if name == "member_who_sees_none" else 50), (name, len(page))

            def pages(d: LeadDesk = desk, v: Callable[[LeadDesk], Page] = view) -> None:
                for _ in range(20):
                    v(d)

            measures[name, size] = per_call(pages, 20)
    timings = interleaved(measures)
    per_view = {name: {size: timings[name, size] for size in (small, large)} for name in VIEWS}
    ratios = {name: costs[large] / costs[small] for name, costs in per_view.items()}
    worst = max(ratios, key=lambda name: ratios[name])
    figure = scaling_figure(per_view[worst], small=small, large=large, target="<= 2.0", op="page")
    figure["worst"] = worst
    figure["ratios"] = {name: round(r, 3) for name, r in ratios.items()}
    return figure


def grant_scaling(quick: bool) -> dict[str, object]:
    """``can()`` for a user with 5,000 expired grants ÷ with none (target ≤ 1.5), on two
    desks over the same leads, asked in turn."""
    target = "lead-00000002"  # unassigned: only a grant would let erin… let "outsider" see it
    plain, granted = desk_of(10_000), desk_of(10_000)
    with granted.store.unit_of_work() as uow:
        for k in range(5_000):
            lead_id = target if k % 50 == 0 else f"lead-{k:08d}"
            start = T0 - timedelta(days=30, minutes=k)
            uow.put_grant(
                Grant(
                    id=f"G-old-{k}",
                    grantee_id="outsider",
                    lead_id=lead_id,
                    reason="旧的协助",
                    requested_at=start,
                    hours=2,
                    status=GrantStatus.APPROVED,
                    approved_by="admin",
                    approved_at=start,
                    expires_at=start + timedelta(hours=2),
                )
            )
        uow.commit()

    def cost(desk: LeadDesk) -> Callable[[], float]:
        def ask() -> None:
            for _ in range(200):
                assert not desk.can("outsider", Action.VIEW, target).allowed

        return lambda: best_of(ask) / 200

    costs = interleaved({"none": cost(plain), "expired": cost(granted)}, rounds=5)
    return {
        "value": round(costs["expired"] / costs["none"], 3),
        "unit": "ratio",
        "target": "<= 1.5",
        "expired_grants": 5_000,
        "us_per_can_none": round(costs["none"] * 1e6, 2),
        "us_per_can_expired": round(costs["expired"] * 1e6, 2),
    }


BENCHMARKS = {
    "view_selective_scaling": view_selective_scaling,
    "grant_scaling": grant_scaling,
}
