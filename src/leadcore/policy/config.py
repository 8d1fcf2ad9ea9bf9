"""A policy as plain data: permission rules, collaborator roles, grant approvers, and the
default policy of a Chinese CRM's lead module.

Deny by default: an action is allowed only when some rule says so. ``check_config`` lists
what is wrong with a configuration, each problem with its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from leadcore.errors import FieldProblem
from leadcore.model import READ_ONLY_STATUSES, Action, LeadStatus, Pool
from leadcore.policy.roles import Role

__all__ = [
    "DEFAULT_CONFIG",
    "POOL_ACTIONS",
    "POOL_SWITCHES",
    "PermissionRule",
    "PolicyConfig",
    "check_config",
]

POOL_ACTIONS: Final = frozenset({Action.CREATE, Action.CONFIGURE_POOL})
"""Actions taken on a pool rather than on a lead (decided with ``lead=None``)."""

POOL_SWITCHES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "claim_enabled": "does not allow claiming (抢单)",
        "free_create": "does not let users create leads freely (允许用户自由新建 is off)",
        "enabled": "is switched off",
    }
)
"""The pool on/off settings a rule may depend on, and how a refusal words each being off."""


@attrs.frozen(slots=True)
class PermissionRule:
    """``role`` may take ``actions`` on leads in ``statuses`` (any status when None), provided the
    pool has the boolean setting ``pool_switch`` on (when given, e.g. ``"claim_enabled"``)."""

    role: Role
    actions: frozenset[Action]
    statuses: frozenset[LeadStatus] | None = None
    pool_switch: str | None = None


@attrs.frozen(slots=True)
class PolicyConfig:
    """A policy as plain data (what ``Policy.from_dict`` reads and ``Policy.to_dict`` writes).

    ``collaborator_roles`` gives collaborators with a named role (``Lead.collaborator_roles``,
    e.g. the marketing co-owner 市场负责人) extra actions; ``approvers`` are the roles whose holders
    approve temporary grants; ``grantable_actions`` what a grant may confer, for at most
    ``max_grant_hours``.
    """

    rules: tuple[PermissionRule, ...]
    collaborator_roles: Mapping[str, frozenset[Action]] = attrs.field(factory=dict)
    approvers: frozenset[Role] = frozenset({Role.OWNER, Role.POOL_ADMIN, Role.SYSTEM_ADMIN})
    grantable_actions: frozenset[Action] = frozenset({Action.VIEW, Action.FOLLOW_UP})
    max_grant_hours: float = 24 * 30


_UNASSIGNED = frozenset({LeadStatus.UNASSIGNED})
_HELD = frozenset({LeadStatus.ASSIGNED, LeadStatus.FOLLOWING})
_CLOSED = frozenset({LeadStatus.INVALID, LeadStatus.CLOSED_LOST})
_A = Action


def _rule(
    role: Role, statuses: frozenset[LeadStatus] | None, *actions: Action, switch: str | None = None
) -> PermissionRule:
    return PermissionRule(role, frozenset(actions), statuses, switch)


DEFAULT_CONFIG: Final = PolicyConfig(
    rules=(
        # Everyone creates leads, unless the pool forbids free creation; its admins always may.
        _rule(Role.EVERYONE, None, _A.CREATE, switch="free_create"),
        _rule(Role.POOL_ADMIN, None, _A.CREATE),
        _rule(Role.SYSTEM_ADMIN, None, _A.CREATE, _A.CONFIGURE_POOL, _A.VIEW, _A.FOLLOW, _A.MERGE),
        # Pool admins run the pool: they assign, delete and edit what waits unassigned, and
        # follow up, release, change the owner of or reclaim what is held.
        _rule(
            Role.POOL_ADMIN,
            _UNASSIGNED,
            _A.VIEW,
            _A.EDIT,
            _A.DELETE,
            _A.ASSIGN,
            _A.TRANSFER,
            _A.INVALIDATE,
            _A.MERGE,
            _A.FOLLOW,
        ),
        _rule(
            Role.POOL_ADMIN,
            _HELD,
            _A.VIEW,
            _A.FOLLOW_UP,
            _A.RELEASE,
            _A.REASSIGN,
            _A.RECLAIM,
            _A.RECYCLE,
            _A.TRANSFER,
            _A.MERGE,
            _A.FOLLOW,
        ),
        _rule(
            Role.POOL_ADMIN, _CLOSED, _A.VIEW, _A.EDIT, _A.DELETE, _A.REOPEN, _A.MERGE, _A.FOLLOW
        ),
        _rule(Role.POOL_ADMIN, READ_ONLY_STATUSES, _A.VIEW),
        # Pool admins may convert held leads (e.g. a batch, or with a new customer owner) and
        # reopen a lead converted by mistake.
        _rule(Role.POOL_ADMIN, _HELD, _A.CONVERT),
        _rule(Role.POOL_ADMIN, frozenset({LeadStatus.CONVERTED}), _A.REOPEN),
        # The owner works the lead.
        _rule(
            Role.OWNER,
            _HELD,
            _A.EDIT,
            _A.FOLLOW_UP,
            _A.CONVERT,
            _A.INVALIDATE,
            _A.CLOSE_LOST,
            _A.RELEASE,
            _A.RETURN,
            _A.MANAGE_COLLABORATORS,
        ),
        _rule(Role.OWNER, None, _A.VIEW, _A.FOLLOW),
        # Behaviour is recorded by those working the lead (and by integrations acting as a
        # system admin); the owner accepts an MQL as sales-qualified (SQL).
        _rule(Role.OWNER, _HELD, _A.RECORD_ACTIVITY, _A.ACCEPT_SQL),
        _rule(Role.POOL_ADMIN, _UNASSIGNED | _HELD, _A.RECORD_ACTIVITY),
        _rule(Role.SYSTEM_ADMIN, None, _A.RECORD_ACTIVITY),
        # Collaborators view and add follow-ups only.
        _rule(Role.COLLABORATOR, None, _A.VIEW, _A.FOLLOW),
        _rule(Role.COLLABORATOR, _HELD, _A.FOLLOW_UP),
        # Managers see their team's leads; pool members see and claim what waits in a claim
        # pool. Following is a subscription, not a permission: a follower may (un)follow, but
        # sees the lead only while another rule lets them.
        _rule(Role.MANAGER, None, _A.VIEW, _A.FOLLOW),
        _rule(Role.FOLLOWER, None, _A.FOLLOW),
        _rule(Role.MEMBER, _UNASSIGNED, _A.VIEW, _A.CLAIM, _A.FOLLOW, switch="claim_enabled"),
    ),
    # 双负责人: the marketing co-owner beside the sales owner also edits the lead's details.
    collaborator_roles={
        "marketing_owner": frozenset(
            {_A.VIEW, _A.EDIT, _A.FOLLOW_UP, _A.FOLLOW, _A.RECORD_ACTIVITY}
        )
    },
)
"""The default policy: the roles and rights of a Chinese CRM's lead module (see the
Permissions page for the table)."""


def check_config(config: PolicyConfig) -> list[FieldProblem]:
    """Problems with a policy's data, each with its path."""
    problems = []
    switches = {f.name for f in attrs.fields(Pool) if f.type in ("bool", bool)}
    for i, rule in enumerate(config.rules):
        path = f"$.rules[{i}]"
        if not rule.actions:
            problems.append(FieldProblem(f"{path}.actions", "name at least one action"))
        if rule.pool_switch is not None and rule.pool_switch not in switches:
            problems.append(
                FieldProblem(
                    f"{path}.pool_switch",
                    f"must be a pool on/off setting: {', '.join(sorted(switches))}",
                )
            )
        if rule.statuses is not None and rule.actions & POOL_ACTIONS:
            problems.append(
                FieldProblem(
                    f"{path}.statuses", "pool actions (create, configure_pool) take no statuses"
                )
            )
    for name, actions in config.collaborator_roles.items():
        if not name.strip():
            problems.append(FieldProblem("$.collaborator_roles", "a role needs a name"))
        beyond = sorted(a.value for a in actions & (POOL_ACTIONS | {Action.DELETE, Action.ASSIGN}))
        if beyond:
            problems.append(
                FieldProblem(
                    f"$.collaborator_roles.{name}",
                    f"a collaborator role cannot {', '.join(beyond)}",
                )
            )
    if not 0 < config.max_grant_hours <= 24 * 366:
        problems.append(
            FieldProblem("$.max_grant_hours", "must be more than 0 and at most a year (8784)")
        )
    return problems
