"""The moves of a held lead: each takes ``expected_version`` (a stale one conflicts and writes
nothing); a batch transfer takes a reason; a change of owner keeps only an active old owner on
as a collaborator; and an admin's protection refuses a batch recycle and ends when the lead
goes back to a pool or is transferred."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadcore import (
    ConcurrencyConflict,
    Department,
    EventKind,
    FixedClock,
    Lead,
    LeadcoreError,
    LeadDesk,
    LeadQuery,
    MemoryStore,
    OrgChart,
    PermissionDenied,
    Pool,
    User,
    ValidationError,
    counter_ids,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
USERS = ("root", "carol", "bob", "dave")


class SwitchableOrg:
    """An org directory whose chart the test may replace (a user deactivated or removed)."""

    def __init__(self) -> None:
        self.chart = self.of(*USERS)

    @staticmethod
    def of(*users: str | User) -> OrgChart:
        people = [u if isinstance(u, User) else User(u, department_id="east") for u in users]
        people = [User("root", roles={"system_admin"}) if u.id == "root" else u for u in people]
        return OrgChart(users=people, departments=[Department("east", "华东")])

    def user(self, user_id: str) -> User:
        return self.chart.user(user_id)

    def subordinates(self, user_id: str) -> frozenset[str]:
        return self.chart.subordinates(user_id)

    def department(self, department_id: str) -> Department:
        return self.chart.department(department_id)


def _world() -> tuple[LeadDesk, SwitchableOrg, MemoryStore, str]:
    """bob holds a lead in carol's pool ``east``; carol also runs ``west``."""
    org = SwitchableOrg()
    store = MemoryStore()
    desk = LeadDesk(store, FixedClock(T0), org, ids=counter_ids())
    members = {"bob", "dave"}
    desk.create_pool("root", Pool(id="east", name="华东线索池", admins={"carol"}, members=members))
    desk.create_pool("root", Pool(id="west", name="华西线索池", admins={"carol"}, members=members))
    lead_id = desk.create("carol", "east", contact_name="王磊", phone="13800138000").id
    desk.assign("carol", lead_id, "bob")
    return desk, org, store, lead_id


def _snapshot(store: MemoryStore) -> tuple[list[Any], list[Any]]:
    with store.unit_of_work() as uow:
        return uow.find_leads(LeadQuery()), uow.events_since(0)


MOVES: dict[str, Callable[[LeadDesk, str, Any], Lead]] = {
    "release": lambda d, i, v: d.release("bob", i, expected_version=v),
    "return_lead": lambda d, i, v: d.return_lead("bob", i, "联系不上", expected_version=v),
    "reclaim": lambda d, i, v: d.reclaim("carol", i, expected_version=v),
    "change_owner": lambda d, i, v: d.change_owner("carol", i, "dave", expected_version=v),
    "transfer": lambda d, i, v: d.transfer("carol", i, "west", expected_version=v),
    "invalidate": lambda d, i, v: d.invalidate("bob", i, "空号", expected_version=v),
    "close_lost": lambda d, i, v: d.close_lost("bob", i, "预算不足", expected_version=v),
    "protect": lambda d, i, v: d.protect(
        "carol", i, T0 + timedelta(days=3), reason="重点客户", expected_version=v
    ),
}


@pytest.mark.parametrize("name", sorted(MOVES))
def test_a_move_at_a_stale_version_conflicts_and_writes_nothing(name: str) -> None:
    """Before: these moves took no ``expected_version``; a screen left open overrode a change."""
    desk, _, store, lead_id = _world()
    version = desk.get("carol", lead_id).version
    before = _snapshot(store)
    with pytest.raises(ConcurrencyConflict) as caught:
        MOVES[name](desk, lead_id, version - 1)
    assert (caught.value.expected, caught.value.actual) == (version - 1, version)
    assert _snapshot(store) == before
    assert MOVES[name](desk, lead_id, version).version == version + 1


@pytest.mark.parametrize("name", sorted(MOVES))
@pytest.mark.parametrize("bad", ["3", 1.0, True, -1])
def test_a_bad_expected_version_is_refused_naming_it(name: str, bad: object) -> None:
    desk, _, store, lead_id = _world()
    before = _snapshot(store)
    with pytest.raises(LeadcoreError) as caught:
        MOVES[name](desk, lead_id, bad)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.fields == ("expected_version",)
    assert _snapshot(store) == before


def test_a_batch_transfer_records_its_reason_on_every_lead() -> None:
    """Before: ``batch_transfer`` took no reason, where ``transfer`` did."""
    desk, _, _, lead_id = _world()
    other = desk.create("carol", "east", contact_name="陈静", phone="13900139000").id
    result = desk.batch_transfer("carol", [lead_id, other], "west", reason=" 区域调整 ")
    assert not result.failed
    for each in (lead_id, other):
        moved = desk.history("carol", each)[-1]
        assert (moved.kind, moved.reason) == (EventKind.TRANSFERRED, "区域调整")


