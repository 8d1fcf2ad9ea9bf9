"""Edges of a pool's settings and of one-line text: a pool keeps only stages and sources a lead
can be given, in the order given; ids and one-line text hold no line separators (and ids no
invisible format characters); contact details hold no invisible characters; a field-scoped
duplicate policy names a field the desk has."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    LeadcoreError,
    MemoryStore,
    Pool,
    ValidationError,
    normalise_email,
    normalise_phone,
)
from leadcore.checks import MAX_TEXT, id_problem, text, text_problem
from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType
from leadcore.dedup import DuplicateAction, DuplicatePolicies, DuplicatePolicy, DuplicateScope
from leadcore.importing import RowStatus
from leadcore.testing.world import World, make_world

SEPARATORS = st.sampled_from(["\u2028", "\u2029"])
FORMAT_CHARS = st.characters(categories=["Cf"], codec="utf-8")
PLAIN = st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=20)
ITEMS = st.one_of(
    st.text(min_size=1, max_size=12),
    st.text("阶段 \u2028", min_size=MAX_TEXT - 4, max_size=MAX_TEXT + 4),
)
"""Texts a pool may be given as a stage or source: short ones of any kind, and ones about as
long as a lead's text may be."""


def fields_of(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    """The fields an error names, in order."""
    return [problem.field for problem in error.value.problems]


def refused(world: World, call: Any, *fields: str) -> ValidationError:
    """``call()`` raises ``ValidationError`` naming exactly ``fields``; the store is unchanged."""
    before = world.store.snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert fields_of(caught) == list(fields)
    assert world.store.snapshot() == before
    return caught.value


def new_world() -> World:
    """The shared organisation's desk over a fresh MemoryStore (pools east, north, off)."""
    return make_world(MemoryStore())


# 1. A pool keeps only stages and sources a lead can be given.


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"sales_stages": ["阶段" * 150, "b"]}, "sales_stages[0]"),
        ({"sales_stages": ["a", "x" * (MAX_TEXT + 1)]}, "sales_stages[1]"),
        ({"allowed_sources": ["s" * 300]}, "allowed_sources[0]"),
        ({"conditions": ["c" * 201]}, "conditions[0]"),
    ],
)
def test_a_pool_refuses_a_stage_source_or_condition_longer_than_lead_text(
    settings: dict[str, Any], field: str
) -> None:
    world = new_world()
    error = refused(
        world,
        lambda: world.desk.create_pool("sysadmin", Pool(id="px", name="P", **settings)),
        field,
    )
    assert f"must be at most {MAX_TEXT} characters" in str(error)


def test_a_pool_refuses_a_huge_name() -> None:
    with pytest.raises(ValidationError, match="at most 200 characters, not 1000000") as caught:
        Pool(id="pw", name="名" * 1_000_000)
    assert fields_of(caught) == ["name"]


