"""Lead scoring and grading (线索评分 / 智能分级): pure functions of leads, their activities
and a ``now``.

* :class:`ScoreModel` — profile dimensions, behaviour rules with decay and caps, grades and the
  MQL threshold, as plain data (dict / JSON / TOML); ``model.compile()`` gives a :class:`Scorer`.
* :class:`Scorer` — ``score`` / ``score_many`` → :class:`Score` (total, grade, MQL, breakdown).
* :func:`apply_score`, :func:`crossed_into_mql`, :func:`accept_sql` — the MQL / SQL steps.
* :func:`readiness` — suggest converting when 3 or more of five readiness signals hold.
* :func:`fit_predictive` → :class:`PredictiveModel` — the learned grade: the probability that a
  lead converts, from how leads with the same field values fared; :func:`fit_scoped` →
  :class:`ScopedPredictiveModel` keeps one per pool (or team) beside the organisation's.

Modules, from the bottom up (each imports only those above it):

* ``rounding`` (6-decimal rounding) · ``table`` (text tables) · ``problems`` (config errors) ·
  ``fields`` (which lead fields are read, how values compare) · ``activity`` (``Activity``)
* ``profile`` (dimensions) · ``behaviour`` (rules, ``Decay``) · ``grades`` (``Grade``, the
  grading rule) · ``loading`` (dict / JSON / TOML with every junk input a ``ConfigError``)
* ``sheet`` (``ScoreSheet``: a model as plain data) · ``explain`` (``Score``, ``Breakdown``)
* ``scorer`` (``Scorer``, the fast path) · ``model`` (``ScoreModel``) · ``qualification``
  (MQL / SQL steps) · ``readiness`` · ``predictive_data`` → ``predictive_keys`` → ``predictive``
  → ``predictive_fit`` (the learned grade: its data, the keys values count under — money per
  currency —, the model, fitting) · ``examples``
"""

from leadcore.scoring.activity import Activity, ActivityKind, activity_kind
from leadcore.scoring.behaviour import BehaviourRule, Decay, DecayKind
from leadcore.scoring.explain import Breakdown, Part, Score, Workings
from leadcore.scoring.grades import Grade, GradeScale
from leadcore.scoring.model import ScoreModel
from leadcore.scoring.predictive import (
    Contribution,
    ConversionOutcome,
    Prediction,
    PredictiveModel,
)
from leadcore.scoring.predictive_data import Tally
from leadcore.scoring.predictive_fit import (
    Predictor,
    ScopedPredictiveModel,
    fit_predictive,
    fit_scoped,
)
from leadcore.scoring.profile import Band, Dimension, ProfileCondition
from leadcore.scoring.qualification import accept_sql, apply_score, crossed_into_mql
from leadcore.scoring.readiness import Readiness, ReadinessSignal, readiness
from leadcore.scoring.scorer import Scorer
from leadcore.scoring.sheet import ScoreSheet

__all__ = [
    "Activity",
    "ActivityKind",
    "Band",
    "BehaviourRule",
    "Breakdown",
    "Contribution",
    "ConversionOutcome",
    "Decay",
    "DecayKind",
    "Dimension",
    "Grade",
    "GradeScale",
    "Part",
    "Prediction",
    "PredictiveModel",
    "Predictor",
    "ProfileCondition",
    "Readiness",
    "ReadinessSignal",
    "ScopedPredictiveModel",
    "Score",
    "ScoreModel",
    "ScoreSheet",
    "Scorer",
    "Tally",
    "Workings",
    "accept_sql",
    "activity_kind",
    "apply_score",
    "crossed_into_mql",
    "fit_predictive",
    "fit_scoped",
    "readiness",
]
