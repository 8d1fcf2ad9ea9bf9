"""The learned grade (SPEC §7.5): how leads with the same field values fared before.

:func:`fit_predictive` counts, per field, how often each value occurred among converted leads
and among lost or invalid ones (naive Bayes with additive smoothing). :meth:`PredictiveModel.
predict` adds up each value's log-odds evidence on top of the base rate and turns it into a
conversion probability, with the contribution of every field value. Pure and deterministic:
records are plain ``Lead`` objects or mappings, nothing random, no hidden state.

Outcome: a record is positive when its ``outcome`` field (``status`` by default) is
``converted``, negative when ``invalid`` or ``closed_lost``; other records (still open,
merged) are skipped. A boolean outcome field counts as-is. A value never seen in training
carries no evidence (its contribution is 0).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead
from leadcore.scoring.fields import as_number, read_field, resolve_field, value_keys
from leadcore.scoring.grades import GradeScale
from leadcore.scoring.table import render_table

__all__ = [
    "DEFAULT_FIELDS",
    "LEARNED_GRADES",
    "NEGATIVE_OUTCOMES",
    "POSITIVE_OUTCOMES",
    "Contribution",
    "Prediction",
    "PredictiveModel",
    "fit_predictive",
]

Record = Lead | Mapping[str, object]
"""What the learned grade reads: a ``Lead`` or a plain mapping of field path → value."""

DEFAULT_FIELDS: Final = ("source", "industry", "region", "company_size", "decision_maker_title")
"""The fields learned from when none are named."""

POSITIVE_OUTCOMES: Final = frozenset({"converted"})
"""Outcome values that count as converted."""

NEGATIVE_OUTCOMES: Final = frozenset({"invalid", "closed_lost"})
"""Outcome values that count as not converted."""

LEARNED_GRADES: Final = (("A", 0.5), ("B", 0.25), ("C", 0.1), ("D", 0.0))
"""Default learned grades by conversion probability: A ≥ 50%, B ≥ 25%, C ≥ 10%, else D."""

MISSING: Final = "(missing)"
"""The key under which a missing value is counted (missing is evidence too)."""


@attrs.frozen(slots=True)
class Contribution:
    """How one field value moved the prediction: ``delta`` in log-odds (> 0 pushed the
    probability up); ``converted`` / ``lost`` are how often the value was seen with each
    outcome in training."""

    field: str
    value: str
    delta: float
    converted: int
    lost: int


@attrs.frozen(slots=True)
class Prediction:
    """A conversion ``probability`` in [0, 1], its learned ``grade``, the ``log_odds`` (the
    base rate's ``prior`` plus every contribution) and the ``contributions`` strongest first."""

    probability: float
    grade: str
    log_odds: float
    prior: float
    contributions: tuple[Contribution, ...]

    def explain(self) -> str:
        """A table of which field values pushed the probability up (↑) or down (↓)."""
        rows = [
            [
                c.field,
                c.value,
                f"{c.converted}/{c.lost}",
                ("↑ " if c.delta > 0 else "↓ " if c.delta < 0 else "  ") + f"{c.delta:+.3f}",
            ]
            for c in self.contributions
        ]
        table = render_table(("field", "value", "converted/lost", "log-odds"), rows, right=1)
        return (
            f"{table}\nbase rate {self.prior:+.3f} → log-odds {self.log_odds:+.3f} → "
            f"probability {self.probability:.1%}, grade {self.grade}"
        )

    def __str__(self) -> str:
        return self.explain()


def _key(value: object, bins: Sequence[float] | None) -> str:
    if bins is not None and isinstance(value, int | float) and not isinstance(value, bool):
        i = bisect_right(bins, value) - 1
        return f"< {bins[0]:g}" if i < 0 else f"≥ {bins[i]:g}"
    keys = value_keys(value)
    if not keys:
        return MISSING
    return keys[0] if len(keys) == 1 else ", ".join(sorted(keys))


def _reader(path: str) -> Callable[[Record], object]:
    if path == "budget":

        def budget(record: Record) -> object:
            value = read_field(record, path)
            number = as_number(value)
            return value if number is None else number

        return budget
    return lambda record: read_field(record, path)


def _freeze_counts(
    counts: Mapping[str, Mapping[str, tuple[int, int]]],
) -> Mapping[str, Mapping[str, tuple[int, int]]]:
    return MappingProxyType(
        {
            field: MappingProxyType({k: (int(p), int(n)) for k, (p, n) in sorted(values.items())})
            for field, values in counts.items()
        }
    )


def _freeze_bins(bins: Mapping[str, Sequence[float]]) -> Mapping[str, tuple[float, ...]]:
    return MappingProxyType({f: tuple(float(b) for b in edges) for f, edges in bins.items()})


@attrs.frozen(slots=True)
class PredictiveModel:
    """A fitted learned grade: per ``fields`` value, how many converted and lost leads had it.

    Build with :func:`fit_predictive`; :meth:`to_dict` / :meth:`from_dict` keep it as plain
    data (e.g. in a store's state).
    """

    fields: tuple[str, ...]
    converted: int
    lost: int
    counts: Mapping[str, Mapping[str, tuple[int, int]]] = attrs.field(converter=_freeze_counts)
    smoothing: float = 1.0
    grades: tuple[tuple[str, float], ...] = LEARNED_GRADES
    bins: Mapping[str, tuple[float, ...]] = attrs.field(factory=dict, converter=_freeze_bins)

    @property
    def prior(self) -> float:
        """The base rate in log-odds (smoothed)."""
        s = self.smoothing
        return math.log((self.converted + s) / (self.lost + s))

    def _delta(self, field: str, key: str) -> tuple[float, int, int]:
        seen = self.counts.get(field, {})
        found = seen.get(key)
        if found is None:
            return 0.0, 0, 0
        pos, neg = found
        s = self.smoothing
        kinds = len(seen) + 1
        up = math.log((pos + s) / (self.converted + s * kinds))
        down = math.log((neg + s) / (self.lost + s * kinds))
        return up - down, pos, neg

    def predict(self, record: Record) -> Prediction:
        """The conversion probability of a lead or mapping, explained per field value."""
        prior = self.prior
        z = prior
        contributions = []
        for field in self.fields:
            key = _key(_reader(field)(record), self.bins.get(field))
            delta, pos, neg = self._delta(field, key)
            z += delta
            contributions.append(Contribution(field, key, delta, pos, neg))
        order = {f: i for i, f in enumerate(self.fields)}
        contributions.sort(key=lambda c: (-abs(c.delta), order[c.field]))
        probability = 1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, z))))
        grade = GradeScale.of(self.grades).grade_for(probability)
        return Prediction(probability, grade, z, prior, tuple(contributions))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly data; :meth:`from_dict` rebuilds an equal model."""
        return {
            "fields": list(self.fields),
            "converted": self.converted,
            "lost": self.lost,
            "counts": {f: {k: list(v) for k, v in vs.items()} for f, vs in self.counts.items()},
            "smoothing": self.smoothing,
            "grades": [list(g) for g in self.grades],
            "bins": {f: list(b) for f, b in self.bins.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PredictiveModel:
        """Rebuild a model saved with :meth:`to_dict`; ``ValidationError`` if it is malformed."""
        try:
            return cls(
                fields=tuple(str(f) for f in data["fields"]),
                converted=int(data["converted"]),
                lost=int(data["lost"]),
                counts={
                    str(f): {str(k): (int(v[0]), int(v[1])) for k, v in vs.items()}
                    for f, vs in data["counts"].items()
                },
                smoothing=float(data.get("smoothing", 1.0)),
                grades=tuple((str(n), float(t)) for n, t in data.get("grades", LEARNED_GRADES)),
                bins={str(f): tuple(float(x) for x in b) for f, b in data.get("bins", {}).items()},
            )
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            raise ValidationError(
                [FieldProblem("predictive model", f"is not a saved model ({e!r})")]
            ) from e


def fit_predictive(
    records: Iterable[Record],
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
    outcome: str = "status",
    positive: Iterable[str] = POSITIVE_OUTCOMES,
    negative: Iterable[str] = NEGATIVE_OUTCOMES,
    smoothing: float = 1.0,
    bins: Mapping[str, Sequence[float]] | None = None,
    grades: Sequence[tuple[str, float]] = LEARNED_GRADES,
) -> PredictiveModel:
    """Learn per-field value frequencies of converted vs lost/invalid leads (naive Bayes).

    ``fields`` are lead field paths (``custom_fields.<name>`` too); ``bins`` buckets a numeric
    field by ascending edges (``{"budget": [100000, 500000]}``); ``grades`` map probability
    thresholds (highest first) to learned grades. Raises ``ValidationError`` for unknown
    fields, a smoothing ≤ 0, or a history without both converted and lost leads.
    """
    problems: list[FieldProblem] = []
    for i, field in enumerate(fields):
        try:
            resolve_field(field)
        except ValueError as e:
            problems.append(FieldProblem(f"fields[{i}]", str(e)))
    if not fields:
        problems.append(FieldProblem("fields", "name at least one field to learn from"))
    if not (smoothing > 0 and math.isfinite(smoothing)):
        problems.append(FieldProblem("smoothing", f"must be a number above 0, not {smoothing}"))
    edges = {f: sorted(float(x) for x in b) for f, b in (bins or {}).items()}
    for field, bounds in edges.items():
        if not bounds:
            problems.append(FieldProblem(f"bins.{field}", "must list at least one edge"))
    if problems:
        raise ValidationError(problems, subject="predictive fit")
    good = frozenset(positive)
    bad = frozenset(negative)
    readers = [(field, _reader(field), edges.get(field)) for field in fields]
    read_outcome = _reader(outcome)
    counts: dict[str, dict[str, list[int]]] = {field: {} for field in fields}
    converted = lost = 0
    for record in records:
        result = read_outcome(record)
        if isinstance(result, bool):
            side = 0 if result else 1
        else:
            text = None if result is None else str(getattr(result, "value", result))
            if text in good:
                side = 0
            elif text in bad:
                side = 1
            else:
                continue
        if side == 0:
            converted += 1
        else:
            lost += 1
        for field, read, cut in readers:
            key = _key(read(record), cut)
            tally = counts[field].get(key)
            if tally is None:
                tally = counts[field][key] = [0, 0]
            tally[side] += 1
    if not converted or not lost:
        raise ValidationError(
            [
                FieldProblem(
                    "records",
                    f"need both converted and lost/invalid leads to learn from; found "
                    f"{converted} converted and {lost} lost",
                )
            ],
            subject="predictive fit",
        )
    return PredictiveModel(
        fields=tuple(fields),
        converted=converted,
        lost=lost,
        counts={f: {k: (v[0], v[1]) for k, v in vs.items()} for f, vs in counts.items()},
        smoothing=smoothing,
        grades=tuple(grades),
        bins=edges,
    )
