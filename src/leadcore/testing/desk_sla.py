"""Pools that keep time, on the desk: reminders, warnings, recycling, the ladder, exemptions,
time left and the sweep's guarantees, with a fixed clock, on the store you give."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadcore.assignment import RoundRobin
from leadcore.errors import PermissionDenied, ValidationError
from leadcore.events import Event, EventKind
from leadcore.model import LeadStatus, Pool
from leadcore.sla import Audience, LadderStep, RecycleRule, SlaPolicy, StepAction, StepKind
from leadcore.sla.conditions import AllOf, Elapsed, FieldIn, Since
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.threads import at_once
from leadcore.testing.world import T0, World, new_lead

__all__ = ["SLA_POOL", "SlaCase", "sla_events", "sweep_in_threads"]

SLA_POOL = Pool(
    id="sla",
    name="时效线索池",
    admins={"carol"},
    reminder_hours=24,
    recycle_hours=72,
    recycle_warning_hours=24,
    claim_enabled=True,
    claim_cooldown_hours=48,
)
"""A pool with a 24 h timeout reminder, a 72 h recycle warned 24 h before, and claiming."""

_SLA_KINDS = frozenset(
    {EventKind.SLA_REMINDED, EventKind.RECYCLE_WARNED, EventKind.RECYCLED, EventKind.ASSIGNED}
)


def at(hours: float) -> datetime:
    """``hours`` after the world's start (Monday 09:00 UTC)."""
    return T0 + timedelta(hours=hours)


def sla_events(world: World, lead_id: str | None = None) -> list[Event]:
    """The sweep's events (reminders, warnings, recycles, its assignments), oldest first."""
    with world.store.unit_of_work() as uow:
        found = uow.events_since(0, lead_id=lead_id)
    return [e for e in found if e.kind in _SLA_KINDS and e.actor_id == "system:sweep"]


