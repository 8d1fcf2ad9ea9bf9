"""A lead's next due date through conversion, reopening and merging: only open leads are due
for a follow-up; a reopened conversion is due again on its old date; a merge survivor keeps
the soonest promise of the leads merged into it, and an unmerge gives it back its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import (
    Action,
    Department,
    FixedClock,
    LeadDesk,
    LeadStatus,
    LeadStore,
    MemoryStore,
    OrgChart,
    Pool,
    SQLiteStore,
    User,
    counter_ids,
    transition,
)
from leadcore.events import EventKind
from leadcore.lifecycle import TRANSITIONS
from leadcore.model import OPEN_STATUSES
from leadcore.testing import make_lead

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
DUE = T0 + timedelta(days=2)


def _desk(store: LeadStore | None = None, **pool: Any) -> tuple[LeadDesk, FixedClock]:
    org = OrgChart(
        users=[
            User("root", roles={"system_admin"}),
            User("carol", department_id="east"),
            User("bob", department_id="east"),
            User("dave", department_id="east"),
        ],
        departments=[Department("east", "华东")],
    )
    clock = FixedClock(T0)
    desk = LeadDesk(MemoryStore() if store is None else store, clock, org, ids=counter_ids())
    desk.create_pool(
        "root",
        Pool(id="east", name="华东线索池", admins={"carol"}, members={"bob", "dave"}, **pool),
    )
    return desk, clock


def _held(desk: LeadDesk, phone: str, due: datetime | None, owner: str = "bob") -> str:
    """A lead ``owner`` holds and followed up, due at ``due`` (or for nothing)."""
    lead_id = desk.create("carol", "east", contact_name="王磊", phone=phone).id
    desk.assign("carol", lead_id, owner)
    desk.follow_up(
        owner, lead_id, method="phone", content="确认需求", result="有意向", next_follow_up_at=due
    )
    return lead_id


# --- one rule: a lead leaving the open statuses is due for nothing ---------------------------


_LEAVING: list[Action] = [
    a for a, to in TRANSITIONS[LeadStatus.FOLLOWING].items() if to not in OPEN_STATUSES
]


@pytest.mark.parametrize("action", _LEAVING)
def test_every_move_out_of_the_open_statuses_clears_the_due_date(action: Action) -> None:
    """Before: converting kept ``next_due_at`` (invalidating, closing and merging cleared it)."""
    lead = make_lead("L1", status=LeadStatus.FOLLOWING, owner_id="bob", next_due_at=DUE)
    move: dict[str, Any] = {
        Action.CONVERT: {"customer_id": "C1"},
        Action.INVALIDATE: {"reason": "空号"},
        Action.CLOSE_LOST: {"reason": "预算不足"},
        Action.MERGE: {"merged_into": "L9"},
        Action.RETURN: {"reason": "不是我的区域"},
        Action.TRANSFER: {"pool_id": "west"},
    }.get(action, {})
    assert transition(lead, action, at=T0, **move).next_due_at is None


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_converted_lead_is_due_for_nothing_and_a_reopen_gives_its_date_back(store: str) -> None:
    desk, clock = _desk(MemoryStore() if store == "memory" else SQLiteStore())
    lead_id = _held(desk, "13800138000", DUE)
    done = desk.convert("bob", lead_id)
    assert done.lead.next_due_at is None
    assert desk.leads("bob", view="mine", order="due").ids == []
    converted = desk.history("bob", lead_id)[-1]
    assert converted.kind is EventKind.CONVERTED
    assert converted.change("next_due_at") is not None
    clock.advance(days=3)  # the promised date has passed meanwhile: it is overdue, not moved
    back = desk.reopen("carol", lead_id, reason="转化错了")
    assert (back.status, back.next_due_at) == (LeadStatus.FOLLOWING, DUE)
    assert desk.leads("bob", view="mine", order="due").ids == [lead_id]
    reopened = desk.history("bob", lead_id)[-1].change("next_due_at")
    assert reopened is not None and (reopened.before, reopened.after) == (None, DUE)


def test_a_reopened_conversion_that_had_no_due_date_has_none() -> None:
    desk, _ = _desk()
    lead_id = _held(desk, "13800138000", None)
    desk.convert("bob", lead_id)
    assert desk.reopen("carol", lead_id).next_due_at is None


def test_a_reopened_conversion_waiting_for_an_owner_is_due_for_nothing() -> None:
    desk, _ = _desk(claim_enabled=True, max_open_per_user=1)
    lead_id = _held(desk, "13800138000", DUE)
    desk.convert("bob", lead_id)
    desk.claim("bob", desk.create("carol", "east", contact_name="李娜", phone="13900139000").id)
    back = desk.reopen("carol", lead_id)  # bob is at his cap: the lead waits in the pool
    assert (back.status, back.owner_id, back.next_due_at) == (LeadStatus.UNASSIGNED, None, None)


def test_a_second_reopen_restores_the_date_of_the_second_conversion() -> None:
    desk, _ = _desk()
    lead_id = _held(desk, "13800138000", DUE)
    customer_id = desk.convert("bob", lead_id).customer_id
    desk.reopen("carol", lead_id)
    later = DUE + timedelta(days=5)
    desk.follow_up(
        "bob", lead_id, method="email", content="发方案", result="待回复", next_follow_up_at=later
    )
    desk.convert("bob", lead_id, customer_id)  # the customer the first conversion made
    assert desk.reopen("carol", lead_id).next_due_at == later


@pytest.mark.parametrize("move", [Action.INVALIDATE, Action.CLOSE_LOST])
def test_a_decided_lead_reopened_waits_unassigned_due_for_nothing(move: Action) -> None:
    desk, _ = _desk()
    lead_id = _held(desk, "13800138000", DUE)
    if move is Action.INVALIDATE:
        assert desk.invalidate("bob", lead_id, reason="空号").next_due_at is None
    else:
        assert desk.close_lost("bob", lead_id, reason="预算不足").next_due_at is None
    back = desk.reopen("carol", lead_id)
    assert (back.status, back.next_due_at) == (LeadStatus.UNASSIGNED, None)


# --- merging -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("own", "taken"),
    [(None, DUE), (DUE + timedelta(days=1), DUE), (DUE - timedelta(days=1), None)],
    ids=["none", "later", "sooner"],
)
def test_a_survivor_keeps_the_soonest_due_date(
    own: datetime | None, taken: datetime | None
) -> None:
    """Before: the survivor kept its own date (or none), and the merged leads' were lost."""
    desk, _ = _desk()
    survivor = _held(desk, "13800138000", own)
    first = _held(desk, "13800138001", DUE + timedelta(days=3), owner="dave")
    second = _held(desk, "13800138002", DUE, owner="dave")
    merged = desk.merge("carol", [survivor, first, second], survivor_id=survivor)
    assert merged.next_due_at == (own if taken is None else taken)
    plan = next(
        e
        for e in desk.history("carol", survivor)
        if e.kind is EventKind.MERGED and e.lead_id == survivor
    )
    filled = plan.data["filled"]
    assert isinstance(filled, dict)
    assert filled.get("next_due_at") == (None if taken is None else second)
    back = desk.unmerge("carol", survivor)
    assert back.next_due_at == own
    assert desk.get("carol", second).next_due_at == DUE


