"""The desk's pool settings, on any store: a pool id follows the id rule every call uses,
every bad setting is named at once, and hours come back as the same type from every store."""

from __future__ import annotations

import pytest

from leadcore.errors import ValidationError
from leadcore.model import Pool
from leadcore.testing.desk_case import DeskCase

__all__ = ["PoolsCase"]


class PoolsCase(DeskCase):
    """Creating and configuring pools through the desk."""

    @pytest.mark.parametrize("pool_id", [" x4 ", "x4 ", "\tx4", "p" * 201])
    def test_a_pool_id_follows_the_id_rule_of_every_other_call(self, pool_id: str) -> None:
        with pytest.raises(ValidationError) as raised:
            Pool(id=pool_id, name="X")
        assert [p.field for p in raised.value.problems] == ["id"]
        world = self.world()
        before = world.store.snapshot()
        with pytest.raises(ValidationError):
            world.desk.create_pool("sysadmin", Pool(id=pool_id, name="X"))
        assert world.store.snapshot() == before

    def test_a_pool_id_of_the_longest_length_is_reachable(self) -> None:
        world = self.world()
        pool_id = "p" * 200
        world.desk.create_pool("sysadmin", Pool(id=pool_id, name="X"))
        assert world.desk.update_pool("sysadmin", pool_id, name="Y").name == "Y"

    def test_a_pool_names_every_bad_setting_at_once(self) -> None:
        with pytest.raises(ValidationError) as raised:
            Pool(
                id="p",
                name="P",
                admins="carol",  # type: ignore[arg-type]
                members="bob",  # type: ignore[arg-type]
                allowed_sources="web",  # type: ignore[arg-type]
                sales_stages=[""],
                conditions=None,  # type: ignore[arg-type]
                max_open_per_user=0,
                enabled="yes",  # type: ignore[arg-type]
                reminder_hours=0,
            )
        fields = {p.field for p in raised.value.problems}
        assert fields == {
            "admins",
            "members",
            "allowed_sources",
            "sales_stages[0]",
            "conditions",
            "max_open_per_user",
            "enabled",
            "reminder_hours",
        }

    def test_update_pool_names_every_bad_setting_and_reference_at_once(self) -> None:
        world = self.world()
        before = world.store.snapshot()
        with pytest.raises(ValidationError) as raised:
            world.desk.update_pool(
                "sysadmin",
                "east",
                max_open_per_user=0,
                default_owner_id="ghost",
                admins=["nobody"],
                auto_assign="nope",
                members="bob",  # type: ignore[arg-type]
                colour="red",  # type: ignore[call-arg]
            )
        fields = {p.field for p in raised.value.problems}
        assert fields == {
            "max_open_per_user",
            "default_owner_id",
            "admins",
            "auto_assign",
            "members",
            "colour",
        }
        assert world.store.snapshot() == before

    def test_create_pool_names_every_bad_reference_at_once(self) -> None:
        world = self.world()
        pool = Pool(id="p", name="P", admins={"ghost"}, default_owner_id="ghost", sla_policy="nope")
        with pytest.raises(ValidationError) as raised:
            world.desk.create_pool("sysadmin", pool)
        fields = {p.field for p in raised.value.problems}
        assert fields == {"admins", "default_owner_id", "sla_policy"}

    def test_hours_come_back_as_floats_from_every_store_and_path(self) -> None:
        world = self.world()
        changed = world.desk.update_pool("sysadmin", "east", claim_cooldown_hours=5)
        with world.store.unit_of_work() as uow:
            stored = uow.get_pool("east")
        for pool in (changed, stored):
            assert type(pool.reminder_hours) is float and pool.reminder_hours == 24
            assert type(pool.claim_cooldown_hours) is float and pool.claim_cooldown_hours == 5
        assert repr(changed) == repr(stored)
        assert Pool(id="p", name="P", recycle_hours=72).recycle_hours == 72.0
        assert type(Pool(id="p", name="P", recycle_hours=72).recycle_hours) is float

    def test_ids_that_cannot_be_in_a_set_are_refused_by_name(self) -> None:
        with pytest.raises(ValidationError) as raised:
            Pool(id="p", name="P", admins=[["u1"]])  # type: ignore[list-item]
        assert [p.field for p in raised.value.problems] == ["admins"]