class SlaCase(DeskCase):
    """The time-driven half of the pool, checked through the desk."""

    def sla_world(self, **options: object) -> tuple[World, str]:
        """A world with ``SLA_POOL`` and one lead assigned to bob at 09:00 (the start)."""
        world = self.world(SLA_POOL, **options)
        lead_id = new_lead(world, "carol", pool="sla")
        world.desk.assign("carol", lead_id, "bob")
        return world, lead_id

    def sweep(self, world: World, hours: float) -> list[Event]:
        """Set the clock to ``at(hours)``, sweep, and return the events the sweep wrote."""
        world.clock.set(at(hours))
        with world.store.unit_of_work() as uow:
            start = uow.last_position()
        world.desk.sweep()
        with world.store.unit_of_work() as uow:
            return uow.events_since(start)

    def test_a_24_hour_timeout_reminds_the_owner_and_the_admins_once_at_9_the_next_day(
        self,
    ) -> None:
        world, lead_id = self.sla_world()
        assert self.sweep(world, 23.99) == []
        (reminder,) = self.sweep(world, 24)
        assert reminder.kind is EventKind.SLA_REMINDED and reminder.at == at(24)
        assert reminder.data["recipients"] == ["bob", "carol"]
        assert reminder.data["step"] == "pool.reminder" and "24 h" in (reminder.reason or "")
        assert self.sweep(world, 24) == []
        assert self.sweep(world, 30) == []
        assert world.desk.get("bob", lead_id).owner_id == "bob"

    def test_it_warns_before_recycling_then_recycles_at_its_limit(self) -> None:
        world, lead_id = self.sla_world()
        self.sweep(world, 24)
        assert self.sweep(world, 47.9) == []
        (warning,) = self.sweep(world, 48)
        assert warning.kind is EventKind.RECYCLE_WARNED
        assert warning.data["acts_at"] == at(72).isoformat()
        assert self.sweep(world, 71.9) == []
        (recycled,) = self.sweep(world, 72)
        assert recycled.kind is EventKind.RECYCLED
        assert recycled.data["previous_owner_id"] == "bob" and recycled.data["automatic"] is True
        lead = world.desk.get("carol", lead_id)
        assert (lead.status, lead.owner_id, lead.pool_id) == (LeadStatus.UNASSIGNED, None, "sla")
        assert self.sweep(world, 200) == []
        world.clock.set(at(100))
        with pytest.raises(PermissionDenied, match="cool-down"):
            world.desk.claim("bob", lead_id)
        world.desk.claim("dave", lead_id)

    def test_a_follow_up_in_between_restarts_every_clock(self) -> None:
        world, lead_id = self.sla_world()
        world.clock.set(at(20))
        world.desk.follow_up("bob", lead_id, method="phone", content="首次沟通", result="有意向")
        assert world.desk.time_left("bob", lead_id).at == at(92)
        assert self.sweep(world, 24) == []
        assert [e.kind for e in self.sweep(world, 44)] == [EventKind.SLA_REMINDED]
        assert self.sweep(world, 67.9) == []
        assert [e.kind for e in self.sweep(world, 68)] == [EventKind.RECYCLE_WARNED]
        assert self.sweep(world, 91.9) == []
        assert [e.kind for e in self.sweep(world, 92)] == [EventKind.RECYCLED]

    def test_a_late_sweep_catches_up_in_order_and_stops_at_the_recycle(self) -> None:
        world, _ = self.sla_world()
        kinds = [e.kind for e in self.sweep(world, 100)]
        assert kinds == [EventKind.SLA_REMINDED, EventKind.RECYCLE_WARNED, EventKind.RECYCLED]
        summary = world.desk.sweep(at(100))
        assert summary.emitted == 0 and summary.looked_at == 0

    def test_time_left_names_the_next_rule_and_resets_with_a_follow_up(self) -> None:
        world, lead_id = self.sla_world()
        world.clock.set(at(30))
        left = world.desk.time_left("bob", lead_id)
        assert (left.rule, left.action, left.at, left.hours) == (
            "pool.recycle",
            StepKind.RECYCLE,
            at(72),
            42.0,
        )
        assert left.days == 1.8 and left.next is not None and left.next.kind is StepKind.REMINDER
        world.desk.follow_up("bob", lead_id, method="wechat", content="发资料", result="已读")
        assert world.desk.time_left("bob", lead_id).hours == 72.0
        world.clock.set(at(31))
        other = new_lead(world, "carol", pool="sla")
        world.desk.assign("carol", other, "bob")
        order = [t.lead_id for t in world.desk.leads_by_time_left("bob")]
        assert order == [lead_id, other]

    def test_exemptions_hold_off_recycling_but_not_reminders(self) -> None:
        world, lead_id = self.sla_world()
        with pytest.raises(PermissionDenied):
            world.desk.protect("bob", lead_id, at(200), reason="大客户")
        with pytest.raises(ValidationError) as caught:
            world.desk.protect("carol", lead_id, at(-1), reason="")
        assert set(caught.value.fields) == {"until", "reason"}
        world.desk.protect("carol", lead_id, at(120), reason="大客户，总监跟进")
        assert world.desk.history("carol", lead_id)[-1].kind is EventKind.LEAD_PROTECTED
        assert world.desk.time_left("bob", lead_id).exempt is not None
        kinds = [e.kind for e in self.sweep(world, 100)]
        assert kinds == [EventKind.SLA_REMINDED, EventKind.RECYCLE_WARNED]
        assert [e.kind for e in self.sweep(world, 120)] == [EventKind.RECYCLED]

    def test_a_scheduled_next_follow_up_holds_off_recycling_and_converted_leads_rest(
        self,
    ) -> None:
        world, lead_id = self.sla_world()
        world.desk.follow_up(
            "bob",
            lead_id,
            method="visit",
            content="约拜访",
            result="下周",
            next_follow_up_at=at(150),
        )
        assert [e.kind for e in self.sweep(world, 149)] == [
            EventKind.SLA_REMINDED,
            EventKind.RECYCLE_WARNED,
        ]
        assert [e.kind for e in self.sweep(world, 150)] == [EventKind.RECYCLED]
        done = new_lead(world, "carol", pool="sla")
        world.desk.assign("carol", done, "dave")
        world.desk.convert("dave", done)  # into a new customer
        assert sla_events(world, done) == [] and self.sweep(world, 1000) == []

    def test_the_ladder_escalates_to_the_manager_then_reassigns_by_the_pool_strategy(
        self,
    ) -> None:
        policy = SlaPolicy(
            ladder=(
                LadderStep("remind", 8),
                LadderStep("escalate", 16, {Audience.MANAGER, Audience.POOL_ADMINS}),
                LadderStep("reassign", 24, (), StepAction.REASSIGN),
            ),
            pool_hours=False,
        )
        world = self.world(
            Pool(id="lad", name="升级池", admins={"carol"}, auto_assign="rr", sla_policy="fast"),
            sla_policies={"fast": policy},
        )
        lead_id = new_lead(world, "carol", pool="lad")
        first_owner = world.desk.get("carol", lead_id).owner_id
        assert first_owner == "u1"
        (remind,) = self.sweep(world, 8)
        assert remind.data["recipients"] == ["u1"]
        (escalate,) = self.sweep(world, 16)
        assert escalate.data["audience"] == ["manager", "pool_admins"]
        assert escalate.data["recipients"] == ["carol"] and escalate.data["unreached"] == [
            "manager"
        ]
        recycled, assigned = self.sweep(world, 24)
        assert (recycled.kind, assigned.kind) == (EventKind.RECYCLED, EventKind.ASSIGNED)
        lead = world.desk.get("carol", lead_id)
        assert lead.owner_id not in (None, first_owner) and lead.assigned_at == at(24)
        assert [e.kind for e in self.sweep(world, 32)] == [EventKind.SLA_REMINDED]

    def test_a_reassigning_step_skips_the_owner_it_took_the_lead_from(self) -> None:
        policy = SlaPolicy(ladder=(LadderStep("re", 4, (), StepAction.REASSIGN),), pool_hours=False)
        world = self.world(
            Pool(id="re", name="改派池", admins={"carol"}, auto_assign="rr", sla_policy="re"),
            sla_policies={"re": policy},
        )
        leads = [new_lead(world, "carol", pool="re") for _ in range(4)]
        owners = [world.desk.get("carol", lead_id).owner_id for lead_id in leads]
        assert owners == ["u1", "u2", "u3", "u4"]
        summary = world.desk.sweep(at(4))
        # the cursor is back at u1 for u1's own lead: u1 is left out and u2 gets it
        assert dict(summary.reassigned) == dict(zip(leads, ["u2", "u3", "u4", "u1"], strict=True))
        assigned = world.desk.history("carol", leads[0])[-1]
        assert assigned.kind is EventKind.ASSIGNED
        assert "taken from them" in str(assigned.data["excluded"]["u1"])  # type: ignore[index]

    def test_a_reassigning_step_leaves_the_lead_in_the_pool_when_nobody_else_may_have_it(
        self,
    ) -> None:
        policy = SlaPolicy(ladder=(LadderStep("re", 4, (), StepAction.REASSIGN),), pool_hours=False)
        world = self.world(
            Pool(id="solo", name="独人池", admins={"carol"}, members={"bob"}, sla_policy="re"),
            strategies={"solo": RoundRobin(name="solo")},
            sla_policies={"re": policy},
        )
        world.desk.update_pool("sysadmin", "solo", auto_assign="solo")
        lead_id = new_lead(world, "carol", pool="solo")
        assert world.desk.get("carol", lead_id).owner_id == "bob"
        assert world.desk.sweep(at(4)).reassigned == {}
        why = world.desk.history("carol", lead_id)[-1]
        assert why.kind is EventKind.NO_OWNER_FOUND and "nobody" in (why.reason or "")
        assert world.desk.get("carol", lead_id).owner_id is None

    def test_times_given_in_another_zone_are_kept_and_told_in_utc(self) -> None:
        shanghai = timezone(timedelta(hours=8))
        world, lead_id = self.sla_world()
        world.desk.protect(
            "carol", lead_id, datetime(2026, 3, 10, 8, tzinfo=shanghai), reason="重点"
        )
        lead = world.desk.get("carol", lead_id)
        assert lead.protected_until == datetime(2026, 3, 10, tzinfo=UTC)
        assert lead.protected_until.tzinfo is UTC
        assert world.desk.time_left("bob", lead_id).exempt == "protected until 2026-03-10 00:00 UTC"
        world.desk.protect("carol", lead_id, None, reason="解除")
        world.clock.set(at(3))
        record = world.desk.follow_up(
            "bob",
            lead_id,
            method="phone",
            content="电话",
            result="有意向",
            at=datetime(2026, 3, 2, 18, 30, tzinfo=shanghai),
            next_follow_up_at=datetime(2026, 3, 2, 20, tzinfo=shanghai),
        )
        assert (record.at, record.next_follow_up_at) == (at(1.5), at(3))
        assert record.at.tzinfo is UTC and world.desk.get("bob", lead_id).next_due_at == at(3)
        summary = world.desk.sweep(datetime(2026, 3, 3, 18, 30, tzinfo=shanghai))
        assert summary.now == at(25.5) and summary.now.tzinfo is UTC
        reminder = world.desk.history("carol", lead_id)[-1]
        assert reminder.at == at(25.5) and reminder.at.tzinfo is UTC
        assert reminder.reason == "no follow-up for 24 h (wall clock) since 2026-03-02 10:30 UTC"
        world.desk.sweep(datetime(2026, 3, 5, 18, 30, tzinfo=shanghai))
        recycled = world.desk.get("carol", lead_id)
        assert recycled.owner_id is None and recycled.updated_at is not None
        assert recycled.updated_at.tzinfo is UTC
        world.clock.set(at(80))
        with pytest.raises(
            PermissionDenied, match=r"back at 2026-03-05 10:30; .* 2026-03-07 10:30"
        ):
            world.desk.claim("bob", lead_id)

    def test_the_owners_manager_comes_from_the_department_tree(self) -> None:
        policy = SlaPolicy(ladder=(LadderStep("boss", 1, {Audience.MANAGER}),))
        world = self.world(
            Pool(id="m", name="经理池", admins={"carol"}, sla_policy="boss"),
            sla_policies={"boss": policy},
        )
        lead_id = new_lead(world, "carol", pool="m")
        world.desk.assign("carol", lead_id, "bob")
        (escalate,) = self.sweep(world, 1)
        assert escalate.data["recipients"] == ["mgr"]

    def test_recycle_rules_combine_time_and_fields(self) -> None:
        event_leads = RecycleRule(
            "event-leads",
            AllOf((Elapsed(Since.CREATED, 10), FieldIn("source", {"event"}))),
            warn_hours=2,
        )
        stuck = RecycleRule("stage-stuck", Elapsed(Since.STAGE_CHANGED, 20))
        world = self.world(
            Pool(id="r", name="规则池", admins={"carol"}, sla_policy="rules"),
            sla_policies={"rules": SlaPolicy(rules=(event_leads, stuck))},
        )
        fair = new_lead(world, "carol", pool="r", source="event")
        web = new_lead(world, "carol", pool="r", source="web_form")
        for lead_id in (fair, web):
            world.desk.assign("carol", lead_id, "bob")
        world.clock.set(at(3))
        world.desk.follow_up("bob", web, method="phone", content="c", result="r", stage="需求确认")
        assert world.desk.time_left("bob", web).rule == "stage-stuck"
        assert world.desk.time_left("bob", fair).rule == "event-leads"
        (warned,) = self.sweep(world, 8)
        assert (warned.kind, warned.lead_id) == (EventKind.RECYCLE_WARNED, fair)
        (recycled,) = self.sweep(world, 10)
        assert (recycled.lead_id, recycled.data["rule"]) == (fair, "event-leads")
        assert self.sweep(world, 22.9) == []
        (recycled,) = self.sweep(world, 23)
        assert (recycled.lead_id, recycled.data["rule"]) == (web, "stage-stuck")

    def test_a_changed_pool_rule_rekeys_its_held_leads_at_the_next_sweep(self) -> None:
        world, lead_id = self.sla_world()
        assert [e.kind for e in self.sweep(world, 24)] == [EventKind.SLA_REMINDED]
        world.desk.update_pool("sysadmin", "sla", recycle_hours=30, recycle_warning_hours=None)
        summary = world.desk.sweep(at(31))
        assert summary.rescheduled == ("sla",)
        assert summary.lead_ids[StepKind.RECYCLE] == (lead_id,)
        assert world.desk.sweep(at(31)).rescheduled == ()

    def test_the_sweep_looks_only_at_leads_with_a_step_due(self) -> None:
        world, _ = self.sla_world()
        for _ in range(5):
            world.desk.assign("carol", new_lead(world, "carol", pool="sla"), "dave")
        world.desk.sweep(at(1))
        world.clock.set(at(10))
        late = new_lead(world, "carol", pool="sla")
        world.desk.assign("carol", late, "bob")
        summary = world.desk.sweep(at(24))
        assert summary.looked_at == 6 and summary.counts[StepKind.REMINDER] == 6
        assert world.desk.sweep(at(34)).looked_at == 1

    def test_two_threads_sweeping_at_once_emit_what_one_sweep_does(self) -> None:
        def run(threads: int) -> Counter[tuple[str, str | None, str, str]]:
            world = self.world(SLA_POOL)
            for i in range(12):
                lead_id = new_lead(world, "carol", pool="sla")
                world.desk.assign("carol", lead_id, ("bob", "dave")[i % 2])
                world.clock.advance(hours=5)
            return sweep_in_threads(world, [at(h) for h in (30, 60, 90, 120)], threads)

        alone = run(1)
        assert sum(alone.values()) > 12
        assert run(2) == alone


def sweep_in_threads(
    world: World, times: list[datetime], threads: int
) -> Counter[tuple[str, str | None, str, str]]:
    """Sweep ``world`` at each of ``times`` from ``threads`` threads at once; the sweep's
    events as a multiset of (kind, lead, step key, due time)."""

    def sweeper() -> None:
        for when in times:
            world.desk.sweep(when)

    at_once(*(sweeper for _ in range(threads)))
    return Counter(
        (e.kind.value, e.lead_id, str(e.data.get("key")), str(e.data.get("due_at")))
        for e in sla_events(world)
    )
