"""What many plans share: the shape of a single-lead command, re-scoring, and the rule that
gives a lead entering a pool its first owner."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import ClassVar, Final

import attrs

from leadcore.assignment import Choice, MemoryContext, Strategy, chosen
from leadcore.events import Event, EventKind, FieldChange, creation_changes, diff_fields
from leadcore.frozen import frozen_mapping
from leadcore.lifecycle import EVENT_OF, Step
from leadcore.model import Action, Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, owner_refusal
from leadcore.records import OwnershipChange, OwnershipRecord
from leadcore.scoring import Activity, apply_score

from ..outcome import RecordWrite, SetState
from ..reads import Reads, Subject
from ..setup import Setup

__all__ = [
    "FURTHEST_AHEAD",
    "Entry",
    "EntryFacts",
    "LeadCommand",
    "ScoredCommand",
    "ScoredSubject",
    "SubjectCommand",
    "load_entry",
    "load_scored",
    "plan_entry",
    "rescored",
    "rescored_step",
]


@attrs.frozen(kw_only=True)
class LeadCommand:
    """A command on one lead by one actor, taking ``action`` (subclasses say which)."""

    setup: Setup
    actor_id: str
    lead_id: str
    expected_version: int | None = None
    action: ClassVar[Action]

    def subject(self, reads: Reads) -> Subject:
        """The actor, the lead (one they may see), its pool and the actor's grants on it."""
        return reads.subject(
            self.actor_id,
            self.lead_id,
            expected_version=self.expected_version,
            action=self.action,
        )

    def require(self, subject: Subject) -> None:
        """Go on only if the lifecycle and the policy allow the command's action."""
        subject.require(self.setup, self.action)


@attrs.frozen(kw_only=True)
class SubjectCommand(LeadCommand):
    """A lead command whose facts are just its ``Subject``."""

    def load(self, reads: Reads) -> Subject:
        """See :meth:`LeadCommand.subject`."""
        return self.subject(reads)

    def decide(self, facts: Subject) -> None:
        """See :meth:`LeadCommand.require`."""
        self.require(facts)


@attrs.frozen(slots=True)
class ScoredSubject:
    """A subject with the behaviour recorded on its lead (empty without a scorer)."""

    subject: Subject
    activities: tuple[Activity, ...] = ()


@attrs.frozen(kw_only=True)
class ScoredCommand(LeadCommand):
    """A lead command that re-scores the lead, so it also loads the recorded behaviour."""

    def load(self, reads: Reads) -> ScoredSubject:
        """See :func:`load_scored`."""
        return load_scored(self, reads)

    def decide(self, facts: ScoredSubject) -> None:
        """See :meth:`LeadCommand.require`."""
        self.require(facts.subject)


def load_scored(command: LeadCommand, reads: Reads) -> ScoredSubject:
    """The command's subject, and its lead's recorded activities when the desk scores."""
    subject = command.subject(reads)
    if command.setup.scorer is None:
        return ScoredSubject(subject)
    return ScoredSubject(subject, tuple(reads.activities(subject.lead)))


def rescored_step(
    setup: Setup, facts: ScoredSubject, done: Step, *extra: Activity
) -> tuple[Step, tuple[Event, ...]]:
    """``done`` with its lead re-scored (the event's changes include the new score), and the
    ``mql_reached`` event if the lead just became an MQL."""
    s = facts.subject
    scored, events = rescored(
        setup, done.lead, (*facts.activities, *extra), actor_id=s.actor.id, now=s.now
    )
    if scored is done.lead:
        return done, events
    event = attrs.evolve(done.event, changes=diff_fields(s.lead, scored))
    return Step(scored, event), events


