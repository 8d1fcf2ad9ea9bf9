"""Edges of the desk's operations: arguments that are not what they should be, calls that
change nothing, and what a refusal may tell about a lead one may not see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from leadcore import (
    Action,
    AlreadyClaimed,
    CustomField,
    CustomFieldSet,
    FieldType,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.org import User
from leadcore.records import Away
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.world import ORG, World, new_lead

__all__ = ["EdgesCase"]

_NOT_MAPPINGS: tuple[object, ...] = ("x", 5, b"x", [("a", 1)])
_NOT_DEPARTMENTS: tuple[object, ...] = (5, ["x"], {"a": 1}, "", " east ")


class _PeopleOnly:
    """An org directory that knows users but not departments."""

    def user(self, user_id: str) -> User:
        return ORG.user(user_id)

    def subordinates(self, user_id: str) -> frozenset[str]:
        return ORG.subordinates(user_id)


def _each_refused(
    world: World,
    field: str,
    values: Iterable[object],
    call: Callable[[object], object],
    match: str | None = None,
) -> None:
    """``call(value)`` for each of ``values`` raises ``ValidationError`` naming ``field`` alone
    (and matching ``match``), and the store is left as it was."""
    before = world.store.snapshot()
    for value in values:
        with pytest.raises(ValidationError, match=match) as caught:
            call(value)
        assert caught.value.fields == (field,)
    assert world.store.snapshot() == before


def _fields() -> CustomFieldSet:
    return CustomFieldSet(
        [
            CustomField("urgency", FieldType.CHOICE, required=True, options=("urgent", "normal")),
            CustomField("seats", FieldType.NUMBER),
            CustomField("note", FieldType.TEXT),
        ]
    )


class EdgesCase(DeskCase):
    """Bad arguments refused by name, no-op calls that write nothing, claims that reveal
    nothing."""

    def custom_world(self) -> tuple[World, str]:
        """A desk with a required ``urgency``, a ``seats`` number and a ``note``, and one lead
        in east (unassigned, urgency "urgent")."""
        world = self.world(custom_fields=_fields())
        return world, new_lead(world, actor="carol", custom_fields={"urgency": "urgent"})

    # --- custom fields ---------------------------------------------------------------------------

    def test_edit_refuses_custom_fields_that_are_not_a_mapping_as_create_does(self) -> None:
        world = self.world()
        lead_id = new_lead(world, actor="carol")
        before = world.store.snapshot()
        for junk in _NOT_MAPPINGS:
            with pytest.raises(ValidationError) as created:
                new_lead(world, actor="carol", custom_fields=junk)
            with pytest.raises(ValidationError) as edited:
                world.desk.edit("carol", lead_id, custom_fields=junk)  # type: ignore[arg-type]
            assert edited.value.fields == ("custom_fields",)
            assert edited.value.problems == created.value.problems
        assert world.store.snapshot() == before

    def test_edit_may_not_remove_a_required_custom_field(self) -> None:
        world, lead_id = self.custom_world()
        _each_refused(
            world,
            "custom_fields.urgency",
            (None, ""),
            lambda empty: world.desk.edit("carol", lead_id, custom_fields={"urgency": empty}),
            match="is required",
        )
        world.desk.edit("carol", lead_id, custom_fields={"note": "回访"})
        edited = world.desk.edit(
            "carol", lead_id, custom_fields={"note": None, "urgency": "normal"}
        )
        assert edited.custom_fields == {"urgency": "normal"}, "an optional field may go"

    def test_a_whole_number_too_long_to_store_is_refused_on_every_store(self) -> None:
        world, lead_id = self.custom_world()
        _each_refused(
            world,
            "custom_fields.seats",
            (10**5000, 10**100, -(10**100)),
            lambda huge: world.desk.edit("carol", lead_id, custom_fields={"seats": huge}),
            match="at most 100 digits",
        )
        largest = 10**100 - 1
        world.desk.edit("carol", lead_id, custom_fields={"seats": largest})
        assert world.desk.get("carol", lead_id).custom_fields["seats"] == largest

    # --- departments -----------------------------------------------------------------------------

    def test_assign_and_change_owner_take_only_a_known_department(self) -> None:
        world = self.world()
        desk = world.desk
        lead_id = new_lead(world, actor="carol")
        _each_refused(
            world,
            "department_id",
            (*_NOT_DEPARTMENTS, "no-such-department"),
            lambda junk: desk.assign("carol", lead_id, "bob", department_id=junk),  # type: ignore[arg-type]
        )
        desk.assign("carol", lead_id, "bob", department_id="east")
        assert desk.get("carol", lead_id).department_id == "east"
        assert desk.leads("carol", view="pool", pool_id="east").ids == [lead_id], "reads back"
        _each_refused(
            world,
            "department_id",
            (*_NOT_DEPARTMENTS, "no-such-department"),
            lambda junk: desk.change_owner("carol", lead_id, "dave", department_id=junk),  # type: ignore[arg-type]
        )
        assert desk.change_owner("carol", lead_id, "dave").department_id == "east_sales"

    def test_away_periods_are_kept_in_utc_however_they_are_given(self) -> None:
        world = self.world()
        shanghai = timezone(timedelta(hours=8))
        start = datetime(2026, 3, 9, 9, tzinfo=shanghai)
        given: list[Away | tuple[datetime, datetime]] = [
            Away("dave", start, start + timedelta(days=1)),
            (start, start + timedelta(hours=2)),
        ]
        stored = world.desk.set_away("dave", "dave", given)
        assert [p.start.utcoffset() for p in stored] == [timedelta(0)] * 2
        assert stored[0].start == start and stored[0].start.hour == 1
        with world.store.unit_of_work() as uow:
            kept = uow.away_periods(["dave"])["dave"]
        assert sorted(kept, key=lambda p: p.end) == sorted(stored, key=lambda p: p.end)

    def test_a_directory_without_departments_still_needs_an_id(self) -> None:
        world = self.world(org=_PeopleOnly())
        lead_id = new_lead(world, actor="carol")
        _each_refused(
            world,
            "department_id",
            _NOT_DEPARTMENTS,
            lambda junk: world.desk.assign("carol", lead_id, "bob", department_id=junk),  # type: ignore[arg-type]
        )
        lead = world.desk.assign("carol", lead_id, "bob", department_id="elsewhere")
        assert world.desk.get("carol", lead.id).department_id == "elsewhere"

    # --- what a claim tells -------------------------------------------------------------------

    def test_a_claim_tells_a_member_nothing_of_a_lead_that_never_waited(self) -> None:
        world = self.world()
        desk = world.desk
        desk.update_pool("sysadmin", "east", default_owner_id="dave")
        handed = new_lead(world, actor="carol")  # dave owns it at once: it never waited
        passed = new_lead(world, actor="carol")
        world.clock.advance(hours=1)
        desk.change_owner("carol", passed, "bob")  # from dave to bob: still it never waited
        missing = desk.can("erin", Action.CLAIM, "L404").reason
        before = world.store.snapshot()
        for lead_id in (handed, passed):
            with pytest.raises(NotFound) as caught:
                desk.claim("erin", lead_id)  # erin is a member of east, but sees neither
            assert str(caught.value) == str(NotFound("lead", lead_id))
            assert desk.can("erin", Action.CLAIM, lead_id).reason == missing.replace(
                "L404", lead_id
            )
        assert world.store.snapshot() == before

    def test_a_claim_that_lost_the_race_says_too_late_while_the_winner_holds_it(self) -> None:
        world = self.world()
        desk = world.desk
        lead_id = new_lead(world, actor="carol")
        desk.claim("bob", lead_id)
        desk.follow_up("bob", lead_id, method="phone", content="初次沟通", result="有意向")
        with pytest.raises(AlreadyClaimed) as caught:
            desk.claim("erin", lead_id)
        assert caught.value.owner_id is None and "bob" not in str(caught.value)
        assert desk.can("erin", Action.CLAIM, lead_id).reason == str(caught.value)
        desk.change_owner("carol", lead_id, "dave")  # passed on: no longer the claim erin lost
        with pytest.raises(NotFound):
            desk.claim("erin", lead_id)
        waiting = new_lead(world, actor="carol")
        world.clock.advance(minutes=5)
        desk.assign("carol", waiting, "bob")  # not a claim: nothing proves that it waited
        with pytest.raises(NotFound):
            desk.claim("erin", waiting)
        desk.release("bob", waiting)
        desk.claim("dave", waiting)  # it waited again, and dave claimed it
        with pytest.raises(AlreadyClaimed):
            desk.claim("erin", waiting)

    # --- calls that change nothing ----------------------------------------------------------------

    def test_collaborator_calls_that_change_nothing_write_nothing(self) -> None:
        world = self.world()
        desk = world.desk
        lead_id = new_lead(world, actor="carol")
        desk.assign("carol", lead_id, "bob")
        desk.add_collaborators("bob", lead_id, ["mia"], role="marketing_owner")
        lead = desk.get("bob", lead_id)
        before = world.store.snapshot()
        same: list[Any] = [
            desk.remove_collaborators("bob", lead_id, ["erin"]),
            desk.add_collaborators("bob", lead_id, ["mia"], role="marketing_owner"),
            desk.add_collaborators("bob", lead_id, ["mia"]),
            desk.add_collaborators("bob", lead_id, ["mia"], role=""),
        ]
        assert all(result == lead for result in same)
        assert world.store.snapshot() == before, "no event, no new version"
        added = desk.add_collaborators("bob", lead_id, ["mia", "dave"])
        assert added.collaborators == {"mia", "dave"}
        assert added.collaborator_roles == {"mia": "marketing_owner"}, "mia keeps her role"

    def test_following_twice_or_unfollowing_a_stranger_writes_nothing(self) -> None:
        world = self.world()
        desk = world.desk
        lead_id = new_lead(world, actor="carol")
        desk.assign("carol", lead_id, "bob")
        lead = desk.follow("bob", lead_id)
        before = world.store.snapshot()
        assert desk.follow("bob", lead_id) == lead
        assert desk.unfollow("mgr", lead_id) == lead
        assert world.store.snapshot() == before

    # --- grants ------------------------------------------------------------------------------------

    def test_a_view_grant_lets_its_grantee_view_but_not_follow(self) -> None:
        world = self.world()
        desk = world.desk
        lead_id = new_lead(world, actor="carol")
        desk.assign("carol", lead_id, "bob")
        grant = desk.request_access("erin", lead_id, reason="华北客户", hours=2)
        desk.approve_access("bob", "erin", grant.id)
        assert desk.can("erin", Action.VIEW, lead_id).allowed
        assert not desk.can("erin", Action.FOLLOW, lead_id).allowed
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied):
            desk.follow("erin", lead_id)
        assert world.store.snapshot() == before

    # --- the due order --------------------------------------------------------------------------

    def test_the_due_order_lists_only_leads_with_a_due_date(self) -> None:
        world = self.world()
        desk = world.desk
        ids = [new_lead(world, actor="carol") for _ in range(3)]
        desk.assign("carol", ids[1], "bob")
        desk.follow_up(
            "bob",
            ids[1],
            method="phone",
            content="确认需求",
            result="约下周",
            next_follow_up_at=world.clock.now() + timedelta(days=2),
        )
        assert sorted(desk.leads("carol", view="pool", pool_id="east").ids) == sorted(ids)
        due = desk.leads("carol", view="pool", pool_id="east", order="due")
        assert due.ids == [lead.id for lead in desk.get_many("carol", ids) if lead.next_due_at]
        assert ids[1] in due.ids and ids[0] not in due.ids
