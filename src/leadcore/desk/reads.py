"""The load step: what a plan may read, through one read-only view of a unit of work.

``Reads`` hands out the facts plans decide on — the acting user, a lead with its pool and the
actor's grants on it (``Subject``), would-be owners, claim counts, the facts a strategy needs —
and nothing that writes. A lead the actor may not see is reported exactly as a missing one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final, Unpack

import attrs

from leadcore import checks
from leadcore.assignment import DECIDED_STATUSES, MemoryContext, Needs, Strategy, needed
from leadcore.errors import (
    ConcurrencyConflict,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event, EventKind, FieldChange
from leadcore.ids import IdFactory, ResumableIds
from leadcore.lifecycle import Move, Step, next_status, step
from leadcore.model import Action, FollowUp, Lead, LeadStatus, Pool
from leadcore.org import OrgDirectory, User
from leadcore.policy import ClaimFacts, Decision, OwnerFacts, QuotaPolicy, QuotaUse, ViewScope
from leadcore.query import LeadQuery
from leadcore.records import RECEIVED, Away, Grant, OwnershipChange, away_at
from leadcore.scoring import Activity, Readiness, ReadinessSignal, readiness
from leadcore.storage.protocol import UnitOfWork

from .setup import Setup

__all__ = ["Reads", "Subject", "context_for"]

_HELD: Final = frozenset({LeadStatus.ASSIGNED, LeadStatus.FOLLOWING})
"""The statuses of a lead an owner holds and works."""


@attrs.frozen(slots=True)
class Subject:
    """A lead operation's subject as loaded: who acts, on which lead in which pool, when, the
    actor's active grants on that lead, and whether the actor may see the lead at all."""

    actor: User
    lead: Lead
    pool: Pool
    now: datetime
    grants: tuple[Grant, ...] = ()
    visible: bool = True

    def step(
        self,
        action: Action,
        *,
        data: Mapping[str, object] | None = None,
        audited: tuple[FieldChange, ...] | None = None,
        **move: Unpack[Move],
    ) -> Step:
        """This subject's lead after ``action`` by its actor now, with the event recording it
        (see :func:`leadcore.lifecycle.step`)."""
        return step(
            self.lead,
            action,
            actor_id=self.actor.id,
            at=self.now,
            data=data,
            audited=audited,
            **move,
        )

    def decide(self, setup: Setup, action: Action, *, claim: ClaimFacts | None = None) -> Decision:
        """The policy's decision on ``action`` for this subject."""
        return setup.policy.decide(
            self.actor,
            action,
            self.lead,
            self.pool,
            org=setup.org,
            grants=self.grants,
            now=self.now,
            claim=claim,
        )

    def require(self, setup: Setup, action: Action, *, claim: ClaimFacts | None = None) -> None:
        """Go on only if ``action`` may be taken: ``InvalidTransition`` when the lifecycle
        forbids it from the lead's status, else ``PermissionDenied`` with the policy's reason."""
        next_status(self.lead, action)
        decision = self.decide(setup, action, claim=claim)
        if not decision.allowed:
            raise PermissionDenied(self.actor.id, action, f"lead {self.lead.id!r}", decision.reason)


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
class Reads:
    """A read-only view of one unit of work for the load step of a plan."""

    def __init__(
        self,
        uow: UnitOfWork,
        setup: Setup,
        *,
        now: datetime,
        ids: IdFactory,
        rng: random.Random,
        resumed: set[str] | None = None,
    ) -> None:
        self._uow = uow
        self.setup = setup
        self.now = now
        self._ids = ids
        self.rng = rng
        self._resumed = set() if resumed is None else resumed

    @property
    def uow(self) -> UnitOfWork:
        """The unit of work, for reads the helpers below do not cover (never write to it)."""
        return self._uow

    # --- people ------------------------------------------------------------------------------
    def actor(self, user_id: str) -> User:
        """The acting user: ``NotFound`` if unknown, ``PermissionDenied`` if deactivated."""
        user = self.setup.org.user(checks.identifier(user_id, "actor_id"))
        if not user.active:
            raise PermissionDenied(user.id, "do anything", "", f"user {user.id} is inactive")
        return user

    def user_or_none(self, user_id: str) -> User | None:
        """The user, or None if the directory does not know them."""
        try:
            return self.setup.org.user(checks.identifier(user_id, "user_id"))
        except NotFound:
            return None

    def owner_facts(self, user_id: str, pool: Pool) -> OwnerFacts:
        """What the owner-eligibility rule needs about ``user_id`` receiving a lead of ``pool``."""
        user = self.user_or_none(user_id)
        if user is None:
            return OwnerFacts(None)
        loads = (
            self._uow.open_counts([user_id])[user_id]
            if pool.max_open_per_user is not None
            else None
        )
        return OwnerFacts(user, loads, self.away_now(user_id), self.quota_uses(user_id, pool))

    def quota_uses(self, user_id: str, pool: Pool) -> tuple[QuotaUse, ...]:
        """Where ``user_id`` stands against the quotas of ``pool``'s quota policy now (none
        without one), counted from the store in this unit of work."""
        return quota_uses(self._uow, self.setup.quota_policy_of(pool), user_id, pool, self.now)

    def away_now(self, user_id: str) -> Away | None:
        """The user's absence now, if any, ending when they are back (past overlapping or
        adjoining periods)."""
        periods = self._uow.away_periods([user_id]).get(user_id)
        return away_at(periods, self.now) if periods else None

    # --- leads -------------------------------------------------------------------------------
    def pool(self, pool_id: str) -> Pool:
        """The pool; ``NotFound`` if there is none."""
        return self._uow.get_pool(checks.identifier(pool_id, "pool_id"))

    def subject(
        self,
        actor_id: str,
        lead_id: str,
        *,
        expected_version: int | None = None,
        action: Action | None = None,
    ) -> Subject:
        """Load the actor, the lead, its pool and the actor's grants on it.

        ``expected_version`` (a stored version: a whole number from 0 to 2**63 - 1) is checked
        first, whatever the lead. A lead the actor may not see raises ``NotFound`` exactly like
        a missing one, before any version comparison, so a refusal tells them nothing about it.
        The one exception is a claim that lost a race (:meth:`lost_claim_race`): the claim
        itself then says it was too late.
        """
        if expected_version is not None:
            checks.stored_number(expected_version, "expected_version")
        actor = self.actor(actor_id)
        lead = self._uow.get_lead(checks.identifier(lead_id, "lead_id"))
        pool = self._uow.get_pool(lead.pool_id)
        grants = tuple(self._uow.grants_of(actor.id, lead_id=lead.id, active_at=self.now))
        scope = self.setup.policy.view_scope(
            actor, org=self.setup.org, pools=(pool,), grants=grants, now=self.now
        )
        visible = scope.covers(lead)
        if not visible and not (action is Action.CLAIM and self.lost_claim_race(actor, lead, pool)):
            raise NotFound("lead", lead_id)
        if visible and expected_version is not None and expected_version != lead.version:
            raise ConcurrencyConflict("lead", lead_id, expected_version, lead.version)
        return Subject(actor, lead, pool, self.now, grants, visible)

    def lost_claim_race(self, actor: User, lead: Lead, pool: Pool) -> bool:
        """Whether ``actor``, a member of ``lead``'s claim pool who may not see it, may be told
        that someone else claimed it first: the lead was claimed from this pool, where it
        waited unassigned in its members' sight, and the one who claimed it still holds it
        (assigned or being followed up). Any other lead they may not see (handed to an owner
        as it arrived or by an admin, passed on or decided since) stays hidden, as a missing
        one: only a claim proves the lead waited, and it costs one indexed look-up."""
        if not (pool.claim_enabled and pool.is_member(actor.id)):
            return False
        if lead.owner_id is None or lead.assigned_at is None or lead.status not in _HELD:
            return False
        claimed = self._uow.last_ownership(lead.owner_id, lead.id, OwnershipChange.CLAIMED)
        return claimed == lead.assigned_at

    def view_scope(self, actor: User, pools: Iterable[Pool] | None = None) -> ViewScope:
        """Every way the actor sees leads now, among ``pools`` (default: every pool)."""
        chosen = self._uow.list_pools() if pools is None else pools
        grants = self._uow.grants_of(actor.id, active_at=self.now)
        return self.setup.policy.view_scope(
            actor, org=self.setup.org, pools=chosen, grants=grants, now=self.now
        )

    def follow_ups(self, lead_id: str) -> list[FollowUp]:
        """The lead's follow-up records, oldest first."""
        return self._uow.follow_ups(lead_id)

    def readiness(self, subject: Subject, signals: Iterable[ReadinessSignal]) -> Readiness:
        """The 3-of-5 readiness of the subject's lead, from its data, activities and follow-ups
        plus the ``signals`` the host found itself."""
        stages = subject.pool.sales_stages
        return readiness(
            subject.lead,
            self.activities(subject.lead),
            self.follow_ups(subject.lead.id),
            signals=sorted(signals),
            now=self.now,
            intent_stage=stages[-1] if stages else "",
        )

    def events_of(self, lead_id: str) -> list[Event]:
        """The lead's events, oldest first."""
        return self._uow.events_since(0, lead_id=lead_id)

    def activities(self, lead: Lead) -> list[Activity]:
        """Every behaviour recorded on the lead (``activity_recorded`` events), oldest first."""
        if lead.version == 0:
            return []
        found = []
        for event in self._uow.events_since(0, lead_id=lead.id):
            if event.kind is EventKind.ACTIVITY_RECORDED:
                data = event.data
                details = data.get("details")
                found.append(
                    Activity(
                        str(data["activity"]),
                        datetime.fromisoformat(str(data["at"])),
                        lead_id=lead.id,
                        data=details if isinstance(details, Mapping) else {},
                    )
                )
        return found

    # --- claims ------------------------------------------------------------------------------
    def claim_facts(self, actor: User, lead: Lead) -> ClaimFacts:
        """The counts the claim caps are decided on (and, for a pool with a new-lead lock, when
        the lead arrived in it: its latest transfer, else its creation)."""
        day = self.now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        pool = self._uow.get_pool(lead.pool_id)
        arrived = None
        if pool.claim_lock_hours is not None:
            moves = [e.at for e in self.events_of(lead.id) if e.kind is EventKind.TRANSFERRED]
            arrived = max(moves, default=lead.created_at)
        return ClaimFacts(
            arrived_at=arrived,
            open_count=self._uow.open_counts([actor.id])[actor.id],
            claims_today=self._uow.count_ownership(
                actor.id, changes=(OwnershipChange.CLAIMED,), since=day
            ),
            last_given_back_at=self._uow.last_ownership(
                actor.id, lead.id, OwnershipChange.RELEASED
            ),
            quotas=self.quota_uses(actor.id, pool),
            away=self.away_now(actor.id),
        )

    def received_since(self, user_id: str, since: datetime) -> int:
        """How many leads the user received (claimed or was assigned) since ``since``."""
        return self._uow.count_ownership(user_id, changes=RECEIVED, since=since)

    # --- strategies --------------------------------------------------------------------------
    def assignment_context(
        self, strategy: Strategy, leads: Sequence[Lead], pools: Mapping[str, Pool]
    ) -> MemoryContext:
        """The facts ``strategy`` needs to choose owners for ``leads``, loaded now, in a strict
        context (reading anything it did not declare is an error)."""
        needs = Needs()
        for lead in leads:
            needs = needs | needed(strategy, lead, pools.get(lead.pool_id))
        return self.context_for(needs, pools.values())

    def context_for(self, needs: Needs, pools: Iterable[Pool]) -> MemoryContext:
        """A strict ``MemoryContext`` holding exactly ``needs`` (see :func:`context_for`)."""
        return _context_for(
            self._uow,
            self.setup.org,
            needs,
            pools,
            now=self.now,
            rng=self.rng,
            quota_policies=self.setup.quota_policy_of,
        )

    # --- ids ---------------------------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        """A fresh id for a record of ``kind`` ("lead", "follow_up", "grant"). A factory that
        can resume is first moved past the ids this store already uses. An id the host's
        factory makes that could not be kept (not text, blank, spaced, too long) is a
        ``ValidationError`` naming ``ids('<kind>')``."""
        if kind not in self._resumed:
            # Asked once per kind: a check against a runtime protocol is slow.
            if isinstance(self._ids, ResumableIds):
                self._ids.resume(kind, lambda record_id: self._is_used(kind, record_id))
            self._resumed.add(kind)
        made = self._ids(kind)
        if kind == "grant" and isinstance(self._ids, ResumableIds) and self._is_used(kind, made):
            # A store keeps a grant under its id whatever was there: a gap left by a refused
            # request must not let a new one overwrite a stored grant. (Grants are few.)
            self._ids.resume(kind, lambda record_id: self._is_used(kind, record_id))
            made = self._ids(kind)
        # The common case first: short printable ASCII, as counters and UUIDs make.
        if (
            type(made) is str
            and 0 < len(made) <= checks.MAX_ID
            and made.isascii()
            and made.isprintable()
            and made.strip() == made
        ):
            return made
        return checks.kept_identifier(made, f"ids({kind!r})")

    def _is_used(self, kind: str, record_id: str) -> bool:
        uow = self._uow
        if kind == "lead":
            return bool(
                uow.get_leads([record_id]) or uow.events_since(0, lead_id=record_id, limit=1)
            )
        getter = {"grant": uow.get_grant, "follow_up": uow.get_follow_up}.get(kind)
        if getter is None:
            return False
        try:
            getter(record_id)
        except NotFound:
            return False
        return True


def context_for(
    uow: UnitOfWork,
    org: OrgDirectory,
    needs: Needs,
    pools: Iterable[Pool],
    *,
    now: datetime,
    rng: random.Random,
    quota_policies: Callable[[Pool], QuotaPolicy | None] | None = None,
) -> MemoryContext:
    """The facts a strategy declared in ``needs``, read from ``uow`` and ``org`` before the
    decision, as a strict ``MemoryContext``: the candidate users (unknown ones noted as such),
    their open-lead counts and away periods, the state keys, their decided leads when the
    strategy reads track records, and — for pools whose quota policy ``quota_policies`` gives —
    where each candidate stands against its quotas. Write the ``Choice``'s state updates back
    yourself."""
    if not isinstance(needs, Needs):
        raise _argument("needs", f"must be Needs, not {type(needs).__name__}")
    if not isinstance(rng, random.Random):
        raise _argument("rng", f"must be a random.Random, not {type(rng).__name__}")
    if quota_policies is not None and not callable(quota_policies):
        raise _argument("quota_policies", "must be a function of a pool (or None)")
    if not checks.conforms(uow, UnitOfWork):
        raise _argument("uow", f"must be a UnitOfWork, not {type(uow).__name__}")
    if not checks.conforms(org, OrgDirectory):
        raise _argument("org", f"must be an OrgDirectory, not {type(org).__name__}")
    return _context_for(
        uow,
        org,
        needs,
        checks.instances(pools, Pool, "pools", "Pool records"),
        now=checks.aware(now, "now"),
        rng=rng,
        quota_policies=quota_policies,
    )


def _argument(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def _context_for(
    uow: UnitOfWork,
    org: OrgDirectory,
    needs: Needs,
    pools: Iterable[Pool],
    *,
    now: datetime,
    rng: random.Random,
    quota_policies: Callable[[Pool], QuotaPolicy | None] | None = None,
) -> MemoryContext:
    """:func:`context_for` of arguments known to be sound (the desk's own)."""
    known: list[User] = []
    unknown: list[str] = []
    for user_id in sorted(needs.users):
        try:
            known.append(org.user(user_id))
        except NotFound:
            unknown.append(user_id)
    ids = [u.id for u in known]
    loads = uow.open_counts(ids)
    away = [p for periods in uow.away_periods(ids).values() for p in periods]
    state = {key: uow.get_state(key) for key in needs.state_keys}
    history: list[Lead] = []
    if needs.history and ids:
        history = uow.find_leads(LeadQuery(owner_ids=frozenset(ids), statuses=DECIDED_STATUSES))
    pools = list(pools)
    quotas: dict[tuple[str, str], tuple[QuotaUse, ...]] = {}
    if quota_policies is not None:
        for pool in pools:
            policy = quota_policies(pool)
            if policy is not None:
                for user_id in ids:
                    quotas[user_id, pool.id] = quota_uses(uow, policy, user_id, pool, now)
    return MemoryContext.loaded(
        known,
        unknown,
        loads,
        state,
        now=now,
        rng=rng,
        pools=pools,
        away=away,
        history=history,
        quotas=quotas,
    )


def quota_uses(
    uow: UnitOfWork, policy: QuotaPolicy | None, user_id: str, pool: Pool, now: datetime
) -> tuple[QuotaUse, ...]:
    """Where ``user_id`` stands against ``policy``'s quotas in ``pool`` at ``now``: the leads
    they received there (assigned or claimed) since each window began, counted in ``uow``."""
    if policy is None:
        return ()
    return policy.standing(
        user_id,
        now,
        lambda since: uow.count_ownership(user_id, changes=RECEIVED, since=since, pool_id=pool.id),
    )
