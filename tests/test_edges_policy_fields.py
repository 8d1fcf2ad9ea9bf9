"""Edges of the policy, custom-field declarations, the org chart, edits and grants: bad input
is refused with a message naming the path and what would be right, and nothing changes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    Action,
    ConfigError,
    CustomField,
    CustomFieldSet,
    Department,
    FieldType,
    FixedClock,
    Lead,
    LeadcoreError,
    LeadDesk,
    LeadStatus,
    MemoryStore,
    OrgChart,
    PermissionDenied,
    PermissionRule,
    Policy,
    Pool,
    Role,
    User,
    ValidationError,
    counter_ids,
)
from leadcore.policy import POOL_ACTIONS
from leadcore.testing.factories import EPOCH

A, S = Action, LeadStatus
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = [
    User("root", roles={"system_admin"}),
    User("carol", department_id="east"),
    User("bob", department_id="east_sales"),
    User("mia", department_id="marketing"),
    User("mgr", department_id="east"),
    User("erin", department_id="north"),
]
DEPARTMENTS = [
    Department("east", "华东大区", manager_id="mgr"),
    Department("east_sales", "华东销售", parent_id="east"),
    Department("marketing", "市场部"),
    Department("north", "华北"),
]
ORG = OrgChart(users=USERS, departments=DEPARTMENTS)
POOL = Pool(id="east", name="华东线索池", admins={"carol"}, members={"bob", "mia", "mgr"})
MARKETING = Policy.default().config.collaborator_roles["marketing_owner"]


def desk_of(
    org: OrgChart = ORG, store: MemoryStore | None = None, **options: Any
) -> tuple[LeadDesk, FixedClock]:
    clock = FixedClock(NOW)
    desk = LeadDesk(store or MemoryStore(), clock, org, ids=counter_ids(), **options)
    return desk, clock


def owned_lead(**options: Any) -> tuple[LeadDesk, FixedClock, str]:
    """A desk with pool east and lead L1 owned by bob."""
    desk, clock = desk_of(**options)
    desk.create_pool("root", POOL)
    lead = desk.create("bob", "east", contact_name="王磊", phone="13800138000")
    desk.assign("carol", lead.id, "bob")
    return desk, clock, lead.id


def lead_in(status: LeadStatus, *, role: str = "marketing_owner") -> Lead:
    owned = status is not S.UNASSIGNED
    return Lead(
        id=f"lead-{status.value}",
        pool_id="east",
        created_by="carol",
        created_at=EPOCH,
        status=status,
        owner_id="bob" if owned else None,
        collaborators={"mia"},
        collaborator_roles={"mia": role},
        merged_into="survivor" if status is S.MERGED else None,
        converted_customer_id="cust-1" if status is S.CONVERTED else None,
    )


def plain_lead(status: LeadStatus) -> Lead:
    """``lead_in`` without collaborators."""
    return attrs.evolve(lead_in(status), collaborators=frozenset(), collaborator_roles={})


def without_owner_edit(*added: PermissionRule) -> Policy:
    """The default policy where the owner's edit right is only what ``added`` gives."""
    config = Policy.default().config
    rules = [
        attrs.evolve(r, actions=r.actions - {A.EDIT}) if r.role is Role.OWNER else r
        for r in config.rules
    ]
    return Policy(attrs.evolve(config, rules=(*(r for r in rules if r.actions), *added)))


def decide(policy: Policy, user: str, action: Action, lead: Lead, pool: Pool = POOL) -> bool:
    return policy.decide(ORG.user(user), action, lead, pool, org=ORG, now=EPOCH).allowed


def refused(kind: type[LeadcoreError], call: Callable[[], object]) -> LeadcoreError:
    with pytest.raises(kind) as caught:
        call()
    return caught.value


def fields_of(error: LeadcoreError) -> list[str]:
    problems = getattr(error, "problems", ())
    return [p.field for p in problems]


# --- 1. a collaborator role never goes beyond the owner --------------------------------------


def test_a_marketing_co_owner_may_not_edit_a_lead_closed_as_lost() -> None:
    desk, _, lead_id = owned_lead()
    desk.add_collaborators("bob", lead_id, ["mia"], role="marketing_owner")
    assert desk.can("mia", A.EDIT, lead_id).allowed  # while the lead is held
    desk.close_lost("bob", lead_id, reason="no budget")
    before = desk.store.snapshot()
    assert not desk.can("bob", A.EDIT, lead_id).allowed
    assert not desk.can("mia", A.EDIT, lead_id).allowed
    refused(PermissionDenied, lambda: desk.edit("mia", lead_id, company="edited after close"))
    assert desk.store.snapshot() == before
    assert desk.can("mia", A.VIEW, lead_id).allowed  # viewing stays, in any status
    assert A.EDIT not in desk.allowed_actions("mia", lead_id)


