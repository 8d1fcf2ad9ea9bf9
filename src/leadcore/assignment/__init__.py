"""Assignment (分配): the strategies that choose a lead's owner, and claim limits (抢单).

Strategies are pure: ``strategy.choose(lead, ctx)`` reads users, loads and stored state through
an ``AssignmentContext`` and returns a ``Choice`` (owner or decline, reason, excluded candidates,
tie-break, state updates for the caller to write). See ``docs/assignment.md``.
"""

from leadcore.assignment.balancers import (
    LeastLoaded,
    PerformanceBased,
    RoundRobin,
    WeightedRoundRobin,
)
from leadcore.assignment.build import KINDS, build_strategy, load_strategies
from leadcore.assignment.claims import ClaimCheck, check_claim, claims_today, record_claim
from leadcore.assignment.core import (
    DECIDED_STATUSES,
    LEAD_FIELDS,
    AssignmentContext,
    Away,
    Choice,
    MemoryContext,
    StoreContext,
    Strategy,
    Team,
    TieBreak,
    TrackRecord,
    away_key,
    away_state,
    lead_values,
    parse_away,
    state_key,
)
from leadcore.assignment.planner import DistributionPlan, PlanningContext, plan_distribution
from leadcore.assignment.routing import Chain, RouteCondition, Router, RoutingRule

__all__ = [
    "DECIDED_STATUSES",
    "KINDS",
    "LEAD_FIELDS",
    "AssignmentContext",
    "Away",
    "Chain",
    "Choice",
    "ClaimCheck",
    "DistributionPlan",
    "LeastLoaded",
    "MemoryContext",
    "PerformanceBased",
    "PlanningContext",
    "RoundRobin",
    "RouteCondition",
    "Router",
    "RoutingRule",
    "StoreContext",
    "Strategy",
    "Team",
    "TieBreak",
    "TrackRecord",
    "WeightedRoundRobin",
    "away_key",
    "away_state",
    "build_strategy",
    "check_claim",
    "claims_today",
    "lead_values",
    "load_strategies",
    "parse_away",
    "plan_distribution",
    "record_claim",
    "state_key",
]
