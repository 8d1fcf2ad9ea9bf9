"""SQLiteStore beyond the contract: the file survives a restart, WAL and the write lock, lock
timeouts, indexes behind every query, exact round-trips, backups, and misuse refused."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import (
    ConcurrencyConflict,
    Event,
    EventKind,
    FieldChange,
    Lead,
    LeadcoreError,
    LeadOrder,
    LeadQuery,
    LeadStatus,
    LeadStore,
    Money,
    SQLiteCustomerDirectory,
    SQLiteStore,
    StoreFileError,
    StoreLocked,
    UnitOfWork,
    ValidationError,
)
from leadcore.query import LeadFilter
from leadcore.records import Away, OwnershipChange, OwnershipRecord
from leadcore.storage import sqlite_query, sqlite_uow
from leadcore.storage.sqlite_schema import LATEST
from leadcore.testing import EPOCH, make_follow_up, make_lead, make_pool

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_file_store_keeps_everything_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    lead = make_lead("L1", owner_id="u1", status=LeadStatus.ASSIGNED, followers={"u2"})
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        uow.add_lead(lead)
        uow.add_pool(make_pool("pool-a"))
        uow.add_follow_up(make_follow_up("F1", "L1"))
        uow.append_events([Event(EventKind.LEAD_CREATED, EPOCH, "u1", lead_id="L1")])
        uow.set_state("rr:pool-a", {"next": 2})
        uow.commit()
    with SQLiteStore(path) as again, again.unit_of_work() as uow:
        assert uow.get_lead("L1") == attrs.evolve(lead, version=1)
        assert [f.id for f in uow.follow_ups("L1")] == ["F1"]
        assert [e.position for e in uow.events_since(0)] == [1]
        assert uow.get_state("rr:pool-a") == {"next": 2}
        assert uow.find_leads(LeadQuery(follower_id="u2"))[0].id == "L1"


def test_a_file_store_is_in_wal_mode_at_the_latest_schema(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "leads.db") as store:
        assert store.schema_version == LATEST
    conn = sqlite3.connect(tmp_path / "leads.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA user_version").fetchone() == (LATEST,)
    finally:
        conn.close()


def test_a_unit_of_work_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as first, SQLiteStore(path, busy_timeout=0.05) as second:
        refused: list[BaseException] = []

        def write_too() -> None:  # another thread: this one's own would not wait at all
            try:
                with second.unit_of_work():
                    pass  # pragma: no cover - never reached
            except LeadcoreError as e:
                refused.append(e)

        with first.unit_of_work():
            writer = threading.Thread(target=write_too)
            writer.start()
            writer.join(5)
        assert isinstance(refused[0], StoreLocked) and isinstance(refused[0], ConcurrencyConflict)
        assert "retry" in str(refused[0]) and str(path) in str(refused[0])
        with second.unit_of_work() as uow:  # free again once the first ended
            assert uow.last_position() == 0


def test_a_waiting_writer_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as first, SQLiteStore(path) as second:
        holding = threading.Event()
        done = threading.Event()

        def hold() -> None:
            with first.unit_of_work() as uow:
                uow.add_lead(make_lead("L1"))
                holding.set()
                done.wait(0.2)
                uow.commit()

        thread = threading.Thread(target=hold)
        thread.start()
        holding.wait()
        with second.unit_of_work() as uow:  # waits for the commit, then sees it
            assert uow.get_lead("L1").version == 1
        done.set()
        thread.join()


def test_readers_on_other_connections_never_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store:
        with store.unit_of_work() as uow:
            uow.add_lead(make_lead("L1"))
            uow.commit()
        reader = sqlite3.connect(path, timeout=0)
        try:
            with store.unit_of_work() as uow:
                uow.add_lead(make_lead("L2"))
                assert reader.execute("SELECT COUNT(*) FROM leads").fetchone() == (1,)
                uow.commit()
            assert reader.execute("SELECT COUNT(*) FROM leads").fetchone() == (2,)
        finally:
            reader.close()


def test_the_expected_version_is_checked_by_the_update_itself() -> None:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        uow.add_lead(make_lead("L1"))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.conn.execute("UPDATE leads SET version = 5 WHERE id = 'L1'")  # a write elsewhere
        with pytest.raises(ConcurrencyConflict) as caught:
            uow.save_lead(make_lead("L1", company="mine"), expected_version=1)
        assert (caught.value.expected, caught.value.actual) == (1, 5)
        assert uow.conn.execute("SELECT body FROM leads").fetchone()[0].count("mine") == 0


@pytest.mark.parametrize(
    "query",
    [
        LeadQuery(owner_id="u1", order=LeadOrder.CREATED_DESC, limit=51),
        LeadQuery(owner_id="u1", statuses={LeadStatus.ASSIGNED}, order=LeadOrder.DUE, limit=20),
        LeadQuery(pool_id="pool-a", statuses={LeadStatus.UNASSIGNED}, limit=20),
        LeadQuery(pool_id="pool-a", limit=20, after=(EPOCH, "L5")),
        LeadQuery(statuses={LeadStatus.FOLLOWING}, limit=20),
        LeadQuery(order=LeadOrder.DUE, due_before=EPOCH, limit=20),
        LeadQuery(created_from=EPOCH, created_before=EPOCH + timedelta(days=1), limit=20),
        LeadQuery(owner_ids=frozenset({"u1", "u2"}), limit=20),
        LeadQuery(
            pool_id="pool-a",
            any_of=(LeadFilter(owner_id="u1"), LeadFilter(pool_ids=frozenset({"pool-a"}))),
            limit=20,
        ),
    ],
    ids=lambda q: "query",
)
def test_each_page_is_read_through_an_ordered_index(query: LeadQuery) -> None:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        compiled = sqlite_query.select_sql(query)
        assert compiled is not None
        explained = uow.conn.execute("EXPLAIN QUERY PLAN " + compiled[0], compiled[1])
        plan = " / ".join(str(row[-1]) for row in explained)
    steps = plan.split(" / ")
    reads = [step for step in steps if " leads " in f"{step} "]
    assert reads and all(step.startswith("SEARCH leads USING") for step in reads), plan
    if "UNION" not in compiled[0]:  # one arm: read in order, never sorted
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_records_reads_use_their_indexes() -> None:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        conn = uow.conn
        for sql, params, index in (
            (
                "SELECT body FROM grants WHERE grantee_id = ? AND expires_at > ? "
                "ORDER BY requested_at, id",
                ("u1", 0),
                "grants_by_expiry",
            ),
            (
                "SELECT COUNT(*) FROM ownership WHERE user_id = ? AND change IN (?) AND at >= ?",
                ("u1", "claimed", 0),
                "ownership_by_user",
            ),
            (
                "SELECT position, body FROM events WHERE position > ? AND lead_id = ? "
                "ORDER BY position LIMIT ?",
                (0, "L1", -1),
                "events_by_lead",
            ),
            (
                "SELECT body FROM follow_ups WHERE lead_id = ? ORDER BY at, id",
                ("L1",),
                "follow_ups_by_lead",
            ),
        ):
            explained = conn.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " / ".join(str(row[-1]) for row in explained)
            assert index in plan, plan


def test_datetimes_keep_their_zone_and_loose_values_their_type() -> None:
    store = SQLiteStore()
    created = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    lead = make_lead(
        "L1",
        created_at=created,
        next_due_at=datetime(2026, 3, 3, 1, 0, tzinfo=UTC),
        budget=Money("12000.50"),
        custom_fields={
            "budget_note": "约 10 万",
            "seats": 12,
            "vip": True,
            "ratio": Decimal("0.125"),
            "since": date(2025, 12, 31),
            "tags": ("制造", "华东"),
        },
    )
    event = Event(
        EventKind.OWNER_CHANGED,
        created,
        "u1",
        lead_id="L1",
        changes=(
            FieldChange("status", LeadStatus.UNASSIGNED, LeadStatus.ASSIGNED),
            FieldChange("budget", None, Money("5")),
            FieldChange("followers", frozenset(), frozenset({"u2"})),
        ),
        data={"moved": ["F1", "F2"], "at": created, "pair": (1, 2.5), "nested": {"k": None}},
    )
    with store.unit_of_work() as uow:
        uow.add_lead(lead)
        uow.append_events([event])
        uow.add_ownership_record(
            OwnershipRecord("u1", "L1", "pool-a", created, OwnershipChange.CLAIMED)
        )
        uow.set_away("u1", [Away("u1", created, created + timedelta(days=1), "年假")])
        uow.commit()
    with store.unit_of_work() as uow:
        stored = uow.get_lead("L1")
        (recorded,) = uow.events_since(0)
        last = uow.last_ownership("u1", "L1", OwnershipChange.CLAIMED)
        (away,) = uow.away_periods(["u1"])["u1"]
    assert stored == attrs.evolve(lead, version=1)
    assert stored.created_at.tzinfo == SHANGHAI and stored.created_at.hour == 9
    assert stored.custom_fields["ratio"] == Decimal("0.125")
    assert stored.custom_fields["since"] == date(2025, 12, 31)
    assert stored.custom_fields["tags"] == ("制造", "华东")
    assert recorded == attrs.evolve(event, position=1)
    assert recorded.status_change == (LeadStatus.UNASSIGNED, LeadStatus.ASSIGNED)
    at = recorded.data["at"]
    assert recorded.data["pair"] == (1, 2.5) and isinstance(at, datetime) and at.tzinfo == SHANGHAI
    assert last is not None and last.tzinfo == SHANGHAI and last == created
    assert away.start.tzinfo == SHANGHAI


def test_a_value_that_cannot_be_stored_is_a_validation_error() -> None:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError):
            uow.append_events([Event(EventKind.LEAD_EDITED, EPOCH, "u1", data={"x": object()})])
        with pytest.raises(ValidationError):
            uow.add_lead(make_lead("\udcff-lone-surrogate"))
        uow.add_lead(make_lead("L1"))  # the unit of work goes on: nothing was half-written
        uow.commit()
    with store.unit_of_work() as uow:
        assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L1"]


def test_a_write_failing_midway_and_caught_blocks_the_commit() -> None:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        uow.add_lead(make_lead("L1"))
        uow.commit()
    original = sqlite_uow.write_people

    def failing(conn: sqlite3.Connection, lead: Lead, *, replace: bool) -> None:
        original(conn, lead, replace=replace)
        raise OSError("disk went away")

    with store.unit_of_work() as uow:
        with patch.object(sqlite_uow, "write_people", failing), pytest.raises(OSError):
            uow.add_lead(make_lead("L2", followers={"u1"}))  # the lead row is already in
        with pytest.raises(LeadcoreError, match="failed after it began"):
            uow.commit()
    with store.unit_of_work() as uow:
        assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L1"]


def test_a_savepoint_around_a_failed_write_lets_the_rest_commit() -> None:
    store = SQLiteStore()
    original = sqlite_uow.write_people

    def failing(conn: sqlite3.Connection, lead: Lead, *, replace: bool) -> None:
        original(conn, lead, replace=replace)
        raise OSError("disk went away")

    with store.unit_of_work() as uow:
        uow.add_lead(make_lead("L1"))
        with (
            patch.object(sqlite_uow, "write_people", failing),
            pytest.raises(OSError),
            uow.savepoint(),
        ):
            uow.add_lead(make_lead("L2", followers={"u1"}))
        uow.commit()
    with store.unit_of_work() as uow:
        assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L1"]
        assert uow.find_leads(LeadQuery(follower_id="u1")) == []


def test_backup_copies_the_whole_store_while_it_is_in_use(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "live.db") as store:
        with store.unit_of_work() as uow:
            for i in range(50):
                uow.add_lead(make_lead(f"L{i:02d}"))
            uow.append_events([Event(EventKind.LEAD_CREATED, EPOCH, "u1", lead_id="L00")])
            uow.commit()
        store.backup(tmp_path / "copy.db")
        with pytest.raises(StoreFileError):
            store.backup(tmp_path / "copy.db")  # never over an existing file
        before = store.snapshot()
    with SQLiteStore(tmp_path / "copy.db") as copy:
        assert copy.snapshot() == before


def test_a_path_with_a_nul_character_is_a_validation_error_naming_it(tmp_path: Path) -> None:
    for open_file in (SQLiteStore, SQLiteCustomerDirectory):
        with pytest.raises(ValidationError) as caught:
            open_file(str(tmp_path / "a\0b.db"))
        assert caught.value.fields == ("path",)
    with SQLiteStore() as store, pytest.raises(ValidationError) as refused:
        store.backup(str(tmp_path / "bk\0.db"))
    assert refused.value.fields == ("path",)
    assert list(tmp_path.iterdir()) == []


def test_misuse_is_refused_with_leadcore_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        SQLiteStore(42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SQLiteStore(busy_timeout=-1)
    with pytest.raises(ValidationError):
        SQLiteStore(synchronous="sometimes")  # type: ignore[arg-type]
    with pytest.raises(StoreFileError):
        SQLiteStore(tmp_path)  # a directory
    store = SQLiteStore()
    with (
        store.unit_of_work(),
        pytest.raises(LeadcoreError, match="already open"),
        store.unit_of_work(),
    ):
        pass  # pragma: no cover - never reached
    store._pid = -1  # as if this object had crossed into a forked child
    with pytest.raises(LeadcoreError, match="each process"), store.unit_of_work():
        pass  # pragma: no cover - never reached
    store._pid = os.getpid()
    with store.unit_of_work(), pytest.raises(LeadcoreError, match="before closing"):
        store.close()
    store.close()
    store.close()
    with pytest.raises(LeadcoreError, match="closed"), store.unit_of_work():
        pass  # pragma: no cover - never reached


def test_an_iterator_ends_with_its_unit_of_work() -> None:
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        for i in range(5):
            uow.add_lead(make_lead(f"L{i}"))
        uow.commit()
    with store.unit_of_work() as uow:
        leads = uow.iter_leads(LeadQuery())
        assert next(leads).id == "L0"
    with pytest.raises(LeadcoreError):
        next(leads)


def test_sqlite_store_is_a_lead_store() -> None:
    with SQLiteStore() as store:
        assert isinstance(store, LeadStore)
        with store.unit_of_work() as uow:
            assert isinstance(uow, UnitOfWork)


def test_large_id_sets_are_bound_as_one_parameter_and_give_the_same_answers() -> None:
    store = SQLiteStore()
    leads = [
        make_lead(f"L{i:04d}", status=LeadStatus.ASSIGNED, owner_id=f"u{i % 700}")
        for i in range(1_400)
    ]
    with store.unit_of_work() as uow:
        for lead in leads:
            uow.add_lead(lead)
        uow.commit()
    stored = [attrs.evolve(lead, version=1) for lead in leads]
    wanted = frozenset(f"L{i:04d}" for i in range(0, 1_400, 2))
    owners = frozenset(f"u{i}" for i in range(0, 700, 3))
    with store.unit_of_work() as uow:
        for query in (
            LeadQuery(ids=wanted, order=LeadOrder.CREATED_DESC, limit=30, offset=5),
            LeadQuery(owner_ids=owners, limit=40),
            LeadQuery(ids=wanted, owner_ids=owners),
        ):
            assert uow.find_leads(query) == query.select(stored)
            assert uow.count_leads(query) == len(query.unpaged().select(stored))
        got = uow.get_leads([*sorted(wanted), "missing"])
        assert list(got) == sorted(wanted)
        counts = uow.open_counts([f"u{i}" for i in range(800)])
        assert counts["u1"] == 2 and counts["u799"] == 0 and len(counts) == 800


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"phone": 5}, "lead.phone"),
        ({"created_at": datetime(2026, 1, 1)}, "lead.created_at"),
        ({"assigned_at": "2026-01-01"}, "lead.assigned_at"),
        ({"score": "high"}, "lead.score"),
        ({"version": True}, "lead.version"),
        ({"sla_steps": ("remind", 5)}, "lead.sla_steps"),
    ],
)
def test_a_lead_field_of_the_wrong_type_is_refused_before_it_is_written(
    fields: dict[str, object], named: str
) -> None:
    """A lead a host built by hand with a wrong type in it would be written but could never be
    read back; it is refused by field, and the file stays readable."""
    store = SQLiteStore()
    with store.unit_of_work() as uow:
        uow.add_pool(make_pool("pool-a"))
        stored = uow.add_lead(make_lead("L1"))
        uow.commit()
    bad = attrs.evolve(stored, **fields)  # type: ignore[arg-type]
    writes: list[Callable[[UnitOfWork], object]] = [
        lambda u: u.add_lead(attrs.evolve(bad, id="L2")),
        lambda u: u.save_lead(bad, expected_version=stored.version),
    ]
    for write in writes:
        with store.unit_of_work() as uow:
            with pytest.raises(ValidationError) as caught:
                write(uow)
            uow.commit()
        assert caught.value.fields == (named,)
    with store.unit_of_work() as uow:
        assert uow.get_lead("L1") == stored
        assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L1"]
