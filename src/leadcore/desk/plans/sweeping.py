"""The sweep (定时巡检): every due reminder, warning and escalation step emitted once, every lead
past its rule recycled to its pool or reassigned by the pool's strategy.

The store's due-time index says which leads have a step due, so a sweep reads only those.
Each lead is swept in its own unit of work from its freshly read version, and saved with the
version it was read at: a second sweeper at the same moment finds the step already recorded
on the lead (``Lead.sla_steps``), or loses the race with ``ConcurrencyConflict`` and reads it
again — so no step is emitted twice and no lead is acted on twice. A pool whose rules changed
since the last sweep has its held leads re-keyed first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from leadcore.assignment import AssignmentContext, Choice, MemoryContext, Strategy, chosen
from leadcore.assignment.context import LeavingOut
from leadcore.config import unstructure
from leadcore.errors import ConcurrencyConflict, LeadcoreError
from leadcore.events import Event, EventKind
from leadcore.frozen import frozen_mapping, replace
from leadcore.lifecycle import step
from leadcore.model import OPEN_STATUSES, Action, Lead, Pool
from leadcore.org import ManagerDirectory
from leadcore.policy import OwnerFacts, owner_refusal
from leadcore.query import LeadQuery
from leadcore.records import OwnershipChange
from leadcore.signatures import checked_constructor
from leadcore.sla import Audience, Due, PoolSla, StepKind, due_now, next_check, period_start
from leadcore.sla import recipients as who_hears

from ..outcome import LeadWrite, Outcome, RecordWrite, SaveLead, SetState, SetSweepAt
from ..reads import Reads
from ..runner import Runner
from ..setup import Setup
from .common import received, state_writes

__all__ = ["SWEEPER", "Reschedule", "SweepLead", "SweepSummary", "sweep"]

SWEEPER: Final = "system:sweep"
"""The actor the sweep's events name."""

_RULES_KEY: Final = "sla.rules."
_TAKEN_FROM: Final = "the lead was just taken from them: a reassignment never hands it back"
_BACK_IN_POOL: Final[Mapping[str, Any]] = frozen_mapping({"sla_period": None, "sla_steps": ()})
"""A recycled lead's further changes: its SLA period ends, and so does its protection (one
already past: the sweep waits while it lasts), as for every lead back in a pool."""
_KINDS: Final = {
    StepKind.REMINDER: EventKind.SLA_REMINDED,
    StepKind.WARNING: EventKind.RECYCLE_WARNED,
}


@attrs.frozen(slots=True)
class SweepFacts:
    """A lead as read for the sweep, its pool and time-keeping, the steps due, the owner's
    manager, and (when a step reassigns) the pool's strategy with the facts it reads."""

    lead: Lead | None
    pool: Pool | None = None
    sla: PoolSla | None = None
    due: tuple[Due, ...] = ()
    manager_id: str | None = None
    strategy: Strategy | None = None
    context: MemoryContext | None = None


@attrs.frozen(slots=True)
class Swept:
    """What sweeping one lead did: the steps emitted (in order) and the new owner, if it was
    reassigned."""

    lead_id: str
    steps: tuple[Due, ...] = ()
    new_owner_id: str | None = None


def _unassigned(lead: Lead, now: datetime) -> Lead:
    return step(lead, Action.RECYCLE, actor_id=SWEEPER, at=now, changes=_BACK_IN_POOL).lead


