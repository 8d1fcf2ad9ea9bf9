"""Grades (A/B/C/D, configurable), the MQL threshold, and the MQL / SQL steps on a lead.

A grade applies from its ``at_least`` score upward until the next grade's threshold; the lowest
grade starts at 0 so every score has one. A lead is an MQL (营销认可线索) while its score is at
or above the model's ``mql_at_least``; *reaching* that the first time is what the desk announces
(``EventKind.MQL_REACHED``) and stamps in ``Lead.mql_at``. Sales acceptance (SQL, 销售认可线索)
is a recorded step: :func:`accept_sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from leadcore.clock import ensure_aware
from leadcore.model import Lead
from leadcore.scoring.explain import Score
from leadcore.scoring.problems import Problems

__all__ = ["Grade", "accept_sql", "apply_score", "crossed_into_mql", "default_grades"]


@attrs.frozen(slots=True)
class Grade:
    """A grade ``name`` for scores at or above ``at_least``."""

    name: str
    at_least: float


def default_grades(max_score: float) -> tuple[Grade, ...]:
    """A/B/C/D at 75%, 50%, 25% and 0% of the maximum score (used when a model names none)."""
    grades: list[Grade] = []
    for name, share in (("A", 0.75), ("B", 0.5), ("C", 0.25), ("D", 0.0)):
        at_least = int(max_score * share * 1e6 + 0.5) / 1e6
        if grades and grades[-1].at_least == at_least:
            grades.pop()  # a tiny maximum: keep the lower of two grades that coincide
        grades.append(Grade(name, at_least))
    return tuple(grades)


def check_grades(
    grades: Sequence[Grade], mql_at_least: float, max_score: float, problems: Problems
) -> None:
    """Record what is wrong with a model's grades and MQL threshold."""
    seen: set[str] = set()
    previous = float("inf")
    for i, grade in enumerate(grades):
        path = f"grades[{i}]"
        if not isinstance(grade.name, str) or not grade.name.strip():
            problems.add(f"{path}.name", "must be a non-empty name like 'A'")
        elif grade.name in seen:
            problems.add(f"{path}.name", f"grade {grade.name!r} is given twice")
        seen.add(grade.name)
        problems.points(f"{path}.at_least", grade.at_least)
        if grade.at_least >= previous:
            problems.add(
                f"{path}.at_least",
                f"grades go from the highest threshold down: {grade.at_least:g} is not below "
                f"{previous:g}",
            )
        previous = grade.at_least
    if grades and grades[0].at_least > max_score:
        problems.add(
            "grades[0].at_least",
            f"no score can reach {grades[0].at_least:g}: the model's maximum is {max_score:g}",
        )
    if grades and grades[-1].at_least != 0:
        problems.add(
            f"grades[{len(grades) - 1}].at_least",
            "the lowest grade must start at 0 so that every score gets a grade",
        )
    problems.points("mql_at_least", mql_at_least)
    if mql_at_least > max_score:
        problems.add(
            "mql_at_least",
            f"no lead could become an MQL: {mql_at_least:g} is above the maximum {max_score:g}",
        )


def crossed_into_mql(before: Score | None, after: Score) -> bool:
    """Whether a re-score moved a lead into MQL: ``after`` is an MQL and ``before`` (the
    previous score, or ``None`` for a lead never scored) was not."""
    return after.mql and (before is None or not before.mql)


def apply_score(lead: Lead, score: Score, *, now: datetime) -> tuple[Lead, bool]:
    """The lead with ``score``, ``grade`` set and, on first reaching MQL, ``mql_at = now``;
    and whether it reached MQL just now (the desk then emits ``EventKind.MQL_REACHED``).

    ``mql_at`` records the first time only: a lead whose score later falls keeps it, and a
    second crossing does not announce again.
    """
    reached = score.mql and lead.mql_at is None
    mql_at = ensure_aware(now, "now") if reached else lead.mql_at
    if lead.score == score.total and lead.grade == score.grade and not reached:
        return lead, False
    return attrs.evolve(lead, score=score.total, grade=score.grade, mql_at=mql_at), reached


def accept_sql(lead: Lead, *, now: datetime) -> tuple[Lead, bool]:
    """Sales accepts the lead (SQL): the lead with ``sql_at = now``, and whether this is new.

    Accepting twice keeps the first ``sql_at`` and returns ``False``, so the desk emits
    ``EventKind.SQL_ACCEPTED`` once. Permissions and read-only statuses are the desk's concern.
    """
    if lead.sql_at is not None:
        return lead, False
    return attrs.evolve(lead, sql_at=ensure_aware(now, "now")), True
