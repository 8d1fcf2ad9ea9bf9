"""The shapes of the desk's keyword arguments, for the type checker: a misspelt field
(``compnay=``), a float budget or ``view="mien"`` is reported before the code runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Required, TypeAlias, TypedDict

from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import (
    Attachment,
    CompanySize,
    ConversionGate,
    CustomValue,
    Emotion,
    FollowUpMethod,
    IdCollection,
    LeadStatus,
    Money,
    Priority,
    SourceChannel,
)
from leadcore.query import LeadOrder

if TYPE_CHECKING:
    from leadcore.desk.views import View

__all__ = [
    "CustomValues",
    "FollowUpFields",
    "LeadFields",
    "OrderName",
    "PoolSettings",
    "ViewName",
    "ViewOptions",
    "refuse_unknown",
]

ViewName: TypeAlias = Literal["mine", "followed", "collaborating", "subordinates", "all", "pool"]
"""A view by its value (``View.MINE`` … are the members)."""

OrderName: TypeAlias = Literal["created", "created_desc", "due"]
"""An ordering by its value (``LeadOrder.CREATED`` … are the members)."""


CustomValues: TypeAlias = "dict[str, CustomValue | date | float | list[str] | None]"
"""Custom field values by name (on edit, an empty value clears one)."""


class LeadFields(TypedDict, total=False):
    """The lead fields a user may set on create and change on edit (custom fields aside)."""

    contact_name: str | None
    company: str | None
    phone: str | None
    email: str | None
    wechat: str | None
    source: SourceChannel | str | None
    industry: str | None
    region: str | None
    company_size: CompanySize | str | None
    budget: Money | int | str | Decimal | None
    decision_maker_title: str | None
    stage: str | None


class PoolSettings(TypedDict, total=False):
    """A pool's settings, as ``update_pool`` changes them."""

    name: str
    enabled: bool
    admins: IdCollection
    members: IdCollection
    default_owner_id: str | None
    auto_assign: str | None
    reminder_hours: float | None
    recycle_hours: float | None
    claim_enabled: bool
    max_open_per_user: int | None
    max_claims_per_day: int | None
    claim_cooldown_hours: float | None
    allowed_sources: tuple[str, ...] | list[str]
    free_create: bool
    sales_stages: tuple[str, ...] | list[str]
    conversion_gate: ConversionGate | str
    reopen_hours: float | None
    recycle_warning_hours: float | None
    claim_lock_hours: float | None
    max_opens_per_day: int | None
    sla_policy: str | None
    quota_policy: str | None
    conditions: tuple[str, ...] | list[str]
    due_date_field: str | None


class FollowUpFields(TypedDict, total=False):
    """What a follow-up record holds (``method``, ``content`` and ``result`` are required)."""

    method: Required[FollowUpMethod | str]
    content: Required[str]
    result: Required[str]
    at: datetime | None
    duration: timedelta | None
    customer_needs: str | None
    next_step: str | None
    next_follow_up_at: datetime | None
    emotion: Emotion | str | None
    priority: Priority | str | None
    attachments: list[Attachment] | tuple[Attachment, ...]
    mentions: list[str] | tuple[str, ...] | frozenset[str] | set[str]
    stage: str | None


class ViewOptions(TypedDict, total=False):
    """The options of a view's page: which view, filters, ordering and paging."""

    view: View | ViewName
    pool_id: str | None
    statuses: (
        list[LeadStatus | str]
        | tuple[LeadStatus | str, ...]
        | set[LeadStatus]
        | frozenset[LeadStatus]
        | None
    )
    source: SourceChannel | str | None
    grade: str | None
    created_from: datetime | None
    created_before: datetime | None
    order: LeadOrder | OrderName
    cursor: str | None
    offset: int
    limit: int


def refuse_unknown(options: Mapping[str, object], shape: type, what: str) -> None:
    """Refuse keyword arguments the TypedDict ``shape`` does not name, naming each; ``what``
    is one of them with its article (``"a view option"``)."""
    unknown = sorted(set(options) - set(shape.__annotations__))
    if unknown:
        known = ", ".join(sorted(shape.__annotations__))
        plural = what.split(" ", 1)[-1] + "s"  # "a view option" -> "view options"
        raise ValidationError(
            [FieldProblem(name, f"is not {what} ({known})") for name in unknown], subject=plural
        )
