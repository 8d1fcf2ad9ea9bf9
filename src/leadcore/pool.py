"""Lead pools (线索池) and their settings: one immutable value per pool, checked whole when it
is made (every problem at once), so a pool a store holds is one every call can reach.
"""

from __future__ import annotations

from typing import Final

import attrs

from leadcore.checks import MAX_TEXT, id_problem, shown, text_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.signatures import checked_constructor
from leadcore.values import frozen_ids, ids_problem, text_tuple, texts_problem
from leadcore.vocabulary import DEFAULT_SALES_STAGES

__all__ = ["MAX_POOL_HOURS", "ConversionGate", "Pool", "pool_problems"]


class ConversionGate(LabelledEnum):
    """Which leads of a pool may be converted: any, only ready ones (3 of the 5 readiness
    signals), or only those sales accepted (SQL)."""

    ANY = "any", "不限", "Any lead"
    READY = "ready", "满足转化条件", "Ready leads only"
    SQL = "sql", "销售认可线索", "Sales-accepted (SQL) leads only"


def _gate(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, ConversionGate):
        try:
            return ConversionGate.parse(value)
        except ValueError:
            return value  # pool_problems refuses it, by name
    return value


def _hours(value: float | None) -> float | None:
    """Hours as a float, so every store and every path hand back the same type: a whole
    number becomes the same float; anything else is left for ``pool_problems`` to refuse."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return value  # too large for a float: pool_problems refuses it by its range
    return value


@checked_constructor
@attrs.frozen(slots=True)
class Pool:
    """A lead pool (线索池) and all its settings.

    ``enabled`` off: a new lead's owner is its creator. On: the default owner if set, else the
    auto-assign strategy's choice if set, else nobody (unassigned) until a pool admin assigns it.
    ``members`` empty means every user is a member. ``allowed_sources`` empty allows any source.
    Claiming (抢单), when ``claim_enabled``: a member may hold at most ``max_open_per_user`` open
    leads, claim at most ``max_claims_per_day`` a day, and not re-claim a lead they released
    within ``claim_cooldown_hours``. ``reminder_hours`` (超时提醒) and ``recycle_hours`` (自动回收)
    count from hand-out (or the last follow-up) while a lead is not followed up, and
    ``recycle_warning_hours`` warns that many hours before the recycle. ``auto_assign`` names a
    strategy; ``sla_policy`` names the desk's SLA policy (recycle rules, escalation ladder,
    clock, cadences). ``claim_lock_hours`` keeps members from claiming a lead for that long
    after it arrives in the pool (新线索保护期); ``max_opens_per_day`` caps how many of the
    pool's waiting leads a member may open in detail a day (anti-scraping).
    ``conversion_gate`` says which leads may be converted; a pool admin may reopen a lead
    converted by mistake within ``reopen_hours`` of its conversion (any time when None).
    ``quota_policy`` names the desk's quota policy (leads a member may receive per day, week or
    month); ``conditions`` name the desk's conditions re-evaluated on every later change of a
    lead (return it to the pool, close it); ``due_date_field`` names a date field (a lead
    field such as ``mql_at`` or ``custom.<name>``) the next follow-up due date is taken from.
    Hours are kept as floats (a whole number given becomes the same float). The id follows the
    rule of every call's ``pool_id``: one line, no surrounding spaces or invisible format
    characters, at most 200 characters; the name is one line of at most 200 characters.
    ``sales_stages``, ``allowed_sources`` and ``conditions`` are lists (never a set or a
    mapping) whose items follow the rule of a lead's text fields: one line, at most 200
    characters, no surrounding spaces. Every bad setting is named in one ``ValidationError``.
    """

    id: str
    name: str
    enabled: bool = True
    admins: frozenset[str] = attrs.field(default=frozenset(), converter=frozen_ids)
    members: frozenset[str] = attrs.field(default=frozenset(), converter=frozen_ids)
    default_owner_id: str | None = None
    auto_assign: str | None = None
    reminder_hours: float | None = attrs.field(default=None, converter=_hours)
    recycle_hours: float | None = attrs.field(default=None, converter=_hours)
    claim_enabled: bool = False
    max_open_per_user: int | None = None
    max_claims_per_day: int | None = None
    claim_cooldown_hours: float | None = attrs.field(default=None, converter=_hours)
    allowed_sources: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    free_create: bool = True
    sales_stages: tuple[str, ...] = attrs.field(default=DEFAULT_SALES_STAGES, converter=text_tuple)
    conversion_gate: ConversionGate = attrs.field(default=ConversionGate.ANY, converter=_gate)
    reopen_hours: float | None = attrs.field(default=None, converter=_hours)
    recycle_warning_hours: float | None = attrs.field(default=None, converter=_hours)
    claim_lock_hours: float | None = attrs.field(default=None, converter=_hours)
    max_opens_per_day: int | None = None
    sla_policy: str | None = None
    quota_policy: str | None = None
    conditions: tuple[str, ...] = attrs.field(default=(), converter=text_tuple)
    due_date_field: str | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = pool_problems(self)
        if problems:
            raise ValidationError(problems, subject=f"pool {shown(self.id)}")

    def is_member(self, user_id: str) -> bool:
        """Whether the user belongs to the pool (every user does when ``members`` is empty)."""
        return not self.members or user_id in self.members or user_id in self.admins

    def allows_source(self, source: str | None) -> bool:
        """Whether a lead from ``source`` may enter this pool."""
        return not self.allowed_sources or source in self.allowed_sources


_POOL_SWITCHES: Final = ("enabled", "claim_enabled", "free_create")
_POOL_HOURS: Final = (
    "reminder_hours",
    "recycle_hours",
    "claim_cooldown_hours",
    "reopen_hours",
    "recycle_warning_hours",
    "claim_lock_hours",
)
_POOL_CAPS: Final = ("max_open_per_user", "max_claims_per_day", "max_opens_per_day")
_POOL_NAMES: Final = ("default_owner_id", "auto_assign", "sla_policy", "quota_policy")
MAX_POOL_HOURS: Final = 24 * 366 * 10
"""The most hours any of a pool's hours settings may be (ten years)."""


