"""Who may do what (SPEC §5), as data: permission rules, collaborator roles, grant approvers.

``Policy.decide`` is pure: it answers "may this actor take this action on this lead now, and
why (not)" from the actor's roles, the lead's status, the pool's settings and the actor's
temporary grants. Deny by default: an action is allowed only when some rule says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs

from leadcore.config import load_json, load_toml, structure, unstructure
from leadcore.errors import ConfigError, FieldProblem
from leadcore.lifecycle import TRANSITIONS
from leadcore.model import READ_ONLY_STATUSES, Action, Lead, LeadStatus, Pool
from leadcore.org import OrgDirectory, User
from leadcore.policy.decision import Decision
from leadcore.policy.grants import Grant
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE, DataScope, Role, roles_of

__all__ = ["POOL_ACTIONS", "PermissionRule", "Policy", "PolicyConfig", "ViewScope"]

POOL_ACTIONS: Final = frozenset({Action.CREATE, Action.CONFIGURE_POOL})
"""Actions taken on a pool rather than on a lead (decided with ``lead=None``)."""

_POOL_SWITCHES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "claim_enabled": "does not allow claiming (抢单)",
        "free_create": "does not let users create leads freely (允许用户自由新建 is off)",
        "enabled": "is switched off",
    }
)


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
        # SPEC §5.1: everyone creates, unless the pool forbids free creation; admins always may.
        _rule(Role.EVERYONE, None, _A.CREATE, switch="free_create"),
        _rule(Role.POOL_ADMIN, None, _A.CREATE),
        _rule(Role.SYSTEM_ADMIN, None, _A.CREATE, _A.CONFIGURE_POOL, _A.VIEW, _A.FOLLOW),
        # SPEC §5.2: pool admins run the pool.
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
        # SPEC §5.3: the owner works the lead.
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
        # SPEC §7: behaviour is recorded by those working the lead (and by integrations acting as
        # a system admin); the owner accepts an MQL as sales-qualified (SQL).
        _rule(Role.OWNER, _HELD, _A.RECORD_ACTIVITY, _A.ACCEPT_SQL),
        _rule(Role.POOL_ADMIN, _UNASSIGNED | _HELD, _A.RECORD_ACTIVITY),
        _rule(Role.SYSTEM_ADMIN, None, _A.RECORD_ACTIVITY),
        # SPEC §5.4: collaborators view and add follow-ups only.
        _rule(Role.COLLABORATOR, None, _A.VIEW, _A.FOLLOW),
        _rule(Role.COLLABORATOR, _HELD, _A.FOLLOW_UP),
        # SPEC §5.5: followers and managers see; pool members see and claim what waits in a claim pool.
        _rule(Role.FOLLOWER, None, _A.VIEW, _A.FOLLOW),
        _rule(Role.MANAGER, None, _A.VIEW, _A.FOLLOW),
        _rule(Role.MEMBER, _UNASSIGNED, _A.VIEW, _A.CLAIM, _A.FOLLOW, switch="claim_enabled"),
    ),
    # 双负责人: the marketing co-owner beside the sales owner also edits the lead's details.
    collaborator_roles={
        "marketing_owner": frozenset(
            {_A.VIEW, _A.EDIT, _A.FOLLOW_UP, _A.FOLLOW, _A.RECORD_ACTIVITY}
        )
    },
)


@attrs.frozen(slots=True)
class ViewScope:
    """How far a user's view reaches (查看范围) under a policy: every lead (``all_leads``), the
    leads of ``pool_ids``, of ``subordinate_ids``' ownership, and single ``granted_lead_ids``;
    always their own, followed and collaborating leads."""

    user_id: str
    all_leads: bool
    scopes: frozenset[DataScope]
    pool_ids: frozenset[str] = frozenset()
    subordinate_ids: frozenset[str] = frozenset()
    granted_lead_ids: frozenset[str] = frozenset()


class Policy:
    """A compiled ``PolicyConfig``: fast, pure permission decisions with reasons.

    Build it with ``Policy.default()`` (SPEC §5), ``Policy.from_dict``/``from_json``/``from_toml``
    (plain data; ``ConfigError`` names the path at fault) or ``Policy(config)``.
    """

    __slots__ = ("_by_action", "config")

    def __init__(self, config: PolicyConfig) -> None:
        problems = _check(config)
        if problems:
            raise ConfigError.from_problems(problems)
        self.config = config
        by_action: dict[Action, list[PermissionRule]] = {a: [] for a in Action}
        for rule in config.rules:
            for action in rule.actions:
                by_action[action].append(rule)
        self._by_action: Mapping[Action, tuple[PermissionRule, ...]] = {
            a: tuple(rules) for a, rules in by_action.items()
        }

    # --- construction --------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Policy:
        """The policy of SPEC §5: deny by default, the roles and rights the sources describe."""
        return _DEFAULT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from plain data shaped like ``to_dict()``'s output."""
        return cls(structure(data, PolicyConfig))

    @classmethod
    def from_json(cls, text: str | Path) -> Policy:
        """A policy from JSON text or a file."""
        return cls(load_json(text, PolicyConfig))

    @classmethod
    def from_toml(cls, text: str | Path) -> Policy:
        """A policy from TOML text or a file."""
        return cls(load_toml(text, PolicyConfig))

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (round-trips through ``from_dict``)."""
        data: dict[str, Any] = unstructure(self.config)
        return data

    def with_rules(self, *rules: PermissionRule) -> Policy:
        """This policy with ``rules`` added (a convenient way to widen the default)."""
        return Policy(attrs.evolve(self.config, rules=(*self.config.rules, *rules)))

    # --- decisions -----------------------------------------------------------------------------
    def decide(
        self,
        actor: User,
        action: Action,
        lead: Lead | None,
        pool: Pool,
        *,
        org: OrgDirectory,
        grants: Iterable[Grant] = (),
        now: datetime,
    ) -> Decision:
        """May ``actor`` take ``action`` on ``lead`` (in ``pool``) at ``now``? With the reason.

        Pool actions (create, configure) take ``lead=None``. For a lead, the lifecycle is asked
        first (a converted lead is read-only), then the rules for the actor's roles, then the
        actor's unexpired grants on that lead. Pool caps on claiming are the desk's business.
        """
        if not actor.active:
            return Decision(False, action, f"user {actor.id} is inactive")
        if lead is None and action not in POOL_ACTIONS:
            return Decision(False, action, f"{action.value} needs a lead")
        if lead is not None and action not in TRANSITIONS[lead.status]:
            return Decision(False, action, _lifecycle_refusal(lead, action))
        status = None if lead is None else lead.status
        held = roles_of(actor, lead, pool, org)
        switched_off: str | None = None
        for rule in self._by_action[action]:
            if rule.role not in held or (rule.statuses is not None and status not in rule.statuses):
                continue
            if rule.pool_switch is not None and not getattr(pool, rule.pool_switch):
                switched_off = rule.pool_switch
                continue
            return Decision(True, action, _allowed_reason(rule.role, action, status, pool))
        if lead is not None:
            extra = self._collaborator_extra(actor, lead, action)
            if extra is not None:
                return Decision(True, action, extra)
            for grant in grants:
                if grant.allows(actor.id, lead.id, action, now):
                    assert grant.expires_at is not None
                    return Decision(
                        True,
                        action,
                        f"temporary grant {grant.id} from {grant.approved_by} until {grant.expires_at:%Y-%m-%d %H:%M}",
                    )
        if switched_off is not None:
            return Decision(
                False,
                action,
                f"pool {pool.name} {_POOL_SWITCHES.get(switched_off, f'has {switched_off} off')}",
            )
        return Decision(False, action, self._refusal(action, status, held))

    def _collaborator_extra(self, actor: User, lead: Lead, action: Action) -> str | None:
        role = lead.collaborator_roles.get(actor.id)
        if role is None or actor.id not in lead.collaborators:
            return None
        if action in self.config.collaborator_roles.get(role, frozenset()):
            return f"collaborator role {role} may {action.label_en.lower()}"
        return None

    def _refusal(self, action: Action, status: LeadStatus | None, held: frozenset[Role]) -> str:
        """Why not: who could, under this policy (so the user knows whom to ask)."""
        who = sorted(
            {
                r.role.label_en.lower()
                for r in self._by_action[action]
                if r.statuses is None or status in r.statuses
            },
        )
        what = action.label_en.lower()
        on = "" if status is None else f" a lead in status {status.value!r}"
        yours = ", ".join(sorted(r.label_en.lower() for r in held - {Role.EVERYONE})) or "no role"
        if not who:
            return f"nobody may {what}{on} under this policy"
        return f"only {', '.join(who)} may {what}{on}; you are: {yours}"

    def allowed_actions(
        self,
        actor: User,
        lead: Lead,
        pool: Pool,
        *,
        org: OrgDirectory,
        grants: Sequence[Grant] = (),
        now: datetime,
    ) -> tuple[Action, ...]:
        """Every lead action ``actor`` may take on ``lead`` now (the buttons a UI should show)."""
        return tuple(
            a
            for a in Action
            if a not in POOL_ACTIONS
            and self.decide(actor, a, lead, pool, org=org, grants=grants, now=now)
        )

    def may_approve(self, approver: User, lead: Lead, pool: Pool, *, org: OrgDirectory) -> Decision:
        """Whether ``approver`` may approve (or revoke) temporary grants on ``lead``."""
        if not approver.active:
            return Decision(False, Action.VIEW, f"user {approver.id} is inactive")
        held = roles_of(approver, lead, pool, org) & self.config.approvers
        if held:
            best = min(held, key=lambda r: list(Role).index(r))
            return Decision(
                True, Action.VIEW, f"{best.label_en.lower()} approves access to this lead"
            )
        who = ", ".join(sorted(r.label_en.lower() for r in self.config.approvers))
        return Decision(False, Action.VIEW, f"only {who} may approve access to this lead")

    def may_manage_availability(self, actor: User, user_id: str) -> Decision:
        """Whether ``actor`` may record when ``user_id`` is away: themself or a system admin."""
        if not actor.active:
            return Decision(False, Action.CONFIGURE_POOL, f"user {actor.id} is inactive")
        if actor.id == user_id:
            return Decision(True, Action.CONFIGURE_POOL, "users manage their own availability")
        if SYSTEM_ADMIN_ROLE in actor.roles:
            return Decision(True, Action.CONFIGURE_POOL, "system admin manages availability")
        return Decision(
            False, Action.CONFIGURE_POOL, "only the user themself or a system admin may"
        )

    # --- scopes --------------------------------------------------------------------------------
    def view_scope(
        self,
        actor: User,
        *,
        org: OrgDirectory,
        pools: Iterable[Pool],
        grants: Iterable[Grant] = (),
        now: datetime,
    ) -> ViewScope:
        """How far ``actor``'s view reaches among ``pools``: the data scopes of SPEC §5.5."""
        scopes = {DataScope.SELF, DataScope.FOLLOWED, DataScope.COLLABORATING}
        view_rules = self._by_action[Action.VIEW]
        pool_ids = set()
        everything = False
        for pool in pools:
            held = roles_of(actor, None, pool, org)
            for rule in view_rules:
                if rule.role in held and (
                    rule.pool_switch is None or getattr(pool, rule.pool_switch)
                ):
                    if rule.role in (Role.SYSTEM_ADMIN, Role.EVERYONE) and rule.statuses is None:
                        everything = True
                    pool_ids.add(pool.id)
        if not actor.active:
            return ViewScope(actor.id, False, frozenset())
        subordinates = org.subordinates(actor.id)
        if subordinates and any(r.role is Role.MANAGER for r in view_rules):
            scopes.add(DataScope.SUBORDINATES)
        if pool_ids:
            scopes.add(DataScope.POOL)
        if everything:
            scopes.add(DataScope.ALL)
        granted = frozenset(
            g.lead_id
            for g in grants
            if g.grantee_id == actor.id and Action.VIEW in g.actions and g.is_active(now)
        )
        return ViewScope(
            actor.id, everything, frozenset(scopes), frozenset(pool_ids), subordinates, granted
        )

    # --- documentation -------------------------------------------------------------------------
    def table_markdown(self) -> str:
        """The action × role table of this policy as Markdown: in each cell, the lead statuses in
        which that role may take that action ("any" for all), and the pool switch it needs."""
        roles = list(Role)
        lines = [
            "| action | " + " | ".join(r.value for r in roles) + " |",
            "|" + "---|" * (len(roles) + 1),
        ]
        for action in Action:
            cells = [
                _cell([r for r in self._by_action[action] if r.role is role]) for role in roles
            ]
            lines.append(f"| {action.value} | " + " | ".join(cells) + " |")
        return "\n".join(lines)


