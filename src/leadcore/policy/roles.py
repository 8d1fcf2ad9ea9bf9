"""Roles a user can hold toward a lead, and which of them a user holds (pure)."""

from __future__ import annotations

from leadcore.labels import LabelledEnum
from leadcore.model import Lead, Pool
from leadcore.org import OrgDirectory, User

__all__ = ["SYSTEM_ADMIN_ROLE", "DataScope", "Role", "roles_of"]

SYSTEM_ADMIN_ROLE = "system_admin"
"""The global role name in ``User.roles`` that makes a user a system admin (系统管理员)."""


class Role(LabelledEnum):
    """Who a user is relative to a lead and its pool. A user may hold several roles at once."""

    SYSTEM_ADMIN = "system_admin", "系统管理员", "System admin"
    POOL_ADMIN = "pool_admin", "线索池管理员", "Pool admin"
    OWNER = "owner", "负责人", "Owner"
    COLLABORATOR = "collaborator", "协作人", "Collaborator"
    FOLLOWER = "follower", "关注人", "Follower"
    MANAGER = "manager", "上级", "Manager of the owner"
    MEMBER = "member", "线索池成员", "Pool member"
    EVERYONE = "everyone", "所有人", "Everyone"

    @property
    def someone(self) -> str:
        """Someone holding the role, in words: "the owner", "a pool admin", "everyone"."""
        if self is Role.EVERYONE:
            return "everyone"
        if self is Role.OWNER:
            return "the owner"
        if self is Role.MANAGER:
            return "the owner's manager"
        return "a " + self.label_en.lower()


class DataScope(LabelledEnum):
    """How far a user's view reaches (查看范围), and the role that gives each reach."""

    SELF = "self", "本人", "My leads"
    FOLLOWED = "followed", "我关注的", "Leads I follow"
    COLLABORATING = "collaborating", "我协作的", "Leads I collaborate on"
    SUBORDINATES = "subordinates", "我下属的", "My subordinates' leads"
    POOL = "pool", "线索池", "A pool's leads"
    ALL = "all", "全部", "All leads"


def roles_of(actor: User, lead: Lead | None, pool: Pool, org: OrgDirectory) -> frozenset[Role]:
    """Every role ``actor`` holds toward ``lead`` in ``pool`` (toward the pool alone if no lead).

    The manager role is held over leads whose owner sits in a department the actor manages,
    directly or further down the tree.
    """
    held = {Role.EVERYONE}
    if SYSTEM_ADMIN_ROLE in actor.roles:
        held.add(Role.SYSTEM_ADMIN)
    if actor.id in pool.admins:
        held.add(Role.POOL_ADMIN)
    if pool.is_member(actor.id):
        held.add(Role.MEMBER)
    if lead is not None:
        if lead.owner_id == actor.id:
            held.add(Role.OWNER)
        if actor.id in lead.collaborators:
            held.add(Role.COLLABORATOR)
        if actor.id in lead.followers:
            held.add(Role.FOLLOWER)
        if lead.owner_id is not None and lead.owner_id in org.subordinates(actor.id):
            held.add(Role.MANAGER)
    return frozenset(held)
