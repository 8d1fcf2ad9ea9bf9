"""Export and display hold for any record, however hostile its text: records are JSON with the
documented keys, reprs stay one short line, tables keep their columns aligned, HTML escapes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import (
    CompanySize,
    Event,
    EventKind,
    FieldChange,
    FollowUp,
    FollowUpMethod,
    Lead,
    LeadStatus,
    Money,
    Page,
)
from leadcore.desk import History
from leadcore.export import (
    EVENT_COLUMNS,
    FOLLOW_UP_COLUMNS,
    LABELS,
    LEAD_COLUMNS,
    Labels,
)
from leadcore.export.display import REPR_WIDTH
from leadcore.table import render_table, text_width
from leadcore.vocabulary import OPEN_STATUSES

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

HOSTILE = st.lists(
    st.characters()
    | st.sampled_from(
        ["\n", "\r\n", "\t", "\u200d", "\u202e", "\ud800", "王", "😀", "👨\u200d👩", "e\u0301"]
    ),
    max_size=30,
).map("".join)
"""Any text at all: CJK, emoji, combining marks, line breaks, controls, bidi overrides, lone
surrogates."""

WHOLE_TABLES = settings(max_examples=min(60, settings().max_examples))
"""For properties of whole tables (up to a dozen hostile leads each): each example already
holds many, so more than 60 examples add little but minutes to a CI run."""

CUSTOM = st.one_of(
    HOSTILE,
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
    st.lists(HOSTILE, max_size=3).map(tuple),
)
LABEL = st.sampled_from(LABELS)


@st.composite
def hostile_leads(draw: st.DrawFn) -> Lead:
    """A lead whose every text is drawn from :data:`HOSTILE`."""
    status = draw(st.sampled_from([LeadStatus.UNASSIGNED, *OPEN_STATUSES, LeadStatus.INVALID]))
    owner = draw(HOSTILE.filter(str.strip)) if status in OPEN_STATUSES else None
    collaborators = draw(st.frozensets(HOSTILE.filter(str.strip), max_size=3))
    return Lead(
        id=draw(HOSTILE),
        pool_id=draw(HOSTILE),
        created_by=draw(HOSTILE),
        created_at=T0 + timedelta(minutes=draw(st.integers(0, 10**6))),
        contact_name=draw(HOSTILE),
        company=draw(HOSTILE),
        phone=draw(st.none() | HOSTILE),
        industry=draw(st.none() | HOSTILE),
        company_size=draw(st.none() | st.sampled_from(tuple(CompanySize))),
        budget=draw(st.none() | st.decimals(0, 10**12, places=2).map(Money)),
        custom_fields=draw(st.dictionaries(HOSTILE, CUSTOM, max_size=3)),
        status=status,
        owner_id=owner,
        collaborators=collaborators,
        collaborator_roles={c: draw(HOSTILE) for c in sorted(collaborators)[:1]},
        followers=draw(st.frozensets(HOSTILE.filter(str.strip), max_size=3)),
        score=draw(st.none() | st.floats()),
        grade=draw(st.none() | HOSTILE),
        next_due_at=draw(st.none() | st.just(T0 + timedelta(days=2))),
    )


@st.composite
def hostile_events(draw: st.DrawFn) -> Event:
    """An event with hostile text, changes of any value and arbitrary data."""
    values = st.none() | HOSTILE | st.sampled_from(tuple(LeadStatus)) | st.just(Money("10"))
    return Event(
        draw(st.sampled_from(tuple(EventKind))),
        T0,
        draw(HOSTILE),
        lead_id=draw(st.none() | HOSTILE),
        pool_id=draw(st.none() | HOSTILE),
        changes=tuple(
            FieldChange(draw(HOSTILE), draw(values), draw(values))
            for _ in range(draw(st.integers(0, 5)))
        ),
        reason=draw(st.none() | HOSTILE),
        data=draw(st.dictionaries(HOSTILE, values | st.lists(values, max_size=2), max_size=3)),
        position=draw(st.integers(0, 10**9)),
    )


@given(hostile_leads(), LABEL)
def test_any_leads_record_is_json_with_the_documented_columns(lead: Lead, labels: Labels) -> None:
    record = lead.to_record(labels)
    assert tuple(record) == LEAD_COLUMNS.keys
    assert json.loads(json.dumps(record, allow_nan=False)) == _as_json_reads(record)


def _as_json_reads(value: object) -> object:
    """``value`` as JSON gives it back: the two halves of a surrogate pair, side by side in a
    text, are read as the one character they encode (lone halves stay as they are)."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if isinstance(value, list):
        return [_as_json_reads(v) for v in value]
    if isinstance(value, dict):
        return {_as_json_reads(k): _as_json_reads(v) for k, v in value.items()}
    return value


