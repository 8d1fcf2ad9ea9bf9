"""Field cleaning at entry: each field's own rule, whatever else is given with it."""

from __future__ import annotations

import itertools

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadcore import LeadRules, Pool, ValidationError
from leadcore.custom_fields import CustomFieldSet
from leadcore.dedup.phones import is_cn_mobile, plain_e164
from leadcore.intake import (
    EDITABLE_FIELDS,
    clean_lead_fields,
    clean_match_fields,
    normalise_email,
    normalise_phone,
)

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


def _by_phonenumbers(raw: str, region: str) -> str | None:
    """What entry validation gave before it had a fast path: phonenumbers alone."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return f"{e164};ext={number.extension}" if number.extension else e164


def _normalised(raw: str, region: str) -> str | None:
    try:
        return normalise_phone(raw, region)
    except ValueError:
        return None


_PLAIN_NUMBERS = st.builds(
    lambda prefix, body, cuts, sep: (
        prefix + sep.join(body[a:b] for a, b in itertools.pairwise([0, *sorted(cuts), len(body)]))
    ),
    st.sampled_from(("", "+86", "+86 ", "0086", "86", "0", "+", "00", "+1 ", "17951", "+852")),
    st.one_of(
        st.text("0123456789", min_size=1, max_size=15),  # mostly not numbers at all
        st.builds(  # mainland mobiles, and look-alikes of the wrong length
            str.__add__,
            st.sampled_from(("138", "139", "150", "166", "170", "199", "140", "100")),
            st.text("0123456789", min_size=7, max_size=9),
        ),
        st.builds(  # landlines with their area code, and service numbers
            str.__add__,
            st.sampled_from(("010", "021", "0755", "0571", "10", "400", "800", "95")),
            st.text("0123456789", min_size=5, max_size=9),
        ),
    ),
    st.lists(st.integers(0, 15), max_size=3),
    st.sampled_from(("", " ", "-", ".", "(", ")", "  ")),
)


@settings(max_examples=300)
@given(_PLAIN_NUMBERS, st.sampled_from(("CN", "CN", "US", "GB", "HK", "SG")))
@example("13800138000", "CN")
@example("(010) 1234 5678", "CN")
@example("0086 138 0013 8000", "CN")
@example("+1 650 253 0000", "CN")
@example("400 810 8888", "CN")
def test_a_phone_reads_as_phonenumbers_alone_reads_it(raw: str, region: str) -> None:
    assert _normalised(raw, region) == _by_phonenumbers(raw, region)


def test_an_unknown_default_region_is_refused_by_name() -> None:
    assert plain_e164("13800138000", "ZZ") is None  # the fast path never guesses one
    for region in ("ZZ", "XX", "", None, 86):
        with pytest.raises(ValidationError, match="region: must be a region code like 'CN'"):
            normalise_phone("+86 138 0013 8000", region)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="phone_region: must be a region code"):
            LeadRules(phone_region=region)
    assert normalise_phone("(415) 555-2671", " us ") == "+14155552671"
    assert LeadRules(phone_region="hk").phone_region == "HK"


@pytest.mark.parametrize(
    ("text", "region", "named"),
    [(None, "CN", "text"), (13800138000, "CN", "text"), ("13800138000", None, "region")],
)
def test_plain_e164_names_an_argument_that_is_not_text(
    text: object, region: object, named: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        plain_e164(text, region)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == [named]


@pytest.mark.parametrize("national", [None, 13800138000, b"13800138000"])
def test_is_cn_mobile_names_a_number_that_is_not_text(national: object) -> None:
    with pytest.raises(ValidationError) as caught:
        is_cn_mobile(national)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["national"]


def test_is_cn_mobile_reads_phonenumbers_own_pattern() -> None:
    assert is_cn_mobile("13800138000") and is_cn_mobile("19912345678")
    assert not is_cn_mobile("1380013800") and not is_cn_mobile("01012345678")


@pytest.mark.parametrize(
    ("fields", "told"),
    [
        ({"contact_name": "张三", "wechat": "同手机"}, "wechat '同手机' is not a WeChat id"),
        ({"contact_name": "张三", "wechat": "wx:"}, "wechat 'wx:'"),
        ({"contact_name": "张三", "email": '"a"@qq.com'}, "email"),
    ],
)
def test_a_contact_detail_that_gives_no_duplicate_key_does_not_count_alone(
    fields: dict[str, str], told: str
) -> None:
    with pytest.raises(ValidationError, match="at least one of") as caught:
        clean_lead_fields(fields, rules=LeadRules(), pool=POOL, custom_fields=CustomFieldSet())
    assert told in caught.value.problems[0].reason


def test_an_unkeyed_detail_is_kept_beside_one_that_counts() -> None:
    clean = clean_lead_fields(
        {"contact_name": "张三", "phone": "13800138000", "wechat": "同手机"},
        rules=LeadRules(),
        pool=POOL,
        custom_fields=CustomFieldSet(),
    )
    assert clean["wechat"] == "同手机"


@pytest.mark.parametrize(("given", "named"), [(True, "bool"), (1.5, "float"), ([1], "list")])
def test_a_budget_of_the_wrong_type_names_the_type_given(given: object, named: str) -> None:
    with pytest.raises(ValidationError, match=rf"budget: .*\(not {named}\)"):
        clean(contact_name="王", phone="13800138000", budget=given)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"required": "phone"}, "required: must be a collection of field names"),
        ({"required": ["phnoe"]}, "required[0]: 'phnoe' is not a lead detail field"),
        ({"required": ["stage"]}, "required[0]: 'stage' is not a lead detail field"),
        ({"required": [None]}, "required[0]: must be one of field names"),
        ({"one_of": "phone"}, "one_of: must be a collection of groups"),
        ({"one_of": ["phone"]}, "one_of[0]: must be a collection of field names"),
        ({"one_of": [["phone"], []]}, "one_of[1]: name at least one field"),
        ({"one_of": [["phone", "wx"]]}, "one_of[0][1]: 'wx' is not a lead detail field"),
    ],
)
def test_lead_rules_name_known_fields_as_lists(given: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=r"invalid lead rules: ") as caught:
        LeadRules(**given)
    assert named in str(caught.value)


def test_lead_rules_keep_the_order_given_without_repeats() -> None:
    rules = LeadRules(required=["phone", "company", "phone"], one_of=[("email", "wechat")])
    assert rules.required == ("phone", "company")
    assert rules.one_of == (("email", "wechat"),)
    with pytest.raises(ValidationError, match="phone: is required"):
        clean_lead_fields(
            {"company": "星河", "email": "a@b.com"},
            rules=rules,
            pool=POOL,
            custom_fields=CustomFieldSet(),
        )


@pytest.mark.parametrize("junk", [None, 13800138000, b"13800138000", ("a",), "1" * 10_000])
def test_the_public_normalisers_name_the_field_for_junk(junk: object) -> None:
    for normalise, field in ((normalise_phone, "phone"), (normalise_email, "email")):
        with pytest.raises(ValidationError, match=rf"{field}: must be ") as caught:
            normalise(junk)  # type: ignore[arg-type]
        assert len(str(caught.value)) < 200  # a huge value is not echoed back
        assert isinstance(caught.value, ValueError)  # what these functions always raised
