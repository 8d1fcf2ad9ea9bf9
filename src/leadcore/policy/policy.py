"""Who may do what, decided: ``Policy`` compiles a ``PolicyConfig`` into fast, pure decisions.

``Policy.decide`` answers "may this actor take this action on this lead now, and why (not)"
from the actor's roles, the lead's status, the pool's settings, the actor's temporary grants
and, for a claim, the pool's caps. Who may *see* a lead is answered by ``Policy.view_scope``
alone, and ``decide`` asks it for every VIEW.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import attrs

from leadcore.config import parse_json, parse_toml, structure, unstructure
from leadcore.errors import ConfigError, FieldProblem
from leadcore.lifecycle import TRANSITIONS
from leadcore.model import READ_ONLY_STATUSES, Action, Lead, LeadStatus, Pool
from leadcore.org import OrgDirectory, User
from leadcore.policy.claims import ClaimFacts, claim_refusal
from leadcore.policy.config import (
    DEFAULT_CONFIG,
    POOL_ACTIONS,
    POOL_SWITCHES,
    PermissionRule,
    PolicyConfig,
    check_rules,
    clean_config,
    grant_hours_problems,
)
from leadcore.policy.decision import Decision
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE, Role, roles_of
from leadcore.policy.scope import ViewScope, view_scope
from leadcore.records import Grant
from leadcore.signatures import checked_constructor

__all__ = ["Policy"]


@checked_constructor
class Policy:
    """A compiled ``PolicyConfig``: fast, pure permission decisions with reasons.

    Build it with ``Policy.default()`` (the default roles and rights), ``Policy.from_dict`` /
    ``from_json`` / ``from_toml`` (plain data; ``ConfigError`` names the path at fault) or
    ``Policy(config)``. Each is checked the same way: a role, action or status may be given as
    the member, its value, name or a label, and is kept as the member.
    """

    __slots__ = ("_by_action", "_owner_rules", "config")

    def __init__(self, config: PolicyConfig) -> None:
        config = clean_config(config)
        self.config = config
        by_action: dict[Action, list[PermissionRule]] = {a: [] for a in Action}
        for rule in config.rules:
            for action in rule.actions:
                by_action[action].append(rule)
        self._by_action: Mapping[Action, tuple[PermissionRule, ...]] = {
            a: tuple(rules) for a, rules in by_action.items()
        }
        self._owner_rules: Mapping[Action, tuple[PermissionRule, ...]] = {
            a: tuple(r for r in rules if r.role is Role.OWNER) for a, rules in by_action.items()
        }

    # --- construction --------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Policy:
        """The default policy: deny by default, the roles and rights of a CRM's lead module."""
        return _DEFAULT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from plain data shaped like ``to_dict()``'s output."""
        _precheck(data)
        return cls(structure(data, PolicyConfig))

    @classmethod
    def from_json(cls, text: str | Path) -> Policy:
        """A policy from JSON text or a file."""
        return cls.from_dict(parse_json(text))

    @classmethod
    def from_toml(cls, text: str | Path) -> Policy:
        """A policy from TOML text or a file."""
        return cls.from_dict(parse_toml(text))

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (round-trips through ``from_dict``)."""
        data: dict[str, Any] = unstructure(self.config)
        return data

    def with_rules(self, *rules: PermissionRule) -> Policy:
        """This policy with ``rules`` added (a convenient way to widen the default);
        ``ValidationError`` names ``rules[i].<field>`` (``i`` counting the rules given) when one
        is not a valid ``PermissionRule``."""
        added = check_rules(rules, "rules")
        return Policy(attrs.evolve(self.config, rules=(*self.config.rules, *added)))

    @property
    def collaborator_role_names(self) -> frozenset[str]:
        """The named collaborator roles this policy knows (e.g. ``marketing_owner``)."""
        return frozenset(self.config.collaborator_roles)

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
        claim: ClaimFacts | None = None,
    ) -> Decision:
        """May ``actor`` take ``action`` on ``lead`` (in ``pool``) at ``now``? With the reason.

        Pool actions (create, configure) take ``lead=None``. For a lead, the lifecycle is asked
        first (a converted lead is read-only); VIEW is the view scope's answer; other actions
        follow the rules for the actor's roles, then named collaborator roles, then unexpired
        grants. A claim allowed by the rules is then held to the pool's caps in ``claim``.
        """
        if not actor.active:
            return Decision(False, action, f"user {actor.id} is inactive")
        if lead is None and action not in POOL_ACTIONS:
            return Decision(False, action, f"{action.value} needs a lead")
        if lead is not None and action not in TRANSITIONS[lead.status]:
            return Decision(False, action, _lifecycle_refusal(lead, action))
        if lead is not None and action is Action.VIEW:
            scope = self.view_scope(actor, org=org, pools=(pool,), grants=grants, now=now)
            seen = scope.reason_for(lead)
            if seen is not None:
                return Decision(True, action, f"{seen} may view this lead")
            held = roles_of(actor, lead, pool, org)
            return Decision(False, action, self._refusal(action, lead.status, held))
        decision = self._by_rules(actor, action, lead, pool, org=org, grants=grants, now=now)
        if decision.allowed and action is Action.CLAIM and claim is not None:
            assert lead is not None
            refusal = claim_refusal(actor, lead, pool, claim, now=now)
            if refusal is not None:
                return Decision(False, action, refusal)
        return decision

    def _by_rules(
        self,
        actor: User,
        action: Action,
        lead: Lead | None,
        pool: Pool,
        *,
        org: OrgDirectory,
        grants: Iterable[Grant],
        now: datetime,
    ) -> Decision:
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
            extra = self._collaborator_extra(actor, action, lead, pool)
            if extra is not None:
                return Decision(True, action, extra)
            for grant in grants:
                if grant.allows(actor.id, lead.id, action, now):
                    assert grant.expires_at is not None
                    return Decision(
                        True,
                        action,
                        f"temporary grant {grant.id} from {grant.approved_by} until "
                        f"{grant.expires_at:%Y-%m-%d %H:%M}",
                    )
        if switched_off is not None:
            off = POOL_SWITCHES.get(switched_off, f"has {switched_off} off")
            return Decision(False, action, f"pool {pool.name} {off}")
        return Decision(False, action, self._refusal(action, status, held))

    def _collaborator_extra(
        self, actor: User, action: Action, lead: Lead, pool: Pool
    ) -> str | None:
        """Why a named collaborator role allows ``action``, or None. Beyond viewing (which the
        view scope decides), a role's right holds only where the owner's own right to the
        action holds (status and pool switch): a co-worker never goes beyond the owner."""
        role = lead.collaborator_roles.get(actor.id)
        if role is None or actor.id not in lead.collaborators:
            return None
        if action not in self.config.collaborator_roles.get(role, frozenset()):
            return None
        if action is not Action.VIEW and not any(
            (rule.statuses is None or lead.status in rule.statuses)
            and (rule.pool_switch is None or getattr(pool, rule.pool_switch))
            for rule in self._owner_rules[action]
        ):
            return None
        return f"collaborator role {role} may {action.phrase('this lead')}"

    def _refusal(self, action: Action, status: LeadStatus | None, held: frozenset[Role]) -> str:
        """Why not: who could, under this policy (so the user knows whom to ask)."""
        who = [
            r.someone
            for r in sorted(
                {
                    r.role
                    for r in self._by_action[action]
                    if r.statuses is None or status in r.statuses
                },
                key=list(Role).index,
            )
        ]
        what = action.phrase("a lead" if status is None else f"a lead in status {status.value!r}")
        if action in POOL_ACTIONS:
            what = action.phrase("this pool")
        yours = ", ".join(sorted(r.label_en.lower() for r in held - {Role.EVERYONE})) or "no role"
        if not who:
            return f"nobody may {what} under this policy"
        return f"only {_either(who)} may {what}; you are: {yours}"

    def allowed_actions(
        self,
        actor: User,
        lead: Lead,
        pool: Pool,
        *,
        org: OrgDirectory,
        grants: Sequence[Grant] = (),
        now: datetime,
        claim: ClaimFacts | None = None,
    ) -> tuple[Action, ...]:
        """Every lead action ``actor`` may take on ``lead`` now (the buttons a UI should show)."""
        return tuple(
            a
            for a in Action
            if a not in POOL_ACTIONS
            and self.decide(actor, a, lead, pool, org=org, grants=grants, now=now, claim=claim)
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
        who = _either([r.someone for r in sorted(self.config.approvers, key=list(Role).index)])
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
        """Every way ``actor``'s view reaches among ``pools`` (查看范围): the one definition of
        who may see a lead, used for single leads and for pages alike."""
        return view_scope(
            actor,
            self._by_action[Action.VIEW],
            self.config.collaborator_roles,
            org=org,
            pools=pools,
            grants=grants,
            now=now,
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


def _either(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


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
    who = role.label_en.lower()
    if status is None:
        return f"{who} may {action.phrase(f'pool {pool.name}')}"
    return f"{who} may {action.phrase(f'a lead in status {status.value!r}')}"


def _lifecycle_refusal(lead: Lead, action: Action) -> str:
    status = lead.status
    if status in READ_ONLY_STATUSES:
        return f"a lead in status {status.value!r} is read-only"
    return f"a lead in status {status.value!r} cannot be {action.past}"


def _precheck(data: object) -> None:
    """Refuse, in words, the settings whose plain-data shape the structuring would only
    report as a Python error (a list of role names, a number too large for a float)."""
    if not isinstance(data, Mapping):
        return  # ``structure`` says what a policy's data must be
    problems: list[FieldProblem] = []
    if "collaborator_roles" in data and not isinstance(data["collaborator_roles"], Mapping):
        problems.append(
            FieldProblem(
                "$.collaborator_roles",
                "must be a table of role name to actions, like "
                f'{{"marketing_owner": ["view", "edit"]}}, not {type(data["collaborator_roles"]).__name__}',
            )
        )
    if "max_grant_hours" in data:
        problems.extend(grant_hours_problems(data["max_grant_hours"]))
    if problems:
        raise ConfigError.from_problems(problems)


_DEFAULT: Final = Policy(DEFAULT_CONFIG)
