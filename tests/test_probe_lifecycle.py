"""Probes of the lead lifecycle and ownership operations: the pure status machine's arguments,
the reasons of every move, who a change of owner names, the moves a give-back or a close
takes, protecting a read-only lead, and a decided lead's due date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from leadcore import (
    Action,
    Department,
    FixedClock,
    InvalidTransition,
    LeadDesk,
    LeadQuery,
    LeadStatus,
    MemoryStore,
    OrgChart,
    Pool,
    User,
    ValidationError,
    allowed_actions,
    counter_ids,
    step,
    transition,
)
from leadcore.desk.plans.closing import Move
from leadcore.desk.plans.ownership import GiveBack
from leadcore.lifecycle import next_status
from leadcore.testing import make_lead

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
S, A = LeadStatus, Action


def _world() -> tuple[LeadDesk, FixedClock, MemoryStore, str]:
    """A desk with two pools carol runs, and bob's lead in the first, followed up with a next
    date and a stage."""
    org = OrgChart(
        users=[
            User("root", roles={"system_admin"}),
            User("carol", department_id="east"),
            User("bob", department_id="east"),
            User("dave", department_id="east"),
            User("erin", department_id="north"),
        ],
        departments=[Department("east", "华东"), Department("north", "华北")],
    )
    clock = FixedClock(T0)
    store = MemoryStore()
    desk = LeadDesk(store, clock, org, ids=counter_ids())
    desk.create_pool(
        "root", Pool(id="east", name="华东线索池", admins={"carol"}, members={"bob", "dave"})
    )
    desk.create_pool("root", Pool(id="west", name="华西线索池", admins={"carol"}))
    lead_id = desk.create("bob", "east", contact_name="王磊", phone="13800138000").id
    desk.assign("carol", lead_id, "bob")
    desk.follow_up(
        "bob",
        lead_id,
        method="phone",
        content="确认需求",
        result="有意向",
        next_follow_up_at=T0 + timedelta(days=2),
        stage="需求确认",
    )
    clock.advance(minutes=5)
    return desk, clock, store, lead_id


def _snapshot(store: MemoryStore) -> tuple[list[Any], list[Any]]:
    with store.unit_of_work() as uow:
        return uow.find_leads(LeadQuery()), uow.events_since(0)


# --- the pure status machine ----------------------------------------------------------------

HELD = make_lead("L1", status=S.ASSIGNED, owner_id="u1")
# Untyped, as a caller without a type checker calls them.
loose_transition: Any = transition
loose_step: Any = step
loose_allowed: Any = allowed_actions
loose_next: Any = next_status
WAITING = make_lead("L2")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: loose_transition(None, A.RELEASE, at=T0), "lead"),
        (lambda: loose_transition(HELD, None, at=T0), "action"),
        (lambda: loose_transition(HELD, A.RELEASE, at=datetime(2026, 3, 2)), "at"),
        (lambda: loose_transition(HELD, A.RELEASE, at="2026-03-02"), "at"),
        (lambda: loose_transition(HELD, A.RELEASE, at=None), "at"),
        (lambda: loose_transition(WAITING, A.ASSIGN, at=T0, owner_id=5), "owner_id"),
        (lambda: loose_transition(WAITING, A.ASSIGN, at=T0, owner_id=" u1 "), "owner_id"),
        (
            lambda: loose_transition(WAITING, A.ASSIGN, at=T0, owner_id="u1", department_id=5),
            "department_id",
        ),
        (
            lambda: loose_transition(WAITING, A.ASSIGN, at=T0, owner_id="u1", department_id=""),
            "department_id",
        ),
        (lambda: loose_transition(HELD, A.TRANSFER, at=T0, pool_id=7), "pool_id"),
        (lambda: loose_transition(HELD, A.MERGE, at=T0, merged_into=7), "merged_into"),
        (lambda: loose_transition(HELD, A.CONVERT, at=T0, customer_id=7), "customer_id"),
        (lambda: loose_transition(HELD, A.RELEASE, at=T0, ownr="u2"), "ownr"),
        (lambda: loose_transition(HELD, A.RELEASE, at=T0, changes={"nope": 1}), "changes.nope"),
        (lambda: loose_transition(HELD, A.RELEASE, at=T0, changes="x"), "changes"),
        (lambda: loose_step(HELD, A.RELEASE, actor_id=None, at=T0), "actor_id"),
        (lambda: loose_step(HELD, A.RELEASE, actor_id="a", at=T0, changes="x"), "changes"),
        (lambda: loose_step(None, A.RELEASE, actor_id="a", at=T0), "lead"),
        (lambda: loose_allowed(None), "status"),
        (lambda: loose_next(HELD, "nope"), "action"),
        (lambda: loose_next(None, A.VIEW), "lead"),
    ],
)
def test_transition_names_each_bad_argument(call: Any, field: str) -> None:
    """Before: an AttributeError, KeyError, TypeError or ValueError, an ``InvalidTransition``
    for "action None", or a lead kept with an owner 5, a naive ``updated_at``, a padded id, an
    audit event by nobody."""
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.fields


def test_transition_takes_an_action_by_value_and_keeps_times_in_utc() -> None:
    east = datetime(2026, 3, 2, 17, tzinfo=timezone(timedelta(hours=8)))
    moved = loose_transition(HELD, "release", at=east)
    assert moved.status is S.UNASSIGNED and moved.updated_at is not None
    assert moved.updated_at.tzinfo is UTC and moved.updated_at == east
    assert loose_allowed("待跟进") == allowed_actions(S.ASSIGNED)


@pytest.mark.parametrize(
    ("action", "field"), [(A.INVALIDATE, "invalid_reason"), (A.CLOSE_LOST, "lost_reason")]
)
def test_a_decided_lead_is_due_for_no_follow_up(action: Action, field: str) -> None:
    """Before: an invalid or lost lead kept its next due date, so it led the owner's "due"
    list (next follow-up first) and exports showed it due."""
    desk, _, store, lead_id = _world()
    done = (desk.invalidate if action is A.INVALIDATE else desk.close_lost)("bob", lead_id, "空号")
    assert done.next_due_at is None and getattr(done, field) == "空号"
    assert done.stage == "需求确认"  # where it got to stays, for the funnel
    assert desk.leads("bob", view="mine", order="due").ids == []
    last = _snapshot(store)[1][-1]
    assert ("next_due_at", T0 + timedelta(days=2), None) in [
        (c.field, c.before, c.after) for c in last.changes
    ]


# --- the reasons of every move ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["change_owner", "transfer"])
@pytest.mark.parametrize(("given", "kept"), [("", None), ("   ", None), ("  换区  ", "换区")])
def test_a_change_of_owner_or_pool_trims_its_reason_like_every_move(
    kind: str, given: str, kept: str | None
) -> None:
    """Before: "" and "   " were kept as the event's reason, and padding was kept."""
    desk, _, store, lead_id = _world()
    if kind == "change_owner":
        desk.change_owner("carol", lead_id, "dave", reason=given)
    else:
        desk.transfer("carol", lead_id, "west", reason=given)
    assert _snapshot(store)[1][-1].reason == kept


