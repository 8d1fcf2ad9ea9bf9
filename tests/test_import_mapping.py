"""Importing without a desk: reading rows and CSV, mapping columns, converting cells, the report."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType
from leadcore.errors import FieldProblem, ValidationError
from leadcore.importing import (
    ColumnMapping,
    ImportReport,
    RowResult,
    RowStatus,
    Source,
    read_rows,
    read_source,
)

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


@pytest.mark.parametrize("text", ["2026", "5", "March", "Mon", "2026-03", "March 2026"])
def test_a_date_missing_its_year_month_or_day_is_a_problem_not_todays_date(text: str) -> None:
    mapping = ColumnMapping({"到访日期": "custom_fields.visit_on"})
    converted = mapping.convert({"到访日期": text}, FIELDS)
    assert converted.custom == {}
    assert [p.field for p in converted.problems] == ["custom_fields.visit_on"]
    assert "whole date" in converted.problems[0].reason


def test_a_number_too_long_for_a_phone_is_a_problem_of_the_cell() -> None:
    converted = ColumnMapping().convert({"手机": 10**5000, "微信": -(10**40)}, FIELDS)
    assert [p.field for p in converted.problems] == ["phone", "wechat"]


def test_a_report_is_written_to_a_path_text_or_binary_file(tmp_path: Path) -> None:
    report = ImportReport("east", (RowResult(2, RowStatus.REJECTED, values={"姓名": "乙"}),))
    text = report.to_csv()
    binary = io.BytesIO()
    report.to_csv(binary)
    assert binary.getvalue() == text.encode("utf-8-sig")
    report.to_csv(str(tmp_path / "fix.csv"))
    assert (tmp_path / "fix.csv").read_bytes() == binary.getvalue()
    with pytest.raises(ValidationError, match="target"):
        report.to_csv(5)  # type: ignore[arg-type]


def test_csv_bytes_are_read_from_a_memoryview_too() -> None:
    data = "姓名,手机\n张三,13900139000\n".encode()
    assert list(read_rows(memoryview(data))) == list(read_rows(data))
    assert len(list(read_rows(data))) == 1


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
    assert report.counts == {
        "rows_read": 3,
        "created": 1,
        "duplicates": 1,
        "rejected": 1,
        "failed": 0,
    }
    assert report.balanced and report.created_ids == ("L1",)
    lines = report.to_csv().splitlines()
    assert lines[0] == "手机,邮箱,row,status,duplicate_of,owner,key,in_file_row,errors"
    assert lines[1] == "138 0013 8000,,3,duplicate,L1,,phone:+8613800138000,2,"
    assert lines[2] == ",x@,4,rejected,,,,,email: bad"
    assert "row 3: duplicate of L1" in report.rows[1].describe()


def test_a_mapping_compares_headers_trimmed_and_refuses_two_that_trim_alike() -> None:
    mapping = ColumnMapping({" 手机": "phone", "姓名": "contact_name"})
    assert mapping.target("手机 ") == "phone" and mapping.target(" 姓名 ") == "contact_name"
    assert mapping.convert({" 手机 ": "13800138000"}, FIELDS).fields == {"phone": "13800138000"}
    with pytest.raises(ValidationError) as caught:
        ColumnMapping({"a": "phone", "a ": "email"})
    assert caught.value.fields == ("mapping['a ']",)
    assert "same column as 'a' once trimmed" in str(caught.value)


def test_two_columns_filling_one_field_are_a_problem_of_the_row() -> None:
    converted = ColumnMapping().convert({"phone": "13700137000", "手机": ""}, FIELDS)
    assert converted.problems == (
        FieldProblem("phone", "columns 'phone' and '手机' both fill it; keep one"),
    )
    assert ColumnMapping().clashes(["姓名", "name", "手机"]) == {"contact_name": ["姓名", "name"]}
    mapping = ColumnMapping({"手机": "phone"})
    assert [p.field for p in mapping.missing(["手几", "姓名"])] == ["mapping['手机']"]
    assert mapping.missing([" 手机 "]) == []


def test_a_csv_header_names_each_column_once() -> None:
    with pytest.raises(ValidationError, match=r"names column '手机' twice \(columns 2 and 3\)"):
        list(read_rows("姓名,手机, 手机\n张三,1,2\n".encode()))
    assert list(read_rows("姓名,,\n张三,a,b\n".encode())) == [
        (2, {"姓名": "张三", "column 2": "a", "column 3": "b"})
    ]
    source = read_source("姓名 ,手机\n张三,13800138000\n".encode())
    assert source.header == ("姓名", "手机") and source.rows == (
        (2, {"姓名": "张三", "手机": "13800138000"}),
    )
    assert read_source([{"a": 1}]) == Source(None, ((1, {"a": 1}),))
    assert read_source(b"") == Source(None, ())


def test_the_fix_file_keeps_every_column_and_can_be_written_whatever_the_header() -> None:
    rejected = (FieldProblem("phone", "bad"),)
    report = ImportReport(
        "east",
        (
            RowResult(
                2,
                RowStatus.REJECTED,
                problems=rejected,
                values={"姓名": "吴", "status": "VIP", "import_status": "x", "\ud800": "s"},
            ),
            RowResult(
                3,
                RowStatus.FAILED,
                problems=(FieldProblem("directory", "not imported"),),
                values={"\udfff": "t", "errors": 10**5000},
            ),
        ),
    )
    lines = report.to_csv().splitlines()
    assert lines[0] == (
        "姓名,status,import_status,?,? (2),errors,"
        "row,import_import_status,duplicate_of,owner,key,in_file_row,import_errors"
    )
    assert lines[1] == "吴,VIP,x,s,,,2,rejected,,,,,phone: bad"
    assert lines[2] == ",,,,t,<int>,3,failed,,,,,directory: not imported"
    assert report.balanced and report.counts["failed"] == 1
    assert report.rows[1].describe() == "row 3: failed: directory: not imported"
