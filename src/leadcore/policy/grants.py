"""Temporary grants (跨部门临时查看): asked for by a user, approved by someone the policy names,
valid until they expire or are revoked. Pure functions; the store keeps the grants
(``leadcore.records.Grant``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from leadcore.errors import FieldProblem, PermissionDenied, ValidationError
from leadcore.model import Action, Lead, Pool
from leadcore.org import OrgDirectory, User
from leadcore.policy.decision import Decision
from leadcore.records import Grant, GrantStatus

__all__ = [
    "Grant",
    "GrantApprovers",
    "GrantStatus",
    "approve_grant",
    "request_grant",
    "revoke_grant",
]


class GrantApprovers(Protocol):
    """Who may approve grants: the part of ``Policy`` the grant functions need."""

    def may_approve(self, approver: User, lead: Lead, pool: Pool, *, org: OrgDirectory) -> Decision:
        """Whether ``approver`` may approve (or revoke) grants on ``lead``, and why."""
        ...


def request_grant(
    *,
    grant_id: str,
    grantee: User,
    lead: Lead,
    reason: str,
    duration: timedelta,
    actions: Iterable[Action] = (Action.VIEW,),
    grantable: Collection[Action] = (Action.VIEW, Action.FOLLOW_UP),
    max_duration: timedelta = timedelta(days=30),
    now: datetime,
) -> Grant:
    """A pending grant for ``grantee`` on ``lead``; ``ValidationError`` names every bad field:
    an empty reason, a duration not in (0, ``max_duration``], actions outside ``grantable`` or
    without view (a grantee who may not see the lead could use no other right on it), an
    inactive grantee."""
    wanted = frozenset(actions)
    problems = []
    if not reason.strip():
        problems.append(FieldProblem("reason", "say why the access is needed"))
    if not timedelta(0) < duration <= max_duration:
        problems.append(
            FieldProblem(
                "hours", f"must be more than 0 and at most {max_duration.total_seconds() / 3600:g}"
            )
        )
    if not wanted:
        problems.append(FieldProblem("actions", "name at least one action"))
    elif Action.VIEW not in wanted:
        problems.append(
            FieldProblem(
                "actions",
                "must include view: a grant gives nothing on a lead its grantee may not see "
                f"(ask for view, {', '.join(sorted(a.value for a in wanted))})",
            )
        )
    outside = sorted(a.value for a in wanted - frozenset(grantable))
    if outside:
        allowed = ", ".join(sorted(a.value for a in grantable))
        problems.append(
            FieldProblem("actions", f"{', '.join(outside)} cannot be granted; grantable: {allowed}")
        )
    if not grantee.active:
        problems.append(FieldProblem("grantee", f"user {grantee.id!r} is inactive"))
    if problems:
        raise ValidationError(problems, subject="grant request")
    return Grant(
        id=grant_id,
        grantee_id=grantee.id,
        lead_id=lead.id,
        reason=reason.strip(),
        requested_at=now,
        hours=duration.total_seconds() / 3600,
        actions=wanted,
    )


def approve_grant(
    grant: Grant,
    approver: User,
    *,
    lead: Lead,
    pool: Pool,
    org: OrgDirectory,
    policy: GrantApprovers,
    now: datetime,
    grantee: User | None = None,
) -> Grant:
    """The grant approved by ``approver`` from ``now``. ``PermissionDenied`` if the policy does not
    let the approver approve grants on this lead (or they are the grantee); ``ValidationError``
    if the grant is not pending, or ``grantee`` (the grant's grantee as the org now knows them,
    when given) is inactive: a deactivated user's request is not approved."""
    if grant.grantee_id == approver.id:
        raise PermissionDenied(
            approver.id, "approve", f"grant {grant.id!r}", "nobody approves their own request"
        )
    decision = policy.may_approve(approver, lead, pool, org=org)
    if not decision:
        raise PermissionDenied(approver.id, "approve", f"grant {grant.id!r}", decision.reason)
    if grant.status is not GrantStatus.PENDING:
        raise ValidationError(
            [
                FieldProblem(
                    "status",
                    f"grant {grant.id!r} is {grant.status.value}; only a pending grant is approved",
                )
            ]
        )
    if grantee is not None and (grantee.id != grant.grantee_id or not grantee.active):
        raise ValidationError(
            [
                FieldProblem(
                    "grantee",
                    f"user {grant.grantee_id!r} is inactive; a grant is approved only for an "
                    "active user (revoke this one)",
                )
            ],
            subject="grant approval",
        )
    return attrs.evolve(
        grant,
        status=GrantStatus.APPROVED,
        approved_by=approver.id,
        approved_at=now,
        expires_at=now + timedelta(hours=grant.hours),
    )


def revoke_grant(
    grant: Grant,
    actor: User,
    *,
    lead: Lead,
    pool: Pool,
    org: OrgDirectory,
    policy: GrantApprovers,
    now: datetime,
) -> Grant:
    """The grant ended by ``actor`` (its grantee, or anyone who may approve it). Revoking a
    revoked grant is a ``ValidationError``; ``PermissionDenied`` for anyone else."""
    if actor.id != grant.grantee_id:
        decision = policy.may_approve(actor, lead, pool, org=org)
        if not decision:
            raise PermissionDenied(actor.id, "revoke", f"grant {grant.id!r}", decision.reason)
    if grant.status is GrantStatus.REVOKED:
        raise ValidationError([FieldProblem("status", f"grant {grant.id!r} is already revoked")])
    end = now if grant.expires_at is None else min(now, grant.expires_at)
    return attrs.evolve(grant, status=GrantStatus.REVOKED, revoked_by=actor.id, expires_at=end)
