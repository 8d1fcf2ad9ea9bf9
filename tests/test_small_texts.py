"""Small texts that must read right: a pool summary's count of leads, and the error for a
file's path given where config text was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from leadcore import (
    ConfigError,
    LeadStatus,
    PoolSummary,
    checks,
    load_conditions,
    load_quota_policies,
    load_strategies,
)
from leadcore.dedup import Normaliser


def _summary(*counts: int) -> PoolSummary:
    statuses = (LeadStatus.UNASSIGNED, LeadStatus.ASSIGNED)
    return PoolSummary("east", "华东线索池", dict(zip(statuses, counts, strict=False)))


@pytest.mark.parametrize(
    ("counts", "said"), [((1, 0), "1 lead"), ((0, 0), "0 leads"), ((1, 1), "2 leads")]
)
def test_a_pool_summary_counts_one_lead_in_the_singular(counts: tuple[int, int], said: str) -> None:
    summary = _summary(*counts)
    assert str(summary).startswith(f"华东线索池: {said} (")
    assert summary.table("en").splitlines()[-1] == f"华东线索池 (east): {said}"
    assert f"<caption>华东线索池 (east): {said}</caption>" in summary._repr_html_()


def test_a_pool_summary_in_chinese_has_no_plural() -> None:
    assert _summary(1, 0).table("zh").splitlines()[-1] == "华东线索池 (east)：共 1 条线索"
    assert _summary(1, 1).table("zh").splitlines()[-1] == "华东线索池 (east)：共 2 条线索"


LOADERS: list[Callable[[str], object]] = [load_strategies, load_conditions, load_quota_policies]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    "text",
    ["strategies.toml", "./conf/x.toml", "conf/rules.JSON", " conf/x \n", "C:\\conf\\x.toml"],
)
def test_a_path_given_as_text_is_refused_with_how_to_read_the_file(
    loader: Callable[[str], object], text: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        loader(text)
    shown = repr(text.strip())
    assert caught.value.path == "$"
    assert f"{shown} looks like a file path, not config text" in caught.value.reason
    assert f"pass pathlib.Path({shown}) to read the file" in caught.value.reason


def test_normaliser_rules_refuse_a_path_given_as_text_too() -> None:
    with pytest.raises(ConfigError, match="looks like a file path"):
        Normaliser.from_toml("dedup/rules.toml")


def test_the_file_itself_still_loads_from_its_path(tmp_path: Path) -> None:
    file = tmp_path / "strategies.toml"
    file.write_text('[east]\nkind = "round_robin"\nusers = ["a", "b"]\n', encoding="utf-8")
    assert sorted(load_strategies(file)) == ["east"]


@pytest.mark.parametrize(
    "text",
    [
        "",  # an empty config
        "# see conf/strategies.toml",  # only a comment
        '[east]\nkind = "round_robin"\nusers = ["a/b.toml"]',
        '{"east": {"kind": "round_robin", "users": ["x.json"]}}',
    ],
)
def test_config_text_that_names_files_is_still_config_text(text: str) -> None:
    assert sorted(load_strategies(text)) == (["east"] if "east" in text else [])


def test_text_that_is_not_path_like_keeps_its_parse_error() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_strategies("strategies")


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [(0, "lead", "0 leads"), (1, "lead", "1 lead"), (2, "decided lead", "2 decided leads")],
)
def test_counts_in_reasons_take_the_plural_unless_one(count: int, noun: str, said: str) -> None:
    assert checks.counted(count, noun) == said
