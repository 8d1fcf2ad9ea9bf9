"""A desk's id factory: what it makes is checked, and a refused request uses up no id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadcore import (
    FixedClock,
    LeadDesk,
    MemoryStore,
    OrgChart,
    Pool,
    User,
    ValidationError,
    counter_ids,
)
from leadcore.testing.world import T0, make_world, new_lead


def _desk(ids: Callable[..., object]) -> LeadDesk:
    org = OrgChart(users=[User("admin", roles={"system_admin"})])
    desk = LeadDesk(MemoryStore(), FixedClock(T0), org, ids=ids)  # type: ignore[arg-type]
    desk.create_pool("admin", Pool(id="p", name="P"))
    return desk


@pytest.mark.parametrize("made", [5, "", "  L1", "L\u200b1", "x" * 500, None], ids=repr)
def test_an_id_the_factory_makes_that_cannot_be_kept_is_refused_by_name(made: object) -> None:
    desk = _desk(lambda kind: made)
    with pytest.raises(ValidationError, match=r"ids\('lead'\)"):
        desk.create("admin", "p", contact_name="王", phone="13800138000")


def test_a_factory_that_takes_no_kind_is_refused_when_the_desk_is_made() -> None:
    with pytest.raises(ValidationError, match="ids: must take the kind"):
        _desk(lambda: "L1")


def test_a_refused_access_request_uses_up_no_grant_id() -> None:
    world = make_world(MemoryStore(), ids=counter_ids())
    lead_id = new_lead(world)
    wrong: tuple[Any, ...] = (0, -1, "24", 10**6)
    for hours in wrong:
        with pytest.raises(ValidationError, match="hours"):
            world.desk.request_access("erin", lead_id, reason="复核", hours=hours)
    grant = world.desk.request_access("erin", lead_id, reason="复核", hours=4)
    assert grant.id == "G1"
