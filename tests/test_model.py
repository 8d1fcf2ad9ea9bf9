"""The domain model: labels, invariants, money, pools, follow-ups."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    Attachment,
    AttachmentKind,
    CompanySize,
    FollowUpMethod,
    LeadStatus,
    Money,
    Pool,
    SourceChannel,
    ValidationError,
    counter_ids,
    uuid4_ids,
)
from leadcore.testing import EPOCH, make_follow_up, make_lead


def test_status_labels_in_chinese_and_english() -> None:
    assert LeadStatus.UNASSIGNED.label == "未分配"
    assert LeadStatus.UNASSIGNED.label_en == "Unassigned"
    assert LeadStatus.ASSIGNED.label == "待跟进"
    assert LeadStatus.CLOSED_LOST.label == "关闭"
    assert str(LeadStatus.MERGED) == "merged"


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("visit", FollowUpMethod.VISIT),
        ("上门拜访", FollowUpMethod.VISIT),
        ("WeChat", FollowUpMethod.WECHAT),
    ],
)
def test_enums_parse_value_name_and_labels(text: str, member: FollowUpMethod) -> None:
    assert FollowUpMethod.parse(text) is member


def test_parse_refuses_unknown_with_the_choices() -> None:
    with pytest.raises(ValueError, match="expected one of: phone, email"):
        FollowUpMethod.parse("fax")


def test_every_enum_member_has_both_labels() -> None:
    for enum in (LeadStatus, SourceChannel, CompanySize, FollowUpMethod):
        for member in enum:
            assert member.label and member.label_en


def test_unassigned_lead_cannot_have_an_owner() -> None:
    with pytest.raises(ValidationError) as caught:
        make_lead("L1", owner_id="u1")
    assert caught.value.fields == ("owner_id",)


def test_open_lead_needs_an_owner() -> None:
    with pytest.raises(ValidationError, match="needs an owner"):
        make_lead("L1", status=LeadStatus.FOLLOWING)


def test_merged_and_converted_leads_name_their_target() -> None:
    with pytest.raises(ValidationError) as caught:
        make_lead("L1", status=LeadStatus.MERGED, owner_id="u1")
    assert "merged_into" in caught.value.fields
    with pytest.raises(ValidationError):
        make_lead("L1", status=LeadStatus.CONVERTED, owner_id="u1")
    with pytest.raises(ValidationError, match="itself"):
        make_lead("L1", status=LeadStatus.MERGED, merged_into="L1")


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        make_lead("L1", owner_id="u1", merged_into="L2")
    assert set(caught.value.fields) == {"owner_id", "merged_into"}


def test_lead_custom_fields_cannot_be_mutated() -> None:
    lead = make_lead("L1", custom_fields={"urgency": "urgent"})
    with pytest.raises(TypeError):
        lead.custom_fields["urgency"] = "normal"  # type: ignore[index]
    assert lead.custom_fields == {"urgency": "urgent"}


def test_money_is_decimal_never_float() -> None:
    assert Money("1000.50").amount == Decimal("1000.50")
    assert Money(3).currency == "CNY"
    assert str(Money("9.9", "USD")) == "USD 9.9"
    with pytest.raises(ValidationError, match="not float"):
        Money(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money("1", "yuan")
    with pytest.raises(ValidationError, match="finite"):
        Money("NaN")


def test_pool_settings_are_validated_together() -> None:
    with pytest.raises(ValidationError) as caught:
        Pool(id="p", name=" ", reminder_hours=0, max_open_per_user=0, sales_stages=("a", "a"))
    assert set(caught.value.fields) == {
        "name",
        "reminder_hours",
        "max_open_per_user",
        "sales_stages",
    }


def test_pool_membership_and_sources() -> None:
    open_pool = Pool(id="p", name="华东")
    assert open_pool.is_member("anyone") and open_pool.allows_source("whatever")
    closed = Pool(id="p", name="华东", members={"u1"}, admins={"a1"}, allowed_sources=("event",))
    assert closed.is_member("u1") and closed.is_member("a1") and not closed.is_member("u2")
    assert closed.allows_source("event") and not closed.allows_source("web_form")


def test_follow_up_requires_content_method_result() -> None:
    with pytest.raises(ValidationError) as caught:
        make_follow_up("F1", "L1", content=" ", result="", method="phone")
    assert set(caught.value.fields) == {"content", "result", "method"}


def test_follow_up_owner_defaults_to_author_and_dates_are_ordered() -> None:
    record = make_follow_up("F1", "L1", author_id="u7")
    assert record.owner_id == "u7"
    with pytest.raises(ValidationError, match="next_follow_up_at"):
        make_follow_up("F1", "L1", next_follow_up_at=EPOCH - timedelta(days=1))
    with pytest.raises(ValidationError, match="duration"):
        make_follow_up("F1", "L1", duration=timedelta(minutes=-1))


def test_counter_ids_replay_exactly_with_one_counter_per_kind() -> None:
    a, b = counter_ids(), counter_ids()
    kinds = ["lead", "lead", "follow_up", "lead", "grant"]
    assert [a(k) for k in kinds] == [b(k) for k in kinds] == ["L1", "L2", "F1", "L3", "G1"]
    assert counter_ids("x-")("lead") == "x-L1"
    ids = uuid4_ids()
    assert ids("lead") != ids("lead")


def test_counter_ids_resume_past_used_ids() -> None:
    used = {f"L{n}" for n in range(1, 1001)}
    looked: list[str] = []

    def is_used(record_id: str) -> bool:
        looked.append(record_id)
        return record_id in used

    ids = counter_ids()
    ids.resume("lead", is_used)
    assert ids("lead") == "L1001"
    assert len(looked) < 30  # found by doubling and halving, not one by one
    fresh = counter_ids()
    fresh.resume("grant", is_used)
    assert fresh("grant") == "G1"


@given(st.sampled_from(tuple(LeadStatus)))
def test_evolve_keeps_invariants(status: LeadStatus) -> None:
    lead = make_lead("L1")
    owner = None if status is LeadStatus.UNASSIGNED else "u1"
    moved = attrs.evolve(
        lead,
        status=status,
        owner_id=owner,
        merged_into="L2" if status is LeadStatus.MERGED else None,
        converted_customer_id="C1" if status is LeadStatus.CONVERTED else None,
    )
    assert moved.is_open == (status in (LeadStatus.ASSIGNED, LeadStatus.FOLLOWING))
    assert moved.is_read_only == (status in (LeadStatus.CONVERTED, LeadStatus.MERGED))


@pytest.mark.parametrize("field", ["admins", "members"])
def test_a_mapping_of_users_is_not_a_pools_people(field: str) -> None:
    given: dict[str, Any] = {field: {"bob": 1}}
    with pytest.raises(ValidationError) as caught:
        Pool(id="p", name="P", **given)
    assert caught.value.fields == (field,)


def test_a_mapping_of_users_is_not_a_leads_collaborators() -> None:
    with pytest.raises(ValidationError) as caught:
        make_lead("L1", collaborators={"bob": 1})
    assert caught.value.fields == ("collaborators",)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"kind": "file", "ref": "s3://a"}, "kind"),
        ({"kind": None, "ref": "s3://a"}, "kind"),
        ({"kind": AttachmentKind.DOCUMENT, "ref": 5}, "ref"),
        ({"kind": AttachmentKind.DOCUMENT, "ref": "  "}, "ref"),
        ({"kind": AttachmentKind.DOCUMENT, "ref": "a\x00b"}, "ref"),
        ({"kind": AttachmentKind.DOCUMENT, "ref": "x" * 2_001}, "ref"),
        ({"kind": AttachmentKind.DOCUMENT, "ref": "s3://a", "name": 7}, "name"),
    ],
)
def test_a_bad_attachment_is_refused_by_name(given: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Attachment(**given)
    assert caught.value.fields == (field,)


def test_an_attachment_reads_its_kind_from_a_value_or_label() -> None:
    assert Attachment("document", " s3://a ").kind is AttachmentKind.DOCUMENT
    assert Attachment("document", " s3://a ").ref == "s3://a"
    assert Attachment(AttachmentKind.IMAGE, "s3://a", "  ").name is None


@given(st.one_of(st.text(max_size=3), st.integers(), st.none()))
def test_a_follow_ups_attachments_are_attachments(junk: object) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(make_follow_up("F1", "L1"), attachments=(junk,))  # type: ignore[arg-type]
    assert "attachments" in caught.value.fields


def test_leads_and_events_pickle_deep_copy_and_hash() -> None:
    # A host caches leads, sends them to a process pool or a task queue: the read-only mappings
    # inside (custom fields, collaborator roles, event data and changes) must come along.
    import copy
    import pickle

    from leadcore import Event, EventKind, FieldChange

    lead = make_lead(
        "L1",
        custom_fields={"seats": 5},
        collaborators={"amy"},
        collaborator_roles={"amy": "marketing_owner"},
    )
    event = Event(
        EventKind.LEAD_EDITED,
        EPOCH,
        "bob",
        lead.id,
        changes=(FieldChange("custom_fields", {}, lead.custom_fields),),
        data={"why": {"nested": [1, 2]}},
    )
    for record in (lead, event):
        for again in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record)):
            assert again == record
            assert hash(again) == hash(record)
    back = pickle.loads(pickle.dumps(lead))
    with pytest.raises(TypeError):
        back.custom_fields["seats"] = 6
    assert len({lead, back}) == 1


@pytest.mark.parametrize("field", ["custom_fields", "collaborator_roles"])
@pytest.mark.parametrize("given", ["ab", 5, None, [("a", "b")]])
def test_a_lead_mapping_field_given_something_else_is_refused_by_name(
    field: str, given: object
) -> None:
    with pytest.raises(ValidationError, match=f"{field}: must be a mapping"):
        make_lead("L1", **{field: given})
