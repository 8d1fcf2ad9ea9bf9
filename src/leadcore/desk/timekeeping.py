"""The desk's time-keeping methods (时效管理), mixed into ``LeadDesk``: the sweep, time left,
protection from recycling, opening pool leads within the daily limit, and follow-ups by author
and period. Each method only builds its plan or read and hands it to the runner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import FollowUp, Lead
from leadcore.sla import TimeLeft

from . import reading_times
from .plans.browsing import OpenPoolLead
from .plans.common import FURTHEST_AHEAD
from .plans.protecting import Protect
from .plans.sweeping import SweepSummary, sweep
from .reads import Reads
from .runner import Operation, Runner
from .setup import Setup

__all__ = ["TimeKeeping"]

T = TypeVar("T")


class TimeKeeping:
    """Time-keeping operations on a desk (see ``LeadDesk``)."""

    setup: Setup
    _runner: Runner

    def _run(self, command: Callable[..., Operation[Any, T]], **arguments: Any) -> T:
        raise NotImplementedError  # pragma: no cover - LeadDesk defines it

    def _read(self, question: Callable[[Reads], T]) -> T:
        raise NotImplementedError  # pragma: no cover - LeadDesk defines it

    def sweep(self, now: datetime | None = None, *, batch: int = 500) -> SweepSummary:
        """Run the pools' clocks at ``now`` (default: the desk's clock): emit every reminder,
        warning and escalation step that has come due, once, and recycle or reassign every
        held lead past its rule. Call it from cron or a worker loop; it reads only the leads
        with a step due (the store's due-time index, ``batch`` at a time). Sweeping again at
        the same ``now`` emits nothing; two sweepers at once never act twice on one lead.
        ``now`` may be at most five years after the desk's clock (it stamps the events and the
        recycles, and one centuries away is a typo)."""
        size = checks.whole(batch, "batch", least=1, most=100_000)
        clock = self._runner.now()
        if now is None:
            return sweep(self._runner, self.setup, now=clock, batch=size)
        when = checks.aware(now, "now")
        if when - clock > FURTHEST_AHEAD:
            shown = f"{clock.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            reason = (
                f"must be at most five years after the desk's clock ({shown}), "
                f"not {when:%Y-%m-%d %H:%M} UTC"
            )
            raise ValidationError([FieldProblem("now", reason)], subject="sweep")
        return sweep(self._runner, self.setup, now=when, batch=size)

    def time_left(self, actor_id: str, lead_id: str) -> TimeLeft:
        """Which rule next recycles or reassigns the lead and when, the hours left on the
        pool's clock (剩余时间; a follow-up resets it), the nearest step of any kind, and any
        exemption holding it off."""
        return self._read(lambda reads: reading_times.lead_time_left(reads, actor_id, lead_id))

    def leads_by_time_left(self, actor_id: str, *, limit: int = 50) -> list[TimeLeft]:
        """The actor's held leads ("my leads") by time left, soonest first (剩余天数)."""
        return self._read(lambda reads: reading_times.leads_by_time_left(reads, actor_id, limit))

    def protect(
        self,
        actor_id: str,
        lead_id: str,
        until: datetime | None,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> Lead:
        """Protect the lead from recycling and reassignment until ``until`` (None lifts it);
        the pool's admins and system admins may, with a reason, audited as ``lead_protected``.
        The protection is of the current hold: it ends when the lead goes back to a pool
        (given back, recycled) or is transferred."""
        return self._run(
            Protect,
            actor_id=actor_id,
            lead_id=lead_id,
            until=until,
            reason=reason,
            expected_version=expected_version,
        )

    def open_pool_lead(self, actor_id: str, lead_id: str) -> Lead:
        """Open a lead in detail. For one of a pool's waiting leads this counts against the
        pool's ``max_opens_per_day`` for members; past it, ``LimitReached`` says how many were
        opened and when the count resets."""
        return self._run(OpenPoolLead, actor_id=actor_id, lead_id=lead_id)

    def follow_up_log(
        self,
        actor_id: str,
        *,
        author_id: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
        limit: int = 100,
    ) -> list[FollowUp]:
        """Follow-up records by author and period (``since`` inclusive, ``before``
        exclusive), oldest first, only on leads the actor may see."""
        return self._read(
            lambda reads: reading_times.follow_up_log(
                reads, actor_id, author_id=author_id, since=since, before=before, limit=limit
            )
        )
