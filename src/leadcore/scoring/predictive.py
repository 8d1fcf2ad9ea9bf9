"""The learned grade: how leads with the same field values fared before.

:func:`fit_predictive` counts, per field, how often each value occurred among converted leads
and among lost or invalid ones (naive Bayes with additive smoothing). :meth:`PredictiveModel.
predict` adds up each value's log-odds evidence on top of the base rate and turns it into a
conversion probability, with the contribution of every field value. Pure and deterministic:
records are plain ``Lead`` objects or mappings, nothing random, no hidden state.

* Outcome: a record is converted when its ``outcome`` field (``status`` by default) is
  ``converted``, lost when ``invalid`` or ``closed_lost``; other records (still open, merged)
  are pending and not learned from. A boolean outcome field counts as-is.
* A multi-choice value (a tuple, list or set, e.g. tags) matches through any of its items: each
  item is counted on its own, and each item's evidence adds to a prediction. An empty one is
  missing; missing is evidence too. A value never seen in training carries no evidence.
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
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NamedTuple, TypedDict, Unpack

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Lead
from leadcore.scoring.fields import (
    as_number,
    describe_value,
    is_multi_choice,
    items_of,
    read_field,
    resolve_field,
    value_key,
)
from leadcore.scoring.grades import GradeScale
from leadcore.scoring.problems import Problems
from leadcore.scoring.table import render_table

__all__ = [
    "DEFAULT_FIELDS",
    "HIGHEST",
    "LEARNED_GRADES",
    "LOWEST",
    "MAX_COUNT",
    "MAX_SMOOTHING",
    "NEGATIVE_OUTCOMES",
    "POSITIVE_OUTCOMES",
    "Contribution",
    "FitOptions",
    "Outcome",
    "Prediction",
    "PredictiveModel",
    "ScopedPredictiveModel",
    "Tally",
    "fit_predictive",
    "fit_scoped",
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

LOWEST: Final = 0.0001
"""The lowest probability a pending record gets (0.01%)."""

HIGHEST: Final = 0.9999
"""The highest probability a pending record gets (99.99%)."""

MAX_COUNT: Final = 2**53
"""The most leads a count may hold (so that every count is exact as a float)."""

MAX_SMOOTHING: Final = 1e6
"""The largest smoothing accepted."""

MISSING: Final = "(missing)"
"""The key under which a missing value is counted (missing is evidence too)."""


class Outcome(LabelledEnum):
    """Where a record stands: still open (learned about, not from), converted or lost."""

    PENDING = "pending", "未决", "Pending"
    CONVERTED = "converted", "已转化", "Converted"
    LOST = "lost", "已丢失", "Lost"


class Tally(NamedTuple):
    """How many converted and how many lost leads had a value."""

    converted: int
    lost: int


_UNSEEN: Final = Tally(0, 0)


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
    outcome: Outcome = Outcome.PENDING
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


def _show(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return "a number too large to print"
    return text if len(text) <= 40 else text[:37] + "..."


def _bucket(item: object, edges: Sequence[float]) -> str | None:
    if isinstance(item, bool) or not isinstance(item, int | float):
        return None
    i = bisect_right(edges, item) - 1
    return f"< {edges[0]:g}" if i < 0 else f"≥ {edges[i]:g}"


def _keys(value: object, edges: Sequence[float] | None) -> tuple[str, ...]:
    """The keys a value is counted under: one per distinct item, or ``MISSING``."""
    if type(value) is str:
        return (value,)
    found: set[str] = set()
    for item in items_of(value):
        key = None if edges is None else _bucket(item, edges)
        if key is None:
            key = value_key(item)
        if key is not None:
            found.add(key)
    return tuple(sorted(found)) if found else (MISSING,)


def _reader(path: str) -> Callable[[Record], object]:
    if path == "budget":

        def budget(record: Record) -> object:
            value = read_field(record, path)
            number = as_number(value)
            return value if number is None else number

        return budget
    return lambda record: read_field(record, path)


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, z))))


def _check_record(record: object, path: str = "record") -> None:
    if not isinstance(record, Lead | Mapping):
        raise ValidationError(
            [
                FieldProblem(
                    path, f"must be a Lead or a mapping of field → value, not {_show(record)}"
                )
            ],
            subject="learned grade input",
        )


class _Checked(Problems):
    """What is wrong with a saved model's data, found while reading it."""

    def count(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be a whole number of leads, not {_show(value)}")
            return 0
        if not 0 <= value <= MAX_COUNT:
            self.add(path, f"must be between 0 and 2**53, not {_show(value)}")
            return 0
        return value

    def number(self, value: object, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, f"must be a number, not {_show(value)}")
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.add(path, f"must be a finite number, not {_show(value)}")
            return None
        return number

    def names(self, value: object, path: str) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            self.add(path, f"must be a list of names, not {_show(value)}")
            return ()
        names = tuple(value)
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                self.add(f"{path}[{i}]", f"must be a non-empty name, not {_show(name)}")
        return tuple(n for n in names if isinstance(n, str))


def _read_fields(raw: object, checked: _Checked) -> tuple[str, ...]:
    fields = checked.names(raw, "fields")
    if not fields and not checked.found:
        checked.add("fields", "name at least one field to learn from")
    for i, field in enumerate(fields):
        try:
            resolve_field(field)
        except ValueError as e:
            checked.add(f"fields[{i}]", str(e))
        if field in fields[:i]:
            checked.add(f"fields[{i}]", f"{field!r} is named twice")
    return fields


def _read_counts(
    raw: object, fields: tuple[str, ...], totals: Tally, checked: _Checked
) -> Mapping[str, Mapping[str, Tally]]:
    counts: dict[str, Mapping[str, Tally]] = {}
    if not isinstance(raw, Mapping):
        checked.add("counts", f"must map each field to its values' counts, not {_show(raw)}")
        raw = {}
    for field, values in raw.items():
        path = f"counts.{field}"
        if field not in fields:
            checked.add(path, f"is not one of the model's fields ({', '.join(fields)})")
            continue
        if not isinstance(values, Mapping):
            checked.add(path, f"must map each value to [converted, lost], not {_show(values)}")
            continue
        seen: dict[str, Tally] = {}
        for key, pair in values.items():
            at = f"{path}.{key}"
            if not isinstance(key, str):
                checked.add(at, "a value is counted under a text key")
                continue
            if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
                checked.add(at, f"must be [converted, lost], not {_show(pair)}")
                continue
            won, gone = pair
            tally = Tally(checked.count(won, f"{at}.converted"), checked.count(gone, f"{at}.lost"))
            if tally.converted > totals.converted:
                checked.add(at, f"{tally.converted} converted leads had it, of {totals.converted}")
            if tally.lost > totals.lost:
                checked.add(at, f"{tally.lost} lost leads had it, of {totals.lost}")
            if tally != _UNSEEN:
                seen[key] = tally
        counts[field] = MappingProxyType(dict(sorted(seen.items())))
    empty: Mapping[str, Tally] = MappingProxyType({})
    return MappingProxyType({field: counts.get(field, empty) for field in fields})


def _read_grades(raw: object, checked: _Checked) -> tuple[tuple[str, float], ...]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        checked.add("grades", f"must list [name, at least] pairs, not {_show(raw)}")
        return LEARNED_GRADES
    grades: list[tuple[str, float]] = []
    previous = math.inf
    for i, pair in enumerate(raw):
        path = f"grades[{i}]"
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            checked.add(path, f"must be [name, at least], not {_show(pair)}")
            continue
        name, at_least = pair
        threshold = checked.number(at_least, f"{path}.at_least")
        if not isinstance(name, str) or not name.strip():
            checked.add(f"{path}.name", f"must be a non-empty name, not {_show(name)}")
        elif threshold is not None:
            if not 0 <= threshold <= 1:
                checked.add(f"{path}.at_least", f"is a probability, 0 … 1, not {threshold:g}")
            elif threshold >= previous:
                checked.add(f"{path}.at_least", "grades go from the highest threshold down")
            previous = threshold
            grades.append((name, threshold))
    if not grades and not checked.found:
        checked.add("grades", "name at least one grade")
    return tuple(grades) or LEARNED_GRADES


def _read_bins(
    raw: object, fields: tuple[str, ...], checked: _Checked
) -> Mapping[str, tuple[float, ...]]:
    if not isinstance(raw, Mapping):
        checked.add("bins", f"must map a field to its bucket edges, not {_show(raw)}")
        return MappingProxyType({})
    bins: dict[str, tuple[float, ...]] = {}
    for field, edges in raw.items():
        path = f"bins.{field}"
        if field not in fields:
            checked.add(path, f"is not one of the model's fields ({', '.join(fields)})")
        elif isinstance(edges, str) or not isinstance(edges, Iterable):
            checked.add(path, f"must list bucket edges, not {_show(edges)}")
        else:
            numbers = [checked.number(x, f"{path}[{i}]") for i, x in enumerate(edges)]
            if not numbers:
                checked.add(path, "must list at least one edge")
            bins[field] = tuple(sorted(x for x in numbers if x is not None))
    return MappingProxyType(bins)


def _read_outcomes(
    positive: object, negative: object, checked: _Checked
) -> tuple[frozenset[str], frozenset[str]]:
    good = frozenset(checked.names(positive, "positive"))
    bad = frozenset(checked.names(negative, "negative"))
    if good & bad:
        checked.add("negative", f"{', '.join(sorted(good & bad))} is also a positive outcome")
    return good, bad


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
    bins: Mapping[str, Sequence[float]] = attrs.field(factory=dict)
    outcome: str = "status"
    positive: Collection[str] = POSITIVE_OUTCOMES
    negative: Collection[str] = NEGATIVE_OUTCOMES
    _readers: tuple[tuple[str, Callable[[Record], object], Sequence[float] | None], ...] = (
        attrs.field(init=False, eq=False, repr=False)
    )
    _scale: GradeScale = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        checked = _Checked()
        fields = _read_fields(self.fields, checked)
        converted = checked.count(self.converted, "converted")
        lost = checked.count(self.lost, "lost")
        counts = _read_counts(self.counts, fields, Tally(converted, lost), checked)
        smoothing = checked.number(self.smoothing, "smoothing")
        if smoothing is not None and not 0 < smoothing <= MAX_SMOOTHING:
            checked.add("smoothing", f"must be above 0 and at most 1e6, not {smoothing:g}")
        grades = _read_grades(self.grades, checked)
        bins = _read_bins(self.bins, fields, checked)
        if not isinstance(self.outcome, str) or not self.outcome.strip():
            checked.add("outcome", f"must name the outcome field, not {_show(self.outcome)}")
        positive, negative = _read_outcomes(self.positive, self.negative, checked)
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
            ("_readers", tuple((f, _reader(f), bins.get(f)) for f in fields)),
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

    def outcome_of(self, record: Record) -> Outcome:
        """Whether ``record`` is converted, lost or still pending, by its outcome field."""
        result = read_field(record, self.outcome)
        if isinstance(result, bool):
            return Outcome.CONVERTED if result else Outcome.LOST
        text = None if result is None else str(getattr(result, "value", result))
        if text in self.positive:
            return Outcome.CONVERTED
        if text in self.negative:
            return Outcome.LOST
        return Outcome.PENDING

    def keys_of(self, record: Record) -> list[tuple[str, tuple[str, ...]]]:
        """Per field, the keys ``record`` is counted under (one per multi-choice item)."""
        return [(field, _keys(read(record), edges)) for field, read, edges in self._readers]

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
        _check_record(record)
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
        if outcome is Outcome.PENDING:
            learned = _logistic(z)
            probability = min(max(learned, LOWEST), HIGHEST)
            reason = f"pending; learned from {self.converted} converted and {self.lost} lost"
            if probability != learned:
                reason += ", kept within 0.01% … 99.99%"
        else:
            probability = 1.0 if outcome is Outcome.CONVERTED else 0.0
            shown = describe_value(read_field(record, self.outcome))
            reason = f"already {outcome.label_en.lower()}: {self.outcome} = {shown}"
        grade = self._scale.grade_for(probability)
        return Prediction(probability, grade, z, prior, tuple(contributions), outcome, reason)

    def observed(self, record: Record, converted: bool) -> PredictiveModel:
        """This model with ``record`` counted as converted (``True``) or lost (``False``): what
        a refit on the history with the record added gives. No refit: only the record's own
        values are counted."""
        return self._recounted([_decided_input(record, converted)], 1)

    def retracted(self, record: Record, converted: bool) -> PredictiveModel:
        """This model without ``record``, counted before as converted (``True``) or lost
        (``False``) — e.g. a conversion reopened. The inverse of :meth:`observed`;
        ``ValidationError`` if the model holds no such record to take back."""
        return self._recounted([_decided_input(record, converted)], -1)

    def _recounted(self, decided: Iterable[tuple[Record, bool]], step: int) -> PredictiveModel:
        """The model with each ``(record, converted)`` counted ``step`` more times."""
        won = {f: {k: t.converted for k, t in vs.items()} for f, vs in self.counts.items()}
        gone = {f: {k: t.lost for k, t in vs.items()} for f, vs in self.counts.items()}
        totals = {True: self.converted, False: self.lost}
        for record, converted in decided:
            totals[converted] += step
            side = won if converted else gone
            for field, keys in self.keys_of(record):
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
            "bins": {f: list(b) for f, b in self.bins.items()},
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
                [FieldProblem("$", f"a saved model is a mapping, not {_show(data)}")],
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


def _decided_input(record: object, converted: object) -> tuple[Record, bool]:
    _check_record(record)
    if not isinstance(converted, bool):
        raise ValidationError(
            [FieldProblem("converted", f"must be True or False, not {_show(converted)}")],
            subject="learned grade input",
        )
    assert isinstance(record, Lead | Mapping)
    return record, converted


def _blank(model: PredictiveModel) -> PredictiveModel:
    """A model with ``model``'s settings that has counted nothing yet."""
    return attrs.evolve(model, converted=0, lost=0, counts={})


def _decided(model: PredictiveModel, records: Iterable[Record]) -> Iterable[tuple[Record, bool]]:
    for index, record in enumerate(records):
        _check_record(record, f"records[{index}]")
        outcome = model.outcome_of(record)
        if outcome is not Outcome.PENDING:
            yield record, outcome is Outcome.CONVERTED


class FitOptions(TypedDict, total=False):
    """What :func:`fit_predictive` and :func:`fit_scoped` learn from and how."""

    fields: Sequence[str]
    outcome: str
    positive: Collection[str]
    negative: Collection[str]
    smoothing: float
    bins: Mapping[str, Sequence[float]] | None
    grades: Sequence[tuple[str, float]]


def _unfitted(options: FitOptions) -> PredictiveModel:
    return PredictiveModel(
        fields=tuple(options.get("fields", DEFAULT_FIELDS)),
        converted=0,
        lost=0,
        counts={},
        smoothing=options.get("smoothing", 1.0),
        grades=tuple(options.get("grades", LEARNED_GRADES)),
        bins=options.get("bins") or {},
        outcome=options.get("outcome", "status"),
        positive=options.get("positive", POSITIVE_OUTCOMES),
        negative=options.get("negative", NEGATIVE_OUTCOMES),
    )


def fit_predictive(records: Iterable[Record], **options: Unpack[FitOptions]) -> PredictiveModel:
    """Learn per-field value frequencies of converted vs lost/invalid leads (naive Bayes).

    ``fields`` are lead field paths (``custom_fields.<name>`` too; default
    :data:`DEFAULT_FIELDS`); ``outcome`` is the field saying how a record ended (``status``),
    ``positive`` / ``negative`` the values meaning converted / lost; ``smoothing`` (1.0) is
    added to every count; ``bins`` buckets a numeric field by ascending edges (``{"budget":
    [100000, 500000]}``); ``grades`` map probability thresholds (highest first) to learned
    grades. Raises ``ValidationError`` for unknown fields, a smoothing not in (0, 1e6], or a
    history without both converted and lost leads.
    """
    blank = _unfitted(options)
    model = blank._recounted(_decided(blank, records), 1)
    if not model.ready:
        raise ValidationError(
            [
                FieldProblem(
                    "records",
                    f"need both converted and lost/invalid leads to learn from; found "
                    f"{model.converted} converted and {model.lost} lost",
                )
            ],
            subject="predictive fit",
        )
    return model


def _freeze_scopes(scopes: Mapping[str, PredictiveModel]) -> Mapping[str, PredictiveModel]:
    return MappingProxyType(dict(scopes)) if isinstance(scopes, Mapping) else scopes


@attrs.frozen(slots=True)
class ScopedPredictiveModel:
    """Learned grades per scope — a pool, a team — beside the ``organisation``-wide one.

    A record's scope is the text of its ``scope_field`` (``pool_id`` by default). It is
    predicted by its scope's model once that has learned from both converted and lost leads,
    else by the organisation's (so are records without a scope). :meth:`observed` and
    :meth:`retracted` count a record in its scope and in the organisation alike.
    """

    organisation: PredictiveModel
    scopes: Mapping[str, PredictiveModel] = attrs.field(factory=dict, converter=_freeze_scopes)
    scope_field: str = "pool_id"

    def __attrs_post_init__(self) -> None:
        checked = _Checked()
        if not isinstance(self.organisation, PredictiveModel):
            checked.add(
                "organisation", f"must be a PredictiveModel, not {_show(self.organisation)}"
            )
        if not isinstance(self.scopes, Mapping):
            checked.add("scopes", f"must map a scope to a model, not {_show(self.scopes)}")
        else:
            for scope, model in self.scopes.items():
                if not isinstance(scope, str) or not isinstance(model, PredictiveModel):
                    checked.add(f"scopes.{scope}", "must map a scope's text to a PredictiveModel")
        if not isinstance(self.scope_field, str) or not self.scope_field.strip():
            checked.add("scope_field", f"must name a field, not {_show(self.scope_field)}")
        checked.raise_invalid("scoped predictive model")

    def scope_of(self, record: Record) -> str | None:
        """The record's scope, or ``None`` when it has none."""
        _check_record(record)
        value = read_field(record, self.scope_field)
        return None if is_multi_choice(value) else value_key(value)

    def model_for(self, scope: str | None) -> PredictiveModel:
        """The model that answers for ``scope``: its own once ready, else the organisation's."""
        model = None if scope is None else self.scopes.get(scope)
        return model if model is not None and model.ready else self.organisation

    def predict(self, record: Record) -> Prediction:
        """The record's prediction from the model for its scope; the reason names which."""
        scope = self.scope_of(record)
        model = self.model_for(scope)
        prediction = model.predict(record)
        if model is not self.organisation:
            where = f"{self.scope_field} {scope}"
        elif scope is None:
            where = "organisation-wide"
        else:
            where = f"organisation-wide ({self.scope_field} {scope} has too little history)"
        return attrs.evolve(prediction, reason=f"{where}: {prediction.reason}")

    def observed(self, record: Record, converted: bool) -> ScopedPredictiveModel:
        """Count a newly decided record in its scope and the organisation."""
        return self._changed(record, lambda model: model.observed(record, converted))

    def retracted(self, record: Record, converted: bool) -> ScopedPredictiveModel:
        """Take a record back from its scope and the organisation (the inverse of
        :meth:`observed`); ``ValidationError`` if it was not counted."""
        return self._changed(record, lambda model: model.retracted(record, converted))

    def _changed(
        self, record: Record, change: Callable[[PredictiveModel], PredictiveModel]
    ) -> ScopedPredictiveModel:
        scopes = dict(self.scopes)
        scope = self.scope_of(record)
        if scope is not None:
            changed = change(scopes.get(scope) or _blank(self.organisation))
            if changed.converted or changed.lost:
                scopes[scope] = changed
            else:
                del scopes[scope]
        return attrs.evolve(self, organisation=change(self.organisation), scopes=scopes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-friendly data; :meth:`from_dict` rebuilds an equal container."""
        return {
            "scope_field": self.scope_field,
            "organisation": self.organisation.to_dict(),
            "scopes": {scope: model.to_dict() for scope, model in self.scopes.items()},
        }

    @classmethod
    def from_dict(cls, data: object) -> ScopedPredictiveModel:
        """Rebuild a container saved with :meth:`to_dict`; ``ValidationError`` naming the
        path at fault for anything else."""
        if not isinstance(data, Mapping) or "organisation" not in data:
            raise ValidationError(
                [FieldProblem("organisation", f"is required in a mapping, not {_show(data)}")],
                subject="scoped predictive model",
            )
        scope_field = data.get("scope_field", "pool_id")
        scopes = data.get("scopes", {})
        problems = [
            FieldProblem(str(k), "is not a setting (organisation, scopes, scope_field)")
            for k in data
            if k not in ("organisation", "scopes", "scope_field")
        ]
        if not isinstance(scope_field, str) or not scope_field.strip():
            problems.append(
                FieldProblem("scope_field", f"must name a field, not {_show(scope_field)}")
            )
        if not isinstance(scopes, Mapping):
            problems.append(
                FieldProblem("scopes", f"must map a scope to a model, not {_show(scopes)}")
            )
            scopes = {}
        saved = {"organisation": data["organisation"]}
        saved.update((f"scopes.{scope}", model) for scope, model in scopes.items())
        models: dict[str, PredictiveModel] = {}
        for path, model in saved.items():
            try:
                models[path] = PredictiveModel.from_dict(model)
            except ValidationError as e:
                problems += [FieldProblem(f"{path}.{p.field}", p.reason) for p in e.problems]
        if problems:
            raise ValidationError(problems, subject="scoped predictive model")
        organisation = models.pop("organisation")
        return cls(
            organisation,
            {path.removeprefix("scopes."): model for path, model in models.items()},
            scope_field,
        )


def fit_scoped(
    records: Iterable[Record], *, scope_field: str = "pool_id", **options: Unpack[FitOptions]
) -> ScopedPredictiveModel:
    """Fit the organisation-wide learned grade on every record and one per scope (the text of
    ``scope_field``, e.g. each pool) on that scope's records; ``options`` as for
    :func:`fit_predictive`. A scope whose history lacks converted or lost leads is kept (it
    learns as leads are decided) but the organisation's model answers for it meanwhile."""
    history = list(records)
    organisation = fit_predictive(history, **options)
    container = ScopedPredictiveModel(organisation, {}, scope_field)
    by_scope: dict[str, list[tuple[Record, bool]]] = {}
    for record, converted in _decided(organisation, history):
        scope = container.scope_of(record)
        if scope is not None:
            by_scope.setdefault(scope, []).append((record, converted))
    blank = _blank(organisation)
    scopes = {scope: blank._recounted(decided, 1) for scope, decided in by_scope.items()}
    return attrs.evolve(container, scopes=scopes)
