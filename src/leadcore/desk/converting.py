"""The desk's conversion methods, and the one flow every conversion follows.

The customer directory is the host's, outside the store's unit of work, so a conversion runs
in three steps with the lead's id as the idempotency key (the conversion key):

1. **prepare** (through the runner, writing nothing): lifecycle, policy, the pool's gate, a
   new customer owner, duplicates among existing customers, the field mapping — any refusal
   here leaves everything as it was, the directory untouched;
2. **the directory** (``leadcore.conversion.execute``): bind the key to the customer, then
   contact, deal, follow-ups and collaborators, each idempotent by the key;
3. **finish** (through the runner): the lead, still at the version prepared, becomes converted
   with an event listing what was created or linked.

If step 2 fails midway, or step 3 finds the lead changed (``ConcurrencyConflict``), the lead is
not converted; running the conversion again repeats step 2 against what the first attempt made
(the directory returns it) and ends with exactly one customer, contact and deal. Two
conversions of one lead at once bind one key: they share the customer, or the one that asked
for a different one is refused by ``DirectoryConflict``; only one finish lands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Unpack

from leadcore import checks
from leadcore.conversion import ConversionReadiness, ConversionResult, CustomerMatch, execute
from leadcore.errors import LeadcoreError
from leadcore.intake import clean_match_fields
from leadcore.model import IdCollection, Lead
from leadcore.scoring import ReadinessSignal

from .arguments import LeadFields, refuse_unknown
from .plans.converting import FinishConversion, PrepareConversion, Reopen, conversion_readiness
from .results import BatchResult, LeadOutcome
from .runner import Runner
from .setup import Setup

__all__ = ["ConversionMethods"]


class ConversionMethods:
    """Conversion on ``LeadDesk``: convert (one lead or a batch), readiness, customer matches
    and reopening."""

    setup: Setup
    _runner: Runner

    def convert(
        self,
        actor_id: str,
        lead_id: str,
        customer_id: str | None = None,
        *,
        customer_fields: Mapping[str, object] | None = None,
        contact_fields: Mapping[str, object] | None = None,
        deal: bool = False,
        deal_fields: Mapping[str, object] | None = None,
        customer_owner_id: str | None = None,
        signals: Iterable[ReadinessSignal | str] = (),
        expected_version: int | None = None,
    ) -> ConversionResult:
        """Convert a held lead (转化; its owner or a pool admin) into a new customer, or into
        the existing customer ``customer_id``, through the desk's customer directory.

        New customer: the mapped fields plus ``customer_fields`` (customer-only fields); a
        match with an existing customer by normalised name, phone or email raises
        ``DuplicateCustomer`` naming it. ``contact_fields`` and ``deal_fields`` add to the
        contact's and the deal's mapped fields. Both ways: a contact from the lead's person (or the
        linked customer's contact with the same phone or email), a deal when ``deal`` or
        ``deal_fields``, the follow-ups and their attachments carried across, the lead's
        owner added as collaborator when the customer is someone else's. A pool admin may
        give a new customer ``customer_owner_id``. The pool's gate may demand a ready or SQL
        lead (``signals`` adds readiness signals the host found). Afterwards the lead is
        read-only, points at the customer and is due for no follow-up. If the directory
        fails the lead stays as it was; calling again is safe and ends with one customer,
        contact and deal. Given ``expected_version``, a lead changed since raises
        ``ConcurrencyConflict`` before the directory is asked anything."""
        return self._convert(
            PrepareConversion(
                setup=self.setup,
                actor_id=actor_id,
                lead_id=lead_id,
                customer_id=customer_id,
                customer_fields=customer_fields,
                contact_fields=contact_fields,
                deal=deal,
                deal_fields=deal_fields,
                customer_owner_id=customer_owner_id,
                signals=signals,
                expected_version=expected_version,
            )
        )

    def convert_batch(
        self,
        actor_id: str,
        lead_ids: IdCollection,
        *,
        customer_owner_id: str | None = None,
        link_matches: bool = False,
        deal: bool = False,
    ) -> BatchResult:
        """Convert several leads, each into a new customer (owned by ``customer_owner_id``
        when a pool admin gives one), with a result per lead; one lead's refusal never undoes
        another's conversion. With ``link_matches`` a lead matching exactly one existing
        customer is linked to it instead of being refused."""
        outcomes = []
        for lead_id in checks.identifier_list(lead_ids, "lead_ids"):
            command = PrepareConversion(
                setup=self.setup,
                actor_id=actor_id,
                lead_id=lead_id,
                customer_owner_id=customer_owner_id,
                link_matches=link_matches,
                deal=deal,
            )
            try:
                outcomes.append(LeadOutcome(lead_id, lead=self._convert(command).lead))
            except LeadcoreError as e:
                outcomes.append(LeadOutcome(lead_id, error=e))
        return BatchResult(tuple(outcomes))

    def _convert(self, command: PrepareConversion) -> ConversionResult:
        prepared = self._runner.run(command)
        receipt = execute(self.setup.conversion.directory, prepared.request)
        lead = self._runner.run(
            FinishConversion(
                setup=self.setup,
                actor_id=command.actor_id,
                lead_id=command.lead_id,
                expected_version=prepared.version,
                receipt=receipt,
            )
        )
        return ConversionResult(lead, receipt)

    def conversion_readiness(
        self, actor_id: str, lead_id: str, *, signals: Iterable[ReadinessSignal | str] = ()
    ) -> ConversionReadiness:
        """Whether the actor may convert the lead now: the 3-of-5 readiness rule naming which
        signals hold, the pool's gate (any lead, only ready ones, or only SQL ones), and
        ``allowed`` False with the reason whenever ``convert`` would refuse (the lead's
        status, the actor's permission or the gate)."""
        return self._runner.read(
            lambda reads: conversion_readiness(reads, actor_id, lead_id, signals)
        )

    def customer_matches(self, actor_id: str, **fields: Unpack[LeadFields]) -> list[CustomerMatch]:
        """The existing customers holding a lead's phone, email or company (normalised as
        intake does): "phone +8613800138000 already belongs to customer 星河科技 (C1), owned by
        bob". For the entry check, before a lead is created. Each field is checked as
        ``create`` checks it (``ValidationError`` naming it: a phone that is no phone, text
        that is not text or too long)."""
        refuse_unknown(fields, LeadFields, "a lead field")
        self._runner.read(lambda reads: reads.actor(actor_id))
        clean = clean_match_fields(fields, rules=self.setup.rules)
        return self.setup.conversion.matches(clean)

    def reopen(
        self,
        actor_id: str,
        lead_id: str,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Reopen a lead: an invalid or lost one returns to its pool unassigned; a converted
        one (pool admins, within the pool's ``reopen_hours``) returns to its owner in the
        status and with the next due date it had, its conversion kept in the history; the
        ``reopened`` event names the customer, contact and deal for the host to undo on its
        side. Given ``expected_version``, a lead changed since (reopened and converted again,
        say) raises ``ConcurrencyConflict`` and nothing is written."""
        return self._runner.run(
            Reopen(
                setup=self.setup,
                actor_id=actor_id,
                lead_id=lead_id,
                reason=reason,
                expected_version=expected_version,
            )
        )
