"""A score model as plain data, in the form the scorer compiles and a score explains itself by.

:meth:`ScoreModel.sheet <leadcore.scoring.model.ScoreModel.sheet>` makes one from a checked
model: each behaviour rule already carries the decay that applies to it, the grades are filled
in, the maximum is worked out. A :class:`~leadcore.scoring.explain.Score` keeps the sheet (not
the scorer) so that its breakdown can name each rule.
"""

from __future__ import annotations

import attrs

from leadcore.scoring.behaviour import BehaviourRule
from leadcore.scoring.grades import Grade
from leadcore.scoring.profile import Dimension
from leadcore.signatures import checked_constructor

__all__ = ["ScoreSheet"]


@checked_constructor
@attrs.frozen(slots=True)
class ScoreSheet:
    """The profile ``dimensions``, the ``behaviour`` rules (each with its decay resolved), the
    ``grades`` from the highest threshold down, the ``mql_at_least`` threshold and the
    ``max_score`` a lead can reach."""

    dimensions: tuple[Dimension, ...]
    behaviour: tuple[BehaviourRule, ...]
    grades: tuple[Grade, ...]
    mql_at_least: float
    max_score: float
