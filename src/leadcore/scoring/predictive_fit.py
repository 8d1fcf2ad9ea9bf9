"""Fitting learned grades from history: one model (:func:`fit_predictive`) or one per scope —
a pool, a team — beside the organisation's (:class:`ScopedPredictiveModel`, :func:`fit_scoped`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypedDict, Unpack

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.scoring.fields import (
    is_multi_choice,
    read_field,
    resolve_field,
    value_key,
)
from leadcore.scoring.predictive import ConversionOutcome, Prediction, PredictiveModel
from leadcore.scoring.predictive_data import (
    DEFAULT_FIELDS,
    LEARNED_GRADES,
    NEGATIVE_OUTCOMES,
    POSITIVE_OUTCOMES,
    Checked,
    Record,
    check_record,
    show,
)
from leadcore.scoring.predictive_keys import Edges
from leadcore.signatures import checked_constructor

__all__ = ["FitOptions", "Predictor", "ScopedPredictiveModel", "fit_predictive", "fit_scoped"]


def _blank(model: PredictiveModel) -> PredictiveModel:
    """A model with ``model``'s settings that has counted nothing yet."""
    return attrs.evolve(model, converted=0, lost=0, counts={})


def _decided(
    model: PredictiveModel, records: Iterable[Record]
) -> Iterable[tuple[Record, bool, str]]:
    for index, record in enumerate(records):
        path = f"records[{index}]"
        check_record(record, path)
        outcome = model.outcome_of(record, path)
        if outcome is not ConversionOutcome.PENDING:
            yield record, outcome is ConversionOutcome.CONVERTED, path


class FitOptions(TypedDict, total=False):
    """What :func:`fit_predictive` and :func:`fit_scoped` learn from and how."""

    fields: Sequence[str]
    outcome: str
    positive: Collection[str]
    negative: Collection[str]
    smoothing: float
    bins: Mapping[str, Edges] | None
    grades: Sequence[tuple[str, float]]


def _check_options(
    options: Mapping[str, object], extra: tuple[str, ...] = ()
) -> list[FieldProblem]:
    """A problem for each of ``options`` that is no :class:`FitOptions` key (nor ``extra``)."""
    known = ", ".join(sorted((*FitOptions.__optional_keys__, *extra)))
    return [
        FieldProblem(name, f"is not an option of the fit; known: {known}")
        for name in options
        if name not in FitOptions.__optional_keys__
    ]


def _scope_field_problem(scope_field: object) -> str | None:
    """Why ``scope_field`` names no lead field (as a model's ``fields`` are checked), or None."""
    if not isinstance(scope_field, str) or not scope_field.strip():
        return f"must name a lead field, not {show(scope_field)}"
    try:
        resolve_field(scope_field)
    except ValueError as e:
        return str(e)
    return None


def _check_records(records: object) -> None:
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        raise ValidationError(
            [
                FieldProblem(
                    "records", f"must be a collection of leads or mappings, not {show(records)}"
                )
            ],
            subject="predictive fit",
        )


def _unfitted(options: FitOptions) -> PredictiveModel:
    given: Any = options  # each setting is checked by the model, whatever its type
    return PredictiveModel(
        fields=given.get("fields", DEFAULT_FIELDS),
        converted=0,
        lost=0,
        counts={},
        smoothing=options.get("smoothing", 1.0),
        grades=given.get("grades", LEARNED_GRADES),
        bins=options.get("bins") or {},
        outcome=options.get("outcome", "status"),
        positive=options.get("positive", POSITIVE_OUTCOMES),
        negative=options.get("negative", NEGATIVE_OUTCOMES),
    )


