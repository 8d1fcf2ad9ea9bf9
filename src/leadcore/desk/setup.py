"""The rules a desk applies, as one value handed to every plan: the policy, the org directory,
entry rules and custom fields, the auto-assign strategies, the scorer, what conversion uses
(the customer directory and the field mapping), the SLA policies, the quota policies, the
conditions pools react to and the learned grade."""

from __future__ import annotations

import difflib
import inspect
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar, cast

import attrs

from leadcore.assignment import Strategy
from leadcore.checks import article
from leadcore.clock import Clock
from leadcore.conditions import LeadCondition
from leadcore.conversion import ConversionSetup
from leadcore.custom_fields import CustomFieldSet
from leadcore.dedup import DuplicatePolicies, DuplicatePolicy, DuplicateScope, Normaliser
from leadcore.dedup.rules import CUSTOM_PREFIX
from leadcore.errors import ConfigError, FieldProblem, PermissionDenied, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.ids import IdFactory, uuid4_ids
from leadcore.intake import LeadRules
from leadcore.model import Action, Lead, Pool
from leadcore.org import OrgDirectory, User
from leadcore.policy import Policy, QuotaPolicy
from leadcore.scoring import Predictor, Scorer
from leadcore.sla import PoolSla, SlaPolicy, effective_policy

__all__ = [
    "Setup",
    "checked_clock",
    "checked_duplicate_fields",
    "checked_mapping",
    "checked_predictor",
    "checked_quota_users",
    "checked_rng",
    "checked_scorer",
    "named",
]

V = TypeVar("V")
K = TypeVar("K")


def named(pool: Pool, field: str, name: str, known: Mapping[str, V], what: str) -> V:
    """The ``what`` called ``name`` that ``pool.<field>`` names; ``ConfigError`` if this desk was
    not given one of that name."""
    found = known.get(name)
    if found is None:
        raise ConfigError(
            f"pools[{pool.id}].{field}",
            f"names {what} {name!r}, which this desk was not given "
            f"(known: {', '.join(sorted(known)) or 'none'})",
        )
    return found