@pytest.mark.parametrize("kind", ["change_owner", "transfer"])
def test_a_change_of_owner_or_pool_refuses_a_reason_on_several_lines(kind: str) -> None:
    """Before: accepted, where release, return, invalidate, close and reopen refuse one."""
    desk, _, store, lead_id = _world()
    before = _snapshot(store)
    with pytest.raises(ValidationError) as caught:
        if kind == "change_owner":
            desk.change_owner("carol", lead_id, "dave", reason="第一行\n第二行")
        else:
            desk.transfer("carol", lead_id, "west", reason="第一行\n第二行")
    assert caught.value.fields == ("reason",)
    assert _snapshot(store) == before


@pytest.mark.parametrize("kind", ["return", "invalidate", "close_lost"])
@pytest.mark.parametrize("reason", ["\u200b", "\u200b \ufeff"])
def test_invisible_characters_are_no_reason(kind: str, reason: str) -> None:
    """Before: a zero-width space (or a BOM) passed as the reason a return, an invalidation or
    a close needs, and was kept in the audit trail."""
    desk, _, store, lead_id = _world()
    before = _snapshot(store)
    call = {
        "return": desk.return_lead,
        "invalidate": desk.invalidate,
        "close_lost": desk.close_lost,
    }
    with pytest.raises(ValidationError, match="needs a reason") as caught:
        call[kind]("bob", lead_id, reason)
    assert caught.value.fields == ("reason",)
    assert _snapshot(store) == before
    with pytest.raises(ValidationError, match="needs a reason"):
        transition(HELD, A.RETURN, at=T0, reason=reason)


def test_an_optional_reason_of_invisible_characters_is_none_and_emoji_are_kept() -> None:
    desk, _, store, lead_id = _world()
    desk.release("bob", lead_id, reason="\u200b")
    assert _snapshot(store)[1][-1].reason is None
    desk.assign("carol", lead_id, "bob")
    desk.return_lead("bob", lead_id, "👨\u200d💻 换人跟")
    assert _snapshot(store)[1][-1].reason == "👨\u200d💻 换人跟"