@given(hostile_events(), LABEL)
def test_any_events_record_is_json_with_the_documented_columns(
    event: Event, labels: Labels
) -> None:
    record = event.to_record(labels)
    assert tuple(record) == EVENT_COLUMNS.keys
    json.dumps(record, allow_nan=False)


@given(HOSTILE, HOSTILE, st.none() | st.integers(0, 10**6), LABEL)
def test_any_follow_ups_record_is_json(
    content: str, author: str, seconds: int | None, labels: Labels
) -> None:
    record = FollowUp(
        id="F1",
        lead_id="L1",
        author_id=author,
        at=T0,
        method=FollowUpMethod.PHONE,
        content=content + "x",
        result="有意向",
        duration=None if seconds is None else timedelta(seconds=seconds),
        mentions={"u2", "u1"},
    ).to_record(labels)
    assert tuple(record) == FOLLOW_UP_COLUMNS.keys
    assert record["mentions"] == ["u1", "u2"] and record["duration_seconds"] == seconds
    json.dumps(record, allow_nan=False)


def one_line_and_short(text: str) -> None:
    assert len(text.splitlines()) == 1 and "\n" not in text and "\r" not in text
    assert text_width(text) <= REPR_WIDTH, (text_width(text), text)


@given(hostile_leads())
def test_a_leads_repr_is_one_short_line(lead: Lead) -> None:
    shown = repr(lead)
    one_line_and_short(shown)
    assert shown.startswith("<Lead ") and shown.endswith(">")


@given(hostile_events())
def test_an_events_repr_is_one_short_line(event: Event) -> None:
    one_line_and_short(repr(event))


@WHOLE_TABLES
@given(st.lists(hostile_leads(), max_size=12), st.none() | HOSTILE)
def test_a_pages_repr_is_one_short_line(leads: list[Lead], cursor: str | None) -> None:
    one_line_and_short(repr(Page(tuple(leads), cursor)))


def gaps_line_up(table: str) -> None:
    """Every line of a table has blanks where the rule under the headings has its gaps: no cell
    spills into the next column, whatever its text."""
    lines = table.splitlines()
    rule = lines[1]
    assert lines[-1] == rule and set(rule) <= {"-", " "}
    gaps = {i for i, ch in enumerate(rule) if ch == " "}
    for line in [lines[0], *lines[2:-1]]:
        column = 0
        for ch in line:
            width_of = text_width(ch)
            if column in gaps and width_of:
                assert ch == " ", (line, column)
            column += width_of
        assert column <= len(rule)


@WHOLE_TABLES
@given(st.lists(hostile_leads(), max_size=8), LABEL)
def test_a_pages_table_never_breaks(leads: list[Lead], labels: Labels) -> None:
    page = Page(tuple(leads), None)
    text = page.table(labels)
    table, _, summary = text.rpartition("\n")
    assert len(table.splitlines()) == len(leads) + 3
    gaps_line_up(table)
    assert summary.startswith(str(len(leads)))


@WHOLE_TABLES
@given(st.lists(hostile_events(), max_size=8), LABEL)
def test_a_historys_table_never_breaks(events: list[Event], labels: Labels) -> None:
    history = History(events, lead_id="L1")
    table = history.table(labels).rpartition("\n")[0]
    assert len(table.splitlines()) == len(events) + 3
    gaps_line_up(table)


@given(st.lists(st.lists(HOSTILE, min_size=3, max_size=3), max_size=6), st.integers(0, 3))
def test_render_table_aligns_any_text(rows: list[list[str]], right: int) -> None:
    table = render_table(("名字", "b", "c"), rows, right, max_width=12)
    assert len(table.splitlines()) == len(rows) + 3
    gaps_line_up(table)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@WHOLE_TABLES
@given(st.lists(hostile_leads(), min_size=1, max_size=4))
def test_html_tables_escape_every_value(leads: list[Lead]) -> None:
    parser = _Tags()
    parser.feed(Page(tuple(leads), "next")._repr_html_())
    assert parser.tags <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}


def test_html_escapes_markup_in_a_value() -> None:
    lead = Lead(
        id="L1",
        pool_id="p",
        created_by="a",
        created_at=T0,
        company="<script>alert('x')</script> & Co",
    )
    html = Page((lead,), None)._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html


def test_custom_values_are_plain() -> None:
    lead = Lead(
        id="L1",
        pool_id="p",
        created_by="a",
        created_at=T0,
        custom_fields={"seats": 12, "budget": Decimal("1E+3"), "since": date(2025, 1, 2)},
        score=float("nan"),
    )
    record = lead.to_record()
    assert record["custom_fields"] == {"seats": 12, "budget": "1000", "since": "2025-01-02"}
    assert record["score"] is None
