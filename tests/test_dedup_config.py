"""Dedup rules as data: defaults, extending in Python, loading and editing from dict / JSON /
TOML, and config errors that name the path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadcore import ConfigError
from leadcore.dedup import (
    CompanyRules,
    DedupRules,
    EmailProvider,
    EmailRules,
    KeyKind,
    Normaliser,
    PhoneRules,
    Region,
    WechatRules,
)
from leadcore.dedup.companies import DEFAULT_LEGAL_SUFFIXES
from leadcore.dedup.regions import DEFAULT_REGIONS


def test_rules_round_trip_through_plain_data_json_and_toml(tmp_path: Path) -> None:
    rules = DedupRules(
        phone=PhoneRules(default_region="HK"),
        company=CompanyRules().extended(legal_suffixes=["有限合伙企业"]),
        fields={KeyKind.PHONE: ("phone", "custom_fields.mobile")},
    )
    data = rules.to_dict()
    assert DedupRules.from_dict(data) == rules
    path = tmp_path / "dedup.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert DedupRules.from_json(path) == rules
    assert DedupRules.from_json(json.dumps(data)) == rules
    assert DedupRules.from_dict({}) == DedupRules()
    assert rules.fields[KeyKind.EMAIL] == ("email",)  # kinds left out keep their field
    assert DedupRules(fields={"email": []}).fields[KeyKind.EMAIL] == ()
    assert DedupRules.from_toml("") == DedupRules()


TOML = """
[phone]
default_region = "cn"
extension_markers = { add = ["内线"] }

[email]
providers = { add = [{ name = "outlook", domains = ["outlook.com", "hotmail.com"], ignore_plus_tags = true }] }

[company]
legal_suffixes = { add = ["有限合伙企业"], remove = ["集团"] }
regions = { add = [{ name = "苏州工业园区", aliases = ["苏州园区", "SIP"] }], remove = ["吉林"] }
placeholders = { add = ["某某公司"] }

[wechat]
min_length = 6

