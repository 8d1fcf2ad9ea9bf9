"""The arguments of a customer directory's methods, checked the same way by every directory
leadcore ships (``MemoryCustomerDirectory``, ``SQLiteCustomerDirectory``).

Each check returns the clean value or raises ``ValidationError`` naming the argument and what
would be right, before the directory reads or writes anything: a conversion ``key`` and a
customer id are non-blank one-line text; a draft is the draft class itself (its values checked
again, named ``draft.<field>``); follow-ups are a list of ``CarriedFollowUp``; user ids and
duplicate keys are collections, never a single ``str``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs

from leadcore import checks
from leadcore.dedup import DedupKey
from leadcore.errors import FieldProblem, ValidationError

from .records import CarriedFollowUp, Contact, ContactDraft, Customer, CustomerDraft, DealDraft

__all__ = [
    "HostContact",
    "HostCustomer",
    "customer_id",
    "dedup_keys",
    "draft",
    "follow_ups",
    "host_contact",
    "host_customer",
    "key",
    "optional_id",
    "user_ids",
]

D = TypeVar("D", CustomerDraft, ContactDraft, DealDraft, CarriedFollowUp)


def _bad(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def key(value: object) -> str:
    """A conversion key: non-blank one-line text (the lead's id, ``L1~2`` …)."""
    return checks.identifier(value, "key")


def customer_id(value: object, field: str = "customer_id") -> str:
    """A customer's id: non-blank one-line text."""
    return checks.identifier(value, field)


def optional_id(value: object, field: str) -> str | None:
    """An id, or None."""
    return None if value is None else checks.identifier(value, field)


def draft(value: object, cls: type[D], field: str = "draft") -> D:
    """``value`` if it is a ``cls`` (a draft or a carried follow-up) whose values pass its
    checks; each problem is named ``<field>.<its field>``."""
    if not isinstance(value, cls):
        raise _bad(
            field,
            f"must be {checks.article(cls.__name__)} {cls.__name__}, not {type(value).__name__}",
        )
    try:
        attrs.validate(value)
    except ValidationError as e:
        raise ValidationError(
            [FieldProblem(f"{field}.{p.field}", p.reason) for p in e.problems]
        ) from None
    return value


def follow_ups(value: object) -> tuple[CarriedFollowUp, ...]:
    """The follow-ups to carry: a list or tuple of ``CarriedFollowUp``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        shown = f"the string {value!r}" if isinstance(value, str) else type(value).__name__
        raise _bad("follow_ups", f"must be a list of CarriedFollowUp, not {shown}")
    return tuple(draft(item, CarriedFollowUp, f"follow_ups[{i}]") for i, item in enumerate(value))


def user_ids(value: object) -> frozenset[str]:
    """Collaborators to add: a collection of user ids (``["dave"]``, never ``"dave"``)."""
    return checks.identifiers(value, "user_ids")


def dedup_keys(value: object) -> tuple[DedupKey, ...]:
    """Keys to find customers by: a collection of ``DedupKey`` (never a single ``str``)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        shown = f"the string {value!r}" if isinstance(value, str) else type(value).__name__
        raise _bad("keys", f"must be a collection of DedupKey, not {shown}")
    found = tuple(value)
    for i, item in enumerate(found):
        if not isinstance(item, DedupKey):
            raise _bad(f"keys[{i}]", f"must be a DedupKey, not {type(item).__name__}")
    return found


@attrs.frozen(slots=True)
class HostCustomer:
    """The arguments of ``add_customer``, checked."""

    name: str
    owner_id: str | None
    phone: str | None
    email: str | None
    customer_id: str | None

    def customer(self, customer_id: str) -> Customer:
        """The customer these arguments add, with ``customer_id`` (the given one, or the one
        the directory picked)."""
        return Customer(
            customer_id, self.name, owner_id=self.owner_id, phone=self.phone, email=self.email
        )


def host_customer(
    name: object, owner_id: object, phone: object, email: object, customer_id: object
) -> HostCustomer:
    """``add_customer``'s arguments: a non-blank ``name``, an optional ``owner_id`` and
    ``customer_id`` (None or blank: the directory picks one), and optional ``phone`` and
    ``email`` text."""
    return HostCustomer(
        checks.text(name, "name"),
        optional_id(owner_id, "owner_id"),
        checks.optional_text(phone, "phone"),
        checks.optional_text(email, "email"),
        optional_id(None if customer_id == "" else customer_id, "customer_id"),
    )


@attrs.frozen(slots=True)
class HostContact:
    """The arguments of ``add_contact``, checked."""

    customer_id: str
    name: str
    phone: str | None
    email: str | None

    def contact(self, contact_id: str) -> Contact:
        """The contact these arguments add, with the directory's ``contact_id``."""
        return Contact(contact_id, self.customer_id, self.name, phone=self.phone, email=self.email)


def host_contact(customer: object, name: object, phone: object, email: object) -> HostContact:
    """``add_contact``'s arguments: the customer's id, a non-blank ``name``, and optional
    ``phone`` and ``email`` text."""
    return HostContact(
        customer_id(customer),
        checks.text(name, "name"),
        checks.optional_text(phone, "phone"),
        checks.optional_text(email, "email"),
    )
