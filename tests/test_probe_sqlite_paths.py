"""Probing the SQLite files as a user would: the paths people type (relative, ``~``, Chinese,
trailing slashes, symbolic links, URIs, files they may not read), errors that name the object
that met them, and the record of which threads write to which file (rollbacks, closing, many
threads, forks, processes, no leaks)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sqlite3
import threading
import time
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import pytest

from leadcore import (
    LeadcoreError,
    NotFound,
    SQLiteCustomerDirectory,
    SQLiteStore,
    StoreFileError,
    StoreLocked,
    ValidationError,
)
from leadcore.conversion import CustomerDraft
from leadcore.storage import sqlite_file
from leadcore.testing import make_lead

LONG = 30.0  # a busy timeout no test may sit out
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
AS_ROOT = "root reads and writes every file whatever its permissions"
CONTEXT = (
    multiprocessing.get_context("fork")
    if "fork" in multiprocessing.get_all_start_methods()
    else multiprocessing.get_context("spawn")
)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _held() -> dict[tuple[int, int], list[sqlite3.Connection]]:
    """This thread's record of its write transactions."""
    return dict(sqlite_file._writes.held)


# --- paths -------------------------------------------------------------------------------------
def test_a_relative_path_is_the_file_in_the_working_directory_at_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    with SQLiteStore("leads.db") as store:
        monkeypatch.chdir(tmp_path / "elsewhere")  # moving on does not move the store
        with store.unit_of_work() as uow:
            uow.add_lead(make_lead("L1"))
            uow.commit()
        assert store.path == "leads.db"
    assert _names(tmp_path / "elsewhere") == []
    with SQLiteStore(tmp_path / "leads.db") as again, again.unit_of_work() as uow:
        assert uow.get_lead("L1").id == "L1"


def test_tilde_is_not_expanded_and_the_error_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore("~/leads.db")
    assert caught.value.reason.startswith(f"the directory {str(tmp_path / '~')!r} does not exist")
    assert "'~' is not expanded (as with open()): use os.path.expanduser(path)" in str(caught.value)
    (tmp_path / "~").mkdir()  # a folder that is really called "~" is used as given
    with SQLiteStore("~/leads.db"):
        pass
    assert "leads.db" in _names(tmp_path / "~")


def test_chinese_file_and_folder_names_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "客户资料"
    folder.mkdir()
    path = folder / "线索库.db"
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        uow.add_lead(make_lead("L1", company="星河科技"))
        uow.commit()
    with SQLiteStore(str(path)) as store, store.unit_of_work() as uow:
        assert (store.path, uow.get_lead("L1").company) == (str(path), "星河科技")
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(tmp_path / "没有的目录" / "线索库.db")
    assert "没有的目录' does not exist" in str(caught.value)


def test_a_trailing_separator_names_a_directory_and_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(f"{tmp_path / 'leads.db'}{os.sep}")
    example = repr(str(tmp_path / "leads.db"))
    assert caught.value.reason == (
        f"the path ends with {os.sep!r}, so it names a directory; give a file path, "
        f"such as {example}"
    )
    assert _names(tmp_path) == []  # SQLite would have made 'leads.db'
    with pytest.raises(StoreFileError, match="the path is a directory"):
        SQLiteStore(f"{tmp_path}{os.sep}")


def test_symbolic_links(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "to-folder").symlink_to(tmp_path / "data")
    with pytest.raises(StoreFileError, match="the path is a directory"):
        SQLiteStore(tmp_path / "to-folder")
    (tmp_path / "nowhere.db").symlink_to(tmp_path / "gone" / "leads.db")
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(tmp_path / "nowhere.db")
    target = repr(str(tmp_path / "gone" / "leads.db"))
    assert caught.value.reason.startswith(
        f"the path is a symbolic link to {target}, and the directory "
        f"{str(tmp_path / 'gone')!r} does not exist"
    )
    (tmp_path / "loop.db").symlink_to(tmp_path / "loop.db")
    with pytest.raises(StoreFileError, match="a symbolic link that cannot be followed"):
        SQLiteStore(tmp_path / "loop.db")
    (tmp_path / "later.db").symlink_to(tmp_path / "data" / "leads.db")
    with SQLiteStore(tmp_path / "later.db"):  # dangling into a folder: the file is made there
        pass
    assert "leads.db" in _names(tmp_path / "data")


