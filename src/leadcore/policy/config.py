"""A policy as plain data: permission rules, collaborator roles, grant approvers, and the
default policy of a Chinese CRM's lead module.

Deny by default: an action is allowed only when some rule says so. ``check_config`` lists
what is wrong with a configuration, each problem with its path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, TypeVar

import attrs

from leadcore import checks
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import READ_ONLY_STATUSES, Action, LeadStatus, Pool
from leadcore.policy.roles import Role
from leadcore.signatures import checked_constructor

__all__ = [
    "DEFAULT_CONFIG",
    "MAX_GRANT_HOURS",
    "POOL_ACTIONS",
    "POOL_SWITCHES",
    "UNSHARED_ACTIONS",
    "PermissionRule",
    "PolicyConfig",
    "check_config",
    "check_rules",
    "clean_config",
    "grant_hours_problems",
]

E = TypeVar("E", bound=LabelledEnum)

POOL_ACTIONS: Final = frozenset({Action.CREATE, Action.CONFIGURE_POOL})
"""Actions taken on a pool rather than on a lead (decided with ``lead=None``)."""

UNSHARED_ACTIONS: Final = POOL_ACTIONS | frozenset({Action.DELETE, Action.ASSIGN, Action.MERGE})
"""Actions neither a named collaborator role nor a temporary grant may give: running the pool,
handing out, deleting or merging away a lead stay with pool and system admins."""

MAX_GRANT_HOURS: Final = 24 * 366
"""The longest a temporary grant may be allowed to run: a year (8784 hours)."""

POOL_SWITCHES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "claim_enabled": "does not allow claiming (抢单)",
        "free_create": "does not let users create leads freely (允许用户自由新建 is off)",
        "enabled": "is switched off",
    }
)
"""The pool on/off settings a rule may depend on, and how a refusal words each being off."""


@checked_constructor
@attrs.frozen(slots=True)
class PermissionRule:
    """``role`` may take ``actions`` on leads in ``statuses`` (any status when None), provided the
    pool has the boolean setting ``pool_switch`` on (when given, e.g. ``"claim_enabled"``)."""

    role: Role
    actions: frozenset[Action]
    statuses: frozenset[LeadStatus] | None = None
    pool_switch: str | None = None


@checked_constructor
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
    """Problems with a policy's data, each with its path (empty when ``clean_config`` would
    accept it)."""
    return _cleaned(config)[1]


def clean_config(config: object) -> PolicyConfig:
    """``config`` checked, with every role, action and status as its enum member (given as the
    member, its value, name or a label, as everywhere in the library); ``ConfigError`` naming
    each path at fault (``$.rules[0].statuses[0]``) otherwise."""
    clean, problems = _cleaned(config)
    if problems or clean is None:
        raise ConfigError.from_problems(problems)
    return clean


def check_rules(rules: object, path: str) -> tuple[PermissionRule, ...]:
    """``rules`` (a collection of ``PermissionRule``) checked and normalised as in a policy;
    ``ValidationError`` naming ``{path}[i].<field>`` for each problem."""
    problems: list[FieldProblem] = []
    clean = _clean_rules(rules, path, problems)
    if problems:
        raise ValidationError(problems, subject="permission rules")
    return clean


def grant_hours_problems(value: object) -> list[FieldProblem]:
    """What is wrong with ``value`` as ``max_grant_hours`` (a number of hours above 0, at most
    ``MAX_GRANT_HOURS``), at ``$.max_grant_hours``; empty when it is fine."""
    path = "$.max_grant_hours"
    if type(value) is int and abs(value) >= 10**15:  # not shown in full: it may be huge
        digits = len(str(abs(value))) if abs(value) < 10**4000 else "thousands of"
        return [
            FieldProblem(
                path,
                f"must be more than 0 and at most {MAX_GRANT_HOURS} hours, "
                f"not a number of {digits} digits",
            )
        ]
    try:
        checks.hours(value, path, most=MAX_GRANT_HOURS)
    except ValidationError as e:
        return list(e.problems)
    return []


def _member(cls: type[E], value: object, path: str, problems: list[FieldProblem]) -> E | None:
    """``checks.choice``, or None with its problem noted."""
    try:
        return checks.choice(cls, value, path)
    except ValidationError as e:
        problems.extend(e.problems)
        return None


def _members(
    cls: type[E], value: object, path: str, problems: list[FieldProblem]
) -> frozenset[E] | None:
    """``checks.choices``, or None with its problems noted."""
    try:
        return checks.choices(cls, value, path)
    except ValidationError as e:
        problems.extend(e.problems)
        return None


def _clean_rules(
    rules: object, path: str, problems: list[FieldProblem]
) -> tuple[PermissionRule, ...]:
    if isinstance(rules, str | bytes | Mapping) or not isinstance(rules, Iterable):
        problems.append(
            FieldProblem(path, f"must be a list of PermissionRule, not {type(rules).__name__}")
        )
        return ()
    switches = sorted(f.name for f in attrs.fields(Pool) if f.type in ("bool", bool))
    clean: list[PermissionRule] = []
    for i, rule in enumerate(rules):
        at = f"{path}[{i}]"
        if not isinstance(rule, PermissionRule):
            problems.append(
                FieldProblem(at, f"must be a PermissionRule, not {type(rule).__name__}")
            )
            continue
        role = _member(Role, rule.role, f"{at}.role", problems)
        actions = _members(Action, rule.actions, f"{at}.actions", problems)
        statuses = None
        if rule.statuses is not None:
            statuses = _members(LeadStatus, rule.statuses, f"{at}.statuses", problems)
        if actions is not None and not actions:
            problems.append(FieldProblem(f"{at}.actions", "name at least one action"))
        switch = rule.pool_switch
        if switch is not None and switch not in switches:
            problems.append(
                FieldProblem(
                    f"{at}.pool_switch", f"must be a pool on/off setting: {', '.join(switches)}"
                )
            )
        if rule.statuses is not None and actions and actions & POOL_ACTIONS:
            problems.append(
                FieldProblem(
                    f"{at}.statuses", "pool actions (create, configure_pool) take no statuses"
                )
            )
        if role is not None and actions is not None:
            clean.append(PermissionRule(role, actions, statuses, switch))
    return tuple(clean)


def _unshared(actions: frozenset[Action], path: str, whose: str) -> list[FieldProblem]:
    beyond = sorted(a.value for a in actions & UNSHARED_ACTIONS)
    if not beyond:
        return []
    return [
        FieldProblem(
            path,
            f"{whose} cannot {', '.join(beyond)} (only pool and system admins may); "
            f"leave out: {', '.join(sorted(a.value for a in UNSHARED_ACTIONS))}",
        )
    ]


def _cleaned(config: object) -> tuple[PolicyConfig | None, list[FieldProblem]]:
    if not isinstance(config, PolicyConfig):
        shown = type(config).__name__
        return None, [FieldProblem("$", f"must be a PolicyConfig, not {shown}")]
    problems: list[FieldProblem] = []
    rules = _clean_rules(config.rules, "$.rules", problems)
    roles: dict[str, frozenset[Action]] = {}
    if not isinstance(config.collaborator_roles, Mapping):
        shown = type(config.collaborator_roles).__name__
        problems.append(
            FieldProblem(
                "$.collaborator_roles",
                "must be a mapping of role name to actions, like "
                f'{{"marketing_owner": ["view", "edit"]}}, not {shown}',
            )
        )
    else:
        for name, actions in config.collaborator_roles.items():
            at = f"$.collaborator_roles.{name}"
            if not isinstance(name, str) or not name.strip():
                problems.append(
                    FieldProblem("$.collaborator_roles", f"a role needs a name, not {name!r}")
                )
                continue
            found = _members(Action, actions, at, problems)
            if found is not None:
                problems.extend(_unshared(found, at, "a collaborator role"))
                roles[name] = found
    approvers = _members(Role, config.approvers, "$.approvers", problems)
    grantable = _members(Action, config.grantable_actions, "$.grantable_actions", problems)
    if grantable is not None:
        problems.extend(_unshared(grantable, "$.grantable_actions", "a temporary grant"))
    # Kept as given (720 stays an int in ``to_dict``) once it is a fit number of hours.
    problems.extend(grant_hours_problems(config.max_grant_hours))
    if problems or approvers is None or grantable is None:
        return None, problems
    clean = PolicyConfig(
        rules=rules,
        collaborator_roles=roles,
        approvers=approvers,
        grantable_actions=grantable,
        max_grant_hours=config.max_grant_hours,
    )
    return clean, []
