"""What a merge's survivor takes from the leads merged into it: its empty fields filled (the
next-ranked lead first), their custom fields it lacks, their collaborators and followers, the
latest follow-up time, and — when it is open — the soonest next due date of the open leads
merged, when its own is later or missing. Each filled field is recorded with the lead it came
from, for an unmerge to take it back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from leadcore.events import Event, EventKind, diff_fields
from leadcore.intake import DETAIL_FIELDS
from leadcore.model import Lead

from ..outcome import SaveLead

__all__ = ["FILLED", "Filling", "filling", "saved"]

FILLED: tuple[str, ...] = DETAIL_FIELDS
"""The fields a merge fills on the survivor when they are empty there."""


@attrs.frozen(slots=True)
class Filling:
    """The survivor's changed fields, where each filled one came from (``filled``: field, or
    ``custom_fields.<name>``, or ``next_due_at`` → lead id), and who joined it."""

    changes: Mapping[str, Any]
    filled: Mapping[str, str]
    collaborators_added: list[str]
    followers_added: list[str]


def _empty(value: object) -> bool:
    return value is None or value == ""


def filling(survivor: Lead, others: Sequence[Lead]) -> Filling:
    """What ``survivor`` takes from ``others`` (best first) in a merge (see the module)."""
    filled: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for name in FILLED:
        if not _empty(getattr(survivor, name)):
            continue
        for other in others:
            value = getattr(other, name)
            if not _empty(value):
                changes[name], filled[name] = value, other.id
                break
    custom = dict(survivor.custom_fields)
    for other in others:
        for name, value in other.custom_fields.items():
            if name not in custom:
                custom[name] = value
                filled[f"custom_fields.{name}"] = other.id
    if len(custom) != len(survivor.custom_fields):
        changes["custom_fields"] = custom
    collaborators = set(survivor.collaborators)
    roles = dict(survivor.collaborator_roles)
    followers = set(survivor.followers)
    for other in others:
        for user in other.collaborators:
            if user != survivor.owner_id and user not in collaborators:
                collaborators.add(user)
                if user in other.collaborator_roles:
                    roles[user] = other.collaborator_roles[user]
        followers |= other.followers
    added_collaborators = sorted(collaborators - survivor.collaborators)
    added_followers = sorted(followers - survivor.followers)
    if added_collaborators:
        changes.update(collaborators=frozenset(collaborators), collaborator_roles=roles)
    if added_followers:
        changes["followers"] = frozenset(followers)
    last = [x for x in (survivor.last_followed_at, *(o.last_followed_at for o in others)) if x]
    if last and max(last) != survivor.last_followed_at:
        changes["last_followed_at"] = max(last)
    sooner = _sooner_due(survivor, others)
    if sooner is not None:
        changes["next_due_at"], filled["next_due_at"] = sooner.next_due_at, sooner.id
    return Filling(changes, filled, added_collaborators, added_followers)


def _sooner_due(survivor: Lead, others: Sequence[Lead]) -> Lead | None:
    """The open lead among ``others`` due soonest (the first ranked on a tie), when it is due
    before an open ``survivor`` (or the survivor is due for nothing): the soonest promise to
    the customer is kept. A survivor nobody holds is due for nothing, like any such lead."""
    if not survivor.is_open:
        return None
    dates = [(o.next_due_at, o) for o in others if o.is_open and o.next_due_at is not None]
    if not dates:
        return None
    at, first = min(dates, key=lambda d: d[0])
    own = survivor.next_due_at
    return first if own is None or at < own else None


def saved(
    lead: Lead,
    after: Lead,
    kind: EventKind,
    at: datetime,
    actor_id: str,
    *,
    reason: str,
    data: Mapping[str, object],
) -> tuple[SaveLead, Event]:
    """``after`` saved over ``lead`` (at the version it was read), and the ``kind`` event
    about ``lead`` naming each field that changed."""
    changes = diff_fields(lead, after)
    event = Event.about(lead, kind, at, actor_id, changes=changes, reason=reason, data=data)
    return SaveLead(after, lead.version), event