def rescored(
    setup: Setup,
    lead: Lead,
    activities: Sequence[Activity],
    *,
    actor_id: str,
    now: datetime,
) -> tuple[Lead, tuple[Event, ...]]:
    """``lead`` with its score and grade brought up to date at ``now`` and, if it has just
    become an MQL, the ``mql_reached`` event. Unchanged when the desk has no scorer."""
    if setup.scorer is None:
        return lead, ()
    score = setup.scorer.score(lead, activities, now=now)
    scored, reached = apply_score(lead, score, now=now)
    if not reached:
        return scored, ()
    event = Event.about(
        lead,
        EventKind.MQL_REACHED,
        now,
        actor_id,
        reason=f"score {score.total:g} reached the MQL threshold (grade {score.grade})",
        data={"score": score.total, "grade": score.grade},
    )
    return scored, (event,)


# --- a lead entering a pool: its first owner -------------------------------------------------


@attrs.frozen(slots=True)
class EntryFacts:
    """What the pool's rules for a new arrival need: the creator's eligibility (pool off), the
    default owner's (when set), or the pool's strategy with the facts it reads."""

    pool: Pool
    creator: OwnerFacts | None = None
    default_owner: OwnerFacts | None = None
    strategy: Strategy | None = None
    context: MemoryContext | None = None
    lead: Lead | None = None


def load_entry(reads: Reads, actor: User, lead: Callable[[], Lead], pool: Pool) -> EntryFacts:
    """Load what :func:`plan_entry` needs for a lead arriving in ``pool`` (``lead`` builds it,
    called only when the pool's strategy must see it)."""
    if not pool.enabled:
        facts = reads.owner_facts(actor.id, pool)
        return EntryFacts(pool, creator=attrs.evolve(facts, away=None, quotas=()))
    if pool.default_owner_id is not None:
        return EntryFacts(pool, default_owner=reads.owner_facts(pool.default_owner_id, pool))
    strategy = reads.setup.pool_strategy(pool)
    if strategy is None:
        return EntryFacts(pool)
    arriving = lead()
    context = reads.assignment_context(strategy, [arriving], {pool.id: pool})
    return EntryFacts(pool, strategy=strategy, context=context, lead=arriving)


@attrs.frozen(slots=True)
class Entry:
    """Who a lead arriving in a pool goes to (None: it waits unassigned) and why, with the
    strategy's state updates to write and the choice's explanation for the event."""

    owner_id: str | None
    reason: str
    data: Mapping[str, object]
    records: tuple[RecordWrite, ...] = ()

    def waiting_events(self, lead: Lead, now: datetime, actor_id: str) -> tuple[Event, ...]:
        """For a lead that waits unassigned: the ``no_owner_found`` event saying why, unless
        the pool names nobody to give it to at all (then waiting is its rule, not a miss)."""
        if self.owner_id is not None or self.data.get("rule") == "none":
            return ()
        return (
            Event.about(
                lead, EventKind.NO_OWNER_FOUND, now, actor_id, reason=self.reason, data=self.data
            ),
        )


FURTHEST_AHEAD: Final = timedelta(days=366 * 5)
"""How far ahead a date a user sets may be (a protection's end, the next follow-up): five
years. A pool's clocks and lists reckon from such dates, and one centuries away is a typo."""


RULE_DATA: Final[Mapping[str, Mapping[str, object]]] = {
    rule: frozen_mapping({"rule": rule}) for rule in ("creator", "default_owner", "none", "manual")
}
"""The event data naming a fixed owner rule, shared read-only by every event that names it."""