def test_through_a_symbolic_link_a_deleted_wal_file_is_noticed(tmp_path: Path) -> None:
    (tmp_path / "alias.db").symlink_to(tmp_path / "leads.db")
    with SQLiteStore(tmp_path / "alias.db") as store:
        with store.unit_of_work():
            pass
        assert "leads.db-wal" in _names(tmp_path)  # beside the file, not the link
        (tmp_path / "leads.db-wal").unlink()
        with (
            pytest.raises(StoreFileError, match="deleted, moved or replaced"),
            store.unit_of_work(),
        ):
            pass  # pragma: no cover - never reached


def test_memory_and_empty_paths() -> None:
    with SQLiteStore(":memory:") as store, store.unit_of_work() as uow:
        assert uow.last_position() == 0
    assert _held() == {}
    with pytest.raises(ValidationError, match="must be a file path or ':memory:', not ''"):
        SQLiteStore("")


def test_sqlite_uris_are_refused_so_a_backup_never_overwrites_the_file_they_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with SQLiteStore("precious.db") as precious, precious.unit_of_work() as uow:
        uow.add_lead(make_lead("KEEP"))
        uow.commit()
    with SQLiteStore("other.db") as other, pytest.raises(ValidationError) as caught:
        other.backup("file:precious.db")  # SQLite would have read it as precious.db
    assert caught.value.fields == ("path",)
    assert "not a SQLite URI ('file:precious.db')" in str(caught.value)
    assert f"{os.path.join(os.curdir, 'file:precious.db')!r}" in str(caught.value)
    with SQLiteStore("precious.db") as precious, precious.unit_of_work() as uow:
        assert uow.get_lead("KEEP").id == "KEEP"
    for cls in (SQLiteStore, SQLiteCustomerDirectory):
        with pytest.raises(ValidationError, match="not a SQLite URI"):
            cls("file:leads.db?mode=ro")
    assert "file:precious.db" not in _names(tmp_path)
    with SQLiteStore(os.path.join(os.curdir, "file:odd.db")):  # a file named so is fine
        pass
    assert "file:odd.db" in _names(tmp_path)


# --- errors name what met them -----------------------------------------------------------------
def _newer(path: Path) -> None:
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO leadcore_schema VALUES (99, 'from the future', 'soon')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("cls", "subject"),
    [(SQLiteStore, "SQLite store"), (SQLiteCustomerDirectory, "SQLite customer directory")],
)
def test_file_errors_name_the_object_that_met_them(
    tmp_path: Path, cls: type[SQLiteStore | SQLiteCustomerDirectory], subject: str
) -> None:
    _newer(tmp_path / "newer.db")
    (tmp_path / "notes.txt").write_text("notes" * 1000, encoding="utf-8")
    for path, reason in [
        (tmp_path, "the path is a directory"),
        (tmp_path / "newer.db", "the file was written by a newer leadcore (schema version 99"),
        (tmp_path / "notes.txt", "the file is not a SQLite database"),
    ]:
        with pytest.raises(StoreFileError) as caught:
            cls(path)
        assert str(caught.value).startswith(f"{subject} {str(path)!r}: {reason}")
        again = pickle.loads(pickle.dumps(caught.value))
        assert (str(again), again.subject, again.reason) == (
            str(caught.value),
            subject,
            caught.value.reason,
        )


