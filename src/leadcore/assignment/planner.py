"""Batch distribution: choose an owner for every lead of an imported batch in one pass.

Each choice is applied to an in-memory view of the loads and strategy state before the next
lead is considered, so a batch is as fair as the same leads assigned one at a time. The plan
is pure: the caller (the desk) assigns the leads and writes ``plan.state_updates`` in one unit
of work. A lead is planned at most once: leads that already have an owner, or that appear twice
in the batch, get a declining choice saying so, so re-running a distribution assigns nothing
twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.jsonvalue import JSONValue
from leadcore.model import Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy.quotas import QuotaUse
from leadcore.records import Away
from leadcore.signatures import checked_constructor

from .choice import Choice
from .context import AssignmentContext, MemoryContext, TrackRecord
from .core import Needs, Strategy, checked_strategy, chosen, needed

__all__ = ["DistributionPlan", "PlanningContext", "distribution_needs", "plan_distribution"]

_MISSING = object()


class PlanningContext:
    """An :class:`AssignmentContext` over another one that applies choices in memory.

    Loads, users, away periods and members are read from the base context once and cached;
    :meth:`apply` adds a choice's lead to its owner's load and overlays its state updates.
    Nothing is written to the base context."""

    def __init__(self, base: AssignmentContext) -> None:
        self.base = base
        self.loads: dict[str, int] = {}
        self.overlay: dict[str, JSONValue] = {}
        self.received: dict[tuple[str, str], int] = {}
        self._quota_pools: dict[str, bool] = {}
        self._users: dict[str, User | None] = {}
        self._away: dict[str, Away | None] = {}
        self._members: dict[str, tuple[str, ...]] = {}

    @property
    def now(self) -> datetime:
        """The base context's instant."""
        return self.base.now

    @property
    def rng(self) -> random.Random:
        """The base context's random source."""
        return self.base.rng

    def user(self, user_id: str) -> User | None:
        """See ``AssignmentContext.user`` (cached)."""
        found = self._users.get(user_id, _MISSING)
        if found is _MISSING:
            found = self._users[user_id] = self.base.user(user_id)
        assert found is None or isinstance(found, User)
        return found

    def open_count(self, user_id: str) -> int:
        """The base load plus the leads planned for the user so far."""
        load = self.loads.get(user_id)
        if load is None:
            load = self.loads[user_id] = self.base.open_count(user_id)
        return load

    def state(self, key: str) -> JSONValue:
        """The planned state if a choice updated ``key``, else the base state."""
        if key in self.overlay:
            return self.overlay[key]
        return self.base.state(key)

    def pool(self, pool_id: str) -> Pool | None:
        """See ``AssignmentContext.pool``."""
        return self.base.pool(pool_id)

    def members(self, pool_id: str) -> tuple[str, ...]:
        """See ``AssignmentContext.members`` (cached)."""
        found = self._members.get(pool_id)
        if found is None:
            found = self._members[pool_id] = self.base.members(pool_id)
        return found

    def away(self, user_id: str) -> Away | None:
        """See ``AssignmentContext.away`` (cached)."""
        if user_id not in self._away:
            self._away[user_id] = self.base.away(user_id)
        return self._away[user_id]

    def track_record(self, user_id: str, field: str, value: str) -> TrackRecord:
        """See ``AssignmentContext.track_record``."""
        return self.base.track_record(user_id, field, value)

    def quota(self, user_id: str, pool_id: str) -> tuple[QuotaUse, ...]:
        """The base standing plus the leads of the pool planned for the user so far."""
        uses = self.base.quota(user_id, pool_id)
        planned = self.received.get((user_id, pool_id), 0)
        return tuple(use.plus(planned) for use in uses) if planned and uses else uses

    def apply(self, choice: Choice, pool_id: str | None = None) -> None:
        """Record ``choice``: overlay its state updates, count its lead to its owner (and,
        given the lead's ``pool_id``, toward their quotas there)."""
        self.overlay.update(choice.state_updates)
        owner = choice.owner_id
        if owner is not None:
            self.loads[owner] = self.open_count(owner) + 1
            counted = self._quota_pools.get(pool_id) if pool_id is not None else False
            if counted is None and pool_id is not None:
                counted = self._has_quotas(pool_id)
            if counted and pool_id is not None:
                self.received[owner, pool_id] = self.received.get((owner, pool_id), 0) + 1

    def _has_quotas(self, pool_id: str) -> bool:
        """Whether the pool names a quota policy (known once per pool)."""
        found = self._quota_pools.get(pool_id)
        if found is None:
            pool = self.base.pool(pool_id)
            found = self._quota_pools[pool_id] = pool is not None and pool.quota_policy is not None
        return found