def test_update_pool_refuses_a_stage_no_lead_could_take() -> None:
    world = new_world()
    refused(
        world,
        lambda: world.desk.update_pool("sysadmin", "east", sales_stages=["a", "b" * 201]),
        "sales_stages[1]",
    )


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"sales_stages": [" 需求确认", "b"]}, "sales_stages[0]"),
        ({"allowed_sources": ["web "]}, "allowed_sources[0]"),
        ({"conditions": ["ok", " stale "]}, "conditions[1]"),
        ({"sales_stages": ["a", ""]}, "sales_stages[1]"),
        ({"sales_stages": ["a\u2028b"]}, "sales_stages[0]"),
        ({"allowed_sources": [5]}, "allowed_sources[0]"),
    ],
)
def test_a_pool_item_a_trimmed_call_could_never_match_is_refused_by_its_place(
    settings: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Pool(id="p", name="P", **settings)
    assert fields_of(caught) == [field]


@given(ITEMS)
def test_a_stage_a_pool_accepts_is_one_a_lead_can_be_given(stage: str) -> None:
    try:
        pool = Pool(id="px", name="P", enabled=False, sales_stages=(stage, "其他"))
    except ValidationError:
        return
    world = new_world()
    world.desk.create_pool("sysadmin", pool)
    lead = world.desk.create("bob", "px", contact_name="A", phone="13800138000")
    assert world.desk.edit("bob", lead.id, stage=stage).stage == stage
    done = world.desk.follow_up(
        "bob", lead.id, method="phone", content="x", result="y", stage=stage
    )
    assert world.desk.get("bob", done.lead_id).stage == stage


@given(ITEMS)
def test_a_source_a_pool_accepts_is_one_a_lead_can_come_from(source: str) -> None:
    try:
        pool = Pool(id="px", name="P", enabled=False, allowed_sources=(source,))
    except ValidationError:
        return
    world = new_world()
    world.desk.create_pool("sysadmin", pool)
    lead = world.desk.create("bob", "px", contact_name="A", phone="13800138000", source=source)
    assert lead.source == source


def test_a_stage_of_exactly_max_text_characters_is_kept_and_usable() -> None:
    world = new_world()
    stage = "阶" * MAX_TEXT
    world.desk.create_pool(
        "sysadmin", Pool(id="px", name="名" * MAX_TEXT, enabled=False, sales_stages=[stage])
    )
    lead = world.desk.create("bob", "px", contact_name="A", phone="13800138000")
    assert world.desk.edit("bob", lead.id, stage=stage).stage == stage


# 2. Ordered settings are lists: not a mapping's keys, not a set in any order.


@pytest.mark.parametrize("field", ["allowed_sources", "sales_stages", "conditions"])
@pytest.mark.parametrize("given_value", [{"event": 1}, {"a": 1, "b": 2}])
def test_a_mapping_is_not_taken_as_its_keys(field: str, given_value: Any) -> None:
    world = new_world()
    error = refused(
        world,
        lambda: world.desk.create_pool("sysadmin", Pool(id="px", name="P", **{field: given_value})),
        field,
    )
    assert "must be a list" in str(error)


@pytest.mark.parametrize("field", ["allowed_sources", "sales_stages", "conditions"])
@pytest.mark.parametrize("kind", [set, frozenset])
def test_a_set_is_refused_where_order_counts(field: str, kind: type) -> None:
    with pytest.raises(ValidationError, match=r"must be a list \(its order counts\)") as caught:
        Pool(id="px", name="P", **{field: kind({"a", "b", "c"})})
    assert fields_of(caught) == [field]


def test_update_pool_refuses_a_set_of_stages() -> None:
    world = new_world()
    refused(
        world,
        lambda: world.desk.update_pool("sysadmin", "east", sales_stages={"a", "b"}),  # type: ignore[arg-type]
        "sales_stages",
    )


def test_lists_tuples_and_generators_keep_their_order() -> None:
    stages = ["c", "a", "b"]
    assert Pool(id="p", name="P", sales_stages=stages).sales_stages == ("c", "a", "b")
    assert Pool(id="p", name="P", sales_stages=iter(stages)).sales_stages == ("c", "a", "b")  # type: ignore[arg-type]
    assert Pool(id="p", name="P", allowed_sources=("y", "x")).allowed_sources == ("y", "x")


# 3. One-line text holds no line separators; ids hold no invisible format characters.


@given(PLAIN, SEPARATORS, PLAIN)
def test_a_line_separator_is_refused_in_one_line_text_and_ids(
    head: str, separator: str, tail: str
) -> None:
    value = head + separator + tail
    assert text_problem(value) is not None
    assert id_problem(value) is not None
    with pytest.raises(ValidationError):
        text(value, "name")
    with pytest.raises(ValidationError) as caught:
        Pool(id=value, name="P")
    assert fields_of(caught) == ["id"]
    with pytest.raises(ValidationError) as caught:
        Pool(id="p", name=value)
    assert fields_of(caught) == ["name"]


@given(PLAIN, SEPARATORS, PLAIN)
def test_a_line_separator_is_fine_in_long_text(head: str, separator: str, tail: str) -> None:
    assert text_problem(head + separator + tail, long=True) is None


@given(PLAIN, FORMAT_CHARS, st.text(st.characters(categories=["L", "Nd"]), max_size=5))
def test_an_id_with_an_invisible_format_character_is_refused(
    head: str, hidden: str, tail: str
) -> None:
    value = head + hidden + tail
    assert id_problem(value) is not None
    with pytest.raises(ValidationError, match="invisible format characters") as caught:
        Pool(id=value, name="P")
    assert fields_of(caught) == ["id"]


def test_a_pool_id_that_looks_like_another_is_refused() -> None:
    world = new_world()
    refused(
        world, lambda: world.desk.create_pool("sysadmin", Pool(id="east\u200b", name="P")), "id"
    )
    refused(world, lambda: world.desk.create_pool("sysadmin", Pool(id="a\u2028b", name="P")), "id")


@pytest.mark.parametrize("field", ["contact_name", "company", "industry", "region"])
@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_a_lead_text_field_with_a_line_separator_is_refused(field: str, separator: str) -> None:
    world = new_world()
    details: dict[str, Any] = {"contact_name": "张三", "phone": "13800138000"}
    details[field] = f"a{separator}b"
    refused(world, lambda: world.desk.create("carol", "east", **details), field)


def test_ordinary_text_may_hold_a_zero_width_joiner() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert text(family, "name") == family
    world = new_world()
    lead = world.desk.create("carol", "east", contact_name=family, phone="13800138000")
    assert lead.contact_name == family


# 4. Contact details hold no invisible characters; a phone holds no emoji or symbols.


@given(
    st.sampled_from(["zhang", "li.si", "wang_wu"]),
    FORMAT_CHARS,
    st.sampled_from(["@qq.com", "@example.cn"]),
)
def test_an_email_with_an_invisible_character_is_refused(
    local: str, hidden: str, domain: str
) -> None:
    world = new_world()
    for email in (local + hidden + domain, local + domain + hidden, hidden + local + domain):
        if email.strip() != email:
            continue  # surrounding spaces are trimmed, not refused
        error = refused(
            world,
            lambda email=email: world.desk.create(
                "carol", "east", contact_name="张三", email=email
            ),
            "email",
        )
        assert "invisible" in str(error)
        with pytest.raises(ValueError, match="invisible"):
            normalise_email(email)


@given(st.sampled_from(["zhangsan_88", "wx-li", "Wang5Wu"]), FORMAT_CHARS, st.booleans())
def test_a_wechat_id_with_an_invisible_character_is_refused(
    wechat: str, hidden: str, inside: bool
) -> None:
    world = new_world()
    given_id = wechat[:3] + hidden + wechat[3:] if inside else wechat + hidden
    error = refused(
        world,
        lambda: world.desk.create(
            "carol", "east", contact_name="张三", phone="13800138000", wechat=given_id
        ),
        "wechat",
    )
    assert "letters, digits, _ and - only" in str(error)


@pytest.mark.parametrize(
    "phone",
    [
        "😀13800138000",
        "13800138000😀",
        "☎13800138000",
        "13800138000★",
        "138\u200b0013 8000",
        "\u202e13800138000",
        "13800138000~",
        "1\ufe0f\u20e33800138000",
    ],
)
def test_a_phone_with_an_emoji_symbol_or_invisible_character_is_refused(phone: str) -> None:
    world = new_world()
    error = refused(
        world, lambda: world.desk.create("carol", "east", contact_name="张三", phone=phone), "phone"
    )
    assert "is not a phone number: it holds" in str(error)
    with pytest.raises(ValueError, match="it holds"):
        normalise_phone(phone)


@given(
    st.sampled_from(["13800138000", "+86 138 0013 8000", "010-12345678"]),
    st.characters(categories=["So", "Sk", "Sc", "Cf", "Co"], codec="utf-8"),
)
def test_any_symbol_or_invisible_character_in_a_phone_is_refused(number: str, junk: str) -> None:
    with pytest.raises(ValueError, match="it holds"):
        normalise_phone(junk + number)


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("手机：13800138000", "+8613800138000"),
        ("tel:+86-138-0013-8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("＋86 138 0013 8000", "+8613800138000"),
        ("(021) 6123 4567", "+862161234567"),
        ("010-12345678 ext 123", "+861012345678;ext=123"),
    ],
)
def test_labels_extensions_and_full_width_digits_still_read(phone: str, e164: str) -> None:
    assert normalise_phone(phone) == e164