def test_a_directory_write_on_a_read_only_file_names_the_directory(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with SQLiteCustomerDirectory(path) as book:
        book._connection().execute("PRAGMA query_only = ON")
        with pytest.raises(StoreFileError) as caught:
            book.create_customer("L1", CustomerDraft("北京星河科技有限公司", "bob"))
    assert str(caught.value).startswith(f"SQLite customer directory {str(path)!r}: ")


@pytest.mark.skipif(ROOT, reason=AS_ROOT)
def test_a_read_only_directory_says_this_process_may_not_create_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StoreFileError) as caught:
            SQLiteStore(folder / "leads.db")
    finally:
        folder.chmod(0o755)
    assert caught.value.reason.startswith(
        f"this process may not create a file in {str(folder)!r} (permission denied)"
    )
    assert _names(folder) == []


@pytest.mark.skipif(ROOT, reason=AS_ROOT)
def test_a_file_this_process_may_not_read_says_so(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    SQLiteStore(path).close()
    path.chmod(0o000)
    try:
        for cls in (SQLiteStore, SQLiteCustomerDirectory):
            with pytest.raises(StoreFileError, match="this process may not read the file"):
                cls(path)
    finally:
        path.chmod(0o644)


# --- the record of which threads write ---------------------------------------------------------
def test_a_unit_of_work_that_raises_frees_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as first, SQLiteStore(path, busy_timeout=LONG) as second:
        with pytest.raises(RuntimeError), first.unit_of_work() as uow:
            uow.add_lead(make_lead("L1"))
            raise RuntimeError("boom")
        assert _held() == {}
        started = time.monotonic()
        with second.unit_of_work() as uow, pytest.raises(NotFound):  # at once, and empty
            uow.get_lead("L1")
        assert time.monotonic() - started < LONG / 3


def test_closing_from_another_thread_waits_for_the_unit_of_work(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    store = SQLiteStore(path)
    inside, closed = threading.Event(), threading.Event()

    def close() -> None:
        inside.wait(10)
        store.close()
        closed.set()

    closer = threading.Thread(target=close)
    closer.start()
    with store.unit_of_work() as uow:
        with pytest.raises(LeadcoreError, match="finish this thread's unit of work"):
            store.close()
        inside.set()
        assert not closed.wait(0.2)  # the other thread waits for this unit of work
        uow.add_lead(make_lead("L1"))
        uow.commit()
    closer.join(10)
    assert closed.is_set() and _held() == {}
    with pytest.raises(LeadcoreError, match="is closed"), store.unit_of_work():
        pass  # pragma: no cover - never reached
    with SQLiteStore(path, busy_timeout=LONG) as again, again.unit_of_work() as uow:
        assert uow.get_lead("L1").id == "L1"


def _run_in_threads(count: int, work: Any) -> list[BaseException]:
    """Run ``work(n, barrier)`` in ``count`` threads at once; what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n, barrier)
        except BaseException as e:  # every error is the test's to see
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_many_threads_each_with_a_store_on_one_file_are_never_refused(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    SQLiteStore(path).close()

    def work(n: int, barrier: threading.Barrier) -> None:
        with SQLiteStore(path, busy_timeout=LONG) as store:
            for k in range(10):
                barrier.wait(10)  # every thread begins its unit of work at once
                with store.unit_of_work() as uow:
                    uow.add_lead(make_lead(f"T{n}-{k}"))
                    uow.commit()
                assert _held() == {}

    assert _run_in_threads(6, work) == []
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        assert all(uow.get_lead(f"T{n}-{k}") for n in range(6) for k in range(10))


def _overlapping(path: Path, store: SQLiteStore) -> None:
    def work(n: int, barrier: threading.Barrier) -> None:
        for k in range(10):
            barrier.wait(10)  # every thread begins its unit of work at once
            with store.unit_of_work() as uow:
                uow.add_lead(make_lead(f"S{n}-{k}"))
                uow.commit()

    assert _run_in_threads(6, work) == []
    with SQLiteStore(path) as again, again.unit_of_work() as uow:
        assert all(uow.get_lead(f"S{n}-{k}") for n in range(6) for k in range(10))


def test_a_store_shared_by_threads_orders_them_without_refusals(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path, busy_timeout=LONG) as store:
        _overlapping(path, store)


def test_a_nested_unit_of_work_on_one_store_keeps_its_own_error(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "leads.db") as store, store.unit_of_work():
        with pytest.raises(LeadcoreError) as caught, store.unit_of_work():
            pass  # pragma: no cover - never reached
        assert str(caught.value).startswith("a unit of work is already open on this store")


def test_a_thread_that_ended_inside_a_unit_of_work_does_not_refuse_new_threads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store:
        left_open: list[Any] = []

        def abandon() -> None:
            block = store.unit_of_work()
            left_open.append(block)
            block.__enter__()  # and the thread ends without leaving it

        thread = threading.Thread(target=abandon)
        thread.start()
        thread.join(10)

        def write(n: int, barrier: threading.Barrier) -> None:
            # A new thread may get the ended one's id: it still waits, as for any writer.
            with SQLiteStore(path, busy_timeout=0.05) as own, own.unit_of_work():
                pass  # pragma: no cover - never reached

        try:
            for _ in range(3):
                errors = _run_in_threads(1, write)
                assert [type(e) for e in errors] == [StoreLocked]
        finally:
            left_open[0].__exit__(None, None, None)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_fork_while_another_thread_is_in_a_unit_of_work(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store:
        inside, done = threading.Event(), threading.Event()

        def hold() -> None:
            with store.unit_of_work():
                inside.set()
                done.wait(30)

        holder = threading.Thread(target=hold)
        holder.start()
        inside.wait(10)
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                with SQLiteStore(path, busy_timeout=0.1) as own, own.unit_of_work():
                    pass
            except StoreLocked:
                code = 0 if sqlite_file._writes.held == {} else 3
            except BaseException:
                code = 2
            os._exit(code)
        _, status = os.waitpid(child, 0)
        done.set()
        holder.join(10)
    assert os.waitstatus_to_exitcode(status) == 0


def _write_in_a_process(path: str, lead_id: str, out: Queue[Any]) -> None:
    """Add ``lead_id`` in a unit of work of a store of this process; report what happened."""
    try:
        with SQLiteStore(path, busy_timeout=0.2) as store, store.unit_of_work() as uow:
            uow.add_lead(make_lead(lead_id))
            uow.commit()
        out.put("written")
    except Exception as e:  # reported to the parent
        out.put(type(e).__name__)


def test_another_process_waits_for_a_unit_of_work_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    out: Queue[Any] = CONTEXT.Queue()
    with SQLiteStore(path) as store:
        with store.unit_of_work():  # open while the child starts (forks, where it can)
            child = CONTEXT.Process(target=_write_in_a_process, args=(str(path), "P1", out))
            child.start()
            assert out.get(timeout=60) == StoreLocked.__name__  # waited, never refused
            child.join(60)
        child = CONTEXT.Process(target=_write_in_a_process, args=(str(path), "P2", out))
        child.start()
        assert out.get(timeout=60) == "written"
        child.join(60)
        with store.unit_of_work() as uow:
            assert uow.get_lead("P2").id == "P2"


def test_closed_stores_leave_nothing_in_the_record(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    SQLiteStore(path).close()

    def connections() -> int:
        gc.collect()
        return sum(isinstance(o, sqlite3.Connection) for o in gc.get_objects())

    def cycle(n: int) -> None:
        with SQLiteStore(path, synchronous="off") as store, store.unit_of_work() as uow:
            uow.add_lead(make_lead(f"L{n}"))
            uow.commit()
        with SQLiteCustomerDirectory(path, synchronous="off") as book:
            book.create_customer(f"L{n}", CustomerDraft(f"客户{n}", "bob"))

    before = connections()
    for n in range(200):
        cycle(n)
        assert _held() == {}
    assert connections() == before