@checked_constructor
@attrs.frozen(slots=True)
class DistributionPlan:
    """One choice per lead of a batch, in batch order, and the state to write afterwards.

    ``state_updates`` is every choice's updates merged in order (the last write of a key wins):
    write them once, in the unit of work that assigns the leads."""

    lead_ids: tuple[str, ...]
    choices: tuple[Choice, ...]
    state_updates: Mapping[str, JSONValue]

    def __iter__(self) -> Iterator[Choice]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def owners(self) -> dict[str, str]:
        """Lead id → chosen owner, for the leads that got one."""
        return {
            lead_id: c.owner_id
            for lead_id, c in zip(self.lead_ids, self.choices, strict=True)
            if c.owner_id is not None
        }

    def counts(self) -> dict[str, int]:
        """How many leads of the batch each chosen owner gets."""
        counts: dict[str, int] = {}
        for choice in self.choices:
            if choice.owner_id is not None:
                counts[choice.owner_id] = counts.get(choice.owner_id, 0) + 1
        return counts


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def _check_plan(leads: object, strategy: object, ctx: object) -> None:
    """Refuse a batch that is not a collection, a strategy that is not one (a name is the
    desk's to look up) and a context that is not an ``AssignmentContext``."""
    if isinstance(leads, str | bytes | Mapping) or not isinstance(leads, Iterable):
        raise _invalid("leads", f"must be a collection of Lead, not {type(leads).__name__}")
    problems = checked_strategy(strategy, "strategy")
    if problems:
        raise ValidationError(problems)
    if not isinstance(ctx, PlanningContext | MemoryContext) and not isinstance(
        ctx, AssignmentContext
    ):
        raise _invalid("ctx", f"must be an AssignmentContext, not {type(ctx).__name__}")


def plan_distribution(
    leads: Iterable[Lead], strategy: Strategy, ctx: AssignmentContext
) -> DistributionPlan:
    """Choose an owner for each lead with ``strategy``, as if assigned one after another.

    Only unassigned leads are planned; a lead already owned, or seen earlier in the batch, gets
    a declining choice naming why. ``ctx`` is read, never written (see :class:`PlanningContext`);
    pass a ``PlanningContext`` to plan several batches as one (its choices accumulate).
    """
    _check_plan(leads, strategy, ctx)
    planning = ctx if isinstance(ctx, PlanningContext) else PlanningContext(ctx)
    seen: set[str] = set()
    lead_ids: list[str] = []
    choices: list[Choice] = []
    for index, lead in enumerate(leads):
        if not isinstance(lead, Lead):
            raise _invalid(f"leads[{index}]", f"must be a Lead, not {type(lead).__name__}")
        lead_ids.append(lead.id)
        if lead.id in seen:
            choice = Choice(
                None,
                f"lead {lead.id} appears earlier in this batch; it is assigned once",
                strategy=strategy.name,
            )
        elif lead.owner_id is not None:
            choice = Choice(
                None,
                f"lead {lead.id} is already owned by {lead.owner_id}; not assigned again",
                strategy=strategy.name,
            )
        elif lead.status is not LeadStatus.UNASSIGNED:
            choice = Choice(
                None,
                f"lead {lead.id} is {lead.status.value}; only unassigned leads are distributed",
                strategy=strategy.name,
            )
        else:
            choice = chosen(strategy, lead, planning)
            planning.apply(choice, lead.pool_id)
        seen.add(lead.id)
        choices.append(choice)
    return DistributionPlan(tuple(lead_ids), tuple(choices), dict(planning.overlay))


def distribution_needs(
    leads: Iterable[Lead], strategy: Strategy, pools: Mapping[str, Pool]
) -> Needs:
    """Everything :func:`plan_distribution` will read for these leads: the union of the
    strategy's needs for each unassigned one (``pools`` by id)."""
    found = Needs()
    for lead in leads:
        if lead.status is LeadStatus.UNASSIGNED and lead.owner_id is None:
            found = found | needed(strategy, lead, pools.get(lead.pool_id))
    return found
