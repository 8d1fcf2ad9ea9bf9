"""A customer directory that fails on purpose: to check that a conversion interrupted at any
directory call leaves the lead unconverted, and that running it again converges."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, TypeVar

from leadcore.conversion import (
    CarriedFollowUp,
    Contact,
    ContactDraft,
    Customer,
    CustomerDirectory,
    CustomerDraft,
    CustomerMatch,
    Deal,
    DealDraft,
)
from leadcore.dedup import DedupKey

__all__ = ["DirectoryFault", "FaultyDirectory", "Moment"]

T = TypeVar("T")

Moment = Literal["before", "after"]
"""When a fault strikes: before the call reaches the directory, or after it did its work (the
answer is lost on the way back, as when a connection drops)."""


class DirectoryFault(Exception):
    """The failure a ``FaultyDirectory`` raises (deliberately not a ``LeadcoreError``: it plays
    the host's own driver error)."""


class FaultyDirectory:
    """Wraps ``inner`` and raises ``DirectoryFault`` once, at the first call of ``fail_at``
    (a writing method's name), ``when`` before or after the inner call. ``calls`` lists every
    writing call made, in order."""

    def __init__(
        self, inner: CustomerDirectory, fail_at: str | None = None, when: Moment = "before"
    ) -> None:
        self.inner = inner
        self.fail_at = fail_at
        self.when = when
        self.calls: list[str] = []

    def arm(self, fail_at: str | None, when: Moment = "before") -> None:
        """Fail once at the next call of ``fail_at`` (None: never)."""
        self.fail_at, self.when = fail_at, when

    def _strike(self, call: str, moment: Moment) -> None:
        if call == self.fail_at and moment == self.when:
            self.fail_at = None
            raise DirectoryFault(f"injected fault {moment} {call}")

    # --- reading passes through --------------------------------------------------------------
    def customer(self, customer_id: str) -> Customer:
        """See ``CustomerDirectory.customer``."""
        return self.inner.customer(customer_id)

    def find(self, keys: Iterable[DedupKey]) -> list[CustomerMatch]:
        """See ``CustomerDirectory.find``."""
        return self.inner.find(keys)

    def contacts(self, customer_id: str) -> list[Contact]:
        """See ``CustomerDirectory.contacts``."""
        return self.inner.contacts(customer_id)

    def deals(self, customer_id: str) -> list[Deal]:
        """See ``CustomerDirectory.deals``."""
        return self.inner.deals(customer_id)

    def history(self, customer_id: str) -> list[CarriedFollowUp]:
        """See ``CustomerDirectory.history``."""
        return self.inner.history(customer_id)

    def bound(self, key: str) -> Customer | None:
        """See ``CustomerDirectory.bound``."""
        return self.inner.bound(key)

    # --- writing may fail --------------------------------------------------------------------
    def _write(self, call: str, work: Callable[[], T]) -> T:
        """Record ``call``, then run ``work`` (the inner call), failing before or after it if
        armed to."""
        self.calls.append(call)
        self._strike(call, "before")
        made = work()
        self._strike(call, "after")
        return made

    def create_customer(self, key: str, draft: CustomerDraft) -> Customer:
        """``CustomerDirectory.create_customer``, perhaps failing."""
        return self._write("create_customer", lambda: self.inner.create_customer(key, draft))

    def link_customer(self, key: str, customer_id: str) -> Customer:
        """``CustomerDirectory.link_customer``, perhaps failing."""
        return self._write("link_customer", lambda: self.inner.link_customer(key, customer_id))

    def create_contact(self, key: str, customer_id: str, draft: ContactDraft) -> Contact:
        """``CustomerDirectory.create_contact``, perhaps failing."""
        return self._write(
            "create_contact", lambda: self.inner.create_contact(key, customer_id, draft)
        )

    def create_deal(
        self, key: str, customer_id: str, draft: DealDraft, *, contact_id: str | None = None
    ) -> Deal:
        """``CustomerDirectory.create_deal``, perhaps failing."""
        return self._write(
            "create_deal",
            lambda: self.inner.create_deal(key, customer_id, draft, contact_id=contact_id),
        )

    def attach(self, key: str, customer_id: str, follow_ups: Sequence[CarriedFollowUp]) -> None:
        """``CustomerDirectory.attach``, perhaps failing."""
        self._write("attach", lambda: self.inner.attach(key, customer_id, follow_ups))

    def add_collaborators(self, key: str, customer_id: str, user_ids: Iterable[str]) -> None:
        """``CustomerDirectory.add_collaborators``, perhaps failing."""
        self._write(
            "add_collaborators", lambda: self.inner.add_collaborators(key, customer_id, user_ids)
        )
