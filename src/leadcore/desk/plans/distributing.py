"""Assignment by strategy (分配规则): one lead (``AutoAssign``) or a whole batch
(``Distribute``), each choice explained in its ``assigned`` event. How a batch's copies of
one person and the owners holding that person are found is in ``batch_duplicates``; how each
lead's owner is chosen and counted in the plan, in ``distribution_choices``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.assignment import (
    Choice,
    MemoryContext,
    Needs,
    PlanningContext,
    Strategy,
    chosen,
    distribution_needs,
)
from leadcore.errors import LeadcoreError, NoOwnerFound, NotFound
from leadcore.model import Action, Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy import ViewScope
from leadcore.records import Grant, OwnershipChange

from ..outcome import Outcome, SetState
from ..reads import Reads, Subject
from ..results import BatchResult, LeadOutcome
from ..setup import Setup
from .batch_duplicates import Held, copies_in, holders_of, key_texts_of
from .common import LeadCommand, received, state_writes
from .distribution_choices import Assigned, assigned_by, copied, picked, refusal_of, to_holder

__all__ = ["AutoAssign", "Distribute"]


@attrs.frozen(slots=True)
class ChoiceFacts:
    """A subject, the strategy to ask and the facts it reads."""

    subject: Subject
    strategy: Strategy
    context: MemoryContext


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
        choice = chosen(facts.strategy, s.lead, facts.context)
        if choice.owner_id is None:
            raise NoOwnerFound(s.lead.id, choice.strategy, choice.reason, choice.excluded)
        refusal = refusal_of(choice.owner_id, facts.context, s.pool)
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
    """Each asked-for lead's subject (or why it cannot be touched), the strategies and facts,
    and who already holds the person of a lead (a stored open duplicate's owner), by lead id."""

    lead_ids: tuple[str, ...]
    subjects: dict[str, Subject | LeadcoreError]
    strategies: dict[str, Strategy | LeadcoreError]
    context: MemoryContext | None
    held: Mapping[str, Held] = attrs.field(factory=dict)
    key_texts: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Distribute:
    """Distribute a batch (e.g. an import) across a team in one plan: every choice is made as
    if the leads were assigned one after another, in batch order (fair by the strategy), and
    all of them land in one unit of work, with a result per lead. Copies of one person (by the
    keys and scope each lead's pool's duplicate policy counts, whatever pool each copy is in)
    go to the owner of the first, counted toward their cap and quotas like any other lead; a
    person an owner already holds in an open lead outside the batch goes to that owner while
    they may receive it. Running it again assigns nothing twice."""

    setup: Setup
    actor_id: str
    lead_ids: Sequence[str]
    strategy: Strategy | str | None = None

    def load(self, reads: Reads) -> BatchFacts:
        """Each lead's subject (a lead the actor may not see is simply not found; the actor's
        view is read once for the batch) and its pool's strategy, who holds each lead's person
        already, and the facts all the strategies (and those holders) need."""
        actor = reads.actor(self.actor_id)
        subjects, scope = _subjects(reads, actor, list(dict.fromkeys(self.lead_ids)))
        strategies: dict[str, Strategy | LeadcoreError] = {}
        pools: dict[str, Pool] = {}
        for subject in subjects.values():
            if isinstance(subject, Subject) and subject.pool.id not in pools:
                pools[subject.pool.id] = subject.pool
                strategies[subject.pool.id] = self._strategy_for(subject.pool)
        waiting = [
            s
            for s in subjects.values()
            if isinstance(s, Subject) and s.lead.status is LeadStatus.UNASSIGNED
        ]
        texts = key_texts_of(self.setup, waiting)
        held = holders_of(reads, self.setup, waiting, texts, scope)
        holders = Needs(users={h.owner_id for h in held.values()})
        context = None
        for pool_id, strategy in strategies.items():
            if isinstance(strategy, LeadcoreError):
                continue
            leads = [s.lead for s in waiting if s.pool.id == pool_id]
            needs = distribution_needs(leads, strategy, pools) | holders
            context = _merged(context, reads.context_for(needs, pools.values()))
        return BatchFacts(tuple(self.lead_ids), subjects, strategies, context, held, texts)

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
        ready: list[Subject] = []
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
            ready.append(found)
        batch = Assigned()
        planning = PlanningContext(facts.context) if facts.context is not None else None
        copies = copies_in(self.setup, ready, facts.key_texts)
        held: dict[str, Held] = {}  # by the first lead of each person in the batch
        for subject in ready:
            found_held = facts.held.get(subject.lead.id)
            if found_held is not None:
                held.setdefault(copies.get(subject.lead.id, (subject.lead.id, ""))[0], found_held)
        taken: dict[str, Choice] = {}
        for subject in ready:
            chosen = facts.strategies[subject.pool.id]
            assert isinstance(chosen, Strategy) and planning is not None
            lead_id = subject.lead.id
            copy_of = copies.get(lead_id)
            if copy_of is not None:
                choice = copied(subject, taken[copy_of[0]], copy_of, planning)
            elif lead_id in held:
                choice = to_holder(subject, held[lead_id], chosen, planning)
            else:
                choice = picked(subject, chosen, planning)
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


def _subjects(
    reads: Reads, actor: User, lead_ids: list[str]
) -> tuple[dict[str, Subject | LeadcoreError], ViewScope]:
    """Each lead's subject as :meth:`Reads.subject` loads it (``NotFound`` for a lead the actor
    may not see, exactly as for a missing one), from one read of the leads, the pools and the
    actor's grants, and the actor's view of every pool, made once for the batch."""
    found: dict[str, Subject | LeadcoreError] = {}
    wanted: list[str] = []
    for lead_id in lead_ids:
        try:
            wanted.append(checks.identifier(lead_id, "lead_id"))
        except LeadcoreError as e:
            found[lead_id] = e
    leads = reads.uow.get_leads(wanted) if wanted else {}
    pools = {p.id: p for p in reads.uow.list_pools()}
    grants: dict[str, list[Grant]] = {}
    for grant in reads.uow.grants_of(actor.id, active_at=reads.now):
        grants.setdefault(grant.lead_id, []).append(grant)
    scope = reads.setup.policy.view_scope(
        actor,
        org=reads.setup.org,
        pools=pools.values(),
        grants=[grant for on_lead in grants.values() for grant in on_lead],
        now=reads.now,
    )
    for lead_id in wanted:
        lead = leads.get(lead_id)
        pool = None if lead is None else pools.get(lead.pool_id)
        if lead is None or pool is None or not scope.covers(lead):
            found[lead_id] = NotFound("lead", lead_id)
        else:
            given = tuple(grants.get(lead_id, ()))
            found[lead_id] = Subject(actor, lead, pool, reads.now, given, True)
    return {lead_id: found[lead_id] for lead_id in lead_ids}, scope


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
