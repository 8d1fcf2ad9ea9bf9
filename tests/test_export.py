"""Export: records with stable keys from every result, labels by a setting, DataFrames when
pandas is there and a named error when it is not."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

import leadcore
from leadcore import (
    LeadcoreError,
    LeadStatus,
    MemoryStore,
    MissingExtra,
    Money,
    ScoreModel,
    ValidationError,
)
from leadcore.desk import FollowUps, History
from leadcore.desk.results import OUTCOME_COLUMNS, STATUS_COUNT_COLUMNS
from leadcore.export import (
    EVENT_COLUMNS,
    FOLLOW_UP_COLUMNS,
    LEAD_COLUMNS,
    Column,
    Columns,
    Exportable,
    Labels,
    get_labels,
    set_labels,
)
from leadcore.scoring.explain import PART_COLUMNS
from leadcore.testing.world import World, make_world, new_lead

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
def labels_restored() -> Iterator[None]:
    """Put the default label setting back after the test."""
    before = get_labels()
    yield
    set_labels(before)


def busy_world() -> World:
    """Two leads in east: L1 assigned to bob and followed up, L2 unassigned."""
    world = make_world(MemoryStore())
    new_lead(world, company="星河科技", budget=Money("50000.00"))
    world.desk.assign("carol", "L1", "bob")
    world.clock.advance(hours=1)
    world.desk.follow_up(
        "bob",
        "L1",
        method="电话",
        content="确认采购需求",
        result="需要报价",
        next_follow_up_at=world.clock.now() + timedelta(days=2),
    )
    new_lead(world, contact_name="Anna Lee", phone="13900139000")
    return world


@pytest.mark.parametrize(
    "columns",
    [
        LEAD_COLUMNS,
        EVENT_COLUMNS,
        FOLLOW_UP_COLUMNS,
        OUTCOME_COLUMNS,
        STATUS_COUNT_COLUMNS,
        PART_COLUMNS,
    ],
)
def test_every_column_is_documented_on_the_export_page(columns: Columns) -> None:
    page = (DOCS / "export.md").read_text(encoding="utf-8")
    missing = [key for key in columns.keys if f"`{key}`" not in page]
    assert not missing, f"docs/export.md does not list {missing}"


def test_a_page_exports_a_record_per_lead_with_the_lead_columns() -> None:
    world = busy_world()
    page = world.desk.leads("carol", view="pool", pool_id="east")
    records = page.to_records()
    assert [r["id"] for r in records] == page.ids
    assert all(tuple(r) == LEAD_COLUMNS.keys for r in records)
    first = next(r for r in records if r["id"] == "L1")
    assert first["status"] == "following" and first["owner_id"] == "bob"
    assert (first["budget_amount"], first["budget_currency"]) == ("50000.00", "CNY")
    assert first["created_at"] == "2026-03-02T09:00:00+00:00"
    assert first["collaborators"] == [] and first["custom_fields"] == {}
    assert json.loads(json.dumps(records)) == records


def test_labels_choose_values_chinese_or_english() -> None:
    world = busy_world()
    lead = world.desk.get("bob", "L1")
    assert [lead.to_record(labels)["status"] for labels in ("value", "zh", "en")] == [
        "following",
        "跟进中",
        "Following up",
    ]
    assert lead.to_record("zh").keys() == lead.to_record("en").keys(), "keys never change"


def test_the_default_label_setting_applies_where_none_is_given(labels_restored: None) -> None:
    world = busy_world()
    history = world.desk.history("bob", "L1")
    assert get_labels() == "value"
    leadcore.set_labels("zh")
    assert history.to_records()[0]["kind"] == "新建线索"
    assert "事件" in str(history) and "新建线索" in str(history)
    assert history.to_records("value")[0]["kind"] == "lead_created", "a call's own labels win"


@pytest.mark.parametrize("bad", ["fr", "ZH", "", None, 3])
def test_a_bad_label_setting_names_the_allowed_values(bad: object, labels_restored: None) -> None:
    with pytest.raises(ValidationError, match="value, zh, en") as e:
        set_labels(bad)  # type: ignore[arg-type]
    assert e.value.fields == ("labels",)
    with pytest.raises(ValidationError, match="value, zh, en"):
        busy_world().desk.get("bob", "L1").to_record("fr")  # type: ignore[arg-type]
    assert get_labels() == "value", "a refused setting changes nothing"


@pytest.mark.parametrize(
    ("junk", "field"),
    [
        (["L1"], "items[0]"),
        ([None], "items[0]"),
        (None, "items"),
        ("L1", "items"),
        (b"L1", "items"),
        ({"id": "L1"}, "items"),
        (5, "items"),
    ],
)
def test_the_lead_columns_take_only_leads(junk: object, field: str) -> None:
    lead = busy_world().desk.get("bob", "L1")
    exports: list[Callable[[Any], object]] = [
        LEAD_COLUMNS.records,
        LEAD_COLUMNS.table,
        LEAD_COLUMNS.html,
    ]
    for export in exports:
        with pytest.raises(ValidationError, match="Lead") as e:
            export(junk)
        assert e.value.fields == (field,)
    with pytest.raises(ValidationError, match="Lead"):
        LEAD_COLUMNS.records([lead, "L2"])
    assert LEAD_COLUMNS.records((lead,)) == [lead.to_record()]


def test_columns_name_a_few_wrong_items_and_count_the_rest() -> None:
    with pytest.raises(ValidationError) as e:
        EVENT_COLUMNS.records(range(12))
    assert e.value.fields == (*(f"items[{i}]" for i in range(5)), "items")
    assert "and 7 more" in str(e.value) and "Event" in str(e.value)
    with pytest.raises(ValidationError, match="FollowUp") as one:
        FOLLOW_UP_COLUMNS.record(None)
    assert one.value.fields == ("item",)
    with pytest.raises(ValidationError, match="not NoneType"):
        OUTCOME_COLUMNS.records(None)  # type: ignore[arg-type]


def test_history_is_a_list_of_events_that_exports() -> None:
    world = busy_world()
    history = world.desk.history("bob", "L1")
    events = list(history)
    assert isinstance(history, History) and history.lead_id == "L1"
    assert history == events and events == history and history == tuple(events)
    assert history[-1] is events[-1] and len(history) == len(events) == 3
    assert history[1:] == events[1:] and isinstance(history[1:], History)
    assert [e.kind.value for e in history] == ["lead_created", "assigned", "followed_up"]
    assert history.index(events[1]) == 1 and events[0] in history
    with pytest.raises(TypeError):
        hash(history)
    records = history.to_records()
    assert [tuple(r) for r in records] == [EVENT_COLUMNS.keys] * 3
    assigned = records[1]
    assert assigned["actor_id"] == "carol" and assigned["kind"] == "assigned"
    listed = assigned["changes"]
    assert isinstance(listed, list) and all(isinstance(c, dict) for c in listed)
    changes = {c["field"]: (c["before"], c["after"]) for c in listed if isinstance(c, dict)}
    assert changes["status"] == ("unassigned", "assigned")
    assert changes["owner_id"] == (None, "bob")
    json.dumps(records)


def test_follow_ups_are_a_list_that_exports() -> None:
    world = busy_world()
    follow_ups = world.desk.follow_ups("bob", "L1")
    assert isinstance(follow_ups, FollowUps) and len(follow_ups) == 1
    assert follow_ups == [follow_ups[0]]
    (record,) = follow_ups.to_records("zh")
    assert tuple(record) == FOLLOW_UP_COLUMNS.keys
    assert (record["method"], record["content"], record["author_id"]) == (
        "电话",
        "确认采购需求",
        "bob",
    )
    assert record["next_follow_up_at"] == "2026-03-04T10:00:00+00:00"
    assert follow_ups[0].to_record() == follow_ups.to_records()[0]


def test_a_batch_exports_a_record_per_lead_asked() -> None:
    world = busy_world()
    result = world.desk.batch_assign("carol", ["L2", "L9"], "dave")
    records = result.to_records()
    assert [tuple(r) for r in records] == [OUTCOME_COLUMNS.keys] * 2
    assert records[0] == {
        "lead_id": "L2",
        "ok": True,
        "status": "assigned",
        "owner_id": "dave",
        "version": 2,
        "error_type": None,
        "error": None,
    }
    assert records[1]["ok"] is False and records[1]["error_type"] == "NotFound"
    assert records[1]["error"] == "lead 'L9' not found"


def test_a_pool_summary_exports_a_record_per_status() -> None:
    world = busy_world()
    records = world.desk.pool_summary("carol", "east").to_records("en")
    assert [r["status"] for r in records] == [s.label_en for s in LeadStatus]
    counts = {r["status"]: r["count"] for r in records}
    assert counts["Following up"] == 1 and counts["Unassigned"] == 1
    assert {r["pool_name"] for r in records} == {"华东线索池"}


SCORE_MODEL = {
    "dimensions": [
        {"name": "行业 industry", "field": "industry", "weight": 1.0, "values": {"SaaS": 10}},
    ],
    "behaviour": [{"kind": "email_open", "points": 3, "cap": 6}],
}


def test_a_score_exports_a_record_per_rule() -> None:
    world = make_world(MemoryStore(), scorer=ScoreModel.from_dict(SCORE_MODEL).compile())
    lead_id = new_lead(world, industry="SaaS")
    world.desk.assign("carol", lead_id, "bob")
    world.desk.record_activity("bob", lead_id, "email_open")
    score = world.desk.score("bob", lead_id)
    records = score.to_records()
    assert records == score.breakdown.to_records()
    assert [(r["section"], r["rule"], r["points"]) for r in records] == [
        ("profile", "行业 industry", 10.0),
        ("behaviour", "email_open", 3.0),
    ]
    assert tuple(records[0]) == PART_COLUMNS.keys
    assert records[0]["calculation"] == "10 × 100%"
    assert [r["section"] for r in score.to_records("zh")] == ["画像", "行为"]


def test_importing_leadcore_never_imports_pandas() -> None:
    code = "import sys, leadcore, leadcore.export; assert 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_pandas_to_dataframe_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    page = busy_world().desk.leads("carol", view="pool", pool_id="east")
    with pytest.raises(MissingExtra) as e:
        page.to_dataframe()
    assert isinstance(e.value, LeadcoreError) and isinstance(e.value, ImportError)
    assert e.value.extra == "pandas" and "pip install 'leadcore[pandas]'" in str(e.value)


def test_a_dataframe_has_the_record_columns_times_and_exact_amounts() -> None:
    pd = pytest.importorskip("pandas")
    from decimal import Decimal

    page = busy_world().desk.leads("carol", view="pool", pool_id="east")
    frame = page.to_dataframe()
    assert tuple(frame.columns) == LEAD_COLUMNS.keys and len(frame) == 2
    assert str(frame["created_at"].dtype).startswith("datetime64")
    assert frame["created_at"].dt.tz is not None
    l1 = frame.set_index("id").loc["L1"]
    assert l1["budget_amount"] == Decimal("50000.00") and l1["status"] == "following"
    titled = page.to_dataframe("zh", titles=True)
    assert list(titled.columns[:4]) == ["线索编号", "线索池", "状态", "联系人"]
    assert set(titled["状态"]) == {"跟进中", "未分配"}
    empty = busy_world().desk.leads("mia", view="mine").to_dataframe()
    assert tuple(empty.columns) == LEAD_COLUMNS.keys and len(empty) == 0
    assert isinstance(frame, pd.DataFrame)


@attrs.frozen
class SweepLine:
    """A stand-in for a later result's row (say, one lead a sweep recycled)."""

    lead_id: str
    status: LeadStatus
    hours_idle: float