@given(status=st.sampled_from(list(LeadStatus)), action=st.sampled_from(sorted(MARKETING)))
def test_a_collaborator_role_never_allows_more_than_the_owner_may(
    status: LeadStatus, action: Action
) -> None:
    """Whatever the role adds beyond viewing, the owner may do too in that status (with no
    owner, the role adds nothing beyond what any collaborator may)."""
    policy = Policy.default()
    lead = lead_in(status)
    if action is A.VIEW or not decide(policy, "mia", action, lead):
        return
    plain = attrs.evolve(lead, collaborator_roles={})
    if status is S.UNASSIGNED:
        assert decide(policy, "mia", action, plain), action
    else:
        assert decide(policy, "bob", action, plain), (status, action)


def test_a_collaborator_role_on_an_unassigned_lead_gives_no_edit() -> None:
    lead = lead_in(S.UNASSIGNED)
    assert not decide(Policy.default(), "mia", A.EDIT, lead)
    assert not decide(Policy.default(), "mia", A.RECORD_ACTIVITY, lead)


def test_a_collaborator_role_follows_the_owners_statuses_in_a_custom_policy() -> None:
    policy = without_owner_edit(
        PermissionRule(Role.OWNER, frozenset({A.EDIT}), frozenset({S.FOLLOWING}))
    )
    assert decide(policy, "mia", A.EDIT, lead_in(S.FOLLOWING))
    assert not decide(policy, "mia", A.EDIT, lead_in(S.ASSIGNED))


def test_a_collaborator_role_needs_the_pool_switch_the_owners_right_needs() -> None:
    policy = without_owner_edit(
        PermissionRule(Role.OWNER, frozenset({A.EDIT}), frozenset({S.ASSIGNED}), "claim_enabled")
    )
    lead = lead_in(S.ASSIGNED)
    assert not decide(policy, "mia", A.EDIT, lead, attrs.evolve(POOL, claim_enabled=False))
    assert decide(policy, "mia", A.EDIT, lead, attrs.evolve(POOL, claim_enabled=True))


# --- 2. Policy(config) and with_rules check their rules -------------------------------------


BAD_RULES: list[tuple[PermissionRule, str]] = [
    (PermissionRule(Role.MANAGER, frozenset({A.FOLLOW_UP}), frozenset({"asigned"})), "statuses[0]"),  # type: ignore[arg-type]
    (PermissionRule("managr", frozenset({A.FOLLOW_UP})), "role"),  # type: ignore[arg-type]
    (PermissionRule(Role.MANAGER, "follow_up"), "actions"),  # type: ignore[arg-type]
    (PermissionRule(Role.MANAGER, frozenset({"follow_upp"})), "actions[0]"),  # type: ignore[arg-type]
    (PermissionRule(Role.MANAGER, frozenset({A.VIEW}), "assigned"), "statuses"),  # type: ignore[arg-type]
    (PermissionRule(Role.MANAGER, frozenset()), "actions"),
    (PermissionRule(Role.MANAGER, frozenset({A.VIEW}), None, "claim"), "pool_switch"),
]


@pytest.mark.parametrize(("rule", "field"), BAD_RULES)
def test_a_bad_rule_is_refused_by_with_rules_naming_its_field(
    rule: PermissionRule, field: str
) -> None:
    error = refused(ValidationError, lambda: Policy.default().with_rules(rule))
    assert f"rules[0].{field}" in fields_of(error), error


@pytest.mark.parametrize(("rule", "field"), BAD_RULES)
def test_a_bad_rule_is_refused_by_policy_of_a_config_naming_its_path(
    rule: PermissionRule, field: str
) -> None:
    config = attrs.evolve(Policy.default().config, rules=(rule,))
    error = refused(ConfigError, lambda: Policy(config))
    assert f"$.rules[0].{field}" in fields_of(error), error


def test_with_rules_refuses_what_is_not_a_rule() -> None:
    error = refused(ValidationError, lambda: Policy.default().with_rules("x"))  # type: ignore[arg-type]
    assert fields_of(error) == ["rules[0]"]
    assert "must be a PermissionRule, not str" in str(error)


