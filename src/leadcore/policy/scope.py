"""Who may see a lead (查看范围), in one place.

A user's view is a set of **reaches**, each a plain lead filter with the reason it exists:
their own leads, leads they collaborate on, their subordinates' leads, the leads of the pools
they administer, what waits unassigned in the claim pools they belong to, single leads granted
to them for a while. ``ViewScope.covers(lead)`` answers for one lead; the same reaches, handed
to the store as a query's ``any_of``, give a page of exactly the visible leads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from leadcore.model import Action, Lead, LeadStatus, Pool
from leadcore.org import OrgDirectory, User
from leadcore.policy.config import PermissionRule
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE, Role
from leadcore.query import LeadFilter
from leadcore.records import Grant

__all__ = ["Reach", "ViewScope", "view_scope"]


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class Reach:
    """One way a user sees leads: the leads ``filter`` accepts (and, for a collaborator role,
    only where the user holds that role), for ``reason``."""

    filter: LeadFilter
    reason: str
    collaborator_role: str | None = None

    def covers(self, lead: Lead, user_id: str) -> bool:
        """Whether this reach lets ``user_id`` see ``lead``."""
        if not self.filter.accepts(lead):
            return False
        return (
            self.collaborator_role is None
            or lead.collaborator_roles.get(user_id) == self.collaborator_role
        )


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class ViewScope:
    """Every reach of one user's view; an inactive user has none.

    ``all_leads`` is true when one reach sees every lead of every pool (system admins under the
    default policy). ``pool_ids`` are the pools some reach covers as a pool (admins, members of
    a claim pool); ``granted_lead_ids`` the leads temporary grants open.
    """

    user_id: str
    reaches: tuple[Reach, ...]

    def covers(self, lead: Lead) -> bool:
        """Whether the user may see ``lead``."""
        return self.reason_for(lead) is not None

    def reason_for(self, lead: Lead) -> str | None:
        """Why the user may see ``lead`` (the first reach that covers it), or None."""
        for reach in self.reaches:
            if reach.covers(lead, self.user_id):
                return reach.reason
        return None

    def filters(self) -> tuple[LeadFilter, ...]:
        """The reaches as store filters, for a query's ``any_of`` (collaborator-role reaches
        come as their collaborator filter; ``covers`` is exact)."""
        return tuple(dict.fromkeys(r.filter for r in self.reaches))

    @property
    def exact(self) -> bool:
        """Whether ``filters()`` alone decide visibility (no collaborator-role reach)."""
        return all(r.collaborator_role is None for r in self.reaches)

    @property
    def all_leads(self) -> bool:
        """Whether some reach sees every lead."""
        return any(r.filter == LeadFilter() for r in self.reaches)

    @property
    def pool_ids(self) -> frozenset[str]:
        """The pools a pool-level reach covers (all of them for ``all_leads``: see reaches)."""
        found: set[str] = set()
        for reach in self.reaches:
            f = reach.filter
            if f.pool_ids is not None and f.owner_id is None and f.collaborator_id is None:
                found |= f.pool_ids
        return frozenset(found)

    @property
    def granted_lead_ids(self) -> frozenset[str]:
        """Leads seen through temporary grants."""
        found: set[str] = set()
        for reach in self.reaches:
            if reach.filter.ids is not None:
                found |= reach.filter.ids
        return frozenset(found)

    def reaches_pool(self, pool_id: str) -> bool:
        """Whether some reach covers the pool as a pool (not just single leads in it)."""
        return self.all_leads or pool_id in self.pool_ids


_GLOBAL_ROLES = (Role.SYSTEM_ADMIN, Role.EVERYONE)
_POOL_ROLES = (Role.POOL_ADMIN, Role.MEMBER)


def _holds_globally(role: Role, actor: User) -> bool:
    return role is Role.EVERYONE or SYSTEM_ADMIN_ROLE in actor.roles


def _holds_in_pool(role: Role, actor: User, pool: Pool) -> bool:
    if role in _GLOBAL_ROLES:
        return _holds_globally(role, actor)
    if role is Role.POOL_ADMIN:
        return actor.id in pool.admins
    return pool.is_member(actor.id)


def view_scope(
    actor: User,
    view_rules: Sequence[PermissionRule],
    collaborator_roles: Mapping[str, frozenset[Action]],
    *,
    org: OrgDirectory,
    pools: Iterable[Pool],
    grants: Iterable[Grant],
    now: datetime,
) -> ViewScope:
    """The view of ``actor`` under the policy's VIEW rules, among ``pools``: one reach per rule
    that applies to them, plus collaborator roles that may view and active VIEW grants."""
    if not actor.active:
        return ViewScope(actor.id, ())
    pool_list = list(pools)
    reaches: list[Reach] = []
    for rule in view_rules:
        on = [p for p in pool_list if rule.pool_switch is None or getattr(p, rule.pool_switch)]
        statuses = rule.statuses
        if rule.role in _GLOBAL_ROLES and rule.pool_switch is None:
            if _holds_globally(rule.role, actor):
                reaches.append(Reach(LeadFilter(statuses=statuses), _reason(rule.role)))
            continue
        if rule.role in (*_GLOBAL_ROLES, *_POOL_ROLES):
            ids = frozenset(p.id for p in on if _holds_in_pool(rule.role, actor, p))
            if ids:
                reaches.append(
                    Reach(LeadFilter(pool_ids=ids, statuses=statuses), _reason(rule.role))
                )
            continue
        limit = None if rule.pool_switch is None else frozenset(p.id for p in on)
        if limit is not None and not limit:
            continue
        found = _lead_reach(rule.role, actor, org, statuses, limit)
        if found is not None:
            reaches.append(found)
    for name, actions in sorted(collaborator_roles.items()):
        if Action.VIEW in actions:
            reaches.append(
                Reach(
                    LeadFilter(collaborator_id=actor.id),
                    f"collaborator role {name} may view",
                    collaborator_role=name,
                )
            )
    for grant in grants:
        if grant.grantee_id == actor.id and Action.VIEW in grant.actions and grant.is_active(now):
            assert grant.expires_at is not None
            reaches.append(
                Reach(
                    LeadFilter(ids=frozenset({grant.lead_id})),
                    f"temporary grant {grant.id} from {grant.approved_by} until "
                    f"{grant.expires_at:%Y-%m-%d %H:%M}",
                )
            )
    return ViewScope(actor.id, tuple(reaches))


def _lead_reach(
    role: Role,
    actor: User,
    org: OrgDirectory,
    statuses: frozenset[LeadStatus] | None,
    pools: frozenset[str] | None,
) -> Reach | None:
    match role:
        case Role.OWNER:
            found = LeadFilter(owner_id=actor.id, statuses=statuses, pool_ids=pools)
        case Role.COLLABORATOR:
            found = LeadFilter(collaborator_id=actor.id, statuses=statuses, pool_ids=pools)
        case Role.FOLLOWER:
            found = LeadFilter(follower_id=actor.id, statuses=statuses, pool_ids=pools)
        case Role.MANAGER:
            team = org.subordinates(actor.id)
            if not team:
                return None
            found = LeadFilter(owner_ids=team, statuses=statuses, pool_ids=pools)
        case _:
            return None
    return Reach(found, _reason(role))


def _reason(role: Role) -> str:
    return {
        Role.SYSTEM_ADMIN: "system admin sees every lead",
        Role.EVERYONE: "everyone may view",
        Role.POOL_ADMIN: "pool admin sees the pool's leads",
        Role.MEMBER: "pool member sees what waits in a claim pool",
        Role.OWNER: "owner",
        Role.COLLABORATOR: "collaborator",
        Role.FOLLOWER: "follower",
        Role.MANAGER: "manager of the owner",
    }[role]
