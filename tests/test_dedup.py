"""Duplicate keys by example: each phone, email, company and WeChat spelling, the region rule,
records, duplicate groups and masking."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest

from leadcore import ConfigError, LeadcoreError, ValidationError
from leadcore.dedup import (
    DedupKey,
    DedupRules,
    DuplicateGroup,
    EmailProvider,
    EmailRules,
    KeyKind,
    Normaliser,
    PhoneRules,
    find_duplicate_groups,
    mask_email,
    mask_key,
    mask_phone,
    mask_wechat,
)
from leadcore.testing import make_lead

N = Normaliser()
MOBILE = "+8613800138000"


# --- phones -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86-138-0013-8000",
        "+86 138 0013 8000",
        "(+86) 138 0013 8000",
        "008613800138000",
        "0086 138 0013 8000",
        "8613800138000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        "tel:+86-138-0013-8000",
        "TEL:+8613800138000",
        " 13800138000\t",
        "手机：13800138000",
        "138\u200b0013\u200b8000",
        13800138000,
    ],
)
def test_every_spelling_of_a_mobile_gives_one_e164_key(raw: object) -> None:
    phone = N.phone(raw)
    assert phone.e164 == MOBILE
    assert phone.valid and phone.reason == "" and phone.extension is None
    assert phone.key == DedupKey(KeyKind.PHONE, MOBILE)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("010-12345678", "+861012345678"),
        ("(010) 1234 5678", "+861012345678"),
        ("+86 10 1234 5678", "+861012345678"),
        ("0086-10-12345678", "+861012345678"),
        ("(021) 6123 4567", "+862161234567"),
        ("021-61234567", "+862161234567"),
        ("0755-86001234", "+8675586001234"),
        ("０７５５－８６００１２３４", "+8675586001234"),
        ("400-123-4567", "+864001234567"),
    ],
)
def test_landlines_with_area_codes(raw: str, e164: str) -> None:
    assert N.phone(raw).e164 == e164


@pytest.mark.parametrize(
    ("raw", "extension"),
    [
        ("010-12345678 ext 123", "123"),
        ("010-12345678 ext. 123", "123"),
        ("010-12345678 EXT123", "123"),
        ("010-12345678 x123", "123"),
        ("010-12345678转123", "123"),
        ("010-12345678 转 8001", "8001"),
        ("010-12345678 分机：123", "123"),
        ("010-12345678#123", "123"),
        ("010-12345678-123", "123"),
        ("010 12345678 8001", "8001"),
        ("tel:+86-10-12345678;ext=123", "123"),
    ],
)
def test_extensions_are_kept_apart_from_the_key(raw: str, extension: str) -> None:
    phone = N.phone(raw)
    assert (phone.e164, phone.extension) == ("+861012345678", extension)
    assert phone.key == DedupKey(KeyKind.PHONE, "+861012345678")


def test_a_dash_extension_can_be_switched_off() -> None:
    plain = Normaliser(DedupRules(phone=PhoneRules(dash_extension=False)))
    assert not plain.phone("010-12345678-123").valid
    assert N.phone("010-12345678-123").valid


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "is a local number without its area code (CN (+86))"),
        ("12345678", "is not a number in use in CN (+86)"),
        ("1380013800012345", "has too many digits for CN (+86)"),
        ("abc", "is not a phone number"),
        ("+999 1234 5678", "has an unknown country code"),
        ("无", "is not a phone number"),
        (None, "is empty"),
        ("   ", "is empty"),
        (1.38e10, "must be text, not float"),
        (True, "must be text, not bool"),
        (-5, "must be text, not int"),
        (b"13800138000", "must be text, not bytes"),
        ("1" * 101, "is longer than 100 characters"),
        ("138\ud80000138000", "is not valid Unicode text (it holds a lone surrogate)"),
        ("转123", "has too few digits for CN (+86)"),
    ],
)
def test_invalid_numbers_are_flagged_with_the_reason(raw: object, reason: str) -> None:
    phone = N.phone(raw)
    assert (phone.e164, phone.valid, phone.key, phone.reason) == (None, False, None, reason)
    assert phone.empty is (reason == "is empty")


def test_foreign_numbers_and_another_default_region() -> None:
    assert N.phone("+1 415 555 2671").e164 == "+14155552671"
    assert N.phone("+852 2123 4567").e164 == "+85221234567"
    hong_kong = Normaliser(DedupRules(phone=PhoneRules().with_region("hk")))
    assert hong_kong.rules.phone.default_region == "HK"
    assert hong_kong.phone("2123 4567").e164 == "+85221234567"
    assert hong_kong.phone("13800138000").e164 != MOBILE  # a bare CN mobile is not HK's
    assert hong_kong.phone("+86 138 0013 8000").e164 == MOBILE


def test_the_fast_path_serves_clean_shapes_without_phonenumbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    normaliser = Normaliser()

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("phonenumbers.parse was called")

    monkeypatch.setattr(phonenumbers, "parse", refuse)
    for raw in ("13800138000", "138 0013 8000", "+86-138-0013-8000", "010-12345678"):
        assert normaliser.phone(raw).valid
    with pytest.raises(AssertionError):
        normaliser.phone("手机：13800138000")  # not a clean shape: phonenumbers reads it


# --- emails -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "zhang.san@qq.com",
        "Zhang.San@QQ.com",
        "  ZHANG.SAN@qq.com ",
        "zhang.san @ qq.com",
        "ｚｈａｎｇ．ｓａｎ＠ｑｑ．ｃｏｍ",
        "zhang.san@qq。com",
        "mailto:zhang.san@qq.com",
        "张三 <zhang.san@qq.com>",
        "zhang.san@qq.com.",
    ],
)
def test_email_case_whitespace_and_full_width(raw: str) -> None:
    assert N.email(raw).address == "zhang.san@qq.com"


@pytest.mark.parametrize(
    "raw",
    [
        "zhangsan@gmail.com",
        "Zhang.San@gmail.com",
        "zhangsan+crm@gmail.com",
        "z.h.a.n.g.s.a.n+x@googlemail.com",
    ],
)
def test_gmail_ignores_dots_and_plus_tags(raw: str) -> None:
    assert N.email(raw).key == DedupKey(KeyKind.EMAIL, "zhangsan@gmail.com")


def test_other_providers_keep_dots_and_tags_unless_a_rule_says_so() -> None:
    assert N.email("zhang.san+crm@outlook.com").address == "zhang.san+crm@outlook.com"
    outlook = EmailProvider("outlook", ["Outlook.com", "hotmail.com"], ignore_plus_tags=True)
    rules = DedupRules(email=EmailRules().extended(providers=[outlook]))
    with_rule = Normaliser(rules)
    assert with_rule.email("zhang.san+crm@hotmail.com").address == "zhang.san@outlook.com"
    assert with_rule.email("zhangsan@gmail.com").valid  # Gmail's rule is still there


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("zhangsan", "is not an email address like name@example.com"),
        ("@qq.com", "is not an email address like name@example.com"),
        ("zhang..san@qq.com", "has a local part (before the @) that is not valid"),
        ("zhangsan@qq", "has a domain that is not valid (like example.com): 'qq'"),
        ("+crm@gmail.com", "has no mailbox name left at gmail"),
        (None, "is empty"),
        (42, "must be text, not int"),
    ],
)
def test_malformed_emails_are_flagged(raw: object, reason: str) -> None:
    email = N.email(raw)
    assert (email.address, email.valid, email.key, email.reason) == (None, False, None, reason)


def test_email_placeholders_give_no_key() -> None:
    rules = DedupRules(email=EmailRules(placeholders=["TEST@test.com"]))
    assert Normaliser(rules).email(" test@TEST.com").reason == "is a placeholder, not an address"
    assert N.email("test@test.com").valid


# --- companies --------------------------------------------------------------------------------
BEIJING_XINGHE = "北京/星河科技"


@pytest.mark.parametrize(
    "raw",
    [
        "北京星河科技有限公司",
        "北京市星河科技有限公司",
        "北京星河科技有限责任公司",
        "北京星河科技股份有限公司",
        "北京星河科技集团有限公司",
        "北京星河科技公司",
        "星河（北京）科技有限公司",
        "星河(北京)科技有限公司",
        "星河科技（北京）有限公司",
        "星河科技有限公司（北京）",
        "（北京）星河科技有限公司",
        "【北京】星河科技有限公司",
        "〔北京〕星河科技有限公司",
        "「北京」星河科技有限公司",
        "星河科技北京有限公司",
        "星河科技有限公司北京分公司",
        "星河科技有限公司（北京分公司）",
        "北京星河科技（中国）有限公司",
        "北京 星河 科技 有限 公司",
        "北京·星河科技有限公司",
        "星河（　北京　）科技有限公司",
    ],
)
def test_a_region_is_found_before_after_or_in_brackets(raw: str) -> None:
    company = N.company(raw)
    assert (company.region, company.name, company.text) == ("北京", "星河科技", BEIJING_XINGHE)
    assert company.key == DedupKey(KeyKind.COMPANY, BEIJING_XINGHE)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("上海星河科技有限公司", "上海/星河科技"),  # another region: another company
        ("北京星河物流有限公司", "北京/星河物流"),  # another industry: another company
        ("星河科技有限公司", "星河科技"),  # no region matches only no region
        ("星河科技（中国）有限公司", "星河科技"),  # a country bracket is not a region
        ("星河(China)科技有限公司", "星河科技"),
        ("广东星河科技有限公司", "广东/星河科技"),  # a province is not a city in it
        ("深圳星河科技有限公司", "深圳/星河科技"),
    ],
)
def test_region_and_industry_are_part_of_the_identity(raw: str, text: str) -> None:
    assert N.company(raw).text == text
    assert N.company(raw).text != BEIJING_XINGHE


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("ＡＢＣ科技有限公司", "abc科技"),
        ("abc科技有限公司", "abc科技"),
        ("星河集团", "星河"),
        ("星河（集团）有限公司", "星河"),
        ("星河集團有限公司", "星河"),
        ("星河投资中心（有限合伙）", "星河投资中心"),
        ("星河科技（原星海科技）有限公司", "星河科技原星海科技"),
        ("中国银行北京分行", "北京/中国银行"),
        ("北京有限公司", "北京"),  # a region alone is a name, not a region
    ],
)
def test_chinese_legal_forms_and_other_brackets(raw: str, text: str) -> None:
    assert N.company(raw).text == text


@pytest.mark.parametrize(
    "raw",
    [
        "Xinghe Technology Co., Ltd.",
        "XINGHE TECHNOLOGY CO.,LTD",
        "Xinghe Technology Co. Ltd",
        "Xinghe Technology Co Ltd",
        "Xinghe Technology Limited",
        "Xinghe Technology Inc.",
        "Xinghe Technology LLC",
        "Xinghe Technology Corp.",
        "xinghe technology company limited",
        "Xing He Technology Ltd",
        "Xinghe  Technology,  Ltd.",
    ],
)
def test_latin_names_case_spacing_and_legal_forms(raw: str) -> None:
    assert N.company(raw).text == "xinghetechnology"


def test_latin_regions_and_word_boundaries() -> None:
    assert N.company("Xinghe Technology (Beijing) Co., Ltd.").text == "北京/xinghetechnology"
    assert N.company("Beijing Xinghe Technology Co.,Ltd").text == "北京/xinghetechnology"
    assert N.company("Xinghe Technology Co., Ltd. Beijing Branch").text == "北京/xinghetechnology"
    assert N.company("Costco").text == "costco"  # "co" only as a word of its own
    assert N.company("Beijingren Ltd").text == "beijingren"  # "Beijing" only as a word
    assert N.company("Acme GmbH").text == "acme"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("个人", "is a placeholder, not a company name"),
        ("无", "is a placeholder, not a company name"),
        ("N/A", "is a placeholder, not a company name"),
        ("测试公司", "is a placeholder, not a company name"),
        ("有限公司", "has no name left once legal forms and the region are off"),
        ("（北京）有限公司", "has no name left once legal forms and the region are off"),
        ("---", "has no name left once legal forms and the region are off"),
        (None, "is empty"),
        ("", "is empty"),
        (["星河"], "must be text, not list"),
        ("星" * 501, "is longer than 500 characters"),
    ],
)
def test_names_that_give_no_key(raw: object, reason: str) -> None:
    company = N.company(raw)
    assert (company.region, company.name, company.key, company.reason) == (None, None, None, reason)


# --- WeChat -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "zhangsan_88",
        "ZhangSan_88",
        " zhangsan_88 ",
        "zhang san_88",
        "微信：zhangsan_88",
        "微信号: ZhangSan_88",
        "wx: zhangsan_88",
        "WeChat ID: zhangsan_88",
        "ｚｈａｎｇｓａｎ＿８８",
    ],
)
def test_wechat_case_spaces_and_labels(raw: str) -> None:
    assert N.wechat(raw).key == DedupKey(KeyKind.WECHAT, "zhangsan_88")


def test_a_latin_label_needs_a_separator() -> None:
    assert N.wechat("wxid_abc123").id == "wxid_abc123"
    assert N.wechat("wx abc123").id == "abc123"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("同手机", "is not a WeChat id (letters, digits, _ and - only)"),
        ("none", "is a placeholder, not a WeChat id"),
        ("abc", "is shorter than 5 characters"),
        ("a" * 65, "is longer than 64 characters"),
        (None, "is empty"),
    ],
)
def test_wechat_values_that_give_no_key(raw: object, reason: str) -> None:
    assert (N.wechat(raw).id, N.wechat(raw).reason) == (None, reason)


# --- keys -------------------------------------------------------------------------------------
def test_a_key_reads_as_kind_and_value_and_parses_back() -> None:
    key = DedupKey(KeyKind.COMPANY, BEIJING_XINGHE)
    assert str(key) == "company:北京/星河科技"
    assert key.label == "公司 北京/星河科技"
    assert DedupKey.parse(str(key)) == key
    assert KeyKind.PHONE.label == "电话" and KeyKind.WECHAT.label == "微信"


def test_a_key_checks_its_kind_and_value() -> None:
    with pytest.raises(ValidationError) as caught:
        DedupKey("phone", "")  # type: ignore[arg-type]
    assert caught.value.fields == ("kind", "value")


@pytest.mark.parametrize("text", ["phone", "fax:123", "phone:", ":x", 5])
def test_parsing_a_bad_key_names_the_key(text: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        DedupKey.parse(text)
    assert caught.value.fields == ("key",)


def test_keys_of_a_lead_and_of_an_import_row_agree() -> None:
    lead = make_lead(
        "l1", phone="138 0013 8000", email="Zhang@QQ.com", company="星河（北京）科技有限公司"
    )
    row = {"phone": "+86 13800138000", "email": " zhang@qq.com", "company": "北京星河科技有限公司"}
    expected = (
        DedupKey(KeyKind.PHONE, MOBILE),
        DedupKey(KeyKind.EMAIL, "zhang@qq.com"),
        DedupKey(KeyKind.COMPANY, BEIJING_XINGHE),
    )
    assert N.keys(lead) == expected == N.keys(row)
    assert N.key_texts(row) == tuple(str(k) for k in expected)
    assert N.key(KeyKind.WECHAT, "ZhangSan_88") == DedupKey(KeyKind.WECHAT, "zhangsan_88")


def test_keys_from_custom_fields_and_without_repeats() -> None:
    rules = DedupRules(fields={"phone": ["phone", "custom_fields.mobile"], KeyKind.EMAIL: []})
    normaliser = Normaliser(rules)
    lead = make_lead(
        "l1", phone="010-12345678", email="a@b.cn", custom_fields={"mobile": "13800138000"}
    )
    assert normaliser.keys(lead) == (
        DedupKey(KeyKind.PHONE, "+861012345678"),
        DedupKey(KeyKind.PHONE, MOBILE),
    )
    assert normaliser.keys({"custom_fields": {"mobile": "13800138000"}}) == (
        DedupKey(KeyKind.PHONE, MOBILE),
    )
    assert normaliser.keys({"custom_fields.mobile": "138 0013 8000", "phone": MOBILE}) == (
        DedupKey(KeyKind.PHONE, MOBILE),
    )


def test_examine_reports_filled_in_fields_that_gave_no_key() -> None:
    found = N.examine({"phone": "12345", "email": "", "company": "个人", "wechat": "zhangsan_88"})
    assert found.keys == (DedupKey(KeyKind.WECHAT, "zhangsan_88"),)
    assert [(p.field, p.reason) for p in found.problems] == [
        ("phone", "is a local number without its area code (CN (+86))"),
        ("company", "is a placeholder, not a company name"),
    ]


@pytest.mark.parametrize("record", ["13800138000", 5, None, ["phone"]])
def test_a_record_must_be_a_lead_or_a_mapping(record: Any) -> None:
    for read in (N.keys, N.examine, N.key_texts):
        with pytest.raises(ValidationError) as caught:
            read(record)
        assert caught.value.fields == ("record",)


def test_normaliser_arguments_are_checked() -> None:
    with pytest.raises(ValidationError):
        Normaliser(rules={"phone": {}})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Normaliser(cache_size=-1)
    with pytest.raises(ValidationError) as caught:
        N.normalise("fax", "13800138000")
    assert caught.value.fields == ("kind",)
    assert N.key("电话", "13800138000") == N.key(KeyKind.PHONE, "138 0013 8000")
    assert Normaliser.default() is Normaliser.default()


# --- duplicate groups -------------------------------------------------------------------------
RECORDS: list[dict[str, Any]] = [
    {"id": "a", "phone": "138 0013 8000", "company": "北京星河科技有限公司"},
    {"id": "b", "phone": "+86-138-0013-8000", "email": "Zhang.San@gmail.com"},
    {"id": "c", "email": "zhangsan+crm@googlemail.com", "company": "上海星河科技有限公司"},
    {"id": "d", "company": "星河（北京）科技有限公司"},
    {"id": "e", "company": "北京星河物流有限公司", "wechat": "微信：ZhangSan_88"},
    {"id": "f", "company": "个人", "phone": "12345", "wechat": "zhangsan_88"},
    {"id": "g", "company": "个人", "phone": "12345"},
    {"id": "h", "company": "上海星河物流有限公司"},
]


def test_groups_are_transitive_and_name_their_links() -> None:
    groups = find_duplicate_groups(RECORDS, N)
    assert [g.ids for g in groups] == [("a", "b", "c", "d"), ("e", "f")]
    first = groups[0]
    assert first.links == {
        DedupKey(KeyKind.PHONE, MOBILE): ("a", "b"),
        DedupKey(KeyKind.EMAIL, "zhangsan@gmail.com"): ("b", "c"),
        DedupKey(KeyKind.COMPANY, BEIJING_XINGHE): ("a", "d"),
    }
    assert first.keys == tuple(first.links)
    assert first.describe() == (
        "a, b share phone:+8613800138000; b, c share email:zhangsan@gmail.com; "
        "a, d share company:北京/星河科技"
    )


def test_groups_of_leads_of_an_id_mapping_and_of_some_kinds() -> None:
    leads = [make_lead(r["id"], **{k: v for k, v in r.items() if k != "id"}) for r in RECORDS]
    assert find_duplicate_groups(leads) == find_duplicate_groups(RECORDS)
    by_id = {r["id"]: {k: v for k, v in r.items() if k != "id"} for r in RECORDS}
    assert find_duplicate_groups(by_id) == find_duplicate_groups(RECORDS)
    only_companies = find_duplicate_groups(RECORDS, kinds=[KeyKind.COMPANY])
    assert only_companies == (
        DuplicateGroup(("a", "d"), {DedupKey(KeyKind.COMPANY, BEIJING_XINGHE): ("a", "d")}),
    )
    assert find_duplicate_groups(RECORDS, kinds=["电话", "email"])[0].ids == ("a", "b", "c")
    assert find_duplicate_groups([]) == ()


@pytest.mark.parametrize(
    ("records", "fields"),
    [
        ("abc", ("records",)),
        (5, ("records",)),
        ([{"id": "a"}, {"id": "a"}], ("records[1].id",)),
        ([{"phone": "1"}, {"id": ""}, 7], ("records[0].id", "records[1].id", "records[2]")),
        ({"a": 5}, ("records['a']",)),
    ],
)
def test_bad_records_are_named_together(records: Any, fields: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        find_duplicate_groups(records)
    assert caught.value.fields == fields


def test_many_bad_records_are_listed_up_to_a_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        find_duplicate_groups([{}] * 100)
    assert len(caught.value.problems) == 21
    assert caught.value.problems[-1].field == "records"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kinds": "phone"}, "kinds"),
        ({"kinds": ["fax"]}, "kinds[0]"),
        ({"kinds": [3]}, "kinds[0]"),
        ({"normaliser": "default"}, "normaliser"),
    ],
)
def test_bad_arguments_are_named(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        find_duplicate_groups(RECORDS, **arguments)
    assert caught.value.fields == (field,)


# --- masking ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        (MOBILE, "138****8000"),
        ("138 0013 8000 转 12", "138****8000"),
        ("+861012345678", "010****5678"),
        ("+8675586001234", "075*****1234"),
        ("+14155552671", "+1 415****671"),
        ("12345", "****5"),
        ("", "****"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_masks_of_emails_wechat_and_keys() -> None:
    assert mask_email("zhangsan@qq.com") == "z***n@qq.com"
    assert mask_email("ab@x.cn") == "a***@x.cn"
    assert mask_email("nothing") == "***"
    assert mask_wechat("zhangsan_88") == "zh***88"
    assert mask_wechat("abcde") == "a***e"
    assert mask_wechat("abc") == "***"
    assert mask_key(DedupKey(KeyKind.PHONE, MOBILE)) == "138****8000"
    assert mask_key(DedupKey(KeyKind.EMAIL, "zhangsan@qq.com")) == "z***n@qq.com"
    assert mask_key(DedupKey(KeyKind.WECHAT, "zhangsan_88")) == "zh***88"
    assert mask_key(DedupKey(KeyKind.COMPANY, BEIJING_XINGHE)) == BEIJING_XINGHE
    assert mask_phone("2123 4567", region="HK") == "21****67"


@pytest.mark.parametrize("mask", [mask_phone, mask_email, mask_wechat, mask_key])
def test_masks_refuse_what_is_not_text(mask: Any) -> None:
    with pytest.raises(ValidationError):
        mask(None)


def test_mask_phone_with_an_unknown_region_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        mask_phone(MOBILE, region="XX")
    with pytest.raises(ValidationError) as caught:
        mask_phone(MOBILE, region=[])  # type: ignore[arg-type]
    assert caught.value.fields == ("region",)


def test_only_leadcore_errors_escape() -> None:
    for call in (lambda: DedupKey.parse(None), lambda: find_duplicate_groups(None)):  # type: ignore[arg-type]
        with pytest.raises(LeadcoreError):
            call()


def test_a_key_source_reads_a_mapping_as_a_lead_and_refuses_anything_else() -> None:
    normaliser = Normaliser()
    assert normaliser.key_source({"phone": "13800138000"}) == ("13800138000", None, None, None)
    with pytest.raises(ValidationError, match="record"):
        normaliser.key_source(5)  # type: ignore[arg-type]
