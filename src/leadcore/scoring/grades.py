"""Grades (A/B/C/D, configurable) and the one rule that gives a number its grade.

A grade applies from its ``at_least`` upward until the next grade's threshold: grades run from
the highest threshold down and a number gets the first grade whose threshold it reaches, or the
lowest grade when it reaches none. A score model's lowest grade starts at 0 so every score has
one; the learned grade uses the same rule on conversion probabilities.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.scoring.problems import Problems
from leadcore.scoring.rounding import round6
from leadcore.signatures import checked_constructor

__all__ = ["Grade", "GradeScale", "as_grades", "check_grades", "default_grades"]


@checked_constructor
@attrs.frozen(slots=True)
class Grade:
    """A grade for scores at or above a threshold."""

    name: str
    """What the grade is called, e.g. ``A``."""
    at_least: float
    """The lowest score with this grade."""

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        if not isinstance(self.name, str) or not self.name.strip():
            problems.add("name", "must be a non-empty name like 'A'")
        problems.points("at_least", self.at_least)
        problems.raise_invalid("grade")


@checked_constructor
@attrs.frozen(slots=True)
class GradeScale:
    """Grades from the highest threshold down (each below the one before), ready to grade many
    numbers quickly."""

    grades: tuple[Grade, ...]
    _rising: tuple[float, ...] = attrs.field(init=False, eq=False, repr=False)
    _names: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """``ValidationError`` naming ``grades[i]`` unless there is at least one grade and
        each is below the one before."""
        problems = Problems()
        grades = as_grades(self.grades, problems)
        if not grades and not problems.found:
            problems.add("grades", "name at least one grade, like Grade('A', 0)")
        for i in range(1, len(grades)):
            if grades[i].at_least >= grades[i - 1].at_least:
                problems.add(
                    f"grades[{i}].at_least",
                    f"grades go from the highest threshold down: {grades[i].at_least:g} is "
                    f"not below {grades[i - 1].at_least:g}",
                )
        problems.raise_invalid("grade scale")
        lowest_first = grades[::-1]
        object.__setattr__(self, "grades", grades)
        object.__setattr__(self, "_rising", tuple(g.at_least for g in lowest_first))
        object.__setattr__(self, "_names", tuple(g.name for g in lowest_first))

    @classmethod
    def of(cls, grades: Iterable[Grade | tuple[str, float]]) -> GradeScale:
        """A scale from ``Grade`` objects or ``(name, at_least)`` pairs, highest first."""
        problems = Problems()
        found = as_grades(grades, problems)
        problems.raise_invalid("grade scale")
        return cls(found)

    def grade_for(self, value: float) -> str:
        """The first grade whose threshold ``value`` reaches, else the lowest grade."""
        reached = bisect_right(self._rising, value) - 1
        return self._names[reached if reached > 0 else 0]


def as_grades(given: object, problems: Problems) -> tuple[Grade, ...]:
    """``given`` as grades: ``Grade`` objects or ``(name, at_least)`` pairs, highest first;
    records a problem at ``grades`` for anything else."""
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        problems.add(
            "grades", f"must list Grade(name, at_least) values, not {type(given).__name__}"
        )
        return ()
    found: list[Grade] = []
    for i, item in enumerate(given):
        if isinstance(item, Grade):
            found.append(item)
        elif isinstance(item, tuple | list) and len(item) == 2:
            try:
                found.append(Grade(item[0], item[1]))
            except ValidationError as e:
                problems.found += [
                    FieldProblem(f"grades[{i}].{p.field}", p.reason) for p in e.problems
                ]
        else:
            problems.add(f"grades[{i}]", f"must be a Grade(name, at_least), not {item!r:.40}")
    return tuple(found)


def default_grades(max_score: float) -> tuple[Grade, ...]:
    """A/B/C/D at 75%, 50%, 25% and 0% of the maximum score (used when a model names none)."""
    grades: list[Grade] = []
    for name, share in (("A", 0.75), ("B", 0.5), ("C", 0.25), ("D", 0.0)):
        at_least = round6(max_score * share)
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
    if isinstance(mql_at_least, int | float) and mql_at_least > max_score:
        problems.add(
            "mql_at_least",
            f"no lead could become an MQL: {mql_at_least:g} is above the maximum {max_score:g}",
        )
