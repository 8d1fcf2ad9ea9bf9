"""Protecting a lead from recycling (保护线索): a pool admin or a system admin sets a
"protect until" date — audited, with its reason — during which no rule recycles or
reassigns the lead; reminders still come. A protection is of an owner's hold: only a held lead
takes one (it ends when the lead goes back to a pool); any editable lead may have one lifted."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, InvalidTransition, PermissionDenied, ValidationError
from leadcore.events import Event, EventKind, diff_fields
from leadcore.lifecycle import TRANSITIONS
from leadcore.model import Action, Lead
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE

from ..outcome import Outcome, SaveLead
from ..reads import Subject
from .common import FURTHEST_AHEAD, SubjectCommand

__all__ = ["Protect"]


@attrs.frozen(kw_only=True)
class Protect(SubjectCommand):
    """Protect the lead until ``until`` (None lifts the protection), with a ``reason``."""

    action: ClassVar[Action] = Action.EDIT
    until: object = None
    reason: object = None

    def decide(self, facts: Subject) -> None:
        """Only the pool's admins and system admins protect; the lead must be editable, and
        held to be given a protection (one on a waiting or decided lead would pass, unseen, to
        whoever holds it next); the date must be in the future, at most five years ahead; a
        reason is required."""
        lead = facts.lead
        row = TRANSITIONS[lead.status]
        if Action.EDIT not in row or (self.until is not None and not lead.is_open):
            # Protecting is no action of the lifecycle: the refusal names what was asked.
            raise InvalidTransition(lead.id, lead.status.value, "protect", (a.value for a in row))
        actor = facts.actor
        if actor.id not in facts.pool.admins and SYSTEM_ADMIN_ROLE not in actor.roles:
            raise PermissionDenied(
                actor.id,
                "protect",
                f"lead {facts.lead.id!r}",
                f"only admins of pool {facts.pool.name} and system admins protect leads",
            )
        problems: list[FieldProblem] = []
        try:
            checks.text(self.reason, "reason")
        except ValidationError as e:
            problems.extend(e.problems)
        try:
            until = checks.optional_aware(self.until, "until")
            if until is not None and not facts.now < until <= facts.now + FURTHEST_AHEAD:
                problems.append(
                    FieldProblem("until", "must be after now and at most five years ahead")
                )
        except ValidationError as e:
            problems.extend(e.problems)
        if problems:
            raise ValidationError(problems, subject="protection")

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead with its new protection, and a ``lead_protected`` event."""
        lead = facts.lead
        until = checks.optional_aware(self.until, "until")  # in UTC, like every stored time
        if until == lead.protected_until:
            return Outcome(lead)
        new = attrs.evolve(
            lead, protected_until=until, updated_at=facts.now, version=lead.version + 1
        )
        event = Event(
            EventKind.LEAD_PROTECTED,
            facts.now,
            facts.actor.id,
            lead_id=lead.id,
            pool_id=lead.pool_id,
            changes=diff_fields(lead, new),
            reason=checks.text(self.reason, "reason"),
            data={"until": None if until is None else until.isoformat()},
        )
        return Outcome(new, (SaveLead(new, lead.version),), (event,))
