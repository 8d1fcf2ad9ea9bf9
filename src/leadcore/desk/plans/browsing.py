"""Opening a pool's waiting leads in detail, within the pool's daily limit (anti-scraping).

A member may open at most ``Pool.max_opens_per_day`` different unassigned leads of a pool a
day (UTC); opening one again the same day costs nothing. The pool's admins and system admins
are not limited. Past the limit the refusal (``LimitReached``) says how many were opened and
when the count resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import attrs

from leadcore.errors import LimitReached
from leadcore.model import Action, Lead, LeadStatus
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE
from leadcore.records import OwnershipChange

from ..outcome import Outcome
from ..reads import Reads, Subject
from .common import LeadCommand, received

__all__ = ["OpenPoolLead"]


@attrs.frozen(slots=True)
class OpenFacts:
    """The subject, whether the limit applies, the opens counted today, and whether this lead
    was already opened today."""

    subject: Subject
    limited: bool
    opened_today: int = 0
    already: bool = False

    @property
    def day_start(self) -> datetime:
        """The start of the subject's day (UTC)."""
        return self.subject.now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@attrs.frozen(kw_only=True)
class OpenPoolLead(LeadCommand):
    """Open a lead in detail: the lead if the actor may see it, counted against the pool's
    daily limit when it is one of the pool's waiting leads."""

    action: ClassVar[Action] = Action.VIEW

    def load(self, reads: Reads) -> OpenFacts:
        """The subject and, when the limit applies, today's opens."""
        s = self.subject(reads)
        actor, pool = s.actor, s.pool
        limited = (
            pool.max_opens_per_day is not None
            and s.lead.status is LeadStatus.UNASSIGNED
            and actor.id not in pool.admins
            and SYSTEM_ADMIN_ROLE not in actor.roles
        )
        if not limited:
            return OpenFacts(s, False)
        facts = OpenFacts(s, True)
        day = facts.day_start
        last = reads.uow.last_ownership(actor.id, s.lead.id, OwnershipChange.OPENED)
        count = reads.uow.count_ownership(
            actor.id, changes=(OwnershipChange.OPENED,), since=day, pool_id=pool.id
        )
        return OpenFacts(s, True, count, last is not None and last >= day)

    def decide(self, facts: OpenFacts) -> None:
        """The actor may view the lead; a new open must fit in today's limit."""
        self.require(facts.subject)
        limit = facts.subject.pool.max_opens_per_day
        full = limit is not None and facts.opened_today >= limit
        if facts.limited and not facts.already and limit is not None and full:
            raise LimitReached(
                facts.subject.actor.id,
                "open more leads of",
                f"pool {facts.subject.pool.name}",
                count=facts.opened_today,
                limit=limit,
                resets_at=facts.day_start + timedelta(days=1),
            )

    def plan(self, facts: OpenFacts) -> Outcome[Lead]:
        """The lead, and the open recorded when it counts."""
        s = facts.subject
        if not facts.limited or facts.already:
            return Outcome(s.lead)
        return Outcome(
            s.lead, records=(received(s.actor.id, s.lead, s.now, OwnershipChange.OPENED),)
        )
