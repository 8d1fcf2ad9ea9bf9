"""Follow-up time rules (跟进节奏与时效): working calendars, business-hour SLA clocks, cadences
and weekly schedules — pure functions of plain attrs values and the instants handed in. No
store, no wall clock; datetimes are timezone-aware and results are in UTC.

* :class:`WorkingCalendar` — weekly working hours in a time zone, holidays, make-up working
  days (调休); ``is_working_time`` / ``next_working_time``.
* :func:`add_business_hours`, :func:`business_hours_between` — deadlines and elapsed time in
  working hours, right across clock changes, in bounded work.
* :class:`ClockKind`, :class:`SlaClock`, :func:`deadline`, :func:`elapsed` — a pool's choice of
  wall-clock or business-hour SLA.
* :class:`Cadence` (RFC 5545 RRULE or a fixed :class:`Every` gap) and :class:`CadencePlan`
  (by stage, then grade, then method, then default) → :class:`DueDate`.
* :class:`Window`, :class:`Schedule` — weekly opening windows (past midnight too): ``is_open``,
  ``why_closed``, ``next_open``.
* :class:`Weekday`, :class:`Span` — the vocabulary.

Everything loads from plain data, JSON or TOML (``from_dict`` / ``from_json`` / ``from_toml``, or
``leadcore.config.structure``); bad config is a ``ConfigError`` naming the path, a bad argument a
``ValidationError`` naming it.

Modules: ``days`` (weekdays) · ``spans`` (times of day) · ``zones`` (time zones, clock changes) ·
``calendar`` (working calendars) · ``business`` (business-hour arithmetic) · ``sla`` (SLA
clocks) · ``rrules`` (recurrence rules) · ``cadences`` · ``plan`` · ``schedule`` · ``loading``
(cattrs hooks) · ``examples`` (the house cadences and calendar as data).
"""

from leadcore.cadence import loading as _loading
from leadcore.cadence._check import HORIZON_YEARS, MAX_HOURS
from leadcore.cadence.business import add_business_hours, business_hours_between
from leadcore.cadence.cadences import Cadence, Every
from leadcore.cadence.calendar import WorkingCalendar
from leadcore.cadence.days import Weekday
from leadcore.cadence.plan import CadencePlan, CadenceSource, DueDate
from leadcore.cadence.schedule import Schedule, Window
from leadcore.cadence.sla import ClockKind, SlaClock, deadline, elapsed
from leadcore.cadence.spans import Span

del _loading

__all__ = [
    "HORIZON_YEARS",
    "MAX_HOURS",
    "Cadence",
    "CadencePlan",
    "CadenceSource",
    "ClockKind",
    "DueDate",
    "Every",
    "Schedule",
    "SlaClock",
    "Span",
    "Weekday",
    "Window",
    "WorkingCalendar",
    "add_business_hours",
    "business_hours_between",
    "deadline",
    "elapsed",
]
