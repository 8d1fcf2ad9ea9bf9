"""Back to the pool ends protection, on every path: the sweep's recycle and reassignment, a
condition returning a lead, and a reopen that leaves a lead waiting unassigned all clear
``protected_until`` the way a give-back does, and their events show it. And ``batch_assign``
takes the options ``assign`` does (``department_id``, ``reason``), passed to every lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadcore import (
    Department,
    EventKind,
    FixedClock,
    LeadDesk,
    LeadQuery,
    LeadStatus,
    MemoryStore,
    OrgChart,
    Pool,
    User,
    ValidationError,
    counter_ids,
)
from leadcore.assignment import RoundRobin
from leadcore.conditions import FieldTest, LeadCondition
from leadcore.events import Event
from leadcore.sla import LadderStep, SlaPolicy, StepAction

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
UNTIL = T0 + timedelta(hours=80)  # past the pool's 72 h: the recycle waits for it

ORG = OrgChart(
    users=[
        User("root", roles={"system_admin"}),
        User("carol", department_id="east"),
        User("bob", department_id="east"),
        User("dave", department_id="east"),
    ],
    departments=[Department("east", "华东"), Department("east_sales", "华东销售")],
)


def _desk(then: str = "return_to_pool", **pool: Any) -> tuple[LeadDesk, FixedClock, MemoryStore]:
    """A desk with pool ``east`` (bob and dave, carol its admin; 72 h to recycle unless the
    settings say otherwise) and the condition ``north``: region 华北 → ``then``."""
    clock = FixedClock(T0)
    store = MemoryStore()
    desk = LeadDesk(
        store,
        clock,
        ORG,
        ids=counter_ids(),
        strategies={"rr": RoundRobin(name="rr", users=("bob", "dave"))},
        sla_policies={"re": SlaPolicy(ladder=(LadderStep("re", 72, (), StepAction.REASSIGN),))},
        conditions={"north": LeadCondition("north", [FieldTest("region", {"华北"})], then)},
    )
    settings: dict[str, Any] = {"recycle_hours": 72, **pool}
    desk.create_pool(
        "root",
        Pool(id="east", name="华东线索池", admins={"carol"}, members={"bob", "dave"}, **settings),
    )
    return desk, clock, store


def _protected(desk: LeadDesk, owner: str = "bob") -> str:
    """A lead ``owner`` holds, protected by carol until ``UNTIL``."""
    lead_id = desk.create("carol", "east", contact_name="王磊", phone="13800138000").id
    if desk.get("carol", lead_id).owner_id is None:
        desk.assign("carol", lead_id, owner)
    desk.protect("carol", lead_id, UNTIL, reason="重点客户")
    return lead_id


def _ended(event: Event) -> bool:
    change = event.change("protected_until")
    return change is not None and (change.before, change.after) == (UNTIL, None)


# --- the sweep -----------------------------------------------------------------------------


def test_the_sweep_recycle_ends_a_protection_that_has_passed() -> None:
    """Before: the recycled lead kept its past ``protected_until`` in the pool."""
    desk, _, _ = _desk()
    lead_id = _protected(desk)
    assert desk.sweep(T0 + timedelta(hours=73)).emitted == 0  # protected: it waits
    desk.sweep(UNTIL + timedelta(minutes=1))
    lead = desk.get("carol", lead_id)
    assert (lead.status, lead.owner_id, lead.protected_until) == (
        LeadStatus.UNASSIGNED,
        None,
        None,
    )
    recycled = desk.history("carol", lead_id)[-1]
    assert recycled.kind is EventKind.RECYCLED and _ended(recycled)


def test_a_sweep_reassignment_hands_over_the_lead_unprotected() -> None:
    """Before: the next owner got the lead with the last owner's (past) protection on it."""
    desk, _, _ = _desk(recycle_hours=None, auto_assign="rr", sla_policy="re")
    lead_id = _protected(desk)
    assert desk.get("carol", lead_id).owner_id == "bob"
    summary = desk.sweep(UNTIL + timedelta(minutes=1))
    assert dict(summary.reassigned) == {lead_id: "dave"}
    lead = desk.get("carol", lead_id)
    assert (lead.owner_id, lead.protected_until) == ("dave", None)
    recycled, assigned = desk.history("carol", lead_id)[-2:]
    assert (recycled.kind, assigned.kind) == (EventKind.RECYCLED, EventKind.ASSIGNED)
    assert _ended(recycled)


# --- a condition returning the lead --------------------------------------------------------


def test_a_condition_returning_a_lead_to_its_pool_ends_its_protection() -> None:
    desk, _, _ = _desk(conditions=("north",))
    lead_id = _protected(desk)
    moved = desk.edit("bob", lead_id, region="华北")
    assert (moved.status, moved.protected_until) == (LeadStatus.UNASSIGNED, None)
    recycled = desk.history("carol", lead_id)[-1]
    assert recycled.kind is EventKind.RECYCLED and recycled.data["condition"] == "north"
    assert _ended(recycled)


def test_a_condition_closing_a_lead_keeps_its_protection() -> None:
    """The owner still holds a lead closed as lost: the protection is of that hold."""
    desk, _, _ = _desk("close_lost", conditions=("north",))
    lead_id = _protected(desk)
    closed = desk.edit("bob", lead_id, region="华北")
    assert (closed.status, closed.owner_id) == (LeadStatus.CLOSED_LOST, "bob")
    assert closed.protected_until == UNTIL


