"""A pool's SLA policy as data: its clock, its escalation ladder, its recycle rules and its
follow-up cadences — and the simplest policy a pool's own ``reminder_hours`` and
``recycle_hours`` make.

A host loads policies from TOML or JSON (``SlaPolicy.from_toml``), gives them to the desk by
name (``LeadDesk(sla_policies={...})``) and a pool names its own in ``Pool.sla_policy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Final

import attrs

from leadcore.cadence import CadencePlan, SlaClock
from leadcore.cadence._check import Problems, fail, member
from leadcore.cadence._reading import Loadable, read_attrs
from leadcore.checks import text_problem
from leadcore.errors import ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Pool
from leadcore.signatures import checked_constructor
from leadcore.sla.conditions import (
    Condition,
    Elapsed,
    Since,
    _hours,
    has_time_limit,
    longest_limit,
    read_condition,
)

__all__ = [
    "POOL_RECYCLE",
    "POOL_REMINDER",
    "Audience",
    "LadderStep",
    "PoolSla",
    "RecycleRule",
    "SlaPolicy",
    "StepAction",
    "effective_policy",
]

POOL_REMINDER: Final = "pool.reminder"
"""The ladder step a pool's ``reminder_hours`` make (超时提醒)."""

POOL_RECYCLE: Final = "pool.recycle"
"""The recycle rule a pool's ``recycle_hours`` make (自动回收)."""


class StepAction(LabelledEnum):
    """What a ladder step or a rule does when it comes due."""

    NOTIFY = "notify", "提醒", "Notify"
    RECYCLE = "recycle", "回收", "Recycle to the pool"
    REASSIGN = "reassign", "重新分配", "Reassign by the pool's strategy"


class Audience(LabelledEnum):
    """Who a reminder, warning or escalation goes to."""

    OWNER = "owner", "负责人", "Owner"
    MANAGER = "manager", "负责人上级", "Owner's manager"
    POOL_ADMINS = "pool_admins", "线索池管理员", "Pool admins"


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or text_problem(value):
        fail("name", f"must be non-blank one-line text, not {value!r}")
    name = value.strip()
    if len(name) > 100:
        fail("name", "must be at most 100 characters")
    return name


def _audience(value: object) -> frozenset[Audience]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail("notify", f'must be a list like ["owner", "manager"], not {value!r}')
    return frozenset(member(Audience, v, "notify", "an audience") for v in value)


def _action(value: object) -> StepAction:
    return member(StepAction, value, "action", "a step action")


def _step_hours(value: object) -> float:
    hours = _hours(value)
    if hours <= 0:
        fail("hours", "must be more than 0")
    return hours


@checked_constructor
@attrs.frozen(slots=True)
class LadderStep:
    """One rung of the escalation ladder: ``hours`` on the pool's clock into the SLA period
    (since the hand-out or the last follow-up), ``notify`` these people, and, unless the
    ``action`` is ``notify``, recycle the lead or reassign it by the pool's strategy."""

    name: str = attrs.field(converter=_name)
    hours: float = attrs.field(converter=_step_hours)
    notify: frozenset[Audience] = attrs.field(
        default=frozenset({Audience.OWNER}), converter=_audience
    )
    action: StepAction = attrs.field(default=StepAction.NOTIFY, converter=_action)

    def describe(self) -> str:
        """``8 h without a follow-up: notify owner``."""
        whom = ", ".join(a.value for a in Audience if a in self.notify) or "nobody"
        done = "" if self.action is StepAction.NOTIFY else f", then {self.action.value}"
        return f"{self.hours:g} h without a follow-up: notify {whom}{done}"


def _when(value: object) -> Condition:
    condition = read_condition(value, "when")
    if not has_time_limit(condition):
        fail("when", "every way the rule can hold needs a time limit ({since, hours})")
    return condition


def _warn(value: object) -> float | None:
    if value is None:
        return None
    hours = _hours(value, "warn_hours")
    if hours <= 0:
        fail("warn_hours", "must be more than 0 (or left out: no warning)")
    return hours


def _rule_action(value: object) -> StepAction:
    action = _action(value)
    if action is StepAction.NOTIFY:
        fail("action", "a recycle rule recycles or reassigns; use a ladder step to notify")
    return action


@checked_constructor
@attrs.frozen(slots=True)
class RecycleRule:
    """Recycle (or reassign) a held lead once ``when`` holds; warn ``notify`` ``warn_hours``
    before (when the rule would hold if every time limit in it were that much shorter; less
    than the rule's longest time limit)."""

    name: str = attrs.field(converter=_name)
    when: Condition = attrs.field(converter=_when)
    warn_hours: float | None = attrs.field(default=None, converter=_warn)
    action: StepAction = attrs.field(default=StepAction.RECYCLE, converter=_rule_action)
    notify: frozenset[Audience] = attrs.field(
        default=frozenset({Audience.OWNER}), converter=_audience
    )

    def __attrs_post_init__(self) -> None:
        limit = longest_limit(self.when)
        if self.warn_hours is not None and limit is not None and self.warn_hours >= limit.hours:
            fail(
                "warn_hours",
                f"must be less than the rule's time limit ({limit.describe()}), "
                f"not {self.warn_hours:g}: a warning comes before the rule acts",
            )

    def describe(self) -> str:
        """``72 h since the last follow-up and grade in C, D``."""
        return self.when.describe()