def checked_mapping(value: Mapping[str, V] | None, kind: type[V], name: str) -> dict[str, V]:
    """``value`` as a dict of named ``kind`` values; ``ValidationError`` naming each wrong one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            [
                FieldProblem(
                    name, f"must map a name to a {kind.__name__}, not {type(value).__name__}"
                )
            ]
        )
    problems = [
        FieldProblem(
            f"{name}.{key}",
            f"must be {article(kind.__name__)} {kind.__name__}, not {type(item).__name__}",
        )
        for key, item in value.items()
        if not isinstance(key, str) or not isinstance(item, kind)
    ]
    if problems:
        raise ValidationError(problems)
    return dict(value)


def checked(
    value: object, kind: type[K], field: str, example: str, default: Callable[[], K] | None = None
) -> K:
    """``value`` if it is a ``kind`` (a protocol is checked by its methods), ``default()`` for
    None when there is a default; ``ValidationError`` naming ``field``, with an ``example`` of
    what would do, otherwise."""
    if value is None and default is not None:
        return default()
    if isinstance(value, type) or not isinstance(value, kind):
        raise ValidationError(
            [
                FieldProblem(
                    field,
                    f"must be {article(kind.__name__)} {kind.__name__} ({example}), not {type(value).__name__}",
                )
            ]
        )
    return value


def checked_ids(ids: object) -> IdFactory:
    """``ids`` if it makes ids (called with a kind such as ``"lead"``; a fresh ``uuid4_ids()``
    for None); ``ValidationError`` naming it otherwise."""
    if ids is None:
        return uuid4_ids()
    if isinstance(ids, type) or not callable(ids):
        raise ValidationError(
            [
                FieldProblem(
                    "ids",
                    "must make ids: a function of the kind (counter_ids(), uuid4_ids()), "
                    f"not {type(ids).__name__}",
                )
            ]
        )
    try:
        inspect.signature(ids).bind("lead")
    except TypeError:
        raise ValidationError(
            [
                FieldProblem(
                    "ids", "must take the kind of record to make an id for, like ids('lead')"
                )
            ]
        ) from None
    except ValueError:
        pass  # a callable whose signature Python cannot read: it is tried when first used
    return cast(IdFactory, ids)


def checked_clock(clock: object) -> Clock:
    """``clock`` if it tells the time (``now()``); ``ValidationError`` naming it otherwise."""
    wrong = isinstance(clock, type | datetime)  # a class, or a time (datetime has now() too)
    if wrong or not isinstance(clock, Clock) or not callable(clock.now):
        raise ValidationError(
            [
                FieldProblem(
                    "clock",
                    "must be a clock with now() giving an aware datetime (SystemClock(), or "
                    f"FixedClock(start) in tests), not {type(clock).__name__}",
                )
            ]
        )
    return clock


def checked_predictor(
    value: Predictor | None,
) -> Predictor | None:
    """``value`` if it is a fitted learned grade (or None); ``ValidationError`` otherwise."""
    if value is None or isinstance(value, Predictor):
        return value
    raise ValidationError(
        [
            FieldProblem(
                "predictor",
                f"must be a PredictiveModel or ScopedPredictiveModel (fit_predictive, "
                f"fit_scoped), not {type(value).__name__}",
            )
        ]
    )


def checked_scorer(value: Scorer | None) -> Scorer | None:
    """``value`` if it is a compiled score model (or None); ``ValidationError`` otherwise."""
    if value is None or isinstance(value, Scorer):
        return value
    raise ValidationError(
        [FieldProblem("scorer", f"must be a Scorer (model.compile()), not {type(value).__name__}")]
    )


def checked_rng(value: random.Random | None) -> random.Random:
    """``value`` if it is a ``random.Random`` (a fresh one for None); ``ValidationError``
    otherwise (a seed is not a random source: pass ``random.Random(seed)``)."""
    if value is None:
        return random.Random()
    if isinstance(value, random.Random):
        return value
    raise ValidationError(
        [
            FieldProblem(
                "rng",
                "must be a random.Random (random.Random(seed) to replay a run), not "
                f"{type(value).__name__}",
            )
        ]
    )


def _policies(value: object) -> Mapping[str, SlaPolicy]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, SlaPolicy) for k, v in value.items()
    ):
        raise ValidationError(
            [FieldProblem("sla_policies", "must map policy names to SlaPolicy values")]
        )
    return frozen_mapping(dict(value))


def _field_problem(
    path: str, policy: DuplicatePolicy, custom_fields: CustomFieldSet
) -> FieldProblem | None:
    """What is wrong with the field a field-scoped ``policy`` names, on a desk with these
    ``custom_fields``, or None."""
    field = policy.field
    if policy.scope is not DuplicateScope.FIELD or not isinstance(field, str):
        return None
    if not field.startswith(CUSTOM_PREFIX):
        return None  # a lead field: DuplicatePolicy refuses any other name when it is made
    name = field[len(CUSTOM_PREFIX) :]
    if name in custom_fields.fields:
        return None
    declared = ", ".join(sorted(custom_fields.fields)) or "none"
    return FieldProblem(
        path,
        f"names custom field {name!r}, which this desk does not declare (declared: {declared}); "
        "every lead would read None there and the scope would be the whole organisation",
    )


def checked_duplicate_fields(
    duplicates: DuplicatePolicies, custom_fields: CustomFieldSet
) -> DuplicatePolicies:
    """``duplicates`` if every policy in it (the default and each pool's) scoped to a custom
    field names one this desk declares; ``ValidationError`` naming each policy that does not
    (``duplicates.default.field``, ``duplicates.pools.<id>.field``) and listing the declared
    fields. A lead field's name is checked by ``DuplicatePolicy`` itself."""
    found = [
        _field_problem(path, policy, custom_fields)
        for path, policy in (
            ("duplicates.default.field", duplicates.default),
            *((f"duplicates.pools.{pool_id}.field", p) for pool_id, p in duplicates.pools.items()),
        )
    ]
    problems = [problem for problem in found if problem is not None]
    if problems:
        raise ValidationError(problems, subject="desk setup")
    return duplicates


def checked_scorer_fields(scorer: Scorer | None, custom_fields: CustomFieldSet) -> None:
    """``ValidationError`` naming each profile dimension of a compiled score model that reads
    a custom field this desk does not declare (``scorer.dimensions[i].field``): every lead
    would score nothing there, silently."""
    if scorer is None:
        return
    declared = ", ".join(sorted(custom_fields.fields)) or "none"
    problems = [
        FieldProblem(
            f"scorer.dimensions[{i}].field",
            f"reads custom field {dimension.field[len(CUSTOM_PREFIX) :]!r}, which this desk "
            f"does not declare (declared: {declared}); every lead would score 0 there",
        )
        for i, dimension in enumerate(scorer.sheet.dimensions)
        if dimension.field.startswith(CUSTOM_PREFIX)
        and dimension.field[len(CUSTOM_PREFIX) :] not in custom_fields.fields
    ]
    if problems:
        raise ValidationError(problems, subject="desk setup")


def _listed_users(org: OrgDirectory) -> list[str]:
    """The ids ``org`` lists (an ``OrgChart``'s ``users``; a host's mapping or collection of
    ids), for a "did you mean"; none when it lists none or listing them fails."""
    try:
        listed = getattr(org, "users", None)
        if isinstance(listed, Mapping):
            listed = list(listed)
        if isinstance(listed, list | tuple | set | frozenset):
            return sorted(u for u in listed if isinstance(u, str))
    except Exception:  # a hint only: a host's listing that fails leaves it out
        pass
    return []


def _known_as(org: OrgDirectory, user_id: str) -> str | None:
    """The id ``org`` knows ``user_id`` by (itself), another id when the directory answers
    with someone else, or None when it does not know them: ``NotFound`` or any
    ``LookupError`` (a ``KeyError``), or no ``User`` at all (``None``)."""
    try:
        found = org.user(user_id)
    except LookupError:
        return None
    return found.id if isinstance(found, User) else None


def checked_quota_users(quota_policies: Mapping[str, QuotaPolicy], org: OrgDirectory) -> None:
    """``ValidationError`` naming each user a quota policy gives quotas of their own whom
    ``org`` does not know (``quota_policies.<name>.users.<id>``), with the closest known id
    when the directory lists its users (an ``OrgChart`` does): a quota for a misspelt id would
    never bind anyone. A host's directory that answers ``None`` or raises ``KeyError`` for an
    unknown id is read as not knowing them, and one that answers with a user of another id
    (``WANG`` found as ``wang``) is named too: quotas bind the id a lead's owner has. Other
    errors of the directory (its database is down) pass through as they are. This is checked
    as the desk is built, where the policies and the directory first meet; a desk keeps its
    quota policies for life, so a quota for a user added to the directory later comes with
    the desk built after them."""
    problems: list[FieldProblem] = []
    known: list[str] | None = None
    for name, policy in quota_policies.items():
        for user_id in policy.users:
            path = f"quota_policies.{name}.users.{user_id}"
            found = _known_as(org, user_id)
            if found == user_id:
                continue
            if found is not None:
                reason = (
                    f"names user {user_id!r}, whom the org directory knows as {found!r}; use "
                    f"{found!r} (a quota binds the id a lead's owner has)"
                )
            else:
                known = _listed_users(org) if known is None else known
                close = difflib.get_close_matches(user_id, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                reason = (
                    f"names user {user_id!r}, whom the org directory does not know{hint} "
                    "(a quota for an unknown user never binds anyone)"
                )
            problems.append(FieldProblem(path, reason))
    if problems:
        raise ValidationError(problems, subject="desk setup")


@attrs.frozen(slots=True)
class Setup:
    """What a plan may consult besides the facts it loaded. ``strategies`` are the auto-assign
    strategies pools name in ``Pool.auto_assign``; ``scorer`` keeps scores current when set;
    ``conversion`` holds the customer directory and the field mapping; ``normaliser`` reads
    duplicate keys (with the store's own rules); ``duplicates`` holds each pool's duplicate
    policy;
    ``quota_policies`` and ``conditions`` are what pools name in ``Pool.quota_policy`` and
    ``Pool.conditions``; ``predictor`` is the learned grade the desk starts from. A duplicate
    policy scoped to a custom field must name one ``custom_fields`` declares, and a quota of a
    user's own must name a user ``org`` knows."""

    org: OrgDirectory
    policy: Policy
    rules: LeadRules
    custom_fields: CustomFieldSet
    strategies: Mapping[str, Strategy]
    scorer: Scorer | None = attrs.field(default=None, converter=checked_scorer)
    conversion: ConversionSetup = attrs.field(factory=ConversionSetup)
    normaliser: Normaliser = attrs.field(factory=Normaliser.default)
    duplicates: DuplicatePolicies = attrs.field(factory=DuplicatePolicies)
    sla_policies: Mapping[str, SlaPolicy] = attrs.field(factory=dict, converter=_policies)
    _sla_cache: dict[tuple[object, ...], PoolSla] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )
    quota_policies: Mapping[str, QuotaPolicy] = attrs.field(factory=dict)
    conditions: Mapping[str, LeadCondition] = attrs.field(factory=dict)
    predictor: Predictor | None = None

    def __attrs_post_init__(self) -> None:
        checked_duplicate_fields(self.duplicates, self.custom_fields)
        checked_scorer_fields(self.scorer, self.custom_fields)
        checked_quota_users(self.quota_policies, self.org)

    def require(
        self,
        actor: User,
        action: Action,
        lead: Lead | None,
        pool: Pool,
        *,
        now: datetime,
        what: str,
    ) -> None:
        """Go on only if the policy lets ``actor`` take ``action`` on ``lead`` (None: on the
        pool, or a lead not made yet) in ``pool`` at ``now``; else ``PermissionDenied`` naming
        ``what`` with the policy's reason."""
        decision = self.policy.decide(actor, action, lead, pool, org=self.org, now=now)
        if not decision.allowed:
            raise PermissionDenied(actor.id, action, what, decision.reason)

    def quota_policy_of(self, pool: Pool) -> QuotaPolicy | None:
        """The quota policy ``pool.quota_policy`` names (None when it names none);
        ``ConfigError`` if this desk was not given it."""
        if pool.quota_policy is None:
            return None
        return named(pool, "quota_policy", pool.quota_policy, self.quota_policies, "quota policy")

    def conditions_of(self, pool: Pool) -> tuple[LeadCondition, ...]:
        """The conditions ``pool.conditions`` names, in order; ``ConfigError`` for one this
        desk was not given."""
        return tuple(
            named(pool, "conditions", name, self.conditions, "condition")
            for name in pool.conditions
        )

    def pool_strategy(self, pool: Pool) -> Strategy | None:
        """The strategy ``pool.auto_assign`` names (None when it names none); ``ConfigError``
        if this desk was not given it."""
        if pool.auto_assign is None:
            return None
        return named(pool, "auto_assign", pool.auto_assign, self.strategies, "strategy")

    def sla_of(self, pool: Pool) -> PoolSla:
        """The time-keeping ``pool`` runs on: the policy it names plus its own hours;
        ``ConfigError`` if it names a policy this desk was not given."""
        key = (pool.reminder_hours, pool.recycle_hours, pool.recycle_warning_hours, pool.sla_policy)
        found = self._sla_cache.get(key)
        if found is not None:
            return found
        policy = None
        if pool.sla_policy is not None:
            policy = named(pool, "sla_policy", pool.sla_policy, self.sla_policies, "SLA policy")
        found = self._sla_cache[key] = effective_policy(pool, policy)
        return found

    def strategy_named(self, pool: Pool, strategy: Strategy | str | None) -> Strategy:
        """The strategy to use: the one given, the one named, or the pool's own."""
        if strategy is None:
            own = self.pool_strategy(pool)
            if own is None:
                raise ValidationError(
                    [
                        FieldProblem(
                            "strategy", f"pool {pool.name} has no auto-assign strategy; name one"
                        )
                    ]
                )
            return own
        if isinstance(strategy, str):
            found = self.strategies.get(strategy)
            if found is None:
                known = ", ".join(self.strategies) or "none"
                raise ValidationError(
                    [FieldProblem("strategy", f"no strategy {strategy!r} (known: {known})")]
                )
            return found
        if not isinstance(strategy, Strategy):
            raise ValidationError(
                [FieldProblem("strategy", "must be a Strategy, a strategy's name, or None")]
            )
        return strategy

    def require_predictor(self) -> Predictor:
        """The learned grade; ``ValidationError`` when this desk has none."""
        if self.predictor is None:
            raise ValidationError(
                [
                    FieldProblem(
                        "predictor", "this desk has no learned grade; pass LeadDesk(predictor=...)"
                    )
                ]
            )
        return self.predictor

    def require_scorer(self) -> Scorer:
        """The scorer; ``ValidationError`` when this desk has none."""
        if self.scorer is None:
            raise ValidationError(
                [FieldProblem("scorer", "this desk has no scorer; pass LeadDesk(scorer=...)")]
            )
        return self.scorer
