"""Conversion (转化) as plans: prepare (decide and build the directory request; writes nothing),
finish (mark the lead converted with what the directory made), and reopen (a converted lead
back to work, or an invalid or lost one back to its pool).

The directory sits between prepare and finish, outside the store's unit of work; see
``leadcore.desk.converting`` for the whole flow and why a retry is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import ClassVar, TypeVar

import attrs

from leadcore import checks
from leadcore.conversion import (
    ConversionReadiness,
    ConversionReceipt,
    ConversionRequest,
    Customer,
    CustomerMatch,
    DuplicateCustomer,
    build_request,
    conversion_key,
    gate_refusal,
)
from leadcore.conversion.execute import asked_for, directory_call, record_problem
from leadcore.conversion.mapping import check_caller_fields
from leadcore.errors import (
    FieldProblem,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event, EventKind
from leadcore.lifecycle import unheld
from leadcore.model import Action, ConversionGate, FollowUp, Lead, LeadStatus
from leadcore.org import User
from leadcore.policy import OwnerFacts, Role, owner_refusal, roles_of
from leadcore.scoring import Readiness, ReadinessSignal, readiness

from ..outcome import Outcome
from ..reads import Reads, Subject
from .closing import move_reason
from .common import LeadCommand, SubjectCommand

__all__ = [
    "ConversionFacts",
    "FinishConversion",
    "PrepareConversion",
    "Prepared",
    "Reopen",
    "conversion_readiness",
]

T = TypeVar("T")

_WHICH = {
    ConversionGate.ANY: "any lead",
    ConversionGate.READY: "only ready leads",
    ConversionGate.SQL: "only sales-accepted (SQL) leads",
}


def conversion_readiness(
    reads: Reads, actor_id: str, lead_id: str, signals: object
) -> ConversionReadiness:
    """Whether the actor may convert the lead now, and its readiness: ``allowed`` is False,
    with the reason, when ``convert`` would refuse it — its status (converted, invalid,
    unassigned…), the actor's permission, or the pool's gate."""
    given = checks.choices(ReadinessSignal, signals, "signals")
    subject = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    ready = reads.readiness(subject, given)
    gate = subject.pool.conversion_gate
    try:
        subject.require(reads.setup, Action.CONVERT)
    except InvalidTransition as e:
        return ConversionReadiness(ready, gate, False, str(e))
    except PermissionDenied as e:
        return ConversionReadiness(ready, gate, False, e.reason)
    refusal = gate_refusal(subject.pool, subject.lead, ready)
    if refusal is None:
        verdict = "ready" if ready.suggest_convert else "not ready yet"
        reason = f"pool {subject.pool.name} converts {_WHICH[gate]}; the lead is {verdict}"
        return ConversionReadiness(ready, gate, True, reason)
    return ConversionReadiness(ready, gate, False, refusal)


@attrs.frozen(slots=True)
class ConversionFacts:
    """What a conversion decides on: the subject, the lead's follow-ups and readiness, the
    customers matching its keys, the customer to link to, the new customer owner, and the
    number of this conversion (1 unless earlier ones were reopened)."""

    subject: Subject
    follow_ups: tuple[FollowUp, ...]
    readiness: Readiness | None
    matches: tuple[CustomerMatch, ...]
    target: Customer | None
    new_owner: User | None
    number: int


@attrs.frozen(slots=True)
class Prepared:
    """A conversion decided: the directory ``request`` and the lead ``version`` it was built
    from (the finish step expects the lead unchanged)."""

    request: ConversionRequest
    version: int


@attrs.frozen(kw_only=True)
class PrepareConversion(LeadCommand):
    """Decide a conversion and build its directory request; writes nothing.

    ``customer_id`` links to an existing customer (else a new one); ``customer_fields`` are
    the caller's customer-only fields; ``deal`` (or ``deal_fields``) asks for a deal;
    ``customer_owner_id`` gives the new customer another owner (pool admins only);
    ``signals`` add host-found readiness signals; ``link_matches`` links a lead matching
    exactly one existing customer to it instead of refusing."""

    action: ClassVar[Action] = Action.CONVERT
    customer_id: str | None = None
    customer_fields: Mapping[str, object] | None = None
    contact_fields: Mapping[str, object] | None = None
    deal: bool = False
    deal_fields: Mapping[str, object] | None = None
    customer_owner_id: str | None = None
    signals: object = ()
    link_matches: bool = False

    def load(self, reads: Reads) -> ConversionFacts:
        """The subject (and, once lifecycle and policy allow converting it, the directory's
        answers: matching customers and the customer to link to)."""
        signals = checks.choices(ReadinessSignal, self.signals, "signals")
        customer_id = _optional_id(self.customer_id, "customer_id")
        owner_id = _optional_id(self.customer_owner_id, "customer_owner_id")
        checks.flag(self.deal, "deal")
        checks.flag(self.link_matches, "link_matches")
        # The caller's fields are checked whole before the directory is asked anything.
        check_caller_fields(
            self.customer_fields,
            self.contact_fields,
            self.deal_fields,
            subject=f"conversion of lead {self.lead_id!r}",
        )
        subject = self.subject(reads)
        self.require(subject)  # before the directory is asked anything about this lead
        lead = subject.lead
        gated = subject.pool.conversion_gate is ConversionGate.READY
        conversion = self.setup.conversion
        doing = f"converting lead {lead.id!r}"
        number = 1 + sum(e.kind is EventKind.CONVERTED for e in reads.events_of(lead.id))
        # A customer an earlier, interrupted attempt of this very conversion made is its own,
        # not a duplicate: the retry carries on with it.
        key = conversion_key(lead.id, number)
        ours = directory_call(
            doing, "bound", object, lambda: conversion.directory.bound(key), _customer_or_none
        )
        own = ours.id if isinstance(ours, Customer) else None
        matches = tuple(m for m in conversion.matches(lead) if m.customer_id != own)
        target = None
        if customer_id is not None:
            target = _ask(doing, customer_id, lambda: conversion.directory.customer(customer_id))
        elif self.link_matches and len({m.customer_id for m in matches}) == 1:
            only = matches[0].customer_id
            target = _ask(doing, only, lambda: conversion.directory.customer(only))
        return ConversionFacts(
            subject,
            tuple(reads.follow_ups(lead.id)),
            reads.readiness(subject, signals) if gated else None,
            matches,
            target,
            None if owner_id is None else reads.user_or_none(owner_id),
            number,
        )

    def decide(self, facts: ConversionFacts) -> None:
        """Lifecycle and policy allow converting; the pool's gate lets the lead through; a new
        customer owner is chosen only by a pool admin, and is an active user; a new customer
        matches no existing one."""
        s = facts.subject
        self.require(s)
        if facts.readiness is not None or s.pool.conversion_gate is ConversionGate.SQL:
            ready = facts.readiness or readiness()
            refusal = gate_refusal(s.pool, s.lead, ready)
            if refusal is not None:
                raise PermissionDenied(s.actor.id, Action.CONVERT, f"lead {s.lead.id!r}", refusal)
        if self.customer_owner_id is not None and self.customer_owner_id != s.lead.owner_id:
            self._check_new_owner(facts)
        if facts.target is None and facts.matches and self.customer_id is None:
            raise DuplicateCustomer(s.lead.id, facts.matches)

    def _check_new_owner(self, facts: ConversionFacts) -> None:
        s = facts.subject
        held = roles_of(s.actor, s.lead, s.pool, self.setup.org)
        if not held & {Role.POOL_ADMIN, Role.SYSTEM_ADMIN}:
            raise PermissionDenied(
                s.actor.id,
                Action.CONVERT,
                f"lead {s.lead.id!r}",
                "only a pool admin gives the new customer another owner",
            )
        if facts.target is not None:
            raise ValidationError(
                [
                    FieldProblem(
                        "customer_owner_id",
                        "goes with a new customer; a linked one keeps its owner",
                    )
                ]
            )
        if facts.new_owner is None:
            raise NotFound("user", str(self.customer_owner_id))
        if not facts.new_owner.active:
            raise ValidationError(
                [FieldProblem("customer_owner_id", f"user {facts.new_owner.id} is inactive")]
            )

    def plan(self, facts: ConversionFacts) -> Outcome[Prepared]:
        """The directory request (built by the field mapping); nothing to write yet."""
        lead = facts.subject.lead
        owner = facts.new_owner.id if facts.new_owner is not None else lead.owner_id
        assert owner is not None  # a lead that may be converted is held by its owner
        request = build_request(
            lead,
            facts.follow_ups,
            self.setup.conversion.mapping,
            key=conversion_key(lead.id, facts.number),
            owner_id=owner,
            link_to=facts.target,
            matches=facts.matches,
            customer_fields=self.customer_fields,
            contact_fields=self.contact_fields,
            deal=self.deal,
            deal_fields=self.deal_fields,
        )
        return Outcome(Prepared(request, lead.version))


@attrs.frozen(kw_only=True)
class FinishConversion(SubjectCommand):
    """Mark the lead converted (read at ``expected_version``, the prepared one) into the
    receipt's customer, due for no follow-up; the ``converted`` event lists what was created
    or linked, and its changes keep the next due date for a reopen."""

    action: ClassVar[Action] = Action.CONVERT
    receipt: ConversionReceipt

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The converted lead and its event."""
        done = facts.step(
            Action.CONVERT,
            customer_id=self.receipt.customer.id,
            data=self.receipt.event_data(),
        )
        return Outcome.of_step(done, facts.lead.version)


