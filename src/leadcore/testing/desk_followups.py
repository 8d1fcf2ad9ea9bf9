"""Follow-ups and the pool's other time rules, on the desk: what a follow-up records and
changes, the follow-up log by author and period, @-mentions, cadences, the new-lead lock and
the daily limit on opening pool leads — on the store you give."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from leadcore.cadence import Cadence, CadencePlan
from leadcore.errors import LimitReached, NotFound, PermissionDenied, ValidationError
from leadcore.events import EventKind
from leadcore.model import LeadStatus, Pool
from leadcore.sla import SlaPolicy, response_time
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.world import T0, new_lead

__all__ = ["FollowUpCase"]


def at(hours: float) -> datetime:
    """``hours`` after the world's start (Monday 09:00 UTC)."""
    return T0 + timedelta(hours=hours)


class FollowUpCase(DeskCase):
    """Follow-up records, their log, cadences and the pool's claim and browsing limits."""

    def test_a_follow_up_records_response_time_stage_change_and_restarts_the_clock(
        self,
    ) -> None:
        world = self.world()
        lead_id = new_lead(world)  # east: assigned to bob by carol below
        world.desk.assign("carol", lead_id, "bob")
        world.clock.set(at(0.5))
        world.desk.follow_up(
            "bob", lead_id, method="phone", content="首次电话", result="有需求", stage="需求确认"
        )
        lead = world.desk.get("bob", lead_id)
        assert lead.status is LeadStatus.FOLLOWING
        assert (lead.first_followed_at, lead.last_followed_at, lead.stage_changed_at) == (
            at(0.5),
            at(0.5),
            at(0.5),
        )
        assert response_time(lead) == timedelta(minutes=30)
        event = world.desk.history("bob", lead_id)[-1]
        assert event.kind is EventKind.FOLLOWED_UP and event.data["response_seconds"] == 1800
        world.clock.set(at(2))
        world.desk.follow_up("bob", lead_id, method="email", content="发方案", result="已发")
        again = world.desk.get("bob", lead_id)
        assert again.first_followed_at == at(0.5) and again.stage_changed_at == at(0.5)
        assert "response_seconds" not in world.desk.history("bob", lead_id)[-1].data
        assert world.desk.time_left("bob", lead_id).at == at(2 + 72)

    def test_the_pools_cadence_sets_the_next_due_date_unless_one_is_committed(self) -> None:
        plan = CadencePlan(
            by_method={"wechat": Cadence.gap(days=3)},
            by_stage={"方案沟通": Cadence.gap(days=1)},
        )
        world = self.world(
            Pool(id="c", name="节奏池", admins={"carol"}, sla_policy="cadence"),
            sla_policies={"cadence": SlaPolicy(cadence=plan)},
        )
        lead_id = new_lead(world, "carol", pool="c")
        world.desk.assign("carol", lead_id, "bob")
        world.desk.follow_up("bob", lead_id, method="wechat", content="加微信", result="已通过")
        assert world.desk.get("bob", lead_id).next_due_at == at(72)
        due = world.desk.history("bob", lead_id)[-1].data["next_due"]
        assert due == {"at": at(72).isoformat(), "reason": "method wechat: every 3 days"}
        world.desk.follow_up(
            "bob", lead_id, method="wechat", content="讲方案", result="感兴趣", stage="方案沟通"
        )
        assert world.desk.get("bob", lead_id).next_due_at == at(24)
        world.desk.follow_up(
            "bob", lead_id, method="phone", content="约时间", result="周五", next_follow_up_at=at(5)
        )
        assert world.desk.get("bob", lead_id).next_due_at == at(5)

    def test_a_follow_up_dated_before_the_lead_was_created_is_refused(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        before = world.desk.history("bob", lead_id)
        world.clock.set(at(3))
        with pytest.raises(ValidationError) as caught:
            world.desk.follow_up(
                "bob", lead_id, method="phone", content="补录", result="r", at=at(-0.5)
            )
        assert caught.value.fields == ("at",)
        assert "before the lead was created (2026-03-02 09:00 UTC)" in str(caught.value)
        lead = world.desk.get("bob", lead_id)
        assert lead.first_followed_at is None and response_time(lead) is None
        assert world.desk.history("bob", lead_id) == before
        world.desk.follow_up("bob", lead_id, method="phone", content="补录", result="r", at=at(0))
        assert response_time(world.desk.get("bob", lead_id)) == timedelta(0)

    def test_a_follow_up_logged_late_keeps_the_due_date_and_stage_of_a_later_one(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        world.clock.set(at(3))
        world.desk.follow_up(
            "bob",
            lead_id,
            method="phone",
            content="讲方案",
            result="感兴趣",
            next_follow_up_at=at(100),
            stage="方案沟通",
        )
        world.desk.follow_up(
            "bob",
            lead_id,
            method="phone",
            content="上午的电话",
            result="了解需求",
            at=at(1),
            stage="需求确认",
        )
        lead = world.desk.get("bob", lead_id)
        assert (lead.next_due_at, lead.stage, lead.stage_changed_at) == (at(100), "方案沟通", at(3))
        assert (lead.first_followed_at, lead.last_followed_at) == (at(1), at(3))
        late = world.desk.history("bob", lead_id)[-1]
        assert late.data["late"]["latest_at"] == at(3).isoformat()  # type: ignore[index]
        assert [f.stage for f in world.desk.follow_ups("bob", lead_id)] == ["需求确认", "方案沟通"]

    def test_mentions_notify_but_grant_nothing(self) -> None:
        world = self.world()
        lead_id = new_lead(world)
        world.desk.assign("carol", lead_id, "bob")
        world.desk.follow_up(
            "bob", lead_id, method="phone", content="请@mia 看看", result="待定", mentions=["mia"]
        )
        notice = world.desk.history("bob", lead_id)[-1]
        assert notice.kind is EventKind.MENTIONED and notice.data["recipients"] == ["mia"]
        with pytest.raises(NotFound):
            world.desk.get("mia", lead_id)

    def test_the_follow_up_log_lists_by_author_and_period_within_the_view_rule(self) -> None:
        world = self.world()
        mine, theirs = new_lead(world), new_lead(world, "erin", pool="north")
        world.desk.assign("carol", mine, "bob")
        for hours, (actor, lead_id) in enumerate(
            [("bob", mine), ("erin", theirs), ("bob", mine), ("erin", theirs)]
        ):
            world.clock.set(at(hours))
            world.desk.follow_up(actor, lead_id, method="phone", content=f"第{hours}次", result="r")
        everyone = world.desk.follow_up_log("sysadmin")
        assert [f.at for f in everyone] == [at(0), at(1), at(2), at(3)]
        assert [f.content for f in world.desk.follow_up_log("bob")] == ["第0次", "第2次"]
        assert world.desk.follow_up_log("bob", author_id="erin") == []
        erin = world.desk.follow_up_log("sysadmin", author_id="erin", since=at(1), before=at(3))
        assert [f.content for f in erin] == ["第1次"]
        assert len(world.desk.follow_up_log("sysadmin", limit=3)) == 3
        with pytest.raises(ValidationError) as caught:
            world.desk.follow_up_log("bob", since="yesterday", limit=0)  # type: ignore[arg-type]
        assert set(caught.value.fields) == {"since", "limit"}

    def test_members_wait_for_a_new_lead_from_its_arrival_not_its_last_edit(self) -> None:
        pool = Pool(
            id="lock", name="保护期池", admins={"carol"}, claim_enabled=True, claim_lock_hours=2
        )
        world = self.world(pool, Pool(id="other", name="另一个池", admins={"carol"}))
        lead_id = new_lead(world, "carol", pool="lock")
        world.clock.set(at(1.5))
        world.desk.edit("carol", lead_id, company="星河科技")
        with pytest.raises(PermissionDenied, match="new-lead lock"):
            world.desk.claim("bob", lead_id)
        world.clock.set(at(2))
        assert world.desk.claim("bob", lead_id).owner_id == "bob"
        moved = new_lead(world, "carol", pool="other")
        world.clock.set(at(5))
        world.desk.transfer("carol", moved, "lock")
        world.clock.set(at(6))
        with pytest.raises(PermissionDenied, match="arrived in pool"):
            world.desk.claim("dave", moved)
        world.desk.assign("carol", moved, "dave")

    def test_opening_pool_leads_is_limited_per_member_per_day(self) -> None:
        pool = Pool(
            id="b", name="浏览池", admins={"carol"}, claim_enabled=True, max_opens_per_day=2
        )
        world = self.world(pool)
        leads = [new_lead(world, "carol", pool="b") for _ in range(3)]
        world.desk.open_pool_lead("bob", leads[0])
        world.desk.open_pool_lead("bob", leads[1])
        world.desk.open_pool_lead("bob", leads[0])  # the same lead again is free
        with pytest.raises(LimitReached) as caught:
            world.desk.open_pool_lead("bob", leads[2])
        assert (caught.value.count, caught.value.limit) == (2, 2)
        assert caught.value.resets_at == datetime(2026, 3, 3, tzinfo=T0.tzinfo)
        assert "resets at 2026-03-03 00:00" in str(caught.value)
        assert world.desk.open_pool_lead("carol", leads[2]).id == leads[2]
        assert world.desk.open_pool_lead("dave", leads[2]).id == leads[2]
        world.clock.set(at(15))
        assert world.desk.open_pool_lead("bob", leads[2]).id == leads[2]

    def test_a_pool_names_only_a_policy_the_desk_has(self) -> None:
        world = self.world(sla_policies={"known": SlaPolicy()})
        with pytest.raises(ValidationError) as caught:
            world.desk.create_pool("sysadmin", Pool(id="x", name="x", sla_policy="missing"))
        assert caught.value.fields == ("sla_policy",)
        world.desk.create_pool("sysadmin", Pool(id="y", name="y", sla_policy="known"))
        with pytest.raises(ValidationError):
            world.desk.update_pool("sysadmin", "y", sla_policy="nope")
        with pytest.raises(ValidationError):
            world.desk.update_pool("sysadmin", "y", recycle_warning_hours=5)
