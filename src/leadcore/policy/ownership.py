"""Who may own a lead, in one place: the rule every hand-out obeys (create, assign,
auto-assign, claim, change owner, transfer and their batch forms).

A user may receive a lead in a pool when they exist, are active, belong to the pool, are not
away, hold fewer open leads than the pool's ``max_open_per_user`` (库容), and have not reached a
quota of the pool's quota policy (leads received per day, week or month). A lead is never
handed to anyone else; a user removed from a pool keeps the leads they hold but receives none.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Pool
from leadcore.org import User
from leadcore.policy.quotas import QuotaUse
from leadcore.records import Away

__all__ = ["OwnerFacts", "owner_problem", "owner_refusal", "refusal_of"]


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class OwnerFacts:
    """What the rule needs to know about a would-be owner: the user (None when the directory
    does not know them), their open leads now (None when not counted), the away period
    covering now (None when they are in) and where they stand against each quota binding them
    in the pool (none when the pool has no quota policy)."""

    user: User | None
    open_count: int | None = None
    away: Away | None = None
    quotas: tuple[QuotaUse, ...] = ()

    def plus(self, count: int) -> OwnerFacts:
        """The facts once the user has received ``count`` more leads (negative: fewer): each
        counts toward their open leads (when counted) and every quota. ``ValidationError``
        naming ``count`` for anything but a whole number, or one that would leave fewer than
        no leads."""
        count = checks.whole(
            count, "count", least=-checks.MAX_STORED_NUMBER, most=checks.MAX_STORED_NUMBER
        )
        if not count:
            return self
        if self.open_count is not None and self.open_count + count < 0:
            reason = (
                f"would leave {self.open_count + count} open leads (they hold {self.open_count})"
            )
            raise ValidationError([FieldProblem("count", reason)])
        return attrs.evolve(
            self,
            open_count=None if self.open_count is None else self.open_count + count,
            quotas=tuple(use.plus(count) for use in self.quotas),
        )

    def room(self, pool: Pool) -> int | None:
        """How many more leads of ``pool`` the pool's cap and the user's quotas let them
        receive (0: none), None when neither limits them. Whether they may receive any at
        all is :func:`owner_refusal`'s answer; this is how long a yes lasts in a batch."""
        left = [use.allowed - use.received for use in self.quotas]
        cap = pool.max_open_per_user
        if cap is not None and self.open_count is not None:
            left.append(cap - self.open_count)
        return max(min(left), 0) if left else None


def owner_refusal(user_id: str, facts: OwnerFacts, pool: Pool) -> str | None:
    """Why ``user_id`` may not receive a lead of ``pool`` (a reason without the user's name,
    e.g. "inactive (deactivated)"), or None when they may."""
    return refusal_of(user_id, facts.user, facts.open_count, facts.away, pool, quotas=facts.quotas)


def refusal_of(
    user_id: str,
    user: User | None,
    open_count: int | None,
    away: Away | None,
    pool: Pool,
    *,
    quotas: tuple[QuotaUse, ...] = (),
) -> str | None:
    """:func:`owner_refusal` from the facts themselves (for screening many candidates without
    building an ``OwnerFacts`` each)."""
    if user is None:
        return "unknown user"
    if not user.active:
        return "inactive (deactivated)"
    if not pool.is_member(user_id):
        return f"not a member of pool {pool.name}"
    if away is not None:
        note = f" ({away.note})" if away.note else ""
        return f"away until {_when(away.end)}{note}"
    cap = pool.max_open_per_user
    if cap is not None and open_count is not None and open_count >= cap:
        return f"over the pool's cap: {open_count} open, pool {pool.name} allows {cap}"
    for use in quotas:
        if use.reached:
            return use.refusal()
    return None


def owner_problem(user_id: str, facts: OwnerFacts, pool: Pool) -> str | None:
    """:func:`owner_refusal` as a sentence about the user: "user 'zoe' is not eligible:
    inactive (deactivated)"."""
    refusal = owner_refusal(user_id, facts, pool)
    return (
        None
        if refusal is None
        else f"user {user_id!r} cannot receive leads of pool {pool.name}: {refusal}"
    )


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"
