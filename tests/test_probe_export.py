"""Probing export and display with the mistakes real users make: column choices, declarations
of one's own columns, values records and cells get, the table helpers and value renames."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from leadcore import LeadStatus, ValidationError
from leadcore.export import (
    LEAD_COLUMNS,
    Column,
    Columns,
    cell,
    enum_text,
    plain,
    short,
)
from leadcore.labels import rename_value
from leadcore.table import clean, fit, text_width
from leadcore.testing import make_lead

LEAD = make_lead("L1")


@attrs.frozen
class Row:
    a: object
    b: object = None


# --- choosing columns ----------------------------------------------------------------------


@pytest.mark.parametrize("render", [LEAD_COLUMNS.table, LEAD_COLUMNS.html])
def test_a_key_chosen_twice_is_named_not_shown_twice(render: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        render([LEAD], keys=["id", "owner_id", "id"])
    assert caught.value.fields == ("keys[2]",)
    assert "repeats keys[0]" in str(caught.value)


@pytest.mark.parametrize("keys", [{"id", "status"}, frozenset({"id"})])
def test_a_set_of_keys_is_refused_for_it_has_no_order(keys: object) -> None:
    with pytest.raises(ValidationError) as caught:
        LEAD_COLUMNS.table([LEAD], keys=keys)  # type: ignore[arg-type]
    assert caught.value.fields == ("keys",)
    assert "a set has no order" in str(caught.value)


def test_a_dicts_keys_keep_their_order_as_a_choice() -> None:
    chosen = {"owner_id": 1, "id": 2}.keys()
    assert LEAD_COLUMNS.table([LEAD], keys=chosen).startswith("owner_id  id")  # type: ignore[arg-type]


def test_zero_leads_export_to_nothing_but_the_headings() -> None:
    assert LEAD_COLUMNS.records([]) == []
    assert LEAD_COLUMNS.table([]).splitlines()[0].startswith("id  contact_name")
    assert "<tbody>\n</tbody>" in LEAD_COLUMNS.html([])


def test_zero_leads_make_a_dataframe_of_the_headings() -> None:
    pytest.importorskip("pandas")
    assert list(LEAD_COLUMNS.dataframe([]).columns) == list(LEAD_COLUMNS.keys)


# --- declaring columns -----------------------------------------------------------------------


def test_a_brief_given_as_one_string_is_refused_not_read_letter_by_letter() -> None:
    columns = (Column("ab", "甲乙", "AB"), Column("a", "甲", "A"), Column("b", "乙", "B"))
    with pytest.raises(ValidationError) as caught:
        Columns(columns, brief="ab")  # type: ignore[arg-type]
    assert caught.value.fields == ("brief",)


@pytest.mark.parametrize(
    ("columns", "brief", "field"),
    [
        ("abc", (), "columns"),
        ((), (), "columns"),
        (("a",), (), "columns[0]"),
        ((Column("a", "甲", "A"), Column("b", "甲", "B")), (), "columns[1].zh"),
        ((Column("a", "甲", "A"), Column("b", "乙", "A")), (), "columns[1].en"),
        ((Column("a", "甲", "A", kind="money"),), (), "columns[0].kind"),  # type: ignore[arg-type]
        ((Column("", "甲", "A"),), (), "columns[0].key"),
        ((Column(5, "甲", "A"),), (), "columns[0].key"),  # type: ignore[arg-type]
        ((Column("a", ["甲"], "A"),), (), "columns[0].zh"),  # type: ignore[arg-type]
        ((Column("a", "甲", "A", path="x..y"),), (), "columns[0].path"),
        ((Column("a", "甲", "A", get="a"),), (), "columns[0].get"),  # type: ignore[arg-type]
        ((Column("a", "甲", "A"),), ("a", "a"), "brief[1]"),
    ],
)
def test_a_wrong_columns_declaration_names_its_place(columns: Any, brief: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Columns(columns, brief=brief)
    assert caught.value.fields == (field,)
    assert isinstance(caught.value, ValueError)  # as the declaration errors always were


def test_a_declaration_given_a_list_keeps_a_tuple() -> None:
    columns = Columns([Column("a", "甲", "A")])  # type: ignore[arg-type]
    assert columns.columns == (Column("a", "甲", "A"),)
    hash(columns)


def test_a_path_through_a_missing_attribute_names_the_column() -> None:
    columns = Columns((Column("a", "甲", "A", path="a.missing"),))
    with pytest.raises(ValidationError) as caught:
        columns.records([Row(1)])
    assert caught.value.fields == ("a",)
    assert "'missing'" in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "value"), [("time", "yesterday"), ("time", 5), ("decimal", "abc"), ("decimal", [1])]
)
def test_a_dataframe_column_holding_the_wrong_kind_names_the_column(
    kind: Any, value: object
) -> None:
    pytest.importorskip("pandas")
    columns = Columns((Column("a", "甲", "A", kind=kind),))
    with pytest.raises(ValidationError) as caught:
        columns.dataframe([Row(value), Row(None)])
    assert caught.value.fields == ("a",)


def test_a_dataframe_still_reads_times_and_decimals() -> None:
    pytest.importorskip("pandas")
    columns = Columns((Column("t", "时", "T", "a", "time"), Column("d", "数", "D", "b", "decimal")))
    frame = columns.dataframe(
        [Row(datetime(2026, 3, 2, 9, tzinfo=UTC), Decimal("1.10")), Row(None)]
    )
    assert frame["d"][0] == Decimal("1.10")
    assert str(frame["t"][0]) == "2026-03-02 09:00:00+00:00"


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [-0.0, -0.001, -0.004])
def test_a_number_that_rounds_to_zero_shows_as_zero_not_minus_zero(number: float) -> None:
    assert cell(number) == "0"
    assert cell(-1.5) == "-1.5"


def test_a_time_before_the_year_1000_shows_four_digits_like_its_record() -> None:
    moment = datetime(9, 1, 2, 3, 4, tzinfo=UTC)
    assert cell(moment) == "0009-01-02 03:04"
    assert str(plain(moment)).startswith("0009-01-02")
    assert cell(datetime(2026, 3, 2, 9, tzinfo=UTC)) == "2026-03-02 09:00"


def test_a_set_of_numbers_is_sorted_by_size() -> None:
    assert plain({10, 9, 100}) == [9, 10, 100]
    assert cell({10, 9, 100.5}) == "9, 10, 100.5"
    assert plain({"b", "a"}) == ["a", "b"]
    assert plain({1, "1"}) == [1, "1"]


def test_numpy_numbers_are_numbers_in_a_record() -> None:
    np = pytest.importorskip("numpy")
    record = plain({"n": np.int64(3), "x": np.float32(0.5), "nan": np.float32("nan")})
    assert record == {"n": 3, "x": 0.5, "nan": None}
    json.dumps(record)


@pytest.mark.parametrize(
    "call",
    [
        lambda: cell(True, "fr"),  # type: ignore[arg-type]
        lambda: cell({"a": True}, "ZH"),  # type: ignore[arg-type]
        lambda: plain(LeadStatus.ASSIGNED, "fr"),  # type: ignore[arg-type]
        lambda: enum_text(LeadStatus.ASSIGNED, "ZH"),  # type: ignore[arg-type]
    ],
)
def test_a_wrong_label_setting_in_cell_or_plain_is_refused(call: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.fields == ("labels",)


# --- the table helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: clean(5), "text"),  # type: ignore[arg-type]
        (lambda: text_width(None), "text"),  # type: ignore[arg-type]
        (lambda: fit(b"x", 3), "text"),  # type: ignore[arg-type]
        (lambda: fit("abc", True), "width"),
        (lambda: fit("abc", 0), "width"),
        (lambda: short("abc", 0), "width"),
        (lambda: short("abc", "3"), "width"),  # type: ignore[arg-type]
    ],
)
def test_the_table_helpers_name_what_is_not_text_or_a_width(call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.fields == (field,)


def test_the_table_helpers_still_cut_and_clean() -> None:
    assert fit("王王王", 5) == "王王…"
    assert fit("a\nb\x00\ud800", None) == "a↵b\\u0000\\ud800"
    assert short(5, 2) == "5"


# --- renamed values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("old_status", "no_such_status", "new"),
        ("assigned", "unassigned", "old"),
        (None, "assigned", "old"),
    ],
)
def test_a_rename_to_no_value_or_from_a_live_one_is_refused(old: Any, new: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        rename_value(LeadStatus, old, new)
    assert caught.value.fields == (field,)
    with pytest.raises(ValidationError):
        LeadStatus.parse("old_status")  # nothing was half-registered
