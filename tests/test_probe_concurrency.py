"""SQLiteStore under concurrency, probed: processes creating one new file at once, a store
object shared by threads or carried into a forked child, a backup that fails midway, the file
deleted or replaced while a store has it open, and a file or folder that is read-only."""

from __future__ import annotations

import copy
import multiprocessing
import os
import pickle
import resource
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from leadcore import (
    LeadcoreError,
    LeadQuery,
    SQLiteCustomerDirectory,
    SQLiteStore,
    StoreFileError,
    StoreLocked,
    ValidationError,
)
from leadcore.storage import sqlite_schema
from leadcore.storage.sqlite_schema import LATEST
from leadcore.testing import make_lead

FORK = "fork" in multiprocessing.get_all_start_methods()
CONTEXT = multiprocessing.get_context("fork") if FORK else multiprocessing.get_context("spawn")
needs_fork = pytest.mark.skipif(not FORK, reason="the probe forks a process")


def _add(store: SQLiteStore, lead_id: str) -> None:
    with store.unit_of_work() as uow:
        uow.add_lead(make_lead(lead_id))
        uow.commit()


def _count(path: Path) -> int:
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        return uow.count_leads(LeadQuery())


@pytest.fixture
def held() -> Iterator[tuple[SQLiteStore, threading.Event]]:
    """A store on a file whose unit of work another thread holds until the event is set."""
    store = SQLiteStore(busy_timeout=0.2)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.unit_of_work():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(5)
    try:
        yield store, release
    finally:
        release.set()
        thread.join()
        store.close()


# --- a new file, opened by several processes at once -----------------------------------------
def test_a_file_created_while_another_store_reads_its_header_is_not_taken_for_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new.db"
    tables = sqlite_schema._tables
    raced: list[bool] = []

    def racing(conn: sqlite3.Connection) -> list[str]:
        if not raced:  # another process creates the store between two reads of the header
            raced.append(True)
            # With the header read as one snapshot, the creator waits for this reader instead.
            with suppress(LeadcoreError):
                SQLiteStore(path, busy_timeout=0.05).close()
        return tables(conn)

    monkeypatch.setattr(sqlite_schema, "_tables", racing)
    with SQLiteStore(path) as store:
        assert store.schema_version == LATEST
    monkeypatch.undo()
    assert _count(path) == 0


def _open_new(path: str, start: Barrier, out: Queue[Any]) -> None:
    start.wait()
    try:
        with SQLiteStore(path, busy_timeout=5) as store:
            _add(store, f"L{os.getpid()}")
        out.put("ok")
    except Exception as e:  # reported to the parent
        out.put(f"{type(e).__name__}: {e}")