def test_an_import_row_with_invisible_contact_details_is_rejected_by_name() -> None:
    world = new_world()
    report = world.desk.import_leads(
        "carol",
        "east",
        [
            {"contact_name": "张三", "email": "zhang\u200b@qq.com"},
            {"contact_name": "李四", "phone": "13800138000", "wechat": "lisi\u202e88"},
            {"contact_name": "王五", "phone": "😀13900139000"},
            {"contact_name": "赵六", "company": "a\u2028b", "phone": "13700137000"},
        ],
    )
    assert [row.status for row in report.rows] == [RowStatus.REJECTED] * 4
    assert report.created == ()
    assert [[p.field for p in row.problems] for row in report.rows] == [
        ["email"],
        ["wechat"],
        ["phone"],
        ["company"],
    ]
    with world.store.unit_of_work() as uow:
        assert not any(uow.count_by_status(pool_id="east").values())


# 5. A field-scoped duplicate policy names a field the desk has.

PRODUCT_LINE = CustomFieldSet([CustomField("product_line", FieldType.TEXT)])


def scoped(field: str) -> DuplicatePolicy:
    """A policy rejecting duplicates among leads sharing ``field``'s value."""
    return DuplicatePolicy(action=DuplicateAction.REJECT, scope=DuplicateScope.FIELD, field=field)


