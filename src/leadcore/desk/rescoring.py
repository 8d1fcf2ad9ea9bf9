"""Keeping a lead's score, grade and MQL mark current as it changes (SPEC §7), for the desk.

Behaviour is recorded as ``activity_recorded`` events on the lead; these helpers read them back
as ``Activity`` records, re-score a lead with the desk's scorer and say whether it just became
an MQL (the desk then appends ``mql_reached``, which a host pushes to sales).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from leadcore.events import Event, EventKind
from leadcore.model import Lead
from leadcore.scoring import Activity, Scorer, apply_score
from leadcore.storage.protocol import UnitOfWork

__all__ = ["activities_of", "activity_event_data", "rescore"]


def activity_event_data(activity: Activity) -> dict[str, object]:
    """What an ``activity_recorded`` event carries (JSON-ready)."""
    return {
        "activity": activity.kind,
        "at": activity.at.isoformat(),
        "details": dict(activity.data),
    }


def activities_of(uow: UnitOfWork, lead_id: str) -> list[Activity]:
    """Every behaviour recorded on the lead, oldest first."""
    found = []
    for event in uow.events_since(0, lead_id=lead_id):
        if event.kind is EventKind.ACTIVITY_RECORDED:
            data = event.data
            details = data.get("details")
            found.append(
                Activity(
                    str(data["activity"]),
                    datetime.fromisoformat(str(data["at"])),
                    lead_id=lead_id,
                    data=details if isinstance(details, Mapping) else {},
                )
            )
    return found


def rescore(
    scorer: Scorer | None,
    uow: UnitOfWork,
    lead: Lead,
    *,
    actor_id: str,
    now: datetime,
    new_activity: Activity | None = None,
) -> tuple[Lead, list[Event]]:
    """The lead with its score and grade brought up to date at ``now``, and the
    ``mql_reached`` event if it just became an MQL. Unchanged when there is no scorer."""
    if scorer is None:
        return lead, []
    activities = activities_of(uow, lead.id) if lead.version else []
    if new_activity is not None:
        activities.append(new_activity)
    score = scorer.score(lead, activities, now=now)
    scored, reached = apply_score(lead, score, now=now)
    if not reached:
        return scored, []
    event = Event(
        EventKind.MQL_REACHED,
        now,
        actor_id,
        lead_id=lead.id,
        pool_id=lead.pool_id,
        reason=f"score {score.total:g} reached the MQL threshold (grade {score.grade})",
        data={"score": score.total, "grade": score.grade},
    )
    return scored, [event]
