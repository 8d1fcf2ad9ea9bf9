"""The domain model: leads, pools, follow-ups and the vocabulary around them.

Everything here is a plain, immutable attrs value. A change makes a new version with
``attrs.evolve``; the store numbers versions. Ids are strings made by an injected id factory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final

import attrs

from leadcore.checks import aware, text_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.export import FOLLOW_UP_COLUMNS, LEAD_COLUMNS, Labels, Record, lead_repr
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.money import Money
from leadcore.vocabulary import (
    DEFAULT_SALES_STAGES,
    OPEN_STATUSES,
    READ_ONLY_STATUSES,
    Action,
    AttachmentKind,
    CompanySize,
    Emotion,
    FollowUpMethod,
    LeadStatus,
    Priority,
    SourceChannel,
)

__all__ = [
    "DEFAULT_SALES_STAGES",
    "OPEN_STATUSES",
    "READ_ONLY_STATUSES",
    "Action",
    "Attachment",
    "AttachmentKind",
    "CompanySize",
    "ConversionGate",
    "CustomValue",
    "Emotion",
    "FollowUp",
    "FollowUpMethod",
    "IdCollection",
    "Lead",
    "LeadStatus",
    "Money",
    "Pool",
    "Priority",
    "SourceChannel",
]


CustomValue = str | int | Decimal | bool | date | tuple[str, ...]
"""The value types a host-declared custom field can hold (see ``leadcore.custom_fields``)."""

EMPTY_CUSTOM: Final[Mapping[str, CustomValue]] = MappingProxyType({})


def _freeze_custom(values: Mapping[str, CustomValue]) -> Mapping[str, CustomValue]:
    return frozen_mapping(values)


EMPTY_ROLES: Final[Mapping[str, str]] = MappingProxyType({})


def _freeze_roles(values: Mapping[str, str]) -> Mapping[str, str]:
    return frozen_mapping(values)


IdCollection = frozenset[str] | set[str] | list[str] | tuple[str, ...]
"""Several ids: a set, list or tuple (never one string)."""


def _frozen_ids(values: IdCollection) -> frozenset[str]:
    if isinstance(values, frozenset | str | bytes) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value,unused-ignore]  # _ids_only refuses, by name
    return frozenset(values)


def _ids_only(_: object, attribute: attrs.Attribute[frozenset[str]], value: object) -> None:
    """Refuse anything but a set of non-blank string ids, naming the field."""
    if not isinstance(value, frozenset) or not all(isinstance(v, str) and v.strip() for v in value):
        shown = f"the string {value!r}" if isinstance(value, str) else repr(value)
        raise ValidationError(
            [
                FieldProblem(
                    attribute.name, f'must be a collection of ids like ["u1", "u2"], not {shown}'
                )
            ]
        )


@attrs.frozen(slots=True)
class Lead:
    """A prospect not yet verified (线索), with its owner, status and timestamps.

    ``version`` is the number the store gave this version (0 before it is first stored).
    Time-keeping: ``stage_changed_at`` is when the sales stage last changed, ``first_followed_at``
    when the lead was first followed up (its response time), ``protected_until`` when an
    admin's protection from recycling ends, and ``sla_steps`` the reminder, warning and
    escalation steps already emitted in the SLA period that began at ``sla_period``.
    ``probability`` is the learned grade's conversion probability (kept by a desk with a
    predictor: strictly between 0 and 1 while pending, 1 converted, 0 lost or invalid).
    ``collaborator_roles`` gives some collaborators a named role with its own rights (e.g.
    ``"marketing_owner"`` for a 市场 co-owner beside the 销售 owner); plain collaborators have none.
    Invariants: an unassigned lead has no owner; an assigned or following lead has one; a merged
    lead names the lead it was merged into; a converted lead names its customer.
    """

    id: str
    pool_id: str
    created_by: str
    created_at: datetime
    contact_name: str = ""
    company: str = ""
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    source: str | None = None
    industry: str | None = None
    region: str | None = None
    company_size: CompanySize | None = None
    budget: Money | None = None
    decision_maker_title: str | None = None
    custom_fields: Mapping[str, CustomValue] = attrs.field(
        default=EMPTY_CUSTOM, converter=_freeze_custom
    )
    status: LeadStatus = LeadStatus.UNASSIGNED
    owner_id: str | None = None
    department_id: str | None = None
    collaborators: frozenset[str] = attrs.field(
        default=frozenset(), converter=_frozen_ids, validator=_ids_only
    )
    collaborator_roles: Mapping[str, str] = attrs.field(
        default=EMPTY_ROLES, converter=_freeze_roles
    )
    followers: frozenset[str] = attrs.field(
        default=frozenset(), converter=_frozen_ids, validator=_ids_only
    )
    stage: str | None = None
    score: float | None = None
    grade: str | None = None
    probability: float | None = None
    mql_at: datetime | None = None
    sql_at: datetime | None = None
    assigned_at: datetime | None = None
    last_followed_at: datetime | None = None
    next_due_at: datetime | None = None
    updated_at: datetime | None = None
    lost_reason: str | None = None
    invalid_reason: str | None = None
    merged_into: str | None = None
    converted_customer_id: str | None = None
    stage_changed_at: datetime | None = None
    first_followed_at: datetime | None = None
    protected_until: datetime | None = None
    sla_period: datetime | None = None
    sla_steps: tuple[str, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = []
        if self.status is LeadStatus.UNASSIGNED and self.owner_id is not None:
            problems.append(FieldProblem("owner_id", "an unassigned lead has no owner"))
        elif self.status in OPEN_STATUSES and self.owner_id is None:
            problems.append(
                FieldProblem("owner_id", f"a lead in status {self.status.value!r} needs an owner")
            )
        if (self.status is LeadStatus.MERGED) != (self.merged_into is not None):
            problems.append(
                FieldProblem("merged_into", "is set exactly when the status is 'merged'")
            )
        if self.merged_into is not None and self.merged_into == self.id:
            problems.append(FieldProblem("merged_into", "a lead cannot be merged into itself"))
        stray = set(self.collaborator_roles) - self.collaborators
        if stray:
            problems.append(
                FieldProblem("collaborator_roles", f"names non-collaborators: {sorted(stray)}")
            )
        p = self.probability
        if p is not None and (
            isinstance(p, bool) or not isinstance(p, float | int) or not 0 <= p <= 1
        ):
            problems.append(FieldProblem("probability", f"must be from 0 to 1 or None, not {p!r}"))
        if self.status is LeadStatus.CONVERTED and self.converted_customer_id is None:
            problems.append(
                FieldProblem("converted_customer_id", "a converted lead names its customer")
            )
        if problems:
            raise ValidationError(problems, subject=f"lead {self.id!r}")

    @property
    def is_open(self) -> bool:
        """True while an owner holds the lead (assigned or following)."""
        return self.status in OPEN_STATUSES

    @property
    def is_read_only(self) -> bool:
        """True for converted and merged leads, which may only be viewed."""
        return self.status in READ_ONLY_STATUSES

    def to_record(self, labels: Labels | None = None) -> Record:
        """The lead as one plain, JSON-ready ``dict`` (keys: ``leadcore.export.LEAD_COLUMNS``)."""
        return LEAD_COLUMNS.record(self, labels)

    def __repr__(self) -> str:
        return lead_repr(self)


def _text_tuple(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(values, tuple | str | bytes) or not isinstance(values, Iterable):
        return values  # type: ignore[return-value,unused-ignore]  # _texts_only refuses, by name
    return tuple(values)


def _texts_only(_: object, attribute: attrs.Attribute[tuple[str, ...]], value: object) -> None:
    """Refuse anything but a tuple of non-blank one-line texts, naming the field."""
    if not isinstance(value, tuple) or not all(
        isinstance(v, str) and v.strip() and not text_problem(v) for v in value
    ):
        raise ValidationError(
            [
                FieldProblem(
                    attribute.name, f'must be a list of texts like ["a", "b"], not {value!r}'
                )
            ]
        )


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
            return value  # _pool_problems refuses it, by name
    return value


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
    """

    id: str
    name: str
    enabled: bool = True
    admins: frozenset[str] = attrs.field(
        default=frozenset(), converter=_frozen_ids, validator=_ids_only
    )
    members: frozenset[str] = attrs.field(
        default=frozenset(), converter=_frozen_ids, validator=_ids_only
    )
    default_owner_id: str | None = None
    auto_assign: str | None = None
    reminder_hours: float | None = None
    recycle_hours: float | None = None
    claim_enabled: bool = False
    max_open_per_user: int | None = None
    max_claims_per_day: int | None = None
    claim_cooldown_hours: float | None = None
    allowed_sources: tuple[str, ...] = attrs.field(
        default=(), converter=_text_tuple, validator=_texts_only
    )
    free_create: bool = True
    sales_stages: tuple[str, ...] = attrs.field(
        default=DEFAULT_SALES_STAGES, converter=_text_tuple, validator=_texts_only
    )
    conversion_gate: ConversionGate = attrs.field(default=ConversionGate.ANY, converter=_gate)
    reopen_hours: float | None = None
    recycle_warning_hours: float | None = None
    claim_lock_hours: float | None = None
    max_opens_per_day: int | None = None
    sla_policy: str | None = None
    quota_policy: str | None = None
    conditions: tuple[str, ...] = attrs.field(
        default=(), converter=_text_tuple, validator=_texts_only
    )
    due_date_field: str | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = _pool_problems(self)
        if problems:
            raise ValidationError(problems, subject=f"pool {self.id!r}")

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
_MAX_HOURS: Final = 24 * 366 * 10


