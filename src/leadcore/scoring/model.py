"""The whole configured score model as plain data: dimensions, behaviour rules, grades, MQL.

Build one in Python or from a dict / JSON / TOML (:meth:`ScoreModel.from_dict`,
:meth:`ScoreModel.from_json`, :meth:`ScoreModel.from_toml`); anything wrong is a ``ConfigError``
naming the path (``$.dimensions[2].weight``) and what would be right. :meth:`ScoreModel.compile`
turns it into a :class:`~leadcore.scoring.scorer.Scorer`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from leadcore.checks import article
from leadcore.config import unstructure
from leadcore.scoring.behaviour import BehaviourRule, Decay
from leadcore.scoring.grades import Grade, GradeScale, as_grades, check_grades, default_grades
from leadcore.scoring.loading import load_dict, load_json, load_toml
from leadcore.scoring.problems import Problems
from leadcore.scoring.profile import Dimension
from leadcore.scoring.rounding import round6
from leadcore.scoring.scorer import Scorer
from leadcore.scoring.sheet import ScoreSheet
from leadcore.signatures import checked_constructor

__all__ = ["ScoreModel"]

T = TypeVar("T")

_SHAPE: Any = {
    "dimensions": [{"values": {}, "bands": [{}], "when": {"one_of": []}}],
    "behaviour": [{"decay": {}}],
    "decay": {},
    "grades": [{}],
}
"""Where a score model's plain data holds tables ({}) and lists ([item])."""


def _items(given: object, kind: type[T], name: str, problems: Problems) -> tuple[T, ...]:
    """``given`` as a tuple of ``kind``; a problem at ``name`` (or an item) otherwise."""
    if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
        problems.add(name, f"must list {kind.__name__} values, not {type(given).__name__}")
        return ()
    found = tuple(given)
    for i, item in enumerate(found):
        if not isinstance(item, kind):
            problems.add(
                f"{name}[{i}]",
                f"must be {article(kind.__name__)} {kind.__name__}, not {type(item).__name__}",
            )
    return found


@checked_constructor
@attrs.frozen(slots=True)
class ScoreModel:
    """A score model: profile ``dimensions`` (weights add up to 1.0), ``behaviour`` rules, the
    default ``decay`` for rules without their own, ``grades`` from the highest threshold down
    (default A/B/C/D at 75/50/25/0% of the maximum) and ``mql_at_least`` (default: the top
    grade's threshold).

    Scale: each dimension gives points (0..10 in the shipped example) times its weight, so the
    profile score runs from 0 to the weighted maximum points (10 in the example); behaviour
    points add on top, each kind up to its cap. ``max_score`` is the sum of both maxima.
    """

    dimensions: tuple[Dimension, ...] = ()
    behaviour: tuple[BehaviourRule, ...] = ()
    decay: Decay | None = None
    grades: tuple[Grade, ...] = ()
    mql_at_least: float | None = None

    def __attrs_post_init__(self) -> None:
        problems = Problems()
        for name, kind in (("dimensions", Dimension), ("behaviour", BehaviourRule)):
            object.__setattr__(self, name, _items(getattr(self, name), kind, name, problems))
        object.__setattr__(self, "grades", as_grades(self.grades, problems))
        if self.decay is not None and not isinstance(self.decay, Decay):
            problems.add("decay", f"must be a Decay or None, not {type(self.decay).__name__}")
        problems.points("mql_at_least", self.mql_at_least)
        problems.raise_invalid("score model")
        if not self.dimensions and not self.behaviour:
            problems.add("dimensions", "a model needs at least one dimension or behaviour rule")
        if self.dimensions:
            total = math.fsum(d.weight for d in self.dimensions)
            if abs(total - 1.0) > 1e-9:
                listed = " + ".join(f"{d.weight:g}" for d in self.dimensions)
                problems.add(
                    "dimensions",
                    f"the weights add up to {total:g} ({listed}); they must add up to 1.0 "
                    "(write 20% as 0.2)",
                )
        titles: dict[str, int] = {}
        for i, dimension in enumerate(self.dimensions):
            if dimension.title in titles:
                problems.add(
                    f"dimensions[{i}].name",
                    f"{dimension.title!r} is already dimensions[{titles[dimension.title]}]; "
                    "give each dimension its own name",
                )
            titles.setdefault(dimension.title, i)
        kinds: dict[str, int] = {}
        for i, rule in enumerate(self.behaviour):
            if rule.kind in kinds:
                problems.add(
                    f"behaviour[{i}].kind",
                    f"{rule.kind!r} already has a rule at behaviour[{kinds[rule.kind]}]",
                )
            kinds.setdefault(rule.kind, i)
        problems.raise_invalid("score model")
        if self.max_score <= 0:
            problems.add(
                "dimensions" if self.dimensions else "behaviour",
                "every rule gives 0 points, so every score would be 0; give some points",
            )
            problems.raise_invalid("score model")
        if not self.grades:
            object.__setattr__(self, "grades", default_grades(self.max_score))
        if self.mql_at_least is None:
            object.__setattr__(self, "mql_at_least", self.grades[0].at_least)
        assert self.mql_at_least is not None
        check_grades(self.grades, self.mql_at_least, self.max_score, problems)
        problems.raise_invalid("score model")

    @property
    def max_profile(self) -> float:
        """The highest profile score (weighted points), to 6 decimals."""
        total = 0.0
        for d in self.dimensions:
            total += d.weight * d.max_points
        return round6(total)

    @property
    def max_behaviour(self) -> float:
        """The highest behaviour score (every kind at its cap), to 6 decimals."""
        total = 0.0
        for rule in self.behaviour:
            total += rule.cap
        return round6(total)

    @property
    def max_score(self) -> float:
        """The highest total a lead can reach."""
        return round6(self.max_profile + self.max_behaviour)

    def decay_for(self, rule: BehaviourRule) -> Decay:
        """The decay that applies to ``rule``: its own, else the model's, else none."""
        return rule.decay_with(self.decay)

    def grade_for(self, total: float) -> str:
        """The grade of a total score."""
        return GradeScale.of(self.grades).grade_for(total)

    def sheet(self) -> ScoreSheet:
        """The model as the scorer compiles it: each rule with its decay, grades filled in."""
        assert self.mql_at_least is not None
        return ScoreSheet(
            dimensions=self.dimensions,
            behaviour=tuple(attrs.evolve(r, decay=self.decay_for(r)) for r in self.behaviour),
            grades=self.grades,
            mql_at_least=self.mql_at_least,
            max_score=self.max_score,
        )

    def compile(self) -> Scorer:
        """Compile into a :class:`Scorer` of plain closures (do it once, score many)."""
        return Scorer(self.sheet())

    @classmethod
    def from_dict(cls, data: object) -> ScoreModel:
        """Build from plain data; ``ConfigError`` names every path at fault."""
        return load_dict(data, cls, _SHAPE)

    @classmethod
    def from_json(cls, text: str | Path) -> ScoreModel:
        """Build from JSON text or a JSON file; ``ConfigError`` if it is malformed."""
        return load_json(text, cls, _SHAPE)

    @classmethod
    def from_toml(cls, text: str | Path) -> ScoreModel:
        """Build from TOML text or a TOML file; ``ConfigError`` if it is malformed."""
        return load_toml(text, cls, _SHAPE)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal model."""
        data: dict[str, Any] = unstructure(self)
        return data
