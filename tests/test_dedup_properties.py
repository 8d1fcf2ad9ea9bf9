"""Invariants of duplicate keys: the fast phone path is phonenumbers, keys are fixed points,
junk never crashes, and groups are exactly the records linked by shared keys."""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from typing import Any

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadcore import ConfigError, LeadcoreError
from leadcore.dedup import (
    DedupKey,
    DedupRules,
    KeyKind,
    Normaliser,
    PhoneRules,
    find_duplicate_groups,
    mask_email,
    mask_phone,
    mask_wechat,
)
from leadcore.dedup.regions import DEFAULT_REGIONS
from leadcore.testing import make_lead

N = Normaliser()
NO_CACHE = Normaliser(cache_size=0)
REGIONAL = {
    region: Normaliser(DedupRules(phone=PhoneRules(region)))
    for region in ("US", "GB", "HK", "IT", "DE")
}

# --- phone-like text --------------------------------------------------------------------------
MOBILE_PREFIXES = (
    "130",
    "138",
    "147",
    "150",
    "166",
    "170",
    "174",
    "175",
    "180",
    "191",
    "199",
    "140",
    "100",
)
AREA_CODES = ("10", "20", "21", "755", "571", "0", "1", "400", "800", "95")


@st.composite
def national_numbers(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from(("mobile", "landline", "random")))
    if shape == "mobile":
        return draw(st.sampled_from(MOBILE_PREFIXES)) + draw(
            st.text("0123456789", min_size=7, max_size=9)
        )
    if shape == "landline":
        return draw(st.sampled_from(AREA_CODES)) + draw(
            st.text("0123456789", min_size=6, max_size=9)
        )
    return draw(st.text("0123456789", min_size=1, max_size=16))


FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


PREFIXES = (
    "",
    "",
    "+86",
    "+86 ",
    "0086",
    "86",
    "0",
    "+",
    "00",
    "+1 ",
    "17951",
    "(+86) ",
    "+44 ",
    "+852",
)
EXTENSIONS = ("", "", " ext 12", "转123", "#9", "-123", " x8", " 分机 5")


@st.composite
def phone_texts(
    draw: st.DrawFn,
    digits: st.SearchStrategy[str] | None = None,
    prefixes: tuple[str, ...] = PREFIXES,
    extensions: tuple[str, ...] = EXTENSIONS,
) -> str:
    """Numbers written the many ways people write them: prefixes, separators, brackets,
    full-width digits, extensions, tel: URIs."""
    number = draw(national_numbers() if digits is None else digits)
    cuts = sorted(draw(st.lists(st.integers(0, len(number)), max_size=3)))
    pieces = [number[a:b] for a, b in itertools.pairwise([0, *cuts, len(number)])]
    separators = st.sampled_from(("", " ", "-", ".", "(", ")", "  ", "/"))
    text = draw(st.sampled_from(prefixes)) + "".join(p + draw(separators) for p in pieces)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    text += draw(st.sampled_from(extensions))
    if draw(st.integers(0, 9)) == 0:
        text = "tel:" + text
    return text


valid_mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(("138", "139", "150", "186", "199", "166")),
    st.text("0123456789", min_size=8, max_size=8),
)


@given(phone_texts())
@example("13800138000")
@example("8613800138000")
@example("+86 (0)10 12345678")
@example("1795113800138000")
@example("010-12345678-123")
def test_the_fast_path_gives_what_phonenumbers_gives(text: str) -> None:
    assert N.phone(text) == N.phones.reference(text) == NO_CACHE.phone(text)


@given(st.sampled_from(sorted(REGIONAL)), phone_texts())
def test_the_fast_path_agrees_in_other_default_regions(region: str, text: str) -> None:
    normaliser = REGIONAL[region]
    assert normaliser.phone(text) == normaliser.phones.reference(text)


@given(st.text(max_size=30))
def test_the_fast_path_agrees_on_any_text(text: str) -> None:
    assert N.phone(text) == N.phones.reference(text)


@given(national_numbers(), st.sampled_from(("", "+86", "0086", "0", "+86 ", "86")))
def test_clean_shapes_equal_phonenumbers_itself(digits: str, prefix: str) -> None:
    text = prefix + digits
    try:
        number = phonenumbers.parse(text, "CN")
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    expected = (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else None
    )
    assert N.phone(text).e164 == expected


@given(phone_texts(valid_mobiles, ("", "+86", "0086 ", "0", "(+86)"), ("", " ext 12", "转1")))
def test_a_phone_key_normalises_to_itself(text: str) -> None:
    e164 = N.phone(text).e164
    assert e164 is not None and e164.startswith("+861")
    assert N.phone(e164).e164 == e164
    masked = mask_phone(text)
    assert masked == f"{e164[3:6]}****{e164[-4:]}"
    assert N.phone(masked).e164 is None


