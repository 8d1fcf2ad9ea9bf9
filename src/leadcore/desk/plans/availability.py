"""Availability (休假): when a user is away, strategies and every hand-out skip them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, PermissionDenied, ValidationError
from leadcore.events import Event, EventKind, FieldChange
from leadcore.org import User
from leadcore.records import Away

from ..outcome import Outcome, SetAway
from ..reads import Reads
from ..setup import Setup

__all__ = ["SetAvailability", "away_periods"]


def away_periods(user_id: str, periods: object) -> tuple[Away, ...]:
    """``periods`` for ``user_id``: ``Away`` records (of that user) or ``(start, end)`` /
    ``(start, end, note)`` tuples; ``ValidationError`` naming each bad one."""
    if isinstance(periods, str | bytes) or not isinstance(periods, Iterable):
        raise ValidationError([FieldProblem("periods", "must be a list of (start, end) periods")])
    found = []
    problems: list[FieldProblem] = []
    for i, item in enumerate(periods):
        path = f"periods[{i}]"
        try:
            if isinstance(item, Away):
                if item.user_id != user_id:
                    raise ValidationError(
                        [
                            FieldProblem(
                                f"{path}.user_id", f"is {item.user_id!r}, expected {user_id!r}"
                            )
                        ]
                    )
                # Kept in UTC, as every time the desk is given.
                found.append(
                    Away(
                        user_id,
                        checks.aware(item.start, f"{path}.start"),
                        checks.aware(item.end, f"{path}.end"),
                        item.note,
                    )
                )
            elif isinstance(item, tuple) and len(item) in (2, 3):
                start = checks.aware(item[0], f"{path}.start")
                end = checks.aware(item[1], f"{path}.end")
                note = (
                    checks.text(item[2], f"{path}.note", required=False) if len(item) == 3 else ""
                )
                found.append(Away(user_id, start, end, note))
            else:
                raise ValidationError(
                    [FieldProblem(path, "must be Away(...) or a (start, end[, note]) tuple")]
                )
        except ValidationError as e:
            problems.extend(
                FieldProblem(
                    p.field if p.field.startswith("periods") else f"{path}.{p.field}", p.reason
                )
                for p in e.problems
            )
    if problems:
        raise ValidationError(problems, subject="away periods")
    return tuple(found)


@attrs.frozen(slots=True)
class AvailabilityFacts:
    """Who acts, for whom, when, and the periods recorded before."""

    actor: User
    user: User
    now: datetime
    before: tuple[Away, ...]


@attrs.frozen(kw_only=True)
class SetAvailability:
    """Replace when ``user_id`` is away (the user themself or a system admin may)."""

    setup: Setup
    actor_id: str
    user_id: str
    periods: object

    def load(self, reads: Reads) -> AvailabilityFacts:
        """The actor, the user and their current periods."""
        actor = reads.actor(self.actor_id)
        user = self.setup.org.user(checks.identifier(self.user_id, "user_id"))
        before = tuple(reads.uow.away_periods([user.id]).get(user.id, ()))
        return AvailabilityFacts(actor, user, reads.now, before)

    def decide(self, facts: AvailabilityFacts) -> None:
        """Users manage their own availability; system admins anyone's."""
        decision = self.setup.policy.may_manage_availability(facts.actor, facts.user.id)
        if not decision:
            raise PermissionDenied(
                facts.actor.id,
                "set the availability of",
                f"user {facts.user.id!r}",
                decision.reason,
            )

    def plan(self, facts: AvailabilityFacts) -> Outcome[list[Away]]:
        """The new periods and an ``availability_changed`` event."""
        periods = away_periods(facts.user.id, self.periods)
        event = Event(
            EventKind.AVAILABILITY_CHANGED,
            facts.now,
            facts.actor.id,
            changes=(FieldChange(f"away:{facts.user.id}", _plain(facts.before), _plain(periods)),),
            data={"user_id": facts.user.id},
        )
        return Outcome(list(periods), events=(event,), records=(SetAway(facts.user.id, periods),))


def _plain(periods: Iterable[Away]) -> list[dict[str, str]]:
    return [
        {"start": p.start.isoformat(), "end": p.end.isoformat(), "note": p.note} for p in periods
    ]
