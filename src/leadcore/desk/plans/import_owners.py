"""Who an import's rows go to: the pool's rule for a batch (the importer when the pool is off,
else its default owner while they stay eligible), each lead handed over counting toward the
owner's open-lead cap and quotas, within a chunk as across chunks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from leadcore.frozen import replace
from leadcore.model import Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, owner_refusal

from ..reads import Reads

__all__ = ["ChunkOwners", "first_ownership", "would_be_owner"]


def first_ownership(
    owner_id: str | None, owner: OwnerFacts | None, pool: Pool, now: datetime
) -> Mapping[str, Any]:
    """The ownership each row's lead is built with: the would-be owner's, when they may take
    leads as the chunk begins. A lead built with it is handed over as it is (``ChunkOwners``
    takes it back only from a row past the owner's cap or a quota), so a row's lead is built
    once."""
    if owner_id is None or owner is None or owner.user is None:
        return {}
    if owner_refusal(owner_id, owner, pool) is not None:
        return {}
    return {
        "status": LeadStatus.ASSIGNED,
        "owner_id": owner_id,
        "department_id": owner.user.department_id,
        "assigned_at": now,
    }


def would_be_owner(reads: Reads, actor: User, pool: Pool) -> tuple[str | None, OwnerFacts | None]:
    """Who a chunk's rows go to by the pool's rule for a batch, with the facts about them: the
    importer when the pool is off (never away from their own leads), else its default owner,
    else nobody (the leads wait for ``distribute``)."""
    if not pool.enabled:
        return actor.id, attrs.evolve(reads.owner_facts(actor.id, pool), away=None)
    if pool.default_owner_id is not None:
        return pool.default_owner_id, reads.owner_facts(pool.default_owner_id, pool)
    return None, None


class ChunkOwners:
    """The pool's batch rule for a first owner, counting what one chunk hands out."""

    def __init__(self, owner_id: str | None, owner: OwnerFacts | None, pool: Pool) -> None:
        self.owner_id = owner_id
        self.facts = owner
        self.records = pool.enabled
        self.reason = (
            "pool is off: the creator owns the lead"
            if not pool.enabled
            else "the pool's default owner"
        )
        self.rule = "creator" if not pool.enabled else "default_owner"
        self.given = 0
        self.room = None if owner is None else owner.room(pool)

    def give(self, lead: Lead) -> Lead:
        """``lead`` as the rule leaves it: loaded already owned when the owner could take
        leads as the chunk began (see ``first_ownership``), it goes back to waiting unassigned
        once they may take no more (their cap or a quota, counting what this chunk gave
        them)."""
        if lead.owner_id is None or self.owner_id is None or self.facts is None:
            return lead
        if self.room is not None and self.given >= self.room:
            return replace(
                lead,
                status=LeadStatus.UNASSIGNED,
                owner_id=None,
                department_id=None,
                assigned_at=None,
            )
        self.given += 1
        return lead
