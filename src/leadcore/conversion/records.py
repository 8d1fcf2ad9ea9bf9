"""What the customer side holds, as leadcore sees it: customers, contacts and deals, the drafts
a conversion asks the directory to create, and the follow-ups and attachments it carries over.

These are plain frozen values. The host's own tables may hold much more; a directory returns
only what is listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Final, TypeAlias

import attrs

from leadcore.dedup import DedupKey
from leadcore.frozen import frozen_mapping
from leadcore.model import Attachment, FollowUp, Money

__all__ = [
    "CarriedFollowUp",
    "Contact",
    "ContactDraft",
    "Customer",
    "CustomerDraft",
    "CustomerMatch",
    "Deal",
    "DealDraft",
    "FieldValue",
    "carried",
]

FieldValue: TypeAlias = (
    "str | int | float | Decimal | bool | date | datetime | Money | tuple[str, ...]"
)
"""A value a field mapping writes into a customer, contact or deal field."""

_NO_FIELDS: Final[Mapping[str, FieldValue]] = MappingProxyType({})


def _freeze(values: Mapping[str, FieldValue]) -> Mapping[str, FieldValue]:
    return frozen_mapping(values)


@attrs.frozen(slots=True)
class CustomerDraft:
    """A customer a conversion asks the directory to create: its ``name`` (the lead's company,
    else its contact's name), ``owner_id``, the contact details it is found by again, and the
    mapped ``fields``."""

    name: str
    owner_id: str
    phone: str | None = None
    email: str | None = None
    fields: Mapping[str, FieldValue] = attrs.field(default=_NO_FIELDS, converter=_freeze)


@attrs.frozen(slots=True)
class Customer:
    """A customer (客户) in the host's directory. ``created_for`` is the conversion key it was
    created under (None for a customer the host made itself)."""

    id: str
    name: str
    owner_id: str | None = None
    phone: str | None = None
    email: str | None = None
    fields: Mapping[str, FieldValue] = attrs.field(default=_NO_FIELDS, converter=_freeze)
    collaborators: frozenset[str] = frozenset()
    created_for: str | None = None


@attrs.frozen(slots=True)
class ContactDraft:
    """A contact (联系人) to create from the lead's person."""

    name: str
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    title: str | None = None
    fields: Mapping[str, FieldValue] = attrs.field(default=_NO_FIELDS, converter=_freeze)


@attrs.frozen(slots=True)
class Contact:
    """A contact person of a customer, as the directory holds it."""

    id: str
    customer_id: str
    name: str
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    title: str | None = None
    fields: Mapping[str, FieldValue] = attrs.field(default=_NO_FIELDS, converter=_freeze)
    created_for: str | None = None


@attrs.frozen(slots=True)
class DealDraft:
    """A deal (商机, opportunity) to create; ``amount`` is the lead's budget."""

    name: str
    owner_id: str
    amount: Money | None = None
    fields: Mapping[str, FieldValue] = attrs.field(default=_NO_FIELDS, converter=_freeze)


@attrs.frozen(slots=True)
class Deal:
    """A deal of a customer, as the directory holds it."""

    id: str
    customer_id: str
    name: str
    owner_id: str | None = None
    contact_id: str | None = None
    amount: Money | None = None
    fields: Mapping[str, FieldValue] = attrs.field(default=_NO_FIELDS, converter=_freeze)
    created_for: str | None = None


@attrs.frozen(slots=True)
class CarriedFollowUp:
    """A lead's follow-up record as carried to the customer side (跟进记录合并): the record's
    own id (so carrying it twice keeps one copy), the lead it came from, and what was said."""

    id: str
    lead_id: str
    author_id: str
    owner_id: str | None
    at: datetime
    method: str
    content: str
    result: str
    duration: timedelta | None = None
    customer_needs: str | None = None
    next_step: str | None = None
    next_follow_up_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()


def carried(follow_up: FollowUp) -> CarriedFollowUp:
    """``follow_up`` as the customer side receives it."""
    return CarriedFollowUp(
        id=follow_up.id,
        lead_id=follow_up.lead_id,
        author_id=follow_up.author_id,
        owner_id=follow_up.owner_id,
        at=follow_up.at,
        method=follow_up.method.value,
        content=follow_up.content,
        result=follow_up.result,
        duration=follow_up.duration,
        customer_needs=follow_up.customer_needs,
        next_step=follow_up.next_step,
        next_follow_up_at=follow_up.next_follow_up_at,
        attachments=follow_up.attachments,
    )


@attrs.frozen(slots=True)
class CustomerMatch:
    """An existing customer holding one of a lead's duplicate keys: on the customer itself, or
    on one of its contacts (``contact_id``). ``str()`` reads like "phone +8613800138000 already
    belongs to customer 星河科技 (C1), owned by bob"."""

    key: DedupKey
    customer_id: str
    customer_name: str
    owner_id: str | None = None
    contact_id: str | None = None

    def __str__(self) -> str:
        owned = f", owned by {self.owner_id}" if self.owner_id else ""
        via = f" (through contact {self.contact_id})" if self.contact_id else ""
        return (
            f"{self.key.kind.value} {self.key.value} already belongs to customer "
            f"{self.customer_name} ({self.customer_id}){owned}{via}"
        )
