"""Temporary grants (跨部门临时查看): request, approve, revoke."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import attrs

from leadcore import checks
from leadcore.errors import NotFound
from leadcore.events import Event, EventKind
from leadcore.model import Action, Lead, Pool
from leadcore.org import User
from leadcore.policy import approve_grant, request_grant, revoke_grant
from leadcore.records import Grant

from ..outcome import Outcome, PutGrant
from ..reads import Reads
from ..setup import Setup

__all__ = ["ChangeGrant", "RequestAccess"]


@attrs.frozen(slots=True)
class GrantFacts:
    """Who acts, on which lead and pool, when, and (approving or revoking) which grant."""

    actor: User
    lead: Lead
    pool: Pool
    now: datetime
    grant: Grant | None = None
    grant_id: str = ""
    grantee: User | None = None


@attrs.frozen(kw_only=True)
class RequestAccess:
    """Ask for temporary access to a lead one cannot otherwise see; an approver must agree.
    (Asking reveals only that the id exists.)"""

    setup: Setup
    actor_id: str
    lead_id: str
    reason: object
    hours: object = 24
    actions: object = (Action.VIEW,)

    def load(self, reads: Reads) -> GrantFacts:
        """The actor, the lead and its pool, and a fresh grant id (taken once the request's
        own values are known to be good, so that a refused one uses up no id)."""
        actor = reads.actor(self.actor_id)
        lead = reads.uow.get_lead(checks.identifier(self.lead_id, "lead_id"))
        pool = reads.pool(lead.pool_id)
        self._asked()
        return GrantFacts(actor, lead, pool, reads.now, None, reads.new_id("grant"))

    def _asked(self) -> tuple[str, float, frozenset[Action]]:
        """The reason, hours and actions asked for, each checked."""
        config = self.setup.policy.config
        reason = checks.text(self.reason, "reason", max_len=500, long=True)
        hours = checks.hours(self.hours, "hours", most=config.max_grant_hours)
        return reason, hours, checks.choices(Action, self.actions, "actions")

    def decide(self, facts: GrantFacts) -> None:
        """Anyone active may ask; the request itself is checked in the plan."""

    def plan(self, facts: GrantFacts) -> Outcome[Grant]:
        """A pending grant and a ``grant_requested`` event."""
        config = self.setup.policy.config
        reason, hours, actions = self._asked()
        grant = request_grant(
            grant_id=facts.grant_id,
            grantee=facts.actor,
            lead=facts.lead,
            reason=reason,
            duration=timedelta(hours=hours),
            actions=tuple(sorted(actions)),
            now=facts.now,
            grantable=config.grantable_actions,
            max_duration=timedelta(hours=config.max_grant_hours),
        )
        event = Event.about(
            facts.lead,
            EventKind.GRANT_REQUESTED,
            facts.now,
            facts.actor.id,
            reason=reason,
            data={"grant_id": grant.id},
        )
        return Outcome(grant, records=(PutGrant(grant),), events=(event,))


@attrs.frozen(kw_only=True)
class ChangeGrant:
    """Approve a pending grant (``GRANT_APPROVED``: who may is policy, by default the lead's
    owner, a pool admin or a system admin) or end one before it expires (``GRANT_REVOKED``: its
    grantee, or anyone who may approve it), and record the change."""

    setup: Setup
    actor_id: str
    grantee_id: str
    grant_id: str
    kind: Literal[EventKind.GRANT_APPROVED, EventKind.GRANT_REVOKED]

    def load(self, reads: Reads) -> GrantFacts:
        """The actor, the grant (of ``grantee_id``), its lead and pool."""
        actor = reads.actor(self.actor_id)
        try:
            grant = reads.uow.get_grant(checks.identifier(self.grant_id, "grant_id"))
        except NotFound:
            raise NotFound("grant", str(self.grant_id)) from None
        if grant.grantee_id != self.grantee_id:
            raise NotFound("grant", self.grant_id)
        lead = reads.uow.get_lead(grant.lead_id)
        grantee = reads.user_or_none(grant.grantee_id)
        if grantee is None:  # no longer in the directory: as inactive as can be
            grantee = User(grant.grantee_id, active=False)
        return GrantFacts(
            actor, lead, reads.pool(lead.pool_id), reads.now, grant, grant.id, grantee
        )

    def decide(self, facts: GrantFacts) -> None:
        """Who may approve or revoke is decided with the change, in the plan."""

    def plan(self, facts: GrantFacts) -> Outcome[Grant]:
        """The grant changed and its event."""
        assert facts.grant is not None
        if self.kind is EventKind.GRANT_APPROVED:
            new = approve_grant(
                facts.grant,
                facts.actor,
                lead=facts.lead,
                pool=facts.pool,
                org=self.setup.org,
                policy=self.setup.policy,
                now=facts.now,
                grantee=facts.grantee,
            )
        else:
            new = revoke_grant(
                facts.grant,
                facts.actor,
                lead=facts.lead,
                pool=facts.pool,
                org=self.setup.org,
                policy=self.setup.policy,
                now=facts.now,
            )
        event = Event.about(
            facts.lead,
            self.kind,
            facts.now,
            facts.actor.id,
            data={"grant_id": new.id, "grantee": new.grantee_id},
        )
        return Outcome(new, records=(PutGrant(new),), events=(event,))