def _pool_problems(pool: Pool) -> list[FieldProblem]:
    """Every problem with a pool's settings: types first (a switch is a bool, a cap a whole
    number), then ranges."""
    problems = []
    for field in ("id", "name"):
        value = getattr(pool, field)
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(field, "must be non-blank text"))
        elif text_problem(value):
            problems.append(FieldProblem(field, str(text_problem(value))))
    for field in _POOL_SWITCHES:
        if not isinstance(getattr(pool, field), bool):
            problems.append(
                FieldProblem(field, f"must be True or False, not {getattr(pool, field)!r}")
            )
    for field in _POOL_HOURS:
        hours = getattr(pool, field)
        if hours is None:
            continue
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            problems.append(FieldProblem(field, f"must be a number of hours, not {hours!r}"))
        elif not 0 < hours <= _MAX_HOURS:
            problems.append(
                FieldProblem(
                    field, f"must be more than 0 and at most {_MAX_HOURS} hours, not {hours}"
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
    if isinstance(warn, int | float) and not isinstance(warn, bool) and warn > 0:
        if not isinstance(recycle, int | float) or isinstance(recycle, bool):
            problems.append(FieldProblem("recycle_warning_hours", "needs recycle_hours set"))
        elif 0 < recycle <= _MAX_HOURS and warn >= recycle:
            problems.append(
                FieldProblem(
                    "recycle_warning_hours",
                    f"must be less than recycle_hours ({recycle:g}), not {warn:g}",
                )
            )
    for field in (
        "default_owner_id",
        "auto_assign",
        "sla_policy",
        "quota_policy",
        "due_date_field",
    ):
        value = getattr(pool, field)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(FieldProblem(field, "must be a non-blank id or None"))
    if not isinstance(pool.conversion_gate, ConversionGate):
        problems.append(
            FieldProblem("conversion_gate", f"must be one of: {ConversionGate.choices()}")
        )
    if len(set(pool.sales_stages)) != len(pool.sales_stages):
        problems.append(FieldProblem("sales_stages", "must not repeat a stage"))
    if len(set(pool.conditions)) != len(pool.conditions):
        problems.append(FieldProblem("conditions", "must not name a condition twice"))
    return problems


@attrs.frozen(slots=True)
class Attachment:
    """A reference to a file the host stores: a call recording, a document or an image."""

    kind: AttachmentKind
    ref: str
    name: str | None = None


def _utc(record: object, field: str, problems: list[FieldProblem]) -> datetime | None:
    """``record.<field>`` (an aware datetime, or None) set to UTC in place; a problem if bad."""
    value = getattr(record, field)
    if value is None and field != "at":
        return None
    try:
        instant = aware(value, field)
    except ValidationError as e:
        problems.extend(e.problems)
        return None
    if instant is not value:
        object.__setattr__(record, field, instant)
    return instant


@attrs.frozen(slots=True)
class FollowUp:
    """One contact with the prospect (跟进记录).

    Required: ``content``, ``method`` and ``result``. ``owner_id`` is whose record it is (归属);
    it starts as the author and may move to a new owner when the lead changes hands.
    """

    id: str
    lead_id: str
    author_id: str
    at: datetime
    method: FollowUpMethod
    content: str
    result: str
    owner_id: str | None = None
    duration: timedelta | None = None
    customer_needs: str | None = None
    next_step: str | None = None
    next_follow_up_at: datetime | None = None
    emotion: Emotion | None = None
    priority: Priority | None = None
    attachments: tuple[Attachment, ...] = ()
    mentions: frozenset[str] = attrs.field(
        default=frozenset(), converter=_frozen_ids, validator=_ids_only
    )
    stage: str | None = None

    def __attrs_post_init__(self) -> None:
        """Refuse a record that could not have happened, naming each bad field; ``at`` and
        ``next_follow_up_at`` are kept in UTC."""
        problems: list[FieldProblem] = []
        for field in ("content", "result"):
            value = getattr(self, field)
            if not isinstance(value, str):
                problems.append(FieldProblem(field, f"must be text, not {type(value).__name__}"))
            elif not value.strip():
                problems.append(FieldProblem(field, "is required and must not be blank"))
        if not isinstance(self.method, FollowUpMethod):
            choices = ", ".join(m.value for m in FollowUpMethod)
            problems.append(FieldProblem("method", f"must be one of: {choices}"))
        if self.duration is not None and not isinstance(self.duration, timedelta):
            problems.append(
                FieldProblem("duration", f"must be a timedelta, not {type(self.duration).__name__}")
            )
        elif self.duration is not None and self.duration < timedelta(0):
            problems.append(FieldProblem("duration", "must not be negative"))
        at = _utc(self, "at", problems)
        due = _utc(self, "next_follow_up_at", problems)
        if at is not None and due is not None and due < at:
            problems.append(
                FieldProblem("next_follow_up_at", "must not be before the follow-up itself")
            )
        if problems:
            raise ValidationError(problems, subject="follow-up")
        if self.owner_id is None:
            object.__setattr__(self, "owner_id", self.author_id)

    def to_record(self, labels: Labels | None = None) -> Record:
        """The follow-up as one plain, JSON-ready ``dict`` (keys:
        ``leadcore.export.FOLLOW_UP_COLUMNS``)."""
        return FOLLOW_UP_COLUMNS.record(self, labels)