# --- change of owner --------------------------------------------------------------------------


@pytest.mark.parametrize("new_owner", ["erin", "nobody"])
def test_an_ineligible_new_owner_is_named_by_the_argument_that_named_them(new_owner: str) -> None:
    """Before: ``owner_id``, though ``change_owner`` takes ``new_owner_id`` (which its other
    refusals name)."""
    desk, _, store, lead_id = _world()
    before = _snapshot(store)
    with pytest.raises(ValidationError) as caught:
        desk.change_owner("carol", lead_id, new_owner)
    assert caught.value.fields == ("new_owner_id",)
    assert _snapshot(store) == before


# --- the moves a plan takes -------------------------------------------------------------------


@pytest.mark.parametrize("move", [A.INVALIDATE, A.CONVERT, A.ASSIGN, "nope", None])
def test_a_give_back_takes_only_a_give_back(move: object) -> None:
    """Before: ``GiveBack(move=INVALIDATE)`` run by the owner invalidated the lead and started
    their re-claim cool-down as if they had released it; a ``str`` move raised AttributeError."""
    desk, _, store, lead_id = _world()
    before = _snapshot(store)
    with pytest.raises(ValidationError) as caught:
        desk.run(GiveBack(setup=desk.setup, actor_id="bob", lead_id=lead_id, move=move))
    assert caught.value.fields == ("move",)
    assert _snapshot(store) == before


def test_a_close_takes_only_invalidate_or_close_lost() -> None:
    desk, _, _, lead_id = _world()
    with pytest.raises(ValidationError) as caught:
        Move(setup=desk.setup, actor_id="bob", lead_id=lead_id, move=A.RELEASE)
    assert caught.value.fields == ("move",)
    closed = desk.run(
        GiveBack(setup=desk.setup, actor_id="bob", lead_id=lead_id, move="释放", reason=" 忙 ")
    )
    assert closed.status is S.UNASSIGNED


# --- protecting -------------------------------------------------------------------------------


def test_protecting_a_read_only_lead_names_protect() -> None:
    """Before: "it cannot be edited", naming an action the caller did not take."""
    desk, _, store, lead_id = _world()
    desk.convert("bob", lead_id)
    before = _snapshot(store)
    with pytest.raises(InvalidTransition) as caught:
        desk.protect("carol", lead_id, T0 + timedelta(days=3), reason="重点客户")
    assert caught.value.action == "protect" and caught.value.allowed == ("view", "reopen")
    assert "'protect'" in str(caught.value) and "converted" in str(caught.value)
    assert _snapshot(store) == before


def test_a_merged_lead_is_due_for_no_follow_up_until_it_is_unmerged() -> None:
    """Before: a merged (read-only) lead kept its next due date and stayed in the "due" list
    beside its survivor."""
    desk, _, _, lead_id = _world()
    other = desk.create("bob", "east", contact_name="王磊", phone="13800138001").id
    desk.assign("carol", other, "bob")
    desk.merge("carol", [other, lead_id], survivor_id=other)
    assert desk.get("bob", lead_id).next_due_at is None
    # Only the survivor is listed: it took the merged lead's promise.
    assert desk.leads("bob", view="mine", order="due").ids == [other]
    desk.unmerge("carol", other)
    assert desk.get("bob", lead_id).next_due_at == T0 + timedelta(days=2)
    assert desk.get("bob", other).next_due_at is None
    assert desk.leads("bob", view="mine", order="due").ids == [lead_id]


# --- collaborators ----------------------------------------------------------------------------


def test_a_huge_list_of_unknown_collaborators_is_refused_with_a_short_message() -> None:
    """Before: one problem per id, 50,000 of them (a 1.4 MB message), where every list check
    names at most 20."""
    desk, _, store, lead_id = _world()
    before = _snapshot(store)
    with pytest.raises(ValidationError) as caught:
        desk.add_collaborators("bob", lead_id, ["bob", *(f"ghost{i:05}" for i in range(50_000))])
    problems = caught.value.problems
    assert len(problems) == 21 and len(str(caught.value)) < 2_000
    assert problems[0].reason == "'bob' owns the lead"
    assert problems[1].reason == "no user 'ghost00000'"
    assert problems[-1].reason.startswith("49981 more cannot collaborate")
    assert _snapshot(store) == before
