"""Field cleaning at entry: each field's own rule, whatever else is given with it."""

from __future__ import annotations

import pytest

from leadcore import LeadRules, Pool, ValidationError
from leadcore.custom_fields import CustomFieldSet
from leadcore.intake import EDITABLE_FIELDS, clean_lead_fields, clean_match_fields

POOL = Pool(id="p", name="池")


def clean(**fields: object) -> dict[str, object]:
    return clean_lead_fields(fields, rules=LeadRules(), pool=POOL, custom_fields=CustomFieldSet())


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_name_or_company_is_empty_text_never_none(blank: object) -> None:
    fields = clean(contact_name=blank, company="星河科技", phone="13800138000")
    assert fields["contact_name"] == ""
    fields = clean(contact_name="张三", company=blank, phone="13800138000")
    assert fields["company"] == ""


def test_other_blank_text_fields_are_none() -> None:
    fields = clean(contact_name="张三", phone="13800138000", wechat="  ", region=None)
    assert fields["wechat"] is None and fields["region"] is None


def test_every_settable_field_has_its_rule_and_others_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        clean(contact_name="张三", phone="13800138000", nickname="x")
    assert [p.field for p in caught.value.problems] == ["nickname"]
    assert "stage" in EDITABLE_FIELDS  # set on edit; a create refuses it elsewhere


def test_a_lookup_takes_any_source_text_but_a_lead_only_a_channel() -> None:
    assert clean_match_fields({"source": "朋友介绍"}, rules=LeadRules())["source"] == "朋友介绍"
    with pytest.raises(ValidationError) as caught:
        clean(contact_name="张三", phone="13800138000", source="朋友介绍")
    assert [p.field for p in caught.value.problems] == ["source"]
