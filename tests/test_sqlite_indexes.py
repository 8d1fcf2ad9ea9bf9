"""SQLiteStore's duplicate-key and time indexes: every statement the new reads run searches an
index in order (never a scan of a table, never a sort), and a save reads a lead's keys again
only when a field they come from changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import attrs
import pytest

from leadcore import SQLiteCustomerDirectory, SQLiteStore, UnitOfWork
from leadcore.conversion import CustomerDraft
from leadcore.dedup import Normaliser
from leadcore.storage import sqlite_keys
from leadcore.storage.sqlite_uow import SQLiteUnitOfWork
from leadcore.testing import EPOCH, make_follow_up, make_lead


@contextmanager
def statements(uow: SQLiteUnitOfWork) -> Iterator[list[str]]:
    """The SQL the unit of work's connection runs inside the block, values filled in."""
    seen: list[str] = []
    uow.conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        uow.conn.set_trace_callback(None)


def plan(uow: SQLiteUnitOfWork, sql: str) -> str:
    """SQLite's query plan of ``sql``, its steps joined with `` / ``."""
    return " / ".join(str(row[-1]) for row in uow.conn.execute("EXPLAIN QUERY PLAN " + sql))


def seeded() -> SQLiteStore:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        for n in range(40):
            lead_id = f"L{n:02d}"
            uow.add_lead(make_lead(lead_id, phone=f"+86138{n:08d}", company=f"星河{n}科技"))
            uow.add_follow_up(make_follow_up(f"F{n:02d}", lead_id, at=EPOCH + timedelta(hours=n)))
            uow.set_sweep_at(lead_id, EPOCH + timedelta(hours=n % 7))
        uow.commit()
    return store


READS: dict[str, tuple[Callable[[UnitOfWork], object], str]] = {
    "leads_by_key": (
        lambda uow: uow.leads_by_key(
            [k for k in (Normaliser.default().key("phone", "13800000003"),) if k]
        ),
        "lead_keys_by_key",
    ),
    "keys_of": (lambda uow: uow.keys_of(["L01", "L02"]), "PRIMARY KEY"),
    "due_for_sweep": (
        lambda uow: uow.due_for_sweep(EPOCH + timedelta(hours=2), limit=5),
        "sweeps_by_time",
    ),
    "sweep_at": (lambda uow: uow.sweep_at("L03"), "PRIMARY KEY"),
    "find_follow_ups by author": (
        lambda uow: uow.find_follow_ups(author_id="u1", since=EPOCH, limit=3),
        "follow_ups_by_author",
    ),
    "find_follow_ups by time": (
        lambda uow: uow.find_follow_ups(
            before=EPOCH + timedelta(hours=9), after=(EPOCH, "F00"), limit=3
        ),
        "follow_ups_by_time",
    ),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_each_read_searches_its_index_in_order(read: str) -> None:
    call, index = READS[read]
    store = seeded()
    with store.unit_of_work() as uow:
        with statements(uow) as seen:
            assert call(uow)
        selects = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]
        assert selects
        for sql in selects:
            steps = plan(uow, sql)
            assert index in steps, steps
            assert "TEMP B-TREE" not in steps, steps
            assert not any(
                step.startswith("SCAN") and "INDEX" not in step for step in steps.split(" / ")
            ), steps


def test_the_directory_finds_customers_by_key_with_one_search() -> None:
    with SQLiteCustomerDirectory() as directory:
        directory.create_customer("L1", CustomerDraft("星河科技", "bob", phone="13800138000"))
        key = directory.normaliser.key("phone", "13800138000")
        assert key is not None
        conn = directory._connection()
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        try:
            assert directory.find([key])
        finally:
            conn.set_trace_callback(None)
        lookup = next(sql for sql in seen if "directory_keys" in sql)
        steps = " / ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + lookup))
        assert steps.startswith("SEARCH directory_keys USING PRIMARY KEY"), steps


def test_a_save_reads_keys_again_only_when_their_fields_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = seeded()
    writes: list[str] = []
    write_keys = sqlite_keys.write_keys

    def counting(conn: object, lead_id: str, texts: object, *, replace: bool) -> None:
        writes.append(lead_id)
        write_keys(conn, lead_id, texts, replace=replace)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_keys, "write_keys", counting)
    with store.unit_of_work() as uow:
        lead = uow.get_lead("L01")
        with statements(uow) as seen:
            lead = uow.save_lead(attrs.evolve(lead, contact_name="张三"), expected_version=1)
        assert not any("lead_keys" in sql for sql in seen), "keys untouched, not even read"
        lead = uow.save_lead(attrs.evolve(lead, phone="+8613900139000"), expected_version=2)
        assert writes == ["L01"]
        other = attrs.evolve(uow.get_lead("L02"), grade="A")
        uow.commit()
    with store.unit_of_work() as uow:  # a save of a lead this unit of work did not read
        uow.save_lead(other, expected_version=1)
        assert writes == ["L01"], "keys compared with the indexed ones, nothing rewritten"
        new = store.normaliser.key("phone", "13900139000")
        assert new is not None and uow.leads_by_key([new]) == {new: ("L01",)}
