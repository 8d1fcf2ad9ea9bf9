"""What the customer side holds, as leadcore sees it: customers, contacts and deals, the drafts
a conversion asks the directory to create, and the follow-ups and attachments it carries over.

These are plain frozen values. The host's own tables may hold much more; a directory returns
only what is listed here. A draft and a carried follow-up check their values when made (and
again when a directory is given one): text must be text without lone surrogates or control
characters, ids non-blank, times timezone-aware, and a ``fields`` mapping must map field names
to the values :func:`check_value` accepts. A wrong one raises ``ValidationError`` naming the
field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from leadcore import checks
from leadcore.custom_fields import MAX_NUMBER_DIGITS, number_problem
from leadcore.dedup import DedupKey, KeyKind, Normaliser
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.model import Attachment, FollowUp, Money
from leadcore.signatures import checked_constructor

__all__ = [
    "MAX_DIGITS",
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
    "check_value",
    "directory_keys",
]

FieldValue: TypeAlias = (
    "str | int | float | Decimal | bool | date | datetime | Money | tuple[str, ...]"
)
"""A value a field mapping writes into a customer, contact or deal field."""

_NO_FIELDS: Final[Mapping[str, FieldValue]] = MappingProxyType({})


_SCALARS: Final = (str, int, float, Decimal, bool, date, datetime, Money)

MAX_DIGITS: Final = MAX_NUMBER_DIGITS
"""The most digits a number written into a target field may have before the decimal point,
and a decimal after it: the custom fields' limit, far more than any amount, count or code
needs, which keeps every value printable and storable as text."""


def check_value(value: object) -> str | None:
    """Why ``value`` cannot be written into a target field, or None when it can: text (and
    each text of a tuple) must be valid Unicode without control characters but newline and
    tab; a number (int, float or ``Decimal``) must be finite with at most ``MAX_DIGITS``
    digits before the decimal point (and, a ``Decimal``, after it): the number rule of custom
    fields, :func:`leadcore.custom_fields.number_problem`; a time must be timezone-aware."""
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        try:
            checks.aware(value, "value")
        except ValidationError as e:
            return e.problems[0].reason
        return None
    if isinstance(value, int | float | Decimal):
        return number_problem(value)
    if isinstance(value, str):
        return checks.text_problem(value, long=True)
    if isinstance(value, _SCALARS):
        return None
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        for i, item in enumerate(value):
            problem = checks.text_problem(item, long=True)
            if problem is not None:
                return f"item {i} {problem}"
        return None
    return (
        "must be text, a number, true/false, a date or time, money or a tuple of texts, "
        f"not {type(value).__name__}"
    )


def _freeze(values: Mapping[str, FieldValue]) -> Mapping[str, FieldValue]:
    # Anything but a mapping is kept as given, for the ``fields`` validator to name.
    return frozen_mapping(values) if isinstance(values, Mapping) else values


def _values(draft: CustomerDraft | ContactDraft | DealDraft) -> dict[str, Any]:
    """A draft's values, by field name: each is the field of that name of the record the draft
    asks for."""
    return attrs.asdict(draft, recurse=False)


_Check: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _checked(check: Callable[[object, str], object]) -> _Check:
    """An attrs validator running one of ``leadcore.checks`` on the field, named by it."""

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check(value, attribute.name)

    return validate


def _long(most: int, *, required: bool = False) -> _Check:
    def check(value: object, field: str) -> object:
        if value is None and not required:
            return None
        return checks.text(value, field, max_len=most, long=True, required=required)

    return _checked(check)


_ID: Final = _checked(checks.identifier)
_NAME: Final = _checked(checks.text)
_OPTIONAL_ID: Final = _checked(lambda v, f: None if v is None else checks.identifier(v, f))
_OPTIONAL_TEXT: Final = _checked(checks.optional_text)
_AT: Final = _checked(checks.aware)
_OPTIONAL_AT: Final = _checked(checks.optional_aware)


def _fields(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A mapping of field names to values :func:`check_value` accepts."""
    if not isinstance(value, Mapping):
        shown = type(value).__name__
        raise ValidationError(
            [FieldProblem("fields", f"must be a mapping of field name to value, not {shown}")]
        )
    for name, item in value.items():
        if not isinstance(name, str):
            raise ValidationError([FieldProblem("fields", f"{name!r} is not a field name")])
        checks.identifier(name, "fields")
        problem = check_value(item)
        if problem is not None:
            raise ValidationError([FieldProblem(f"fields.{name}", problem)])


def _mapped_fields() -> Any:
    """A draft's ``fields``: the values its mapping wrote, frozen, each checked."""
    return attrs.field(default=_NO_FIELDS, converter=_freeze, validator=_fields)


def _amount(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Money):
        shown = type(value).__name__
        raise ValidationError([FieldProblem("amount", f"must be Money or None, not {shown}")])


def _duration(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, timedelta):
        shown = type(value).__name__
        raise ValidationError(
            [FieldProblem("duration", f"must be a timedelta or None, not {shown}")]
        )


