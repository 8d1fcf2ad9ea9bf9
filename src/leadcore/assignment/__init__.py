"""Assignment (分配): the strategies that choose a lead's owner.

Strategies are pure: ``strategy.needs(lead, pool)`` says what the decision will read;
``strategy.choose(lead, ctx)`` reads those facts from an ``AssignmentContext`` (a
``MemoryContext`` the caller filled) and returns a ``Choice`` (owner or decline, reason,
excluded candidates, tie-break, state updates for the caller to write). See
``docs/assignment.md``.
"""

from leadcore.assignment.balancers import (
    LeastLoaded,
    PerformanceBased,
    RoundRobin,
    WeightedRoundRobin,
)
from leadcore.assignment.build import KINDS, build_strategy, load_strategies
from leadcore.assignment.choice import Choice, Team, decline, state_key
from leadcore.assignment.context import (
    DECIDED_STATUSES,
    AssignmentContext,
    MemoryContext,
    TrackRecord,
    track_record_of,
)
from leadcore.assignment.core import (
    Needs,
    Strategy,
    TieBreak,
    chosen,
    default_team,
    needed,
    screen,
)
from leadcore.assignment.fields import LEAD_FIELDS, lead_values
from leadcore.assignment.planner import (
    DistributionPlan,
    PlanningContext,
    distribution_needs,
    plan_distribution,
)
from leadcore.assignment.routing import Chain, RouteCondition, Router, RoutingRule
from leadcore.assignment.schedules import Scheduled, closed_reason
from leadcore.records import Away

__all__ = [
    "DECIDED_STATUSES",
    "KINDS",
    "LEAD_FIELDS",
    "AssignmentContext",
    "Away",
    "Chain",
    "Choice",
    "DistributionPlan",
    "LeastLoaded",
    "MemoryContext",
    "Needs",
    "PerformanceBased",
    "PlanningContext",
    "RoundRobin",
    "RouteCondition",
    "Router",
    "RoutingRule",
    "Scheduled",
    "Strategy",
    "Team",
    "TieBreak",
    "TrackRecord",
    "WeightedRoundRobin",
    "build_strategy",
    "chosen",
    "closed_reason",
    "decline",
    "default_team",
    "distribution_needs",
    "lead_values",
    "load_strategies",
    "needed",
    "plan_distribution",
    "screen",
    "state_key",
    "track_record_of",
]