def test_a_rule_may_name_roles_actions_and_statuses_by_value_or_label() -> None:
    rule = PermissionRule("上级", frozenset({"follow_up"}), frozenset({"assigned", "跟进中"}))  # type: ignore[arg-type]
    policy = Policy.default().with_rules(rule)
    added = policy.config.rules[-1]
    assert added.role is Role.MANAGER
    assert added.actions == {A.FOLLOW_UP} and all(type(a) is Action for a in added.actions)
    assert added.statuses is not None and all(type(s) is LeadStatus for s in added.statuses)
    assert decide(policy, "mgr", A.FOLLOW_UP, plain_lead(S.ASSIGNED))
    assert Policy.from_dict(policy.to_dict()).config == policy.config


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"max_grant_hours": "720"}, "$.max_grant_hours"),
        ({"max_grant_hours": 0}, "$.max_grant_hours"),
        ({"max_grant_hours": float("nan")}, "$.max_grant_hours"),
        ({"max_grant_hours": 10**400}, "$.max_grant_hours"),
        ({"approvers": frozenset({"boss"})}, "$.approvers[0]"),
        ({"grantable_actions": "view"}, "$.grantable_actions"),
        ({"collaborator_roles": ["marketing_owner"]}, "$.collaborator_roles"),
        ({"collaborator_roles": {"m": frozenset({"vew"})}}, "$.collaborator_roles.m[0]"),
        ({"rules": "x"}, "$.rules"),
    ],
)
def test_every_setting_of_a_policy_config_is_checked(change: dict[str, Any], field: str) -> None:
    config = attrs.evolve(Policy.default().config, **change)
    error = refused(ConfigError, lambda: Policy(config))
    assert field in fields_of(error), error


def test_a_policy_of_no_config_is_a_config_error() -> None:
    error = refused(ConfigError, lambda: Policy({"rules": []}))  # type: ignore[arg-type]
    assert "must be a PolicyConfig" in str(error)


@given(
    role=st.one_of(st.text(max_size=12), st.integers(), st.none()),
    actions=st.one_of(st.text(max_size=12), st.lists(st.text(max_size=8), max_size=3)),
    statuses=st.one_of(st.none(), st.text(max_size=8), st.lists(st.text(max_size=8), max_size=3)),
)
def test_any_rule_either_is_accepted_or_is_a_validation_error(
    role: object, actions: object, statuses: object
) -> None:
    rule = PermissionRule(role, actions, statuses)  # type: ignore[arg-type]
    try:
        policy = Policy.default().with_rules(rule)
    except ValidationError as e:
        assert all(f.startswith("rules[0]") for f in e.fields)
        return
    added = policy.config.rules[-1]
    assert type(added.role) is Role and all(type(a) is Action for a in added.actions)
    lead = plain_lead(S.ASSIGNED)
    for action in Action:  # decisions never fail on a rule the policy took
        on = None if action in POOL_ACTIONS else lead
        policy.decide(ORG.user("mgr"), action, on, POOL, org=ORG, now=EPOCH)


# --- 3. what a grant (or a collaborator role) may never give --------------------------------


@pytest.mark.parametrize("action", ["delete", "configure_pool", "merge", "assign", "create"])
def test_grantable_actions_refuse_what_only_admins_may(action: str) -> None:
    data = Policy.default().to_dict()
    data["grantable_actions"] = ["view", action]
    error = refused(ConfigError, lambda: Policy.from_dict(data))
    assert error.problems[0].field == "$.grantable_actions"  # type: ignore[attr-defined]
    assert f"a temporary grant cannot {action}" in str(error)
    config = attrs.evolve(
        Policy.default().config, grantable_actions=frozenset({A.VIEW, A.parse(action)})
    )
    assert fields_of(refused(ConfigError, lambda: Policy(config))) == ["$.grantable_actions"]


def test_a_collaborator_role_may_not_merge_either() -> None:
    data = Policy.default().to_dict()
    data["collaborator_roles"] = {"cleaner": ["view", "merge"]}
    error = refused(ConfigError, lambda: Policy.from_dict(data))
    assert error.problems[0].field == "$.collaborator_roles.cleaner"  # type: ignore[attr-defined]
    assert "a collaborator role cannot merge" in str(error)


# --- 4. from_dict says what would be right ---------------------------------------------------


def test_collaborator_roles_as_a_list_say_a_table_is_needed() -> None:
    data = copy.deepcopy(Policy.default().to_dict())
    data["collaborator_roles"] = ["marketing_owner"]
    error = refused(ConfigError, lambda: Policy.from_dict(data))
    assert error.problems[0].field == "$.collaborator_roles"  # type: ignore[attr-defined]
    assert "must be a table of role name to actions" in str(error)
    assert "attribute" not in str(error)