def _attachments(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        shown = type(value).__name__
        raise ValidationError(
            [FieldProblem("attachments", f"must be a tuple of Attachment, not {shown}")]
        )
    for i, attachment in enumerate(value):
        if not isinstance(attachment, Attachment):
            shown = type(attachment).__name__
            raise ValidationError(
                [FieldProblem(f"attachments[{i}]", f"must be an Attachment, not {shown}")]
            )
        checks.text(attachment.ref, f"attachments[{i}].ref", max_len=checks.MAX_LONG_TEXT)
        checks.optional_text(attachment.name, f"attachments[{i}].name")


@attrs.frozen(slots=True)
class CustomerDraft:
    """A customer a conversion asks the directory to create: its ``name`` (the lead's company,
    else its contact's name), ``owner_id``, the contact details it is found by again, and the
    mapped ``fields``."""

    name: str = attrs.field(validator=_NAME)
    owner_id: str = attrs.field(validator=_ID)
    phone: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    email: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    fields: Mapping[str, FieldValue] = _mapped_fields()


@checked_constructor
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

    @classmethod
    def from_draft(cls, customer_id: str, draft: CustomerDraft, key: str) -> Customer:
        """The customer ``draft`` asks for, made under conversion ``key`` with the directory's
        ``customer_id``."""
        return cls(customer_id, created_for=key, **_values(draft))


@attrs.frozen(slots=True)
class ContactDraft:
    """A contact (联系人) to create from the lead's person."""

    name: str = attrs.field(validator=_NAME)
    phone: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    email: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    wechat: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    title: str | None = attrs.field(default=None, validator=_OPTIONAL_TEXT)
    fields: Mapping[str, FieldValue] = _mapped_fields()


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

    @classmethod
    def from_draft(
        cls, contact_id: str, customer_id: str, draft: ContactDraft, key: str
    ) -> Contact:
        """The contact of ``customer_id`` that ``draft`` asks for, made under conversion
        ``key`` with the directory's ``contact_id``."""
        return cls(contact_id, customer_id, created_for=key, **_values(draft))


@attrs.frozen(slots=True)
class DealDraft:
    """A deal (商机, opportunity) to create; ``amount`` is the lead's budget."""

    name: str = attrs.field(validator=_NAME)
    owner_id: str = attrs.field(validator=_ID)
    amount: Money | None = attrs.field(default=None, validator=_amount)
    fields: Mapping[str, FieldValue] = _mapped_fields()


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

    @classmethod
    def from_draft(
        cls,
        deal_id: str,
        customer_id: str,
        draft: DealDraft,
        key: str,
        *,
        contact_id: str | None = None,
    ) -> Deal:
        """The deal of ``customer_id`` (with ``contact_id`` as its contact) that ``draft`` asks
        for, made under conversion ``key`` with the directory's ``deal_id``."""
        return cls(deal_id, customer_id, created_for=key, contact_id=contact_id, **_values(draft))


@attrs.frozen(slots=True)
class CarriedFollowUp:
    """A lead's follow-up record as carried to the customer side (跟进记录合并): the record's
    own id (so carrying it twice keeps one copy), the lead it came from, and what was said."""

    id: str = attrs.field(validator=_ID)
    lead_id: str = attrs.field(validator=_ID)
    author_id: str = attrs.field(validator=_ID)
    owner_id: str | None = attrs.field(validator=_OPTIONAL_ID)
    at: datetime = attrs.field(validator=_AT)
    method: str = attrs.field(validator=_NAME)
    content: str = attrs.field(validator=_long(checks.MAX_LONG_TEXT, required=True))
    result: str = attrs.field(validator=_long(checks.MAX_LONG_TEXT, required=True))
    duration: timedelta | None = attrs.field(default=None, validator=_duration)
    customer_needs: str | None = attrs.field(default=None, validator=_long(checks.MAX_LONG_TEXT))
    next_step: str | None = attrs.field(default=None, validator=_long(checks.MAX_LONG_TEXT))
    next_follow_up_at: datetime | None = attrs.field(default=None, validator=_OPTIONAL_AT)
    attachments: tuple[Attachment, ...] = attrs.field(default=(), validator=_attachments)


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


def directory_keys(record: Customer | Contact, normaliser: Normaliser) -> list[DedupKey]:
    """The keys a directory finds ``record``'s customer by, as ``normaliser`` reads them: a
    customer's name, phone and email; a contact's phone, email and WeChat id. A value missing,
    or one the normaliser reads no key from, gives none."""
    values: tuple[tuple[KeyKind, str | None], ...]
    if isinstance(record, Customer):
        values = (
            (KeyKind.COMPANY, record.name),
            (KeyKind.PHONE, record.phone),
            (KeyKind.EMAIL, record.email),
        )
    else:
        values = (
            (KeyKind.PHONE, record.phone),
            (KeyKind.EMAIL, record.email),
            (KeyKind.WECHAT, record.wechat),
        )
    keys = (normaliser.key(kind, value) for kind, value in values if value is not None)
    return [key for key in keys if key is not None]


@checked_constructor
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
