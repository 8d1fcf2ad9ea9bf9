"""The edges, finding by finding: a wrong value is never taken as a different right one; access
ends when its reason ends; refusals about an unseen lead reveal nothing; one rule decides who
may own a lead, on every path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import pytest

from leadcore import (
    Action,
    AlreadyClaimed,
    CustomField,
    CustomFieldSet,
    EventKind,
    FieldType,
    FollowUpMethod,
    LeadDesk,
    LeadStatus,
    Money,
    NotFound,
    OrgChart,
    PermissionDenied,
    Pool,
    RoundRobin,
    User,
    ValidationError,
)
from leadcore.storage import MemoryStore
from leadcore.testing.world import EAST, ORG, World, make_world, new_lead

# --- A. silent misuse -------------------------------------------------------------------------


def test_a_string_where_a_collection_goes_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        Pool(id="p", name="p", admins="carol")  # type: ignore[arg-type]
    assert caught.value.fields == ("admins",)
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    before = world.store.snapshot()
    with pytest.raises(ValidationError, match="user_ids"):
        world.desk.add_collaborators("bob", lead_id, "dave")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="lead_ids"):
        world.desk.batch_assign("carol", lead_id, "bob")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="statuses"):
        world.desk.leads("bob", statuses="assigned")  # type: ignore[arg-type]
    assert world.store.snapshot() == before


def test_a_switch_must_be_a_bool(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.update_pool("sysadmin", "east", claim_enabled="false")  # type: ignore[arg-type]
    assert caught.value.fields == ("claim_enabled",)
    assert world.desk.pool_summary("sysadmin", "east")  # still there, unchanged


def test_filters_take_a_member_its_value_or_its_label_and_nothing_else(world: World) -> None:
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    by_label = world.desk.leads("carol", view="pool", pool_id="east", statuses=["待跟进"])
    by_value = world.desk.leads("carol", view="pool", pool_id="east", statuses=["assigned"])
    assert by_label.ids == by_value.ids == [lead_id]
    for bad in (["asigned"], [5]):
        with pytest.raises(ValidationError, match=r"statuses\[0\].*unassigned, assigned"):
            world.desk.leads("carol", view="pool", pool_id="east", statuses=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="grade"):
        world.desk.leads("carol", grade="a")
    with pytest.raises(ValidationError, match="web_form"):
        world.desk.leads("carol", source="a source nobody uses")
    assert world.desk.leads("carol", view="pool", pool_id="east", source="官网表单").ids == []


def test_every_reference_is_checked_when_written(world: World) -> None:
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    with pytest.raises(ValidationError, match="marketing_ownr"):
        world.desk.add_collaborators("bob", lead_id, ["dave"], role="marketing_ownr")
    with pytest.raises(ValidationError, match="sysadmin"):
        User("x", roles={"sysadmin"})
    with pytest.raises(ValidationError, match="no user 'nobody'"):
        world.desk.create_pool("sysadmin", Pool(id="p", name="p", admins={"nobody"}))
    for owner, why in (("ghost", "unknown user"), ("zoe", "inactive")):
        with pytest.raises(ValidationError, match=why):
            world.desk.create_pool("sysadmin", Pool(id="p", name="p", default_owner_id=owner))
    with pytest.raises(ValidationError, match="not a member"):
        world.desk.update_pool("sysadmin", "north", members={"erin"}, default_owner_id="bob")


def test_money_is_non_negative_in_an_iso_currency() -> None:
    with pytest.raises(ValidationError, match="negative"):
        Money("-1")
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money("5", "RMB")
    assert str(Money("5", "CNY")) == "CNY 5"


def test_text_refuses_broken_unicode_and_control_characters(world: World) -> None:
    for company in ("\udcff", "星河\x07科技", "two\nlines"):
        with pytest.raises(ValidationError, match="company"):
            world.desk.create(
                "bob", "east", contact_name="王磊", phone="13800138000", company=company
            )
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    record = world.desk.follow_up(
        "bob", lead_id, method="phone", content="第一行\n\t第二行", result="有意向"
    )
    assert record.content == "第一行\n\t第二行"  # long text keeps newlines and tabs
    with pytest.raises(ValidationError, match="content"):
        world.desk.follow_up("bob", lead_id, method="phone", content="a\x00b", result="x")
    notes = CustomFieldSet([CustomField("note", FieldType.TEXT)])
    assert notes.validate({"note": "第一行\n第二行"}) == {"note": "第一行\n第二行"}
    with pytest.raises(ValidationError, match=r"custom_fields\.note.*surrogate"):
        notes.validate({"note": "a\udcff"})


def test_a_phone_extension_is_kept(world: World) -> None:
    lead = world.desk.create("bob", "east", contact_name="王磊", phone="010-12345678 ext 123")
    assert lead.phone == "+861012345678;ext=123"


# --- B. the plain exceptions a fuzz found (now LeadcoreErrors naming the argument) ---------------


def test_the_fuzzed_arguments_are_named(world: World) -> None:
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    desk = world.desk
    with pytest.raises(ValidationError) as follow_up:
        desk.follow_up("bob", lead_id, method=5, content=None, result="x", at="2026-03-01")  # type: ignore[arg-type]
    assert set(follow_up.value.fields) == {"method", "content", "at"}
    with pytest.raises(ValidationError, match="mentions"):
        desk.follow_up("bob", lead_id, method="phone", content="x", result="y", mentions=True)  # type: ignore[arg-type]
    for hours in (float("nan"), 1e20, "24"):
        with pytest.raises(ValidationError, match="hours"):
            desk.request_access("erin", lead_id, reason="协助", hours=hours)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason"):
        desk.request_access("erin", lead_id, reason=None)  # type: ignore[arg-type]
    bad_views: list[dict[str, object]] = [
        {"limit": "10"},
        {"limit": None},
        {"offset": []},
        {"created_from": datetime(2026, 1, 1)},
        {"view": 5},
        {"order": None},
        {"view": "mien"},
    ]
    for bad in bad_views:
        with pytest.raises(ValidationError) as caught:
            desk.leads("bob", **bad)  # type: ignore[arg-type]
        assert caught.value.fields == tuple(bad)
    with pytest.raises(ValidationError, match="name"):
        desk.update_pool("sysadmin", "east", name=None)  # type: ignore[arg-type]


# --- C. access ends when its reason ends -------------------------------------------------------


def test_a_follower_loses_sight_when_the_lead_moves_away() -> None:
    pool = attrs.evolve(EAST, members={"bob", "dave", "erin"})
    world = make_world(MemoryStore(), pool)
    lead_id = new_lead(world, actor="carol")
    world.desk.follow("dave", lead_id)  # a member follows what waits in the claim pool
    assert world.desk.leads("dave", view="followed").ids == [lead_id]
    world.desk.claim("erin", lead_id)  # someone of another department claims it
    world.desk.follow_up("erin", lead_id, method="phone", content="北方客户", result="有意向")
    assert world.desk.leads("dave", view="followed").ids == []
    with pytest.raises(NotFound):
        world.desk.follow_ups("dave", lead_id)
    assert not world.desk.can("dave", Action.VIEW, lead_id)


def test_a_removed_collaborator_loses_the_history_at_once(world: World) -> None:
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    world.desk.add_collaborators("bob", lead_id, ["erin"])
    assert world.desk.history("erin", lead_id)
    world.desk.remove_collaborators("bob", lead_id, ["erin"])
    with pytest.raises(NotFound):
        world.desk.history("erin", lead_id)


def test_a_deactivated_user_reads_nothing(world: World) -> None:
    off = attrs.evolve(ORG.user("carol"), active=False)
    users = [u for u in ORG.users.values() if u.id != "carol"]
    org = OrgChart(users=[*users, off], departments=ORG.departments.values())
    desk = LeadDesk(world.store, world.clock, org)
    with pytest.raises(PermissionDenied, match="inactive"):
        desk.pool_summary("carol", "east")
    with pytest.raises(PermissionDenied, match="inactive"):
        desk.leads("carol", view="pool", pool_id="east")
    with pytest.raises(PermissionDenied, match="inactive"):
        desk.can("carol", Action.VIEW, "L1")
    with pytest.raises(PermissionDenied, match="inactive"):
        desk.allowed_actions("carol", "L1")


def test_a_refusal_about_an_unseen_lead_reveals_nothing(world: World) -> None:
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    unseen = world.desk.can("erin", Action.EDIT, lead_id)
    missing = world.desk.can("erin", Action.EDIT, "L404")
    assert unseen.reason == missing.reason.replace("L404", lead_id)
    calls: list[Callable[[], object]] = [
        lambda: world.desk.edit("erin", lead_id, company="x"),
        lambda: world.desk.edit("erin", lead_id, expected_version=9, company="x"),
        lambda: world.desk.convert("erin", lead_id, "C1"),
    ]
    for call in calls:
        with pytest.raises(NotFound) as caught:
            call()
        assert str(caught.value) == str(NotFound("lead", lead_id))
    result = world.desk.batch_recycle("erin", [lead_id, "L404"])
    assert str(result.failed[lead_id]) == str(NotFound("lead", lead_id))


def test_claiming_too_late_says_so_and_names_the_owner_only_to_those_who_see_it() -> None:
    pool = attrs.evolve(EAST, members={"bob", "dave", "erin", "mgr"})
    world = make_world(MemoryStore(), pool)
    lead_id = new_lead(world, actor="carol")
    world.desk.claim("bob", lead_id)
    with pytest.raises(AlreadyClaimed) as unseen:
        world.desk.claim("erin", lead_id)
    assert unseen.value.owner_id is None and "bob" not in str(unseen.value)
    with pytest.raises(AlreadyClaimed) as seen:
        world.desk.claim("mgr", lead_id)  # bob's manager sees the lead
    assert seen.value.owner_id == "bob" and "already owned by bob" in str(seen.value)


def test_a_user_removed_from_a_pool_keeps_their_leads_but_receives_none() -> None:
    pool = attrs.evolve(EAST, members={"bob", "dave"})
    world = make_world(MemoryStore(), pool)
    held = new_lead(world, actor="carol")
    world.desk.assign("carol", held, "bob")
    waiting = new_lead(world, actor="carol")
    world.desk.update_pool("sysadmin", "east", members={"dave"})
    assert world.desk.get("bob", held).owner_id == "bob"
    world.desk.follow_up("bob", held, method=FollowUpMethod.PHONE, content="继续跟进", result="好")
    with pytest.raises(NotFound):
        world.desk.claim("bob", waiting)
    with pytest.raises(ValidationError, match="not a member"):
        world.desk.assign("carol", waiting, "bob")


# --- one rule for who may own a lead (the create path used to skip it) ---------------------------


def test_an_ineligible_default_owner_leaves_new_leads_unassigned_and_says_why() -> None:
    pool = Pool(id="p", name="p", admins={"erin"}, members={"dave", "bob"}, default_owner_id="dave")
    world = make_world(MemoryStore(), pool)
    with pytest.raises(ValidationError, match="default_owner_id"):
        world.desk.update_pool("sysadmin", "p", members={"bob"})  # dave would not be a member
    now = world.clock.now()
    world.desk.set_away("dave", "dave", [(now, now.replace(year=2027))])
    lead = world.desk.create("bob", "p", contact_name="王磊", phone="13800138000")
    assert (lead.status, lead.owner_id) == (LeadStatus.UNASSIGNED, None)
    why = world.desk.history("erin", lead.id)[-1]
    assert why.kind is EventKind.NO_OWNER_FOUND and "away" in (why.reason or "")


def test_a_strategy_listing_a_non_member_never_hands_them_a_lead() -> None:
    pool = Pool(id="p", name="p", admins={"admin"}, members={"u1", "u2"}, auto_assign="team")
    world = make_world(
        MemoryStore(), pool, strategies={"team": RoundRobin(name="team", users=("u3", "u1"))}
    )
    owners = [
        world.desk.create("admin", "p", contact_name="王磊", phone="13800138000").owner_id
        for _ in range(3)
    ]
    assert owners == ["u1", "u1", "u1"]
    assigned = next(e for e in world.desk.history("admin", "L1") if e.kind is EventKind.ASSIGNED)
    assert assigned.data["excluded"] == {"u3": "not a member of pool p"}


def test_the_pool_cap_binds_assignment_as_it_binds_claims(world: World) -> None:
    ids = [new_lead(world) for _ in range(4)]
    for lead_id in ids[:3]:
        world.desk.assign("carol", lead_id, "dave")
    with pytest.raises(ValidationError, match="cap"):
        world.desk.assign("carol", ids[3], "dave")
    with pytest.raises(PermissionDenied, match="cap"):
        world.desk.claim("dave", ids[3])


def test_a_reason_must_be_text_and_custom_fields_a_mapping(world: World) -> None:
    lead_id = new_lead(world)
    world.desk.assign("carol", lead_id, "bob")
    before = world.store.snapshot()
    with pytest.raises(ValidationError, match="reason: must be text, not int"):
        world.desk.invalidate("bob", lead_id, 10**40)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason: must not contain control"):
        world.desk.release("bob", lead_id, reason="a\x00b")
    with pytest.raises(ValidationError, match="custom_fields: must be a mapping"):
        world.desk.create("bob", "east", contact_name="王磊", custom_fields=False)  # type: ignore[arg-type]
    assert world.store.snapshot() == before


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("store", None),
        ("store", "leads.db"),
        ("store", MemoryStore),
        ("org", None),
        ("org", ["bob"]),
        ("policy", "default"),
        ("rules", {"required": ["phone"]}),
        ("custom_fields", ["urgency"]),
        ("ids", "L"),
        ("ids", 5),
    ],
)
def test_a_desk_refuses_a_wrong_part_by_name_when_it_is_built(argument: str, value: object) -> None:
    from leadcore import FixedClock, LeadDesk

    parts: dict[str, object] = {
        "store": MemoryStore(),
        "clock": FixedClock(datetime(2026, 3, 2, tzinfo=UTC)),
        "org": ORG,
    }
    options: dict[str, object] = {}
    (parts if argument in parts else options)[argument] = value
    with pytest.raises(ValidationError) as caught:
        LeadDesk(parts["store"], parts["clock"], parts["org"], **options)  # type: ignore[arg-type]
    assert caught.value.fields == (argument,)
