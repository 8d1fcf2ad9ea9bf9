"""Each lead's owner in a distribution, chosen as if the leads were assigned one after another:
the strategy's pick, the owner of an earlier copy of the same person, or the owner who holds
that person already — each counted toward the owner's load and quotas in the plan, and each
refused (becoming a decline with the reason) when the owner may not receive one more lead."""

from __future__ import annotations

import attrs

from leadcore.assignment import AssignmentContext, Choice, PlanningContext, Strategy, chosen
from leadcore.events import Event
from leadcore.lifecycle import Step
from leadcore.model import Action, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, owner_refusal
from leadcore.records import OwnershipChange

from ..outcome import Outcome, RecordWrite, SaveLead
from ..reads import Subject
from ..results import BatchResult, LeadOutcome
from .batch_duplicates import Held
from .common import received

__all__ = ["Assigned", "assigned_by", "copied", "picked", "refusal_of", "to_holder"]


def assigned_by(choice: Choice, subject: Subject, owner: User) -> Step:
    """The lifecycle step of handing ``subject``'s lead to the strategy's pick."""
    return subject.step(
        Action.ASSIGN,
        owner_id=owner.id,
        department_id=owner.department_id,
        reason=choice.reason,
        data={"rule": "strategy", **choice.as_event_data()},
    )


def refusal_of(
    owner_id: str, context: AssignmentContext, pool: Pool, *, counted: bool = False
) -> str | None:
    """Why ``owner_id`` may not receive one more lead of ``pool`` by the facts in ``context``;
    ``counted`` when a planning context already counts that lead (a strategy's pick is
    applied as it is made), so the load and the quotas before it are one less."""
    less = 1 if counted else 0
    facts = OwnerFacts(
        context.user(owner_id),
        context.open_count(owner_id) - less,
        context.away(owner_id),
        tuple(use.plus(-less) for use in context.quota(owner_id, pool.id)),
    )
    return owner_refusal(owner_id, facts, pool)


@attrs.define
class Assigned:
    """The writes of a distribution's assignments, gathered lead by lead."""

    saves: list[SaveLead] = attrs.field(factory=list)
    events: list[Event] = attrs.field(factory=list)
    records: list[RecordWrite] = attrs.field(factory=list)

    def add(self, subject: Subject, choice: Choice, planning: PlanningContext) -> LeadOutcome:
        """Hand ``subject``'s lead to the choice's owner; its result."""
        assert choice.owner_id is not None
        owner = planning.user(choice.owner_id)
        assert owner is not None
        done = assigned_by(choice, subject, owner)
        self.saves.append(SaveLead(done.lead, subject.lead.version))
        self.events.append(done.event)
        self.records.append(received(owner.id, subject.lead, subject.now, OwnershipChange.ASSIGNED))
        return LeadOutcome(subject.lead.id, lead=done.lead)

    def outcome(self, result: BatchResult) -> Outcome[BatchResult]:
        """Every write in one outcome."""
        return Outcome(result, tuple(self.saves), tuple(self.events), tuple(self.records))


def picked(subject: Subject, strategy: Strategy, planning: PlanningContext) -> Choice:
    """The strategy's choice for the (unassigned) lead, counted in ``planning`` as
    :func:`~leadcore.assignment.plan_distribution` counts it; an ineligible pick becomes a
    decline with the refusal as its reason."""
    choice = chosen(strategy, subject.lead, planning)
    planning.apply(choice, subject.lead.pool_id)
    if choice.owner_id is None:
        return choice
    refusal = refusal_of(choice.owner_id, planning, subject.pool, counted=True)
    return choice if refusal is None else attrs.evolve(choice, owner_id=None, reason=refusal)


def copied(
    subject: Subject, first: Choice, copy_of: tuple[str, str], planning: PlanningContext
) -> Choice:
    """A copy of a person goes to the owner of the batch's first lead of that person, if they
    may still receive it (it then counts toward their load and quotas), else to nobody."""
    first_id, key = copy_of
    same = f"the same person as {first_id} ({key})"
    if first.owner_id is None:
        return attrs.evolve(
            first, reason=f"{same} found no owner either: {first.reason}", state_updates={}
        )
    refusal = refusal_of(first.owner_id, planning, subject.pool)
    if refusal is not None:
        reason = f"{same} goes to {first.owner_id}, who cannot receive it: {refusal}"
        return attrs.evolve(first, owner_id=None, reason=reason, state_updates={})
    choice = attrs.evolve(first, reason=f"{same} goes to the same owner", state_updates={})
    planning.apply(choice, subject.pool.id)
    return choice


def to_holder(
    subject: Subject, held: Held, strategy: Strategy, planning: PlanningContext
) -> Choice:
    """A person an owner already holds in a stored open lead goes to that owner if they may
    receive it (it then counts toward their load and quotas), else to the strategy's pick."""
    refusal = refusal_of(held.owner_id, planning, subject.pool)
    if refusal is None:
        choice = Choice(
            held.owner_id,
            f"{held.same} goes to the same owner",
            strategy=strategy.name,
            candidates=(held.owner_id,),
        )
        planning.apply(choice, subject.pool.id)
        return choice
    choice = picked(subject, strategy, planning)
    excluded = {held.owner_id: refusal, **choice.excluded}
    return attrs.evolve(
        choice,
        reason=f"{held.same}, who cannot receive it ({refusal}); {choice.reason}",
        excluded=excluded,
    )
