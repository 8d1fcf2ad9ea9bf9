"""Opening a pool's waiting leads in detail, within the pool's daily limit (anti-scraping).

A member may open at most ``Pool.max_opens_per_day`` different unassigned leads of a pool a
day (UTC); opening one again the same day costs nothing. The pool's admins and system admins
are not limited, nor is the lead's creator. Past the limit the refusal (``LimitReached``) says
how many were opened and when the count resets.

Until a limited member opens such a lead that day, every other read shows it with its phone,
email and WeChat id masked (``138****8000``): pages, ``get``, ``get_many`` and its history.
Otherwise the limit would hold back nobody who can list the pool."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final

import attrs

from leadcore.dedup.masking import mask_email, mask_phone, mask_wechat
from leadcore.errors import LimitReached
from leadcore.events import Event, FieldChange
from leadcore.frozen import replace
from leadcore.model import Action, Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE
from leadcore.records import OwnershipChange

from ..outcome import Outcome
from ..reads import Reads, Subject
from .common import LeadCommand, received

__all__ = ["OpenPoolLead", "as_shown", "history_as_shown", "open_limited"]

_CONTACT_FIELDS: Final = ("phone", "email", "wechat")
"""The contact details a limited member sees masked until they open the lead."""


def open_limited(actor: User, lead: Lead, pool: Pool) -> bool:
    """Whether opening ``lead`` counts against ``actor``'s daily limit in ``pool``: it waits
    unassigned in a pool with ``max_opens_per_day``, and the actor is neither one of the
    pool's admins, a system admin, nor the lead's creator."""
    return (
        pool.max_opens_per_day is not None
        and lead.status is LeadStatus.UNASSIGNED
        and actor.id not in pool.admins
        and SYSTEM_ADMIN_ROLE not in actor.roles
        and lead.created_by != actor.id
    )


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _opened_today(reads: Reads, actor: User, lead: Lead) -> bool:
    last = reads.uow.last_ownership(actor.id, lead.id, OwnershipChange.OPENED)
    return last is not None and last >= _day_start(reads.now)


def _hidden(reads: Reads, actor: User, lead: Lead, pool: Pool) -> bool:
    """Whether ``actor`` sees ``lead``'s contact details masked now."""
    return open_limited(actor, lead, pool) and not _opened_today(reads, actor, lead)


def as_shown(
    reads: Reads, actor: User, leads: list[Lead], pools: Mapping[str, Pool] | None = None
) -> list[Lead]:
    """``leads`` as ``actor`` may see them: the contact details of a pool's waiting lead they
    have not opened today masked when the pool limits opens (``pools`` by id, read when not
    given)."""
    if pools is None:
        pools = {p.id: p for p in reads.uow.list_pools()} if leads else {}
    if not any(p.max_opens_per_day is not None for p in pools.values()):
        return leads  # the common case: no pool limits opens
    return [
        _masked(lead) if _hidden(reads, actor, lead, pools[lead.pool_id]) else lead
        for lead in leads
    ]


def history_as_shown(
    reads: Reads, actor: User, lead: Lead, pool: Pool, events: list[Event]
) -> list[Event]:
    """``events`` of ``lead`` as ``actor`` may see them: contact details in their changes and
    data masked while the lead's are (see :func:`as_shown`)."""
    if not _hidden(reads, actor, lead, pool):
        return events
    return [_masked_event(event) for event in events]


def _masked(lead: Lead) -> Lead:
    return replace(lead, **{name: _mask(name, getattr(lead, name)) for name in _CONTACT_FIELDS})


def _masked_event(event: Event) -> Event:
    changes = tuple(
        FieldChange(c.field, _mask(c.field, c.before), _mask(c.field, c.after))
        if c.field in _CONTACT_FIELDS
        else c
        for c in event.changes
    )
    data = {key: _mask(key, value) for key, value in event.data.items()}
    return attrs.evolve(event, changes=changes, data=data)


_MASKS: Final[Mapping[str, Callable[[str], str]]] = {
    "phone": mask_phone,
    "email": mask_email,
    "wechat": mask_wechat,
}


def _mask(field: str, value: object) -> object:
    mask = _MASKS.get(field)
    if mask is None or not isinstance(value, str) or not value:
        return value
    return mask(value)


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
        return _day_start(self.subject.now)


@attrs.frozen(kw_only=True)
class OpenPoolLead(LeadCommand):
    """Open a lead in detail: the lead if the actor may see it, counted against the pool's
    daily limit when it is one of the pool's waiting leads."""

    action: ClassVar[Action] = Action.VIEW

    def load(self, reads: Reads) -> OpenFacts:
        """The subject and, when the limit applies, today's opens."""
        s = self.subject(reads)
        actor, pool = s.actor, s.pool
        if not open_limited(actor, s.lead, pool):
            return OpenFacts(s, False)
        count = reads.uow.count_ownership(
            actor.id, changes=(OwnershipChange.OPENED,), since=_day_start(s.now), pool_id=pool.id
        )
        return OpenFacts(s, True, count, _opened_today(reads, actor, s.lead))

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
