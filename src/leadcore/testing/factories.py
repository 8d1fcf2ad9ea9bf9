"""Factories for valid records with sensible defaults; override any field by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadcore.model import FollowUp, FollowUpMethod, Lead, LeadStatus, Pool
from leadcore.records import Grant, GrantStatus
from leadcore.storage.protocol import LeadStore

__all__ = [
    "EPOCH",
    "make_follow_up",
    "make_grant",
    "make_lead",
    "make_pool",
    "make_team_lead",
    "stored",
]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""The instant factories use unless told otherwise: 2026-01-01T00:00Z."""


def make_lead(lead_id: str, **fields: Any) -> Lead:
    """An unassigned lead in pool ``pool-a`` created by ``u1`` at ``EPOCH``, with ``fields`` applied."""
    defaults: dict[str, Any] = {"pool_id": "pool-a", "created_by": "u1", "created_at": EPOCH}
    return Lead(id=lead_id, **{**defaults, **fields})


def make_team_lead(lead_id: str, **fields: Any) -> Lead:
    """A lead that touches every index: owned by ``u1``, with collaborator ``u2``, follower
    ``u3`` and a follow-up due at ``EPOCH``; ``fields`` applied."""
    team: dict[str, Any] = {
        "status": LeadStatus.ASSIGNED,
        "owner_id": "u1",
        "collaborators": {"u2"},
        "followers": {"u3"},
        "next_due_at": EPOCH,
    }
    return make_lead(lead_id, **{**team, **fields})


def make_pool(pool_id: str, **fields: Any) -> Pool:
    """A pool named after its id, switched on, with ``fields`` applied."""
    return Pool(id=pool_id, **{"name": pool_id, **fields})


def make_follow_up(follow_up_id: str, lead_id: str, **fields: Any) -> FollowUp:
    """A phone follow-up by ``u1`` at ``EPOCH`` with content and result, ``fields`` applied."""
    defaults: dict[str, Any] = {
        "author_id": "u1",
        "at": EPOCH,
        "method": FollowUpMethod.PHONE,
        "content": "电话沟通需求",
        "result": "有意向",
    }
    return FollowUp(id=follow_up_id, lead_id=lead_id, **{**defaults, **fields})


def stored(store: LeadStore, *leads: Lead) -> LeadStore:
    """``store`` with ``leads`` added in one unit of work (each at version 1)."""
    with store.unit_of_work() as uow:
        for lead in leads:
            uow.add_lead(lead)
        uow.commit()
    return store


def make_grant(
    grant_id: str,
    user: str,
    lead: str,
    *,
    hours: float = 2,
    approved: bool = True,
    start: datetime = EPOCH,
) -> Grant:
    """A grant of ``hours`` for ``user`` on ``lead``, requested at ``start`` (approved then by
    ``u9``, or still pending)."""
    return Grant(
        id=grant_id,
        grantee_id=user,
        lead_id=lead,
        reason="协助",
        requested_at=start,
        hours=hours,
        status=GrantStatus.APPROVED if approved else GrantStatus.PENDING,
        approved_by="u9" if approved else None,
        approved_at=start if approved else None,
        expires_at=start + timedelta(hours=hours) if approved else None,
    )
