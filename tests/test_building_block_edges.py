"""Edges of the building blocks used outside the desk: duplicate-key readers, import sources and
mappings, config structuring. Each wrong argument meets a ``LeadcoreError`` naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadcore import ConfigError, LeadcoreError, ValidationError
from leadcore.config import parse_json, parse_source, structure
from leadcore.dedup import DedupRules, KeyKind, Normaliser
from leadcore.importing import ColumnMapping, read_rows, read_source

NUL = Path("a\x00b.json")


@pytest.mark.parametrize(
    "call",
    [
        lambda: read_source(NUL),
        lambda: list(read_rows(NUL)),
        lambda: parse_json(NUL),
        lambda: parse_source(NUL),
        lambda: Normaliser.from_toml(Path("x\x00.toml")),
    ],
)
def test_a_path_with_a_nul_character_is_a_leadcore_error(call: object) -> None:
    with pytest.raises(LeadcoreError, match="null byte"):
        call()  # type: ignore[operator]


def test_key_reader_reads_kinds_as_duplicate_groups_do() -> None:
    normaliser = Normaliser.default()
    row = {"phone": "13800138000"}
    expected = ["phone:+8613800138000"]
    assert normaliser.key_reader([KeyKind.PHONE])(row) == expected
    assert normaliser.key_reader(["电话"])(row) == expected
    assert normaliser.key_reader(None)(row) == expected
    for bad in ("phone", 1, ["fax"]):
        with pytest.raises(ValidationError) as caught:
            normaliser.key_reader(bad)  # type: ignore[arg-type]
        assert caught.value.fields[0].startswith("kinds")


def test_a_row_longer_than_its_header_keeps_every_cell() -> None:
    rows = list(read_rows(b"a,column 3\n1,2,3\n"))
    assert rows == [(2, {"a": "1", "column 3": "2", "column 3 (extra)": "3"})]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.target(None), "header"),
        (lambda m: m.target(1), "header"),
        (lambda m: m.missing([1]), "headers[0]"),
        (lambda m: m.missing(b"ab"), "headers"),
        (lambda m: m.missing(None), "headers"),
        (lambda m: m.clashes(None), "headers"),
        (lambda m: m.clashes("phone"), "headers"),
    ],
)
def test_column_mapping_refuses_what_is_not_a_column_name(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call(ColumnMapping({"a": "phone"}))  # type: ignore[operator]
    assert caught.value.fields == (field,)


def test_structure_names_a_class_it_cannot_build() -> None:
    with pytest.raises(ConfigError, match="cls"):
        structure({}, 5)  # type: ignore[arg-type]
    assert structure({}, DedupRules) == DedupRules()
