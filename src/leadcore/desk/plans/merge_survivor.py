"""Which lead of a merge survives: a pluggable :class:`SurvivorRule` ranks the leads (by
default :class:`LatestFollowUp`, the lead followed up most recently), and a host's rule that
fails or answers with anything but those leads refuses the merge, naming ``rule``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import attrs

from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.model import FollowUp, Lead

__all__ = ["LatestFollowUp", "SurvivorRule", "ranked_ids"]


@runtime_checkable
class SurvivorRule(Protocol):
    """Ranks the leads of a merge: the first one survives, the others give their details in
    this order."""

    def rank(
        self, leads: Sequence[Lead], follow_ups: Mapping[str, Sequence[FollowUp]]
    ) -> list[Lead]:
        """``leads`` best first."""
        ...


@attrs.frozen(slots=True)
class LatestFollowUp:
    """The lead followed up most recently survives (its newest follow-up, else its
    ``last_followed_at``); a lead never followed up ranks after those that were; ties go to
    the lead created first, then the smaller id."""

    def rank(
        self, leads: Sequence[Lead], follow_ups: Mapping[str, Sequence[FollowUp]]
    ) -> list[Lead]:
        """See :class:`SurvivorRule`."""

        def latest(lead: Lead) -> datetime | None:
            times = [f.at for f in follow_ups.get(lead.id, ())]
            if lead.last_followed_at is not None:
                times.append(lead.last_followed_at)
            return max(times) if times else None

        def key(lead: Lead) -> tuple[int, float, datetime, str]:
            when = latest(lead)
            return (
                0 if when else 1,
                -(when.timestamp() if when else 0.0),
                lead.created_at,
                lead.id,
            )

        return sorted(leads, key=key)


def ranked_ids(
    rule: SurvivorRule, leads: list[Lead], follow_ups: Mapping[str, Sequence[FollowUp]]
) -> list[str]:
    """The ids of ``leads`` in the order ``rule`` ranks them; ``ValidationError`` on ``rule``
    when the host's rule fails or answers with anything but a list of those leads."""
    try:
        # Copies: whatever the host's rule does to what it is handed, the merge reads its own.
        given = rule.rank(list(leads), MappingProxyType(dict(follow_ups)))
        if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
            shown = type(given).__name__
            raise ValidationError(
                [FieldProblem("rule", f"rank() must return a list of the leads given, not {shown}")]
            )
        answer = list(given)
    except LeadcoreError:
        raise
    except Exception as e:  # the host's rule: any failure refuses the merge, naming it
        raise ValidationError(
            [FieldProblem("rule", f"rank() failed: {type(e).__name__}: {e}")]
        ) from e
    if not all(isinstance(lead, Lead) for lead in answer):
        shown = next(type(x).__name__ for x in answer if not isinstance(x, Lead))
        raise ValidationError(
            [FieldProblem("rule", f"rank() must return the leads given (Lead), not {shown}")]
        )
    return [lead.id for lead in answer]
