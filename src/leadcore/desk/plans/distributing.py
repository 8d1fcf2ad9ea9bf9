"""Assignment by strategy (分配规则): one lead (``AutoAssign``) or a whole batch
(``Distribute``), each choice explained in its ``assigned`` event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import attrs

from leadcore.assignment import (
    Choice,
    MemoryContext,
    PlanningContext,
    Strategy,
    distribution_needs,
    plan_distribution,
)
from leadcore.errors import LeadcoreError, NoOwnerFound
from leadcore.lifecycle import Step
from leadcore.model import Action, Lead, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, owner_refusal
from leadcore.records import OwnershipChange

from ..outcome import Outcome, RecordWrite, SaveLead, SetState
from ..reads import Reads, Subject
from ..results import BatchResult, LeadOutcome
from ..setup import Setup
from .common import LeadCommand, received, state_writes

__all__ = ["AutoAssign", "Distribute"]


@attrs.frozen(slots=True)
class ChoiceFacts:
    """A subject, the strategy to ask and the facts it reads."""

    subject: Subject
    strategy: Strategy
    context: MemoryContext


def assigned_by(choice: Choice, subject: Subject, owner: User) -> Step:
    """The lifecycle step of handing ``subject``'s lead to the strategy's pick."""
    return subject.step(
        Action.ASSIGN,
        owner_id=owner.id,
        department_id=owner.department_id,
        reason=choice.reason,
        data={"rule": "strategy", **choice.as_event_data()},
    )


def _pick_refusal(choice: Choice, context: MemoryContext, pool: Pool) -> str | None:
    assert choice.owner_id is not None
    facts = OwnerFacts(
        context.user(choice.owner_id),
        context.open_count(choice.owner_id),
        context.away(choice.owner_id),
        context.quota(choice.owner_id, pool.id),
    )
    return owner_refusal(choice.owner_id, facts, pool)


@attrs.frozen(kw_only=True)
class AutoAssign(LeadCommand):
    """Assign an unassigned lead by a strategy (the given one, one named, or the pool's)."""

    action: ClassVar[Action] = Action.ASSIGN
    strategy: Strategy | str | None = None

    def load(self, reads: Reads) -> ChoiceFacts:
        """The subject, the strategy and everything it says it needs."""
        subject = self.subject(reads)
        chosen = self.setup.strategy_named(subject.pool, self.strategy)
        context = reads.assignment_context(chosen, [subject.lead], {subject.pool.id: subject.pool})
        return ChoiceFacts(subject, chosen, context)

    def decide(self, facts: ChoiceFacts) -> None:
        """The actor may assign the lead."""
        self.require(facts.subject)

    def plan(self, facts: ChoiceFacts) -> Outcome[Lead]:
        """The lead assigned to the strategy's pick with the cursor moves it made; a decline
        (or an ineligible pick) raises ``NoOwnerFound`` and writes nothing."""
        s = facts.subject
        choice = facts.strategy.choose(s.lead, facts.context)
        if choice.owner_id is None:
            raise NoOwnerFound(s.lead.id, choice.strategy, choice.reason, choice.excluded)
        refusal = _pick_refusal(choice, facts.context, s.pool)
        if refusal is not None:
            raise NoOwnerFound(s.lead.id, choice.strategy, refusal, choice.excluded)
        owner = facts.context.user(choice.owner_id)
        assert owner is not None
        done = assigned_by(choice, s, owner)
        records = (
            *state_writes(choice),
            received(owner.id, s.lead, s.now, OwnershipChange.ASSIGNED),
        )
        return Outcome.of_step(done, s.lead.version, records=records)


@attrs.frozen(slots=True)
class BatchFacts:
    """Each asked-for lead's subject (or why it cannot be touched), the strategies and facts."""

    lead_ids: tuple[str, ...]
    subjects: dict[str, Subject | LeadcoreError]
    strategies: dict[str, Strategy | LeadcoreError]
    context: MemoryContext | None


@attrs.frozen(kw_only=True)
class Distribute:
    """Distribute a batch (e.g. an import) across a team in one plan: every choice is made as
    if the leads were assigned one after another (fair by the strategy), and all of them land
    in one unit of work, with a result per lead. Running it again assigns nothing twice."""

    setup: Setup
    actor_id: str
    lead_ids: Sequence[str]
    strategy: Strategy | str | None = None

    def load(self, reads: Reads) -> BatchFacts:
        """Each lead's subject (a lead the actor may not see is simply not found) and its
        pool's strategy, and the facts all the strategies need."""
        actor = reads.actor(self.actor_id)
        subjects: dict[str, Subject | LeadcoreError] = {}
        strategies: dict[str, Strategy | LeadcoreError] = {}
        pools: dict[str, Pool] = {}
        for lead_id in dict.fromkeys(self.lead_ids):
            try:
                subject = reads.subject(actor.id, lead_id, action=Action.ASSIGN)
                strategies.setdefault(subject.pool.id, self._strategy_for(subject.pool))
            except LeadcoreError as e:
                subjects[lead_id] = e
                continue
            subjects[lead_id] = subject
            pools[subject.pool.id] = subject.pool
        context = None
        for pool_id, chosen in strategies.items():
            if isinstance(chosen, LeadcoreError):
                continue
            leads = [
                s.lead for s in subjects.values() if isinstance(s, Subject) and s.pool.id == pool_id
            ]
            needs = distribution_needs(leads, chosen, pools)
            context = _merged(context, reads.context_for(needs, pools.values()))
        return BatchFacts(tuple(self.lead_ids), subjects, strategies, context)

    def _strategy_for(self, pool: Pool) -> Strategy | LeadcoreError:
        try:
            return self.setup.strategy_named(pool, self.strategy)
        except LeadcoreError as e:
            return e

    def decide(self, facts: BatchFacts) -> None:
        """Nothing to refuse as a whole: each lead is decided on its own in the plan."""

    def plan(self, facts: BatchFacts) -> Outcome[BatchResult]:
        """A choice per lead that may be assigned (refusals and declines become that lead's
        result), every assignment and cursor move in one outcome."""
        results: dict[str, LeadOutcome] = {}
        ready: dict[str, list[Subject]] = {}
        for lead_id in dict.fromkeys(facts.lead_ids):
            found = facts.subjects[lead_id]
            if isinstance(found, LeadcoreError):
                results[lead_id] = LeadOutcome(lead_id, error=found)
                continue
            try:
                found.require(self.setup, Action.ASSIGN)
                chosen = facts.strategies[found.pool.id]
                if isinstance(chosen, LeadcoreError):
                    raise chosen
            except LeadcoreError as e:
                results[lead_id] = LeadOutcome(lead_id, error=e)
                continue
            ready.setdefault(found.pool.id, []).append(found)
        saves: list[SaveLead] = []
        events = []
        records: list[RecordWrite] = []
        planning = PlanningContext(facts.context) if facts.context is not None else None
        for pool_id, subjects in ready.items():
            chosen = facts.strategies[pool_id]
            assert isinstance(chosen, Strategy) and planning is not None
            plan = plan_distribution([s.lead for s in subjects], chosen, planning)
            for subject, choice in zip(subjects, plan.choices, strict=True):
                lead_id = subject.lead.id
                refusal = (
                    None
                    if choice.owner_id is None
                    else _planned_refusal(choice, planning, subject.pool)
                )
                if choice.owner_id is None or refusal is not None:
                    reason = choice.reason if refusal is None else refusal
                    error = NoOwnerFound(lead_id, choice.strategy, reason, choice.excluded)
                    results[lead_id] = LeadOutcome(lead_id, error=error)
                    continue
                owner = planning.user(choice.owner_id)
                assert owner is not None
                done = assigned_by(choice, subject, owner)
                saves.append(SaveLead(done.lead, subject.lead.version))
                events.append(done.event)
                records.append(
                    received(owner.id, subject.lead, subject.now, OwnershipChange.ASSIGNED)
                )
                results[lead_id] = LeadOutcome(lead_id, lead=done.lead)
            records.extend(SetState(k, v) for k, v in plan.state_updates.items())
        ordered = tuple(results[lead_id] for lead_id in dict.fromkeys(facts.lead_ids))
        return Outcome(BatchResult(ordered), tuple(saves), tuple(events), tuple(records))


def _planned_refusal(choice: Choice, planning: PlanningContext, pool: Pool) -> str | None:
    assert choice.owner_id is not None
    # The planning context already counts this choice's lead, so the load and the quotas
    # before it are one less.
    facts = OwnerFacts(
        planning.user(choice.owner_id),
        planning.open_count(choice.owner_id) - 1,
        planning.away(choice.owner_id),
        tuple(use.plus(-1) for use in planning.quota(choice.owner_id, pool.id)),
    )
    return owner_refusal(choice.owner_id, facts, pool)


def _merged(first: MemoryContext | None, second: MemoryContext) -> MemoryContext:
    if first is None:
        return second
    return MemoryContext(
        [*first.users.values(), *second.users.values()],
        {**first.loads, **second.loads},
        {**first.data, **second.data},
        now=second.now,
        rng=second.rng,
        pools=[*first.pools.values(), *second.pools.values()],
        away=[*first.away_periods, *second.away_periods],
        history=[
            lead for leads in (*first.history.values(), *second.history.values()) for lead in leads
        ],
        unknown_users=first.unknown_users | second.unknown_users,
        quotas={**first.quotas, **second.quotas},
        strict=True,
    )
