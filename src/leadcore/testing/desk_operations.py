"""LeadDesk operations: what each changes, who may do it, what it records."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from leadcore import (
    Action,
    AlreadyExists,
    ConcurrencyConflict,
    EventKind,
    FollowUpMethod,
    InvalidTransition,
    LeadStatus,
    NotFound,
    PermissionDenied,
    Pool,
    ValidationError,
)
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.world import EAST, NORTH, T0, new_lead


class OperationsCase(DeskCase):
    """Every lead operation: what it changes, who may do it, what it records."""

    # --- pool rules for a new lead ----------------------------------------------------

    def test_pool_off_creator_owns(self) -> None:
        world = self.world()
        lead = world.desk.create("dave", "off", contact_name="陈静", email="chen@Example.COM")
        assert (lead.status, lead.owner_id, lead.department_id) == (
            LeadStatus.ASSIGNED,
            "dave",
            "east_sales",
        )
        assert lead.email == "chen@example.com"

    def test_pool_on_with_default_owner(self) -> None:
        world = self.world()
        lead = world.desk.create("bob", "north", company="远航物流", wechat="yh_logistics")
        assert (lead.status, lead.owner_id) == (LeadStatus.ASSIGNED, "erin")
        history = world.desk.history("erin", lead.id)
        assert [e.kind for e in history] == [EventKind.LEAD_CREATED, EventKind.ASSIGNED]
        assert history[1].reason == "the pool's default owner"

    def test_pool_on_without_rules_leaves_lead_unassigned(self) -> None:
        world = self.world()
        lead = world.desk.create("bob", "east", contact_name="王磊", phone="+86 138-0013-8000")
        assert (lead.status, lead.owner_id, lead.phone) == (
            LeadStatus.UNASSIGNED,
            None,
            "+8613800138000",
        )
        assert lead.created_by == "bob" and lead.created_at == T0 and lead.version == 1

    def test_a_pool_naming_an_unknown_strategy_is_refused_when_written(self) -> None:
        world = self.world()
        with pytest.raises(ValidationError, match=r"auto_assign: no strategy 'missing'"):
            world.desk.create_pool("sysadmin", Pool(id="auto", name="Auto", auto_assign="missing"))
        with pytest.raises(ValidationError, match="auto_assign"):
            world.desk.update_pool("sysadmin", "east", auto_assign="missing")

    def test_create_reports_every_bad_field(self) -> None:
        world = self.world()
        before = world.store.snapshot()
        with pytest.raises(ValidationError) as caught:
            world.desk.create(
                "bob",
                "east",
                phone="12345",
                email="not-an-email",
                budget="lots",
                colour="red",  # type: ignore[call-arg]
            )
        assert set(caught.value.fields) == {"phone", "email", "budget", "colour", "contact_name"}
        assert world.store.snapshot() == before

    def test_pool_forbidding_free_creation(self) -> None:
        world = self.world(Pool(id="vip", name="VIP", admins={"carol"}, free_create=False))
        with pytest.raises(PermissionDenied):
            world.desk.create("bob", "vip", contact_name="x", phone="13800138000")
        assert (
            world.desk.create("carol", "vip", contact_name="x", phone="13800138000").pool_id
            == "vip"
        )

    def test_source_must_be_allowed_by_the_pool(self) -> None:
        world = self.world(Pool(id="events", name="展会", allowed_sources=("event",)))
        with pytest.raises(ValidationError, match="source"):
            world.desk.create(
                "bob", "events", contact_name="x", phone="13800138000", source="web_form"
            )

    # --- assignment and giving leads back ---------------------------------------------------------

    def test_pool_admin_assigns_and_others_may_not(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied) as caught:
            world.desk.assign("bob", lead_id, "bob")
        assert caught.value.reason
        assert world.store.snapshot() == before
        lead = world.desk.assign("carol", lead_id, "bob")
        assert (lead.status, lead.owner_id, lead.assigned_at) == (LeadStatus.ASSIGNED, "bob", T0)

    def test_assign_to_unusable_owner_is_refused(self) -> None:
        world = self.world(Pool(id="closed", name="Closed", admins={"carol"}, members={"dave"}))
        lead_id = new_lead(world, pool="closed", actor="carol")
        with pytest.raises(ValidationError, match="inactive"):
            world.desk.assign("carol", lead_id, "zoe")
        with pytest.raises(ValidationError, match="not a member"):
            world.desk.assign("carol", lead_id, "bob")
        with pytest.raises(ValidationError, match="unknown user"):
            world.desk.assign("carol", lead_id, "ghost")

    def test_release_return_reclaim_go_back_to_the_pool(self) -> None:
        world = self.world()
        ids = [new_lead(world) for _ in range(3)]
        for lead_id in ids:
            world.desk.assign("carol", lead_id, "bob")
        assert world.desk.release("bob", ids[0]).status is LeadStatus.UNASSIGNED
        with pytest.raises(ValidationError, match="reason"):
            world.desk.return_lead("bob", ids[1], " ")
        returned = world.desk.return_lead("bob", ids[1], "号码空号")
        assert (returned.status, returned.owner_id) == (LeadStatus.UNASSIGNED, None)
        with pytest.raises(PermissionDenied):
            world.desk.reclaim("bob", ids[2])
        assert world.desk.reclaim("carol", ids[2], reason="长期未跟进").owner_id is None
        kinds = [e.kind for e in world.desk.history("carol", ids[1])]
        assert kinds[-1] is EventKind.RETURNED
        assert world.desk.history("carol", ids[1])[-1].reason == "号码空号"

    def test_change_owner_keeps_old_owner_as_collaborator_and_moves_records(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        world.desk.follow_up(
            "bob", lead_id, method=FollowUpMethod.PHONE, content="介绍方案", result="有兴趣"
        )
        world.desk.follow_up("carol", lead_id, method="email", content="发资料", result="已读")
        lead = world.desk.change_owner("carol", lead_id, "dave", move_follow_ups=True)
        assert (lead.owner_id, lead.collaborators, lead.status) == (
            "dave",
            frozenset({"bob"}),
            LeadStatus.FOLLOWING,
        )
        owners = [f.owner_id for f in world.desk.follow_ups("dave", lead_id)]
        assert owners == ["dave", "carol"]
        event = world.desk.history("dave", lead_id)[-1]
        assert event.kind is EventKind.OWNER_CHANGED and len(event.data["follow_ups_moved"]) == 1  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="already owns"):
            world.desk.change_owner("carol", lead_id, "dave")

    def test_transfer_applies_the_new_pools_rules(self) -> None:
        world = self.world(EAST, attrs.evolve(NORTH, admins={"erin", "carol"}))
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        moved = world.desk.transfer("carol", lead_id, NORTH.id)
        assert (moved.pool_id, moved.owner_id, moved.status) == (
            "north",
            "erin",
            LeadStatus.ASSIGNED,
        )
        kinds = [e.kind for e in world.desk.history("erin", lead_id)][-2:]
        assert kinds == [EventKind.TRANSFERRED, EventKind.ASSIGNED]
        with pytest.raises(NotFound):
            world.desk.transfer("erin", lead_id, "nowhere")

    def test_transfer_needs_admin_rights_in_both_pools(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied) as caught:
            world.desk.transfer("carol", lead_id, NORTH.id)
        assert "into pool 'north'" in str(caught.value)
        assert world.store.snapshot() == before

    # --- follow-ups and outcomes ------------------------------------------------------------------

    def test_follow_up_moves_the_lead_and_sets_next_due(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        world.clock.advance(hours=2)
        record = world.desk.follow_up(
            "bob",
            lead_id,
            method="电话",
            content="确认需求",
            result="需要报价",
            duration=timedelta(minutes=12),
            next_follow_up_at=T0 + timedelta(days=3),
            stage="需求确认",
            mentions=["mia"],
        )
        assert record.method is FollowUpMethod.PHONE and record.at == T0 + timedelta(hours=2)
        with world.store.unit_of_work() as uow:
            lead = uow.get_lead(lead_id)
        assert (lead.status, lead.stage, lead.next_due_at) == (
            LeadStatus.FOLLOWING,
            "需求确认",
            T0 + timedelta(days=3),
        )
        assert lead.last_followed_at == T0 + timedelta(hours=2)

    def test_follow_up_input_is_checked(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        with pytest.raises(ValidationError) as caught:
            world.desk.follow_up(
                "bob",
                lead_id,
                method="fax",
                content="x",
                result="y",
                at=T0 + timedelta(days=1),
                stage="签约",
                mentions=["ghost"],
            )
        assert set(caught.value.fields) == {"method", "at", "stage", "mentions"}
        with pytest.raises(ValidationError) as missing:
            world.desk.follow_up("bob", lead_id, method="phone", content=" ", result="")
        assert set(missing.value.fields) == {"content", "result"}

    def test_outcomes_and_read_only_after_conversion(self) -> None:
        world = self.world()
        a, b, c = (new_lead(world) for _ in range(3))
        for lead_id in (a, b, c):
            world.desk.assign("carol", lead_id, "bob")
        assert world.desk.invalidate("bob", a, "空号").invalid_reason == "空号"
        assert world.desk.close_lost("bob", b, "预算不足").lost_reason == "预算不足"
        converted = world.desk.convert("bob", c)
        assert converted.lead.converted_customer_id == converted.customer_id
        with pytest.raises(InvalidTransition) as caught:
            world.desk.edit("bob", c, company="new")
        assert "converted" in str(caught.value) and "edit" in str(caught.value)
        assert world.desk.allowed_actions("bob", c) == (Action.VIEW,)
        reopened = world.desk.reopen("carol", a)
        assert (reopened.status, reopened.invalid_reason) == (LeadStatus.UNASSIGNED, None)

    def test_edit_changes_only_given_fields_and_checks_versions(self) -> None:
        world = self.world()
        lead_id = new_lead(world, custom_fields=None)
        world.desk.assign("carol", lead_id, "bob")
        edited = world.desk.edit("bob", lead_id, company="星河科技", budget="300000")
        assert (edited.company, str(edited.budget), edited.contact_name) == (
            "星河科技",
            "CNY 300000",
            "王磊",
        )
        assert world.desk.edit("bob", lead_id, company="星河科技") == edited  # no change, no write
        with pytest.raises(ConcurrencyConflict):
            world.desk.edit("bob", lead_id, expected_version=1, company="stale")
        with pytest.raises(ValidationError, match="at least one of phone"):
            world.desk.edit("bob", lead_id, phone=None)

    def test_delete_by_pool_admin_only_while_unassigned(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        with pytest.raises(PermissionDenied):
            world.desk.delete("bob", lead_id)
        world.desk.delete("carol", lead_id)
        with pytest.raises(NotFound):
            world.desk.history("carol", lead_id)
        with world.store.unit_of_work() as uow:
            deleted = uow.events_since(0, lead_id=lead_id)[-1]
        assert deleted.kind is EventKind.LEAD_DELETED and deleted.change("contact_name") is not None

    # --- collaborators and followers --------------------------------------------------------------

    def test_collaborators_view_and_follow_up_only(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        lead = world.desk.add_collaborators("bob", lead_id, ["dave", "erin"])
        assert lead.collaborators == {"dave", "erin"}
        assert world.desk.can("erin", Action.VIEW, lead_id).allowed
        assert world.desk.can("erin", Action.FOLLOW_UP, lead_id).allowed
        assert not world.desk.can("erin", Action.EDIT, lead_id).allowed
        with pytest.raises(PermissionDenied):
            world.desk.edit("erin", lead_id, company="x")
        world.desk.follow_up("erin", lead_id, method="wechat", content="加微信", result="已通过")
        lead = world.desk.remove_collaborators("bob", lead_id, ["erin"])
        assert lead.collaborators == {"dave"}
        assert not world.desk.can("erin", Action.VIEW, lead_id).allowed
        with pytest.raises(ValidationError):
            world.desk.add_collaborators("bob", lead_id, ["zoe", "ghost", "bob"])

    def test_follow_and_unfollow(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        world.desk.add_collaborators("bob", lead_id, ["dave"])
        assert world.desk.follow("dave", lead_id).followers == {"dave"}
        assert world.desk.leads("dave", view="followed").ids == [lead_id]
        assert world.desk.unfollow("dave", lead_id).followers == frozenset()
        with pytest.raises(NotFound):  # erin may not see it, so may not follow it either
            world.desk.follow("erin", lead_id)

    # --- claiming (抢单) ---------------------------------------------------------------------------

    def test_claim_within_the_pools_caps(self) -> None:
        world = self.world()
        ids = [new_lead(world, actor="carol") for _ in range(5)]
        for lead_id in ids[:3]:
            assert world.desk.claim("dave", lead_id).owner_id == "dave"
        decision = world.desk.can("dave", Action.CLAIM, ids[3])
        assert not decision.allowed and "3" in decision.reason
        with pytest.raises(PermissionDenied):
            world.desk.claim("dave", ids[3])
        world.desk.release("dave", ids[0])
        assert world.desk.claim("dave", ids[3]).owner_id == "dave"  # back under the cap
        assert world.desk.claim("bob", ids[0]).owner_id == "bob"

    def test_claims_per_day_and_re_claim_cool_down(self) -> None:
        pool = Pool(
            id="hot",
            name="热线索",
            admins={"carol"},
            claim_enabled=True,
            max_claims_per_day=2,
            claim_cooldown_hours=24,
        )
        world = self.world(pool)
        ids = [new_lead(world, pool="hot", actor="carol") for _ in range(4)]
        world.desk.claim("bob", ids[0])
        world.desk.release("bob", ids[0])
        world.clock.advance(hours=1)
        refused = world.desk.can("bob", Action.CLAIM, ids[0])
        assert not refused.allowed and "gave lead" in refused.reason and "back" in refused.reason
        world.desk.claim("bob", ids[1])
        per_day = world.desk.can("bob", Action.CLAIM, ids[2])
        assert not per_day.allowed and "2" in per_day.reason
        world.clock.advance(days=1)
        assert world.desk.claim("bob", ids[0]).owner_id == "bob"

    def test_claim_refused_when_the_pool_does_not_allow_it(self) -> None:
        world = self.world()
        lead_id = new_lead(world, pool="north", actor="erin")
        world.desk.release("erin", lead_id)
        with pytest.raises(NotFound):  # bob is no member of a claim pool: the lead is unseen
            world.desk.claim("bob", lead_id)
        with pytest.raises(PermissionDenied) as caught:  # erin sees it, but no one may claim
            world.desk.claim("erin", lead_id)
        assert caught.value.reason == "pool 华北线索池 does not allow claiming (抢单)"

    # --- batches ----------------------------------------------------------------------------------

    def test_batch_assign_reports_per_lead_and_keeps_successes(self) -> None:
        world = self.world()
        ids = [new_lead(world) for _ in range(3)]
        world.desk.assign("carol", ids[1], "dave")
        result = world.desk.batch_assign("carol", [ids[0], ids[1], "ghost", ids[2]], "bob")
        assert result.succeeded == (ids[0], ids[2])
        assert isinstance(result.failed[ids[1]], InvalidTransition)
        assert isinstance(result.failed["ghost"], NotFound)
        assert "2 of 4 succeeded" in str(result)

    def test_batch_recycle_and_transfer(self) -> None:
        world = self.world(EAST, attrs.evolve(NORTH, admins={"erin", "carol"}))
        ids = [new_lead(world) for _ in range(3)]
        for lead_id in ids[:2]:
            world.desk.assign("carol", lead_id, "bob")
        recycled = world.desk.batch_recycle("carol", ids, reason="超时未跟进")
        assert recycled.succeeded == tuple(ids[:2]) and ids[2] in recycled.failed
        moved = world.desk.batch_transfer("carol", ids, "north")
        assert moved.succeeded == tuple(ids)

    def test_a_lead_listed_twice_in_a_batch_is_run_and_answered_once(self) -> None:
        world = self.world()
        ids = [new_lead(world) for _ in range(2)]
        result = world.desk.batch_assign("carol", [ids[0], ids[1], ids[0]], "bob")
        assert result.succeeded == tuple(ids) and not result.failed
        assert [o.lead_id for o in result.outcomes] == ids

    # --- pool settings ----------------------------------------------------------------------------

    def test_only_system_admins_change_pool_settings_and_it_is_audited(self) -> None:
        world = self.world()
        with pytest.raises(PermissionDenied):
            world.desk.update_pool("carol", "east", claim_enabled=False)
        pool = world.desk.update_pool("sysadmin", "east", claim_enabled=False, reminder_hours=12)
        assert (pool.claim_enabled, pool.reminder_hours, pool.version) == (False, 12, 2)
        with world.store.unit_of_work() as uow:
            event = uow.events_since(0)[-1]
        assert event.kind is EventKind.POOL_CHANGED
        assert {c.field for c in event.changes} == {"claim_enabled", "reminder_hours"}
        with pytest.raises(ValidationError) as caught:
            world.desk.update_pool("sysadmin", "east", colour="red", max_open_per_user=0)  # type: ignore[call-arg]
        assert set(caught.value.fields) == {"colour", "max_open_per_user"}
        with pytest.raises(ValidationError, match="max_open_per_user"):
            world.desk.update_pool("sysadmin", "east", max_open_per_user=0)
        with pytest.raises(AlreadyExists):
            world.desk.create_pool("sysadmin", EAST)

    def test_pool_summary_counts_by_status(self) -> None:
        world = self.world()
        ids = [new_lead(world) for _ in range(3)]
        world.desk.assign("carol", ids[0], "bob")
        summary = world.desk.pool_summary("carol", "east")
        assert summary.total == 3
        assert (
            summary.by_status[LeadStatus.UNASSIGNED] == 2
            and summary.by_status[LeadStatus.ASSIGNED] == 1
        )
        assert "华东线索池: 3 leads" in str(summary)
