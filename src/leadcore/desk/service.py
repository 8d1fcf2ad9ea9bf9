"""``LeadDesk``: the application service a host calls, one method per lead operation.

Every operation runs in one unit of work: load → decide (lifecycle and policy, with a reason) →
compute the new state (pure) → save with the version read → append the events. A refused
operation raises before anything is written; a failing one rolls back whole.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from leadcore.assignment import (
    Away,
    Choice,
    StoreContext,
    Strategy,
    away_key,
    away_state,
    parse_away,
)
from leadcore.assignment.claims import check_claim, claims_today, record_claim
from leadcore.clock import Clock, ensure_aware
from leadcore.config import structure, unstructure
from leadcore.custom_fields import CustomFieldSet
from leadcore.desk.rescoring import activities_of, activity_event_data, rescore
from leadcore.desk.results import BatchResult, LeadOutcome, Page, PoolSummary
from leadcore.desk.views import (
    View,
    base_query,
    decode_cursor,
    encode_cursor,
    order_of,
    visible_page,
)
from leadcore.errors import (
    ConcurrencyConflict,
    ConfigError,
    FieldProblem,
    LeadcoreError,
    NoOwnerFound,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event, EventKind, FieldChange, diff_fields
from leadcore.ids import IdFactory, uuid4_ids
from leadcore.intake import LeadRules, clean_lead_fields
from leadcore.lifecycle import next_status, transition
from leadcore.model import (
    OPEN_STATUSES,
    Action,
    Attachment,
    Emotion,
    FollowUp,
    FollowUpMethod,
    Lead,
    LeadStatus,
    Pool,
    Priority,
)
from leadcore.org import OrgDirectory, User
from leadcore.policy import POOL_ACTIONS, Decision, Grant, Policy
from leadcore.scoring.activity import Activity
from leadcore.scoring.explain import Score
from leadcore.scoring.grades import accept_sql as accepted_as_sql
from leadcore.scoring.scorer import Scorer
from leadcore.storage.protocol import JSONValue, LeadOrder, LeadQuery, LeadStore, UnitOfWork

__all__ = ["LeadDesk"]

_EVENT_OF: Mapping[Action, EventKind] = {
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


@attrs.define(slots=True)
class _Op:
    """What one operation has loaded: who acts, on which lead in which pool, and when."""

    uow: UnitOfWork
    actor: User
    lead: Lead
    pool: Pool
    now: datetime
    extra_events: list[Event] = attrs.Factory(list)


class LeadDesk:
    """Every lead operation of SPEC §4, checked against the policy and recorded as events.

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

    # --- plumbing ------------------------------------------------------------------------------
    def _user(self, user_id: str) -> User:
        return self.org.user(user_id)

    def _grants(self, uow: UnitOfWork, user_id: str) -> list[Grant]:
        raw = uow.get_state(_grants_key(user_id))
        return [structure(item, Grant) for item in raw] if isinstance(raw, list) else []

    def _decide(self, op: _Op, action: Action) -> Decision:
        grants = self._grants(op.uow, op.actor.id)
        decision = self.policy.decide(
            op.actor, action, op.lead, op.pool, org=self.org, grants=grants, now=op.now
        )
        if decision.allowed and action is Action.CLAIM:
            refusal = self._claim_limits(op)
            if refusal is not None:
                return refusal
        return decision

    def _require(self, op: _Op, action: Action) -> None:
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
    ) -> _Op:
        now = self.clock.now()
        actor = self._user(actor_id)
        lead = uow.get_lead(lead_id)
        if expected_version is not None and expected_version != lead.version:
            raise ConcurrencyConflict("lead", lead_id, expected_version, lead.version)
        return _Op(uow, actor, lead, uow.get_pool(lead.pool_id), now)

    def _event(
        self,
        op: _Op,
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
        change: Callable[[_Op], Lead],
        *,
        kind: EventKind | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
        data: Callable[[_Op, Lead], Mapping[str, object]] | None = None,
    ) -> Lead:
        """The one shape of every single-lead operation."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, expected_version)
            self._require(op, action)
            new = change(op)
            saved = uow.save_lead(new, expected_version=op.lead.version)
            event_kind = kind if kind is not None else _EVENT_OF[action]
            extra = data(op, saved) if data is not None else None
            uow.append_events(
                [self._event(op, event_kind, saved, reason=reason, data=extra), *op.extra_events]
            )
            uow.commit()
            return saved

    def _scored(self, op: _Op, lead: Lead, new_activity: Activity | None = None) -> Lead:
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

    # --- pools ---------------------------------------------------------------------------------
    def create_pool(self, actor_id: str, pool: Pool) -> Pool:
        """Add a pool (system admins only). Raises ``AlreadyExists`` if the id is taken."""
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            self._require_pool(actor, pool, now)
            saved = uow.add_pool(pool)
            uow.append_events(
                [
                    Event(
                        EventKind.POOL_CREATED,
                        now,
                        actor.id,
                        pool_id=pool.id,
                        changes=diff_fields(None, saved),
                    )
                ]
            )
            uow.commit()
            return saved

    def update_pool(self, actor_id: str, pool_id: str, **settings: Any) -> Pool:
        """Change a pool's settings (system admins only), audited field by field.

        Unknown settings or invalid values raise ``ValidationError`` naming them; nothing changes.
        """
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            pool = uow.get_pool(pool_id)
            self._require_pool(actor, pool, now)
            known = {f.name for f in attrs.fields(Pool)} - {"id", "version"}
            unknown = sorted(set(settings) - known)
            if unknown:
                raise ValidationError(
                    [
                        FieldProblem(name, f"is not a pool setting ({', '.join(sorted(known))})")
                        for name in unknown
                    ]
                )
            try:
                new = attrs.evolve(pool, **settings)
            except (TypeError, ValueError) as e:
                if isinstance(e, ValidationError):
                    raise
                raise ValidationError([FieldProblem("settings", str(e))]) from e
            saved = uow.save_pool(new, expected_version=pool.version)
            changes = diff_fields(pool, saved)
            if changes:
                uow.append_events(
                    [Event(EventKind.POOL_CHANGED, now, actor.id, pool_id=pool_id, changes=changes)]
                )
            uow.commit()
            return saved

    def _require_pool(self, actor: User, pool: Pool, now: datetime) -> None:
        decision = self.policy.decide(
            actor, Action.CONFIGURE_POOL, None, pool, org=self.org, now=now
        )
        if not decision.allowed:
            raise PermissionDenied(
                actor.id, Action.CONFIGURE_POOL.value, f"pool {pool.id!r}", decision.reason
            )

    def pool_summary(self, actor_id: str, pool_id: str) -> PoolSummary:
        """The pool's lead counts by status (线索数量); for its members, admins and system admins."""
        with self.store.unit_of_work() as uow:
            actor = self._user(actor_id)
            pool = uow.get_pool(pool_id)
            scope = self.policy.view_scope(
                actor, org=self.org, pools=[pool], grants=(), now=self.clock.now()
            )
            if not (pool.is_member(actor.id) or scope.all_leads):
                raise PermissionDenied(
                    actor.id,
                    "view",
                    f"pool {pool_id!r}",
                    "only the pool's members and admins see its counts",
                )
            counts = uow.count_by_status(pool_id=pool_id)
            ordered = {status: counts.get(status, 0) for status in LeadStatus}
            return PoolSummary(pool.id, pool.name, ordered)

    # --- create, edit, delete ------------------------------------------------------------------
    def create(
        self,
        actor_id: str,
        pool_id: str,
        *,
        custom_fields: Mapping[str, object] | None = None,
        **fields: Any,
    ) -> Lead:
        """Create a lead in a pool and give it its first owner by the pool's rules (SPEC §2.1).

        Pool off: the creator owns it. On: the pool's default owner, else its auto-assign
        strategy's choice, else nobody (unassigned) until a pool admin assigns it.
        Raises ``ValidationError`` (every bad field at once), ``PermissionDenied``, ``NotFound``.
        """
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            pool = uow.get_pool(pool_id)
            decision = self.policy.decide(actor, Action.CREATE, None, pool, org=self.org, now=now)
            if not decision.allowed:
                raise PermissionDenied(
                    actor.id, "create", f"a lead in pool {pool_id!r}", decision.reason
                )
            clean = clean_lead_fields(
                fields,
                rules=self.rules,
                pool=pool,
                custom_fields=self.custom_fields,
                custom_values=custom_fields if custom_fields is not None else {},
            )
            if "stage" in clean:
                raise ValidationError([FieldProblem("stage", "a new lead has no sales stage yet")])
            lead = Lead(
                id=self._ids(),
                pool_id=pool.id,
                created_by=actor.id,
                created_at=now,
                updated_at=now,
                **clean,
            )
            op = _Op(uow, actor, lead, pool, now)
            lead = op.lead = self._scored(op, lead)
            events = [
                self._event(op, EventKind.LEAD_CREATED, lead, changes=diff_fields(None, lead))
            ]
            first_owner = self._first_owner(op)
            stored_lead = lead
            if first_owner is not None:
                owner_id, how = first_owner
                stored_lead = self._hand_to(op, owner_id)
                events.append(
                    self._event(op, EventKind.ASSIGNED, stored_lead, reason=how[0], data=how[1])
                )
            saved = uow.add_lead(stored_lead)
            uow.append_events([*events, *op.extra_events])
            uow.commit()
            return saved

    def _hand_to(self, op: _Op, owner_id: str) -> Lead:
        department = self._user(owner_id).department_id
        return transition(
            op.lead, Action.ASSIGN, at=op.now, owner_id=owner_id, department_id=department
        )

    def _first_owner(self, op: _Op) -> tuple[str, tuple[str, Mapping[str, object]]] | None:
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

    def _choose(self, op: _Op, strategy: Strategy) -> Choice:
        """Ask ``strategy`` for an owner and write its state changes (cursors) in the same unit
        of work, so a turn is taken exactly when the assignment lands."""
        ctx = StoreContext(op.uow, self.org, now=op.now, rng=self._rng, pool=op.pool)
        choice = strategy.choose(op.lead, ctx)
        for key, value in choice.state_updates.items():
            op.uow.set_state(key, value)
        return choice

    def edit(
        self,
        actor_id: str,
        lead_id: str,
        *,
        expected_version: int | None = None,
        custom_fields: Mapping[str, object] | None = None,
        **fields: Any,
    ) -> Lead:
        """Change a lead's details. Only the fields given change; a custom field set to None is
        removed. Editing to the same values writes nothing and returns the lead as it is."""

        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, expected_version)
            self._require(op, Action.EDIT)
            lead = op.lead
            current = {name: getattr(lead, name) for name in fields if hasattr(lead, name)}
            clean = clean_lead_fields(
                fields,
                rules=self.rules,
                pool=op.pool,
                custom_fields=self.custom_fields,
                custom_values=None
                if custom_fields is None
                else {k: v for k, v in custom_fields.items() if v is not None},
                current={**_contact_fields(lead), **current},
            )
            if clean.get("stage") is not None and clean["stage"] not in op.pool.sales_stages:
                raise ValidationError(
                    [
                        FieldProblem(
                            "stage",
                            f"must be one of the pool's stages: {', '.join(op.pool.sales_stages)}",
                        )
                    ]
                )
            if custom_fields is not None:
                merged = {**lead.custom_fields, **clean.get("custom_fields", {})}
                for name, value in custom_fields.items():
                    if value is None:
                        merged.pop(name, None)
                clean["custom_fields"] = merged
            new = attrs.evolve(lead, **clean)
            if not diff_fields(lead, new):
                return lead
            new = self._scored(op, attrs.evolve(new, updated_at=op.now))
            saved = uow.save_lead(new, expected_version=lead.version)
            uow.append_events([self._event(op, EventKind.LEAD_EDITED, saved), *op.extra_events])
            uow.commit()
            return saved

    def delete(self, actor_id: str, lead_id: str, *, expected_version: int | None = None) -> None:
        """Delete a lead and its follow-ups; the event keeps every field's last value."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, expected_version)
            self._require(op, Action.DELETE)
            uow.delete_lead(lead_id, expected_version=op.lead.version)
            gone = tuple(FieldChange(c.field, c.after, None) for c in diff_fields(None, op.lead))
            uow.append_events([self._event(op, EventKind.LEAD_DELETED, op.lead, changes=gone)])
            uow.commit()

    # --- ownership -----------------------------------------------------------------------------
    def assign(
        self,
        actor_id: str,
        lead_id: str,
        owner_id: str,
        *,
        department_id: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Give an unassigned lead an owner (pool admins). The owner must be an active pool member."""

        def change(op: _Op) -> Lead:
            owner = self._owner(owner_id, op.pool)
            return transition(
                op.lead,
                Action.ASSIGN,
                at=op.now,
                owner_id=owner.id,
                department_id=department_id or owner.department_id,
            )

        return self._act(
            actor_id, lead_id, Action.ASSIGN, change, expected_version=expected_version
        )

    def reclaim(self, actor_id: str, lead_id: str, *, reason: str | None = None) -> Lead:
        """Take an assigned lead back into the pool (收回; pool admins)."""
        return self._act(
            actor_id, lead_id, Action.RECLAIM, _move(Action.RECLAIM, reason), reason=reason
        )

    def release(self, actor_id: str, lead_id: str, *, reason: str | None = None) -> Lead:
        """Give a lead back to the pool (释放; its owner or a pool admin)."""
        return self._act(
            actor_id, lead_id, Action.RELEASE, _move(Action.RELEASE, reason), reason=reason
        )

    def return_lead(self, actor_id: str, lead_id: str, reason: str) -> Lead:
        """Return a lead to the pool with a reason (退回; its owner). History is kept."""
        return self._act(
            actor_id, lead_id, Action.RETURN, _move(Action.RETURN, reason), reason=reason
        )

    def change_owner(
        self,
        actor_id: str,
        lead_id: str,
        new_owner_id: str,
        *,
        department_id: str | None = None,
        move_follow_ups: bool = False,
        reason: str | None = None,
    ) -> Lead:
        """Hand a lead to another owner (调整/更换负责人). The old owner becomes a collaborator;
        with ``move_follow_ups`` the old owner's follow-up records move to the new owner."""
        moved: list[str] = []

        def change(op: _Op) -> Lead:
            owner = self._owner(new_owner_id, op.pool)
            old = op.lead.owner_id
            if owner.id == old:
                raise ValidationError(
                    [FieldProblem("owner_id", f"{owner.id!r} already owns the lead")]
                )
            new = transition(
                op.lead,
                Action.REASSIGN,
                at=op.now,
                owner_id=owner.id,
                department_id=department_id or owner.department_id,
            )
            if old is not None:
                roles = {u: r for u, r in new.collaborator_roles.items() if u != owner.id}
                new = attrs.evolve(
                    new,
                    collaborators=(new.collaborators | {old}) - {owner.id},
                    collaborator_roles=roles,
                )
            if move_follow_ups and old is not None:
                for record in op.uow.follow_ups(op.lead.id):
                    if record.owner_id == old:
                        op.uow.save_follow_up(attrs.evolve(record, owner_id=owner.id))
                        moved.append(record.id)
            return new

        return self._act(
            actor_id,
            lead_id,
            Action.REASSIGN,
            change,
            reason=reason,
            data=lambda op, lead: {"follow_ups_moved": list(moved)},
        )

    def transfer(
        self, actor_id: str, lead_id: str, to_pool_id: str, *, reason: str | None = None
    ) -> Lead:
        """Move a lead to another pool (转移). It arrives unassigned and the new pool's rules
        (default owner, auto-assign) apply as for a new lead."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.TRANSFER)
            target = uow.get_pool(to_pool_id)
            if not target.allows_source(op.lead.source):
                raise ValidationError(
                    [
                        FieldProblem(
                            "source",
                            f"pool {target.name} does not accept source {op.lead.source!r}",
                        )
                    ]
                )
            moved = transition(op.lead, Action.TRANSFER, at=op.now, pool_id=target.id)
            events = [
                self._event(
                    op,
                    EventKind.TRANSFERRED,
                    moved,
                    reason=reason,
                    data={"from_pool": op.pool.id, "to_pool": target.id},
                )
            ]
            arrived = _Op(uow, op.actor, moved, target, op.now)
            first_owner = self._first_owner(arrived) if target.enabled else None
            final = moved
            if first_owner is not None:
                final = self._hand_to(arrived, first_owner[0])
                events.append(
                    self._event(
                        arrived,
                        EventKind.ASSIGNED,
                        final,
                        reason=first_owner[1][0],
                        data=first_owner[1][1],
                    )
                )
            saved = uow.save_lead(final, expected_version=op.lead.version)
            uow.append_events(events)
            uow.commit()
            return saved

    def claim(self, actor_id: str, lead_id: str) -> Lead:
        """Take an unassigned lead from a pool that allows claiming (抢单), within the pool's caps:
        open leads held, claims a day, and the cool-down on re-claiming a lead one released."""

        def change(op: _Op) -> Lead:
            self._count_claim(op)
            return transition(
                op.lead,
                Action.CLAIM,
                at=op.now,
                owner_id=op.actor.id,
                department_id=op.actor.department_id,
            )

        return self._act(actor_id, lead_id, Action.CLAIM, change)

    def _claim_limits(self, op: _Op) -> Decision | None:
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

    def _count_claim(self, op: _Op) -> None:
        record_claim(op.uow, op.actor.id, op.now)

    # --- strategies (分配规则) -------------------------------------------------------------------
    def auto_assign(
        self, actor_id: str, lead_id: str, strategy: Strategy | str | None = None
    ) -> Lead:
        """Assign an unassigned lead by a strategy (by name, or the pool's own when None).

        The choice's reason, the candidates it excluded and the tie-break go into the
        ``assigned`` event. Raises ``NoOwnerFound`` when the strategy declines (nothing is
        written, not even a cursor move), ``PermissionDenied`` unless the actor may assign.
        """
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.ASSIGN)
            chosen = self._strategy_named(op.pool, strategy)
            choice = self._choose(op, chosen)
            if choice.owner_id is None:
                raise NoOwnerFound(op.lead.id, choice.strategy, choice.reason, choice.excluded)
            owner = self._owner(choice.owner_id, op.pool)
            new = transition(
                op.lead,
                Action.ASSIGN,
                at=op.now,
                owner_id=owner.id,
                department_id=owner.department_id,
            )
            saved = uow.save_lead(new, expected_version=op.lead.version)
            data = {"rule": "strategy", **choice.as_event_data()}
            uow.append_events(
                [self._event(op, EventKind.ASSIGNED, saved, reason=choice.reason, data=data)]
            )
            uow.commit()
            return saved

    def distribute(
        self, actor_id: str, lead_ids: Iterable[str], strategy: Strategy | str | None = None
    ) -> BatchResult:
        """Distribute a batch (e.g. an import) across a team, fair by ``strategy``: each lead
        is assigned at most once, in its own unit of work, with a result per lead. Running it
        again is harmless: leads already assigned come back as ``InvalidTransition`` results."""
        return self._batch(lead_ids, lambda lead_id: self.auto_assign(actor_id, lead_id, strategy))

    def _strategy_named(self, pool: Pool, strategy: Strategy | str | None) -> Strategy:
        if strategy is None:
            if pool.auto_assign is None:
                raise ValidationError(
                    [
                        FieldProblem(
                            "strategy", f"pool {pool.name} has no auto-assign strategy; name one"
                        )
                    ]
                )
            return self._pool_strategy(pool)
        if isinstance(strategy, str):
            found = self.strategies.get(strategy)
            if found is None:
                known = ", ".join(self.strategies) or "none"
                raise ValidationError(
                    [FieldProblem("strategy", f"no strategy {strategy!r} (known: {known})")]
                )
            return found
        return strategy

    def set_away(self, actor_id: str, user_id: str, periods: Iterable[Away]) -> list[Away]:
        """Record when ``user_id`` is away (休假); strategies skip them during those periods.

        The user themself or a system admin may; the new periods replace the old ones.
        """
        wanted = list(periods)
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            self._user(user_id)
            decision = self.policy.may_manage_availability(actor, user_id)
            if not decision:
                raise PermissionDenied(
                    actor.id, "set availability of", f"user {user_id!r}", decision.reason
                )
            problems = [
                FieldProblem(f"periods[{i}].user_id", f"is {p.user_id!r}, expected {user_id!r}")
                for i, p in enumerate(wanted)
                if p.user_id != user_id
            ]
            if problems:
                raise ValidationError(problems, subject="away periods")
            before = parse_away(user_id, uow.get_state(away_key(user_id)))
            uow.set_state(away_key(user_id), away_state(wanted) if wanted else None)
            uow.append_events(
                [
                    Event(
                        EventKind.AVAILABILITY_CHANGED,
                        now,
                        actor.id,
                        changes=(
                            FieldChange(f"away:{user_id}", away_state(before), away_state(wanted)),
                        ),
                        data={"user_id": user_id},
                    )
                ]
            )
            uow.commit()
            return wanted

    # --- follow-up and outcomes ----------------------------------------------------------------
    def follow_up(
        self,
        actor_id: str,
        lead_id: str,
        *,
        method: FollowUpMethod | str,
        content: str,
        result: str,
        at: datetime | None = None,
        duration: timedelta | None = None,
        customer_needs: str | None = None,
        next_step: str | None = None,
        next_follow_up_at: datetime | None = None,
        emotion: Emotion | None = None,
        priority: Priority | None = None,
        attachments: Sequence[Attachment] = (),
        mentions: Iterable[str] = (),
        stage: str | None = None,
    ) -> FollowUp:
        """Record a contact with the prospect (跟进). The lead moves to 跟进中, its next due date
        becomes ``next_follow_up_at``, and ``stage`` (one of the pool's sales stages) is set.
        ``at`` defaults to now and may not be in the future. Mentioned users must exist."""
        record_id = self._ids()
        saved_record: list[FollowUp] = []

        def change(op: _Op) -> Lead:
            when = op.now if at is None else ensure_aware(at, "at")
            problems = []
            if when > op.now:
                problems.append(FieldProblem("at", "must not be in the future"))
            if stage is not None and stage not in op.pool.sales_stages:
                problems.append(
                    FieldProblem("stage", f"must be one of: {', '.join(op.pool.sales_stages)}")
                )
            for user_id in mentions:
                try:
                    self._user(user_id)
                except NotFound:
                    problems.append(FieldProblem("mentions", f"no user {user_id!r}"))
            kind = FollowUpMethod.PHONE
            try:
                kind = (
                    method if isinstance(method, FollowUpMethod) else FollowUpMethod.parse(method)
                )
            except ValueError as e:
                problems.append(FieldProblem("method", str(e)))
            if problems:
                raise ValidationError(problems, subject="follow-up")
            record = FollowUp(
                id=record_id,
                lead_id=op.lead.id,
                author_id=op.actor.id,
                at=when,
                method=kind,
                content=content,
                result=result,
                duration=duration,
                customer_needs=customer_needs,
                next_step=next_step,
                next_follow_up_at=None
                if next_follow_up_at is None
                else ensure_aware(next_follow_up_at, "next_follow_up_at"),
                emotion=emotion,
                priority=priority,
                attachments=tuple(attachments),
                mentions=frozenset(mentions),
                stage=stage,
            )
            saved_record.append(op.uow.add_follow_up(record))
            new = transition(op.lead, Action.FOLLOW_UP, at=when)
            return self._scored(
                op,
                attrs.evolve(
                    new,
                    updated_at=op.now,
                    last_followed_at=max(when, op.lead.last_followed_at or when),
                    next_due_at=record.next_follow_up_at,
                    stage=stage if stage is not None else op.lead.stage,
                ),
            )

        self._act(
            actor_id,
            lead_id,
            Action.FOLLOW_UP,
            change,
            kind=EventKind.FOLLOWED_UP,
            data=lambda op, lead: {
                "follow_up_id": record_id,
                "method": saved_record[0].method.value,
                "mentions": sorted(saved_record[0].mentions),
            },
        )
        return saved_record[0]

    def follow_ups(self, actor_id: str, lead_id: str) -> list[FollowUp]:
        """The lead's follow-up records, oldest first (needs view access)."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            return uow.follow_ups(lead_id)

    def convert(self, actor_id: str, lead_id: str, customer_id: str) -> Lead:
        """Mark the lead converted into the host's customer ``customer_id`` (转化; read-only after)."""
        return self._act(
            actor_id,
            lead_id,
            Action.CONVERT,
            lambda op: transition(op.lead, Action.CONVERT, at=op.now, customer_id=customer_id),
        )

    def invalidate(self, actor_id: str, lead_id: str, reason: str) -> Lead:
        """Mark the lead invalid (无效) with a reason."""
        return self._act(
            actor_id, lead_id, Action.INVALIDATE, _move(Action.INVALIDATE, reason), reason=reason
        )

    def close_lost(self, actor_id: str, lead_id: str, reason: str) -> Lead:
        """Close the lead as lost (关闭) with the lost reason (丢失原因)."""
        return self._act(
            actor_id, lead_id, Action.CLOSE_LOST, _move(Action.CLOSE_LOST, reason), reason=reason
        )

    def reopen(self, actor_id: str, lead_id: str, *, reason: str | None = None) -> Lead:
        """Bring an invalid or lost lead back to its pool, unassigned."""
        return self._act(
            actor_id, lead_id, Action.REOPEN, _move(Action.REOPEN, reason), reason=reason
        )

    # --- scoring (线索评分) -------------------------------------------------------------------
    def record_activity(
        self,
        actor_id: str,
        lead_id: str,
        kind: str,
        *,
        at: datetime | None = None,
        details: Mapping[str, object] | None = None,
    ) -> Lead:
        """Record a prospect's behaviour (pricing-page visit, whitepaper download, ...) and
        re-score the lead. ``at`` defaults to now and may not be in the future. Reaching the MQL
        threshold appends ``mql_reached`` after ``activity_recorded``."""
        recorded: list[Activity] = []

        def change(op: _Op) -> Lead:
            when = op.now if at is None else ensure_aware(at, "at")
            if when > op.now:
                raise ValidationError([FieldProblem("at", "must not be in the future")])
            try:
                activity = Activity(kind, when, lead_id=op.lead.id, data=details or {})
            except (TypeError, ValueError) as e:
                if isinstance(e, LeadcoreError):
                    raise
                raise ValidationError([FieldProblem("kind", str(e))]) from e
            recorded.append(activity)
            return self._scored(op, attrs.evolve(op.lead, updated_at=op.now), activity)

        return self._act(
            actor_id,
            lead_id,
            Action.RECORD_ACTIVITY,
            change,
            kind=EventKind.ACTIVITY_RECORDED,
            data=lambda op, lead: activity_event_data(recorded[0]),
        )

    def accept_sql(self, actor_id: str, lead_id: str) -> Lead:
        """Sales accepts the lead (销售认可, SQL): ``sql_at`` is set once; accepting again
        changes nothing and writes nothing."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.ACCEPT_SQL)
            accepted, changed = accepted_as_sql(op.lead, now=op.now)
            if not changed:
                return op.lead
            saved = uow.save_lead(
                attrs.evolve(accepted, updated_at=op.now), expected_version=op.lead.version
            )
            uow.append_events([self._event(op, EventKind.SQL_ACCEPTED, saved)])
            uow.commit()
            return saved

    def score(self, actor_id: str, lead_id: str) -> Score:
        """The lead's score now, with its breakdown (``str()`` renders the explain table).
        Needs view access; ``ValidationError`` if this desk has no scorer."""
        scorer = self._require_scorer()
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            return scorer.score(op.lead, activities_of(uow, lead_id), now=op.now)

    def rescore(self, actor_id: str, lead_ids: Iterable[str]) -> BatchResult:
        """Bring stored scores up to date (behaviour decays as time passes); a result per
        lead. Leads whose score and grade did not change are returned as they are."""
        self._require_scorer()

        def one(lead_id: str) -> Lead:
            with self.store.unit_of_work() as uow:
                op = self._load(uow, actor_id, lead_id, None)
                self._require(op, Action.RECORD_ACTIVITY)
                new = self._scored(op, op.lead)
                if new == op.lead:
                    return op.lead
                saved = uow.save_lead(
                    attrs.evolve(new, updated_at=op.now), expected_version=op.lead.version
                )
                uow.append_events(
                    [self._event(op, EventKind.SCORE_CHANGED, saved), *op.extra_events]
                )
                uow.commit()
                return saved

        return self._batch(lead_ids, one)

    def _require_scorer(self) -> Scorer:
        if self.scorer is None:
            raise ValidationError(
                [FieldProblem("scorer", "this desk has no scorer; pass LeadDesk(scorer=...)")]
            )
        return self.scorer

    # --- collaborators and followers -----------------------------------------------------------
    def add_collaborators(
        self, actor_id: str, lead_id: str, user_ids: Iterable[str], *, role: str | None = None
    ) -> Lead:
        """Add several collaborators at once (协作人), optionally with a named role such as
        ``"marketing_owner"`` whose rights the policy defines."""
        wanted = frozenset(user_ids)

        def change(op: _Op) -> Lead:
            problems = []
            for user_id in sorted(wanted):
                try:
                    if not self._user(user_id).active:
                        problems.append(FieldProblem("user_ids", f"user {user_id!r} is inactive"))
                except NotFound:
                    problems.append(FieldProblem("user_ids", f"no user {user_id!r}"))
            if op.lead.owner_id in wanted:
                problems.append(FieldProblem("user_ids", f"{op.lead.owner_id!r} owns the lead"))
            if not wanted:
                problems.append(FieldProblem("user_ids", "name at least one user"))
            if problems:
                raise ValidationError(problems, subject="collaborators")
            roles = dict(op.lead.collaborator_roles)
            for user_id in wanted:
                if role is None:
                    roles.pop(user_id, None)
                else:
                    roles[user_id] = role
            return attrs.evolve(
                op.lead,
                collaborators=op.lead.collaborators | wanted,
                collaborator_roles=roles,
                updated_at=op.now,
            )

        return self._act(
            actor_id,
            lead_id,
            Action.MANAGE_COLLABORATORS,
            change,
            kind=EventKind.COLLABORATORS_CHANGED,
        )

    def remove_collaborators(self, actor_id: str, lead_id: str, user_ids: Iterable[str]) -> Lead:
        """Remove several collaborators at once; their rights on the lead end with it."""
        gone = frozenset(user_ids)

        def change(op: _Op) -> Lead:
            roles = {u: r for u, r in op.lead.collaborator_roles.items() if u not in gone}
            return attrs.evolve(
                op.lead,
                collaborators=op.lead.collaborators - gone,
                collaborator_roles=roles,
                updated_at=op.now,
            )

        return self._act(
            actor_id,
            lead_id,
            Action.MANAGE_COLLABORATORS,
            change,
            kind=EventKind.COLLABORATORS_CHANGED,
        )

    def follow(self, actor_id: str, lead_id: str) -> Lead:
        """Watch a lead (关注); it then shows in the actor's "leads I follow"."""
        return self._act(
            actor_id,
            lead_id,
            Action.FOLLOW,
            lambda op: attrs.evolve(op.lead, followers=op.lead.followers | {op.actor.id}),
            kind=EventKind.FOLLOWERS_CHANGED,
        )

    def unfollow(self, actor_id: str, lead_id: str) -> Lead:
        """Stop watching a lead."""
        return self._act(
            actor_id,
            lead_id,
            Action.FOLLOW,
            lambda op: attrs.evolve(op.lead, followers=op.lead.followers - {op.actor.id}),
            kind=EventKind.FOLLOWERS_CHANGED,
        )

    # --- batches -------------------------------------------------------------------------------
    def _batch(self, lead_ids: Iterable[str], operation: Callable[[str], Lead]) -> BatchResult:
        outcomes = []
        for lead_id in lead_ids:
            try:
                outcomes.append(LeadOutcome(lead_id, lead=operation(lead_id)))
            except LeadcoreError as e:
                outcomes.append(LeadOutcome(lead_id, error=e))
        return BatchResult(tuple(outcomes))

    def batch_assign(self, actor_id: str, lead_ids: Iterable[str], owner_id: str) -> BatchResult:
        """Assign several leads to one owner; a result per lead, each lead's change atomic."""
        return self._batch(lead_ids, lambda lead_id: self.assign(actor_id, lead_id, owner_id))

    def batch_transfer(
        self, actor_id: str, lead_ids: Iterable[str], to_pool_id: str
    ) -> BatchResult:
        """Transfer several leads to another pool; a result per lead."""
        return self._batch(lead_ids, lambda lead_id: self.transfer(actor_id, lead_id, to_pool_id))

    def batch_recycle(
        self, actor_id: str, lead_ids: Iterable[str], *, reason: str | None = None
    ) -> BatchResult:
        """Take several held leads back into their pools (回收); a result per lead."""
        return self._batch(
            lead_ids,
            lambda lead_id: self._act(
                actor_id, lead_id, Action.RECYCLE, _move(Action.RECYCLE, reason), reason=reason
            ),
        )

    # --- permissions ---------------------------------------------------------------------------
    def can(self, actor_id: str, action: Action, lead_id: str) -> Decision:
        """Whether the actor may take ``action`` on the lead now, and why (or why not)."""
        with self.store.unit_of_work() as uow:
            return self._decide(self._load(uow, actor_id, lead_id, None), action)

    def allowed_actions(self, actor_id: str, lead_id: str) -> tuple[Action, ...]:
        """Every action the actor may take on the lead now: the buttons a UI should show."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            return tuple(a for a in Action if a not in POOL_ACTIONS and self._decide(op, a).allowed)

    # --- temporary grants (跨部门临时查看) -------------------------------------------------------
    def request_access(
        self,
        actor_id: str,
        lead_id: str,
        *,
        reason: str,
        hours: float = 24,
        actions: Iterable[Action] = (Action.VIEW,),
    ) -> Grant:
        """Ask for temporary access to a lead one cannot otherwise see; an approver must agree."""
        from leadcore.policy import request_grant

        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            lead = uow.get_lead(lead_id)
            grant = request_grant(
                grant_id=self._ids(),
                grantee=actor,
                lead=lead,
                reason=reason,
                duration=timedelta(hours=hours),
                actions=tuple(actions),
                now=now,
                grantable=self.policy.config.grantable_actions,
                max_duration=timedelta(hours=self.policy.config.max_grant_hours),
            )
            self._store_grant(uow, grant)
            uow.append_events(
                [
                    Event(
                        EventKind.GRANT_REQUESTED,
                        now,
                        actor.id,
                        lead_id=lead.id,
                        pool_id=lead.pool_id,
                        reason=reason,
                        data={"grant_id": grant.id},
                    )
                ]
            )
            uow.commit()
            return grant

    def approve_access(self, actor_id: str, grantee_id: str, grant_id: str) -> Grant:
        """Approve a pending grant (who may approve is policy: by default the lead's owner, a
        pool admin or a system admin). Raises ``PermissionDenied`` with the reason otherwise."""
        from leadcore.policy import approve_grant

        return self._update_grant(
            actor_id,
            grantee_id,
            grant_id,
            EventKind.GRANT_APPROVED,
            lambda grant, actor, lead, pool, now: approve_grant(
                grant, actor, lead=lead, pool=pool, org=self.org, policy=self.policy, now=now
            ),
        )

    def revoke_access(self, actor_id: str, grantee_id: str, grant_id: str) -> Grant:
        """End a grant before it expires."""
        from leadcore.policy import revoke_grant

        return self._update_grant(
            actor_id,
            grantee_id,
            grant_id,
            EventKind.GRANT_REVOKED,
            lambda grant, actor, lead, pool, now: revoke_grant(
                grant, actor, lead=lead, pool=pool, org=self.org, policy=self.policy, now=now
            ),
        )

    def grants(self, actor_id: str) -> list[Grant]:
        """The grants the actor holds or asked for, approved or not, expired or not."""
        with self.store.unit_of_work() as uow:
            return self._grants(uow, actor_id)

    def _store_grant(self, uow: UnitOfWork, grant: Grant) -> None:
        held = [g for g in self._grants(uow, grant.grantee_id) if g.id != grant.id]
        raw: list[JSONValue] = [unstructure(g) for g in [*held, grant]]
        uow.set_state(_grants_key(grant.grantee_id), raw)

    def _update_grant(
        self,
        actor_id: str,
        grantee_id: str,
        grant_id: str,
        kind: EventKind,
        update: Callable[[Grant, User, Lead, Pool, datetime], Grant],
    ) -> Grant:
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            found = [g for g in self._grants(uow, grantee_id) if g.id == grant_id]
            if not found:
                raise NotFound("grant", grant_id)
            lead = uow.get_lead(found[0].lead_id)
            new = update(found[0], actor, lead, uow.get_pool(lead.pool_id), now)
            self._store_grant(uow, new)
            uow.append_events(
                [
                    Event(
                        kind,
                        now,
                        actor.id,
                        lead_id=lead.id,
                        pool_id=lead.pool_id,
                        data={"grant_id": grant_id, "grantee": grantee_id},
                    )
                ]
            )
            uow.commit()
            return new

    # --- views and history ---------------------------------------------------------------------
    def leads(
        self,
        actor_id: str,
        *,
        view: View | str = View.MINE,
        pool_id: str | None = None,
        statuses: Iterable[LeadStatus] | None = None,
        source: str | None = None,
        grade: str | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
        order: LeadOrder | str = LeadOrder.CREATED_DESC,
        cursor: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """One page of a view (我的线索, 我关注的线索, 我下属的线索, 全部线索, a pool's leads),
        filtered, ordered and paged. Only leads the actor may view are ever returned.

        Page with ``cursor`` (the previous page's ``next_cursor``) to stay correct while leads
        change, or with ``offset``. The all-leads view is for those whose scope is all leads.
        """
        problems = []
        if not 1 <= limit <= 1000:
            problems.append(FieldProblem("limit", "must be between 1 and 1000"))
        if offset < 0:
            problems.append(FieldProblem("offset", "must not be negative"))
        if problems:
            raise ValidationError(problems, subject="view")
        chosen = view if isinstance(view, View) else View.parse(view)
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            grants = self._grants(uow, actor.id)
            if chosen is View.ALL:
                scope = self.policy.view_scope(
                    actor, org=self.org, pools=uow.list_pools(), grants=grants, now=now
                )
                if not scope.all_leads:
                    raise PermissionDenied(
                        actor.id, "view", "all leads", "the all-leads view is for admins"
                    )
            team = self.org.subordinates(actor.id) if chosen is View.SUBORDINATES else frozenset()
            query = attrs.evolve(
                base_query(chosen, actor.id, pool_id=pool_id, team=team),
                pool_id=pool_id,
                statuses=None if statuses is None else frozenset(statuses),
                source=source,
                grade=grade,
                created_from=created_from,
                created_before=created_before,
                order=order_of(order),
                after=None if cursor is None else decode_cursor(cursor),
            )
            pools: dict[str, Pool] = {}

            def may_view(lead: Lead) -> bool:
                pool = pools.get(lead.pool_id)
                if pool is None:
                    pool = pools[lead.pool_id] = uow.get_pool(lead.pool_id)
                return self.policy.decide(
                    actor, Action.VIEW, lead, pool, org=self.org, grants=grants, now=now
                ).allowed

            found, last = visible_page(uow, query, may_view, limit=limit, offset=offset)
            return Page(tuple(found), None if last is None else encode_cursor(last))

    def history(self, actor_id: str, lead_id: str) -> list[Event]:
        """The lead's audit trail, oldest first (needs view access)."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            return uow.events_since(0, lead_id=lead_id)


def _grants_key(user_id: str) -> str:
    return f"grants:{user_id}"


def _move(action: Action, reason: str | None) -> Callable[[_Op], Lead]:
    """A change that only moves the lead through the lifecycle."""
    return lambda op: transition(op.lead, action, at=op.now, reason=reason)


def _contact_fields(lead: Lead) -> dict[str, Any]:
    return {
        "contact_name": lead.contact_name,
        "company": lead.company,
        "phone": lead.phone,
        "email": lead.email,
        "wechat": lead.wechat,
    }
