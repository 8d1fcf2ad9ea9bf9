"""Claim rules (抢单): when a pool member may take an unassigned lead for themselves.

Pure checks over the counts the desk reads from the store, plus the small per-user, per-day claim
counter the store keeps as state so every process sharing the store sees the same count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from leadcore.model import Lead, Pool
from leadcore.org import User
from leadcore.storage.protocol import UnitOfWork

__all__ = ["ClaimCheck", "check_claim", "claims_today", "record_claim"]


@attrs.frozen
class ClaimCheck:
    """Whether a claim is within the pool's limits and, if not, which limit it breaks."""

    allowed: bool
    reason: str


def check_claim(
    user: User,
    lead: Lead,
    pool: Pool,
    *,
    open_count: int,
    claims_today: int,
    last_released_by_user_at: datetime | None,
    now: datetime,
) -> ClaimCheck:
    """Check a claim of ``lead`` by ``user`` against ``pool``'s claim settings.

    ``open_count`` is how many open leads the user holds now, ``claims_today`` how many leads they
    claimed today (UTC day), ``last_released_by_user_at`` when they last released or returned this
    lead (None if never). The first limit broken gives the reason.
    """
    if not pool.claim_enabled:
        return ClaimCheck(False, f"pool {pool.name} does not allow claiming")
    cap = pool.max_open_per_user
    if cap is not None and open_count >= cap:
        return ClaimCheck(
            False, f"{user.id} already holds {open_count} open leads; pool {pool.name} allows {cap}"
        )
    per_day = pool.max_claims_per_day
    if per_day is not None and claims_today >= per_day:
        return ClaimCheck(
            False,
            f"{user.id} has claimed {claims_today} leads today; pool {pool.name} allows {per_day} a day",
        )
    cooldown = pool.claim_cooldown_hours
    if cooldown is not None and last_released_by_user_at is not None:
        until = last_released_by_user_at + timedelta(hours=cooldown)
        if now < until:
            return ClaimCheck(
                False,
                f"{user.id} released lead {lead.id} at {last_released_by_user_at:%Y-%m-%d %H:%M}; "
                f"may claim it again after {until:%Y-%m-%d %H:%M} ({cooldown:g} h cool-down)",
            )
    return ClaimCheck(True, f"within pool {pool.name}'s claim limits")


def _claims_key(user_id: str, now: datetime) -> str:
    return f"claims:{user_id}:{now.date().isoformat()}"


def claims_today(uow: UnitOfWork, user_id: str, now: datetime) -> int:
    """How many leads ``user_id`` has claimed on ``now``'s UTC day, from the store's state."""
    value = uow.get_state(_claims_key(user_id, now))
    return value if isinstance(value, int) else 0


def record_claim(uow: UnitOfWork, user_id: str, now: datetime) -> None:
    """Count one more claim for ``user_id`` today (in the claim's own unit of work)."""
    uow.set_state(_claims_key(user_id, now), claims_today(uow, user_id, now) + 1)
