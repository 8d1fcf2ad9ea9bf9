"""A small, realistic organisation and desk for the desk tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from leadcore import (
    Department,
    FixedClock,
    LeadDesk,
    MemoryStore,
    OrgChart,
    Pool,
    User,
    counter_ids,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# sysadmin: system admin. carol: admin of pool "east". bob, dave: reps in east sales.
# erin: rep in north sales. mia: marketing. mgr: manages east sales. zoe: inactive.
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
    ],
    departments=[
        Department("hq", "总部"),
        Department("east", "华东大区", parent_id="hq", manager_id="mgr"),
        Department("east_sales", "华东销售", parent_id="east"),
        Department("north", "华北", parent_id="hq"),
        Department("marketing", "市场部", parent_id="hq"),
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


@attrs.define
class World:
    """A desk over a fresh store, with its clock, and the pools above created."""

    desk: LeadDesk
    store: MemoryStore
    clock: FixedClock


def make_world(*pools: Pool) -> World:
    """A desk with a replayable clock and ids, and the given pools (default: all three)."""
    store = MemoryStore()
    clock = FixedClock(T0)
    desk = LeadDesk(store, clock, ORG, ids=counter_ids("id-"))
    for pool in pools or (EAST, NORTH, OFF):
        desk.create_pool("sysadmin", pool)
    return World(desk, store, clock)


def new_lead(world: World, actor: str = "bob", pool: str = "east", **fields: Any) -> str:
    """Create a lead with valid contact details and return its id."""
    details: dict[str, Any] = {"contact_name": "王磊", "phone": "13800138000", **fields}
    return world.desk.create(actor, pool, **details).id
