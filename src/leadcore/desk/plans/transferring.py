"""Transferring a lead to another pool (转移): it arrives unassigned and the new pool's rules
for a new lead give it its first owner."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import EventKind
from leadcore.lifecycle import step, transition
from leadcore.model import Action, Lead, Pool
from leadcore.records import OwnershipChange

from ..outcome import Outcome
from ..reads import Reads, Subject
from .closing import move_reason
from .common import EntryFacts, LeadCommand, load_entry, plan_entry, received

__all__ = ["Transfer"]


@attrs.frozen(slots=True)
class TransferFacts:
    """A transfer's subject, the target pool and what its rules for a new arrival need."""

    subject: Subject
    target: Pool
    entry: EntryFacts | None


def _to_pool_id(value: object) -> str:
    return checks.identifier(value, "to_pool_id")


@attrs.frozen(kw_only=True)
class Transfer(LeadCommand):
    """Move a lead to ``to_pool_id``. The actor needs the right to transfer in both pools (by
    default: admin of the source and of the target). Any protection ends: it was of a hold in
    the pool the lead leaves."""

    action: ClassVar[Action] = Action.TRANSFER
    to_pool_id: str = attrs.field(converter=_to_pool_id)
    reason: str | None = attrs.field(default=None, converter=move_reason)

    def load(self, reads: Reads) -> TransferFacts:
        """The subject, the target pool, and (if it is on) its entry facts."""
        subject = self.subject(reads)
        target = reads.pool(self.to_pool_id)
        entry = None
        if target.enabled and target.id != subject.pool.id:
            lead = subject.lead
            entry = load_entry(
                reads,
                subject.actor,
                lambda: transition(lead, Action.TRANSFER, at=reads.now, pool_id=target.id),
                target,
            )
        return TransferFacts(subject, target, entry)

    def decide(self, facts: TransferFacts) -> None:
        """Transfer allowed in the source pool and in the target pool, and the target accepts
        the lead's source."""
        s = facts.subject
        self.require(s)
        into = f"lead {s.lead.id!r} into pool {facts.target.id!r}"
        self.setup.require(s.actor, Action.TRANSFER, s.lead, facts.target, now=s.now, what=into)
        if not facts.target.allows_source(s.lead.source):
            raise ValidationError(
                [
                    FieldProblem(
                        "source",
                        f"pool {facts.target.name} does not accept source {s.lead.source!r}",
                    )
                ]
            )

    def plan(self, facts: TransferFacts) -> Outcome[Lead]:
        """The lead in the target pool, unprotected, unassigned or handed out by the target's
        rules."""
        s = facts.subject
        moved = s.step(
            Action.TRANSFER,
            pool_id=facts.target.id,
            reason=self.reason,
            data={"from_pool": s.pool.id, "to_pool": facts.target.id},
        )
        if facts.entry is None:
            return Outcome.of_step(moved, s.lead.version)
        entry = plan_entry(facts.entry, s.actor)
        if entry.owner_id is None:
            # As for a new lead: nobody the target's rules name may take it, so it waits.
            waiting = entry.waiting_events(moved.lead, s.now, s.actor.id)
            return Outcome.of_step(moved, s.lead.version, *waiting, records=entry.records)
        owner = self.setup.org.user(entry.owner_id)
        assigned = step(
            moved.lead,
            Action.ASSIGN,
            actor_id=s.actor.id,
            at=s.now,
            owner_id=owner.id,
            department_id=owner.department_id,
            reason=entry.reason,
            changes={"version": moved.lead.version},
            data=entry.data,
        )
        assert assigned.event.kind is EventKind.ASSIGNED
        record = received(owner.id, assigned.lead, s.now, OwnershipChange.ASSIGNED)
        return Outcome(
            assigned.lead,
            Outcome.of_step(assigned, s.lead.version).leads,
            (moved.event, assigned.event),
            (*entry.records, record),
        )