[fields]
phone = ["phone", "custom_fields.mobile"]
"""


def test_toml_edits_the_default_lists() -> None:
    rules = DedupRules.from_toml(TOML)
    assert rules.phone.default_region == "CN"
    assert rules.phone.extension_markers[-1] == "内线"
    assert [p.name for p in rules.email.providers] == ["gmail", "outlook"]
    suffixes = rules.company.legal_suffixes
    assert "集团" not in suffixes and suffixes[-1] == "有限合伙企业"
    assert len(suffixes) == len(DEFAULT_LEGAL_SUFFIXES)
    names = [r.name for r in rules.company.regions]
    assert "吉林" not in names and names[-1] == "苏州工业园区"
    assert len(names) == len(DEFAULT_REGIONS)
    assert rules.wechat.min_length == 6
    assert rules.fields[KeyKind.PHONE] == ("phone", "custom_fields.mobile")
    assert rules.fields[KeyKind.EMAIL] == ("email",)  # the other kinds keep their fields


def test_edited_rules_change_the_keys() -> None:
    normaliser = Normaliser.from_toml(TOML)
    assert normaliser.company("苏州园区星河科技有限公司").text == "苏州工业园区/星河科技"
    assert normaliser.company("SIP Xinghe Ltd").text == "苏州工业园区/xinghe"
    assert normaliser.company("星河集团").text == "星河集团"  # 集团 is no longer a legal form
    assert normaliser.company("某某公司").reason == "is a placeholder, not a company name"
    assert normaliser.email("zhang+x@hotmail.com").address == "zhang@outlook.com"
    assert normaliser.phone("010-12345678 内线 88").extension == "88"
    assert normaliser.wechat("abcde").reason == "is shorter than 6 characters"
    assert Normaliser.from_dict({"phone": {"default_region": "US"}}).phone("415 555 2671").valid
    assert Normaliser.from_json('{"email": {"providers": []}}').email("a.b@gmail.com").address == (
        "a.b@gmail.com"
    )


def test_extending_in_python() -> None:
    company = CompanyRules().extended(
        regions=[Region("雄安", ["雄安新区", "Xiong'an"])], legal_suffixes="有限合伙企业"
    )
    assert company.regions[-1] == Region("雄安", ("雄安新区", "Xiong'an"))
    assert company.legal_suffixes[-1] == "有限合伙企业"
    assert company.extended(legal_suffixes=["有限公司"]) == company  # no repeats
    normaliser = Normaliser(DedupRules(company=company))
    assert normaliser.company("雄安新区星河科技有限公司").text == "雄安/星河科技"
    assert WechatRules().extended(labels=["V信"]).labels[-1] == "V信"
    with pytest.raises(ConfigError) as caught:
        CompanyRules().extended(suffixes=["x"])
    assert caught.value.path == "suffixes"


@pytest.mark.parametrize(
    ("toml", "path"),
    [
        ("nope = 1", "$.nope"),
        ('[company]\nlegal_suffixes = { remove = ["nope"] }', "$.company.legal_suffixes.remove[0]"),
        ('[company]\nlegal_suffixes = { add = "x" }', "$.company.legal_suffixes.add"),
        ('[company]\nlegal_suffixes = { add = [""] }', "$.company.legal_suffixes.add[0]"),
        ('[company]\nlegal_suffixes = ["x", " "]', "$.company.legal_suffixes[1]"),
        ('[company]\ncountry_words = ["..."]', "$.company.country_words[0]"),
        ('[company]\nregions = { add = [{ aliases = ["x"] }] }', "$.company.regions.add[0].name"),
        (
            '[company]\nregions = [{ name = "帝都", aliases = ["Peking"] }, { name = "北京", aliases = ["Peking"] }]',
            "$.company.regions[1].aliases[0]",
        ),
        ('[phone]\ndefault_region = "XX"', "$.phone.default_region"),
        (
            '[email]\nproviders = [{ name = "x", domains = ["not a domain"] }]',
            "$.email.providers[0].domains[0]",
        ),
        ('[email]\nproviders = [{ name = "x", domains = [] }]', "$.email.providers[0].domains"),
        (
            '[email]\nproviders = [{ name = "a", domains = ["a.com"] }, { name = "b", domains = ["a.com"] }]',
            "$.email.providers[1].domains[0]",
        ),
        ("[wechat]\nmin_length = 0", "$.wechat.min_length"),
        ("[wechat]\nmin_length = 9\nmax_length = 8", "$.wechat.max_length"),
        ('[fields]\nphone = ["nope"]', "$.fields.phone[0]"),
        ('[fields]\nphone = ["custom_fields.not valid"]', "$.fields.phone[0]"),
        ('[fields]\nfax = ["phone"]', "$.fields['fax']"),
        ("[company", "$"),
        ('[company]\nlegal_suffixes = "有限公司"', "$.company.legal_suffixes"),
        ('[email]\nproviders = "gmail"', "$.email.providers"),
        ("[[phone]]\ndefault_region = 'CN'", "$.phone"),
        ('[company]\nregions = ["北京"]', "$.company.regions[0]"),
        ('[company]\nregions = { add = ["北京"] }', "$.company.regions.add[0]"),
        (
            '[company]\nregions = { add = [{ name = "雄安", aliases = "雄安新区" }] }',
            "$.company.regions.add[0].aliases",
        ),
        ('fields = "phone"', "$.fields"),
        ('[fields]\n"电话" = "phone"', "$.fields.电话"),
    ],
)
def test_bad_config_names_the_path(toml: str, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DedupRules.from_toml(toml)
    assert caught.value.path == path


def test_plain_data_that_is_not_a_table() -> None:
    cases: tuple[object, ...] = ([], "phone", 5, None)
    for data in cases:
        with pytest.raises(ConfigError) as caught:
            DedupRules.from_dict(data)
        assert caught.value.path == "$"


def test_bad_json_says_where() -> None:
    with pytest.raises(ConfigError) as caught:
        DedupRules.from_json("{")
    assert caught.value.path == "line 1 column 2"


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: PhoneRules(default_region=5), "default_region"),
        (lambda: PhoneRules(extension_markers=[""]), "extension_markers[0]"),
        (lambda: PhoneRules(dash_extension="yes"), "dash_extension"),  # type: ignore[arg-type]
        (lambda: EmailProvider("", ["a.com"]), "name"),
        (lambda: EmailProvider("x", ["a.com"], canonical_domain="nope"), "canonical_domain"),
        (lambda: EmailProvider("x", ["a.com"], ignore_dots="yes"), "ignore_dots"),  # type: ignore[arg-type]
        (lambda: EmailRules(providers=["gmail"]), "providers[0]"),
        (lambda: Region(" "), "name"),
        (lambda: CompanyRules(regions=["北京"]), "regions[0]"),
        (lambda: DedupRules(phone="CN"), "phone"),  # type: ignore[arg-type]
        (lambda: DedupRules(fields=["phone"]), "fields"),
    ],
)
def test_bad_rules_in_python_are_config_errors(build: Any, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build()
    assert caught.value.path == path
