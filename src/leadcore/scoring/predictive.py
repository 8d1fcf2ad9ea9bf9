"""The learned grade: how leads with the same field values fared before.

:func:`fit_predictive` counts, per field, how often each value occurred among converted leads
and among lost or invalid ones (naive Bayes with additive smoothing). :meth:`PredictiveModel.
predict` adds up each value's log-odds evidence on top of the base rate and turns it into a
conversion probability, with the contribution of every field value. Pure and deterministic:
records are plain ``Lead`` objects or mappings, nothing random, no hidden state.

* Outcome: a record is converted when its ``outcome`` field (``status`` by default) is
  ``converted``, lost when ``invalid`` or ``closed_lost``; records in the other statuses
  (still open, merged) are pending and not learned from, and so are records without an
  outcome (leads to predict). A status is read by its value, name or label (``已转化``);
  text that is no lead status is refused: ``ValidationError`` naming ``records[3].status``
  (``record.status`` when predicting) and the statuses. A boolean outcome field counts
  as-is; in a host's own outcome field, a value neither positive nor negative is pending.
* A multi-choice value (a tuple, list or set, e.g. tags) matches through any of its items: each
  item is counted on its own, and each item's evidence adds to a prediction. An empty one is
  missing; missing is evidence too. A value never seen in training carries no evidence.
* A NaN (float or ``Decimal``) is missing, like ``None``, binned or not. A number beyond a
  float's range (±1.8e308) or infinite is refused: ``ValidationError`` naming the record's
  field, ``records[3].budget`` when fitting, ``record.budget`` when predicting.
* Money counts per currency (``leadcore.scoring.predictive_keys``): CNY 100000 and JPY 100000
  never share a value or a bin, and a currency never seen in training carries no evidence.
* A pending record's probability stays within 0.01% … 99.99%: no history, however one-sided,
  makes an open lead certain. A converted record reads 1 and a lost one 0, and says so.
* Counts follow the history one record at a time: :meth:`PredictiveModel.observed` counts a
  newly decided lead, :meth:`PredictiveModel.retracted` takes it back (a conversion reopened);
  either gives the model a refit would.
* :class:`ScopedPredictiveModel` keeps a model per scope (a pool, a team) beside the
  organisation-wide one, which answers for a scope with too little history of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Lead
from leadcore.scoring.fields import ENUM_FIELDS, describe_value, read_field
from leadcore.scoring.grades import GradeScale
from leadcore.scoring.predictive_data import (
    HIGHEST,
    LEARNED_GRADES,
    LOWEST,
    MAX_SMOOTHING,
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    Checked,
    Record,
    Tally,
    check_record,
    parse_label,
    read_bins,
    read_counts,
    read_fields,
    read_grades,
    read_outcomes,
    show,
)
from leadcore.scoring.predictive_keys import BadValue, Edges, counted_keys, reader
from leadcore.scoring.table import render_table
from leadcore.signatures import checked_constructor

__all__ = [
    "Contribution",
    "ConversionOutcome",
    "Prediction",
    "PredictiveModel",
]

_UNSEEN: Final = Tally(0, 0)


class ConversionOutcome(LabelledEnum):
    """Where a record stands: still open (learned about, not from), converted or lost."""

    PENDING = "pending", "未决", "Pending"
    CONVERTED = "converted", "已转化", "Converted"
    LOST = "lost", "已丢失", "Lost"


@attrs.frozen(slots=True)
class Contribution:
    """How one field value (or one item of a multi-choice value) moved the prediction:
    ``delta`` in log-odds (> 0 pushed the probability up); ``converted`` / ``lost`` are how
    often the value was seen with each outcome in training."""

    field: str
    value: str
    delta: float
    converted: int
    lost: int


@checked_constructor
@attrs.frozen(slots=True)
class Prediction:
    """A conversion ``probability``, its learned ``grade``, the ``log_odds`` (the base rate's
    ``prior`` plus every contribution) and the ``contributions`` strongest first; ``outcome``
    says whether the record is still pending (then the probability is within 0.01% … 99.99%)
    or already decided (1 when converted, 0 when lost), and ``reason`` says why in words."""

    probability: float
    grade: str
    log_odds: float
    prior: float
    contributions: tuple[Contribution, ...]
    outcome: ConversionOutcome = ConversionOutcome.PENDING
    reason: str = ""

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
            f"probability {self.probability:.2%}, grade {self.grade} ({self.reason})"
        )

    def __str__(self) -> str:
        return self.explain()


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, z))))


@checked_constructor
@attrs.frozen(slots=True)
class PredictiveModel:
    """A fitted learned grade: per ``fields`` value, how many converted and lost leads had it.

    Build with :func:`fit_predictive`; :meth:`to_dict` / :meth:`from_dict` keep it as plain
    data (e.g. in a store's state); :meth:`observed` / :meth:`retracted` keep it current one
    decided lead at a time. ``outcome``, ``positive`` and ``negative`` say which records are
    decided (as in :func:`fit_predictive`). Anything malformed raises ``ValidationError``
    naming every path at fault.
    """

    fields: tuple[str, ...]
    converted: int
    lost: int
    counts: Mapping[str, Mapping[str, Tally]]
    smoothing: float = 1.0
    grades: tuple[tuple[str, float], ...] = LEARNED_GRADES
    bins: Mapping[str, Edges] = attrs.field(factory=dict)
    outcome: str = "status"
    positive: Collection[str] = POSITIVE_OUTCOMES
    negative: Collection[str] = NEGATIVE_OUTCOMES
    _readers: tuple[tuple[str, Callable[[Record], object], Edges | None], ...] = attrs.field(
        init=False, eq=False, repr=False
    )
    _statuses: type[LabelledEnum] | None = attrs.field(init=False, eq=False, repr=False)
    _scale: GradeScale = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        checked = Checked()
        fields = read_fields(self.fields, checked)
        converted = checked.count(self.converted, "converted")
        lost = checked.count(self.lost, "lost")
        counts = read_counts(self.counts, fields, Tally(converted, lost), checked)
        smoothing = checked.number(self.smoothing, "smoothing")
        if smoothing is not None and not 0 < smoothing <= MAX_SMOOTHING:
            checked.add("smoothing", f"must be above 0 and at most 1e6, not {smoothing:g}")
        grades = read_grades(self.grades, checked)
        bins = read_bins(self.bins, fields, checked)
        if not isinstance(self.outcome, str) or not self.outcome.strip():
            checked.add("outcome", f"must name the outcome field, not {show(self.outcome)}")
        elif self.outcome != self.outcome.strip():  # would read a field no record has
            checked.add(
                "outcome",
                f"{show(self.outcome)} has spaces around it; use {show(self.outcome.strip())}",
            )
        statuses = ENUM_FIELDS.get(self.outcome) if isinstance(self.outcome, str) else None
        positive, negative = read_outcomes(self.positive, self.negative, checked, statuses)
        checked.raise_invalid("predictive model")
        assert smoothing is not None
        for name, value in (
            ("fields", fields),
            ("counts", counts),
            ("smoothing", smoothing),
            ("grades", grades),
            ("bins", bins),
            ("positive", positive),
            ("negative", negative),
            ("_readers", tuple((f, reader(f), bins.get(f)) for f in fields)),
            ("_statuses", statuses),
            ("_scale", GradeScale.of(grades)),
        ):
            object.__setattr__(self, name, value)

    @property
    def prior(self) -> float:
        """The base rate in log-odds (smoothed)."""
        s = self.smoothing
        return math.log(self.converted + s) - math.log(self.lost + s)

    @property
    def ready(self) -> bool:
        """Whether the model has learned from both converted and lost leads."""
        return self.converted > 0 and self.lost > 0

    def outcome_of(self, record: Record, path: str = "record") -> ConversionOutcome:
        """Whether ``record`` is converted, lost or still pending, by its outcome field. An
        enum outcome (``status``) may be given by a member's value, name or label; anything
        else raises ``ValidationError`` naming ``<path>.<outcome>`` and the allowed values."""
        result = read_field(record, self.outcome)
        if isinstance(result, bool):
            return ConversionOutcome.CONVERTED if result else ConversionOutcome.LOST
        if result is None:
            return ConversionOutcome.PENDING
        text = str(getattr(result, "value", result))
        if text in self.positive:
            return ConversionOutcome.CONVERTED
        if text in self.negative:
            return ConversionOutcome.LOST
        statuses = self._statuses
        if statuses is None or isinstance(result, statuses):
            return ConversionOutcome.PENDING
        try:
            text = parse_label(statuses, text).value
        except ValueError as e:
            first = next(iter(statuses))
            reason = f"{e} (or one's label, e.g. {first.label} for {first.value})"
            problem = FieldProblem(f"{path}.{self.outcome}", reason)
            raise ValidationError([problem], subject="learned grade input") from None
        if text in self.positive:
            return ConversionOutcome.CONVERTED
        return ConversionOutcome.LOST if text in self.negative else ConversionOutcome.PENDING

    def keys_of(self, record: Record, path: str = "record") -> list[tuple[str, tuple[str, ...]]]:
        """Per field, the keys ``record`` is counted under (one per multi-choice item; a NaN
        is missing; money per currency); ``ValidationError`` naming ``<path>.<field>`` for a
        number no float holds or a budget that is no money."""
        found: list[tuple[str, tuple[str, ...]]] = []
        problems: list[FieldProblem] = []
        for field, read, edges in self._readers:
            try:
                found.append((field, counted_keys(read(record), edges)))
            except BadValue as e:
                problems.append(FieldProblem(f"{path}.{field}", str(e)))
        if problems:
            raise ValidationError(problems, subject="learned grade input")
        return found

    def evidence(self, field: str, key: str) -> tuple[float, Tally]:
        """The log-odds evidence of ``key`` in ``field`` and its tally (0 for a key never
        seen): log P(key | converted) − log P(key | lost), each smoothed."""
        seen = self.counts[field]
        tally = seen.get(key)
        if tally is None:
            return 0.0, _UNSEEN
        s = self.smoothing
        kinds = len(seen) + 1
        up = math.log(tally.converted + s) - math.log(self.converted + s * kinds)
        down = math.log(tally.lost + s) - math.log(self.lost + s * kinds)
        return up - down, tally

    def predict(self, record: Record) -> Prediction:
        """The conversion probability of a lead or mapping, explained per field value."""
        check_record(record)
        prior = self.prior
        z = prior
        contributions = []
        for field, keys in self.keys_of(record):
            for key in keys:
                delta, tally = self.evidence(field, key)
                z += delta
                contributions.append(Contribution(field, key, delta, *tally))
        order = {f: i for i, f in enumerate(self.fields)}
        contributions.sort(key=lambda c: (-abs(c.delta), order[c.field], c.value))
        outcome = self.outcome_of(record)
        if outcome is ConversionOutcome.PENDING:
            learned = _logistic(z)
            probability = min(max(learned, LOWEST), HIGHEST)
            reason = f"pending; learned from {self.converted} converted and {self.lost} lost"
            if probability != learned:
                reason += ", kept within 0.01% … 99.99%"
        else:
            probability = 1.0 if outcome is ConversionOutcome.CONVERTED else 0.0
            shown = describe_value(read_field(record, self.outcome))
            reason = f"already {outcome.label_en.lower()}: {self.outcome} = {shown}"
        grade = self._scale.grade_for(probability)
        return Prediction(probability, grade, z, prior, tuple(contributions), outcome, reason)

    def observed(self, record: Record, converted: bool) -> PredictiveModel:
        """This model with ``record`` counted as converted (``True``) or lost (``False``): what
        a refit on the history with the record added gives. No refit: only the record's own
        values are counted."""
        return self._recounted([decided_input(record, converted)], 1)

    def retracted(self, record: Record, converted: bool) -> PredictiveModel:
        """This model without ``record``, counted before as converted (``True``) or lost
        (``False``) — e.g. a conversion reopened. The inverse of :meth:`observed`;
        ``ValidationError`` if the model holds no such record to take back."""
        return self._recounted([decided_input(record, converted)], -1)

    def _recounted(self, decided: Iterable[tuple[Record, bool, str]], step: int) -> PredictiveModel:
        """The model with each ``(record, converted, path)`` counted ``step`` more times (a
        problem with a record's values is named by its ``path``)."""
        won = {f: {k: t.converted for k, t in vs.items()} for f, vs in self.counts.items()}
        gone = {f: {k: t.lost for k, t in vs.items()} for f, vs in self.counts.items()}
        totals = {True: self.converted, False: self.lost}
        for record, converted, path in decided:
            keys_of = self.keys_of(record, path)
            totals[converted] += step
            side = won if converted else gone
            for field, keys in keys_of:
                tallies = side[field]
                for key in keys:
                    tallies[key] = tallies.get(key, 0) + step
        if step < 0:
            self._check_taken_back(totals, won, gone)
        counts = {
            field: {key: Tally(won[field].get(key, 0), gone[field].get(key, 0)) for key in keys}
            for field, keys in ((f, won[f].keys() | gone[f].keys()) for f in self.fields)
        }
        return attrs.evolve(self, converted=totals[True], lost=totals[False], counts=counts)

    @staticmethod
    def _check_taken_back(
        totals: Mapping[bool, int],
        won: Mapping[str, Mapping[str, int]],
        gone: Mapping[str, Mapping[str, int]],
    ) -> None:
        problems = [
            FieldProblem(f"{field}.{key}", f"no {side} lead had it to take back")
            for side, counts in (("converted", won), ("lost", gone))
            for field, tallies in counts.items()
            for key, n in tallies.items()
            if n < 0
        ]
        problems += [
            FieldProblem("converted", f"the model holds no {'converted' if side else 'lost'} lead")
            for side, n in totals.items()
            if n < 0
        ]
        if problems:
            raise ValidationError(problems, subject="retraction (the record was never counted)")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly data; :meth:`from_dict` rebuilds an equal model."""
        return {
            "fields": list(self.fields),
            "converted": self.converted,
            "lost": self.lost,
            "counts": {f: {k: list(v) for k, v in vs.items()} for f, vs in self.counts.items()},
            "smoothing": self.smoothing,
            "grades": [list(g) for g in self.grades],
            "bins": {f: _plain_edges(b) for f, b in self.bins.items()},
            "outcome": self.outcome,
            "positive": sorted(self.positive),
            "negative": sorted(self.negative),
        }

    @classmethod
    def from_dict(cls, data: object) -> PredictiveModel:
        """Rebuild a model saved with :meth:`to_dict`; ``ValidationError`` naming every path
        at fault for anything else."""
        if not isinstance(data, Mapping):
            raise ValidationError(
                [FieldProblem("$", f"a saved model is a mapping, not {show(data)}")],
                subject="predictive model",
            )
        known = {a.name for a in attrs.fields(cls) if a.init}
        required = ("fields", "converted", "lost", "counts")
        problems = [FieldProblem(k, "is required") for k in required if k not in data]
        problems += [
            FieldProblem(str(k), f"is not a setting of a saved model ({', '.join(sorted(known))})")
            for k in data
            if k not in known
        ]
        if problems:
            raise ValidationError(problems, subject="predictive model")
        settings: dict[str, Any] = {str(k): v for k, v in data.items()}
        return cls(**settings)


def _plain_edges(edges: Edges) -> list[float] | dict[str, list[float]]:
    if isinstance(edges, Mapping):
        return {currency: list(own) for currency, own in edges.items()}
    return list(edges)


def decided_input(record: object, converted: object) -> tuple[Record, bool, str]:
    """``(record, converted, "record")`` checked: a lead or mapping, and a bool."""
    check_record(record)
    if not isinstance(converted, bool):
        raise ValidationError(
            [FieldProblem("converted", f"must be True or False, not {show(converted)}")],
            subject="learned grade input",
        )
    assert isinstance(record, Lead | Mapping)
    return record, converted, "record"