def test_a_typo_in_the_default_policy_s_custom_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="declared: product_line") as caught:
        make_world(
            MemoryStore(),
            custom_fields=PRODUCT_LINE,
            duplicates=scoped("custom_fields.prodcut_line"),
        )
    assert fields_of(caught) == ["duplicates.default.field"]
    assert "'prodcut_line'" in str(caught.value)


def test_a_typo_in_a_pool_s_policy_is_refused_by_its_pool() -> None:
    policies = DuplicatePolicies(
        default=scoped("custom_fields.product_line"),
        pools={"east": scoped("custom_fields.product"), "north": scoped("industry")},
    )
    with pytest.raises(ValidationError) as caught:
        make_world(MemoryStore(), custom_fields=PRODUCT_LINE, duplicates=policies)
    assert fields_of(caught) == ["duplicates.pools.east.field"]


def test_a_custom_field_scope_without_custom_fields_says_none_are_declared() -> None:
    with pytest.raises(ValidationError, match=r"declared: none"):
        make_world(MemoryStore(), duplicates=scoped("custom_fields.product_line"))


def test_a_declared_custom_field_scopes_duplicates() -> None:
    world = make_world(
        MemoryStore(), custom_fields=PRODUCT_LINE, duplicates=scoped("custom_fields.product_line")
    )
    world.desk.create(
        "carol",
        "east",
        contact_name="A",
        phone="13800138000",
        custom_fields={"product_line": "CRM"},
    )
    other = world.desk.create(
        "carol",
        "east",
        contact_name="B",
        phone="13800138000",
        custom_fields={"product_line": "ERP"},
    )
    assert other.custom_fields["product_line"] == "ERP"


def test_a_standard_field_scope_is_checked_by_the_policy_itself() -> None:
    with pytest.raises(LeadcoreError, match="needs a lead field"):
        scoped("budget")