# --- idempotence ------------------------------------------------------------------------------
REGION_SPELLINGS = [s for r in DEFAULT_REGIONS[:12] for s in r.spellings]
COMPANY_FRAGMENTS = (
    *REGION_SPELLINGS,
    "星河",
    "科技",
    "物流",
    "有限",
    "公司",
    "有限公司",
    "集团",
    "股份",
    "分公司",
    "办事处",
    "中国",
    "China",
    "(",
    ")",
    "（",
    "）",
    "【",
    "】",
    "〔",
    "〕",
    "「",
    "」",
    " ",
    "  ",
    "·",
    ",",
    ".",
    "Co",
    "Co.,",
    "Ltd",
    "Ltd.",
    "Inc",
    "Xinghe",
    "xing",
    "he",
    "l",
    "td",
    "co",
    "Tech",
    "ＡＢＣ",
    "３",
    "_",
    "&",
    "-",
    "个人",
    "无",
    "集團",
    "Branch",
    "市",
    "省",
)
company_texts = st.one_of(
    st.lists(st.sampled_from(COMPANY_FRAGMENTS), max_size=10).map("".join),
    st.text(max_size=20),
)


@given(company_texts)
@example("星河（上海）有限公司北京")
@example("上海星河（北京）科技有限公司")
@example("星河l td")
@example("bei jing星河")
def test_a_company_key_normalises_to_itself(text: str) -> None:
    company = N.company(text)
    if company.text is None:
        return
    again = N.company(company.text)
    assert (again.region, again.name) == (company.region, company.name)
    assert NO_CACHE.company(text) == company


email_texts = st.one_of(
    st.builds(
        lambda local, domain, noise: noise[0] + local + "@" + domain + noise[1],
        st.text(st.sampled_from("abcXYZ09._+-"), min_size=1, max_size=12),
        st.sampled_from(
            ("gmail.com", "GoogleMail.com", "qq.com", "163.COM", "example.com.cn", "qq", "x..com")
        ),
        st.tuples(
            st.sampled_from(("", " ", "mailto:", "张三 <")), st.sampled_from(("", " ", ">", "."))
        ),
    ),
    st.text(max_size=20),
)


@given(email_texts)
def test_an_email_key_normalises_to_itself(text: str) -> None:
    address = N.email(text).address
    if address is None:
        return
    assert N.email(address).address == address
    assert "*" in mask_email(address)


wechat_texts = st.builds(
    lambda label, ident, space: label + space + ident + space,
    st.sampled_from(("", "微信：", "微信号", "wx: ", "WeChat ID ", "vx")),
    st.text(st.sampled_from("abcXYZ09_-ｚ"), min_size=1, max_size=20),
    st.sampled_from(("", " ", "\u3000")),
)


@given(st.one_of(wechat_texts, st.text(max_size=20)))
def test_a_wechat_key_normalises_to_itself(text: str) -> None:
    wechat_id = N.wechat(text).id
    if wechat_id is None:
        return
    assert N.wechat(wechat_id).id == wechat_id
    assert mask_wechat(wechat_id) != wechat_id


# --- junk -------------------------------------------------------------------------------------
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # lone surrogates included
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=10),
    st.text(ANY_CHARACTER, max_size=40),
    st.text(ANY_CHARACTER, min_size=1).map(lambda t: t * 400),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
)


@given(junk)
def test_no_value_makes_a_normaliser_raise(value: object) -> None:
    for kind in KeyKind:
        result = N.normalise(kind, value)
        assert result.valid is (result.key is not None)
        assert result.valid or result.reason
        if result.key is not None:
            assert DedupKey.parse(str(result.key)) == result.key


@given(junk)
def test_masks_raise_only_leadcore_errors(value: object) -> None:
    for mask in (mask_phone, mask_email, mask_wechat):
        try:
            masked = mask(value)  # type: ignore[arg-type]
        except LeadcoreError:
            assert not isinstance(value, str)
        else:
            assert isinstance(masked, str)


records = st.one_of(
    junk,
    st.dictionaries(
        st.sampled_from(("id", "phone", "email", "company", "wechat", "custom_fields")),
        junk,
        max_size=5,
    ),
)


@given(
    st.one_of(
        junk,
        st.lists(records, max_size=5),
        st.dictionaries(st.text(max_size=3), records, max_size=3),
    )
)
def test_bad_records_raise_only_leadcore_errors(batch: Any) -> None:
    with contextlib.suppress(LeadcoreError):
        find_duplicate_groups(batch)
    if not isinstance(batch, list):
        return
    for record in batch:
        try:
            N.keys(record)
            N.examine(record)
        except LeadcoreError:
            assert not isinstance(record, dict)


