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
)
from leadcore.errors import LeadcoreError, NoOwnerFound
from leadcore.events import Event
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
    in one unit of work, with a result per lead. Copies of one person (by the keys the pool's
    duplicate policy checks) go to the owner of the first, counted toward their cap and quotas
    like any other lead. Running it again assigns nothing twice."""

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
        batch = _Assigned()
        planning = PlanningContext(facts.context) if facts.context is not None else None
        for pool_id, everyone in ready.items():
            chosen = facts.strategies[pool_id]
            assert isinstance(chosen, Strategy) and planning is not None
            copies = _copies(self.setup, everyone)
            taken: dict[str, Choice] = {}
            for subject in everyone:
                lead_id = subject.lead.id
                copy_of = copies.get(lead_id)
                if copy_of is None:
                    choice = _picked(subject, chosen, planning)
                else:
                    choice = _copied(subject, taken[copy_of[0]], copy_of, planning)
                taken[lead_id] = choice
                if choice.owner_id is None:
                    error = NoOwnerFound(lead_id, choice.strategy, choice.reason, choice.excluded)
                    results[lead_id] = LeadOutcome(lead_id, error=error)
                else:
                    results[lead_id] = batch.add(subject, choice, planning)
        if planning is not None:
            batch.records.extend(SetState(k, v) for k, v in planning.overlay.items())
        ordered = tuple(results[lead_id] for lead_id in dict.fromkeys(facts.lead_ids))
        return batch.outcome(BatchResult(ordered))


@attrs.define
class _Assigned:
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


def _picked(subject: Subject, strategy: Strategy, planning: PlanningContext) -> Choice:
    """The strategy's choice for the (unassigned) lead, counted in ``planning`` as
    :func:`~leadcore.assignment.plan_distribution` counts it; an ineligible pick becomes a
    decline with the refusal as its reason."""
    choice = strategy.choose(subject.lead, planning)
    planning.apply(choice, subject.lead.pool_id)
    if choice.owner_id is None:
        return choice
    refusal = _planned_refusal(choice.owner_id, planning, subject.pool, counted=True)
    return choice if refusal is None else attrs.evolve(choice, owner_id=None, reason=refusal)


def _copied(
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
    refusal = _planned_refusal(first.owner_id, planning, subject.pool, counted=False)
    if refusal is not None:
        reason = f"{same} goes to {first.owner_id}, who cannot receive it: {refusal}"
        return attrs.evolve(first, owner_id=None, reason=reason, state_updates={})
    choice = attrs.evolve(first, reason=f"{same} goes to the same owner", state_updates={})
    planning.apply(choice, subject.pool.id)
    return choice


def _copies(setup: Setup, subjects: list[Subject]) -> dict[str, tuple[str, str]]:
    """Every lead of the batch that is a copy of an earlier one of the same person (by the keys
    the pool's duplicate policy checks), with the first one's id and the key they share: a
    batch never hands two copies of one person to two reps. A pool that checks no duplicates
    has no copies."""
    policy = setup.duplicates.for_pool(subjects[0].pool.id) if subjects else None
    if policy is None or not policy.checks:
        return {}
    kinds = {f"{kind.value}:" for kind in policy.kinds}
    first_of: dict[str, str] = {}
    copies: dict[str, tuple[str, str]] = {}
    for subject in subjects:
        texts = [
            t for t in setup.normaliser.key_texts(subject.lead) if t[: t.index(":") + 1] in kinds
        ]
        earlier = next(((first_of[t], t) for t in texts if t in first_of), None)
        target = subject.lead.id
        if earlier is not None:
            copies[target] = earlier
            target = earlier[0]
        for text in texts:
            first_of.setdefault(text, target)
    return copies


def _planned_refusal(
    owner_id: str, planning: PlanningContext, pool: Pool, *, counted: bool
) -> str | None:
    """Why ``owner_id`` may not receive one more lead of ``pool`` in this plan; ``counted``
    when the planning context already counts that lead (a strategy's pick is applied as it is
    made), so the load and the quotas before it are one less."""
    less = 1 if counted else 0
    facts = OwnerFacts(
        planning.user(owner_id),
        planning.open_count(owner_id) - less,
        planning.away(owner_id),
        tuple(use.plus(-less) for use in planning.quota(owner_id, pool.id)),
    )
    return owner_refusal(owner_id, facts, pool)


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