@attrs.frozen(slots=True)
class ReopenFacts:
    """The subject and, for a converted lead, the event of its conversion."""

    subject: Subject
    conversion: Event | None = None
    owner: OwnerFacts | None = None


@attrs.frozen(kw_only=True)
class Reopen(LeadCommand):
    """Reopen a lead: an invalid or lost one goes back to its pool unassigned (unprotected, as
    every lead back in a pool is); a converted one (pool admins, within the pool's
    ``reopen_hours``) goes back to its owner in the status it had, due again on the date it
    was due before the conversion (even one since passed), and the ``reopened`` event names
    the customer side for the host to undo. An owner who may no longer receive the pool's
    leads (away, over the cap, gone from the pool) does not get it back: it waits unassigned,
    and a ``no_owner_found`` event says why."""

    action: ClassVar[Action] = Action.REOPEN
    reason: str | None = None

    def load(self, reads: Reads) -> ReopenFacts:
        """The subject, and the lead's last ``converted`` event when it is converted."""
        move_reason(self.reason)
        subject = self.subject(reads)
        if subject.lead.status is not LeadStatus.CONVERTED:
            return ReopenFacts(subject)
        events = reads.events_of(subject.lead.id)
        last = next((e for e in reversed(events) if e.kind is EventKind.CONVERTED), None)
        owner_id = subject.lead.owner_id
        owner = None if owner_id is None else reads.owner_facts(owner_id, subject.pool)
        return ReopenFacts(subject, last, owner)

    def decide(self, facts: ReopenFacts) -> None:
        """Lifecycle and policy allow it; a conversion is reopened only within the window."""
        s = facts.subject
        self.require(s)
        hours = s.pool.reopen_hours
        if facts.conversion is None or hours is None:
            return
        closes = facts.conversion.at + timedelta(hours=hours)
        if s.now > closes:
            raise PermissionDenied(
                s.actor.id,
                Action.REOPEN,
                f"lead {s.lead.id!r}",
                f"pool {s.pool.name} reopens a conversion within {hours:g} hours; that window "
                f"closed at {closes:%Y-%m-%d %H:%M} UTC",
            )

    def plan(self, facts: ReopenFacts) -> Outcome[Lead]:
        """The reopened lead and its ``reopened`` event."""
        s = facts.subject
        reason = move_reason(self.reason)
        if s.lead.status is not LeadStatus.CONVERTED:
            done = s.step(Action.REOPEN, reason=reason)
            return Outcome.of_step(done, s.lead.version)
        changes: dict[str, object] = {}
        data: dict[str, object] = {
            "conversion_reopened": True,
            "customer_id": s.lead.converted_customer_id,
        }
        if facts.conversion is not None:
            moved = facts.conversion.status_change
            if moved is not None and moved[0] is LeadStatus.ASSIGNED:
                changes["status"] = LeadStatus.ASSIGNED
            due = facts.conversion.change("next_due_at")
            if due is not None:
                # The follow-up promised before the conversion is due again, on its own date
                # (overdue if that has passed), not one the cadence would give now.
                changes["next_due_at"] = _due_date(due.before)
            data.update(
                {k: facts.conversion.data.get(k) for k in ("key", "contact_id", "deal_id")},
                converted_at=facts.conversion.at.isoformat(),
            )
        owner_id = s.lead.owner_id
        refusal = (
            None
            if owner_id is None or facts.owner is None
            else owner_refusal(owner_id, facts.owner, s.pool)
        )
        if refusal is None:
            done = s.step(Action.REOPEN, reason=reason, changes=changes, data=data)
            return Outcome.of_step(done, s.lead.version)
        changes.update(unheld(s.lead))
        done = s.step(Action.REOPEN, reason=reason, changes=changes, data=data)
        why = f"{owner_id} cannot take it back: {refusal}"
        waiting = Event.about(
            done.lead, EventKind.NO_OWNER_FOUND, s.now, s.actor.id, reason=why, data={}
        )
        return Outcome.of_step(done, s.lead.version, waiting)


def _due_date(value: object) -> datetime | None:
    """The due date a conversion event recorded; None when what the store gave back is no
    timezone-aware time (the reopened lead is then due for nothing until followed up)."""
    try:
        return checks.optional_aware(value, "next_due_at")
    except ValidationError:
        return None


def _optional_id(value: object, field: str) -> str | None:
    return None if value is None else checks.identifier(value, field)


def _ask(doing: str, customer_id: str, function: Callable[[], T]) -> Customer:
    """The directory's customer ``customer_id``: checked to be that very customer."""
    return directory_call(doing, "customer", Customer, function, asked_for(customer_id))


def _customer_or_none(answer: object) -> str | None:
    if answer is None or isinstance(answer, Customer):
        return record_problem(answer)
    return f"returned {type(answer).__name__}, not Customer or None"
