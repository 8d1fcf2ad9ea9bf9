"""Ownership and lifecycle moves on the desk: assign, claim, reclaim, release, return,
change owner, transfer, convert, invalidate, close, reopen, and their batches."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from leadcore.assignment.claims import record_claim
from leadcore.desk.base import DeskBase, Loaded
from leadcore.desk.results import BatchResult
from leadcore.errors import (
    FieldProblem,
    ValidationError,
)
from leadcore.events import EventKind
from leadcore.lifecycle import transition
from leadcore.model import (
    Action,
    Lead,
)

__all__ = ["MoveOps"]


class MoveOps(DeskBase):
    """Who holds a lead and where it stands in its lifecycle."""

    def assign(
        self,
        actor_id: str,
        lead_id: str,
        owner_id: str,
        *,
        department_id: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Give an unassigned lead an owner (pool admins). The owner must be an active pool member."""

        def change(op: Loaded) -> Lead:
            owner = self._owner(owner_id, op.pool)
            return transition(
                op.lead,
                Action.ASSIGN,
                at=op.now,
                owner_id=owner.id,
                department_id=department_id or owner.department_id,
            )

        return self._act(
            actor_id, lead_id, Action.ASSIGN, change, expected_version=expected_version
        )

    def reclaim(self, actor_id: str, lead_id: str, *, reason: str | None = None) -> Lead:
        """Take an assigned lead back into the pool (收回; pool admins)."""
        return self._move(actor_id, lead_id, Action.RECLAIM, reason)

    def release(self, actor_id: str, lead_id: str, *, reason: str | None = None) -> Lead:
        """Give a lead back to the pool (释放; its owner or a pool admin)."""
        return self._move(actor_id, lead_id, Action.RELEASE, reason)

    def return_lead(self, actor_id: str, lead_id: str, reason: str) -> Lead:
        """Return a lead to the pool with a reason (退回; its owner). History is kept."""
        return self._move(actor_id, lead_id, Action.RETURN, reason)

    def change_owner(
        self,
        actor_id: str,
        lead_id: str,
        new_owner_id: str,
        *,
        department_id: str | None = None,
        move_follow_ups: bool = False,
        reason: str | None = None,
    ) -> Lead:
        """Hand a lead to another owner (调整/更换负责人). The old owner becomes a collaborator;
        with ``move_follow_ups`` the old owner's follow-up records move to the new owner."""
        moved: list[str] = []

        def change(op: Loaded) -> Lead:
            owner = self._owner(new_owner_id, op.pool)
            old = op.lead.owner_id
            if owner.id == old:
                raise ValidationError(
                    [FieldProblem("owner_id", f"{owner.id!r} already owns the lead")]
                )
            new = transition(
                op.lead,
                Action.REASSIGN,
                at=op.now,
                owner_id=owner.id,
                department_id=department_id or owner.department_id,
            )
            if old is not None:
                roles = {u: r for u, r in new.collaborator_roles.items() if u != owner.id}
                new = attrs.evolve(
                    new,
                    collaborators=(new.collaborators | {old}) - {owner.id},
                    collaborator_roles=roles,
                )
            if move_follow_ups and old is not None:
                for record in op.uow.follow_ups(op.lead.id):
                    if record.owner_id == old:
                        op.uow.save_follow_up(attrs.evolve(record, owner_id=owner.id))
                        moved.append(record.id)
            return new

        return self._act(
            actor_id,
            lead_id,
            Action.REASSIGN,
            change,
            reason=reason,
            data=lambda op, lead: {"follow_ups_moved": list(moved)},
        )

    def transfer(
        self, actor_id: str, lead_id: str, to_pool_id: str, *, reason: str | None = None
    ) -> Lead:
        """Move a lead to another pool (转移). It arrives unassigned and the new pool's rules
        (default owner, auto-assign) apply as for a new lead."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.TRANSFER)
            target = uow.get_pool(to_pool_id)
            if not target.allows_source(op.lead.source):
                raise ValidationError(
                    [
                        FieldProblem(
                            "source",
                            f"pool {target.name} does not accept source {op.lead.source!r}",
                        )
                    ]
                )
            moved = transition(op.lead, Action.TRANSFER, at=op.now, pool_id=target.id)
            events = [
                self._event(
                    op,
                    EventKind.TRANSFERRED,
                    moved,
                    reason=reason,
                    data={"from_pool": op.pool.id, "to_pool": target.id},
                )
            ]
            arrived = Loaded(uow, op.actor, moved, target, op.now)
            first_owner = self._first_owner(arrived) if target.enabled else None
            final = moved
            if first_owner is not None:
                final = self._hand_to(arrived, first_owner[0])
                events.append(
                    self._event(
                        arrived,
                        EventKind.ASSIGNED,
                        final,
                        reason=first_owner[1][0],
                        data=first_owner[1][1],
                    )
                )
            saved = uow.save_lead(final, expected_version=op.lead.version)
            uow.append_events(events)
            uow.commit()
            return saved

    def claim(self, actor_id: str, lead_id: str) -> Lead:
        """Take an unassigned lead from a pool that allows claiming (抢单), within the pool's caps:
        open leads held, claims a day, and the cool-down on re-claiming a lead one released."""

        def change(op: Loaded) -> Lead:
            self._count_claim(op)
            return transition(
                op.lead,
                Action.CLAIM,
                at=op.now,
                owner_id=op.actor.id,
                department_id=op.actor.department_id,
            )

        return self._act(actor_id, lead_id, Action.CLAIM, change)

    def _count_claim(self, op: Loaded) -> None:
        record_claim(op.uow, op.actor.id, op.now)

    def batch_assign(self, actor_id: str, lead_ids: Iterable[str], owner_id: str) -> BatchResult:
        """Assign several leads to one owner; a result per lead, each lead's change atomic."""
        return self._batch(lead_ids, lambda lead_id: self.assign(actor_id, lead_id, owner_id))

    def batch_transfer(
        self, actor_id: str, lead_ids: Iterable[str], to_pool_id: str
    ) -> BatchResult:
        """Transfer several leads to another pool; a result per lead."""
        return self._batch(lead_ids, lambda lead_id: self.transfer(actor_id, lead_id, to_pool_id))

    def batch_recycle(
        self, actor_id: str, lead_ids: Iterable[str], *, reason: str | None = None
    ) -> BatchResult:
        """Take several held leads back into their pools (回收); a result per lead."""
        return self._batch(
            lead_ids,
            lambda lead_id: self._move(actor_id, lead_id, Action.RECYCLE, reason),
        )

    def convert(self, actor_id: str, lead_id: str, customer_id: str) -> Lead:
        """Mark the lead converted into the host's customer ``customer_id`` (转化; read-only after)."""
        return self._act(
            actor_id,
            lead_id,
            Action.CONVERT,
            lambda op: transition(op.lead, Action.CONVERT, at=op.now, customer_id=customer_id),
        )

    def invalidate(self, actor_id: str, lead_id: str, reason: str) -> Lead:
        """Mark the lead invalid (无效) with a reason."""
        return self._move(actor_id, lead_id, Action.INVALIDATE, reason)

    def close_lost(self, actor_id: str, lead_id: str, reason: str) -> Lead:
        """Close the lead as lost (关闭) with the lost reason (丢失原因)."""
        return self._move(actor_id, lead_id, Action.CLOSE_LOST, reason)

    def reopen(self, actor_id: str, lead_id: str, *, reason: str | None = None) -> Lead:
        """Bring an invalid or lost lead back to its pool, unassigned."""
        return self._move(actor_id, lead_id, Action.REOPEN, reason)
