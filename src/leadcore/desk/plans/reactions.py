"""What follows from any change to a lead, whichever operation made it: one step the runner
takes on every outcome before writing it, so no operation can forget it.

For each lead an outcome adds or saves, in its pool:

1. **Due date from a field** — a pool with ``due_date_field`` takes an open lead's
   ``next_due_at`` from that date field whenever it has a value (a date means 00:00 UTC).
2. **Conditions on later edits** — each of the pool's conditions that the change moves the
   lead into fires once: the lead is returned to its pool, closed as lost or marked invalid,
   with the lifecycle's event carrying the condition's name (``data["condition"]``).
3. **The learned grade** — with a desk ``predictor``, a lead that becomes converted or lost is
   counted in the live model (kept in the store's state, no refit), one leaving that state is
   taken back, and the lead's ``probability`` is brought up to date.

The changed fields are added to the outcome's events about the lead, and the outcome's value
is the lead as it will be saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Final, TypeVar

import attrs

from leadcore.conditions import LeadCondition
from leadcore.events import Event, EventKind, FieldChange, creation_changes
from leadcore.frozen import replace
from leadcore.lifecycle import TRANSITIONS, step
from leadcore.model import Lead, Pool
from leadcore.records import OwnershipChange

from ..outcome import AddLead, LeadWrite, Outcome, RecordWrite, SaveLead
from ..reads import Reads
from ..results import BatchResult, LeadOutcome
from .common import received
from .learned import Learning

__all__ = ["DUE_DATE_FIELDS", "due_date_problem", "react"]

T = TypeVar("T")

DUE_DATE_FIELDS: Final = ("created_at", "assigned_at", "mql_at", "sql_at", "last_followed_at")
"""The lead's own date fields a pool may take the due date from (besides ``custom.<name>``
date fields)."""


def due_date_problem(field: str, custom_date_fields: Sequence[str]) -> str | None:
    """Why ``field`` cannot be a pool's ``due_date_field`` (None when it can)."""
    if field in DUE_DATE_FIELDS:
        return None
    if field.startswith("custom.") and field.removeprefix("custom.") in custom_date_fields:
        return None
    known = ", ".join((*DUE_DATE_FIELDS, *(f"custom.{name}" for name in custom_date_fields)))
    return f"{field!r} is not a date field of a lead; use one of: {known}"


def react(reads: Reads, outcome: Outcome[T]) -> Outcome[T]:
    """``outcome`` with what follows from each lead it writes (see the module docstring); the
    outcome itself when nothing does."""
    pools: dict[str, Pool] = {}  # each pool read once, however many of its leads are written
    for write in outcome.leads:
        if isinstance(write, AddLead | SaveLead) and write.lead.pool_id not in pools:
            pools[write.lead.pool_id] = reads.pool(write.lead.pool_id)
    if reads.setup.predictor is None and not any(_reacts(pool) for pool in pools.values()):
        return outcome  # the common case, told without working anything out
    reaction = _Reaction(reads, outcome, pools)
    writes = [reaction.follow(write) for write in outcome.leads]
    if reaction.learned is not None:
        reaction.records.extend(reaction.learned.writes())
    if not reaction.replaced and len(reaction.records) == len(outcome.records):
        return outcome
    value: T = _value(outcome.value, reaction.replaced)  # type: ignore[assignment]
    return Outcome(value, tuple(writes), tuple(reaction.events), tuple(reaction.records))