def fit_predictive(records: Iterable[Record], **options: Unpack[FitOptions]) -> PredictiveModel:
    """Learn per-field value frequencies of converted vs lost/invalid leads (naive Bayes).

    ``fields`` are lead field paths (``custom_fields.<name>`` too; default
    :data:`DEFAULT_FIELDS`); ``outcome`` is the field saying how a record ended (``status``),
    ``positive`` / ``negative`` the values meaning converted / lost (a status by its value or
    label; records in other statuses are pending, not learned from); ``smoothing`` (1.0) is
    added to every count; ``bins`` buckets a numeric field by ascending edges (``{"budget":
    [100000, 500000]}``), or per currency (``{"budget": {"CNY": [100000], "JPY": [2000000]}}``)
    — money is binned per currency, never across; ``grades`` map probability thresholds
    (highest first) to learned grades. A NaN counts as missing; a number beyond a float's
    range is refused, naming the record (``records[3].budget``), and so is a status that is no
    lead status (``records[3].status``). Raises ``ValidationError`` for an option not named
    here, unknown fields, a smoothing not in (0, 1e6], or a history without both converted
    and lost leads.
    """
    problems = _check_options(options)
    if problems:
        raise ValidationError(problems, subject="predictive fit")
    _check_records(records)
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


@checked_constructor
@attrs.frozen(slots=True)
class ScopedPredictiveModel:
    """Learned grades per scope — a pool, a team — beside the ``organisation``-wide one.

    A record's scope is the text of its ``scope_field``, a lead field path checked like a
    model's ``fields`` (``pool_id`` by default). It is
    predicted by its scope's model once that has learned from both converted and lost leads,
    else by the organisation's (so are records without a scope). :meth:`observed` and
    :meth:`retracted` count a record in its scope and in the organisation alike.
    """

    organisation: PredictiveModel
    scopes: Mapping[str, PredictiveModel] = attrs.field(factory=dict, converter=_freeze_scopes)
    scope_field: str = "pool_id"

    def __attrs_post_init__(self) -> None:
        checked = Checked()
        if not isinstance(self.organisation, PredictiveModel):
            checked.add("organisation", f"must be a PredictiveModel, not {show(self.organisation)}")
        if not isinstance(self.scopes, Mapping):
            checked.add("scopes", f"must map a scope to a model, not {show(self.scopes)}")
        else:
            for scope, model in self.scopes.items():
                if not isinstance(scope, str) or not isinstance(model, PredictiveModel):
                    checked.add(f"scopes.{scope}", "must map a scope's text to a PredictiveModel")
        problem = _scope_field_problem(self.scope_field)
        if problem is not None:
            checked.add("scope_field", problem)
        checked.raise_invalid("scoped predictive model")

    def scope_of(self, record: Record) -> str | None:
        """The record's scope, or ``None`` when it has none."""
        check_record(record)
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
                [FieldProblem("organisation", f"is required in a mapping, not {show(data)}")],
                subject="scoped predictive model",
            )
        scope_field = data.get("scope_field", "pool_id")
        scopes = data.get("scopes", {})
        problems = [
            FieldProblem(str(k), "is not a setting (organisation, scopes, scope_field)")
            for k in data
            if k not in ("organisation", "scopes", "scope_field")
        ]
        scope_problem = _scope_field_problem(scope_field)
        if scope_problem is not None:
            problems.append(FieldProblem("scope_field", scope_problem))
        if not isinstance(scopes, Mapping):
            problems.append(
                FieldProblem("scopes", f"must map a scope to a model, not {show(scopes)}")
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
    ``scope_field``, a lead field path like ``fields``, e.g. each pool) on that scope's
    records; ``options`` as for :func:`fit_predictive`. A scope whose history lacks converted
    or lost leads is kept (it learns as leads are decided) but the organisation's model
    answers for it meanwhile. ``ValidationError`` for an unknown option or scope field."""
    problems = _check_options(options, ("scope_field",))
    scope_problem = _scope_field_problem(scope_field)
    if scope_problem is not None:
        problems.append(FieldProblem("scope_field", scope_problem))
    if problems:
        raise ValidationError(problems, subject="predictive fit")
    _check_records(records)
    history = list(records)
    organisation = fit_predictive(history, **options)
    container = ScopedPredictiveModel(organisation, {}, scope_field)
    by_scope: dict[str, list[tuple[Record, bool, str]]] = {}
    for record, converted, path in _decided(organisation, history):
        scope = container.scope_of(record)
        if scope is not None:
            by_scope.setdefault(scope, []).append((record, converted, path))
    blank = _blank(organisation)
    scopes = {scope: blank._recounted(decided, 1) for scope, decided in by_scope.items()}
    return attrs.evolve(container, scopes=scopes)


Predictor = PredictiveModel | ScopedPredictiveModel
"""A fitted learned grade: one organisation-wide model, or one per scope beside it."""
