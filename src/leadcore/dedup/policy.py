"""What to do when a new lead matches an existing one: the duplicate policy, per pool.

A :class:`DuplicatePolicy` says which ``action`` to take (ignore, reject, flag or attach),
which ``kinds`` of key count, and within which ``scope`` a match counts: the whole
organisation, the new lead's pool, or the leads sharing a field's value (a product line kept
in a custom field, an industry). :class:`DuplicatePolicies` holds a default and one policy per
pool, loaded from plain data, JSON or TOML (a ``ConfigError`` names the path at fault). Pure:
deciding whether a stored lead is in scope needs only the two leads' values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from leadcore import checks
from leadcore.config import kind_of, structure, unstructure
from leadcore.dedup.keys import KeyKind
from leadcore.dedup.rules import CUSTOM_PREFIX, RECORD_FIELDS, is_record_field
from leadcore.dedup.rules_base import FromConfig, raise_problems, to_tuple
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, LeadStatus
from leadcore.signatures import checked_constructor

__all__ = ["DuplicateAction", "DuplicatePolicies", "DuplicatePolicy", "DuplicateScope"]


class DuplicateAction(LabelledEnum):
    """What happens to a new lead that matches an existing one."""

    IGNORE = "ignore", "不查重", "No check"
    REJECT = "reject", "拒绝重复", "Reject"
    FLAG = "flag", "标记疑似重复", "Create and flag"
    ATTACH = "attach", "追加到已有线索", "Attach to the existing lead"


class DuplicateScope(LabelledEnum):
    """Among which leads a match counts."""

    ORGANISATION = "organisation", "全公司", "The whole organisation"
    POOL = "pool", "本线索池", "The same pool"
    FIELD = "field", "同一字段值", "The same value of a field"


_CLOSED: Final = frozenset({LeadStatus.INVALID, LeadStatus.CLOSED_LOST})


def _kinds(value: object) -> object:
    """The key kinds, each given as the kind, its value or a label, once each in the order
    given; anything unreadable is left for the check to name."""
    if isinstance(value, str):
        return value
    try:
        given = tuple(to_tuple(value))  # type: ignore[arg-type]
    except TypeError:
        return value
    return tuple(dict.fromkeys(_choice(KeyKind, kind) for kind in given))


def _choice(kind: type[LabelledEnum], value: object) -> object:
    """``value`` as a member of ``kind`` when it is one or names one (value, name or label);
    otherwise as given, for the check to name."""
    if isinstance(value, kind) or not isinstance(value, str):
        return value
    try:
        return kind.parse(value)
    except ValidationError:
        return value


def _action(value: object) -> object:
    return _choice(DuplicateAction, value)


def _scope(value: object) -> object:
    return _choice(DuplicateScope, value)


@checked_constructor
@attrs.frozen(slots=True)
class DuplicatePolicy:
    """One pool's duplicate rule.

    ``action``: ``ignore`` (no check), ``reject`` (``DuplicateLead`` naming the match and the
    key), ``flag`` (create the lead and link it to the match as a suspected duplicate) or
    ``attach`` (create nothing; the new details become an activity on the existing lead).
    ``scope``: ``organisation``, ``pool``, or ``field`` with ``field`` naming the lead field
    or ``custom_fields.<name>`` whose value must be equal (text ignoring case and surrounding
    spaces, a multi-choice value's choices in any order; a new lead without a value there is
    checked against the leads without one). ``kinds``: which keys count (all by default; a
    policy that checks names at least one). ``action``, ``scope`` and ``kinds`` take their
    members, values or labels (``"reject"``, ``"本线索池"``).
    ``include_closed``: whether invalid and lost leads count as matches (they do by default;
    converted ones always do, and a merged lead counts as the lead it was merged into).
    """

    action: DuplicateAction = attrs.field(default=DuplicateAction.IGNORE, converter=_action)
    scope: DuplicateScope = attrs.field(default=DuplicateScope.ORGANISATION, converter=_scope)
    field: str | None = None
    kinds: tuple[KeyKind, ...] = attrs.field(default=tuple(KeyKind), converter=_kinds)
    include_closed: bool = True

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if not isinstance(self.action, DuplicateAction):
            choices = ", ".join(a.value for a in DuplicateAction)
            problems.append(FieldProblem("action", f"must be one of: {choices}"))
        if not isinstance(self.scope, DuplicateScope):
            choices = ", ".join(s.value for s in DuplicateScope)
            problems.append(FieldProblem("scope", f"must be one of: {choices}"))
        if self.scope is DuplicateScope.FIELD and not is_record_field(self.field):
            known = ", ".join(RECORD_FIELDS)
            problems.append(
                FieldProblem(
                    "field",
                    f"scope 'field' needs a lead field ({known}) or custom_fields.<name>, "
                    f"not {self.field!r}",
                )
            )
        elif self.scope is not DuplicateScope.FIELD and self.field is not None:
            problems.append(FieldProblem("field", "is only used with scope 'field'"))
        if not isinstance(self.kinds, tuple) or not all(isinstance(k, KeyKind) for k in self.kinds):
            choices = ", ".join(k.value for k in KeyKind)
            problems.append(FieldProblem("kinds", f"must be a list of key kinds ({choices})"))
        elif not self.kinds and self.action is not DuplicateAction.IGNORE:
            shown = self.action.value if isinstance(self.action, DuplicateAction) else "it"
            problems.append(
                FieldProblem(
                    "kinds", f"is empty, so the {shown} policy would never check; name a key kind"
                )
            )
        if not isinstance(self.include_closed, bool):
            problems.append(FieldProblem("include_closed", "must be true or false"))
        raise_problems(problems)

    @property
    def checks(self) -> bool:
        """Whether this policy looks for duplicates at all."""
        return self.action is not DuplicateAction.IGNORE and bool(self.kinds)

    def counts(self, existing: Lead, pool_id: str, scope_value: object) -> bool:
        """Whether ``existing`` is a match that counts for a new lead in ``pool_id`` whose
        scope field holds ``scope_value`` (see :meth:`scope_value`)."""
        if type(existing) is not Lead and not isinstance(existing, Lead):
            shown = type(existing).__name__
            raise ValidationError([FieldProblem("existing", f"must be a Lead, not {shown}")])
        if existing.status in _CLOSED and not self.include_closed:
            return False
        if self.scope is DuplicateScope.POOL:
            return existing.pool_id == pool_id
        if self.scope is DuplicateScope.FIELD:
            return _normal(self.scope_value(existing)) == _normal(scope_value)
        return True

    def scope_value(self, record: Lead | Mapping[str, object]) -> object:
        """The value of the scope field in a lead or a plain mapping (None without one)."""
        if self.field is None:
            return None
        if self.field.startswith(CUSTOM_PREFIX):
            name = self.field[len(CUSTOM_PREFIX) :]
            if isinstance(record, Lead):
                return record.custom_fields.get(name)
            nested = record.get("custom_fields")
            return nested.get(name) if isinstance(nested, Mapping) else record.get(self.field)
        if isinstance(record, Lead):
            return getattr(record, self.field)
        return record.get(self.field)


def _normal(value: object) -> object:
    """A scope value as it is compared: text trimmed and case-folded, a multi-choice value's
    choices in any order."""
    if isinstance(value, str):
        return value.strip().casefold() or None
    if isinstance(value, tuple):
        return tuple(sorted((_normal(item) for item in value), key=repr)) or None
    return value


def _pool_entries(pools: object) -> list[tuple[str, object]]:
    if not isinstance(pools, Mapping):
        return []
    return [(f"$.pools[{pool_id!r}]", policy) for pool_id, policy in pools.items()]


def _pools(value: object) -> object:
    return frozen_mapping(value) if isinstance(value, Mapping) else value


@checked_constructor
@attrs.frozen(slots=True)
class DuplicatePolicies(FromConfig):
    """The duplicate policy of every pool: ``pools`` by pool id, else ``default``.

    From config: ``{"default": {"action": "flag"}, "pools": {"east": {"action": "reject",
    "scope": "field", "field": "custom_fields.product_line"}}}``.
    """

    default: DuplicatePolicy = attrs.field(factory=DuplicatePolicy)
    pools: Mapping[str, DuplicatePolicy] = attrs.field(factory=dict, converter=_pools)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if not isinstance(self.default, DuplicatePolicy):
            problems.append(FieldProblem("default", "must be a DuplicatePolicy"))
        if not isinstance(self.pools, Mapping):
            problems.append(FieldProblem("pools", "must map pool ids to DuplicatePolicy"))
        else:
            for pool_id, policy in self.pools.items():
                if not isinstance(pool_id, str) or not pool_id.strip():
                    problems.append(FieldProblem("pools", f"{pool_id!r} is not a pool id"))
                elif not isinstance(policy, DuplicatePolicy):
                    problems.append(FieldProblem(f"pools.{pool_id}", "must be a DuplicatePolicy"))
        raise_problems(problems)

    @classmethod
    def everywhere(cls, policy: DuplicatePolicy) -> DuplicatePolicies:
        """One policy for every pool."""
        return cls(default=policy)

    def for_pool(self, pool_id: str) -> DuplicatePolicy:
        """The policy of ``pool_id`` (the default when it has none of its own)."""
        try:
            return self.pools.get(pool_id, self.default)
        except TypeError:
            raise checks.not_an_id("pool_id", pool_id) from None

    @classmethod
    def from_dict(cls, data: object) -> DuplicatePolicies:
        """Build from plain data (``ConfigError`` naming the path at fault)."""
        if not isinstance(data, Mapping):
            raise ConfigError("$", "must be a table with default and/or pools")
        pools = data.get("pools")
        if pools is not None and not isinstance(pools, Mapping):
            raise ConfigError(
                "$.pools", f"must be a table of pool id → policy, not {kind_of(pools)}"
            )
        for where, policy in [("$.default", data.get("default")), *_pool_entries(pools)]:
            if policy is not None and not isinstance(policy, Mapping | DuplicatePolicy):
                raise ConfigError(
                    where, f"must be a policy table like {{action = 'flag'}}, not {kind_of(policy)}"
                )
        return structure(data, cls)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into equal policies."""
        data: dict[str, Any] = unstructure(self)
        return data