# --- reopening -----------------------------------------------------------------------------


@pytest.mark.parametrize("move", ["invalidate", "close_lost"])
def test_a_decided_lead_reopened_into_the_pool_is_unprotected(move: str) -> None:
    """Before: a reopened invalid or lost lead waited unassigned, still protected."""
    desk, _, _ = _desk()
    lead_id = _protected(desk)
    getattr(desk, move)("bob", lead_id, reason="空号")
    assert desk.get("carol", lead_id).protected_until == UNTIL
    back = desk.reopen("carol", lead_id)
    assert (back.status, back.protected_until) == (LeadStatus.UNASSIGNED, None)
    assert _ended(desk.history("carol", lead_id)[-1])


def test_a_reopened_conversion_waiting_for_an_owner_is_unprotected() -> None:
    desk, _, _ = _desk(max_open_per_user=1)
    lead_id = _protected(desk)
    desk.convert("bob", lead_id)
    other = desk.create("carol", "east", contact_name="李娜", phone="13900139000").id
    desk.assign("carol", other, "bob")  # bob is at his cap now
    back = desk.reopen("carol", lead_id)
    assert (back.status, back.owner_id, back.protected_until) == (LeadStatus.UNASSIGNED, None, None)
    reopened = [e for e in desk.history("carol", lead_id) if e.kind is EventKind.REOPENED]
    assert _ended(reopened[-1])


def test_a_reopened_conversion_waiting_for_an_owner_loses_its_collaborators() -> None:
    """Waiting in the pool nobody holds it, so the people its owner worked with lose access,
    as on any other way back to the pool."""
    desk, _, _ = _desk(max_open_per_user=1)
    lead_id = _protected(desk)
    desk.add_collaborators("bob", lead_id, ["dave"])
    desk.convert("bob", lead_id)
    other = desk.create("carol", "east", contact_name="李娜", phone="13900139000").id
    desk.assign("carol", other, "bob")
    back = desk.reopen("carol", lead_id)
    assert (back.status, back.collaborators) == (LeadStatus.UNASSIGNED, frozenset())


def test_a_reopened_conversion_back_with_its_owner_keeps_the_protection() -> None:
    """The lead goes back to the owner whose hold was protected: nothing went back to a pool."""
    desk, _, _ = _desk()
    lead_id = _protected(desk)
    desk.convert("bob", lead_id)
    back = desk.reopen("carol", lead_id)
    assert (back.owner_id, back.protected_until) == ("bob", UNTIL)


# --- batch_assign takes assign's options ---------------------------------------------------


def test_assign_records_its_reason() -> None:
    desk, _, _ = _desk()
    lead_id = desk.create("carol", "east", contact_name="王磊", phone="13800138000").id
    desk.assign("carol", lead_id, "bob", reason="展会名单")
    assigned = desk.history("carol", lead_id)[-1]
    assert (assigned.kind, assigned.reason) == (EventKind.ASSIGNED, "展会名单")


def test_batch_assign_passes_department_and_reason_to_every_lead() -> None:
    """Before: ``batch_assign`` took neither, so a batch could not say why or for which
    department, as a single ``assign`` can."""
    desk, _, _ = _desk()
    ids = [
        desk.create("carol", "east", contact_name=name, phone=phone).id
        for name, phone in (("王磊", "13800138000"), ("李娜", "13900139000"))
    ]
    result = desk.batch_assign("carol", ids, "bob", department_id="east_sales", reason="展会名单")
    assert result.failed == {}
    for lead_id in ids:
        lead = desk.get("carol", lead_id)
        assert (lead.owner_id, lead.department_id) == ("bob", "east_sales")
        assigned = desk.history("carol", lead_id)[-1]
        assert (assigned.kind, assigned.reason) == (EventKind.ASSIGNED, "展会名单")


@pytest.mark.parametrize(
    ("options", "field"),
    [({"department_id": "nowhere"}, "department_id"), ({"reason": "x" * 201}, "reason")],
    ids=["department", "reason"],
)
def test_a_bad_batch_assign_option_refuses_the_whole_call(
    options: dict[str, Any], field: str
) -> None:
    desk, _, store = _desk()
    ids = [
        desk.create("carol", "east", contact_name=name, phone=phone).id
        for name, phone in (("王磊", "13800138000"), ("李娜", "13900139000"))
    ]
    with store.unit_of_work() as uow:
        before = uow.find_leads(LeadQuery()), uow.events_since(0)
    with pytest.raises(ValidationError) as raised:
        desk.batch_assign("carol", ids, "bob", **options)
    assert field in {p.field for p in raised.value.problems}
    with store.unit_of_work() as uow:
        assert (uow.find_leads(LeadQuery()), uow.events_since(0)) == before


@pytest.mark.parametrize("batch", ["batch_assign", "batch_recycle", "batch_transfer"])
def test_an_empty_batch_still_refuses_a_bad_option(batch: str) -> None:
    desk, _, _ = _desk()
    bad: Any = 5
    calls = {
        "batch_assign": lambda: desk.batch_assign("carol", [], "bob", reason=bad),
        "batch_recycle": lambda: desk.batch_recycle("carol", [], reason=bad),
        "batch_transfer": lambda: desk.batch_transfer("carol", [], "east", reason=bad),
    }
    with pytest.raises(ValidationError) as refused:
        calls[batch]()
    assert [p.field for p in refused.value.problems] == ["reason"]