@pytest.mark.parametrize(
    "hours",
    [10**400, -(10**30), 10**16, "720", True, 9000],
    ids=["huge", "negative", "1e16", "text", "bool", "over-a-year"],
)
def test_max_grant_hours_out_of_range_says_the_range(hours: object) -> None:
    data = Policy.default().to_dict()
    data["max_grant_hours"] = hours
    error = refused(ConfigError, lambda: Policy.from_dict(data))
    assert error.problems[0].field == "$.max_grant_hours"  # type: ignore[attr-defined]
    assert "float" not in str(error) and len(str(error)) < 200
    assert "8784" in str(error) or "number of hours" in str(error)


def test_from_json_checks_the_same() -> None:
    error = refused(
        ConfigError, lambda: Policy.from_json('{"rules": [], "max_grant_hours": 1e999}')
    )
    assert error.problems[0].field == "$.max_grant_hours"  # type: ignore[attr-defined]


# --- 5. custom field declarations ------------------------------------------------------------


@pytest.mark.parametrize(
    ("declare", "field"),
    [
        (lambda: CustomField("a", "nmber"), "custom_fields.a.type"),  # type: ignore[arg-type]
        (lambda: CustomField("a", FieldType.CHOICE, options="urgent"), "custom_fields.a.options"),  # type: ignore[arg-type]
        (lambda: CustomField("a", FieldType.CHOICE, options=(1, 2)), "custom_fields.a.options[0]"),  # type: ignore[arg-type]
        (
            lambda: CustomField("a", FieldType.CHOICE, options=("x", " ")),
            "custom_fields.a.options[1]",
        ),
        (
            lambda: CustomField("a", FieldType.CHOICE, options=("x", "x")),
            "custom_fields.a.options[1]",
        ),
        (lambda: CustomField("a", FieldType.CHOICE, options={"x": 1}), "custom_fields.a.options"),  # type: ignore[arg-type]
        (lambda: CustomField("a", FieldType.TEXT, required="no"), "custom_fields.a.required"),  # type: ignore[arg-type]
        (lambda: CustomField("a", FieldType.TEXT, label=5), "custom_fields.a.label"),  # type: ignore[arg-type]
        (lambda: CustomField("a", FieldType.CHOICE), "custom_fields.a.options"),
        (lambda: CustomField("a", FieldType.TEXT, options=("x",)), "custom_fields.a.options"),
        (lambda: CustomField(5, FieldType.TEXT), "custom_fields.5"),  # type: ignore[arg-type]
        (lambda: CustomFieldSet([{"name": "a", "type": "text"}]), "custom_fields[0]"),  # type: ignore[list-item]
        (lambda: CustomFieldSet("a"), "custom_fields"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_custom_field_declaration_names_the_attribute(
    declare: Callable[[], object], field: str
) -> None:
    error = refused(ConfigError, declare)
    assert field in fields_of(error), error


def test_a_field_type_may_be_named_by_value_or_label() -> None:
    assert CustomField("a", "number").type is FieldType.NUMBER  # type: ignore[arg-type]
    assert CustomField("a", "多选", options=["x", "y"]).options == ("x", "y")  # type: ignore[arg-type]


def test_a_multi_choice_value_may_not_be_a_mapping() -> None:
    fields = CustomFieldSet([CustomField("m", FieldType.MULTI_CHOICE, options=("a", "b"))])
    error = refused(ValidationError, lambda: fields.validate({"m": {"a": 1}}))
    assert fields_of(error) == ["custom_fields.m"]
    assert fields.validate({"m": ["b", "a"]}) == {"m": ("b", "a")}


@given(
    options=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4),
    value=st.text(max_size=6),
)
def test_a_choice_value_is_taken_only_when_it_is_an_option(options: list[str], value: str) -> None:
    try:
        field = CustomField("c", FieldType.CHOICE, options=tuple(options))
    except ConfigError:
        return  # a blank, spaced or repeated option
    fields = CustomFieldSet([field])
    try:
        taken = fields.validate({"c": value})
    except ValidationError:
        assert value not in options
        return
    assert taken == {} or taken["c"] in options


# --- 6. clearing a custom field on edit ------------------------------------------------------


def custom_desk() -> tuple[LeadDesk, str]:
    fields = CustomFieldSet(
        [
            CustomField("t", FieldType.TEXT),
            CustomField("m", FieldType.MULTI_CHOICE, options=("a", "b")),
            CustomField("n", FieldType.NUMBER),
            CustomField("r", FieldType.TEXT, required=True),
        ]
    )
    desk, _ = desk_of(custom_fields=fields)
    desk.create_pool("root", Pool(id="east", name="e", admins={"carol"}))
    lead = desk.create(
        "carol",
        "east",
        contact_name="x",
        phone="13800138000",
        custom_fields={"t": "hi", "m": ["a"], "n": 3, "r": "kept"},
    )
    return desk, lead.id


@pytest.mark.parametrize("empty", [None, "", "   ", [], (), set()])
def test_an_empty_value_clears_a_custom_field_on_edit(empty: object) -> None:
    desk, lead_id = custom_desk()
    edited = desk.edit("carol", lead_id, custom_fields={"t": empty, "m": empty, "n": empty})
    assert dict(edited.custom_fields) == {"r": "kept"}
    assert dict(desk.get("carol", lead_id).custom_fields) == {"r": "kept"}


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_a_required_custom_field_is_not_cleared(empty: object) -> None:
    desk, lead_id = custom_desk()
    before = desk.store.snapshot()
    error = refused(
        ValidationError, lambda: desk.edit("carol", lead_id, custom_fields={"r": empty})
    )
    assert fields_of(error) == ["custom_fields.r"]
    assert desk.store.snapshot() == before


@pytest.mark.parametrize("value", [None, "", "x"])
def test_an_undeclared_custom_field_is_refused_on_edit(value: object) -> None:
    desk, lead_id = custom_desk()
    before = desk.store.snapshot()
    error = refused(
        ValidationError, lambda: desk.edit("carol", lead_id, custom_fields={"tt": value})
    )
    assert fields_of(error) == ["custom_fields.tt"]
    assert desk.store.snapshot() == before


def test_an_edit_leaves_the_custom_fields_it_does_not_name() -> None:
    desk, lead_id = custom_desk()
    edited = desk.edit("carol", lead_id, custom_fields={"t": "new"})
    assert dict(edited.custom_fields) == {"t": "new", "m": ("a",), "n": 3, "r": "kept"}


# --- 7. the org chart checks its departments -------------------------------------------------


@pytest.mark.parametrize(
    ("department", "field"),
    [
        (Department(["x"]), "departments[0].id"),  # type: ignore[arg-type]
        (Department(None), "departments[0].id"),  # type: ignore[arg-type]
        (Department(""), "departments[0].id"),
        (Department(" d "), "departments[0].id"),
        (Department("d", name=5), "departments[0].name"),  # type: ignore[arg-type]
        (Department("d", parent_id=["x"]), "departments[0].parent_id"),  # type: ignore[arg-type]
        (Department("d", manager_id=7), "departments[0].manager_id"),  # type: ignore[arg-type]
        (Department("d", manager_id="ghost"), "departments[0].manager_id"),
    ],
)
def test_a_bad_department_is_named_by_its_place(department: Department, field: str) -> None:
    error = refused(ValidationError, lambda: OrgChart(users=[User("a")], departments=[department]))
    assert fields_of(error) == [field]


def test_a_department_managed_by_a_known_user_is_fine() -> None:
    org = OrgChart(
        users=[User("a", department_id="d"), User("m")],
        departments=[Department("d", manager_id="m")],
    )
    assert org.subordinates("m") == {"a"}


# --- 8. grants -------------------------------------------------------------------------------


def test_a_grant_without_view_is_refused_at_request_time() -> None:
    desk, _, lead_id = owned_lead()
    before = desk.store.snapshot()
    error = refused(
        ValidationError,
        lambda: desk.request_access("erin", lead_id, reason="r", hours=4, actions=[A.FOLLOW_UP]),
    )
    assert fields_of(error) == ["actions"]
    assert "must include view" in str(error)
    assert desk.store.snapshot() == before
    granted = desk.request_access(
        "erin", lead_id, reason="r", hours=4, actions=[A.VIEW, A.FOLLOW_UP]
    )
    desk.approve_access("bob", "erin", granted.id)
    assert desk.can("erin", A.FOLLOW_UP, lead_id).allowed


@pytest.mark.parametrize("gone", ["deactivated", "removed"])
def test_a_grant_is_not_approved_for_a_grantee_no_longer_active(gone: str) -> None:
    desk, clock, lead_id = owned_lead()
    grant = desk.request_access("erin", lead_id, reason="r", hours=4)
    users = [
        attrs.evolve(u, active=False) if u.id == "erin" else u
        for u in USERS
        if not (gone == "removed" and u.id == "erin")
    ]
    later = LeadDesk(desk.store, clock, OrgChart(users=users, departments=DEPARTMENTS))
    before = desk.store.snapshot()
    error = refused(ValidationError, lambda: later.approve_access("bob", "erin", grant.id))
    assert fields_of(error) == ["grantee"] and "inactive" in str(error)
    assert desk.store.snapshot() == before
    later.revoke_access("bob", "erin", grant.id)  # it can still be revoked
