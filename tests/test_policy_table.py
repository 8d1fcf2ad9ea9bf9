"""The permission rules as a table: each role × each action × each lead status → allowed or not, and why.

The expected table is written out here from the SPEC, independently of ``DEFAULT_CONFIG``, so a
change to the default policy that breaks a SPEC rule fails this test.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import pytest

from leadcore import Action, Lead, LeadStatus, OrgChart, Policy, Pool, User
from leadcore.lifecycle import TRANSITIONS
from leadcore.org import Department
from leadcore.policy import POOL_ACTIONS
from leadcore.testing.factories import EPOCH

A, S = Action, LeadStatus
UNASSIGNED = {S.UNASSIGNED}
HELD = {S.ASSIGNED, S.FOLLOWING}
CLOSED = {S.INVALID, S.CLOSED_LOST}
ANY = set(S)

# role → action → statuses in which the role may take it (before the lifecycle is asked).
SPEC_TABLE: Mapping[str, Mapping[Action, set[LeadStatus]]] = {
    # §5.2: pool admins assign, delete, edit, view unassigned leads; follow up, release, adjust,
    # reclaim assigned ones; they also transfer, recycle, reopen and invalidate junk, convert
    # held leads (a batch, or with a new customer owner) and reopen a mistaken conversion.
    "pool_admin": {
        A.VIEW: ANY,
        A.FOLLOW: ANY - {S.CONVERTED, S.MERGED},
        A.EDIT: UNASSIGNED | CLOSED,
        A.DELETE: UNASSIGNED | CLOSED,
        A.ASSIGN: UNASSIGNED,
        A.INVALIDATE: UNASSIGNED,
        A.TRANSFER: UNASSIGNED | HELD,
        A.MERGE: UNASSIGNED | HELD | CLOSED,
        A.FOLLOW_UP: HELD,
        A.RELEASE: HELD,
        A.CHANGE_OWNER: HELD,
        A.RECLAIM: HELD,
        A.RECYCLE: HELD,
        A.REOPEN: CLOSED | {S.CONVERTED},
        A.CONVERT: HELD,
        A.RECORD_ACTIVITY: UNASSIGNED | HELD,
    },
    # §5.3: the owner edits, follows up, converts, invalidates, closes, releases/returns and
    # manages collaborators.
    "owner": {
        A.VIEW: ANY,
        A.FOLLOW: ANY,
        **dict.fromkeys(
            (
                A.EDIT,
                A.FOLLOW_UP,
                A.CONVERT,
                A.INVALIDATE,
                A.CLOSE_LOST,
                A.RELEASE,
                A.RETURN,
                A.MANAGE_COLLABORATORS,
                A.RECORD_ACTIVITY,
                A.ACCEPT_SQL,
            ),
            HELD,
        ),
    },
    # §5.4: collaborators view and add follow-ups only.
    "collaborator": {A.VIEW: ANY, A.FOLLOW: ANY, A.FOLLOW_UP: HELD},
    # Following is a subscription, not a permission: a follower may (un)follow, nothing more.
    # Managers of the owner (so only while it has one) see the lead.
    "follower": {A.FOLLOW: ANY},
    "manager": {A.VIEW: ANY - UNASSIGNED, A.FOLLOW: ANY - UNASSIGNED},
    # Members of a claim pool see and claim what waits unassigned (抢单).
    "member": {A.VIEW: UNASSIGNED, A.FOLLOW: UNASSIGNED, A.CLAIM: UNASSIGNED},
    # System admins see everything (audits), record behaviour (integrations) and merge
    # duplicates (data clean-up), but work no leads.
    "system_admin": {
        A.VIEW: ANY,
        A.FOLLOW: ANY,
        A.RECORD_ACTIVITY: ANY,
        A.MERGE: UNASSIGNED | HELD | CLOSED,
    },
    # An unrelated user (another department) may do nothing to the lead.
    "outsider": {},
}

ORG = OrgChart(
    users=[
        User("root", roles={"system_admin"}),
        User("pool_admin", department_id="ops"),
        User("owner", department_id="sales"),
        User("collaborator", department_id="sales"),
        User("follower", department_id="sales"),
        User("manager", department_id="hq"),
        User("member", department_id="sales"),
        User("outsider", department_id="north"),
    ],
    departments=[
        Department("hq"),
        Department("ops", parent_id="hq"),
        Department("sales", parent_id="hq", manager_id="manager"),
        Department("north"),
    ],
)
ACTOR_OF = {"system_admin": "root"}
POOL = Pool(
    id="p",
    name="华东线索池",
    admins={"pool_admin"},
    members={"owner", "collaborator", "follower", "member"},
    claim_enabled=True,
)
POLICY = Policy.default()


def lead_in(status: LeadStatus) -> Lead:
    owned = status is not S.UNASSIGNED
    return Lead(
        id=f"lead-{status.value}",
        pool_id="p",
        created_by="member",
        created_at=EPOCH,
        status=status,
        owner_id="owner" if owned else None,
        collaborators={"collaborator"},
        followers={"follower"},
        merged_into="survivor" if status is S.MERGED else None,
        converted_customer_id="cust-1" if status is S.CONVERTED else None,
    )


CASES = [
    (role, action, status)
    for role in SPEC_TABLE
    for action in Action
    if action not in POOL_ACTIONS
    for status in LeadStatus
]


@pytest.mark.parametrize(("role", "action", "status"), CASES)
def test_spec_table(role: str, action: Action, status: LeadStatus) -> None:
    actor = ORG.user(ACTOR_OF.get(role, role))
    lead = lead_in(status)
    if role == "owner" and status is S.UNASSIGNED:
        pytest.skip("an unassigned lead has no owner")
    decision = POLICY.decide(actor, action, lead, POOL, org=ORG, now=EPOCH)
    lifecycle_allows = action in TRANSITIONS[status]
    rights = SPEC_TABLE[role].get(action, set())
    if POOL.is_member(
        actor.id
    ):  # roles add up: a pool's admins and members also hold member rights
        rights = rights | SPEC_TABLE["member"].get(action, set())
    expected = lifecycle_allows and status in rights
    assert decision.allowed is expected, decision.reason
    assert decision.action is action and decision.reason
    if not lifecycle_allows:
        assert repr(status.value) in decision.reason
    elif not expected:
        # The refusal says who could, so the user knows whom to ask.
        assert "only" in decision.reason or "nobody" in decision.reason


@pytest.mark.parametrize("role", list(SPEC_TABLE))
def test_everyone_creates_unless_the_pool_forbids_free_creation(role: str) -> None:
    actor = ORG.user(ACTOR_OF.get(role, role))
    assert POLICY.decide(actor, A.CREATE, None, POOL, org=ORG, now=EPOCH).allowed
    no_free_create = attrs.evolve(POOL, free_create=False)
    closed = POLICY.decide(actor, A.CREATE, None, no_free_create, org=ORG, now=EPOCH)
    assert closed.allowed is (role in ("pool_admin", "system_admin")), closed.reason
    if not closed.allowed:
        assert "自由新建" in closed.reason


@pytest.mark.parametrize("role", list(SPEC_TABLE))
def test_only_system_admins_configure_pools(role: str) -> None:
    actor = ORG.user(ACTOR_OF.get(role, role))
    decision = POLICY.decide(actor, A.CONFIGURE_POOL, None, POOL, org=ORG, now=EPOCH)
    assert decision.allowed is (role == "system_admin"), decision.reason


def test_claiming_needs_a_claim_pool() -> None:
    no_claims = Pool(id="p", name="华北线索池", admins={"pool_admin"}, members={"member"})
    decision = POLICY.decide(
        ORG.user("member"), A.CLAIM, lead_in(S.UNASSIGNED), no_claims, org=ORG, now=EPOCH
    )
    assert not decision.allowed
    assert decision.reason == "pool 华北线索池 does not allow claiming (抢单)"


def test_inactive_users_may_do_nothing() -> None:
    org = OrgChart(users=[User("gone", active=False)])
    pool = Pool(id="p", name="p", admins={"gone"})
    decision = POLICY.decide(
        org.user("gone"), A.VIEW, lead_in(S.UNASSIGNED), pool, org=org, now=EPOCH
    )
    assert not decision.allowed and "inactive" in decision.reason


def test_a_marketing_co_owner_edits_beside_the_sales_owner() -> None:
    lead = lead_in(S.FOLLOWING)
    co_owned = attrs.evolve(lead, collaborator_roles={"collaborator": "marketing_owner"})
    collaborator = ORG.user("collaborator")
    assert not POLICY.decide(collaborator, A.EDIT, lead, POOL, org=ORG, now=EPOCH).allowed
    edit = POLICY.decide(collaborator, A.EDIT, co_owned, POOL, org=ORG, now=EPOCH)
    assert edit.allowed and "marketing_owner" in edit.reason
    assert not POLICY.decide(collaborator, A.CONVERT, co_owned, POOL, org=ORG, now=EPOCH).allowed