@attrs.frozen
class SweepReport(Exportable):
    """A stand-in for a later result: it declares its columns and iterates its rows."""

    _export: ClassVar[Columns] = Columns(
        (
            Column("lead_id", "线索编号", "Lead"),
            Column("status", "状态", "Status"),
            Column("hours_idle", "未跟进(小时)", "Hours idle", kind="number"),
        )
    )
    lines: tuple[SweepLine, ...]

    def __iter__(self) -> Iterator[SweepLine]:
        return iter(self.lines)

    def _export_summary(self, labels: Labels) -> str:
        return f"{len(self.lines)} recycled"


def test_a_new_result_type_plugs_in_with_its_columns() -> None:
    report = SweepReport((SweepLine("L1", LeadStatus.UNASSIGNED, 72.5),))
    assert report.to_records("zh") == [{"lead_id": "L1", "status": "未分配", "hours_idle": 72.5}]
    assert report.table("en").splitlines() == [
        "Lead  Status      Hours idle",
        "----  ----------  ----------",
        "L1    Unassigned        72.5",
        "----  ----------  ----------",
        "1 recycled",
    ]
    assert "<td>L1</td>" in report._repr_html_()


def test_a_columns_declaration_refuses_repeated_or_unknown_keys() -> None:
    with pytest.raises(ValueError, match="repeat"):
        Columns((Column("a", "甲", "A"), Column("a", "甲", "A")))
    with pytest.raises(ValueError, match="unknown"):
        Columns((Column("a", "甲", "A"),), brief=("b",))
