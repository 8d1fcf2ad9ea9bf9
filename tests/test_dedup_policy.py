"""The duplicate policy: its settings as config, and which stored leads count as matches."""

from __future__ import annotations

import pytest

from leadcore.dedup import (
    DuplicateAction,
    DuplicatePolicies,
    DuplicatePolicy,
    DuplicateScope,
    KeyKind,
)
from leadcore.errors import ConfigError
from leadcore.model import LeadStatus
from leadcore.testing.factories import make_lead


def test_policies_load_from_toml_and_round_trip() -> None:
    policies = DuplicatePolicies.from_toml(
        """
[default]
action = "flag"

[pools.east]
action = "reject"
scope = "field"
field = "custom_fields.product_line"
kinds = ["phone", "email"]
"""
    )
    east = policies.for_pool("east")
    assert east.action is DuplicateAction.REJECT and east.kinds == (KeyKind.PHONE, KeyKind.EMAIL)
    assert policies.for_pool("north").action is DuplicateAction.FLAG
    assert DuplicatePolicies.from_dict(policies.to_dict()) == policies
    assert DuplicatePolicies.from_json('{"default": {"action": "attach"}}').default.checks


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"default": {"action": "drop"}}, "$.default.action"),
        ({"pools": {"east": {"scope": "field"}}}, "$.pools['east'].field"),
        ({"pools": {"east": {"field": "industry"}}}, "$.pools['east'].field"),
        ({"default": {"kinds": "phone"}}, "$.default.kinds"),
        ({"default": {"kinds": ["fax"]}}, "$.default.kinds"),
        ({"defaults": {}}, "$"),
        ([], "$"),
    ],
)
def test_bad_config_names_the_path(config: object, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DuplicatePolicies.from_dict(config)
    assert caught.value.path.startswith(path)


@pytest.mark.parametrize(
    ("toml", "path", "says"),
    [
        ("pools = [1]", "$.pools", "must be a table of pool id → policy, not a list"),
        ("pools = 3", "$.pools", "must be a table of pool id → policy, not int 3"),
        ("pools = { east = 1 }", "$.pools['east']", "must be a policy table"),
        ("default = 'flag'", "$.default", "must be a policy table"),
    ],
)
def test_a_pools_or_policy_of_the_wrong_shape_says_what_would_be_right(
    toml: str, path: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        DuplicatePolicies.from_toml(toml)
    assert caught.value.path == path
    assert says in str(caught.value) and "attribute" not in str(caught.value)


def test_which_stored_leads_count() -> None:
    stored = make_lead("L1", pool_id="east", industry="软件", custom_fields={"line": "A"})
    lost = make_lead("L2", pool_id="east", status=LeadStatus.CLOSED_LOST, owner_id=None)
    everywhere = DuplicatePolicy(action=DuplicateAction.REJECT)
    assert everywhere.counts(stored, "north", None) and everywhere.counts(lost, "north", None)
    assert not DuplicatePolicy(include_closed=False).counts(lost, "east", None)
    pool = DuplicatePolicy(scope=DuplicateScope.POOL)
    assert pool.counts(stored, "east", None) and not pool.counts(stored, "north", None)
    line = DuplicatePolicy(scope=DuplicateScope.FIELD, field="custom_fields.line")
    assert line.scope_value({"custom_fields": {"line": "A"}}) == "A"
    assert line.counts(stored, "north", "a ") and not line.counts(stored, "north", "B")
    industry = DuplicatePolicy(scope=DuplicateScope.FIELD, field="industry")
    assert industry.counts(stored, "x", "软件") and not industry.counts(stored, "x", None)
    assert not DuplicatePolicy().checks and not DuplicatePolicy(kinds=[]).checks


def test_a_policy_that_checks_names_a_key_kind() -> None:
    with pytest.raises(ConfigError, match="kinds: is empty, so the flag policy would never check"):
        DuplicatePolicy(action=DuplicateAction.FLAG, kinds=[])


def test_actions_scopes_and_kinds_read_values_and_labels_once_each() -> None:
    policy = DuplicatePolicy(action="reject", scope="本线索池", kinds=["phone", "电话", "email"])
    assert (policy.action, policy.scope) == (DuplicateAction.REJECT, DuplicateScope.POOL)
    assert policy.kinds == (KeyKind.PHONE, KeyKind.EMAIL)
    with pytest.raises(ConfigError, match="action: must be one of"):
        DuplicatePolicy(action="rejct")


def test_a_multi_choice_scope_value_matches_in_any_order() -> None:
    lines = DuplicatePolicy(scope=DuplicateScope.FIELD, field="custom_fields.lines")
    stored = make_lead("L1", custom_fields={"lines": ("a", "b")})
    assert lines.counts(stored, "east", ("b", "a"))
    assert not lines.counts(stored, "east", ("a",))