@attrs.frozen(kw_only=True)
class SweepLead:
    """Emit the lead's steps due at ``now`` and, when one says so, recycle or reassign it."""

    setup: Setup
    lead_id: str
    now: datetime

    def load(self, reads: Reads) -> SweepFacts:
        """The lead as stored now (it may have gone), its pool, and what is due."""
        lead = reads.uow.get_leads([self.lead_id]).get(self.lead_id)
        if lead is None:
            return SweepFacts(None)
        pool = reads.uow.get_pool(lead.pool_id)
        sla = self.setup.sla_of(pool)
        due = due_now(lead, sla, self.now)
        manager = None
        org = self.setup.org
        wants_manager = any(Audience.MANAGER in d.audience for d in due)
        if wants_manager and lead.owner_id is not None and isinstance(org, ManagerDirectory):
            manager = org.manager_of(lead.owner_id)
        strategy = context = None
        if due and due[-1].kind is StepKind.REASSIGN:
            strategy = self.setup.pool_strategy(pool)
            if strategy is not None:
                context = reads.assignment_context(
                    strategy, [_unassigned(lead, self.now)], {pool.id: pool}
                )
        return SweepFacts(lead, pool, sla, due, manager, strategy, context)

    def decide(self, facts: SweepFacts) -> None:
        """Nothing to refuse: the pool's own rules act."""

    def plan(self, facts: SweepFacts) -> Outcome[Swept]:
        """The steps' events, the lead marked with them, and the recycle or reassignment; a
        lead with nothing due only has its sweep time put right."""
        lead, pool, sla = facts.lead, facts.pool, facts.sla
        if lead is None or pool is None or sla is None:
            return Outcome(Swept(self.lead_id))
        if not facts.due:
            return Outcome(Swept(lead.id), records=(SetSweepAt(lead.id, next_check(lead, sla)),))
        start = period_start(lead)
        events = [self._notice(d, lead, pool, facts, start) for d in facts.due if not d.kind.acts]
        last = facts.due[-1]
        if not last.kind.acts:
            done = lead.sla_steps if lead.sla_period == start else ()
            keys = (*done, *(d.key for d in facts.due))
            marked = replace(lead, version=lead.version + 1, sla_period=start, sla_steps=keys)
            return Outcome(
                Swept(lead.id, facts.due), (SaveLead(marked, lead.version),), tuple(events)
            )
        return self._take_back(facts, last, start, events)

    def _notice(
        self, due: Due, lead: Lead, pool: Pool, facts: SweepFacts, start: datetime
    ) -> Event:
        users, missing = who_hears(due, lead, pool, facts.manager_id)
        data: dict[str, object] = {
            "step": due.name,
            "key": due.key,
            "due_at": due.at.isoformat(),
            "period_start": start.isoformat(),
            "owner_id": lead.owner_id,
            "recipients": list(users),
            "audience": sorted(a.value for a in due.audience),
            "unreached": list(missing),
        }
        if due.acts_at is not None:
            data["acts_at"] = due.acts_at.isoformat()
        return Event(
            _KINDS[due.kind],
            self.now,
            SWEEPER,
            lead_id=lead.id,
            pool_id=lead.pool_id,
            reason=due.reason,
            data=data,
        )

    def _take_back(
        self,
        facts: SweepFacts,
        due: Due,
        start: datetime,
        events: list[Event],
    ) -> Outcome[Swept]:
        """Recycle the lead (the previous owner recorded, their re-claim cool-down started,
        its protection ended) and, for a reassigning step, hand it to the strategy's pick.
        The SLA period that began at ``start`` ends here: the lead keeps no record of its
        steps, so whoever holds it next starts a fresh period, even at the instant the last
        one began."""
        lead, pool = facts.lead, facts.pool
        assert lead is not None and pool is not None
        owner = lead.owner_id
        users, _ = who_hears(due, lead, pool, facts.manager_id)
        recycled = step(
            lead,
            Action.RECYCLE,
            actor_id=SWEEPER,
            at=self.now,
            reason=f"{due.name}: {due.reason}",
            changes=_BACK_IN_POOL,
            data={
                "rule": due.name,
                "key": due.key,
                "due_at": due.at.isoformat(),
                "period_start": start.isoformat(),
                "previous_owner_id": owner,
                "recipients": list(users),
                "automatic": True,
            },
        )
        writes: list[LeadWrite] = [SaveLead(recycled.lead, lead.version)]
        records: list[RecordWrite] = []
        if owner is not None:
            records.append(received(owner, lead, self.now, OwnershipChange.RELEASED))
        events.append(recycled.event)
        new_owner = None
        if due.kind is StepKind.REASSIGN:
            assigned, extra, why = self._reassign(facts, recycled.lead, owner)
            events.append(why)
            if assigned is not None:
                writes.append(SaveLead(assigned, recycled.lead.version))
                records.extend(extra)
                new_owner = assigned.owner_id
        return Outcome(
            Swept(lead.id, facts.due, new_owner), tuple(writes), tuple(events), tuple(records)
        )

    def _reassign(
        self, facts: SweepFacts, lead: Lead, previous: str | None
    ) -> tuple[Lead | None, tuple[RecordWrite, ...], Event]:
        """The strategy's pick for the recycled lead among everyone eligible but the owner it
        was taken from (left out, with why, in the choice's ``excluded``), or why it stays in
        the pool: nobody else is eligible, or the strategy has no rules for it."""
        pool = facts.pool
        assert pool is not None
        refusal = "the pool has no auto-assign strategy"
        choice: Choice | None = None
        if facts.strategy is not None and facts.context is not None:
            context: AssignmentContext = facts.context
            if previous is not None:
                context = LeavingOut(context, {previous: _TAKEN_FROM})
            choice = chosen(facts.strategy, lead, context)
            refusal = choice.reason
            if choice.owner_id is not None and choice.owner_id == previous:
                refusal = f"the strategy chose {previous} again, who it was taken from"
            elif choice.owner_id is not None:
                owner = OwnerFacts(
                    context.user(choice.owner_id),
                    context.open_count(choice.owner_id),
                    context.away(choice.owner_id),
                )
                problem = owner_refusal(choice.owner_id, owner, pool)
                if problem is None and owner.user is not None:
                    done = step(
                        lead,
                        Action.ASSIGN,
                        actor_id=SWEEPER,
                        at=self.now,
                        owner_id=owner.user.id,
                        department_id=owner.user.department_id,
                        reason=choice.reason,
                        data={"rule": "sla_reassign", **choice.as_event_data()},
                    )
                    taken = received(owner.user.id, lead, self.now, OwnershipChange.ASSIGNED)
                    return done.lead, (*state_writes(choice), taken), done.event
                refusal = f"the strategy chose {choice.owner_id}, but {problem}"
        data: dict[str, object] = {"rule": "sla_reassign"}
        if choice is not None:
            data.update(choice.as_event_data())
        event = Event(
            EventKind.NO_OWNER_FOUND,
            self.now,
            SWEEPER,
            lead_id=lead.id,
            pool_id=lead.pool_id,
            reason=refusal,
            data=data,
        )
        return None, (), event