class _Reaction:
    """One outcome's reactions as they are worked out: its events and records so far, the
    leads replaced (by the identity of the planned one), the pools of the leads written, the
    live model."""

    def __init__(self, reads: Reads, outcome: Outcome[object], pools: dict[str, Pool]) -> None:
        self.reads = reads
        self.events = list(outcome.events)
        self.records: list[RecordWrite] = list(outcome.records)
        self.replaced: dict[int, Lead] = {}
        self.pools = pools
        self.learned: Learning | None = None  # read from the store when first needed

    @property
    def learning(self) -> Learning | None:
        """The live learned grade (None when the desk has no predictor)."""
        if self.learned is None and self.reads.setup.predictor is not None:
            self.learned = Learning.start(self.reads)
        return self.learned

    def follow(self, write: LeadWrite) -> LeadWrite:
        """``write`` with its lead as it follows from the pool's rules."""
        if not isinstance(write, AddLead | SaveLead):
            return write
        lead = write.lead
        pool = self.pools[lead.pool_id]  # read by ``react`` for every lead written
        learning = self.learning
        if not _reacts(pool) and learning is None:
            return write
        conditions = self.reads.setup.conditions_of(pool) if pool.conditions else ()
        before = self.reads.uow.get_lead(lead.id) if isinstance(write, SaveLead) else None
        after = _with_due_date(lead, pool.due_date_field)
        _amend(self.events, lead, after, pick=0)
        for condition in conditions:
            after = self.fire(condition, before, after)
        if learning is not None:
            learned = learning.learn(before, after)
            _amend(self.events, after, learned, pick=-1)
            after = learned
        if after is lead:
            return write
        self.replaced[id(lead)] = after
        return AddLead(after) if isinstance(write, AddLead) else attrs.evolve(write, lead=after)

    def fire(self, condition: LeadCondition, before: Lead | None, after: Lead) -> Lead:
        """``after`` with ``condition``'s action taken when the change moves the lead into it
        and the lifecycle allows the action from the lead's status; else ``after`` itself."""
        action = condition.then.action
        if not condition.fires(before, after) or action not in TRANSITIONS[after.status]:
            return after
        now = self.reads.now
        actor = next((e.actor_id for e in self.events if e.lead_id == after.id), "system")
        done = step(
            after,
            action,
            actor_id=actor,
            at=now,
            reason=condition.why(),
            data={"rule": "condition", "condition": condition.name, "when": condition.describe()},
        )
        self.events.append(done.event)
        if after.owner_id is not None and done.lead.owner_id is None:
            self.records.append(received(after.owner_id, after, now, OwnershipChange.RELEASED))
        return attrs.evolve(done.lead, version=after.version)


def _reacts(pool: Pool) -> bool:
    """Whether a lead written in ``pool`` may take its due date from a field or fire one of
    the pool's conditions (the learned grade aside, which is the desk's)."""
    return pool.due_date_field is not None or bool(pool.conditions)


def _with_due_date(lead: Lead, field: str | None) -> Lead:
    if field is None or not lead.is_open:
        return lead
    raw = (
        lead.custom_fields.get(field.removeprefix("custom."))
        if field.startswith("custom.")
        else getattr(lead, field)
    )
    if isinstance(raw, datetime):
        due = raw
    elif isinstance(raw, date):
        due = datetime(raw.year, raw.month, raw.day, tzinfo=UTC)
    else:
        return lead
    return lead if due == lead.next_due_at else replace(lead, next_due_at=due)


def _amend(events: list[Event], lead: Lead, changed: Lead, *, pick: int) -> None:
    """Add the fields ``changed`` differs from ``lead`` in to the events about the lead: a new
    lead's creation event lists it afresh; otherwise the first (``pick=0``) or last (``-1``)
    event about it gets the changes."""
    if changed is lead:
        return
    about = [i for i, e in enumerate(events) if e.lead_id == lead.id]
    if not about:
        return
    created = next((i for i in about if events[i].kind is EventKind.LEAD_CREATED), None)
    if created is not None:
        events[created] = attrs.evolve(events[created], changes=creation_changes(changed))
        return
    index = about[pick]
    event = events[index]
    fresh = {
        name: FieldChange(name, getattr(lead, name), getattr(changed, name))
        for name in _AUDITED
        if getattr(lead, name) != getattr(changed, name)
    }
    kept = []
    for change in event.changes:
        update = fresh.pop(change.field, None)
        kept.append(
            change if update is None else FieldChange(change.field, change.before, update.after)
        )
    events[index] = attrs.evolve(event, changes=(*kept, *fresh.values()))


_AUDITED: Final = tuple(
    f.name for f in attrs.fields(Lead) if f.name not in ("version", "updated_at")
)


def _value(value: object, replaced: dict[int, Lead]) -> object:
    """The outcome's value with each replaced lead swapped for its final version."""
    if isinstance(value, Lead):
        return replaced.get(id(value), value)
    if isinstance(value, BatchResult):
        return BatchResult(tuple(_swapped(o, replaced) for o in value.outcomes))
    return value


def _swapped(outcome: LeadOutcome, replaced: dict[int, Lead]) -> LeadOutcome:
    if outcome.lead is None or id(outcome.lead) not in replaced:
        return outcome
    return attrs.evolve(outcome, lead=replaced[id(outcome.lead)])
