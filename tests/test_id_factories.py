"""A desk's id factory: what it makes is checked, and a refused request uses up no id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
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
from leadcore.storage import LeadStore
from leadcore.testing.world import ORG, T0, World, make_world, new_lead, team_strategies


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


def _restarted(store: LeadStore) -> World:
    """A desk started again over ``store``: a fresh counter, the pools already there."""
    desk = LeadDesk(store, FixedClock(T0), ORG, ids=counter_ids(), strategies=team_strategies())
    return World(desk, store, FixedClock(T0))


def _gapped_store() -> tuple[MemoryStore, list[str]]:
    """A store whose lead ids have a gap: L2 was taken by a create that was then refused."""
    world = make_world(MemoryStore(), ids=counter_ids())
    made = [new_lead(world)]
    with pytest.raises(ValidationError, match="owner_id"):
        world.desk.create("carol", "east", contact_name="王", phone="13700137000", owner_id="zed")
    made.append(new_lead(world, phone="13600136000"))
    assert isinstance(world.store, MemoryStore)
    return world.store, made


def test_a_restarted_desk_runs_past_a_stored_lead_left_behind_a_gap() -> None:
    store, made = _gapped_store()
    assert made == ["L1", "L3"]
    again = _restarted(store)
    first = new_lead(again, phone="13500135000")
    second = new_lead(again, phone="13400134000")  # L3 is taken: run again as L4
    assert (first, second) == ("L2", "L4")
    with store.unit_of_work() as uow:
        assert sorted(uow.get_leads(["L1", "L2", "L3", "L4"])) == ["L1", "L2", "L3", "L4"]
        assert uow.get_lead("L3").phone == "+8613600136000", "the stored lead is untouched"


def test_a_new_grant_never_overwrites_a_stored_one_behind_a_gap() -> None:
    world = make_world(MemoryStore(), ids=counter_ids())
    lead_id = new_lead(world)
    world.desk.request_access("erin", lead_id, reason="复核", hours=4)  # G1
    with world.store.unit_of_work() as uow:  # a gap: G2 was taken, then the request refused
        uow.put_grant(attrs.evolve(uow.get_grant("G1"), id="G3"))
        uow.commit()
    restarted = _restarted(world.store)
    assert restarted.desk.request_access("erin", lead_id, reason="再次复核", hours=2).id == "G2"
    assert restarted.desk.request_access("erin", lead_id, reason="第三次", hours=2).id == "G4"
    with world.store.unit_of_work() as uow:
        assert uow.get_grant("G3").reason == "复核"