def _cell(rules: list[PermissionRule]) -> str:
    if not rules:
        return ""
    statuses: set[LeadStatus] = set()
    for rule in rules:
        statuses.update(LeadStatus if rule.statuses is None else rule.statuses)
    marks = (
        "any"
        if len(statuses) == len(LeadStatus)
        else ", ".join(s.value for s in LeadStatus if s in statuses)
    )
    switches = sorted({r.pool_switch for r in rules if r.pool_switch})
    return marks + (f" (if {', '.join(switches)})" if switches else "")


def _allowed_reason(role: Role, action: Action, status: LeadStatus | None, pool: Pool) -> str:
    what = action.label_en.lower()
    if status is None:
        return f"{role.label_en.lower()} may {what} in pool {pool.name}"
    return f"{role.label_en.lower()} may {what} a lead in status {status.value!r}"


def _lifecycle_refusal(lead: Lead, action: Action) -> str:
    status = lead.status
    if status in READ_ONLY_STATUSES:
        return f"a lead in status {status.value!r} is read-only"
    return f"a lead in status {status.value!r} cannot be {_past(action)}"


def _past(action: Action) -> str:
    return {
        Action.FOLLOW_UP: "followed up",
        Action.CLAIM: "claimed",
        Action.ASSIGN: "assigned",
        Action.RECLAIM: "reclaimed",
        Action.RELEASE: "released",
        Action.RETURN: "returned",
        Action.RECYCLE: "recycled",
        Action.REASSIGN: "given a new owner",
        Action.CONVERT: "converted",
        Action.REOPEN: "reopened",
        Action.CLOSE_LOST: "closed as lost",
        Action.INVALIDATE: "invalidated",
        Action.MANAGE_COLLABORATORS: "given collaborators",
        Action.TRANSFER: "transferred",
    }.get(action, f"{action.label_en.lower()}ed")


def _check(config: PolicyConfig) -> list[FieldProblem]:
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
        beyond = sorted(a.value for a in actions & (POOL_ACTIONS | {Action.DELETE, Action.ASSIGN}))
        if beyond:
            problems.append(
                FieldProblem(
                    f"$.collaborator_roles.{name}",
                    f"a collaborator role cannot {', '.join(beyond)}",
                )
            )
    if not config.max_grant_hours > 0:
        problems.append(FieldProblem("$.max_grant_hours", "must be more than 0"))
    return problems


_DEFAULT: Final = Policy(DEFAULT_CONFIG)
