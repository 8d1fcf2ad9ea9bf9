"""Who holds a lead: assign (分配), claim (抢单), give back — release (释放), return (退回),
reclaim (收回), recycle (回收) — and change the owner (更换负责人)."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.errors import (
    AlreadyClaimed,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.lifecycle import step
from leadcore.model import Action, FollowUp, Lead
from leadcore.org import DepartmentDirectory
from leadcore.policy import ClaimFacts, OwnerFacts, owner_problem
from leadcore.records import OwnershipChange
from leadcore.sla.timing import protection

from ..outcome import Outcome, RecordWrite, SaveFollowUp
from ..reads import Reads, Subject
from ..setup import Setup
from .closing import Move, move_reason
from .common import LeadCommand, received

__all__ = [
    "Assign",
    "ChangeOwner",
    "Claim",
    "GiveBack",
    "HandOverFacts",
    "require_department",
    "require_owner",
]


@attrs.frozen(slots=True)
class HandOverFacts:
    """A subject, what the owner-eligibility rule knows of the new owner, and (for a change of
    owner) the lead's follow-up records to move and whether the old owner stays on as a
    collaborator (only while they are a user, and active)."""

    subject: Subject
    owner: OwnerFacts
    follow_ups: tuple[FollowUp, ...] = ()
    keeps_old_owner: bool = False


def require_owner(
    user_id: str, facts: OwnerFacts, subject: Subject, *, field: str = "owner_id"
) -> None:
    """Refuse (``ValidationError`` on ``field``, the argument that named them) a new owner the
    one rule says may not receive a lead of the subject's pool."""
    refusal = owner_problem(user_id, facts, subject.pool)
    if refusal is not None:
        raise ValidationError([FieldProblem(field, refusal)])


def require_department(setup: Setup, department_id: object) -> None:
    """Refuse (``ValidationError`` on ``department_id``) a department that is not an id as
    kept (non-blank text without surrounding spaces), or that the org directory does not know when it can tell (a ``DepartmentDirectory`` such as
    ``OrgChart``). None is fine: the new owner's own department is taken."""
    if department_id is None:
        return
    department = checks.kept_identifier(department_id, "department_id")
    org = setup.org
    if isinstance(org, DepartmentDirectory):
        try:
            org.department(department)
        except NotFound:
            raise ValidationError(
                [FieldProblem("department_id", f"there is no department {department!r}")]
            ) from None


def _owner_id(value: object) -> str:
    return checks.identifier(value, "owner_id")


def _new_owner_id(value: object) -> str:
    return checks.identifier(value, "new_owner_id")


@attrs.frozen(kw_only=True)
class Assign(LeadCommand):
    """Give an unassigned lead an owner (pool admins), with an optional ``reason`` for the
    ``assigned`` event."""

    action: ClassVar[Action] = Action.ASSIGN
    owner_id: str = attrs.field(converter=_owner_id)  # trimmed, as every call trims ids
    department_id: str | None = None
    reason: str | None = attrs.field(default=None, converter=move_reason)

    def load(self, reads: Reads) -> HandOverFacts:
        """The subject and the would-be owner."""
        subject = self.subject(reads)
        return HandOverFacts(subject, reads.owner_facts(self.owner_id, subject.pool))

    def decide(self, facts: HandOverFacts) -> None:
        """The department is one the org knows; the actor may assign; the owner may receive
        the lead."""
        require_department(self.setup, self.department_id)
        self.require(facts.subject)
        require_owner(self.owner_id, facts.owner, facts.subject)

    def plan(self, facts: HandOverFacts) -> Outcome[Lead]:
        """The lead assigned, with the owner's receipt recorded."""
        s = facts.subject
        assert facts.owner.user is not None
        done = s.step(
            Action.ASSIGN,
            owner_id=self.owner_id,
            department_id=self.department_id or facts.owner.user.department_id,
            reason=self.reason,
            data={"rule": "manual"},
        )
        record = received(self.owner_id, s.lead, s.now, OwnershipChange.ASSIGNED)
        return Outcome.of_step(done, s.lead.version, records=(record,))


@attrs.frozen(slots=True)
class ClaimSubject:
    """A claim's subject and the counts the pool's claim caps are decided on."""

    subject: Subject
    counts: ClaimFacts


@attrs.frozen(kw_only=True)
class Claim(LeadCommand):
    """Take an unassigned lead from a pool that allows claiming, within the pool's caps."""

    action: ClassVar[Action] = Action.CLAIM

    def load(self, reads: Reads) -> ClaimSubject:
        """The subject and the claimer's open leads, claims today and last give-back."""
        subject = self.subject(reads)
        return ClaimSubject(subject, reads.claim_facts(subject.actor, subject.lead))

    def decide(self, facts: ClaimSubject) -> None:
        """Too late when someone owns it already (naming them only to those who may see the
        lead); else the lifecycle, the policy and the pool's caps decide."""
        s = facts.subject
        if s.lead.owner_id is not None:
            raise AlreadyClaimed(s.lead.id, s.lead.owner_id if s.visible else None)
        if not s.visible:
            raise NotFound("lead", s.lead.id)
        s.require(self.setup, Action.CLAIM, claim=facts.counts)

    def plan(self, facts: ClaimSubject) -> Outcome[Lead]:
        """The lead owned by the claimer, with the claim recorded (it counts toward the daily
        cap)."""
        s = facts.subject
        done = s.step(
            Action.CLAIM,
            owner_id=s.actor.id,
            department_id=s.actor.department_id,
        )
        record = received(s.actor.id, s.lead, s.now, OwnershipChange.CLAIMED)
        return Outcome.of_step(done, s.lead.version, records=(record,))


