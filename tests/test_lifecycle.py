"""The status machine: the table, transition's effects, and its refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    TRANSITIONS,
    Action,
    InvalidTransition,
    Lead,
    LeadStatus,
    ValidationError,
    allowed_actions,
    transition,
)
from leadcore.testing import EPOCH, make_lead
from leadcore.testing.strategies import leads

S, A = LeadStatus, Action
LATER = EPOCH + timedelta(hours=1)

# (from status, action, to status) — the moves of the lifecycle, spelled out for a reviewer.
EXPECTED_MOVES = [
    (S.UNASSIGNED, A.ASSIGN, S.ASSIGNED),
    (S.UNASSIGNED, A.CLAIM, S.ASSIGNED),
    (S.ASSIGNED, A.FOLLOW_UP, S.FOLLOWING),
    (S.FOLLOWING, A.FOLLOW_UP, S.FOLLOWING),
    (S.ASSIGNED, A.RELEASE, S.UNASSIGNED),
    (S.FOLLOWING, A.RETURN, S.UNASSIGNED),
    (S.FOLLOWING, A.RECLAIM, S.UNASSIGNED),
    (S.ASSIGNED, A.RECYCLE, S.UNASSIGNED),
    (S.FOLLOWING, A.REASSIGN, S.FOLLOWING),
    (S.FOLLOWING, A.CONVERT, S.CONVERTED),
    (S.ASSIGNED, A.INVALIDATE, S.INVALID),
    (S.FOLLOWING, A.CLOSE_LOST, S.CLOSED_LOST),
    (S.FOLLOWING, A.MERGE, S.MERGED),
    (S.INVALID, A.REOPEN, S.UNASSIGNED),
    (S.CLOSED_LOST, A.REOPEN, S.UNASSIGNED),
]


@pytest.mark.parametrize(("before", "action", "after"), EXPECTED_MOVES)
def test_spec_moves(before: LeadStatus, action: Action, after: LeadStatus) -> None:
    assert TRANSITIONS[before][action] is after


def test_converted_and_merged_are_read_only() -> None:
    assert allowed_actions(S.MERGED) == {A.VIEW}
    # A conversion made by mistake can be reopened; nothing else changes a converted lead.
    assert allowed_actions(S.CONVERTED) == {A.VIEW, A.REOPEN}
    reopened = transition(_lead_in(S.CONVERTED), A.REOPEN, at=LATER)
    assert (reopened.status, reopened.converted_customer_id) == (S.FOLLOWING, None)


def _lead_in(status: LeadStatus) -> Lead:
    extra: dict[str, str] = {}
    if status is S.MERGED:
        extra["merged_into"] = "L9"
    if status is S.CONVERTED:
        extra["converted_customer_id"] = "C1"
    owner = None if status is S.UNASSIGNED else "u1"
    return make_lead("L1", status=status, owner_id=owner, **extra)


def test_refusal_names_status_action_and_what_is_allowed() -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(_lead_in(S.CONVERTED), A.EDIT, at=LATER)
    error = caught.value
    assert (error.status, error.action, error.allowed) == ("converted", "edit", ("view", "reopen"))
    assert "'converted'" in str(error) and "edit" in str(error) and "L1" in str(error)


def test_assign_sets_owner_and_time() -> None:
    lead = transition(make_lead("L1"), A.ASSIGN, at=LATER, owner_id="u2", department_id="d1")
    assert (lead.status, lead.owner_id, lead.department_id, lead.assigned_at) == (
        S.ASSIGNED,
        "u2",
        "d1",
        LATER,
    )


def test_back_to_pool_clears_the_owner_and_keeps_the_rest() -> None:
    held = make_lead(
        "L1",
        status=S.FOLLOWING,
        owner_id="u1",
        assigned_at=EPOCH,
        stage="需求确认",
        next_due_at=LATER,
        company="星河科技",
    )
    back = transition(held, A.RETURN, at=LATER, reason="联系不上")
    assert (back.status, back.owner_id, back.assigned_at, back.stage, back.next_due_at) == (
        S.UNASSIGNED,
        None,
        None,
        None,
        None,
    )
    assert back.company == "星河科技" and back.updated_at == LATER


@pytest.mark.parametrize(
    ("action", "missing"),
    [
        (A.RETURN, "reason"),
        (A.INVALIDATE, "reason"),
        (A.CLOSE_LOST, "reason"),
        (A.REASSIGN, "owner_id"),
        (A.TRANSFER, "pool_id"),
        (A.MERGE, "merged_into"),
        (A.CONVERT, "customer_id"),
    ],
)
def test_moves_that_need_an_argument_refuse_without_it(action: Action, missing: str) -> None:
    with pytest.raises(ValidationError) as caught:
        transition(_lead_in(S.FOLLOWING), action, at=LATER, reason="  ")
    assert caught.value.fields == (missing,)


def test_transfer_needs_another_pool() -> None:
    lead = _lead_in(S.ASSIGNED)
    with pytest.raises(ValidationError):
        transition(lead, A.TRANSFER, at=LATER, pool_id=lead.pool_id)
    moved = transition(lead, A.TRANSFER, at=LATER, pool_id="pool-b")
    assert (moved.pool_id, moved.status, moved.owner_id) == ("pool-b", S.UNASSIGNED, None)


def test_outcomes_record_reason_and_target() -> None:
    assert (
        transition(_lead_in(S.ASSIGNED), A.INVALIDATE, at=LATER, reason="空号").invalid_reason
        == "空号"
    )
    assert (
        transition(_lead_in(S.FOLLOWING), A.CLOSE_LOST, at=LATER, reason="预算不足").lost_reason
        == "预算不足"
    )
    assert (
        transition(
            _lead_in(S.FOLLOWING), A.CONVERT, at=LATER, customer_id="C7"
        ).converted_customer_id
        == "C7"
    )
    reopened = transition(
        transition(_lead_in(S.ASSIGNED), A.INVALIDATE, at=LATER, reason="x"), A.REOPEN, at=LATER
    )
    assert reopened.status is S.UNASSIGNED and reopened.invalid_reason is None


@given(leads(), st.sampled_from(tuple(Action)))
def test_transition_follows_the_table_exactly(lead: Lead, action: Action) -> None:
    arguments: dict[str, Any] = {
        "owner_id": "u9",
        "reason": "why",
        "pool_id": "pool-z",
        "merged_into": "L-other",
        "customer_id": "C1",
    }
    if action in TRANSITIONS[lead.status]:
        moved = transition(lead, action, at=LATER, **arguments)
        assert moved.status is TRANSITIONS[lead.status][action]
        assert moved.id == lead.id and moved.created_at == lead.created_at
    else:
        with pytest.raises(InvalidTransition):
            transition(lead, action, at=LATER, **arguments)


@pytest.mark.parametrize(
    ("action", "move"),
    [
        (A.CHANGE_OWNER, {"owner_id": "u2"}),
        (A.RELEASE, {}),
        (A.RETURN, {"reason": "联系不上"}),
        (A.RECYCLE, {}),
    ],
)
def test_a_hand_out_or_a_return_to_the_pool_ends_the_sla_period(
    action: Action, move: dict[str, Any]
) -> None:
    """Even at the very instant the period began (a fixed clock), the next owner's period
    starts with no reminder, warning or escalation already done."""
    held = make_lead(
        "L1",
        status=S.ASSIGNED,
        owner_id="u1",
        assigned_at=EPOCH,
        sla_period=EPOCH,
        sla_steps=("remind", "warn"),
    )
    moved = transition(held, action, at=EPOCH, **move)
    assert (moved.sla_period, moved.sla_steps) == (None, ())


def test_other_moves_keep_the_sla_period() -> None:
    held = make_lead(
        "L1",
        status=S.ASSIGNED,
        owner_id="u1",
        assigned_at=EPOCH,
        sla_period=EPOCH,
        sla_steps=("remind",),
    )
    kept = transition(held, A.FOLLOW_UP, at=LATER)
    assert (kept.sla_period, kept.sla_steps) == (EPOCH, ("remind",))


@pytest.mark.parametrize(
    ("action", "move"),
    [(A.RELEASE, {}), (A.RETURN, {"reason": "联系不上"}), (A.RECYCLE, {}), (A.RECLAIM, {})],
)
def test_back_in_the_pool_a_lead_has_no_collaborators(action: Action, move: dict[str, Any]) -> None:
    """Access ends when its reason ends: nobody holds the lead, so nobody works with its owner."""
    held = make_lead(
        "L1",
        status=S.FOLLOWING,
        owner_id="u1",
        assigned_at=EPOCH,
        collaborators={"mia", "wang"},
        collaborator_roles={"mia": "marketing_owner"},
    )
    back = transition(held, action, at=LATER, **move)
    assert (back.collaborators, dict(back.collaborator_roles)) == (frozenset(), {})


def test_a_new_owner_keeps_the_leads_collaborators() -> None:
    held = make_lead(
        "L1", status=S.FOLLOWING, owner_id="u1", assigned_at=EPOCH, collaborators={"mia"}
    )
    moved = transition(held, A.CHANGE_OWNER, at=LATER, owner_id="u2")
    assert moved.collaborators == {"mia"}