def test_a_survivor_nobody_holds_takes_no_due_date() -> None:
    desk, _ = _desk()
    waiting = desk.create("carol", "east", contact_name="王磊", phone="13800138000").id
    held = _held(desk, "13800138001", DUE)
    merged = desk.merge("carol", [waiting, held], survivor_id=waiting)
    assert (merged.status, merged.next_due_at) == (LeadStatus.UNASSIGNED, None)


def test_only_an_open_merged_lead_gives_its_due_date() -> None:
    """A lead stored with a date while not held (data from before the rule) gives none."""
    store = MemoryStore()
    desk, _ = _desk(store)
    survivor = _held(desk, "13800138000", None)
    lost = _held(desk, "13800138001", None, owner="dave")
    desk.close_lost("dave", lost, reason="预算不足")
    with store.unit_of_work() as uow:
        lead = uow.get_lead(lost)
        uow.save_lead(attrs.evolve(lead, next_due_at=DUE), expected_version=lead.version)
        uow.commit()
    assert desk.merge("carol", [survivor, lost], survivor_id=survivor).next_due_at is None


def test_unmerge_keeps_a_due_date_set_since_the_merge() -> None:
    desk, _ = _desk()
    survivor = _held(desk, "13800138000", None)
    other = _held(desk, "13800138001", DUE, owner="dave")
    assert desk.merge("carol", [survivor, other], survivor_id=survivor).next_due_at == DUE
    later = DUE + timedelta(days=7)
    desk.follow_up(
        "bob", survivor, method="visit", content="上门", result="有意向", next_follow_up_at=later
    )
    assert desk.unmerge("carol", survivor).next_due_at == later


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "bob", "dave"]),
            st.one_of(st.none(), st.integers(1, 30).map(lambda d: T0 + timedelta(days=d))),
        ),
        min_size=2,
        max_size=4,
    ),
    st.data(),
)
def test_unmerge_after_merge_gives_back_every_due_date(
    specs: list[tuple[str | None, datetime | None]], data: st.DataObject
) -> None:
    desk, _ = _desk()
    ids = []
    for n, (owner, due) in enumerate(specs):
        phone = f"1380013{8000 + n}"
        if owner is None:
            ids.append(desk.create("carol", "east", contact_name="王磊", phone=phone).id)
        else:
            ids.append(_held(desk, phone, due, owner=owner))
    before = {i: desk.get("carol", i) for i in ids}
    survivor_id = data.draw(st.sampled_from(ids))
    merged = desk.merge("carol", ids, survivor_id=survivor_id)
    own = before[survivor_id]
    offered = [
        lead.next_due_at
        for i, lead in before.items()
        if i != survivor_id and lead.is_open and lead.next_due_at is not None
    ]
    if own.is_open and offered and (own.next_due_at is None or min(offered) < own.next_due_at):
        assert merged.next_due_at == min(offered)
    else:
        assert merged.next_due_at == own.next_due_at
    desk.unmerge("carol", survivor_id)
    for i in ids:
        after = desk.get("carol", i)
        assert (after.status, after.next_due_at) == (before[i].status, before[i].next_due_at)
