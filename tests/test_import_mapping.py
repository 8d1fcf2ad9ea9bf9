"""Importing without a desk: reading rows and CSV, mapping columns, converting cells, the report."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType
from leadcore.errors import FieldProblem, ValidationError
from leadcore.importing import ColumnMapping, ImportReport, RowResult, RowStatus, read_rows

FIELDS = CustomFieldSet(
    [
        CustomField("visit_on", FieldType.DATE),
        CustomField("vip", FieldType.BOOLEAN),
        CustomField("lines", FieldType.MULTI_CHOICE, options=("A", "B", "C")),
        CustomField("product_line", FieldType.TEXT),
    ]
)


def test_common_headers_are_recognised_without_a_mapping() -> None:
    row = {
        "姓名": " 张三 ",
        "手机号": 13800138000,
        "E-mail": "a@b.cn",
        "备注": "ignored",
        "公司": "",
    }
    converted = ColumnMapping().convert(row, FIELDS)
    assert converted.fields == {
        "contact_name": "张三",
        "phone": "13800138000",
        "email": "a@b.cn",
        "company": None,
    }
    assert converted.problems == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("5 March 2026", date(2026, 3, 5)),
    ],
)
def test_custom_dates_are_read_with_dateutil(text: str, expected: date) -> None:
    mapping = ColumnMapping({"到访日期": "custom_fields.visit_on"})
    assert mapping.convert({"到访日期": text}, FIELDS).custom == {"visit_on": expected}


def test_yes_no_and_choices_convert_and_bad_cells_are_named() -> None:
    mapping = ColumnMapping(
        {
            "VIP": "custom_fields.vip",
            "产品线": "custom_fields.lines",
            "到访": "custom_fields.visit_on",
        }
    )
    good = mapping.convert({"VIP": "是", "产品线": "A，B、C"}, FIELDS)
    assert good.custom == {"vip": True, "lines": ("A", "B", "C")}
    bad = mapping.convert({"VIP": "maybe", "到访": "next week", 3: "x"}, FIELDS)
    assert [p.field for p in bad.problems] == ["custom_fields.vip", "custom_fields.visit_on", "row"]


def test_a_bad_mapping_names_each_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        ColumnMapping({"手机": "mobile", "电话": "phone", "座机": "phone", "": "email"})
    fields = caught.value.fields
    assert "mapping['手机']" in fields and fields.count("mapping") == 2


def test_a_row_that_is_not_a_mapping_is_one_problem() -> None:
    assert ColumnMapping().convert(["张三"], FIELDS).problems == (
        FieldProblem("row", "must be a mapping of column to value, not list"),
    )


def test_csv_rows_are_numbered_like_the_file(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text('姓名,手机\n张三,13800138000\n\n"李,四",1390013\n', encoding="utf-8-sig")
    assert list(read_rows(path)) == [
        (2, {"姓名": "张三", "手机": "13800138000"}),
        (3, {}),
        (4, {"姓名": "李,四", "手机": "1390013"}),
    ]
    assert list(read_rows(io.StringIO("姓名\n王五\n"))) == [(2, {"姓名": "王五"})]
    assert list(read_rows([{"a": 1}, "junk"])) == [(1, {"a": 1}), (2, "junk")]


def test_unreadable_sources_say_what_would_be_right(tmp_path: Path) -> None:
    gbk = "姓名\n张三\n".encode("gbk")
    with pytest.raises(ValidationError, match="try encoding='gbk'"):
        list(read_rows(gbk))
    assert list(read_rows(gbk, encoding="gbk")) == [(2, {"姓名": "张三"})]
    for source, field in [("x.csv", "rows"), (tmp_path / "missing.csv", "rows"), (7, "rows")]:
        with pytest.raises(ValidationError) as caught:
            list(read_rows(source))
        assert caught.value.fields == (field,)
    with pytest.raises(ValidationError) as caught:
        list(read_rows([], encoding="latin-1"))
    assert caught.value.fields == ("encoding",)


def test_the_report_counts_and_exports_the_rows_to_fix() -> None:
    report = ImportReport(
        "east",
        (
            RowResult(2, RowStatus.CREATED, lead_id="L1"),
            RowResult(
                3,
                RowStatus.DUPLICATE,
                duplicate_of="L1",
                key="phone:+8613800138000",
                masked="138****8000",
                in_file_row=2,
                values={"手机": "138 0013 8000"},
            ),
            RowResult(
                4,
                RowStatus.REJECTED,
                problems=(FieldProblem("email", "bad"),),
                values={"邮箱": "x@"},
            ),
        ),
    )
    assert report.counts == {"rows_read": 3, "created": 1, "duplicates": 1, "rejected": 1}
    assert report.balanced and report.created_ids == ("L1",)
    lines = report.to_csv().splitlines()
    assert lines[0] == "手机,邮箱,row,status,duplicate_of,owner,key,in_file_row,errors"
    assert lines[1] == "138 0013 8000,,3,duplicate,L1,,phone:+8613800138000,2,"
    assert lines[2] == ",x@,4,rejected,,,,,email: bad"
    assert "row 3: duplicate of L1" in report.rows[1].describe()