def _read_list(value: object, field: str, cls: type[Any], what: str) -> tuple[Any, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail(field, f"must be a list of {what}s")
    problems = Problems("SLA policy")
    found = []
    for i, item in enumerate(value):
        try:
            found.append(read_attrs(cls, item, f"{field}[{i}]", what=what))
        except ValidationError as e:
            problems.found.extend(e.problems)
    problems.raise_if_any()
    return tuple(found)


def _ladder(value: object) -> tuple[LadderStep, ...]:
    return _read_list(value, "ladder", LadderStep, "ladder step")


def _rules(value: object) -> tuple[RecycleRule, ...]:
    return _read_list(value, "rules", RecycleRule, "recycle rule")


def _clock(value: object) -> SlaClock:
    return read_attrs(SlaClock, value, "clock", what="SLA clock")


def _cadence(value: object) -> CadencePlan | None:
    if value is None:
        return None
    return read_attrs(CadencePlan, value, "cadence", what="cadence plan")


def _switch(value: object) -> bool:
    if not isinstance(value, bool):
        fail("pool_hours", f"must be true or false, not {value!r}")
    return value


@checked_constructor
@attrs.frozen(slots=True)
class SlaPolicy(Loadable):
    """How a pool keeps time: the ``clock`` its hours run on (wall or business hours), the
    escalation ``ladder``, the ``rules`` that recycle or reassign held leads, and the
    ``cadence`` plan that sets the next due date after a follow-up. With ``pool_hours`` (the
    default) the pool's ``reminder_hours`` and ``recycle_hours`` add their rules too.

    Step and rule names are unique, and ``pool.`` is kept for the pool's own."""

    clock: SlaClock = attrs.field(factory=SlaClock, converter=_clock)
    ladder: tuple[LadderStep, ...] = attrs.field(default=(), converter=_ladder)
    rules: tuple[RecycleRule, ...] = attrs.field(default=(), converter=_rules)
    cadence: CadencePlan | None = attrs.field(default=None, converter=_cadence)
    pool_hours: bool = attrs.field(default=True, converter=_switch)

    def __attrs_post_init__(self) -> None:
        problems = Problems("SLA policy")
        seen: set[str] = set()
        named = [(f"ladder[{i}]", s.name) for i, s in enumerate(self.ladder)]
        named += [(f"rules[{i}]", r.name) for i, r in enumerate(self.rules)]
        for path, name in named:
            if name.startswith("pool."):
                problems.add(f"{path}.name", "must not start with 'pool.' (the pool's own)")
            if name in seen:
                problems.add(f"{path}.name", f"repeats the name {name!r}")
            seen.add(name)
        problems.raise_if_any()

    def describe(self) -> str:
        """The policy in a line: its clock, steps and rules."""
        parts = [self.clock.describe()]
        parts += [f"{s.name}: {s.describe()}" for s in self.ladder]
        parts += [f"{r.name}: {r.action.value} when {r.describe()}" for r in self.rules]
        return "; ".join(parts)


@attrs.frozen(slots=True)
class PoolSla:
    """What a pool's time-keeping runs on: its policy's clock, ladder, rules and cadences with
    the pool's own hours added (see :func:`effective_policy`)."""

    clock: SlaClock
    ladder: tuple[LadderStep, ...]
    rules: tuple[RecycleRule, ...]
    cadence: CadencePlan | None = None

    @property
    def active(self) -> bool:
        """Whether there is anything to keep time for."""
        return bool(self.ladder or self.rules)


def effective_policy(pool: Pool, policy: SlaPolicy | None = None) -> PoolSla:
    """The time-keeping ``pool`` runs on: ``policy`` (default: none) plus, unless it says
    otherwise, the simplest ladder step and rule the pool's own hours make —
    ``reminder_hours`` reminds the owner and the pool admins, ``recycle_hours`` recycles a lead
    not followed up for that long (warning ``recycle_warning_hours`` before)."""
    chosen = _NO_POLICY if policy is None else policy
    if not chosen.pool_hours:
        return PoolSla(chosen.clock, chosen.ladder, chosen.rules, chosen.cadence)
    ladder, rules = _pool_own(pool.reminder_hours, pool.recycle_hours, pool.recycle_warning_hours)
    return PoolSla(chosen.clock, (*ladder, *chosen.ladder), (*rules, *chosen.rules), chosen.cadence)


_NO_POLICY: Final = SlaPolicy()


@lru_cache(maxsize=1024)
def _pool_own(
    reminder: float | None, recycle: float | None, warning: float | None
) -> tuple[tuple[LadderStep, ...], tuple[RecycleRule, ...]]:
    """The ladder step and rule a pool's hours make (built once per set of hours)."""
    ladder: tuple[LadderStep, ...] = ()
    rules: tuple[RecycleRule, ...] = ()
    if reminder is not None:
        ladder = (LadderStep(POOL_REMINDER, reminder, {Audience.OWNER, Audience.POOL_ADMINS}),)
    if recycle is not None:
        rules = (
            RecycleRule(POOL_RECYCLE, Elapsed(Since.FOLLOWED_UP, recycle), warn_hours=warning),
        )
    return ladder, rules
