"""Configuration from plain data, JSON and TOML: errors name every path."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given

from leadcore import (
    ConfigError,
    CustomField,
    CustomFieldSet,
    FieldType,
    LeadStatus,
    Money,
    Pool,
)
from leadcore.config import load_json, load_toml, structure, unstructure
from leadcore.testing import EPOCH
from leadcore.testing.strategies import pools


def test_pool_from_plain_data_with_chinese_enum_labels() -> None:
    pool = structure(
        {
            "id": "p1",
            "name": "华东线索池",
            "admins": ["a1"],
            "claim_enabled": True,
            "max_open_per_user": 30,
        },
        Pool,
    )
    assert pool.admins == {"a1"} and pool.max_open_per_user == 30
    assert structure("未分配", LeadStatus) is LeadStatus.UNASSIGNED


def test_config_errors_name_every_path() -> None:
    with pytest.raises(ConfigError) as caught:
        structure({"id": "p1", "name": "", "max_open_per_user": 0}, Pool)
    assert {p.field for p in caught.value.problems} == {"$.name", "$.max_open_per_user"}
    with pytest.raises(ConfigError) as unknown:
        structure({"id": "p1", "name": "x", "colour": "red", "size": 1}, Pool)
    assert {p.field for p in unknown.value.problems} == {"$.colour", "$.size"}
    assert "known keys" in unknown.value.reason
    with pytest.raises(ConfigError) as missing:
        structure({"name": "x"}, Pool)
    assert missing.value.path == "$.id"


def test_money_decimal_and_datetime_from_text() -> None:
    assert structure("CNY 1200.50", Money) == Money("1200.50")
    assert structure({"amount": "3", "currency": "USD"}, Money) == Money("3", "USD")
    with pytest.raises(ConfigError, match="curency"):  # a typo is no silent CNY amount
        structure({"amount": "3", "curency": "USD"}, Money)
    assert structure("1000", Decimal) == Decimal("1000")
    assert structure("2026-01-01T08:00:00+08:00", datetime) == EPOCH
    with pytest.raises(ConfigError, match="timezone"):
        structure("2026-01-01T08:00:00", datetime)


@given(pools())
def test_pools_round_trip_through_plain_data(pool: Pool) -> None:
    assert structure(unstructure(pool), Pool) == pool


def test_json_and_toml_loading(tmp_path: Path) -> None:
    path = tmp_path / "pool.toml"
    path.write_text('id = "p1"\nname = "华北"\nreminder_hours = 24\n', encoding="utf-8")
    assert load_toml(path, Pool).reminder_hours == 24
    assert load_json('{"id": "p1", "name": "华北"}', Pool).name == "华北"
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_json("{", Pool)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml("= 1", Pool)


def test_bad_declarations_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs options"):
        CustomField("level", FieldType.CHOICE)
    with pytest.raises(ConfigError, match="takes no options"):
        CustomField("level", FieldType.TEXT, options=("a",))
    with pytest.raises(ConfigError, match="identifier"):
        CustomField("bad name", FieldType.TEXT)
    with pytest.raises(ConfigError, match="declared twice"):
        CustomFieldSet([CustomField("a", FieldType.TEXT), CustomField("a", FieldType.TEXT)])
