"""SQLiteStore's files: new ones are created, older ones upgraded in order, newer ones, other
applications' databases and damaged or foreign files refused with a clear StoreFileError."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadcore import (
    LeadcoreError,
    LeadQuery,
    SQLiteCustomerDirectory,
    SQLiteStore,
    StoreFileError,
)
from leadcore.dedup import DedupRules, Normaliser
from leadcore.storage.sqlite_schema import APPLICATION_ID, LATEST, MIGRATIONS, migrate
from leadcore.testing import make_lead


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_migrations_are_numbered_one_by_one() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == LATEST


def test_a_new_file_and_an_empty_file_become_stores(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    for name in ("new.db", "empty.db"):
        with SQLiteStore(tmp_path / name) as store:
            assert store.schema_version == LATEST
        conn = _raw(tmp_path / name)
        try:
            assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
            rows = conn.execute("SELECT version FROM leadcore_schema ORDER BY version").fetchall()
            assert [v for (v,) in rows] == [m.version for m in MIGRATIONS]
        finally:
            conn.close()


def test_an_older_file_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = _raw(path)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, MIGRATIONS[:1])  # a file written when only the tables existed
    conn.execute(
        "INSERT INTO leads (id, pool_id, status, created_at, version, body) VALUES "
        "('L1', 'pool-a', 'unassigned', 0, 1, ?)",
        (
            '{"id":"L1","pool_id":"pool-a","created_by":"u1","created_at":"1970-01-01T00:00:00+00:00"}',
        ),
    )
    conn.execute("COMMIT")
    assert "leads_by_owner" not in _indexes(conn)
    conn.close()
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        assert store.schema_version == LATEST
        assert uow.get_lead("L1").created_by == "u1"
    conn = _raw(path)
    try:
        assert "leads_by_owner" in _indexes(conn)
        assert conn.execute("PRAGMA user_version").fetchone() == (LATEST,)
    finally:
        conn.close()


def _indexes(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'index'").fetchall()
    return {name for (name,) in rows}


def _open_store(path: str) -> int:
    with SQLiteStore(path) as store:
        return store.schema_version


def test_processes_opening_an_old_file_at_once_upgrade_it_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = _raw(path)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, MIGRATIONS[:1])
    conn.execute("COMMIT")
    conn.close()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        versions = pool.map(_open_store, [str(path)] * 4)
    assert versions == [LATEST] * 4
    conn = _raw(path)
    try:
        applied = conn.execute("SELECT version FROM leadcore_schema ORDER BY version").fetchall()
        assert [v for (v,) in applied] == [m.version for m in MIGRATIONS]
    finally:
        conn.close()


def test_a_file_from_a_newer_leadcore_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    SQLiteStore(path).close()
    conn = _raw(path)
    conn.execute(
        "INSERT INTO leadcore_schema (version, summary, applied_at) VALUES (?, 'future', 'x')",
        (LATEST + 1,),
    )
    conn.close()
    with pytest.raises(StoreFileError, match="newer leadcore") as caught:
        SQLiteStore(path)
    assert f"schema version {LATEST + 1}" in str(caught.value)
    assert isinstance(caught.value, OSError) and isinstance(caught.value, LeadcoreError)


def test_another_applications_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = _raw(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.close()
    with pytest.raises(StoreFileError, match="another application"):
        SQLiteStore(path)
    conn = _raw(path)
    try:
        tables = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
        assert tables == [("invoices",)]
    finally:
        conn.close()


@pytest.mark.parametrize("opener", [SQLiteStore, SQLiteCustomerDirectory])
def test_another_application_s_file_is_refused_byte_for_byte_unchanged(
    tmp_path: Path, opener: Callable[[Path], object]
) -> None:
    path = tmp_path / "other.db"
    conn = _raw(path)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreFileError, match="another application"):
        opener(path)
    assert path.read_bytes() == before, "not even switched to WAL mode"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize("opener", [SQLiteStore, SQLiteCustomerDirectory])
def test_an_empty_file_another_application_marked_is_refused_unchanged(
    tmp_path: Path, opener: Callable[[Path], object]
) -> None:
    path = tmp_path / "marked.db"
    conn = _raw(path)
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreFileError, match="another application marked"):
        opener(path)
    assert path.read_bytes() == before, "not even switched to WAL mode"


def test_a_file_from_a_newer_leadcore_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    SQLiteStore(path).close()
    conn = _raw(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute(
        "INSERT INTO leadcore_schema (version, summary, applied_at) VALUES (?, 'future', 'x')",
        (LATEST + 1,),
    )
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreFileError, match="newer leadcore"):
        SQLiteCustomerDirectory(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my meeting notes, not a database\n" * 200)
    with pytest.raises(StoreFileError, match="not a SQLite database"):
        SQLiteStore(path)
    assert path.read_bytes().startswith(b"these are my meeting notes")


def test_a_damaged_store_fails_with_a_store_file_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        for i in range(400):
            uow.add_lead(make_lead(f"L{i:04d}", company="星河科技" * 40))
        uow.commit()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # keep the header page, scramble the rest
        data[offset + 8 : offset + 400] = bytes(range(256)) + bytes(136)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreFileError), SQLiteStore(path) as store, store.unit_of_work() as uow:
        uow.find_leads(LeadQuery())
        uow.count_leads(LeadQuery(owner_id="u1"))


def test_a_leadcore_file_without_its_schema_table_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "stripped.db"
    SQLiteStore(path).close()
    conn = _raw(path)
    conn.execute("DROP TABLE leadcore_schema")
    conn.close()
    with pytest.raises(StoreFileError, match="damaged"):
        SQLiteStore(path)


def test_a_version_2_file_upgrades_to_keys_sweep_times_and_follow_ups_by_author(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    conn = _raw(path)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, MIGRATIONS[:2])  # a file written before the key and sweep indexes
    lead = (
        '{"id":"L1","pool_id":"pool-a","created_by":"u1",'
        '"created_at":"1970-01-01T00:00:00+00:00","phone":"+8613800138000","company":"星河科技"}'
    )
    conn.execute(
        "INSERT INTO leads (id, pool_id, status, created_at, version, body) "
        "VALUES ('L1', 'pool-a', 'unassigned', 0, 1, ?)",
        (lead,),
    )
    follow_up = (
        '{"id":"F1","lead_id":"L1","author_id":"bob","at":"1970-01-01T01:00:00+00:00",'
        '"method":"phone","content":"电话沟通","result":"有意向"}'
    )
    conn.execute(
        "INSERT INTO follow_ups (id, lead_id, at, body) VALUES ('F1', 'L1', 3600000000, ?)",
        (follow_up,),
    )
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    conn.close()
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        assert store.schema_version == LATEST
        phone = store.normaliser.key("phone", "13800138000")
        company = store.normaliser.key("company", "星河科技")
        assert phone is not None and company is not None
        assert uow.leads_by_key([phone]) == {phone: ("L1",)}
        assert uow.keys_of(["L1"]) == {"L1": (phone, company)}
        assert [f.id for f in uow.find_follow_ups(author_id="bob")] == ["F1"]
        assert uow.find_follow_ups(author_id="u1") == []
        assert uow.sweep_at("L1") is None
        uow.set_sweep_at("L1", datetime(1970, 1, 2, tzinfo=UTC))
        uow.commit()
    conn = _raw(path)
    try:
        assert {"lead_keys_by_key", "sweeps_by_time", "follow_ups_by_author"} <= _indexes(conn)
        applied = conn.execute("SELECT version FROM leadcore_schema ORDER BY version").fetchall()
        assert [v for (v,) in applied] == [1, 2, 3]
    finally:
        conn.close()


def test_a_store_opened_with_other_rules_reads_every_lead_s_keys_again(tmp_path: Path) -> None:
    path = tmp_path / "rules.db"
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        uow.add_lead(make_lead("L1", phone="9123 4567"))  # no mainland number: no key
        uow.commit()
    hong_kong = Normaliser(DedupRules.from_dict({"phone": {"default_region": "HK"}}))
    key = hong_kong.key("phone", "91234567")
    assert key is not None
    with SQLiteStore(path, normaliser=hong_kong) as store, store.unit_of_work() as uow:
        assert uow.leads_by_key([key]) == {key: ("L1",)}
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        assert uow.leads_by_key([key]) == {}, "back to the default rules, read again"
