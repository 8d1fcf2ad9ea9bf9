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
        for pool_id, everyone in ready.items():
            chosen = facts.strategies[pool_id]
            assert isinstance(chosen, Strategy) and planning is not None
            subjects, copies = _copies(self.setup, everyone)
            plan = plan_distribution([s.lead for s in subjects], chosen, planning)
            choices = dict(zip([s.lead.id for s in subjects], plan.choices, strict=True))
            for subject, first_id, key in copies:
                first = choices[first_id]
                reason = f"the same person as {first_id} ({key}) goes to the same owner"
                choices[subject.lead.id] = attrs.evolve(first, reason=reason, state_updates={})
            copied = {subject.lead.id for subject, _, _ in copies}
            extra: dict[str, int] = {}
            for subject in everyone:
                choice = choices[subject.lead.id]
                lead_id = subject.lead.id
                more = extra.get(choice.owner_id or "", 0) + (lead_id in copied)
                refusal = (
                    None
                    if choice.owner_id is None
                    else _planned_refusal(choice, planning, subject.pool, more)
                )
                if lead_id in copied and choice.owner_id is not None and refusal is None:
                    extra[choice.owner_id] = more
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


def _copies(
    setup: Setup, subjects: list[Subject]
) -> tuple[list[Subject], list[tuple[Subject, str, str]]]:
    """The batch's first lead of each person (by the keys the pool's duplicate policy checks),
    and every other copy with the first one's id and the key they share: a batch never hands
    two copies of one person to two reps. A pool that checks no duplicates has no copies."""
    policy = setup.duplicates.for_pool(subjects[0].pool.id) if subjects else None
    if policy is None or not policy.checks:
        return subjects, []
    kinds = {f"{kind.value}:" for kind in policy.kinds}
    first_of: dict[str, str] = {}
    firsts: list[Subject] = []
    copies: list[tuple[Subject, str, str]] = []
    for subject in subjects:
        texts = [
            t for t in setup.normaliser.key_texts(subject.lead) if t[: t.index(":") + 1] in kinds
        ]
        earlier = next(((first_of[t], t) for t in texts if t in first_of), None)
        if earlier is None:
            firsts.append(subject)
            target = subject.lead.id
        else:
            copies.append((subject, earlier[0], earlier[1]))
            target = earlier[0]
        for text in texts:
            first_of.setdefault(text, target)
    return firsts, copies


def _planned_refusal(
    choice: Choice, planning: PlanningContext, pool: Pool, copies: int = 0
) -> str | None:
    assert choice.owner_id is not None
    # The planning context already counts this choice's lead, so the load and the quotas
    # before it are one less; copies of one person handed to the same owner come on top (the
    # context does not see them).
    facts = OwnerFacts(
        planning.user(choice.owner_id),
        planning.open_count(choice.owner_id) - 1 + copies,
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
