"""The application service: ``LeadDesk``, the runner every operation goes through, and what
operations return. To add an operation of your own, write a command with ``load``, ``decide``
and ``plan`` (``SubjectCommand`` does the first two for a single lead) and ``desk.run`` it."""

from leadcore.desk.desk import LeadDesk
from leadcore.desk.outcome import Outcome
from leadcore.desk.plans.common import LeadCommand, SubjectCommand
from leadcore.desk.plans.sweeping import SweepSummary
from leadcore.desk.reads import Reads, Subject, context_for
from leadcore.desk.results import (
    BatchResult,
    FollowUps,
    History,
    LeadOutcome,
    Page,
    PoolSummary,
)
from leadcore.desk.runner import Operation, Runner
from leadcore.desk.setup import Setup
from leadcore.desk.views import View

__all__ = [
    "BatchResult",
    "FollowUps",
    "History",
    "LeadCommand",
    "LeadDesk",
    "LeadOutcome",
    "Operation",
    "Outcome",
    "Page",
    "PoolSummary",
    "Reads",
    "Runner",
    "Setup",
    "Subject",
    "SubjectCommand",
    "SweepSummary",
    "View",
    "context_for",
]