def rules_fingerprint(pool: Pool, setup: Setup) -> str:
    """A short digest of everything the pool's sweep times depend on: its hours and the policy
    it names (a changed one means its held leads are re-keyed)."""
    policy = setup.sla_policies.get(pool.sla_policy) if pool.sla_policy is not None else None
    data: dict[str, Any] = {
        "hours": [pool.reminder_hours, pool.recycle_hours, pool.recycle_warning_hours],
        "policy": pool.sla_policy,
        "rules": None if policy is None else unstructure(policy),
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@attrs.frozen(kw_only=True)
class Reschedule:
    """Re-key every held lead of a pool whose rules changed (or that was never swept)."""

    setup: Setup
    pool_id: str
    fingerprint: str

    def load(self, reads: Reads) -> tuple[PoolSla, list[Lead]]:
        """The pool's time-keeping and its held leads."""
        pool = reads.pool(self.pool_id)
        held = reads.uow.find_leads(LeadQuery(pool_id=pool.id, statuses=OPEN_STATUSES))
        return self.setup.sla_of(pool), held

    def decide(self, facts: tuple[PoolSla, list[Lead]]) -> None:
        """Nothing to refuse."""

    def plan(self, facts: tuple[PoolSla, list[Lead]]) -> Outcome[int]:
        """A sweep time for each held lead, and the fingerprint recorded."""
        sla, held = facts
        records: list[RecordWrite] = [SetSweepAt(lead.id, next_check(lead, sla)) for lead in held]
        records.append(SetState(_RULES_KEY + self.pool_id, self.fingerprint))
        return Outcome(len(held), records=tuple(records))


@checked_constructor
@attrs.frozen(slots=True)
class SweepSummary:
    """What one sweep at ``now`` did: per step kind, how many were emitted and on which leads
    (``lead_ids``, in the order swept); the leads reassigned (lead → new owner); how many
    leads it looked at; the leads it skipped after losing races to another sweeper; the
    leads it could not sweep, with why; and the pools whose held leads it re-keyed first."""

    now: datetime
    counts: Mapping[StepKind, int]
    lead_ids: Mapping[StepKind, tuple[str, ...]]
    reassigned: Mapping[str, str]
    looked_at: int
    skipped: tuple[str, ...] = ()
    failed: Mapping[str, LeadcoreError] = attrs.field(factory=dict)
    rescheduled: tuple[str, ...] = ()

    @property
    def emitted(self) -> int:
        """How many steps the sweep emitted in all."""
        return sum(self.counts.values())

    def __str__(self) -> str:
        parts = [f"{kind.value} {n}" for kind, n in self.counts.items() if n]
        return f"sweep at {self.now.isoformat()}: {', '.join(parts) or 'nothing due'}"


_ATTEMPTS: Final = 3


def _reschedule(runner: Runner, setup: Setup, failed: dict[str, LeadcoreError]) -> list[str]:
    def stale(reads: Reads) -> list[tuple[str, str]]:
        found = []
        for pool in reads.uow.list_pools():
            mark = rules_fingerprint(pool, setup)
            if reads.uow.get_state(_RULES_KEY + pool.id) != mark:
                found.append((pool.id, mark))
        return found

    done = []
    for pool_id, mark in runner.read(stale):
        try:
            runner.run(Reschedule(setup=setup, pool_id=pool_id, fingerprint=mark))
            done.append(pool_id)
        except LeadcoreError as e:
            failed[f"pool:{pool_id}"] = e
    return done


def _due(now: datetime, limit: int) -> Callable[[Reads], list[tuple[datetime, str]]]:
    def read(reads: Reads) -> list[tuple[datetime, str]]:
        return reads.uow.due_for_sweep(now, limit=limit)

    return read


def sweep(runner: Runner, setup: Setup, *, now: datetime, batch: int = 500) -> SweepSummary:
    """Sweep every lead with a step due at ``now`` (see the module docstring)."""
    failed: dict[str, LeadcoreError] = {}
    rescheduled = _reschedule(runner, setup, failed)
    seen: set[str] = set()
    skipped: list[str] = []
    swept: list[Swept] = []
    while True:
        wanted = batch + len(seen)
        page = runner.read(_due(now, wanted))
        fresh = [lead_id for _, lead_id in page if lead_id not in seen]
        if not fresh:
            break
        for lead_id in fresh:
            seen.add(lead_id)
            for attempt in range(_ATTEMPTS):
                try:
                    swept.append(runner.run(SweepLead(setup=setup, lead_id=lead_id, now=now)))
                    break
                except ConcurrencyConflict:
                    if attempt == _ATTEMPTS - 1:
                        skipped.append(lead_id)
                except LeadcoreError as e:
                    failed[lead_id] = e
                    break
        if len(page) < wanted:
            break
    counts = dict.fromkeys(StepKind, 0)
    ids: dict[StepKind, list[str]] = {kind: [] for kind in StepKind}
    for result in swept:
        for due in result.steps:
            counts[due.kind] += 1
            if result.lead_id not in ids[due.kind]:
                ids[due.kind].append(result.lead_id)
    return SweepSummary(
        now,
        counts,
        {kind: tuple(found) for kind, found in ids.items()},
        {r.lead_id: r.new_owner_id for r in swept if r.new_owner_id is not None},
        len(seen),
        tuple(skipped),
        failed,
        tuple(rescheduled),
    )
