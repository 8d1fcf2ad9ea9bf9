"""The shapes of the desk's keyword arguments, for the type checker: a misspelt field
(``compnay=``), a float budget or ``view="mien"`` is reported before the code runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, TypeAlias, TypedDict

from leadcore.model import CompanySize, CustomValue, Money, SourceChannel

__all__ = ["CustomValues", "LeadFields", "OrderName", "PoolSettings", "UserIds", "ViewName"]

ViewName: TypeAlias = Literal["mine", "followed", "collaborating", "subordinates", "all", "pool"]
"""A view by its value (``View.MINE`` … are the members)."""

OrderName: TypeAlias = Literal["created", "created_desc", "due"]
"""An ordering by its value (``LeadOrder.CREATED`` … are the members)."""

UserIds: TypeAlias = "frozenset[str] | set[str] | list[str] | tuple[str, ...]"
"""Several user ids (a collection; never one string)."""

CustomValues: TypeAlias = "dict[str, CustomValue | date | float | list[str] | None]"
"""Custom field values by name (None removes one on edit)."""


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
    admins: UserIds
    members: UserIds
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
