"""Scoring on the desk: recorded behaviour, sales acceptance (SQL), scores with explanations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from leadcore.clock import ensure_aware
from leadcore.desk.base import DeskBase, Loaded
from leadcore.desk.rescoring import activities_of, activity_event_data
from leadcore.desk.results import BatchResult
from leadcore.errors import (
    FieldProblem,
    LeadcoreError,
    ValidationError,
)
from leadcore.events import EventKind
from leadcore.model import (
    Action,
    Lead,
)
from leadcore.scoring import Activity, Readiness, ReadinessSignal, Score, readiness
from leadcore.scoring import accept_sql as accepted_as_sql

__all__ = ["ScoreOps"]


class ScoreOps(DeskBase):
    """Behaviour, scores, MQL and SQL (线索评分)."""

    def record_activity(
        self,
        actor_id: str,
        lead_id: str,
        kind: str,
        *,
        at: datetime | None = None,
        details: Mapping[str, object] | None = None,
    ) -> Lead:
        """Record a prospect's behaviour (pricing-page visit, whitepaper download, ...) and
        re-score the lead. ``at`` defaults to now and may not be in the future. Reaching the MQL
        threshold appends ``mql_reached`` after ``activity_recorded``."""
        recorded: list[Activity] = []

        def change(op: Loaded) -> Lead:
            when = op.now if at is None else ensure_aware(at, "at")
            if when > op.now:
                raise ValidationError([FieldProblem("at", "must not be in the future")])
            try:
                activity = Activity(kind, when, lead_id=op.lead.id, data=details or {})
            except (TypeError, ValueError) as e:
                if isinstance(e, LeadcoreError):
                    raise
                raise ValidationError([FieldProblem("kind", str(e))]) from e
            recorded.append(activity)
            return self._scored(op, attrs.evolve(op.lead, updated_at=op.now), activity)

        return self._act(
            actor_id,
            lead_id,
            Action.RECORD_ACTIVITY,
            change,
            kind=EventKind.ACTIVITY_RECORDED,
            data=lambda op, lead: activity_event_data(recorded[0]),
        )

    def accept_sql(self, actor_id: str, lead_id: str) -> Lead:
        """Sales accepts the lead (销售认可, SQL): ``sql_at`` is set once; accepting again
        changes nothing and writes nothing."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.ACCEPT_SQL)
            accepted, changed = accepted_as_sql(op.lead, now=op.now)
            if not changed:
                return op.lead
            saved = uow.save_lead(
                attrs.evolve(accepted, updated_at=op.now), expected_version=op.lead.version
            )
            uow.append_events([self._event(op, EventKind.SQL_ACCEPTED, saved)])
            uow.commit()
            return saved

    def score(self, actor_id: str, lead_id: str) -> Score:
        """The lead's score now, with its breakdown (``str()`` renders the explain table).
        Needs view access; ``ValidationError`` if this desk has no scorer."""
        scorer = self._require_scorer()
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            return scorer.score(op.lead, activities_of(uow, lead_id), now=op.now)

    def rescore(self, actor_id: str, lead_ids: Iterable[str]) -> BatchResult:
        """Bring stored scores up to date (behaviour decays as time passes); a result per
        lead. Leads whose score and grade did not change are returned as they are."""
        self._require_scorer()

        def one(lead_id: str) -> Lead:
            with self.store.unit_of_work() as uow:
                op = self._load(uow, actor_id, lead_id, None)
                self._require(op, Action.RECORD_ACTIVITY)
                new = self._scored(op, op.lead)
                if new == op.lead:
                    return op.lead
                saved = uow.save_lead(
                    attrs.evolve(new, updated_at=op.now), expected_version=op.lead.version
                )
                uow.append_events(
                    [self._event(op, EventKind.SCORE_CHANGED, saved), *op.extra_events]
                )
                uow.commit()
                return saved

        return self._batch(lead_ids, one)

    def readiness(
        self, actor_id: str, lead_id: str, *, signals: Iterable[ReadinessSignal | str] = ()
    ) -> Readiness:
        """Whether to suggest converting the lead (SPEC §7.4: 3 or more of the 5 signals), from
        its budget, stage, recorded activities and follow-ups, plus ``signals`` the host found
        itself. Needs view access."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            stages = op.pool.sales_stages
            return readiness(
                op.lead,
                activities_of(uow, lead_id),
                uow.follow_ups(lead_id),
                signals=signals,
                now=op.now,
                intent_stage=stages[-1] if stages else "",
            )
