"""The one runner every operation goes through.

In one unit of work: **load** what the plan needs (``Reads``), **decide** (lifecycle and
policy, pure: a refusal raises before anything is written), **plan** (pure: an ``Outcome``),
add what follows from any change to a lead (``plans.reactions``: a due date taken from a field,
the pool's conditions, the learned grade), then save each lead with the version it was read
at, write the other records, append the events, keep the due-time index (when the sweep next
looks at each lead written, from its pool's SLA rules), and commit. A refusal or a failure
anywhere leaves the store as it was.

Single operations, batches (a unit of work and a result per lead) and many plans in one unit of
work (each in a savepoint, for imports and sweeps) all run here. This module and the stores are
the only places that write.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final, Protocol, TypeVar, runtime_checkable

from leadcore import checks
from leadcore.clock import Clock
from leadcore.errors import AlreadyExists, DuplicateLead, LeadcoreError
from leadcore.ids import IdFactory, ResumableIds
from leadcore.model import Lead
from leadcore.records import OwnershipRecord
from leadcore.signatures import checked_constructor
from leadcore.sla import PoolSla, next_check
from leadcore.storage.protocol import LeadStore, UnitOfWork

from .outcome import (
    AddFollowUp,
    AddLead,
    AddPool,
    DeleteLead,
    MoveFollowUp,
    Outcome,
    PutGrant,
    SaveFollowUp,
    SaveLead,
    SavePool,
    SetAway,
    SetState,
    SetSweepAt,
)
from .plans.reactions import react
from .reads import Reads
from .results import BatchResult, LeadOutcome
from .setup import Setup

__all__ = ["Operation", "Runner"]

_ID_COLLISION_RETRIES: Final = 3
"""How many times an operation is run again when its new id collides with a stored record."""

_ID_KINDS: Final = {"lead": "lead", "follow-up": "follow_up"}
"""The id kind to resume for a collision the store reports (by the kind it names)."""

F = TypeVar("F")
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@runtime_checkable
class Operation(Protocol[F, T_co]):
    """A plan: ``load`` what it needs, ``decide`` whether it may go ahead (raise if not), and
    ``plan`` the outcome. ``decide`` and ``plan`` are pure functions of the loaded facts."""

    def load(self, reads: Reads) -> F:
        """Read everything the decision and the plan need."""
        ...

    def decide(self, facts: F) -> None:
        """Raise a ``LeadcoreError`` if the operation may not go ahead."""
        ...

    def plan(self, facts: F) -> Outcome[T_co]:
        """What the operation writes and returns."""
        ...


@checked_constructor
class Runner:
    """Runs operations against ``store`` with the desk's ``setup``, ``clock``, ids and rng."""

    def __init__(
        self,
        store: LeadStore,
        clock: Clock,
        setup: Setup,
        *,
        ids: IdFactory,
        rng: random.Random,
    ) -> None:
        self.store = store
        self.clock = clock
        self.setup = setup
        self._ids = ids
        self._rng = rng
        self._resumed: set[str] = set()

    def now(self) -> datetime:
        """The clock's time, in UTC; ``ValidationError`` naming ``clock`` if a host's clock
        tells a naive time or something else."""
        return checks.aware(self.clock.now(), "clock.now()")

    def _reads(self, uow: UnitOfWork) -> Reads:
        return Reads(
            uow,
            self.setup,
            now=self.now(),
            ids=self._ids,
            rng=self._rng,
            resumed=self._resumed,
        )

    def run(self, operation: Operation[F, T]) -> T:
        """Run one operation in its own unit of work and return its value.

        A resumable id factory (``counter_ids``) moves past the ids a store already uses
        once, when a desk first needs one; a gap left since (an id taken by an operation
        that was then refused) can put a stored record on its way. An operation whose new
        record collides so is run again from the start, the factory resumed past the record
        (the first attempt wrote nothing)."""
        for _ in range(_ID_COLLISION_RETRIES):
            try:
                return self._run_once(operation)
            except AlreadyExists as e:
                kind = self._collided_kind(e)
                if kind is None:
                    raise
                self._resumed.discard(kind)
        return self._run_once(operation)

    def _run_once(self, operation: Operation[F, T]) -> T:
        with self.store.unit_of_work() as uow:
            value = self._run_in(self._reads(uow), uow, operation)
            uow.commit()
        return value

    def _collided_kind(self, error: AlreadyExists) -> str | None:
        """The kind of id a collision calls for resuming, if the desk's factory made it."""
        if isinstance(error, DuplicateLead) and error.field != "id":
            return None  # a duplicate by contact details, not by id
        kind = _ID_KINDS.get(error.kind)
        resumable = isinstance(self._ids, ResumableIds)
        return kind if resumable and kind in self._resumed else None

    def read(self, query: Callable[[Reads], T]) -> T:
        """Answer a read-only question in a unit of work that writes nothing."""
        with self.store.unit_of_work() as uow:
            return query(self._reads(uow))

    def run_each(self, operations: Iterable[tuple[str, Operation[F, Lead]]]) -> BatchResult:
        """Run each ``(lead id, operation)`` in its own unit of work; a result per lead, in
        order. One lead's refusal or failure never undoes another's change."""
        outcomes = []
        for lead_id, operation in operations:
            try:
                outcomes.append(LeadOutcome(lead_id, lead=self.run(operation)))
            except LeadcoreError as e:
                outcomes.append(LeadOutcome(lead_id, error=e))
        return BatchResult(tuple(outcomes))

    def run_together(self, operations: Iterable[Operation[F, T]]) -> list[T | LeadcoreError]:
        """Run many operations in one unit of work, each in a savepoint: a refused one is
        reported in its place and leaves no trace; the others land together at commit."""
        results: list[T | LeadcoreError] = []
        with self.store.unit_of_work() as uow:
            reads = self._reads(uow)
            for operation in operations:
                try:
                    with uow.savepoint():
                        results.append(self._run_in(reads, uow, operation))
                except LeadcoreError as e:
                    results.append(e)
            uow.commit()
        return results

    def _run_in(self, reads: Reads, uow: UnitOfWork, operation: Operation[F, T]) -> T:
        facts = operation.load(reads)
        operation.decide(facts)
        outcome = react(reads, operation.plan(facts))
        apply(uow, outcome)
        self._keep_sweep_times(uow, outcome)
        return outcome.value

    def _keep_sweep_times(self, uow: UnitOfWork, outcome: Outcome[object]) -> None:
        """Key each lead the outcome added or saved (its last version) in the due-time index,
        unless the outcome set its time itself: a lead's next sweep time follows from the lead
        and its pool's SLA rules alone, so no plan can forget it."""
        written: dict[str, tuple[Lead, bool]] = {}
        for write in outcome.leads:
            match write:
                case AddLead(lead):
                    written[lead.id] = (lead, True)
                case SaveLead(lead, _):
                    written[lead.id] = (lead, False)
                case DeleteLead(lead_id, _):
                    written.pop(lead_id, None)
        if not written:
            return
        for record in outcome.records:
            if isinstance(record, SetSweepAt):
                written.pop(record.lead_id, None)
        slas: dict[str, PoolSla] = {}  # an import's chunk writes hundreds into one pool
        for lead, new in written.values():
            sla = slas.get(lead.pool_id)
            if sla is None:
                sla = slas[lead.pool_id] = self.setup.sla_of(uow.get_pool(lead.pool_id))
            if new and not sla.active:
                continue  # a new lead in a pool that keeps no time has no sweep time to set
            uow.set_sweep_at(lead.id, next_check(lead, sla))


