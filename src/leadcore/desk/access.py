"""Permissions on the desk: can, allowed actions, temporary grants (跨部门临时查看)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from leadcore.config import unstructure
from leadcore.desk.base import DeskBase, grants_key
from leadcore.errors import (
    NotFound,
)
from leadcore.events import Event, EventKind
from leadcore.model import (
    Action,
    Lead,
    Pool,
)
from leadcore.org import User
from leadcore.policy import POOL_ACTIONS, Decision, Grant
from leadcore.storage.protocol import JSONValue, UnitOfWork

__all__ = ["AccessOps"]


class AccessOps(DeskBase):
    """Asking what is allowed, and temporary grants."""

    def can(self, actor_id: str, action: Action, lead_id: str) -> Decision:
        """Whether the actor may take ``action`` on the lead now, and why (or why not)."""
        with self.store.unit_of_work() as uow:
            return self._decide(self._load(uow, actor_id, lead_id, None), action)

    def allowed_actions(self, actor_id: str, lead_id: str) -> tuple[Action, ...]:
        """Every action the actor may take on the lead now: the buttons a UI should show."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            return tuple(a for a in Action if a not in POOL_ACTIONS and self._decide(op, a).allowed)

    def request_access(
        self,
        actor_id: str,
        lead_id: str,
        *,
        reason: str,
        hours: float = 24,
        actions: Iterable[Action] = (Action.VIEW,),
    ) -> Grant:
        """Ask for temporary access to a lead one cannot otherwise see; an approver must agree."""
        from leadcore.policy import request_grant

        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            lead = uow.get_lead(lead_id)
            grant = request_grant(
                grant_id=self._ids(),
                grantee=actor,
                lead=lead,
                reason=reason,
                duration=timedelta(hours=hours),
                actions=tuple(actions),
                now=now,
                grantable=self.policy.config.grantable_actions,
                max_duration=timedelta(hours=self.policy.config.max_grant_hours),
            )
            self._store_grant(uow, grant)
            uow.append_events(
                [
                    Event(
                        EventKind.GRANT_REQUESTED,
                        now,
                        actor.id,
                        lead_id=lead.id,
                        pool_id=lead.pool_id,
                        reason=reason,
                        data={"grant_id": grant.id},
                    )
                ]
            )
            uow.commit()
            return grant

    def approve_access(self, actor_id: str, grantee_id: str, grant_id: str) -> Grant:
        """Approve a pending grant (who may approve is policy: by default the lead's owner, a
        pool admin or a system admin). Raises ``PermissionDenied`` with the reason otherwise."""
        from leadcore.policy import approve_grant

        return self._update_grant(
            actor_id,
            grantee_id,
            grant_id,
            EventKind.GRANT_APPROVED,
            lambda grant, actor, lead, pool, now: approve_grant(
                grant, actor, lead=lead, pool=pool, org=self.org, policy=self.policy, now=now
            ),
        )

    def revoke_access(self, actor_id: str, grantee_id: str, grant_id: str) -> Grant:
        """End a grant before it expires."""
        from leadcore.policy import revoke_grant

        return self._update_grant(
            actor_id,
            grantee_id,
            grant_id,
            EventKind.GRANT_REVOKED,
            lambda grant, actor, lead, pool, now: revoke_grant(
                grant, actor, lead=lead, pool=pool, org=self.org, policy=self.policy, now=now
            ),
        )

    def grants(self, actor_id: str) -> list[Grant]:
        """The grants the actor holds or asked for, approved or not, expired or not."""
        with self.store.unit_of_work() as uow:
            return self._grants(uow, actor_id)

    def _store_grant(self, uow: UnitOfWork, grant: Grant) -> None:
        held = [g for g in self._grants(uow, grant.grantee_id) if g.id != grant.id]
        raw: list[JSONValue] = [unstructure(g) for g in [*held, grant]]
        uow.set_state(grants_key(grant.grantee_id), raw)

    def _update_grant(
        self,
        actor_id: str,
        grantee_id: str,
        grant_id: str,
        kind: EventKind,
        update: Callable[[Grant, User, Lead, Pool, datetime], Grant],
    ) -> Grant:
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            found = [g for g in self._grants(uow, grantee_id) if g.id == grant_id]
            if not found:
                raise NotFound("grant", grant_id)
            lead = uow.get_lead(found[0].lead_id)
            new = update(found[0], actor, lead, uow.get_pool(lead.pool_id), now)
            self._store_grant(uow, new)
            uow.append_events(
                [
                    Event(
                        kind,
                        now,
                        actor.id,
                        lead_id=lead.id,
                        pool_id=lead.pool_id,
                        data={"grant_id": grant_id, "grantee": grantee_id},
                    )
                ]
            )
            uow.commit()
            return new
