"""Scoring on the desk (线索评分): recorded behaviour, sales acceptance (SQL), re-scoring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import EventKind
from leadcore.jsonvalue import dump_json
from leadcore.model import Action, Lead
from leadcore.scoring import Activity
from leadcore.scoring import accept_sql as accepted_as_sql

from ..outcome import Outcome
from .common import ScoredCommand, ScoredSubject, rescored_step

__all__ = ["AcceptSql", "RecordActivity", "Rescore"]


def activity_event_data(activity: Activity) -> dict[str, object]:
    """What an ``activity_recorded`` event carries (JSON-ready)."""
    return {
        "activity": activity.kind,
        "at": activity.at.isoformat(),
        "details": dict(activity.data),
    }


@attrs.frozen(kw_only=True)
class RecordActivity(ScoredCommand):
    """Record a prospect's behaviour (pricing-page visit, whitepaper download, …) and
    re-score the lead. ``at`` (default: now) may not be in the future."""

    action: ClassVar[Action] = Action.RECORD_ACTIVITY
    kind: object
    at: object = None
    details: object = None

    def plan(self, facts: ScoredSubject) -> Outcome[Lead]:
        """The lead re-scored, an ``activity_recorded`` event, and ``mql_reached`` if it just
        became an MQL."""
        s = facts.subject
        kind = checks.text(self.kind, "kind", max_len=100)
        when = s.now if self.at is None else checks.aware(self.at, "at")
        if when > s.now:
            raise ValidationError([FieldProblem("at", "must not be in the future")])
        if self.details is not None and not isinstance(self.details, Mapping):
            raise ValidationError([FieldProblem("details", "must be a mapping of details")])
        activity = Activity(kind, when, lead_id=s.lead.id, data=self.details or {})
        data = activity_event_data(activity)
        checks_json(data)
        done = s.step(Action.RECORD_ACTIVITY, data=data)
        done, mql = rescored_step(self.setup, facts, done, activity)
        return Outcome.of_step(done, s.lead.version, *mql)


def checks_json(data: Mapping[str, object]) -> None:
    """Refuse activity details JSON cannot hold (they are stored with the event)."""
    dump_json(data, "details")


@attrs.frozen(kw_only=True)
class AcceptSql(ScoredCommand):
    """Sales accepts the lead (销售认可, SQL): ``sql_at`` is set once; accepting again writes
    nothing."""

    action: ClassVar[Action] = Action.ACCEPT_SQL

    def plan(self, facts: ScoredSubject) -> Outcome[Lead]:
        """The lead with ``sql_at``, and an ``sql_accepted`` event (nothing if already)."""
        s = facts.subject
        accepted, changed = accepted_as_sql(s.lead, now=s.now)
        if not changed:
            return Outcome(s.lead)
        done = s.step(
            Action.ACCEPT_SQL,
            changes={"sql_at": accepted.sql_at},
        )
        return Outcome.of_step(done, s.lead.version)


@attrs.frozen(kw_only=True)
class Rescore(ScoredCommand):
    """Bring a stored score up to date (behaviour decays as time passes)."""

    action: ClassVar[Action] = Action.RECORD_ACTIVITY

    def plan(self, facts: ScoredSubject) -> Outcome[Lead]:
        """The lead with its new score and a ``score_changed`` event; nothing when unchanged."""
        s = facts.subject
        self.setup.require_scorer()
        done = s.step(Action.RECORD_ACTIVITY)
        scored, mql = rescored_step(self.setup, facts, done)
        if (scored.lead.score, scored.lead.grade, scored.lead.mql_at) == (
            s.lead.score,
            s.lead.grade,
            s.lead.mql_at,
        ):
            return Outcome(s.lead)
        event = attrs.evolve(scored.event, kind=EventKind.SCORE_CHANGED, data={})
        return Outcome.of_step(attrs.evolve(scored, event=event), s.lead.version, *mql)
