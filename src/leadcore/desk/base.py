"""The desk's plumbing: construction, loading, deciding, the one shape of an operation,
first owners by pool rules and strategies, batches, re-scoring."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from leadcore.assignment import (
    Choice,
    StoreContext,
    Strategy,
)
from leadcore.assignment.claims import check_claim, claims_today
from leadcore.clock import Clock
from leadcore.config import structure
from leadcore.custom_fields import CustomFieldSet
from leadcore.desk.rescoring import rescore
from leadcore.desk.results import BatchResult, LeadOutcome
from leadcore.errors import (
    ConcurrencyConflict,
    ConfigError,
    FieldProblem,
    LeadcoreError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event, EventKind, FieldChange, diff_fields
from leadcore.ids import IdFactory, uuid4_ids
from leadcore.intake import LeadRules
from leadcore.lifecycle import next_status, transition
from leadcore.model import (
    OPEN_STATUSES,
    Action,
    Lead,
    Pool,
)
from leadcore.org import OrgDirectory, User
from leadcore.policy import Decision, Grant, Policy
from leadcore.scoring import Activity, Scorer
from leadcore.storage.protocol import LeadQuery, LeadStore, UnitOfWork

__all__ = ["EVENT_OF", "DeskBase", "contact_fields", "grants_key"]

EVENT_OF: Mapping[Action, EventKind] = {
    Action.ASSIGN: EventKind.ASSIGNED,
    Action.CLAIM: EventKind.CLAIMED,
    Action.RECLAIM: EventKind.RECLAIMED,
    Action.RELEASE: EventKind.RELEASED,
    Action.RETURN: EventKind.RETURNED,
    Action.RECYCLE: EventKind.RECYCLED,
    Action.REASSIGN: EventKind.OWNER_CHANGED,
    Action.TRANSFER: EventKind.TRANSFERRED,
    Action.CONVERT: EventKind.CONVERTED,
    Action.INVALIDATE: EventKind.INVALIDATED,
    Action.CLOSE_LOST: EventKind.CLOSED_LOST,
    Action.REOPEN: EventKind.REOPENED,
}
"""The event each plain lifecycle action writes."""


@attrs.define(slots=True)
class Loaded:
    """What one operation has loaded: who acts, on which lead in which pool, and when."""

    uow: UnitOfWork
    actor: User
    lead: Lead
    pool: Pool
    now: datetime
    extra_events: list[Event] = attrs.Factory(list)


class DeskBase:
    """The desk's seams and plumbing; ``LeadDesk`` adds the operations (see its docstring).

    ``store`` holds the data, ``clock`` tells the time, ``org`` knows users and departments.
    ``policy`` decides who may do what (``Policy.default()`` follows SPEC §5). ``ids`` makes
    record ids (random UUIDs unless a replayable factory is given). ``rules`` and
    ``custom_fields`` validate lead input. ``strategies`` are the auto-assign strategies pools
    name in ``Pool.auto_assign``; ``rng`` is their random source. ``scorer`` (a compiled
    ``ScoreModel``) keeps each lead's score, grade and MQL mark current on create, edit,
    follow-up and recorded activity.
    """

    def __init__(
        self,
        store: LeadStore,
        clock: Clock,
        org: OrgDirectory,
        *,
        policy: Policy | None = None,
        ids: IdFactory | None = None,
        rules: LeadRules | None = None,
        custom_fields: CustomFieldSet | None = None,
        strategies: Mapping[str, Strategy] | None = None,
        rng: random.Random | None = None,
        scorer: Scorer | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.org = org
        self.policy = policy if policy is not None else Policy.default()
        self._ids = ids if ids is not None else uuid4_ids()
        self.rules = rules if rules is not None else LeadRules()
        self.custom_fields = custom_fields if custom_fields is not None else CustomFieldSet()
        self.strategies: Mapping[str, Strategy] = dict(strategies or {})
        self._rng = rng if rng is not None else random.Random()
        self.scorer = scorer

    def _user(self, user_id: str) -> User:
        return self.org.user(user_id)

    def _grants(self, uow: UnitOfWork, user_id: str) -> list[Grant]:
        raw = uow.get_state(grants_key(user_id))
        return [structure(item, Grant) for item in raw] if isinstance(raw, list) else []

    def _decide(self, op: Loaded, action: Action) -> Decision:
        grants = self._grants(op.uow, op.actor.id)
        decision = self.policy.decide(
            op.actor, action, op.lead, op.pool, org=self.org, grants=grants, now=op.now
        )
        if decision.allowed and action is Action.CLAIM:
            refusal = self._claim_limits(op)
            if refusal is not None:
                return refusal
        return decision

    def _require(self, op: Loaded, action: Action) -> None:
        """Raise unless the action may go ahead: ``InvalidTransition`` if the lifecycle forbids
        it from the lead's status, else ``PermissionDenied`` with the policy's reason."""
        next_status(op.lead, action)
        decision = self._decide(op, action)
        if not decision.allowed:
            raise PermissionDenied(
                op.actor.id, action.value, f"lead {op.lead.id!r}", decision.reason
            )

    def _load(
        self, uow: UnitOfWork, actor_id: str, lead_id: str, expected_version: int | None
    ) -> Loaded:
        now = self.clock.now()
        actor = self._user(actor_id)
        lead = uow.get_lead(lead_id)
        if expected_version is not None and expected_version != lead.version:
            raise ConcurrencyConflict("lead", lead_id, expected_version, lead.version)
        return Loaded(uow, actor, lead, uow.get_pool(lead.pool_id), now)

    def _event(
        self,
        op: Loaded,
        kind: EventKind,
        after: Lead,
        *,
        reason: str | None = None,
        data: Mapping[str, object] | None = None,
        changes: tuple[FieldChange, ...] | None = None,
    ) -> Event:
        return Event(
            kind,
            op.now,
            op.actor.id,
            lead_id=after.id,
            pool_id=after.pool_id,
            changes=diff_fields(op.lead, after) if changes is None else changes,
            reason=reason,
            data=data or {},
        )

    def _act(
        self,
        actor_id: str,
        lead_id: str,
        action: Action,
        change: Callable[[Loaded], Lead],
        *,
        kind: EventKind | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
        data: Callable[[Loaded, Lead], Mapping[str, object]] | None = None,
    ) -> Lead:
        """The one shape of every single-lead operation."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, expected_version)
            self._require(op, action)
            new = change(op)
            saved = uow.save_lead(new, expected_version=op.lead.version)
            event_kind = kind if kind is not None else EVENT_OF[action]
            extra = data(op, saved) if data is not None else None
            uow.append_events(
                [self._event(op, event_kind, saved, reason=reason, data=extra), *op.extra_events]
            )
            uow.commit()
            return saved

    def _move(self, actor_id: str, lead_id: str, action: Action, reason: str | None) -> Lead:
        """An operation that only moves the lead through the lifecycle, with its reason."""
        return self._act(actor_id, lead_id, action, _lifecycle_move(action, reason), reason=reason)

    def _scored(self, op: Loaded, lead: Lead, new_activity: Activity | None = None) -> Lead:
        """``lead`` re-scored now; an MQL crossing is queued as an extra event of ``op``."""
        scored, events = rescore(
            self.scorer, op.uow, lead, actor_id=op.actor.id, now=op.now, new_activity=new_activity
        )
        op.extra_events.extend(events)
        return scored

    def _owner(self, user_id: str, pool: Pool) -> User:
        """The user to hand a lead to; ValidationError if unknown, inactive or not in the pool."""
        try:
            user = self._user(user_id)
        except NotFound:
            raise ValidationError([FieldProblem("owner_id", f"no user {user_id!r}")]) from None
        if not user.active:
            raise ValidationError([FieldProblem("owner_id", f"user {user_id!r} is inactive")])
        if not pool.is_member(user_id):
            raise ValidationError(
                [FieldProblem("owner_id", f"user {user_id!r} is not a member of pool {pool.name}")]
            )
        return user

    def _hand_to(self, op: Loaded, owner_id: str) -> Lead:
        department = self._user(owner_id).department_id
        return transition(
            op.lead, Action.ASSIGN, at=op.now, owner_id=owner_id, department_id=department
        )

    def _first_owner(self, op: Loaded) -> tuple[str, tuple[str, Mapping[str, object]]] | None:
        """Who a lead entering ``op.pool`` goes to, and why; None leaves it unassigned."""
        pool = op.pool
        if not pool.enabled:
            return op.actor.id, ("pool is off: the creator owns the lead", {"rule": "creator"})
        if pool.default_owner_id is not None:
            return pool.default_owner_id, ("the pool's default owner", {"rule": "default_owner"})
        if pool.auto_assign is None:
            return None
        choice = self._choose(op, self._pool_strategy(pool))
        if choice.owner_id is None:
            return None
        data: dict[str, object] = {"rule": "strategy", **choice.as_event_data()}
        return choice.owner_id, (choice.reason, data)

    def _pool_strategy(self, pool: Pool) -> Strategy:
        """The strategy ``pool.auto_assign`` names; ``ConfigError`` if this desk lacks it."""
        strategy = self.strategies.get(pool.auto_assign or "")
        if strategy is None:
            raise ConfigError(
                f"pools[{pool.id}].auto_assign",
                f"names strategy {pool.auto_assign!r}, which this desk was not given "
                f"(known: {', '.join(self.strategies) or 'none'})",
            )
        return strategy

    def _choose(self, op: Loaded, strategy: Strategy) -> Choice:
        """Ask ``strategy`` for an owner and write its state changes (cursors) in the same unit
        of work, so a turn is taken exactly when the assignment lands."""
        ctx = StoreContext(op.uow, self.org, now=op.now, rng=self._rng, pool=op.pool)
        choice = strategy.choose(op.lead, ctx)
        for key, value in choice.state_updates.items():
            op.uow.set_state(key, value)
        return choice

    def _batch(self, lead_ids: Iterable[str], operation: Callable[[str], Lead]) -> BatchResult:
        outcomes = []
        for lead_id in lead_ids:
            try:
                outcomes.append(LeadOutcome(lead_id, lead=operation(lead_id)))
            except LeadcoreError as e:
                outcomes.append(LeadOutcome(lead_id, error=e))
        return BatchResult(tuple(outcomes))

    def _claim_limits(self, op: Loaded) -> Decision | None:
        """A refusal if claiming would break one of the pool's caps; None if within them."""
        held = op.uow.count_leads(LeadQuery(owner_id=op.actor.id, statuses=OPEN_STATUSES))
        released_at = None
        for event in op.uow.events_since(0, lead_id=op.lead.id):
            if event.actor_id == op.actor.id and event.kind in (
                EventKind.RELEASED,
                EventKind.RETURNED,
            ):
                released_at = event.at
        check = check_claim(
            op.actor,
            op.lead,
            op.pool,
            open_count=held,
            claims_today=claims_today(op.uow, op.actor.id, op.now),
            last_released_by_user_at=released_at,
            now=op.now,
        )
        if check.allowed:
            return None
        return Decision(allowed=False, action=Action.CLAIM, reason=check.reason)

    def _require_scorer(self) -> Scorer:
        if self.scorer is None:
            raise ValidationError(
                [FieldProblem("scorer", "this desk has no scorer; pass LeadDesk(scorer=...)")]
            )
        return self.scorer


def grants_key(user_id: str) -> str:
    """The state key under which a user's temporary grants are kept."""
    return f"grants:{user_id}"


def _lifecycle_move(action: Action, reason: str | None) -> Callable[[Loaded], Lead]:
    """A change that only moves the lead through the lifecycle."""
    return lambda op: transition(op.lead, action, at=op.now, reason=reason)


def contact_fields(lead: Lead) -> dict[str, Any]:
    return {
        "contact_name": lead.contact_name,
        "company": lead.company,
        "phone": lead.phone,
        "email": lead.email,
        "wechat": lead.wechat,
    }