_REPEATS: Final = {
    "sales_stages": "must not repeat a stage",
    "conditions": "must not name a condition twice",
}


def _shown(hours: float) -> str:
    return f"{hours:g}" if isinstance(hours, float) else str(hours)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def pool_problems(pool: Pool) -> list[FieldProblem]:
    """Every problem with a pool's settings, all at once: the id and name, the collections,
    the switches, hours and caps (types, then ranges), the names of the desk's parts."""
    problems = []
    bad_id = id_problem(pool.id)
    if bad_id is not None:
        problems.append(FieldProblem("id", bad_id))
    if not isinstance(pool.name, str) or not pool.name.strip():
        problems.append(FieldProblem("name", "must be non-blank text"))
    elif len(pool.name) > MAX_TEXT:
        problems.append(
            FieldProblem("name", f"must be at most {MAX_TEXT} characters, not {len(pool.name)}")
        )
    elif text_problem(pool.name):
        problems.append(FieldProblem("name", str(text_problem(pool.name))))
    for field in ("admins", "members"):
        found = ids_problem(field, getattr(pool, field))
        if found is not None:
            problems.append(found)
    for field in ("allowed_sources", "sales_stages", "conditions"):
        found = texts_problem(field, getattr(pool, field))
        if found is not None:
            problems.append(found)
        elif field in _REPEATS and len(set(getattr(pool, field))) != len(getattr(pool, field)):
            problems.append(FieldProblem(field, _REPEATS[field]))
    for field in _POOL_SWITCHES:
        if not isinstance(getattr(pool, field), bool):
            problems.append(
                FieldProblem(field, f"must be True or False, not {getattr(pool, field)!r}")
            )
    for field in _POOL_HOURS:
        hours = getattr(pool, field)
        if hours is None:
            continue
        if not _number(hours):
            problems.append(FieldProblem(field, f"must be a number of hours, not {hours!r}"))
        elif not 0 < hours <= MAX_POOL_HOURS:
            problems.append(
                FieldProblem(
                    field,
                    f"must be more than 0 and at most {MAX_POOL_HOURS} hours, not {_shown(hours)}",
                )
            )
    for field in _POOL_CAPS:
        cap = getattr(pool, field)
        if cap is None:
            continue
        if isinstance(cap, bool) or not isinstance(cap, int):
            problems.append(FieldProblem(field, f"must be a whole number or None, not {cap!r}"))
        elif not 1 <= cap <= 1_000_000:
            problems.append(FieldProblem(field, "must be between 1 and 1000000 (or None: no cap)"))
    warn, recycle = pool.recycle_warning_hours, pool.recycle_hours
    if _number(warn) and warn > 0:  # type: ignore[operator]
        if not _number(recycle):
            problems.append(FieldProblem("recycle_warning_hours", "needs recycle_hours set"))
        elif 0 < recycle <= MAX_POOL_HOURS and warn >= recycle:  # type: ignore[operator]
            problems.append(
                FieldProblem(
                    "recycle_warning_hours",
                    f"must be less than recycle_hours ({recycle:g}), not {warn:g}",
                )
            )
    for field in (*_POOL_NAMES, "due_date_field"):
        value = getattr(pool, field)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(FieldProblem(field, "must be a non-blank id or None"))
    if not isinstance(pool.conversion_gate, ConversionGate):
        problems.append(
            FieldProblem("conversion_gate", f"must be one of: {ConversionGate.choices()}")
        )
    return problems
