"""Opening a SQLite store where no store can be says what is wrong with the path, and a thread
that would wait for its own unit of work on the file is refused at once instead."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from leadcore import (
    LeadcoreError,
    SQLiteCustomerDirectory,
    SQLiteStore,
    StoreFileError,
    StoreLocked,
)
from leadcore.conversion import CustomerDraft
from leadcore.dedup import DedupRules, Normaliser, PhoneRules
from leadcore.testing import make_lead

LONG = 30.0  # a busy timeout no test may sit out


# --- paths that cannot hold a store --------------------------------------------------------------
def test_a_directory_is_refused_with_a_file_path_to_give(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(tmp_path)
    assert caught.value.path == str(tmp_path) and isinstance(caught.value, OSError)
    assert str(tmp_path) in str(caught.value)
    example = repr(str(tmp_path / "leads.db"))
    assert caught.value.reason == f"the path is a directory; give a file path, such as {example}"
    assert list(tmp_path.iterdir()) == []


def test_a_path_in_a_missing_directory_is_refused_and_no_directory_made(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(tmp_path / "missing" / "leads.db")
    folder = repr(str(tmp_path / "missing"))
    assert caught.value.reason == (
        f"the directory {folder} does not exist; create it first, or give another path"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("notes", encoding="utf-8")
    with pytest.raises(StoreFileError, match=r"notes\.txt' is not a directory"):
        SQLiteStore(tmp_path / "notes.txt" / "leads.db")


def test_a_file_that_is_not_a_database_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"not a database\n" * 200)
    with pytest.raises(StoreFileError) as caught:
        SQLiteStore(notes)
    assert str(notes) in str(caught.value) and "not a SQLite database" in caught.value.reason
    assert notes.read_bytes() == b"not a database\n" * 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_customer_directory_refuses_a_directory_too(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError, match="the path is a directory; give a file path"):
        SQLiteCustomerDirectory(tmp_path)


def test_a_backup_into_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "leads.db") as store, pytest.raises(StoreFileError) as caught:
        store.backup(tmp_path / "missing" / "copy.db")
    assert "does not exist; create it first" in caught.value.reason
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "leads.db"
    assert not (tmp_path / "missing").exists()


# --- a thread waiting for itself -----------------------------------------------------------------
def _refused_at_once(what: str, path: Path, started: float, error: LeadcoreError) -> None:
    assert type(error) is LeadcoreError  # not StoreLocked: retrying cannot help
    assert str(error).startswith(f"SQLite file {str(path)!r}: {what} would wait for ever")
    assert "already has a unit of work open on the file" in str(error)
    assert time.monotonic() - started < LONG / 3


def test_a_second_store_s_unit_of_work_in_the_same_thread_is_refused_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as first, SQLiteStore(path, busy_timeout=LONG) as second:
        with first.unit_of_work() as uow:
            uow.add_lead(make_lead("L1"))
            started = time.monotonic()
            with pytest.raises(LeadcoreError) as caught, second.unit_of_work():
                pass  # pragma: no cover - never reached
            _refused_at_once("a unit of work", path, started, caught.value)
            uow.commit()  # the first one goes on as if nothing happened
        with second.unit_of_work() as later:  # and once it ended, the second is free
            assert later.get_lead("L1").id == "L1"


def test_a_store_through_another_name_of_the_file_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    (tmp_path / "alias.db").symlink_to(path)
    with (
        SQLiteStore(path) as first,
        SQLiteStore(tmp_path / "alias.db", busy_timeout=LONG) as second,
        first.unit_of_work(),
        pytest.raises(LeadcoreError, match="would wait for ever"),
        second.unit_of_work(),
    ):
        pass  # pragma: no cover - never reached


def test_a_committed_unit_of_work_no_longer_holds_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with (
        SQLiteStore(path) as first,
        SQLiteStore(path, busy_timeout=LONG) as second,
        first.unit_of_work() as uow,
    ):
        uow.add_lead(make_lead("L1"))
        uow.commit()
        with second.unit_of_work() as other:  # the file's lock was released at commit
            assert other.get_lead("L1").id == "L1"


def test_stores_in_memory_are_databases_of_their_own() -> None:
    with (
        SQLiteStore() as first,
        SQLiteStore() as second,
        first.unit_of_work(),
        second.unit_of_work() as uow,
    ):
        assert uow.last_position() == 0


def test_another_thread_still_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as first, SQLiteStore(path, busy_timeout=0.1) as second:
        seen: list[BaseException] = []

        def write() -> None:
            try:
                with second.unit_of_work():
                    pass  # pragma: no cover - never reached
            except LeadcoreError as e:
                seen.append(e)

        with first.unit_of_work():
            writer = threading.Thread(target=write)
            writer.start()
            writer.join(10)
        assert isinstance(seen[0], StoreLocked)


def test_a_directory_write_inside_the_thread_s_unit_of_work_is_refused_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.db"
    with SQLiteStore(path) as store, SQLiteCustomerDirectory(path, busy_timeout=LONG) as book:
        with store.unit_of_work():
            started = time.monotonic()
            with pytest.raises(LeadcoreError) as caught:
                book.create_customer("L1", CustomerDraft("北京星河科技有限公司", "bob"))
            _refused_at_once("a customer directory write", path, started, caught.value)
        assert book.create_customer("L1", CustomerDraft("北京星河科技有限公司", "bob"))


def test_an_open_that_must_write_inside_the_thread_s_unit_of_work_is_refused_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.db"
    other_rules = Normaliser(DedupRules(phone=PhoneRules(dash_extension=False)))
    with SQLiteStore(path) as first, first.unit_of_work():
        with SQLiteStore(path, busy_timeout=LONG):  # the same rules: nothing to write
            pass
        started = time.monotonic()
        with pytest.raises(LeadcoreError) as caught:
            SQLiteStore(path, busy_timeout=LONG, normaliser=other_rules)
        _refused_at_once("opening it (it must write to the file)", path, started, caught.value)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_waits_for_its_parent_s_unit_of_work(tmp_path: Path) -> None:
    path = tmp_path / "leads.db"
    with SQLiteStore(path) as store, store.unit_of_work():
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                with SQLiteStore(path, busy_timeout=0.1) as own, own.unit_of_work():
                    pass
            except StoreLocked:
                code = 0  # it waited for the parent, as another process does
            except BaseException:
                code = 2
            os._exit(code)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
