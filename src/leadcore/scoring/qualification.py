"""The MQL and SQL steps on a lead.

A lead is an MQL (营销认可线索) while its score is at or above the model's ``mql_at_least``;
*reaching* that the first time is what the desk announces (``EventKind.MQL_REACHED``) and stamps
in ``Lead.mql_at``. Sales acceptance (SQL, 销售认可线索) is a recorded step: :func:`accept_sql`.
"""

from __future__ import annotations

from datetime import datetime

from leadcore.checks import article
from leadcore.clock import ensure_aware
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import replace
from leadcore.model import Lead
from leadcore.scoring.explain import Score

__all__ = ["accept_sql", "apply_score", "crossed_into_mql"]


def _must_be(value: object, kind: type, field: str, *, optional: bool = False) -> None:
    if not isinstance(value, kind) and not (optional and value is None):
        also = " or None" if optional else ""
        raise ValidationError(
            [
                FieldProblem(
                    field,
                    f"must be {article(kind.__name__)} {kind.__name__}{also}, not {type(value).__name__}",
                )
            ]
        )


def crossed_into_mql(before: Score | None, after: Score) -> bool:
    """Whether a re-score moved a lead into MQL: ``after`` is an MQL and ``before`` (the
    previous score, or ``None`` for a lead never scored) was not."""
    _must_be(before, Score, "before", optional=True)
    _must_be(after, Score, "after")
    return after.mql and (before is None or not before.mql)


def apply_score(lead: Lead, score: Score, *, now: datetime) -> tuple[Lead, bool]:
    """The lead with ``score``, ``grade`` set and, on first reaching MQL, ``mql_at = now``;
    and whether it reached MQL just now (the desk then emits ``EventKind.MQL_REACHED``).

    ``mql_at`` records the first time only: a lead whose score later falls keeps it, and a
    second crossing does not announce again. ``now`` must be aware whether or not the lead
    crosses.
    """
    _must_be(lead, Lead, "lead")
    _must_be(score, Score, "score")
    now = ensure_aware(now, "now")
    reached = score.mql and lead.mql_at is None
    mql_at = now if reached else lead.mql_at
    if lead.score == score.total and lead.grade == score.grade and not reached:
        return lead, False
    return replace(lead, score=score.total, grade=score.grade, mql_at=mql_at), reached


def accept_sql(lead: Lead, *, now: datetime) -> tuple[Lead, bool]:
    """Sales accepts the lead (SQL): the lead with ``sql_at = now``, and whether this is new.

    Accepting twice keeps the first ``sql_at`` and returns ``False``, so the desk emits
    ``EventKind.SQL_ACCEPTED`` once. Permissions and read-only statuses are the desk's concern.
    """
    _must_be(lead, Lead, "lead")
    now = ensure_aware(now, "now")
    if lead.sql_at is not None:
        return lead, False
    return replace(lead, sql_at=now), True
