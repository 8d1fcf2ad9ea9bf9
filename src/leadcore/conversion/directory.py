"""The seam to the host's customers: the ``CustomerDirectory`` protocol.

Customers, contacts and deals live in the host's tables, outside the lead store's unit of work.
A conversion therefore talks to the directory in idempotent steps, each carrying the
conversion's ``key`` (the lead's id; after a reopened conversion, the id and the conversion's
number, ``L1~2``). Calling a step again with the same key returns what the first call made, so
a conversion that failed midway is simply run again and ends with one customer, one contact
and one deal. The lead is marked converted only after every step has succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from leadcore.dedup import DedupKey

from .records import (
    CarriedFollowUp,
    Contact,
    ContactDraft,
    Customer,
    CustomerDraft,
    CustomerMatch,
    Deal,
    DealDraft,
)

__all__ = ["CustomerDirectory"]


@runtime_checkable
class CustomerDirectory(Protocol):
    """The host's customers, contacts and deals, as a conversion needs them.

    Every writing method is idempotent by ``key`` and safe to call from several threads at
    once: two calls with one key never make two records. Ids are the host's. Errors are
    ``LeadcoreError`` subclasses (``NotFound`` for an unknown id); anything else a directory
    raises is reported by the desk as ``DirectoryFailed``.
    """

    # --- reading ---------------------------------------------------------------------------------
    def customer(self, customer_id: str) -> Customer:
        """The customer with this id; ``NotFound("customer", id)`` when there is none."""
        ...

    def find(self, keys: Iterable[DedupKey]) -> list[CustomerMatch]:
        """Every customer holding one of ``keys`` (normalised company name, phone or email, as
        ``leadcore.dedup.Normaliser`` makes them), on itself or on one of its contacts: one
        match per customer and key, naming the contact when one holds it (the first by id),
        ordered by customer id then key. No keys, or none held, give ``[]``."""
        ...

    def contacts(self, customer_id: str) -> list[Contact]:
        """The customer's contacts, oldest first; ``NotFound`` for an unknown customer."""
        ...

    def deals(self, customer_id: str) -> list[Deal]:
        """The customer's deals, oldest first; ``NotFound`` for an unknown customer."""
        ...

    def history(self, customer_id: str) -> list[CarriedFollowUp]:
        """The follow-ups carried to the customer, each once, by time then id; ``NotFound``
        for an unknown customer."""
        ...

    def bound(self, key: str) -> Customer | None:
        """The customer conversion ``key`` is bound to (created or linked), or None."""
        ...

    # --- writing, idempotent by key ----------------------------------------------------------
    def create_customer(self, key: str, draft: CustomerDraft) -> Customer:
        """Create a customer from ``draft`` and bind ``key`` to it. If ``key`` is already bound
        (by an earlier create or link), return that customer unchanged and create nothing:
        the caller compares ``created_for`` with its key to tell the two apart."""
        ...

    def link_customer(self, key: str, customer_id: str) -> Customer:
        """Bind ``key`` to the existing customer ``customer_id`` and return it. If ``key`` is
        already bound, return the bound customer unchanged (whichever it is). ``NotFound``
        when ``key`` is unbound and there is no such customer."""
        ...

    def create_contact(self, key: str, customer_id: str, draft: ContactDraft) -> Contact:
        """Create a contact of ``customer_id`` from ``draft``; if a contact was already created
        under ``key``, return it unchanged (whichever customer it is of). ``NotFound`` for an
        unknown customer."""
        ...

    def create_deal(
        self, key: str, customer_id: str, draft: DealDraft, *, contact_id: str | None = None
    ) -> Deal:
        """Create a deal of ``customer_id`` (with ``contact_id`` as its contact) from
        ``draft``; if a deal was already created under ``key``, return it unchanged.
        ``NotFound`` for an unknown customer."""
        ...

    def attach(self, key: str, customer_id: str, follow_ups: Sequence[CarriedFollowUp]) -> None:
        """Carry ``follow_ups`` (with their attachment references) to the customer. One already
        carried there (same id) is kept once, so attaching again changes nothing. ``NotFound``
        for an unknown customer."""
        ...

    def add_collaborators(self, key: str, customer_id: str, user_ids: Iterable[str]) -> None:
        """Add collaborators (协作人) to the customer; ones it already has stay as they are.
        ``NotFound`` for an unknown customer."""
        ...
