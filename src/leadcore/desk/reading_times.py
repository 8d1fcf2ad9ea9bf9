"""Reading the time-keeping through the desk: a lead's time left (剩余时间), "my leads" by time
left, and follow-ups by author and period — every answer through the one view rule."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from leadcore import checks
from leadcore.errors import FieldProblem
from leadcore.model import OPEN_STATUSES, FollowUp, Pool
from leadcore.query import LeadQuery
from leadcore.sla import TimeLeft, time_left

from .reading import Collected
from .reads import Reads

__all__ = ["follow_up_log", "lead_time_left", "leads_by_time_left"]

_MOST: Final = 1000


def lead_time_left(reads: Reads, actor_id: str, lead_id: str) -> TimeLeft:
    """The lead's time left now, for those who may see it."""
    s = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    return time_left(s.lead, reads.setup.sla_of(s.pool), reads.now)


def leads_by_time_left(reads: Reads, actor_id: str, limit: object) -> list[TimeLeft]:
    """The actor's held leads, soonest to be recycled or reassigned first (leads no rule acts
    on last), at most ``limit``."""
    took = Collected()
    took(lambda: checks.identifier(actor_id, "actor_id"), "")
    most = took(lambda: checks.whole(limit, "limit", least=1, most=_MOST), 1)
    took.raise_any("time-left list")
    actor = reads.actor(actor_id)
    held = reads.uow.find_leads(LeadQuery(owner_id=actor.id, statuses=OPEN_STATUSES))
    pools: dict[str, Pool] = {}
    found = []
    for lead in held:
        pool = pools.get(lead.pool_id) or pools.setdefault(lead.pool_id, reads.pool(lead.pool_id))
        found.append(time_left(lead, reads.setup.sla_of(pool), reads.now))
    found.sort(key=TimeLeft.sort_key)
    return found[:most]


def follow_up_log(
    reads: Reads,
    actor_id: str,
    *,
    author_id: object,
    since: object,
    before: object,
    limit: object,
) -> list[FollowUp]:
    """Follow-ups by ``author_id`` (any author when None) from ``since`` (inclusive) to
    ``before`` (exclusive), oldest first, at most ``limit`` — only those on leads the actor
    may see."""
    took = Collected()
    took(lambda: checks.identifier(actor_id, "actor_id"), "")
    author = took(
        lambda: None if author_id is None else checks.identifier(author_id, "author_id"), None
    )
    start = took(lambda: checks.optional_aware(since, "since"), None)
    end = took(lambda: checks.optional_aware(before, "before"), None)
    most = took(lambda: checks.whole(limit, "limit", least=1, most=_MOST), 1)
    if start is not None and end is not None and end < start:
        took.problems.append(FieldProblem("before", "is before since; swap them"))
    took.raise_any("follow-up log")
    actor = reads.actor(actor_id)
    scope = reads.view_scope(actor)
    found: list[FollowUp] = []
    after: tuple[datetime, str] | None = None
    page = max(most, 50)
    while len(found) < most:
        chunk = reads.uow.find_follow_ups(
            author_id=author, since=start, before=end, after=after, limit=page
        )
        leads = reads.uow.get_leads({f.lead_id for f in chunk})
        for record in chunk:
            lead = leads.get(record.lead_id)
            if lead is not None and scope.covers(lead):
                found.append(record)
                if len(found) == most:
                    break
        if len(chunk) < page:
            break
        after = (chunk[-1].at, chunk[-1].id)
    return found
