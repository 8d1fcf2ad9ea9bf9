"""The claim rule (抢单) beyond the roles: a pool's caps on claims, decided from plain facts.

The policy's rules say who may claim at all (members of a pool that allows claiming); this
module adds the pool's limits: the open-lead cap every owner is held to, claims per day, the
lock on newly arrived leads (measured from their arrival in the pool, not from their last
edit), and the cool-down before re-claiming a lead one gave back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from leadcore.checks import counted
from leadcore.model import Lead, Pool
from leadcore.org import User
from leadcore.policy.ownership import OwnerFacts, owner_refusal
from leadcore.policy.quotas import QuotaUse
from leadcore.records import Away
from leadcore.signatures import checked_constructor

__all__ = ["ClaimFacts", "claim_refusal"]

_LAST: datetime = datetime.max.replace(tzinfo=UTC)


def _after(at: datetime, hours: float) -> datetime:
    """``hours`` after ``at``, or the last instant of the calendar when that lies past it (a
    stored time near year 9999 still leaves a lock or a cool-down that has not ended)."""
    try:
        return at + timedelta(hours=hours)
    except OverflowError:
        return _LAST


@checked_constructor
@attrs.frozen(slots=True)
class ClaimFacts:
    """What the claim caps need: the claimer's open leads now, their claims since the start of
    today (UTC), when they last gave this lead back (None if never), when the lead arrived in
    its pool (created in it or transferred to it; None when the pool has no new-lead lock),
    where they stand against the pool's quotas, and the away period covering now (None when
    they are in: a user away receives no lead, by claim or otherwise)."""

    open_count: int
    claims_today: int
    last_given_back_at: datetime | None = None
    arrived_at: datetime | None = None
    quotas: tuple[QuotaUse, ...] = ()
    away: Away | None = None


def claim_refusal(
    actor: User, lead: Lead, pool: Pool, facts: ClaimFacts, *, now: datetime
) -> str | None:
    """Why ``actor`` may not claim ``lead`` within ``pool``'s caps, or None when they may. The
    first limit broken gives the reason."""
    refusal = owner_refusal(
        actor.id, OwnerFacts(actor, facts.open_count, facts.away, facts.quotas), pool
    )
    if refusal is not None:
        return refusal
    per_day = pool.max_claims_per_day
    if per_day is not None and facts.claims_today >= per_day:
        return (
            f"{actor.id} has claimed {counted(facts.claims_today, 'lead')} today; "
            f"pool {pool.name} allows {per_day} a day"
        )
    lock, arrived = pool.claim_lock_hours, facts.arrived_at
    if lock is not None and arrived is not None:
        opens = _after(arrived, lock)
        if now < opens:
            return (
                f"lead {lead.id} arrived in pool {pool.name} at {arrived:%Y-%m-%d %H:%M}; "
                f"members may claim it from {opens:%Y-%m-%d %H:%M} ({lock:g} h new-lead lock)"
            )
    cooldown = pool.claim_cooldown_hours
    given_back = facts.last_given_back_at
    if cooldown is not None and given_back is not None:
        until = _after(given_back, cooldown)
        if now < until:
            return (
                f"{actor.id} gave lead {lead.id} back at {given_back:%Y-%m-%d %H:%M}; "
                f"may claim it again after {until:%Y-%m-%d %H:%M} ({cooldown:g} h cool-down)"
            )
    return None
