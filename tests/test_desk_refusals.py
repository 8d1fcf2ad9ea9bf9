"""Refusals that go through ``Setup.require``: the policy's answer, the thing named and the
reason in the ``PermissionDenied``, and nothing written."""

from __future__ import annotations

import pytest

from leadcore import Action, PermissionDenied
from leadcore.testing.world import World


def test_unmerge_is_refused_for_a_merged_lead_the_actor_may_not_merge(world: World) -> None:
    survivor = world.desk.create("sysadmin", "east", contact_name="王磊", phone="13800138000").id
    merged = world.desk.create("sysadmin", "north", contact_name="王", phone="13800138001").id
    world.desk.merge("sysadmin", [survivor, merged], survivor_id=survivor)
    before = world.store.snapshot()
    with pytest.raises(PermissionDenied) as caught:
        world.desk.unmerge("carol", survivor)  # admin of east, not of north
    assert caught.value.subject == f"lead {merged!r}"
    assert caught.value.action == Action.MERGE.value
    assert world.store.snapshot() == before
    world.desk.unmerge("sysadmin", survivor)
    assert world.desk.get("sysadmin", merged).merged_into is None


def test_transfer_and_pool_settings_name_what_was_refused(world: World) -> None:
    lead_id = world.desk.create("carol", "east", contact_name="李", phone="13800138002").id
    with pytest.raises(PermissionDenied) as transfer:
        world.desk.transfer("carol", lead_id, "north")
    assert transfer.value.subject == f"lead {lead_id!r} into pool 'north'"
    with pytest.raises(PermissionDenied) as configure:
        world.desk.update_pool("bob", "east", claim_enabled=False)
    assert configure.value.subject == "pool 'east'"
    assert configure.value.action == Action.CONFIGURE_POOL.value
