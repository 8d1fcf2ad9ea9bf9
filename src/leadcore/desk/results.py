"""What desk operations hand back besides leads: batch outcomes, pages, pool summaries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs

from leadcore.errors import LeadcoreError
from leadcore.model import Lead, LeadStatus

__all__ = ["BatchResult", "LeadOutcome", "Page", "PoolSummary"]


@attrs.frozen(slots=True)
class LeadOutcome:
    """One lead's result in a batch: the lead as saved, or the error that refused it."""

    lead_id: str
    lead: Lead | None = None
    error: LeadcoreError | None = None

    @property
    def ok(self) -> bool:
        """True when the operation landed for this lead."""
        return self.error is None

    def unwrap(self) -> Lead:
        """The saved lead; raises this lead's error if the operation was refused."""
        if self.error is not None:
            raise self.error
        assert self.lead is not None
        return self.lead


@attrs.frozen(slots=True)
class BatchResult:
    """A result per lead, in the order asked. One lead's failure never undoes another's change."""

    outcomes: tuple[LeadOutcome, ...]

    def __iter__(self) -> Iterator[LeadOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def succeeded(self) -> tuple[str, ...]:
        """Ids of the leads the operation landed for."""
        return tuple(o.lead_id for o in self.outcomes if o.ok)

    @property
    def failed(self) -> dict[str, LeadcoreError]:
        """The error per lead the operation was refused for."""
        return {o.lead_id: o.error for o in self.outcomes if o.error is not None}

    def __str__(self) -> str:
        lines = [f"{len(self.succeeded)} of {len(self.outcomes)} succeeded"]
        lines += [f"  {lead_id}: {error}" for lead_id, error in self.failed.items()]
        return "\n".join(lines)


@attrs.frozen(slots=True)
class Page:
    """One page of a view. Pass ``next_cursor`` back to get the next; None means no more."""

    leads: tuple[Lead, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[Lead]:
        return iter(self.leads)

    def __len__(self) -> int:
        return len(self.leads)

    @property
    def ids(self) -> list[str]:
        """The ids of the page's leads, in order."""
        return [lead.id for lead in self.leads]


@attrs.frozen(slots=True)
class PoolSummary:
    """A pool's lead counts (线索数量): in total and per status."""

    pool_id: str
    name: str
    by_status: Mapping[LeadStatus, int]

    @property
    def total(self) -> int:
        """All leads in the pool."""
        return sum(self.by_status.values())

    def __str__(self) -> str:
        counts = ", ".join(f"{s.label} {n}" for s, n in self.by_status.items() if n)
        return f"{self.name}: {self.total} leads ({counts or 'none'})"
