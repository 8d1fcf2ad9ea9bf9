"""The domain model: leads, follow-ups and the vocabulary around them (pools, kept in
``leadcore.pool``, are re-exported here).

Everything here is a plain, immutable attrs value. A change makes a new version with
``attrs.evolve``; the store numbers versions. Ids are strings made by an injected id factory.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final, TypeVar

import attrs

from leadcore import checks
from leadcore.checks import aware, choice, optional_text, text
from leadcore.errors import FieldProblem, ValidationError
from leadcore.export import FOLLOW_UP_COLUMNS, LEAD_COLUMNS, Labels, Record, lead_repr
from leadcore.frozen import frozen_mapping
from leadcore.money import Money
from leadcore.pool import ConversionGate, Pool
from leadcore.signatures import checked_constructor
from leadcore.values import IdCollection, frozen_ids, ids_only
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

V = TypeVar("V")

EMPTY_CUSTOM: Final[Mapping[str, CustomValue]] = MappingProxyType({})


def _freeze_custom(values: Mapping[str, CustomValue]) -> Mapping[str, CustomValue]:
    return frozen_mapping(_mapping(values, "custom_fields"))


EMPTY_ROLES: Final[Mapping[str, str]] = MappingProxyType({})


def _freeze_roles(values: Mapping[str, str]) -> Mapping[str, str]:
    return frozen_mapping(_mapping(values, "collaborator_roles"))


def _mapping(values: Mapping[str, V], field: str) -> Mapping[str, V]:
    kind = type(values)
    # The common kinds first: an ABC check of a read-only mapping walks the ABC machinery.
    if kind is MappingProxyType or kind is dict or isinstance(values, Mapping):
        return values
    shown = type(values).__name__
    raise ValidationError(
        [FieldProblem(field, f"must be a mapping of names to values, not {shown}")]
    )


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
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
    # Left out of the hash (a read-only mapping has none); equal leads still hash alike.
    custom_fields: Mapping[str, CustomValue] = attrs.field(
        default=EMPTY_CUSTOM, converter=_freeze_custom, hash=False
    )
    status: LeadStatus = LeadStatus.UNASSIGNED
    owner_id: str | None = None
    department_id: str | None = None
    collaborators: frozenset[str] = attrs.field(
        default=frozenset(), converter=frozen_ids, validator=ids_only
    )
    collaborator_roles: Mapping[str, str] = attrs.field(
        default=EMPTY_ROLES, converter=_freeze_roles, hash=False
    )
    followers: frozenset[str] = attrs.field(
        default=frozenset(), converter=frozen_ids, validator=ids_only
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
        if type(self.status) is not LeadStatus:  # the rules below read it as one
            shown = checks.shown(self.status)
            raise ValidationError(
                [FieldProblem("status", f"must be a LeadStatus, not {shown}")],
                subject=f"lead {checks.shown(self.id)}",
            )
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
        stray = self.collaborator_roles and set(self.collaborator_roles) - self.collaborators
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


def _attachment_kind(value: object) -> AttachmentKind:
    return choice(AttachmentKind, value, "kind")


def _attachment_ref(value: object) -> str:
    return text(value, "ref", max_len=_MAX_REF)


def _attachment_name(value: object) -> str | None:
    return optional_text(value, "name")


_MAX_REF: Final = 2_000
"""The longest file reference (a URL, a storage key) an attachment keeps."""


@checked_constructor
@attrs.frozen(slots=True)
class Attachment:
    """A reference to a file the host stores: a call recording, a document or an image.

    ``kind`` is an ``AttachmentKind`` (or its value or label, such as ``"document"``); ``ref``
    is the host's reference to the file (a URL or storage key, at most 2,000 characters); the
    optional ``name`` is what a user sees. A bad one is a ``ValidationError`` naming it."""

    kind: AttachmentKind = attrs.field(converter=_attachment_kind)
    ref: str = attrs.field(converter=_attachment_ref)
    name: str | None = attrs.field(default=None, converter=_attachment_name)


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


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
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
        default=frozenset(), converter=frozen_ids, validator=ids_only
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
        if type(self.attachments) is not tuple or not all(
            isinstance(a, Attachment) for a in self.attachments
        ):
            problems.append(FieldProblem("attachments", "must be a tuple of Attachment"))
        if problems:
            raise ValidationError(problems, subject="follow-up")
        if self.owner_id is None:
            object.__setattr__(self, "owner_id", self.author_id)

    def to_record(self, labels: Labels | None = None) -> Record:
        """The follow-up as one plain, JSON-ready ``dict`` (keys:
        ``leadcore.export.FOLLOW_UP_COLUMNS``)."""
        return FOLLOW_UP_COLUMNS.record(self, labels)
