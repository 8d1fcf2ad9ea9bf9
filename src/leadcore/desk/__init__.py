"""The application service: ``LeadDesk`` and what its operations return."""

from leadcore.desk.results import BatchResult, LeadOutcome, Page, PoolSummary
from leadcore.desk.service import LeadDesk
from leadcore.desk.views import View

__all__ = ["BatchResult", "LeadDesk", "LeadOutcome", "Page", "PoolSummary", "View"]