def apply(uow: UnitOfWork, outcome: Outcome[object]) -> None:
    """Write an outcome: leads (with their expected versions), then records, then events."""
    for write in outcome.leads:
        match write:
            case AddLead(lead):
                uow.add_lead(lead)
            case SaveLead(lead, expected):
                uow.save_lead(lead, expected_version=expected)
            case DeleteLead(lead_id, expected):
                uow.delete_lead(lead_id, expected_version=expected)
    for record in outcome.records:
        match record:
            case AddFollowUp(follow_up):
                uow.add_follow_up(follow_up)
            case SaveFollowUp(follow_up):
                uow.save_follow_up(follow_up)
            case MoveFollowUp(follow_up_id, lead_id):
                uow.move_follow_up(follow_up_id, lead_id)
            case PutGrant(grant):
                uow.put_grant(grant)
            case OwnershipRecord():
                uow.add_ownership_record(record)
            case SetAway(user_id, periods):
                uow.set_away(user_id, periods)
            case SetState(key, value):
                uow.set_state(key, value)
            case AddPool(pool):
                uow.add_pool(pool)
            case SavePool(pool, expected):
                uow.save_pool(pool, expected_version=expected)
            case SetSweepAt(lead_id, at):
                uow.set_sweep_at(lead_id, at)
    if outcome.events:
        uow.append_events(outcome.events)
