"""Readable objects: short reprs, terminal tables aligned for CJK text, notebook tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadcore import Event, EventKind, Lead, LeadStatus, MemoryStore, Money, Page, set_labels
from leadcore.desk import BatchResult, History, LeadOutcome
from leadcore.errors import NotFound
from leadcore.export import get_labels
from leadcore.scoring import explain
from leadcore.table import clean, fit, render_html_table, render_table, text_width
from leadcore.testing.world import make_world, new_lead

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def labels_restored() -> Iterator[None]:
    """Put the default label setting back after the test."""
    before = get_labels()
    yield
    set_labels(before)


def lead(lead_id: str = "L1", **fields: object) -> Lead:
    values: dict[str, object] = {
        "contact_name": "王磊",
        "company": "星河科技",
        "status": LeadStatus.ASSIGNED,
        "owner_id": "bob",
        **fields,
    }
    return Lead(id=lead_id, pool_id="east", created_by="alice", created_at=T0, **values)  # type: ignore[arg-type]


def test_a_leads_repr_names_id_contact_company_status_and_owner() -> None:
    assert repr(lead()) == "<Lead L1 王磊 · 星河科技 · assigned (待跟进) · owner bob>"
    assert str(lead()) == repr(lead())
    unassigned = lead(status=LeadStatus.UNASSIGNED, owner_id=None, company="")
    assert repr(unassigned) == "<Lead L1 王磊 · unassigned (未分配)>"


def test_a_long_or_broken_name_is_cut_to_one_line() -> None:
    shown = repr(lead(contact_name="王" * 40, company="Acme\nLtd"))
    assert shown == "<Lead L1 王王王王王王王… · Acme↵Ltd · assigned (待跟进) · owner bob>"


def test_a_repr_does_not_change_equality() -> None:
    assert lead() == lead() and lead() != lead(company="Acme")


def test_an_events_repr_names_position_kind_lead_actor_and_time() -> None:
    event = Event(EventKind.ASSIGNED, T0, "carol", lead_id="L1", pool_id="east", position=7)
    assert repr(event) == "<Event #7 assigned (分配) · lead L1 · by carol · 2026-03-02 09:00>"
    pool_event = Event(EventKind.POOL_CREATED, T0, "root", pool_id="east")
    assert (
        repr(pool_event)
        == "<Event pool_created (新建线索池) · pool east · by root · 2026-03-02 09:00>"
    )


def test_a_pages_repr_lists_a_few_ids() -> None:
    leads = tuple(lead(f"L{i}") for i in range(1, 8))
    assert repr(Page(leads, "c1")) == "<Page 7 leads: L1, L2, L3, L4, L5, … · more>"
    assert repr(Page(leads[:1], None)) == "<Page 1 lead: L1 · last page>"
    assert repr(Page((), None)) == "<Page 0 leads · last page>"


def test_a_batchs_repr_says_what_failed() -> None:
    result = BatchResult(
        (LeadOutcome("L1", lead()), LeadOutcome("L2", error=NotFound("lead", "L2")))
    )
    assert repr(result) == "<BatchResult 1 of 2 succeeded · failed: L2>"
    assert str(result) == "1 of 2 succeeded\n  L2: lead 'L2' not found"


def test_a_page_prints_as_a_table_with_cjk_aligned() -> None:
    page = Page(
        (lead(), lead("L2", contact_name="Ann Lee", company="Acme", score=7.256, grade="B")),
        None,
    )
    assert str(page).splitlines() == [
        "id  contact_name  company   status    owner_id  grade  score  next_due_at",
        "--  ------------  --------  --------  --------  -----  -----  -----------",
        "L1  王磊          星河科技  assigned  bob",
        "L2  Ann Lee       Acme      assigned  bob       B       7.26",
        "--  ------------  --------  --------  --------  -----  -----  -----------",
        "2 leads; last page",
    ]


def test_tables_follow_the_label_setting(labels_restored: None) -> None:
    set_labels("zh")
    assert str(Page((lead(),), "next")).splitlines() == [
        "线索编号  联系人  公司      状态    负责人  等级  评分  下次跟进",
        "--------  ------  --------  ------  ------  ----  ----  --------",
        "L1        王磊    星河科技  待跟进  bob",
        "--------  ------  --------  ------  ------  ----  ----  --------",
        "1 条线索；还有下一页",
    ]
    set_labels("en")
    assert (
        str(Page((lead(),), None))
        .splitlines()[2]
        .startswith("L1    王磊     星河科技  To follow up")
    )


def test_a_history_prints_as_a_table_and_reprs_short() -> None:
    world = make_world(MemoryStore())
    lead_id = new_lead(world, company="星河科技", budget=Money("50000"))
    world.desk.assign("carol", lead_id, "bob")
    history = world.desk.history("bob", lead_id)
    assert repr(history) == "<History of lead L1: 2 events>"
    lines = str(history).splitlines()
    assert lines[0].split() == ["position", "at", "kind", "actor_id", "changes", "reason"]
    assert lines[2].split()[3:5] == ["lead_created", "bob"]
    assert "status: unassigned → assigned" in lines[3]
    assert lines[-1] == "2 events of lead L1"
    assert repr(world.desk.follow_ups("bob", lead_id)) == "<FollowUps of lead L1: 0 follow-ups>"


def test_a_newline_in_a_cell_keeps_the_table_whole() -> None:
    table = render_table(("名字", "n"), [["第一行\n第二行", "1"], ["ok", "22"]])
    assert table.splitlines() == [
        "名字            n",
        "-------------  --",
        "第一行↵第二行   1",
        "ok             22",
        "-------------  --",
    ]


def test_render_table_is_the_one_renderer() -> None:
    assert explain.render_table is render_table
    assert render_table(("a", "b"), [["x", "1"]], right=0) == "a  b\n-  -\nx  1\n-  -"
    assert render_table(("a", "b"), [["10", "x"]], right=[0]).splitlines()[2] == "10  x"


def test_cleaning_escapes_what_a_terminal_would_act_on() -> None:
    assert clean("a\r\nb\tc") == "a↵b c"
    assert clean("x\u202ey") == "x\\u202ey" and clean("\x1b[31m") == "\\u001b[31m"
    assert clean("\ud800") == "\\ud800" and clean("王磊") == "王磊"


def test_fit_cuts_by_display_width() -> None:
    assert fit("王磊王磊", 5) == "王磊…" and text_width(fit("王磊王磊", 5)) == 5
    assert fit("abc", 3) == "abc" and fit("abcd", 3) == "ab…"
    assert text_width("e\u0301") == 1 and text_width("😀") == 2


def test_html_tables_escape_and_align() -> None:
    html = render_html_table(("a&b", "n"), [["<b>", "1"]], caption="x<y")
    assert "<caption>x&lt;y</caption>" in html
    assert "<th>a&amp;b</th>" in html and "<td>&lt;b&gt;</td>" in html
    assert '<td style="text-align: right">1</td>' in html


def test_notebooks_get_html_tables() -> None:
    world = make_world(MemoryStore())
    lead_id = new_lead(world)
    page = world.desk.leads("bob", view="mine")
    history = world.desk.history("bob", lead_id)
    summary = world.desk.pool_summary("carol", "east")
    for shown in (page, history, summary, world.desk.follow_ups("bob", lead_id)):
        html = shown._repr_html_()
        assert html.startswith('<table class="leadcore">') and html.endswith("</table>")
    assert "<caption>1 event of lead L1</caption>" in history._repr_html_()
    assert "<td>lead_created</td>" in history._repr_html_()


def test_a_pool_summary_keeps_its_line_and_tables_its_counts() -> None:
    world = make_world(MemoryStore())
    new_lead(world)
    summary = world.desk.pool_summary("carol", "east")
    assert str(summary) == "华东线索池: 1 lead (未分配 1)"
    assert summary.table("zh").splitlines()[:3] == ["状态    数量", "------  ----", "未分配     1"]


def test_history_slices_stay_histories() -> None:
    history = History([Event(EventKind.ASSIGNED, T0, "carol", lead_id="L1")], lead_id="L1")
    assert repr(history[:0]) == "<History of lead L1: 0 events>"
