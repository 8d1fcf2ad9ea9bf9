"""Assignment by strategy (分配规则): one lead (``AutoAssign``) or a whole batch
(``Distribute``), each choice explained in its ``assigned`` event."""

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
    distribution_needs,
)
from leadcore.dedup import DedupKey, mask_key
from leadcore.errors import LeadcoreError, NoOwnerFound, NotFound
from leadcore.events import Event
from leadcore.lifecycle import Step
from leadcore.model import Action, Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, ViewScope, owner_refusal
from leadcore.records import Grant, OwnershipChange

from ..outcome import Outcome, RecordWrite, SaveLead, SetState
from ..reads import Reads, Subject
from ..results import BatchResult, LeadOutcome
from ..setup import Setup
from .common import LeadCommand, received, state_writes
from .duplicates import survivor_of

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
class Held:
    """A stored open lead of the same person as a lead of the batch: who holds it, and the
    words naming it in reasons (the lead's id only if the actor may see it, the key masked)."""

    owner_id: str
    same: str


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
        texts = _key_texts(self.setup, waiting)
        held = _holders(reads, self.setup, waiting, texts, scope)
        holders = Needs(users={h.owner_id for h in held.values()})
        context = None
        for pool_id, chosen in strategies.items():
            if isinstance(chosen, LeadcoreError):
                continue
            leads = [s.lead for s in waiting if s.pool.id == pool_id]
            needs = distribution_needs(leads, chosen, pools) | holders
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
        batch = _Assigned()
        planning = PlanningContext(facts.context) if facts.context is not None else None
        copies = _copies(self.setup, ready, facts.key_texts)
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
                choice = _copied(subject, taken[copy_of[0]], copy_of, planning)
            elif lead_id in held:
                choice = _to_holder(subject, held[lead_id], chosen, planning)
            else:
                choice = _picked(subject, chosen, planning)
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


def _key_texts(setup: Setup, subjects: Sequence[Subject]) -> dict[str, tuple[str, ...]]:
    """Each lead's duplicate keys as text, read once for the batch; none when no pool of the
    batch checks duplicates."""
    if not any(setup.duplicates.for_pool(p).checks for p in {s.pool.id for s in subjects}):
        return {}
    return {s.lead.id: setup.normaliser.key_texts(s.lead) for s in subjects}


def _holders(
    reads: Reads,
    setup: Setup,
    subjects: Sequence[Subject],
    texts: Mapping[str, tuple[str, ...]],
    scope: ViewScope,
) -> dict[str, Held]:
    """For each lead whose pool's duplicate policy checks, the oldest stored open lead outside
    the batch that shares a key the policy checks, is in its scope and has an owner (a merged
    lead counts as the lead it was merged into); read with one look-up of all the keys."""
    wanted: dict[str, list[DedupKey]] = {}
    for subject in subjects:
        policy = setup.duplicates.for_pool(subject.pool.id)
        if policy.checks:
            parsed = (DedupKey.parse(t) for t in texts.get(subject.lead.id, ()))
            keys = [k for k in parsed if k.kind in policy.kinds]
            if keys:
                wanted[subject.lead.id] = keys
    if not wanted:
        return {}
    by_key = reads.uow.leads_by_key({k for keys in wanted.values() for k in keys})
    stored = reads.uow.get_leads({i for ids in by_key.values() for i in ids})
    batch = {s.lead.id for s in subjects}
    survivors: dict[str, Lead] = {}  # a merged lead → the lead it now is, looked up once
    found: dict[str, Held] = {}
    for subject in subjects:
        policy = setup.duplicates.for_pool(subject.pool.id)
        value = policy.scope_value(subject.lead)
        best: tuple[Lead, DedupKey] | None = None
        for key in wanted.get(subject.lead.id, ()):
            for lead_id in by_key.get(key, ()):
                lead = stored.get(lead_id)
                if lead is not None and lead.status is LeadStatus.MERGED:
                    if lead.id not in survivors:
                        survivors[lead.id] = survivor_of(reads, lead)
                    lead = survivors[lead.id]
                if (
                    lead is None
                    or lead.id in batch
                    or lead.owner_id is None
                    or not lead.is_open
                    or not policy.counts(lead, subject.pool.id, value)
                ):
                    continue
                if best is None or (lead.created_at, lead.id) < (best[0].created_at, best[0].id):
                    best = (lead, key)
        if best is not None:
            lead, key = best
            assert lead.owner_id is not None
            what = f"lead {lead.id}" if scope.covers(lead) else "a lead"
            same = f"the same person as {what} held by {lead.owner_id} ({key.kind.label} "
            found[subject.lead.id] = Held(lead.owner_id, f"{same}{mask_key(key)})")
    return found


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


def _to_holder(
    subject: Subject, held: Held, strategy: Strategy, planning: PlanningContext
) -> Choice:
    """A person an owner already holds in a stored open lead goes to that owner if they may
    receive it (it then counts toward their load and quotas), else to the strategy's pick."""
    refusal = _planned_refusal(held.owner_id, planning, subject.pool, counted=False)
    if refusal is None:
        choice = Choice(
            held.owner_id,
            f"{held.same} goes to the same owner",
            strategy=strategy.name,
            candidates=(held.owner_id,),
        )
        planning.apply(choice, subject.pool.id)
        return choice
    choice = _picked(subject, strategy, planning)
    excluded = {held.owner_id: refusal, **choice.excluded}
    return attrs.evolve(
        choice,
        reason=f"{held.same}, who cannot receive it ({refusal}); {choice.reason}",
        excluded=excluded,
    )


def _copies(
    setup: Setup, subjects: list[Subject], known: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, str]]:
    """Every lead of the batch that is a copy of an earlier one of the same person, whatever
    pool each is in, with the first one's id and the key they share: a batch never hands two
    copies of one person to two reps. A lead is a copy of an earlier one as it would be its
    duplicate at entry: they share a key its pool's duplicate policy checks, and the policy
    counts the earlier lead (its scope: the whole organisation, the pool, a field's value). A
    lead of a pool that checks no duplicates is no copy. ``known`` holds the key texts read
    already."""
    policies = {s.pool.id: setup.duplicates.for_pool(s.pool.id) for s in subjects}
    kinds = {
        pool_id: {f"{kind.value}:" for kind in policy.kinds}
        for pool_id, policy in policies.items()
        if policy.checks
    }
    if not kinds:
        return {}
    earlier: dict[str, list[Subject]] = {}  # key text → the batch's leads with it, in order
    first: dict[str, str] = {}  # lead id → the first lead of its person in the batch
    copies: dict[str, tuple[str, str]] = {}
    for subject in subjects:
        lead, pool_id = subject.lead, subject.pool.id
        texts = known.get(lead.id)
        if texts is None:
            texts = setup.normaliser.key_texts(lead)
        checked = kinds.get(pool_id)
        if checked is not None:
            policy, value = policies[pool_id], policies[pool_id].scope_value(lead)
            copies_of = (
                (first[other.lead.id], text)
                for text in texts
                if text[: text.index(":") + 1] in checked
                for other in earlier.get(text, ())
                if policy.counts(other.lead, pool_id, value)
            )
            found = next(copies_of, None)
            if found is not None:
                copies[lead.id] = found
        first[lead.id] = copies[lead.id][0] if lead.id in copies else lead.id
        for text in texts:
            earlier.setdefault(text, []).append(subject)
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
