"""A small, realistic organisation and its pools, and a desk over any store: the shared world
of the desk's application test case (and of a host's own tests).

Users: ``sysadmin`` (system admin); ``carol`` (admin of pool ``east``); ``mgr`` (manages east
sales); ``bob`` and ``dave`` (reps in east sales); ``erin`` (rep in north, admin of pool
``north``); ``mia`` (marketing); ``zoe`` (deactivated); ``u1``…``u4`` (a team for strategies), ``c1``…``c8`` (claimers)
and ``admin`` (admin of the strategy pools).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from leadcore.assignment import LeastLoaded, RoundRobin, Strategy
from leadcore.clock import FixedClock
from leadcore.desk import LeadDesk
from leadcore.ids import counter_ids
from leadcore.model import Pool
from leadcore.org import Department, OrgChart, User
from leadcore.scoring import Scorer
from leadcore.storage.protocol import LeadStore

__all__ = [
    "CLAIMERS",
    "EAST",
    "NORTH",
    "OFF",
    "ORG",
    "REPS",
    "T0",
    "World",
    "make_world",
    "new_lead",
    "team_strategies",
]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday 2 March 2026, 09:00 UTC: when every world's clock starts."""

REPS = ("u1", "u2", "u3", "u4")
"""A team for assignment strategies."""

CLAIMERS = tuple(f"c{i}" for i in range(1, 9))
"""Eight reps who race to claim leads in the concurrency tests."""

ORG = OrgChart(
    users=[
        User("sysadmin", "系统管理员", department_id="hq", roles={"system_admin"}),
        User("carol", "Carol", department_id="east"),
        User("mgr", "East manager", department_id="east"),
        User("bob", "Bob", department_id="east_sales"),
        User("dave", "Dave", department_id="east_sales"),
        User("erin", "Erin", department_id="north"),
        User("mia", "Mia", department_id="marketing"),
        User("zoe", "Zoe", department_id="east_sales", active=False),
        User("admin", "Pool admin", department_id="hq"),
        *(User(rep, department_id="team") for rep in (*REPS, *CLAIMERS)),
    ],
    departments=[
        Department("hq", "总部"),
        Department("east", "华东大区", parent_id="hq", manager_id="mgr"),
        Department("east_sales", "华东销售", parent_id="east"),
        Department("north", "华北", parent_id="hq"),
        Department("marketing", "市场部", parent_id="hq"),
        Department("team", "电销组", parent_id="hq"),
    ],
)

EAST = Pool(
    id="east",
    name="华东线索池",
    admins={"carol"},
    claim_enabled=True,
    max_open_per_user=3,
    reminder_hours=24,
    recycle_hours=72,
)
NORTH = Pool(id="north", name="华北线索池", admins={"erin"}, default_owner_id="erin")
OFF = Pool(id="off", name="自建线索", enabled=False)


def team_strategies() -> dict[str, Strategy]:
    """Round robin (``rr``) and least loaded (``balance``) over the team ``u1``…``u4``."""
    return {
        "rr": RoundRobin(name="rr", users=REPS),
        "balance": LeastLoaded(name="balance", users=REPS),
    }


@attrs.define
class World:
    """A desk over a store, with its clock."""

    desk: LeadDesk
    store: LeadStore
    clock: FixedClock


def make_world(
    store: LeadStore,
    *pools: Pool,
    strategies: Mapping[str, Strategy] | None = None,
    scorer: Scorer | None = None,
    **desk_options: Any,
) -> World:
    """A desk over ``store`` with a replayable clock and ids, and ``pools`` created (default:
    ``EAST``, ``NORTH`` and ``OFF``). The team strategies are always there."""
    clock = FixedClock(T0)
    desk = LeadDesk(
        store,
        clock,
        desk_options.pop("org", ORG),
        ids=desk_options.pop("ids", counter_ids()),
        strategies={**team_strategies(), **(strategies or {})},
        scorer=scorer,
        **desk_options,
    )
    for pool in pools or (EAST, NORTH, OFF):
        desk.create_pool("sysadmin", pool)
    return World(desk, store, clock)


def new_lead(world: World, actor: str = "bob", pool: str = "east", **fields: Any) -> str:
    """Create a lead with valid contact details and return its id."""
    details: dict[str, Any] = {"contact_name": "王磊", "phone": "13800138000", **fields}
    return world.desk.create(actor, pool, **details).id