def test_processes_creating_one_new_file_at_once_all_open_it(tmp_path: Path) -> None:
    for trial in range(4):
        path = tmp_path / f"new{trial}.db"
        start = CONTEXT.Barrier(6)
        out: Queue[Any] = CONTEXT.Queue()
        workers = [
            CONTEXT.Process(target=_open_new, args=(str(path), start, out)) for _ in range(6)
        ]
        for worker in workers:
            worker.start()
        outcomes = [out.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert outcomes == ["ok"] * 6
        assert _count(path) == 6


def test_opening_waits_for_a_writer_before_putting_the_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    SQLiteStore(path).close()
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        raw.execute("PRAGMA journal_mode = DELETE")  # as another tool may have left it
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO state (key, value) VALUES ('k', '1')")
        threading.Timer(0.3, lambda: raw.execute("COMMIT")).start()
        started = time.monotonic()
        with SQLiteStore(path, busy_timeout=5) as store:  # used to be StoreLocked at once
            assert 0.2 < time.monotonic() - started < 4
            with store.unit_of_work() as uow:
                assert uow.get_state("k") == 1
    finally:
        raw.close()


# --- one store object, several threads -------------------------------------------------------
def test_a_thread_waiting_for_another_thread_s_unit_of_work_stops_at_the_busy_timeout(
    held: tuple[SQLiteStore, threading.Event],
) -> None:
    store, _ = held
    outcome: list[tuple[str, float]] = []

    def wait() -> None:
        started = time.monotonic()
        try:
            with store.unit_of_work():
                outcome.append(("entered", 0.0))
        except StoreLocked as e:
            outcome.append((type(e).__name__, time.monotonic() - started))

    waiter = threading.Thread(target=wait)
    waiter.start()
    waiter.join(5)
    assert not waiter.is_alive(), "the waiting thread never gave up"
    [(error, waited)] = outcome
    assert error == StoreLocked.__name__ and 0.15 < waited < 2, outcome


def test_a_backup_waiting_for_another_thread_s_unit_of_work_stops_at_the_busy_timeout(
    held: tuple[SQLiteStore, threading.Event], tmp_path: Path
) -> None:
    store, _ = held
    done: list[BaseException] = []

    def back_up() -> None:
        try:
            store.backup(tmp_path / "copy.db")
        except LeadcoreError as e:
            done.append(e)

    thread = threading.Thread(target=back_up)
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and isinstance(done[0], StoreLocked)
    assert list(tmp_path.iterdir()) == []


# --- a store object carried into a forked child ----------------------------------------------
def _use_inherited(store: SQLiteStore, out: Queue[Any]) -> None:
    try:
        with store.unit_of_work():
            out.put("used the parent's store")
    except LeadcoreError as e:
        out.put(str(e))
    store.close()  # harmless, and it never waits for the parent's threads
    out.put("closed")


@needs_fork
def test_a_forked_child_is_refused_the_parent_s_store_at_once_while_a_thread_holds_it(
    held: tuple[SQLiteStore, threading.Event],
) -> None:
    store, _ = held
    out: Queue[Any] = CONTEXT.Queue()
    child = CONTEXT.Process(target=_use_inherited, args=(store, out))
    child.start()
    try:
        said = [out.get(timeout=5), out.get(timeout=5)]
    finally:
        child.kill()
        child.join()
    assert "open a new SQLiteStore in each process" in said[0] and said[1] == "closed"


@needs_fork
def test_a_forked_child_closing_the_parent_s_store_leaves_it_working(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store:
        _add(store, "L1")
        out: Queue[Any] = CONTEXT.Queue()
        child = CONTEXT.Process(target=_use_inherited, args=(store, out))
        child.start()
        assert [out.get(timeout=5), out.get(timeout=5)][1] == "closed"
        child.join(5)
        _add(store, "L2")
    assert _count(path) == 2


# --- backups ---------------------------------------------------------------------------------
def _back_up_past_a_size_limit(path: str, target: str, out: Queue[Any]) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    with SQLiteStore(path) as store:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))
        try:
            store.backup(target)
            out.put("copied")
        except Exception as e:  # reported to the parent
            out.put(type(e).__name__)


@needs_fork
@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs POSIX file size limits")
def test_a_backup_that_fails_midway_leaves_no_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with SQLiteStore(path, synchronous="off") as store:
        with store.unit_of_work() as uow:
            for i in range(1_000):
                uow.add_lead(make_lead(f"L{i}", company="星河科技" * 40))
            uow.commit()
        target = tmp_path / "copy.db"
        out: Queue[Any] = CONTEXT.Queue()
        child = CONTEXT.Process(
            target=_back_up_past_a_size_limit, args=(str(path), str(target), out)
        )
        child.start()
        assert out.get(timeout=10) == StoreFileError.__name__
        child.join(5)
        assert not target.exists(), "a partial copy would pass for a backup"
        store.backup(target)  # and the path is free for a backup that succeeds
    assert _count(target) == 1_000


def test_a_backup_never_writes_over_a_file_that_appears_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copy.db"
    with SQLiteStore(tmp_path / "live.db") as store:
        _add(store, "L1")
        check_file = store.check_file

        def appearing() -> None:
            check_file()
            target.write_text("someone else's file")

        monkeypatch.setattr(store, "check_file", appearing)
        with pytest.raises(StoreFileError, match="new file path"):
            store.backup(target)
    assert target.read_text() == "someone else's file"


# --- the file deleted, moved or replaced under an open store ---------------------------------
def _delete(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)


