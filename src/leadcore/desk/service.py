"""``LeadDesk``: the application service a host calls, one method per lead operation.

Every operation runs in one unit of work: load → decide (lifecycle and policy, with a reason) →
compute the new state (pure) → save with the version read → append the events. A refused
operation raises before anything is written; a failing one rolls back whole. The operations
live in small groups (pools, records, moves, routing, scores, access, reading) over one base.
"""

from __future__ import annotations

from leadcore.desk.access import AccessOps
from leadcore.desk.moves import MoveOps
from leadcore.desk.pools import PoolOps
from leadcore.desk.reading import ReadOps
from leadcore.desk.records import RecordOps
from leadcore.desk.routing import RoutingOps
from leadcore.desk.scores import ScoreOps

__all__ = ["LeadDesk"]


class LeadDesk(PoolOps, RecordOps, MoveOps, RoutingOps, ScoreOps, AccessOps, ReadOps):
    """Every lead operation of SPEC §4, checked against the policy and recorded as events.

    ``store`` holds the data, ``clock`` tells the time, ``org`` knows users and departments.
    ``policy`` decides who may do what (``Policy.default()`` follows SPEC §5). ``ids`` makes
    record ids (random UUIDs unless a replayable factory is given). ``rules`` and
    ``custom_fields`` validate lead input. ``strategies`` are the auto-assign strategies pools
    name in ``Pool.auto_assign``; ``rng`` is their random source. ``scorer`` (a compiled
    ``ScoreModel``) keeps each lead's score, grade and MQL mark current on create, edit,
    follow-up and recorded activity.
    """
