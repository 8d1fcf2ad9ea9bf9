"""Lead scoring and grading (线索评分 / 智能分级, SPEC §7): pure functions of leads, their
activities and a ``now``.

* :class:`ScoreModel` — profile dimensions, behaviour rules with decay and caps, grades and the
  MQL threshold, as plain data (dict / JSON / TOML); ``model.compile()`` gives a :class:`Scorer`.
* :class:`Scorer` — ``score`` / ``score_many`` → :class:`Score` (total, grade, MQL, breakdown).
* :func:`apply_score`, :func:`crossed_into_mql`, :func:`accept_sql` — the MQL / SQL steps.
* :func:`readiness` — conversion readiness from the five signals of SPEC §7.4.
* :func:`fit_predictive` → :class:`PredictiveModel` — the learned grade of SPEC §7.5.
"""

from leadcore.scoring.activity import Activity, ActivityKind
from leadcore.scoring.behaviour import BehaviourRule, Decay
from leadcore.scoring.explain import Breakdown, Part, Score
from leadcore.scoring.grades import Grade, accept_sql, apply_score, crossed_into_mql
from leadcore.scoring.model import ScoreModel
from leadcore.scoring.predictive import (
    Contribution,
    Prediction,
    PredictiveModel,
    fit_predictive,
)
from leadcore.scoring.profile import Band, Dimension, ProfileCondition
from leadcore.scoring.readiness import Readiness, ReadinessSignal, readiness
from leadcore.scoring.scorer import Scorer

__all__ = [
    "Activity",
    "ActivityKind",
    "Band",
    "BehaviourRule",
    "Breakdown",
    "Contribution",
    "Decay",
    "Dimension",
    "Grade",
    "Part",
    "Prediction",
    "PredictiveModel",
    "ProfileCondition",
    "Readiness",
    "ReadinessSignal",
    "Score",
    "ScoreModel",
    "Scorer",
    "accept_sql",
    "apply_score",
    "crossed_into_mql",
    "fit_predictive",
    "readiness",
]
