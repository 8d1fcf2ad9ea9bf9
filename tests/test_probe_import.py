"""Importing leads the way real files and hosts get it wrong: files in another encoding, rows
that do not line up with their header, a file without a header line, mappings naming fields
nobody declared, callbacks that raise, and the lead ids a refused or duplicate row must not
take."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from leadcore import LeadDesk, MemoryStore, ValidationError
from leadcore.clock import FixedClock
from leadcore.conversion import MemoryCustomerDirectory
from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType
from leadcore.dedup import DuplicateAction, DuplicatePolicy
from leadcore.errors import PermissionDenied
from leadcore.ids import counter_ids
from leadcore.importing import ImportReport, RowResult, RowStatus, read_rows, read_source
from leadcore.model import Pool
from leadcore.testing.world import ORG, T0, World, make_world

_REJECT = DuplicatePolicy(action=DuplicateAction.REJECT)
_TEXT = "姓名,手机,公司\n张三,13800138000,北京星河科技有限公司\n李四,13900139000,\n"


def _world(policy: DuplicatePolicy = _REJECT, **options: Any) -> World:
    return make_world(MemoryStore(), duplicates=policy, **options)


def _import(world: World, rows: object, **options: Any) -> ImportReport:
    return world.desk.import_leads("carol", "east", rows, **options)


class _Trickle(io.RawIOBase):
    """A binary file that gives at most ``size`` bytes a read, and refuses to be read whole
    (``read()`` or ``read(-1)``), as a stream too large to hold would be."""

    def __init__(self, data: bytes, size: int = 1) -> None:
        self._data = data
        self._at = 0
        self._size = size

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            raise AssertionError("the whole file was asked for")
        piece = self._data[self._at : self._at + min(n, self._size)]
        self._at += len(piece)
        return piece


# --- lead ids -------------------------------------------------------------------------------
def test_duplicate_rows_take_no_lead_id_so_a_restarted_desk_does_not_collide() -> None:
    store = MemoryStore()
    world = make_world(store, duplicates=_REJECT)
    rows = [{"姓名": "张三", "手机": "13800138000"}] * 4 + [{"姓名": "李四", "手机": "13900139000"}]
    report = _import(world, rows)
    assert report.created_ids == ("L1", "L2")
    assert world.desk.create("carol", "east", contact_name="王五", phone="13700137000").id == "L3"
    # A desk started again over the store resumes the counter past the ids in use: with no
    # gaps left by duplicates, it never lands on one of them.
    again = LeadDesk(store, FixedClock(T0), ORG, ids=counter_ids(), duplicates=_REJECT)
    made = [
        again.create("carol", "east", contact_name="赵六", phone=f"1360013600{i}").id
        for i in range(4)
    ]
    assert made == ["L4", "L5", "L6", "L7"]


def test_attached_and_customer_duplicates_take_no_lead_id() -> None:
    directory = MemoryCustomerDirectory()
    directory.add_customer("星河", phone="13600136000", owner_id="bob")
    world = _world(DuplicatePolicy(action=DuplicateAction.ATTACH), directory=directory)
    first = world.desk.create("carol", "east", contact_name="张三", phone="13800138000")
    rows = [
        {"姓名": "张三", "手机": "138 0013 8000"},
        {"姓名": "客户", "手机": "13600136000"},
        {"姓名": "李四", "手机": "13900139000"},
    ]
    report = _import(world, rows)
    assert [r.status for r in report.rows] == [RowStatus.DUPLICATE] * 2 + [RowStatus.CREATED]
    assert first.id == "L1" and report.created_ids == ("L2",)


def test_a_chunk_the_directory_fails_in_takes_no_lead_id() -> None:
    class Flaky(MemoryCustomerDirectory):
        calls = 0

        def find(self, keys: Any) -> Any:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("db down")
            return super().find(keys)

    world = _world(directory=Flaky())
    rows = [{"姓名": name, "手机": f"1380013800{i}"} for i, name in enumerate("甲乙丙")]
    report = _import(world, rows, chunk_size=2)
    assert [r.status for r in report.rows] == [RowStatus.FAILED] * 2 + [RowStatus.CREATED]
    assert report.created_ids == ("L1",)


def test_an_importer_refused_takes_no_lead_id() -> None:
    world = _world(DuplicatePolicy())
    locked = Pool(id="closed", name="closed", free_create=False, admins={"carol"})
    world.desk.create_pool("sysadmin", locked)
    rows = [{"姓名": f"客户{i}", "手机": f"1380013800{i}"} for i in range(5)]
    with pytest.raises(PermissionDenied):
        world.desk.import_leads("bob", "closed", rows)
    assert world.desk.create("carol", "east", contact_name="王五", phone="13700137000").id == "L1"


# --- duplicates within the file ----------------------------------------------------------
@pytest.mark.parametrize("action", [DuplicateAction.REJECT, DuplicateAction.ATTACH])
def test_a_row_repeating_a_customers_row_is_that_customers_duplicate(
    action: DuplicateAction,
) -> None:
    directory = MemoryCustomerDirectory()
    customer = directory.add_customer("星河", phone="13800138000", owner_id="bob")
    world = _world(DuplicatePolicy(action=action), directory=directory)
    rows = [{"姓名": "张三", "手机": "13800138000"}, {"姓名": "张三", "手机": "138 0013 8000"}]
    report = _import(world, rows)
    # The first row is not created, so the second cannot be a duplicate of it: both are the
    # customer's (before, the second named a lead that never existed, and under attach its
    # details were written to that lead's history).
    assert [r.duplicate_of for r in report.rows] == [f"customer {customer.id}"] * 2
    assert [r.in_file_row for r in report.rows] == [None, None]
    with world.store.unit_of_work() as uow:
        assert [e.lead_id for e in uow.events_since(0) if e.lead_id is not None] == []


# --- encodings ----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
@pytest.mark.parametrize("data", [_TEXT.encode(), _TEXT.encode("utf-8-sig")], ids=["plain", "bom"])
def test_a_utf8_file_read_as_gbk_is_refused_not_garbled(encoding: str, data: bytes) -> None:
    world = _world()
    with pytest.raises(ValidationError, match=r"is UTF-8, not gb.*pass encoding='utf-8'") as caught:
        _import(world, data, encoding=encoding)
    assert caught.value.fields == ("encoding",)
    assert _import(world, data).counts["created"] == 2


def test_a_gbk_file_with_ascii_only_or_read_right_is_not_mistaken_for_utf8() -> None:
    world = _world()
    assert _import(world, _TEXT.encode("gbk"), encoding="gbk").counts["created"] == 2
    ascii_only = b"name,phone\nZhang,13700137000\n"
    assert _import(world, ascii_only, encoding="gb18030").counts["created"] == 1


def test_a_utf16_file_is_named_as_such() -> None:
    with pytest.raises(ValidationError, match="the file is UTF-16") as caught:
        _import(_world(), _TEXT.encode("utf-16"))
    assert caught.value.fields == ("encoding",)


def test_a_byte_that_cannot_be_read_is_named_with_its_line() -> None:
    data = _TEXT.encode() + "王五,13700137000,".encode() + "星河".encode("gbk") + b"\n"
    with pytest.raises(
        ValidationError, match=r"not utf-8: byte \d+ \(line 4\).*try encoding='gbk'"
    ):
        list(read_rows(data))
    # The same when the bad byte is far into the file, past many blocks read.
    long = _TEXT.encode() + b"x,13800138000,\n" * 20_000 + b"\xff\n"
    with pytest.raises(ValidationError, match=r"\(line 20004\)"):
        read_source(long)
    with pytest.raises(ValidationError, match="try encoding='gb18030'"):
        list(read_rows("姓名\n王五😀\n".encode("gb18030"), encoding="gbk"))
    assert list(read_rows("姓名\n王五😀\n".encode("gb18030"), encoding="gb18030")) == [
        (2, {"姓名": "王五😀"})
    ]


# --- reading as a stream ------------------------------------------------------------------
def test_a_file_is_read_in_blocks_never_whole_and_reads_as_the_bytes_do() -> None:
    text = (
        "\ufeff姓名,手机,备注\r\n"
        '张三,13800138000,"多\r\n行"\n'
        "李四,13900139000,x\r"
        "王五,13700137000,\r\n"
        "\n"
        '赵六,13600136000,"a\rb"\r'
    )
    data = text.encode()
    expected = list(read_rows(data))
    assert [n for n, _ in expected] == [2, 4, 5, 6, 7]
    assert expected[1] == (4, {"姓名": "李四", "手机": "13900139000", "备注": "x"})
    for size in (1, 2, 3, 7):
        assert list(read_rows(_Trickle(data, size))) == expected
        assert list(read_rows(_Trickle(text.encode("gbk", "ignore"), size), encoding="gbk"))
    report = _import(_world(), _Trickle(data, 5))
    assert report.counts == {
        "rows_read": 5,
        "created": 4,
        "duplicates": 0,
        "rejected": 1,
        "failed": 0,
    }


def test_a_text_file_is_read_in_blocks_too() -> None:
    class Text(io.StringIO):
        def read(self, n: int | None = -1) -> str:
            if n is None or n < 0:
                raise AssertionError("the whole file was asked for")
            return super().read(min(n, 3))

    rows = list(read_rows(Text("\ufeff姓名,手机\r\n张三,13800138000\r\n")))
    assert rows == [(2, {"姓名": "张三", "手机": "13800138000"})]


def test_a_row_spanning_lines_has_the_number_of_its_first() -> None:
    data = '姓名,备注\n张三,"一\n二\n三"\n李四,x\n'.encode()
    assert [n for n, _ in read_rows(data)] == [2, 5]


def test_a_file_with_a_read_that_is_not_a_method_is_refused() -> None:
    class Odd:
        read = "not a method"

    with pytest.raises(ValidationError) as caught:
        _import(_world(), Odd())
    assert caught.value.fields == ("rows",)


# --- rows and headers ---------------------------------------------------------------------
def test_a_row_with_more_filled_cells_than_the_header_is_rejected_not_cut() -> None:
    world = _world()
    data = "姓名,手机\n张三,13800138000,北京\n李四,13900139000,\n".encode()
    report = _import(world, data)
    long, fine = report.rows
    assert long.status is RowStatus.REJECTED
    assert "has 3 cells but the header has 2 columns" in long.describe()
    assert long.values == {"姓名": "张三", "手机": "13800138000", "column 3": "北京"}
    assert fine.status is RowStatus.CREATED  # a blank cell past the header is no harm
    assert "张三,13800138000,北京,2,rejected" in report.to_csv()


def test_a_byte_order_mark_left_in_a_header_does_not_hide_its_column() -> None:
    world = _world()
    report = _import(world, "\ufeff\ufeff姓名,手机\n张三,13800138000\n".encode())
    [row] = report.rows
    assert world.desk.get("carol", str(row.lead_id)).contact_name == "张三"
    # Rows a host split itself, keeping the mark on its first key, read the same.
    report = _import(world, [{"\ufeff姓名": "李四", "手机": "13900139000"}])
    assert world.desk.get("carol", report.created_ids[0]).contact_name == "李四"


@pytest.mark.parametrize(
    "data",
    [
        "张三,13800138000\n李四,13900139000\n".encode(),  # no header line
        b"/tmp/leads.csv",  # a path given as bytes is read as the file's text
    ],
    ids=["no header line", "a path as bytes"],
)
def test_a_header_with_no_column_recognised_is_refused_before_any_row(data: bytes) -> None:
    world = _world()
    before = world.store.snapshot()
    with pytest.raises(ValidationError, match="none of the header's columns") as caught:
        _import(world, data)
    assert caught.value.fields == ("rows",)
    assert world.store.snapshot() == before


def test_a_mapping_to_an_undeclared_custom_field_is_refused_before_any_row() -> None:
    fields = CustomFieldSet([CustomField("product_line", FieldType.TEXT)])
    world = _world(custom_fields=fields)
    with pytest.raises(ValidationError) as caught:
        _import(
            world,
            [{"姓名": "张三", "手机": "13800138000", "产品": "A"}],
            mapping={"姓名": "contact_name", "手机": "phone", "产品": "custom_fields.product"},
        )
    [problem] = caught.value.problems
    assert problem.field == "mapping['产品']"
    assert "'custom_fields.product' is not a declared custom field (product_line)" in str(problem)


def test_a_negative_number_is_not_a_phone() -> None:
    report = _import(_world(), [{"姓名": "张三", "手机": -13800138000}])
    [row] = report.rows
    assert row.status is RowStatus.REJECTED
    assert row.problems[0].field == "phone" and "negative" in row.problems[0].reason


# --- progress and the report --------------------------------------------------------------
def test_a_progress_callback_that_raises_stops_the_import_saying_what_landed() -> None:
    world = _world()

    def stop(progress: Any) -> None:
        raise RuntimeError("cancelled")

    rows = [{"姓名": f"客户{i}", "手机": f"1380013800{i}"} for i in range(4)]
    with pytest.raises(RuntimeError, match="cancelled") as caught:
        _import(world, rows, chunk_size=2, progress=stop)
    [note] = caught.value.__notes__
    assert "after 2 rows of the import, which stay imported (2 created" in note
    assert len(world.desk.get_many("carol", ["L1", "L2", "L3"])) == 2


def test_the_fix_file_writes_dates_and_decimals_as_they_read_back() -> None:
    report = ImportReport(
        "east",
        (
            RowResult(
                1,
                RowStatus.REJECTED,
                values={"到访": date(2026, 3, 5), "预算": Decimal("1200.50"), "n": 3},
            ),
        ),
    )
    assert report.to_csv().splitlines()[1].startswith("2026-03-05,1200.50,3,1,rejected")


def test_the_fix_file_gives_back_every_rejected_cell_as_read(tmp_path: Path) -> None:
    text = (
        "姓名,手机,公司,status,备注\n"
        '"=HYPERLINK(""http://x"",""y"")",12345,"+cmd|\' /C calc\'!A0",,@SUM(1)\n'
        '李四,1390013,"多\n行",s, 带空格 \n'
        "王五,13700137000,星河科技,,-1\n"
    )
    world = _world()
    report = _import(world, text.encode())
    path = tmp_path / "fix.csv"
    report.to_csv(path)
    original: dict[int, Any] = dict(read_rows(text.encode()))
    back: list[tuple[int, Any]] = list(read_rows(path))
    assert [row["row"] for _, row in back] == ["2", "3"]
    assert [row["import_status"] for _, row in back] == ["rejected"] * 2
    for _, row in back:
        given = original[int(row["row"])]
        assert {column: row[column] for column in given} == given
    # The fix file imports again as the same rows (its own columns are not lead fields).
    again = _import(world, path)
    assert [r.status for r in again.rows] == [RowStatus.REJECTED] * 2


def test_rows_from_a_generator_reusing_one_dict_keep_what_each_held() -> None:
    def rows() -> Any:
        row: dict[str, str] = {}
        for i in range(3):
            row["姓名"], row["手机"] = f"客户{i}", f"1380013800{i}"
            yield row

    world = _world()
    report = _import(world, rows())
    names = [world.desk.get("carol", i).contact_name for i in report.created_ids]
    assert names == ["客户0", "客户1", "客户2"]


@pytest.mark.parametrize("mode", ["r", "rb", "closed"])
def test_the_fix_file_refuses_a_file_it_cannot_write(tmp_path: Path, mode: str) -> None:
    report = ImportReport("east", (RowResult(2, RowStatus.REJECTED, values={"a": "b"}),))
    path = tmp_path / "fix.csv"
    path.write_text("")
    if mode == "closed":
        target: Any = io.StringIO()
        target.close()
    else:
        target = open(path, mode)  # noqa: SIM115 - closed below
    try:
        with pytest.raises(ValidationError, match="cannot write to the file") as caught:
            report.to_csv(target)
    finally:
        target.close()
    assert caught.value.fields == ("target",)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (
            '姓名,手机\n"张三,13800138000\n李四,13900139000\n',
            r"at line 3 \(in the row from line 2\): a quote \(\"\) opened .* is never closed",
        ),
        ('姓名,手机\n"张"三,13800138000\n', "at line 2: text follows a closing quote"),
    ],
    ids=["never closed", "text after the closing quote"],
)
def test_a_csv_with_broken_quotes_is_refused_before_any_row(data: str, said: str) -> None:
    # Read leniently, a quote never closed took every later row into one cell, unseen.
    world = _world()
    before = world.store.snapshot()
    with pytest.raises(ValidationError, match=said) as caught:
        _import(world, data.encode())
    assert caught.value.fields == ("rows",)
    assert world.store.snapshot() == before


def test_a_cell_that_cannot_be_converted_is_not_also_called_missing() -> None:
    rows = [
        {"姓名": "张" * 100_001, "手机": "13800138000"},
        {"姓名": "李四", "手机": 10**40},
    ]
    report = _import(_world(), rows)
    assert [[p.field for p in r.problems] for r in report.rows] == [["contact_name"], ["phone"]]


def test_a_header_too_long_to_show_is_cut_in_the_message() -> None:
    with pytest.raises(ValidationError) as caught:
        _import(_world(), ("x" * 100_000 + ",y\n1,2\n").encode())
    assert len(str(caught.value)) < 1_000


def test_a_text_file_opened_in_the_wrong_encoding_says_how_to_open_it(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(_TEXT.encode("gbk"))
    with open(path, encoding="utf-8") as handle, pytest.raises(ValidationError) as caught:
        _import(_world(), handle)
    assert caught.value.fields == ("encoding",)
    assert "open it in binary ('rb') and pass encoding=" in str(caught.value)
    with open(path, "rb") as handle:
        assert _import(_world(), handle, encoding="gbk").counts["created"] == 2
