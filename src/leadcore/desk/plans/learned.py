"""The learned grade on the desk (AI 评分): the live model in the store and each lead's
``probability``.

The desk starts from the model it was given (``LeadDesk(predictor=...)``, fitted by the host on
its history: one organisation-wide ``PredictiveModel`` or a ``ScopedPredictiveModel`` per pool
or team). As leads are converted, closed or invalidated — or reopened — the counts follow, one
lead at a time and with no refit, in the store's state under :data:`STATE_KEY`, written in the
unit of work of the change itself, so every process using the store shares one model. Giving
the desk a different model (a refit) starts the counts afresh from it.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from typing import ClassVar, Final

import attrs

from leadcore.errors import ValidationError
from leadcore.events import EventKind
from leadcore.jsonvalue import JSONValue
from leadcore.model import Action, Lead
from leadcore.scoring import ConversionOutcome, PredictiveModel, Predictor, ScopedPredictiveModel
from leadcore.scoring.rounding import round6

from ..outcome import Outcome, RecordWrite, SetState
from ..reads import Reads, Subject
from .common import LeadCommand

__all__ = ["STATE_KEY", "Learning", "Repredict", "live_model"]

STATE_KEY: Final = "learned:model"
"""The store state key the live learned-grade model is kept under."""

_FINGERPRINTS: dict[int, tuple[Predictor, str]] = {}


def _fingerprint(model: Predictor) -> str:
    """A digest of the model the desk was given (worked out once per model)."""
    known = _FINGERPRINTS.get(id(model))
    if known is not None and known[0] is model:
        return known[1]
    text = json.dumps(model.to_dict(), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    _FINGERPRINTS[id(model)] = (model, digest)
    return digest


def _rebuilt(seed: Predictor, data: JSONValue) -> Predictor:
    if isinstance(seed, ScopedPredictiveModel):
        return ScopedPredictiveModel.from_dict(data)
    return PredictiveModel.from_dict(data)


def live_model(seed: Predictor, stored: JSONValue) -> Predictor:
    """The model to use: the one in the store's state when it grew from ``seed``, else
    ``seed`` itself (nothing stored yet, a refit given, or unreadable state)."""
    if isinstance(stored, dict) and stored.get("seed") == _fingerprint(seed):
        try:
            return _rebuilt(seed, stored.get("model"))
        except ValidationError:
            return seed
    return seed


def _counted(model: Predictor, lead: Lead | None) -> tuple[bool, object] | None:
    """How ``lead`` is counted in ``model``: (converted?, what its counts depend on), or None
    when it is not counted (no lead, or still pending)."""
    if lead is None:
        return None
    flat = model.organisation if isinstance(model, ScopedPredictiveModel) else model
    outcome = flat.outcome_of(lead)
    if outcome is ConversionOutcome.PENDING:
        return None
    scope = model.scope_of(lead) if isinstance(model, ScopedPredictiveModel) else None
    return outcome is ConversionOutcome.CONVERTED, (scope, flat.keys_of(lead))


class Learning:
    """The live model through one outcome: counts leads as they are decided, brings each
    lead's probability up to date, and says what to write back."""

    def __init__(self, seed: Predictor, model: Predictor) -> None:
        self.seed = seed
        self.model = model
        self.changed = False

    @classmethod
    def start(cls, reads: Reads) -> Learning:
        """The live model as this unit of work sees it."""
        seed = reads.setup.predictor
        assert seed is not None
        return cls(seed, live_model(seed, reads.uow.get_state(STATE_KEY)))

    def learn(self, before: Lead | None, after: Lead) -> Lead:
        """Count the change from ``before`` to ``after`` (decided, undecided, or decided with
        other values) and return ``after`` with its probability now."""
        was, now = _counted(self.model, before), _counted(self.model, after)
        if was != now:
            model = self.model
            if was is not None and before is not None:
                # A lead decided before the model knew of it has nothing to take back.
                with suppress(ValidationError):
                    model = model.retracted(before, was[0])
            if now is not None:
                model = model.observed(after, now[0])
            self.model, self.changed = model, True
        probability = round6(self.model.predict(after).probability)
        return (
            after
            if after.probability == probability
            else attrs.evolve(after, probability=probability)
        )

    def writes(self) -> tuple[RecordWrite, ...]:
        """The state write keeping the live model, when it changed."""
        if not self.changed:
            return ()
        data: dict[str, JSONValue] = {
            "seed": _fingerprint(self.seed),
            "model": self.model.to_dict(),
        }
        return (SetState(STATE_KEY, data),)


@attrs.frozen(slots=True)
class PredictFacts:
    """A subject and the live learned-grade model."""

    subject: Subject
    model: Predictor


@attrs.frozen(kw_only=True)
class Repredict(LeadCommand):
    """Bring a stored probability up to date with the live model (other leads' outcomes move
    it); whoever may record activity on the lead may."""

    action: ClassVar[Action] = Action.RECORD_ACTIVITY

    def load(self, reads: Reads) -> PredictFacts:
        """The subject and the live model; ``ValidationError`` when the desk has none."""
        self.setup.require_predictor()
        subject = self.subject(reads)
        return PredictFacts(subject, Learning.start(reads).model)

    def decide(self, facts: PredictFacts) -> None:
        """Whoever may record activity on the lead; a read-only (converted, merged) lead is
        left as it is."""
        if not facts.subject.lead.is_read_only:
            self.require(facts.subject)

    def plan(self, facts: PredictFacts) -> Outcome[Lead]:
        """The lead with its new probability and a ``probability_changed`` event; nothing
        when it is unchanged."""
        s = facts.subject
        probability = round6(facts.model.predict(s.lead).probability)
        if probability == s.lead.probability or s.lead.is_read_only:
            return Outcome(s.lead)
        done = s.step(Action.RECORD_ACTIVITY, changes={"probability": probability})
        event = attrs.evolve(done.event, kind=EventKind.PROBABILITY_CHANGED)
        return Outcome.of_step(attrs.evolve(done, event=event), s.lead.version)
