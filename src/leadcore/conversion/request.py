"""A conversion as data: what to ask the directory (``ConversionRequest``, built by the pure
:func:`build_request`) and what it answered (``ConversionReceipt``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import FollowUp, Lead

from .loading import ConversionMapping
from .records import (
    CarriedFollowUp,
    ContactDraft,
    Customer,
    CustomerDraft,
    CustomerMatch,
    Deal,
    DealDraft,
    carried,
)

__all__ = ["ConversionReceipt", "ConversionRequest", "build_request", "conversion_key"]

_PERSON_KEYS = frozenset({"phone", "email", "wechat"})


def conversion_key(lead_id: str, number: int = 1) -> str:
    """The idempotency key of a lead's ``number``-th conversion: the lead's id, then
    ``L1~2``, ``L1~3`` … after conversions that were reopened."""
    return lead_id if number <= 1 else f"{lead_id}~{number}"


@attrs.frozen(slots=True)
class ConversionRequest:
    """Everything one conversion asks of the directory, under ``key``: a ``customer`` to create
    or the customer to ``link_to``; a ``contact`` to create or an existing ``contact_id`` of
    the linked customer to associate; a ``deal`` if asked; the ``follow_ups`` to carry; the
    ``collaborators`` to add (the lead's owner when the customer is someone else's)."""

    key: str
    lead_id: str
    customer: CustomerDraft | None = None
    link_to: str | None = None
    contact: ContactDraft | None = None
    contact_id: str | None = None
    deal: DealDraft | None = None
    follow_ups: tuple[CarriedFollowUp, ...] = ()
    collaborators: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class ConversionReceipt:
    """What a conversion made or linked: the ``customer`` (``customer_created`` or linked),
    the contact's id (``contact_created`` or associated; None without a person on the lead),
    the ``deal``, the follow-ups carried and their attachment references, and the
    collaborators added."""

    key: str
    customer: Customer
    customer_created: bool
    contact_id: str | None = None
    contact_created: bool = False
    deal: Deal | None = None
    follow_ups: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    collaborators: tuple[str, ...] = ()

    def event_data(self) -> dict[str, Any]:
        """The receipt as the ``converted`` event records it (plain JSON data)."""
        return {
            "key": self.key,
            "customer_id": self.customer.id,
            "customer": "created" if self.customer_created else "linked",
            "contact_id": self.contact_id,
            "contact": None
            if self.contact_id is None
            else ("created" if self.contact_created else "associated"),
            "deal_id": None if self.deal is None else self.deal.id,
            "follow_ups": list(self.follow_ups),
            "attachments": list(self.attachments),
            "collaborators": list(self.collaborators),
        }


def build_request(
    lead: Lead,
    follow_ups: Sequence[FollowUp],
    mapping: ConversionMapping,
    *,
    key: str,
    owner_id: str,
    link_to: Customer | None = None,
    matches: Sequence[CustomerMatch] = (),
    customer_fields: Mapping[str, object] | None = None,
    contact_fields: Mapping[str, object] | None = None,
    deal: bool = False,
    deal_fields: Mapping[str, object] | None = None,
) -> ConversionRequest:
    """The request converting ``lead`` (with its ``follow_ups``) under ``key``: into a new
    customer owned by ``owner_id``, or into ``link_to``, whose contact matching the lead's
    phone, email or WeChat (among ``matches``) is associated instead of a new one. Pure.

    ``ValidationError`` lists every problem of the three mappings at once (a required field
    left empty, a value a rule cannot convert, a bad caller field) and a new customer
    without a name (the lead has neither company nor contact name)."""
    problems: list[FieldProblem] = []

    def mapped(target: str, given: Mapping[str, object] | None) -> dict[str, Any]:
        try:
            return getattr(mapping, target).apply(lead, given)  # type: ignore[no-any-return]
        except ValidationError as e:
            problems.extend(e.problems)
            return {}

    customer_draft = None
    if link_to is None:
        fields = mapped("customer", customer_fields)
        name = lead.company.strip() or lead.contact_name.strip()
        if not name:
            problems.append(
                FieldProblem(
                    "company",
                    "a new customer needs a name: the lead has no company or contact name",
                )
            )
        else:
            customer_draft = CustomerDraft(name, owner_id, lead.phone, lead.email, fields)
    elif customer_fields:
        problems.append(
            FieldProblem(
                "customer_fields", "go with a new customer; a linked customer keeps its own"
            )
        )
    contact_id = None
    if link_to is not None:
        contact_id = next(
            (
                m.contact_id
                for m in matches
                if m.customer_id == link_to.id
                and m.contact_id is not None
                and m.key.kind.value in _PERSON_KEYS
            ),
            None,
        )
    contact_draft = None
    person = lead.contact_name.strip() or lead.phone or lead.email or lead.wechat
    if contact_id is None and person:
        contact_draft = ContactDraft(
            person,
            lead.phone,
            lead.email,
            lead.wechat,
            lead.decision_maker_title,
            mapped("contact", contact_fields),
        )
    elif contact_fields:
        problems.append(
            FieldProblem("contact_fields", "go with a new contact; the lead names no new person")
        )
    deal_draft = None
    if deal or deal_fields:
        values = mapped("deal", deal_fields)
        title = (
            link_to.name if link_to is not None else (customer_draft.name if customer_draft else "")
        )
        deal_draft = DealDraft(title or lead.id, owner_id, lead.budget, values)
    if problems:
        raise ValidationError(problems, subject=f"conversion of lead {lead.id!r}")
    customer_owner = owner_id if link_to is None else link_to.owner_id
    collaborators = frozenset({lead.owner_id} - {customer_owner, None})
    return ConversionRequest(
        key,
        lead.id,
        customer_draft,
        None if link_to is None else link_to.id,
        contact_draft,
        contact_id,
        deal_draft,
        tuple(carried(f) for f in sorted(follow_ups, key=lambda f: (f.at, f.id))),
        collaborators,  # type: ignore[arg-type]
    )
