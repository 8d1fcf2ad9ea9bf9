"""Pools that keep time (时效管理): recycle rules, the escalation ladder, SLA periods and the
time left — pure functions of plain attrs values, a lead and an instant. No store, no desk.

* :class:`SlaPolicy` — a pool's clock (wall or business hours), escalation ``ladder``
  (:class:`LadderStep`), recycle ``rules`` (:class:`RecycleRule` over :class:`Elapsed`,
  :class:`FieldIn`, :class:`AllOf`, :class:`AnyOf`) and follow-up ``cadence``; from TOML, JSON
  or plain data. :func:`effective_policy` adds the pool's own ``reminder_hours`` and
  ``recycle_hours`` as the simplest step and rule (:class:`PoolSla`).
* :func:`schedule`, :func:`due_now`, :func:`next_check` — every step of a lead's SLA period and
  when it comes due (:class:`Due`); what the sweep emits; the key of the due-time index.
* :func:`time_left` → :class:`TimeLeft` (剩余时间); :func:`response_time`.

Modules: ``conditions`` · ``policy`` · ``timing`` · ``loading`` (cattrs hooks).
"""

from leadcore.sla import loading as _loading
from leadcore.sla.conditions import (
    ALWAYS,
    FIELDS,
    AllOf,
    AnyOf,
    Condition,
    Elapsed,
    FieldIn,
    Since,
    anchor,
    period_start,
    read_condition,
)
from leadcore.sla.policy import (
    POOL_RECYCLE,
    POOL_REMINDER,
    Audience,
    LadderStep,
    PoolSla,
    RecycleRule,
    SlaPolicy,
    StepAction,
    effective_policy,
)
from leadcore.sla.timing import (
    Due,
    StepKind,
    TimeLeft,
    due_now,
    exempt_until,
    next_check,
    recipients,
    response_time,
    schedule,
    time_left,
)

del _loading

__all__ = [
    "ALWAYS",
    "FIELDS",
    "POOL_RECYCLE",
    "POOL_REMINDER",
    "AllOf",
    "AnyOf",
    "Audience",
    "Condition",
    "Due",
    "Elapsed",
    "FieldIn",
    "LadderStep",
    "PoolSla",
    "RecycleRule",
    "Since",
    "SlaPolicy",
    "StepAction",
    "StepKind",
    "TimeLeft",
    "anchor",
    "due_now",
    "effective_policy",
    "exempt_until",
    "next_check",
    "period_start",
    "read_condition",
    "recipients",
    "response_time",
    "schedule",
    "time_left",
]
