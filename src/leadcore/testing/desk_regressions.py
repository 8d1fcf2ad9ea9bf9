"""Regressions: each test is a mistake a user once made that got through, and must not again."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from leadcore import (
    CustomField,
    CustomFieldSet,
    EventKind,
    FieldType,
    LeadStatus,
    PermissionDenied,
    Policy,
    ValidationError,
)
from leadcore.dedup import DuplicateAction, DuplicatePolicy, DuplicateScope
from leadcore.importing import RowStatus
from leadcore.model import Pool
from leadcore.records import Away
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.world import EAST, T0, new_lead

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

    @pytest.mark.parametrize("chunk_size", [1, 2, 500])
    def test_a_field_scoped_duplicate_is_caught_whatever_the_chunk_size(
        self, chunk_size: int
    ) -> None:
        """An earlier row out of the policy's scope must not hide a later one within it."""
        world = self.world(
            duplicates=DuplicatePolicy(
                action=DuplicateAction.REJECT, scope=DuplicateScope.FIELD, field="industry"
            )
        )
        rows = [
            {"姓名": "A", "手机": "13800138000", "行业": "金融"},
            {"姓名": "B", "手机": "13800138000", "行业": "教育"},
            {"姓名": "C", "手机": "13800138000", "行业": "教育"},
        ]
        report = world.desk.import_leads("carol", "east", rows, chunk_size=chunk_size)
        assert [r.status for r in report.rows] == [
            RowStatus.CREATED,
            RowStatus.CREATED,
            RowStatus.DUPLICATE,
        ]
        assert report.rows[2].duplicate_of == report.rows[1].lead_id

    def test_a_cell_too_long_for_a_phone_rejects_its_row(self) -> None:
        world = self.world()
        report = world.desk.import_leads("carol", "east", [{"姓名": "x", "手机": 10**5000}])
        assert report.counts["rejected"] == 1
        assert "too long for a phone" in str(report.rows[0].problems[0])

    def test_custom_values_are_checked_by_type_before_compared(self) -> None:
        """A value whose ``==`` misbehaves (a NumPy array) or a text of a million characters is
        a problem with the field; a NumPy-like whole number is a number."""

        class Unequal:
            def __eq__(self, other: object) -> bool:
                raise ValueError("ambiguous")

            __hash__ = object.__hash__

        class WholeNumber:
            def __int__(self) -> int:
                return 5

        numbers.Integral.register(WholeNumber)
        fields = CustomFieldSet(
            [
                CustomField("n", FieldType.NUMBER),
                CustomField("t", FieldType.TEXT),
                CustomField("m", FieldType.MULTI_CHOICE, options=("a", "b")),
            ]
        )
        world = self.world(custom_fields=fields)
        before = world.store.snapshot()
        for values, field in (
            ({"n": Unequal()}, "custom_fields.n"),
            ({"t": "x" * 1_000_000}, "custom_fields.t"),
            ({"m": Unequal()}, "custom_fields.m"),
        ):
            with pytest.raises(ValidationError) as caught:
                world.desk.create(
                    "carol", "east", contact_name="x", phone="13800138000", custom_fields=values
                )
            assert caught.value.fields == (field,)
        assert world.store.snapshot() == before
        made = world.desk.create(
            "carol",
            "east",
            contact_name="x",
            phone="13800138000",
            custom_fields={"n": WholeNumber()},
        )
        assert made.custom_fields == {"n": 5}

    def test_a_next_follow_up_centuries_ahead_is_refused(self) -> None:
        world = self.world()
        lead = new_lead(world)
        world.desk.assign("carol", lead, "bob")
        before = world.store.snapshot()
        with pytest.raises(ValidationError, match="five years") as caught:
            world.desk.follow_up(
                "bob",
                lead,
                method="phone",
                content="c",
                result="r",
                next_follow_up_at=datetime(2200, 1, 1, tzinfo=UTC),
            )
        assert caught.value.fields == ("next_follow_up_at",)
        assert world.store.snapshot() == before

    def test_a_reopened_conversion_waits_when_its_owner_cannot_take_it_back(self) -> None:
        pool = Pool(
            id="m",
            name="M",
            admins={"carol"},
            members={"bob", "dave"},
            claim_enabled=True,
            max_open_per_user=1,
        )
        world = self.world(pool)
        desk = world.desk
        lead = new_lead(world, "carol", "m", company="星河科技")
        desk.assign("carol", lead, "bob")
        desk.convert("bob", lead)
        desk.claim("bob", new_lead(world, "carol", "m", phone="13900139000"))  # bob at the cap
        reopened = desk.reopen("carol", lead)
        assert (reopened.owner_id, reopened.status) == (None, LeadStatus.UNASSIGNED)
        last = desk.history("carol", lead)[-1]
        assert last.kind is EventKind.NO_OWNER_FOUND
        assert "bob cannot take it back" in (last.reason or "")

    def test_a_transfer_into_a_pool_whose_owner_is_away_says_why_it_waits(self) -> None:
        north = Pool(
            id="north", name="华北线索池", admins={"erin", "carol"}, default_owner_id="erin"
        )
        world = self.world(EAST, north)
        desk = world.desk
        lead = new_lead(world, "carol")
        desk.set_away(
            "erin", "erin", [Away("erin", T0 - timedelta(hours=1), T0 + timedelta(days=1))]
        )
        moved = desk.transfer("carol", lead, "north")
        assert moved.owner_id is None
        kinds = [e.kind for e in desk.history("carol", lead)]
        assert kinds[-2:] == [EventKind.TRANSFERRED, EventKind.NO_OWNER_FOUND]

    def test_a_cursor_pages_only_the_list_it_came_from(self) -> None:
        world = self.world()
        desk = world.desk
        for i in range(3):
            desk.assign("carol", new_lead(world, "carol", phone=f"1380013800{i}"), "bob")
        cursor = desk.leads("bob", view="mine", limit=1).next_cursor
        assert cursor is not None
        assert len(desk.leads("bob", view="mine", limit=1, cursor=cursor)) == 1
        for actor, options in (
            ("carol", {"view": "pool", "pool_id": "east"}),
            ("bob", {"view": "mine", "statuses": ["assigned"]}),
            ("dave", {"view": "mine"}),
        ):
            with pytest.raises(ValidationError, match="another list") as caught:
                desk.leads(actor, cursor=cursor, **options)
            assert caught.value.fields == ("cursor",)

    def test_a_give_back_reason_is_trimmed_and_a_blank_one_is_none(self) -> None:
        world = self.world()
        desk = world.desk
        lead = new_lead(world)
        desk.assign("carol", lead, "bob")
        desk.release("bob", lead, reason="  too far away  ")
        assert desk.history("bob", lead)[-1].reason == "too far away"
        desk.assign("carol", lead, "bob")
        before = world.store.snapshot()
        with pytest.raises(ValidationError, match="needs a reason"):
            desk.return_lead("bob", lead, "   ")
        assert world.store.snapshot() == before

    def test_a_reversed_period_is_refused_not_read_as_empty(self) -> None:
        world = self.world()
        with pytest.raises(ValidationError) as caught:
            world.desk.follow_up_log("carol", since=T0, before=T0 - timedelta(days=1))
        assert caught.value.fields == ("before",)
        with pytest.raises(ValidationError) as refused:
            world.desk.leads(
                "carol", view="mine", created_from=T0, created_before=T0 - timedelta(days=1)
            )
        assert refused.value.fields == ("created_before",)
        assert world.desk.follow_up_log("carol", since=T0, before=T0) == []
