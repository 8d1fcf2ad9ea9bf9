"""The desk with assignment strategies: pool auto-assignment, batch distribution, availability,
and concurrent auto-assignment from one pool."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from leadcore import (
    EventKind,
    InvalidTransition,
    LeadStatus,
    NoOwnerFound,
    NotFound,
    PermissionDenied,
    Pool,
)
from leadcore.assignment import Away, load_strategies
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.threads import at_once
from leadcore.testing.world import REPS, T0, World

__all__ = ["AssignmentCase"]


class AssignmentCase(DeskCase):
    """Pool auto-assignment, batch distribution, availability, concurrent auto-assignment."""

    def team_world(self, auto_assign: str | None = "rr") -> World:
        """The shared world with one pool ``p`` run by ``admin``, auto-assigning by
        ``auto_assign`` (round robin over the team by default)."""
        return self.world(
            Pool(id="p", name="华东线索池", admins={"admin"}, auto_assign=auto_assign)
        )

    def test_a_pool_with_a_strategy_assigns_new_leads_in_turn(self) -> None:
        desk = self.team_world().desk
        leads = [
            desk.create("admin", "p", contact_name=f"客户{i}", phone="13800138000")
            for i in range(10)
        ]
        assert [lead.owner_id for lead in leads[:5]] == ["u1", "u2", "u3", "u4", "u1"]
        counts = Counter(lead.owner_id for lead in leads)
        assert max(counts.values()) - min(counts.values()) <= 1
        assigned = next(
            e for e in desk.history("admin", leads[1].id) if e.kind is EventKind.ASSIGNED
        )
        assert assigned.data["strategy"] == "rr" and "u1" in (assigned.reason or "")

    def test_distribute_assigns_each_lead_once_and_rerunning_is_harmless(self) -> None:
        w = self.team_world(auto_assign=None)
        desk, store = w.desk, w.store
        ids = [
            desk.create("admin", "p", contact_name=f"客户{i}", phone="13800138000").id
            for i in range(10)
        ]
        first = desk.distribute("admin", ids, "balance")
        assert first.succeeded == tuple(ids)
        counts = Counter(outcome.unwrap().owner_id for outcome in first)
        assert sorted(counts.values()) == [2, 2, 3, 3]
        before = store.snapshot()
        again = desk.distribute("admin", ids, "balance")
        assert not again.succeeded
        assert all(isinstance(error, InvalidTransition) for error in again.failed.values())
        assert store.snapshot() == before

    def test_only_pool_admins_distribute(self) -> None:
        desk = self.team_world(auto_assign=None).desk
        lead = desk.create("u1", "p", contact_name="王磊", phone="13800138000")
        result = desk.distribute("u1", [lead.id], "rr")
        assert isinstance(result.failed[lead.id], NotFound), "u1 may not even see it"
        owner = desk.assign("admin", lead.id, "u2")
        assert owner.owner_id == "u2"
        desk.release("u2", lead.id)

    def test_away_users_are_skipped_and_a_decline_writes_nothing(self) -> None:
        w = self.team_world(auto_assign=None)
        desk, store, clock = w.desk, w.store, w.clock
        for rep in REPS[:3]:
            desk.set_away(
                rep, rep, [Away(rep, T0 - timedelta(days=1), T0 + timedelta(days=7), "年假")]
            )
        ids = [
            desk.create("admin", "p", contact_name=f"客户{i}", phone="13800138000").id
            for i in range(3)
        ]
        result = desk.distribute("admin", ids, "rr")
        assert {outcome.unwrap().owner_id for outcome in result} == {"u4"}
        assigned = next(e for e in desk.history("admin", ids[0]) if e.kind is EventKind.ASSIGNED)
        excluded = assigned.data["excluded"]
        assert isinstance(excluded, dict) and set(excluded) == {"u1", "u2", "u3"}
        assert all("away" in why for why in excluded.values())
        desk.set_away("sysadmin", "u4", [Away("u4", T0, T0 + timedelta(hours=1))])
        late = desk.create("admin", "p", contact_name="晚到客户", phone="13800138000").id
        before = store.snapshot()
        with pytest.raises(NoOwnerFound) as caught:
            desk.auto_assign("admin", late, "rr")
        assert "available" in caught.value.reason
        assert set(caught.value.excluded) == set(REPS) and "away" in caught.value.excluded["u4"]
        assert store.snapshot() == before
        clock.advance(hours=2)
        assert desk.auto_assign("admin", late, "rr").owner_id == "u4"

    def test_only_the_user_or_a_system_admin_records_absence(self) -> None:
        desk = self.team_world().desk
        with pytest.raises(PermissionDenied):
            desk.set_away("u2", "u1", [Away("u1", T0, T0 + timedelta(days=1))])

    def test_strategies_from_config_drive_a_pool(self) -> None:
        strategies = load_strategies({"east": {"kind": "round_robin", "users": ["u3", "u4"]}})
        desk = self.world(
            Pool(id="p", name="p", admins={"admin"}, auto_assign="east"), strategies=strategies
        ).desk
        got = [
            desk.create("admin", "p", contact_name="客户", phone="13800138000").owner_id
            for _ in range(4)
        ]
        assert got == ["u3", "u4", "u3", "u4"]

    def test_two_threads_auto_assigning_from_one_pool_share_the_turns(self) -> None:
        w = self.team_world()
        desk, store = w.desk, w.store
        made: list[str] = []
        lock = threading.Lock()

        def create_many() -> None:
            for i in range(50):
                lead = desk.create("admin", "p", contact_name=f"客户{i}", phone="13800138000")
                with lock:
                    made.append(lead.id)

        at_once(create_many, create_many)
        with store.unit_of_work() as uow:
            assigned = [e for e in uow.events_since(0) if e.kind is EventKind.ASSIGNED]
            leads = [uow.get_lead(lead_id) for lead_id in made]
        assert len(made) == 100 and len(assigned) == 100, "every lead assigned exactly once"
        assert Counter(e.lead_id for e in assigned) == Counter(made)
        assert all(lead.status is LeadStatus.ASSIGNED for lead in leads)
        # No turn skipped or served twice: in event order the owners cycle u1, u2, u3, u4, u1, ...
        cycle = [next(c.after for c in e.changes if c.field == "owner_id") for e in assigned]
        assert cycle == [REPS[i % 4] for i in range(100)]