def _delete_beside(path: Path) -> None:
    """Delete the -wal and -shm files, as if they were litter: another process opening the
    file now sees neither the commits in the deleted WAL nor the lock of this one."""
    for name in (f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink()


def _replace(path: Path) -> None:
    os.rename(path, path.with_name("old.db"))
    SQLiteStore(path).close()


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.unlink(),
        _delete,
        lambda p: os.rename(p, p.with_name("moved.db")),
        _replace,
        _delete_beside,
    ],
    ids=[
        "file deleted",
        "all files deleted",
        "file moved",
        "file replaced",
        "-wal and -shm deleted",
    ],
)
def test_a_store_whose_file_is_gone_refuses_units_of_work_instead_of_losing_them(
    tmp_path: Path, change: Any
) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store:
        _add(store, "L1")
        change(path)
        with pytest.raises(StoreFileError, match="deleted, moved or replaced"):
            _add(store, "L2")
        with pytest.raises(StoreFileError, match="deleted, moved or replaced"):
            store.backup(tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()
    if path.exists():  # the refused unit of work wrote nothing anywhere
        with SQLiteStore(path) as again, again.unit_of_work() as uow:
            assert uow.get_leads(["L2"]) == {}


def test_a_store_on_a_relative_path_keeps_its_file_when_the_directory_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with SQLiteStore("leads.db") as store:
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        _add(store, "L1")
    assert _count(tmp_path / "leads.db") == 1


# --- a read-only file or folder --------------------------------------------------------------
def _as_someone_else(out: Queue[Any], attempt: Any) -> None:
    """Run ``attempt`` as a user without write access (root reads and writes everything)."""
    if os.geteuid() == 0:
        os.setuid(65534)
    try:
        out.put(attempt())
    except Exception as e:  # reported to the parent
        out.put((type(e).__name__, str(e)))


def _read_then_write(path: Path) -> tuple[object, ...]:
    with SQLiteStore(path) as store:
        held = _count(path)
        try:
            _add(store, "L2")
        except StoreFileError as e:
            return (held, e.reason)
    return (held, "written")


@pytest.fixture
def readable_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder anyone may write in, holding a store with one lead anyone may write."""
    folder = tmp_path_factory.mktemp("ro")
    for part in (folder, *folder.parents):
        if str(part) == "/tmp" or part == part.parent:
            break
        os.chmod(part, os.stat(part).st_mode | 0o755)
    with SQLiteStore(folder / "leads.db") as store:
        _add(store, "L1")
    os.chmod(folder, 0o777)
    os.chmod(folder / "leads.db", 0o666)
    yield folder
    os.chmod(folder, 0o755)


@needs_fork
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_file_or_folder_says_so(readable_folder: Path, what: str) -> None:
    path = readable_folder / "leads.db"
    if what == "file":
        os.chmod(path, 0o444)
    else:
        os.chmod(readable_folder, 0o555)
    out: Queue[Any] = CONTEXT.Queue()
    attempt = (lambda: _read_then_write(path)) if what == "file" else (lambda: _count(path))
    child = CONTEXT.Process(target=_as_someone_else, args=(out, attempt))
    child.start()
    said = out.get(timeout=10)
    child.join(5)
    if what == "file":  # it reads, and refuses the write
        assert said[0] == 1 and "read-only" in said[1] and "-wal" in said[1], said
    else:  # its -wal and -shm files cannot be made
        assert said[0] == StoreFileError.__name__ and "read-only" in said[1], said


def test_a_busy_timeout_of_zero_is_refused_saying_what_would_do() -> None:
    with pytest.raises(ValidationError) as refused:
        SQLiteStore(busy_timeout=0)
    assert refused.value.fields == ("busy_timeout",)
    assert "above 0" in str(refused.value) and "between 0" not in str(refused.value)


@pytest.mark.parametrize("duplicate", [pickle.dumps, copy.copy, copy.deepcopy])
def test_a_store_is_never_pickled_or_copied_into_a_second_handle_on_one_connection(
    tmp_path: Path, duplicate: Any
) -> None:
    for opened in (SQLiteStore(tmp_path / "leads.db"), SQLiteCustomerDirectory()):
        with opened, pytest.raises(LeadcoreError, match="in each process"):
            duplicate(opened)


def test_a_snapshot_of_a_damaged_file_is_a_store_file_error(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        for i in range(2_000):
            uow.add_lead(make_lead(f"L{i}", company="星河科技" * 10))
        uow.commit()
    with open(path, "r+b") as file:  # pages in the middle overwritten; the header intact
        file.seek(path.stat().st_size // 2)
        file.write(b"\xff" * 40_000)
    with SQLiteStore(path) as store, pytest.raises(StoreFileError, match="corrupt"):
        store.snapshot()


# --- errors crossing back from a worker process ----------------------------------------------
def _add_in_worker(path: str) -> str:
    with SQLiteStore(path, busy_timeout=0.1) as store:
        _add(store, f"L{os.getpid()}")
    return "added"


def test_a_worker_s_store_locked_reaches_the_parent_as_itself(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store, store.unit_of_work(), CONTEXT.Pool(1) as pool:
        job = pool.apply_async(_add_in_worker, (str(path),))
        with pytest.raises(StoreLocked) as caught:
            job.get(timeout=10)  # the pool's result thread used to die unpickling it
    assert caught.value.path == str(path) and caught.value.timeout == 0.1
    for error in (StoreLocked("a.db", 2.5), StoreFileError("a.db", "the file is damaged")):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and vars(again) == vars(error)
        assert str(again) == str(error)


def test_a_backup_to_a_name_too_long_is_a_store_file_error(tmp_path: Path) -> None:
    with SQLiteStore() as store, pytest.raises(StoreFileError, match="cannot create"):
        store.backup(tmp_path / ("x" * 5_000 + ".db"))
    assert list(tmp_path.iterdir()) == []