config_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.sampled_from(("add", "remove", "name")),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                ("add", "remove", "name", "aliases", "domains", "phone", "legal_suffixes", "x")
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
config_data = st.one_of(
    config_values,
    st.fixed_dictionaries(
        {},
        optional={
            "phone": st.dictionaries(
                st.sampled_from(("default_region", "extension_markers", "dash_extension")),
                config_values,
                max_size=2,
            ),
            "email": st.dictionaries(
                st.sampled_from(("providers", "placeholders")), config_values, max_size=2
            ),
            "company": st.dictionaries(
                st.sampled_from(("legal_suffixes", "regions", "country_words", "placeholders")),
                config_values,
                max_size=2,
            ),
            "wechat": st.dictionaries(
                st.sampled_from(("labels", "min_length")), config_values, max_size=2
            ),
            "fields": st.dictionaries(
                st.sampled_from(("phone", "email", "电话", "fax")), config_values, max_size=2
            ),
        },
    ),
)


@given(config_data)
def test_bad_config_raises_only_config_errors(data: object) -> None:
    try:
        rules = DedupRules.from_dict(data)
    except ConfigError:
        return
    assert DedupRules.from_dict(rules.to_dict()) == rules
    Normaliser(rules).keys({"phone": "13800138000", "company": "北京星河科技有限公司"})


# --- groups -----------------------------------------------------------------------------------
PHONES = ("13800138000", "+86 138 0013 8000", "13900139000", "010-12345678", "12345", None)
EMAILS = ("a@qq.com", "A@QQ.com ", "b@qq.com", "x.y@gmail.com", "xy+1@gmail.com", "nope", None)
COMPANIES = (
    "北京星河科技有限公司",
    "星河（北京）科技有限公司",
    "上海星河科技有限公司",
    "北京星河物流有限公司",
    "个人",
    None,
)
WECHATS = ("zhangsan_88", "ZhangSan_88", "lisi_99", "无", None)

batches = st.lists(
    st.fixed_dictionaries(
        {
            "phone": st.sampled_from(PHONES),
            "email": st.sampled_from(EMAILS),
            "company": st.sampled_from(COMPANIES),
            "wechat": st.sampled_from(WECHATS),
        }
    ),
    max_size=12,
).map(lambda rows: [{"id": f"r{i}", **row} for i, row in enumerate(rows)])


@given(batches, st.sets(st.sampled_from(KeyKind), min_size=1))
def test_groups_are_exactly_the_records_linked_by_shared_keys(
    rows: list[dict[str, Any]], kinds: set[KeyKind]
) -> None:
    groups = find_duplicate_groups(rows, N, kinds=kinds)
    keys = {row["id"]: {k for k in N.keys(row) if k.kind in kinds} for row in rows}
    # Reference: connected components of the "shares a key" graph, by brute force.
    component = {row["id"]: {row["id"]} for row in rows}
    for a, b in itertools.combinations(keys, 2):
        if keys[a] & keys[b] and component[a] is not component[b]:
            merged = component[a] | component[b]
            for member in merged:
                component[member] = merged
    expected = sorted(
        {tuple(sorted(c, key=lambda i: int(i[1:]))) for c in component.values() if len(c) > 1}
    )
    assert sorted(g.ids for g in groups) == expected
    holders: dict[DedupKey, list[str]] = defaultdict(list)
    for record_id, found in keys.items():
        for key in found:
            holders[key].append(record_id)
    for group in groups:
        assert group.links, "every group is linked by some key"
        for key, ids in group.links.items():
            assert list(ids) == holders[key] and len(ids) >= 2
            assert set(ids) <= set(group.ids)


@given(batches)
def test_groups_are_the_same_for_leads_and_rows(rows: list[dict[str, Any]]) -> None:
    leads = [make_lead(row["id"], **{k: v for k, v in row.items() if k != "id"}) for row in rows]
    assert find_duplicate_groups(leads) == find_duplicate_groups(rows)


@pytest.mark.parametrize("text", ["138 0013 8000", "+86-138-0013-8000", "010-12345678"])
def test_cached_and_uncached_agree_on_repeated_reads(text: str) -> None:
    small = Normaliser(cache_size=1)
    assert [small.phone(text) for _ in range(3)] == [NO_CACHE.phone(text)] * 3


@given(st.text("0123456789", min_size=10, max_size=10), st.sampled_from(["+86", "0086", ""]))
@example("3800138000", "+86")
@example("2345678901", "+86")  # 12…: no mobile prefix
@example("1000008000", "")  # phonenumbers cannot parse it at all
def test_a_mainland_mobile_is_masked_as_phonenumbers_formats_it(tail: str, prefix: str) -> None:
    from leadcore.dedup.masking import _mask_digits

    text = f"{prefix}1{tail}"
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:  # "11000008000": read as too short a number
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        expected = _mask_digits("".join(c for c in national if c.isdigit()))
    else:
        expected = _mask_digits("".join(c for c in text if c.isdigit()))
    assert mask_phone(text) == expected
