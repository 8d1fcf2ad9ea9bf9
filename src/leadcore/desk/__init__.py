"""The application service: ``LeadDesk``, the runner every operation goes through, and what
operations return."""

from leadcore.desk.desk import LeadDesk
from leadcore.desk.reads import context_for
from leadcore.desk.results import BatchResult, LeadOutcome, Page, PoolSummary
from leadcore.desk.views import View

__all__ = ["BatchResult", "LeadDesk", "LeadOutcome", "Page", "PoolSummary", "View", "context_for"]
