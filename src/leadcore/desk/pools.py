"""Pool operations of the desk: create and configure pools (system admins), pool summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from leadcore.desk.base import DeskBase
from leadcore.desk.results import PoolSummary
from leadcore.errors import (
    FieldProblem,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event, EventKind, diff_fields
from leadcore.model import (
    Action,
    LeadStatus,
    Pool,
)
from leadcore.org import User

__all__ = ["PoolOps"]


class PoolOps(DeskBase):
    """Creating and configuring pools, and their lead counts."""

    def create_pool(self, actor_id: str, pool: Pool) -> Pool:
        """Add a pool (system admins only). Raises ``AlreadyExists`` if the id is taken."""
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            self._require_pool(actor, pool, now)
            saved = uow.add_pool(pool)
            uow.append_events(
                [
                    Event(
                        EventKind.POOL_CREATED,
                        now,
                        actor.id,
                        pool_id=pool.id,
                        changes=diff_fields(None, saved),
                    )
                ]
            )
            uow.commit()
            return saved

    def update_pool(self, actor_id: str, pool_id: str, **settings: Any) -> Pool:
        """Change a pool's settings (system admins only), audited field by field.

        Unknown settings or invalid values raise ``ValidationError`` naming them; nothing changes.
        """
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            pool = uow.get_pool(pool_id)
            self._require_pool(actor, pool, now)
            known = {f.name for f in attrs.fields(Pool)} - {"id", "version"}
            unknown = sorted(set(settings) - known)
            if unknown:
                raise ValidationError(
                    [
                        FieldProblem(name, f"is not a pool setting ({', '.join(sorted(known))})")
                        for name in unknown
                    ]
                )
            try:
                new = attrs.evolve(pool, **settings)
            except (TypeError, ValueError) as e:
                if isinstance(e, ValidationError):
                    raise
                raise ValidationError([FieldProblem("settings", str(e))]) from e
            saved = uow.save_pool(new, expected_version=pool.version)
            changes = diff_fields(pool, saved)
            if changes:
                uow.append_events(
                    [Event(EventKind.POOL_CHANGED, now, actor.id, pool_id=pool_id, changes=changes)]
                )
            uow.commit()
            return saved

    def _require_pool(self, actor: User, pool: Pool, now: datetime) -> None:
        decision = self.policy.decide(
            actor, Action.CONFIGURE_POOL, None, pool, org=self.org, now=now
        )
        if not decision.allowed:
            raise PermissionDenied(
                actor.id, Action.CONFIGURE_POOL.value, f"pool {pool.id!r}", decision.reason
            )

    def pool_summary(self, actor_id: str, pool_id: str) -> PoolSummary:
        """The pool's lead counts by status (线索数量); for its members, admins and system admins."""
        with self.store.unit_of_work() as uow:
            actor = self._user(actor_id)
            pool = uow.get_pool(pool_id)
            scope = self.policy.view_scope(
                actor, org=self.org, pools=[pool], grants=(), now=self.clock.now()
            )
            if not (pool.is_member(actor.id) or scope.all_leads):
                raise PermissionDenied(
                    actor.id,
                    "view",
                    f"pool {pool_id!r}",
                    "only the pool's members and admins see its counts",
                )
            counts = uow.count_by_status(pool_id=pool_id)
            ordered = {status: counts.get(status, 0) for status in LeadStatus}
            return PoolSummary(pool.id, pool.name, ordered)
