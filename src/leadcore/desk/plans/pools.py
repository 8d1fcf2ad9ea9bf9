"""Pools (线索池): creating and configuring them (system admins), every setting audited and
every reference (admins, members, default owner, strategy) checked when it is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from leadcore.custom_fields import FieldType
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.events import Event, EventKind, diff_fields
from leadcore.model import Action, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, owner_refusal

from ..outcome import AddPool, Outcome, SavePool
from ..reads import Reads
from ..setup import Setup
from .reactions import due_date_problem

__all__ = ["CreatePool", "UpdatePool", "pool_reference_problems", "updated_pool"]

_SETTINGS = frozenset(f.name for f in attrs.fields(Pool)) - {"id", "version"}


@attrs.frozen(slots=True)
class PoolFacts:
    """Who acts, when, and the pool as stored (None for a new one)."""

    actor: User
    now: datetime
    stored: Pool | None


def pool_reference_problems(setup: Setup, pool: Pool) -> list[FieldProblem]:
    """Every reference in ``pool`` that does not hold: unknown admins or members, a default
    owner who may not own its leads, a strategy or SLA policy this desk does not have."""
    problems = []
    for field in ("admins", "members"):
        for user_id in sorted(getattr(pool, field)):
            try:
                setup.org.user(user_id)
            except NotFound:
                problems.append(FieldProblem(field, f"no user {user_id!r}"))
    if pool.default_owner_id is not None:
        user: User | None
        try:
            user = setup.org.user(pool.default_owner_id)
        except NotFound:
            user = None
        refusal = owner_refusal(pool.default_owner_id, OwnerFacts(user), pool)
        if refusal is not None:
            who = pool.default_owner_id
            problems.append(
                FieldProblem("default_owner_id", f"{who!r} cannot own the pool's leads: {refusal}")
            )
    named: list[tuple[str, str | None, Mapping[str, object], str]] = [
        ("auto_assign", pool.auto_assign, setup.strategies, "strategy"),
        ("sla_policy", pool.sla_policy, setup.sla_policies, "SLA policy"),
        ("quota_policy", pool.quota_policy, setup.quota_policies, "quota policy"),
        *(("conditions", name, setup.conditions, "condition") for name in pool.conditions),
    ]
    for field, name, known, what in named:
        if name is not None and name not in known:
            listed = ", ".join(sorted(known)) or "none"
            problems.append(
                FieldProblem(field, f"no {what} {name!r} on this desk (known: {listed})")
            )
    if pool.due_date_field is not None:
        dates = [
            name
            for name, field in setup.custom_fields.fields.items()
            if field.type is FieldType.DATE
        ]
        problem = due_date_problem(pool.due_date_field, dates)
        if problem is not None:
            problems.append(FieldProblem("due_date_field", problem))
    return problems


def _require_configure(setup: Setup, actor: User, pool: Pool, now: datetime) -> None:
    setup.require(actor, Action.CONFIGURE_POOL, None, pool, now=now, what=f"pool {pool.id!r}")


@attrs.frozen(kw_only=True)
class CreatePool:
    """Add a pool (system admins only)."""

    setup: Setup
    actor_id: str
    pool: Pool

    def load(self, reads: Reads) -> PoolFacts:
        """The actor (the pool id must be free: the store refuses a taken one)."""
        if not isinstance(self.pool, Pool):
            raise ValidationError([FieldProblem("pool", "must be a Pool")])
        return PoolFacts(reads.actor(self.actor_id), reads.now, None)

    def decide(self, facts: PoolFacts) -> None:
        """System admins configure pools; every reference must hold."""
        _require_configure(self.setup, facts.actor, self.pool, facts.now)
        problems = pool_reference_problems(self.setup, self.pool)
        if problems:
            raise ValidationError(problems, subject=f"pool {self.pool.id!r}")

    def plan(self, facts: PoolFacts) -> Outcome[Pool]:
        """The pool stored, and a ``pool_created`` event."""
        pool = self.pool if self.pool.version == 1 else attrs.evolve(self.pool, version=1)
        event = Event(
            EventKind.POOL_CREATED,
            facts.now,
            facts.actor.id,
            pool_id=pool.id,
            changes=diff_fields(None, pool),
        )
        return Outcome(pool, events=(event,), records=(AddPool(pool),))


@attrs.frozen(kw_only=True)
class UpdatePool:
    """Change a pool's settings (system admins only), audited field by field."""

    setup: Setup
    actor_id: str
    pool_id: str
    settings: Mapping[str, object]

    def load(self, reads: Reads) -> PoolFacts:
        """The actor and the pool as stored."""
        return PoolFacts(reads.actor(self.actor_id), reads.now, reads.pool(self.pool_id))

    def decide(self, facts: PoolFacts) -> None:
        """System admins configure pools."""
        assert facts.stored is not None
        _require_configure(self.setup, facts.actor, facts.stored, facts.now)

    def plan(self, facts: PoolFacts) -> Outcome[Pool]:
        """The pool with the new settings (checked like a new pool's, every problem named at
        once), and a ``pool_changed`` event listing each change; nothing when no setting
        changes."""
        old = facts.stored
        assert old is not None
        new = updated_pool(self.setup, old, self.settings)
        changes = diff_fields(old, new)
        if not changes:
            return Outcome(old)
        event = Event(
            EventKind.POOL_CHANGED, facts.now, facts.actor.id, pool_id=old.id, changes=changes
        )
        return Outcome(new, events=(event,), records=(SavePool(new, old.version),))


def updated_pool(setup: Setup, old: Pool, settings: Mapping[str, object]) -> Pool:
    """``old`` with ``settings`` applied, or one ``ValidationError`` naming every problem:
    unknown setting names, bad values, and references that do not hold (checked on the pool
    with the good settings applied, for the fields not already named)."""
    problems = [
        FieldProblem(name, f"is not a pool setting ({', '.join(sorted(_SETTINGS))})")
        for name in sorted(set(settings) - _SETTINGS)
    ]
    given = {name: value for name, value in settings.items() if name in _SETTINGS}
    named: set[str] = set()
    candidate: Pool | None = None
    while candidate is None:
        try:
            candidate = attrs.evolve(old, version=old.version + 1, **given)  # type: ignore[arg-type]
        except ValidationError as e:
            problems.extend(p for p in e.problems if p.field not in named)
            named.update(p.field for p in e.problems)
            good = {name: value for name, value in given.items() if name not in named}
            if len(good) == len(given):
                break  # no bad setting left to leave out: no pool to check the references on
            given = good
    if candidate is not None:
        problems.extend(
            p for p in pool_reference_problems(setup, candidate) if p.field not in named
        )
    if problems or candidate is None:
        raise ValidationError(problems, subject=f"pool {old.id!r}")
    return candidate