# --- change of owner: the old owner stays on only while active ---------------------------------


def test_an_active_old_owner_becomes_a_collaborator() -> None:
    desk, _, _, lead_id = _world()
    assert desk.change_owner("carol", lead_id, "dave").collaborators == {"bob"}


@pytest.mark.parametrize(
    "chart",
    [
        SwitchableOrg.of("root", "carol", User("bob", department_id="east", active=False), "dave"),
        SwitchableOrg.of("root", "carol", "dave"),
    ],
    ids=["deactivated", "gone"],
)
def test_a_deactivated_or_missing_old_owner_is_not_made_a_collaborator(chart: OrgChart) -> None:
    """Before: a deactivated (or deleted) old owner was added as a collaborator, regaining a
    reason to see the lead when access should end with the user."""
    desk, org, _, lead_id = _world()
    desk.add_collaborators("bob", lead_id, ["carol"])
    org.chart = chart
    lead = desk.change_owner("carol", lead_id, "dave", move_follow_ups=True)
    assert lead.owner_id == "dave" and lead.collaborators == {"carol"}
    changed = desk.history("carol", lead_id)[-1]
    assert changed.kind is EventKind.OWNER_CHANGED
    assert "collaborators" not in {c.field for c in changed.changes}


# --- protection ---------------------------------------------------------------------------------


def test_a_batch_recycle_refuses_a_protected_lead_saying_until_when() -> None:
    """Before: ``batch_recycle`` recycled a protected lead the sweep leaves with its owner."""
    desk, _, store, lead_id = _world()
    other = desk.create("carol", "east", contact_name="陈静", phone="13900139000").id
    desk.assign("carol", other, "bob")
    desk.protect("carol", lead_id, datetime(2026, 3, 10, tzinfo=UTC), reason="重点客户")
    protected = desk.get("carol", lead_id)
    result = desk.batch_recycle("carol", [lead_id, other])
    refusal = result.failed[lead_id]
    assert isinstance(refusal, PermissionDenied)
    assert "protected until 2026-03-10 00:00 UTC" in refusal.reason
    assert desk.get("carol", lead_id) == protected
    assert desk.get("carol", other).owner_id is None
    assert desk.time_left("carol", lead_id).exempt == "protected until 2026-03-10 00:00 UTC"
    with store.unit_of_work() as uow:
        kinds = [e.kind for e in uow.events_since(0, lead_id=lead_id)]
    assert EventKind.RECYCLED not in kinds


def test_a_batch_recycle_takes_a_lead_whose_protection_has_ended() -> None:
    desk, _, _, lead_id = _world()
    desk.protect("carol", lead_id, T0 + timedelta(hours=1), reason="重点客户")
    clock = desk.clock
    assert isinstance(clock, FixedClock)
    clock.advance(hours=1)  # the instant it ends, as the sweep reckons it
    assert not desk.batch_recycle("carol", [lead_id]).failed
    assert desk.get("carol", lead_id).protected_until is None


GIVE_BACKS: dict[str, Callable[[LeadDesk, str], Lead]] = {
    "release": lambda d, i: d.release("bob", i),
    "return_lead": lambda d, i: d.return_lead("bob", i, "联系不上"),
    "reclaim": lambda d, i: d.reclaim("carol", i),
    "transfer": lambda d, i: d.transfer("carol", i, "west"),
}


@pytest.mark.parametrize("name", sorted(GIVE_BACKS))
def test_protection_ends_when_the_lead_goes_back_to_a_pool(name: str) -> None:
    """Before: ``protected_until`` survived the give-back, so the next owner's hold was
    protected by an admin's decision about the last one."""
    desk, _, _, lead_id = _world()
    desk.protect("carol", lead_id, T0 + timedelta(days=3), reason="重点客户")
    lead = GIVE_BACKS[name](desk, lead_id)
    assert lead.protected_until is None
    event = desk.history("carol", lead_id)[-1]
    assert "protected_until" in {c.field for c in event.changes}
    desk.assign("carol", lead_id, "dave")
    assert desk.time_left("dave", lead_id).exempt is None


def test_a_change_of_owner_keeps_the_protection() -> None:
    """The lead stays held in its pool; only give-backs and transfers end the protection."""
    desk, _, _, lead_id = _world()
    until = T0 + timedelta(days=3)
    desk.protect("carol", lead_id, until, reason="重点客户")
    assert desk.change_owner("carol", lead_id, "dave").protected_until == until
