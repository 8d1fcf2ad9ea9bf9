"""Records the store keeps beside leads: temporary grants, ownership records, away periods.

Each is a plain, immutable attrs value with a typed place in the store protocol, so a decision
reads exactly what it needs through an index (a user's unexpired grants, a user's claims since
a moment, a user's away periods) instead of parsing key-value state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

import attrs

from leadcore.checks import aware, id_problem, kept_text
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Action
from leadcore.signatures import checked_constructor

__all__ = [
    "Away",
    "Grant",
    "GrantStatus",
    "OwnershipChange",
    "OwnershipRecord",
    "away_at",
]


def _aware(value: object) -> bool:
    return (
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None
    )


class GrantStatus(LabelledEnum):
    """Where a temporary grant stands."""

    PENDING = "pending", "待审批", "Pending"
    APPROVED = "approved", "已批准", "Approved"
    REVOKED = "revoked", "已撤销", "Revoked"


_VIEW_ONLY: Final = frozenset({Action.VIEW})


@checked_constructor
@attrs.frozen(slots=True)
class Grant:
    """Temporary rights for ``grantee_id`` on one lead (临时查看权限). The clock starts at
    approval: ``expires_at`` is ``approved_at + hours``. It confers ``actions`` only while
    approved and unexpired (see ``is_active``)."""

    id: str
    grantee_id: str
    lead_id: str
    reason: str
    requested_at: datetime
    hours: float
    actions: frozenset[Action] = _VIEW_ONLY
    status: GrantStatus = GrantStatus.PENDING
    approved_by: str | None = None
    approved_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_by: str | None = None

    def is_active(self, now: datetime) -> bool:
        """Whether the grant confers its actions at ``now`` (timezone-aware, else a
        ``ValidationError`` naming ``now``)."""
        try:
            return (
                self.status is GrantStatus.APPROVED
                and self.expires_at is not None
                and (self.approved_at is None or self.approved_at <= now)
                and now < self.expires_at
            )
        except TypeError:
            aware(now, "now")  # says what is wrong with it
            raise

    def allows(self, user_id: str, lead_id: str, action: Action, now: datetime) -> bool:
        """Whether this grant lets ``user_id`` take ``action`` on ``lead_id`` at ``now``."""
        return (
            self.grantee_id == user_id
            and self.lead_id == lead_id
            and action in self.actions
            and self.is_active(now)
        )


class OwnershipChange(LabelledEnum):
    """What an ownership record says happened between a user and a lead."""

    CLAIMED = "claimed", "抢单", "Claimed"
    ASSIGNED = "assigned", "分配", "Assigned"
    RELEASED = "released", "交还", "Given back"
    OPENED = "opened", "查看池中线索", "Opened from the pool"


RECEIVED: Final = frozenset({OwnershipChange.CLAIMED, OwnershipChange.ASSIGNED})
"""The changes through which a user receives a lead (they count toward quotas)."""


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class OwnershipRecord:
    """A user received a lead (claimed or was assigned it) or gave it back (released, returned,
    reclaimed, recycled), at ``at``. Claim limits, re-claim cool-downs and quotas count these.
    ``OPENED`` records a member opening one of the pool's waiting leads in detail (the daily
    browsing limit counts them)."""

    user_id: str
    lead_id: str
    pool_id: str
    at: datetime
    change: OwnershipChange


@checked_constructor
@attrs.frozen(slots=True)
class Away:
    """A period a user is away (休假/外出): from ``start`` (inclusive) to ``end`` (exclusive).

    Raises ``ValidationError`` unless ``user_id`` is an id, both times are timezone-aware,
    ``end`` is after ``start`` and ``note`` is text every store can keep."""

    user_id: str
    start: datetime
    end: datetime
    note: str = ""

    def __attrs_post_init__(self) -> None:
        problems = [
            FieldProblem(name, "needs a timezone, e.g. 2026-03-02T09:00:00+08:00")
            for name in ("start", "end")
            if not _aware(getattr(self, name))
        ]
        if not problems and not self.end > self.start:
            problems.append(FieldProblem("end", "must be after start"))
        note = _note_problem(self.note)
        if note is not None:
            problems.append(FieldProblem("note", note))
        why = id_problem(self.user_id)
        if why is not None:
            problems.insert(0, FieldProblem("user_id", why))
        if problems:
            raise ValidationError(problems, subject=f"away period of {self.user_id!r:.40}")

    def covers(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware, else a ``ValidationError`` naming ``at``) falls
        within the period."""
        try:
            return self.start <= at < self.end
        except TypeError:
            aware(at, "at")  # says what is wrong with it
            raise


def away_at(periods: Iterable[Away], at: datetime) -> Away | None:
    """The user's absence at ``at`` among ``periods`` (theirs), or None: of the periods
    covering ``at``, the one ending last, its end moved on past every period overlapping or
    adjoining it, so that "away until" says when the user is back."""
    periods = list(periods)
    covering = [p for p in periods if p.covers(at)]
    if not covering:
        return None
    found = max(covering, key=lambda p: p.end)
    end = found.end
    for period in sorted((p for p in periods if p.end > end), key=lambda p: p.start):
        if period.start > end:
            break
        end = max(end, period.end)
    return found if end == found.end else attrs.evolve(found, end=end)


def _note_problem(note: object) -> str | None:
    """What is wrong with an away period's note, or None: it must be text every store can
    keep (no lone surrogate, which cannot be written as UTF-8)."""
    try:
        kept_text(note, "note")
    except ValidationError as e:
        return e.problems[0].reason
    return None
