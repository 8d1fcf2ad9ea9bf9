"""``MemoryCustomerDirectory``: the default customer directory and the reference for hosts'
own. Thread-safe; customers are found by the same normalised keys intake uses."""

from __future__ import annotations

import threading
from collections.abc import Container, Iterable, Sequence
from itertools import count

import attrs

from leadcore.dedup import DedupKey, Normaliser
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.signatures import checked_constructor

from . import arguments
from .records import (
    CarriedFollowUp,
    Contact,
    ContactDraft,
    Customer,
    CustomerDraft,
    CustomerMatch,
    Deal,
    DealDraft,
    directory_keys,
)

__all__ = ["MemoryCustomerDirectory"]


def _by_contact(entry: tuple[str, str | None]) -> tuple[str, bool, str]:
    """Contacts first (the most specific holder of a key), in id order, then the customer."""
    customer_id, contact_id = entry
    return customer_id, contact_id is None, contact_id or ""


@checked_constructor
class MemoryCustomerDirectory:
    """Customers, contacts and deals in memory, following the ``CustomerDirectory`` contract.

    ``normaliser`` makes the keys customers are found by (the default rules unless given); use
    the one the desk's intake uses. ``add_customer`` and ``add_contact`` put in customers the
    host already has (as its own tables would hold them). Every argument is checked as
    ``leadcore.conversion.arguments`` says; a bad one raises ``ValidationError`` naming it and
    changes nothing.
    """

    def __init__(self, *, normaliser: Normaliser | None = None) -> None:
        self.normaliser = Normaliser.given(normaliser)
        self._lock = threading.RLock()
        self._counters: dict[str, count[int]] = {}
        self._customers: dict[str, Customer] = {}
        self._contacts: dict[str, Contact] = {}
        self._deals: dict[str, Deal] = {}
        self._history: dict[str, dict[str, CarriedFollowUp]] = {}
        self._bound: dict[str, str] = {}
        self._contact_for: dict[str, str] = {}
        self._deal_for: dict[str, str] = {}
        self._index: dict[DedupKey, set[tuple[str, str | None]]] = {}

    # --- the host's own records ----------------------------------------------------------------
    def add_customer(
        self,
        name: str,
        *,
        owner_id: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> Customer:
        """Add a customer the host made itself (not by a conversion) and return it; without a
        ``customer_id`` the directory picks one."""
        given = arguments.host_customer(name, owner_id, phone, email, customer_id)
        with self._lock:
            cid = given.customer_id or self._new("C")
            if cid in self._customers:
                raise ValidationError([FieldProblem("customer_id", f"{cid!r} is taken")])
            customer = given.customer(cid)
            self._put_customer(customer)
            return customer

    def add_contact(
        self,
        customer_id: str,
        name: str,
        *,
        phone: str | None = None,
        email: str | None = None,
    ) -> Contact:
        """Add a contact the host made itself to an existing customer and return it."""
        given = arguments.host_contact(customer_id, name, phone, email)
        with self._lock:
            self.customer(given.customer_id)
            contact = given.contact(self._new("P"))
            self._put_contact(contact)
            return contact

    def customers(self) -> list[Customer]:
        """Every customer, by id order of creation."""
        with self._lock:
            return list(self._customers.values())

    # --- reading ---------------------------------------------------------------------------------
    def customer(self, customer_id: str) -> Customer:
        """The customer with this id; ``NotFound`` when there is none."""
        cid = arguments.customer_id(customer_id)
        with self._lock:
            found = self._customers.get(cid)
            if found is None:
                raise NotFound("customer", cid)
            return found

    def find(self, keys: Iterable[DedupKey]) -> list[CustomerMatch]:
        """Every customer holding one of ``keys``, on itself or on a contact."""
        wanted = arguments.dedup_keys(keys)
        with self._lock:
            best: dict[tuple[str, DedupKey], str | None] = {}
            for key in wanted:
                held = self._index.get(key)
                if not held:
                    continue  # most keys asked about belong to no customer
                for customer_id, contact_id in sorted(held, key=_by_contact):
                    best.setdefault((customer_id, key), contact_id)
            matches = []
            for (customer_id, key), contact_id in best.items():
                customer = self._customers[customer_id]
                matches.append(
                    CustomerMatch(key, customer.id, customer.name, customer.owner_id, contact_id)
                )
            return sorted(matches, key=lambda m: (m.customer_id, str(m.key)))

    def contacts(self, customer_id: str) -> list[Contact]:
        """The customer's contacts, oldest first."""
        with self._lock:
            cid = self.customer(customer_id).id
            return [c for c in self._contacts.values() if c.customer_id == cid]

    def deals(self, customer_id: str) -> list[Deal]:
        """The customer's deals, oldest first."""
        with self._lock:
            cid = self.customer(customer_id).id
            return [d for d in self._deals.values() if d.customer_id == cid]

    def history(self, customer_id: str) -> list[CarriedFollowUp]:
        """The follow-ups carried to the customer, by time then id."""
        with self._lock:
            cid = self.customer(customer_id).id
            carried = self._history.get(cid, {}).values()
            return sorted(carried, key=lambda f: (f.at, f.id))

    def bound(self, key: str) -> Customer | None:
        """The customer ``key`` is bound to, or None."""
        checked = arguments.key(key)
        with self._lock:
            customer_id = self._bound.get(checked)
            return None if customer_id is None else self._customers[customer_id]

    # --- writing ---------------------------------------------------------------------------------
    def create_customer(self, key: str, draft: CustomerDraft) -> Customer:
        """Create a customer bound to ``key``, or return the one ``key`` is bound to."""
        key = arguments.key(key)
        draft = arguments.draft(draft, CustomerDraft)
        with self._lock:
            existing = self.bound(key)
            if existing is not None:
                return existing
            customer = Customer.from_draft(self._new("C"), draft, key)
            self._put_customer(customer)
            self._bound[key] = customer.id
            return customer

    def link_customer(self, key: str, customer_id: str) -> Customer:
        """Bind ``key`` to an existing customer, or return the one it is bound to."""
        key = arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        with self._lock:
            existing = self.bound(key)
            if existing is not None:
                return existing
            customer = self.customer(customer_id)
            self._bound[key] = customer.id
            return customer

    def create_contact(self, key: str, customer_id: str, draft: ContactDraft) -> Contact:
        """Create a contact under ``key``, or return the one made under it."""
        key = arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        draft = arguments.draft(draft, ContactDraft)
        with self._lock:
            made = self._contact_for.get(key)
            if made is not None:
                return self._contacts[made]
            self.customer(customer_id)
            contact = Contact.from_draft(self._new("P"), customer_id, draft, key)
            self._put_contact(contact)
            self._contact_for[key] = contact.id
            return contact

    def create_deal(
        self, key: str, customer_id: str, draft: DealDraft, *, contact_id: str | None = None
    ) -> Deal:
        """Create a deal under ``key``, or return the one made under it."""
        key = arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        draft = arguments.draft(draft, DealDraft)
        contact_id = arguments.optional_id(contact_id, "contact_id")
        with self._lock:
            made = self._deal_for.get(key)
            if made is not None:
                return self._deals[made]
            self.customer(customer_id)
            deal = Deal.from_draft(self._new("D"), customer_id, draft, key, contact_id=contact_id)
            self._deals[deal.id] = deal
            self._deal_for[key] = deal.id
            return deal

    def attach(self, key: str, customer_id: str, follow_ups: Sequence[CarriedFollowUp]) -> None:
        """Carry follow-ups to the customer, each once."""
        arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        carried = arguments.follow_ups(follow_ups)
        with self._lock:
            self.customer(customer_id)
            held = self._history.setdefault(customer_id, {})
            for follow_up in carried:
                held.setdefault(follow_up.id, follow_up)

    def add_collaborators(self, key: str, customer_id: str, user_ids: Iterable[str]) -> None:
        """Add collaborators the customer does not have yet."""
        arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        added = arguments.user_ids(user_ids)
        with self._lock:
            customer = self.customer(customer_id)
            more = customer.collaborators | added
            if more != customer.collaborators:
                self._customers[customer_id] = attrs.evolve(customer, collaborators=more)

    # --- inside ------------------------------------------------------------------------------------
    def _new(self, prefix: str) -> str:
        counter = self._counters.setdefault(prefix, count(1))
        kinds: dict[str, Container[str]] = {
            "C": self._customers,
            "P": self._contacts,
            "D": self._deals,
        }
        taken = kinds[prefix]
        while True:
            made = f"{prefix}{next(counter)}"
            if made not in taken:
                return made

    def _put_customer(self, customer: Customer) -> None:
        self._customers[customer.id] = customer
        self._index_keys(customer, customer.id, None)

    def _put_contact(self, contact: Contact) -> None:
        self._contacts[contact.id] = contact
        self._index_keys(contact, contact.customer_id, contact.id)

    def _index_keys(self, record: Customer | Contact, customer: str, contact: str | None) -> None:
        for key in directory_keys(record, self.normaliser):
            self._index.setdefault(key, set()).add((customer, contact))