@attrs.frozen(kw_only=True)
class GiveBack(Move):
    """Send a held lead back to its pool, unassigned, history kept: ``move`` is release
    (the owner or a pool admin), return (the owner, with a reason), reclaim (a pool admin) or
    recycle (refused while an admin's protection lasts, the rule the sweep waits by). The
    previous owner's re-claim cool-down starts, and any protection ends: it was of their hold."""

    action: ClassVar[Action] = Action.RELEASE
    moves: ClassVar[frozenset[Action]] = frozenset(
        {Action.RELEASE, Action.RETURN, Action.RECLAIM, Action.RECYCLE}
    )

    def decide(self, facts: Subject) -> None:
        """Lifecycle and policy allow this move; a recycle waits while the lead is protected."""
        Move.decide(self, facts)
        held = protection(facts.lead, facts.now) if self.move is Action.RECYCLE else None
        if held is not None:
            reason = f"it is {held}; lift the protection first"
            raise PermissionDenied(facts.actor.id, self.move, f"lead {facts.lead.id!r}", reason)

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead unassigned and unprotected, with the previous owner's give-back recorded."""
        done = facts.step(self.move, reason=self.reason)
        records: tuple[RecordWrite, ...] = ()
        if facts.lead.owner_id is not None:
            records = (
                received(facts.lead.owner_id, facts.lead, facts.now, OwnershipChange.RELEASED),
            )
        return Outcome.of_step(done, facts.lead.version, records=records)


@attrs.frozen(kw_only=True)
class ChangeOwner(LeadCommand):
    """Hand a held lead to another owner (调整/更换负责人). The old owner becomes a
    collaborator, unless they are deactivated or gone (access ends when its reason ends); with
    ``move_follow_ups`` their follow-up records move to the new owner."""

    action: ClassVar[Action] = Action.CHANGE_OWNER
    owner_id: str = attrs.field(converter=_new_owner_id)
    department_id: str | None = None
    move_follow_ups: bool = False
    reason: str | None = attrs.field(default=None, converter=move_reason)

    def load(self, reads: Reads) -> HandOverFacts:
        """The subject, the new owner, (to move them) the follow-ups, and whether the old
        owner is an active user."""
        subject = self.subject(reads)
        follow_ups = tuple(reads.follow_ups(subject.lead.id)) if self.move_follow_ups else ()
        old = subject.lead.owner_id
        old_owner = None if old is None else reads.user_or_none(old)
        return HandOverFacts(
            subject,
            reads.owner_facts(self.owner_id, subject.pool),
            follow_ups,
            keeps_old_owner=old_owner is not None and old_owner.active,
        )

    def decide(self, facts: HandOverFacts) -> None:
        """The department is one the org knows; the actor may change the owner; the new owner
        is someone else who may receive it."""
        require_department(self.setup, self.department_id)
        self.require(facts.subject)
        if self.owner_id == facts.subject.lead.owner_id:
            raise ValidationError(
                [FieldProblem("new_owner_id", f"{self.owner_id!r} already owns the lead")]
            )
        require_owner(self.owner_id, facts.owner, facts.subject, field="new_owner_id")

    def plan(self, facts: HandOverFacts) -> Outcome[Lead]:
        """The lead with its new owner, the old one (if active) kept on as a collaborator."""
        s = facts.subject
        lead = s.lead
        old = lead.owner_id
        assert facts.owner.user is not None
        roles = {u: r for u, r in lead.collaborator_roles.items() if u != self.owner_id}
        collaborators = lead.collaborators - {self.owner_id}
        if old is not None and facts.keeps_old_owner:
            collaborators |= {old}
        moved: list[RecordWrite] = []
        if old is not None and self.move_follow_ups:
            moved = [
                SaveFollowUp(attrs.evolve(record, owner_id=self.owner_id))
                for record in facts.follow_ups
                if record.owner_id == old
            ]
        done = step(
            lead,
            Action.CHANGE_OWNER,
            actor_id=s.actor.id,
            at=s.now,
            owner_id=self.owner_id,
            department_id=self.department_id or facts.owner.user.department_id,
            reason=self.reason,
            changes={"collaborators": collaborators, "collaborator_roles": roles},
            data={
                "follow_ups_moved": [w.follow_up.id for w in moved if isinstance(w, SaveFollowUp)]
            },
        )
        record = received(self.owner_id, lead, s.now, OwnershipChange.ASSIGNED)
        return Outcome.of_step(done, lead.version, records=(*moved, record))
