"""Regressions: each test is a mistake a user once made that got through, and must not again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from leadcore import PermissionDenied, Policy, ValidationError
from leadcore.model import Pool
from leadcore.records import Away
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.world import T0, new_lead

__all__ = ["RegressionsCase"]

_CAPPED = Pool(id="m", name="M", admins={"carol"}, claim_enabled=True, max_open_per_user=1)


class RegressionsCase(DeskCase):
    """Regressions found by using the desk as a new user would."""

    def test_a_padded_owner_id_is_the_user_it_names(self) -> None:
        """``"bob "`` is bob: the away rule and the cap bind him, and the lead is his."""
        world = self.world(_CAPPED)
        desk = world.desk
        first = new_lead(world, "carol", "m")
        second = new_lead(world, "carol", "m", phone="13900139000")
        assert desk.assign("carol", first, " bob").owner_id == "bob"
        before = world.store.snapshot()
        for padded in ("bob ", " bob", "bob\n"):
            with pytest.raises(ValidationError, match="cap"):
                desk.assign("carol", second, padded)
        with pytest.raises(ValidationError, match="already owns") as caught:
            desk.change_owner("carol", first, "bob ")
        assert caught.value.fields == ("new_owner_id",)
        assert world.store.snapshot() == before
        assert desk.leads("bob", view="mine").ids == [first]

    def test_a_wrong_owner_argument_is_named_as_the_caller_wrote_it(self) -> None:
        world = self.world()
        lead = new_lead(world)
        desk = world.desk
        calls: list[tuple[Callable[[], object], str]] = [
            (lambda: desk.assign("carol", lead, None), "owner_id"),  # type: ignore[arg-type]
            (lambda: desk.change_owner("carol", lead, 5), "new_owner_id"),  # type: ignore[arg-type]
            (lambda: desk.transfer("carol", lead, None), "to_pool_id"),  # type: ignore[arg-type]
        ]
        for call, field in calls:
            with pytest.raises(ValidationError) as caught:
                call()
            assert caught.value.fields == (field,)

    def test_a_user_away_cannot_claim(self) -> None:
        world = self.world()
        lead = new_lead(world)
        world.desk.set_away(
            "dave", "dave", [Away("dave", T0 - timedelta(hours=1), T0 + timedelta(days=2))]
        )
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied, match="away until"):
            world.desk.claim("dave", lead)
        assert world.store.snapshot() == before

    def test_offsets_and_counts_see_only_what_a_collaborator_role_reach_shows(self) -> None:
        """A policy whose plain collaborators see only open leads: their offset skips, and
        their pool summary counts, only the leads they see."""
        config = Policy.default().to_dict()
        for rule in config["rules"]:
            if rule["role"] == "collaborator":
                rule["statuses"] = ["assigned", "following"]
        world = self.world(
            Pool(id="east", name="华东池", admins={"carol"}, members={"bob", "erin"}),
            policy=Policy.from_dict(config),
        )
        desk = world.desk
        ids = []
        for i in range(4):
            world.clock.advance(minutes=5)
            lead = new_lead(world, "carol", "east", phone=f"1380013800{i}")
            desk.assign("carol", lead, "bob")
            desk.add_collaborators("bob", lead, ["erin"])
            ids.append(lead)
        desk.close_lost("bob", ids[3], "no budget")
        desk.close_lost("bob", ids[2], "no budget")
        assert desk.leads("erin", view="collaborating").ids == [ids[1], ids[0]]
        assert desk.leads("erin", view="collaborating", offset=1).ids == [ids[0]]
        assert desk.pool_summary("erin", "east").total == 2