def plan_entry(facts: EntryFacts, actor: User) -> Entry:
    """The pool's rule for a new arrival. Pool off: the creator owns it. On: the pool's default
    owner, else its strategy's choice, else nobody. Whoever it would go to must pass the one
    owner-eligibility rule; if they do not, the lead waits unassigned and the entry says why."""
    pool = facts.pool
    if facts.creator is not None:
        return _eligible(
            actor.id,
            facts.creator,
            pool,
            "pool is off: the creator owns the lead",
            RULE_DATA["creator"],
        )
    if facts.default_owner is not None:
        assert pool.default_owner_id is not None
        return _eligible(
            pool.default_owner_id,
            facts.default_owner,
            pool,
            "the pool's default owner",
            RULE_DATA["default_owner"],
        )
    if facts.strategy is None or facts.context is None or facts.lead is None:
        return Entry(
            None, "the pool has no default owner and no auto-assign strategy", RULE_DATA["none"]
        )
    choice = chosen(facts.strategy, facts.lead, facts.context)
    data: dict[str, object] = {"rule": "strategy", **choice.as_event_data()}
    if choice.owner_id is None:
        return Entry(None, choice.reason, data)
    owner = OwnerFacts(
        facts.context.user(choice.owner_id),
        facts.context.open_count(choice.owner_id),
        facts.context.away(choice.owner_id),
        facts.context.quota(choice.owner_id, pool.id),
    )
    refusal = owner_refusal(choice.owner_id, owner, pool)
    if refusal is not None:
        return Entry(None, f"the strategy chose {choice.owner_id}, but {refusal}", data)
    return Entry(choice.owner_id, choice.reason, data, state_writes(choice))


def _eligible(
    user_id: str, facts: OwnerFacts, pool: Pool, reason: str, data: Mapping[str, object]
) -> Entry:
    refusal = owner_refusal(user_id, facts, pool)
    if refusal is not None:
        why = f"{reason} {user_id} cannot receive it: {refusal}"
        return Entry(None, why, {**data, "owner_id": user_id})
    return Entry(user_id, reason, data)


def state_writes(choice: Choice) -> tuple[RecordWrite, ...]:
    """A choice's strategy state updates as writes (a turn is taken exactly when it lands)."""
    return tuple(SetState(key, value) for key, value in choice.state_updates.items())


def received(user_id: str, lead: Lead, now: datetime, change: OwnershipChange) -> OwnershipRecord:
    """The record that ``user_id`` received (or gave back) ``lead`` now."""
    return OwnershipRecord(user_id, lead.id, lead.pool_id, now, change)


def arrival_events(
    lead: Lead,
    now: datetime,
    actor_id: str,
    *,
    reason: str,
    data: Mapping[str, object],
    origin: Mapping[str, object] | None = None,
) -> list[Event]:
    """A new lead's events: its creation (every field set, and where it came from) and, when it
    arrived with an owner, the assignment with the rule's ``reason`` and ``data``."""
    created = Event.about(
        lead,
        EVENT_OF[Action.CREATE],
        now,
        actor_id,
        changes=creation_changes(lead),
        data=origin or {},
    )
    if lead.owner_id is None:
        return [created]
    assigned = Event.about(
        lead,
        EventKind.ASSIGNED,
        now,
        actor_id,
        changes=first_ownership_changes(lead),
        reason=reason,
        data=data,
    )
    return [created, assigned]


def first_ownership_changes(lead: Lead) -> tuple[FieldChange, ...]:
    """The ownership a new lead was given, as changes from unassigned (for the assignment event
    written beside its creation)."""
    at = lead.assigned_at
    return _ownership_changes(
        lead.status, lead.owner_id, lead.department_id, at, None if at is None else at.tzinfo
    )


@lru_cache(maxsize=256)
def _ownership_changes(
    status: LeadStatus,
    owner_id: str | None,
    department_id: str | None,
    assigned_at: datetime | None,
    zone: tzinfo | None,  # equal times in two zones are still two changes
) -> tuple[FieldChange, ...]:
    """Shared by every lead given the same ownership at once (an import's chunk): the audit
    trail then holds these changes once, and the garbage collector walks them once."""
    return (
        FieldChange("status", LeadStatus.UNASSIGNED, status),
        *(
            FieldChange(name, None, value)
            for name, value in (
                ("owner_id", owner_id),
                ("department_id", department_id),
                ("assigned_at", assigned_at),
            )
            if value is not None
        ),
    )
