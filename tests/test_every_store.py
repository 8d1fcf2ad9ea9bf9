"""The store contract suite and the desk's application test case on every store leadcore ships:
MemoryStore, SQLiteStore in memory and SQLiteStore on a file, through one parametrised fixture.
On SQLite, each write is also made to fail midway (the contract's fault points)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from leadcore import LeadStore, MemoryStore, SQLiteStore
from leadcore.storage import (
    sqlite_keys,
    sqlite_records,
    sqlite_times,
    sqlite_uow,
    sqlite_uow_records,
)
from leadcore.testing import DeskApplicationCase, LeadStoreContract
from leadcore.testing.contract_records import FaultPoints, InjectedFault

STORES = ("memory", "sqlite-memory", "sqlite-file")
KEEP_OPEN = 16


class StoreMaker:
    """Makes fresh stores of one kind and closes the SQLite ones at the end of the class.

    File stores are copies of one freshly made empty store and skip waiting for the disk
    (``synchronous="off"``): the same files and SQL, made a hundred times faster."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.folder = folder
        self.made: list[SQLiteStore] = []
        self._names = itertools.count()
        self._template = folder / "empty.db"
        if kind == "sqlite-file":
            SQLiteStore(self._template).close()

    def __call__(self) -> LeadStore:
        if self.kind == "memory":
            return MemoryStore()
        if self.kind == "sqlite-memory":
            store = SQLiteStore()
        else:
            path = self.folder / f"store-{next(self._names)}.db"
            shutil.copyfile(self._template, path)
            store = SQLiteStore(path, synchronous="off")
        self.made.append(store)
        if len(self.made) > KEEP_OPEN:  # a test uses its newest stores; free the file handles
            self.made.pop(0).close()
        return store

    def close_all(self) -> None:
        for store in self.made:
            store.close()
        self.made.clear()


@pytest.fixture(scope="class", params=STORES)
def every_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreMaker]:
    """Parametrises a test class over every store kind: the class's ``make_store`` makes one."""
    maker = StoreMaker(request.param, tmp_path_factory.mktemp(request.param))
    request.cls.maker = maker
    yield maker
    maker.close_all()


def failing_after(target: Any, name: str) -> AbstractContextManager[None]:
    """Patch ``target.name`` to do its work, then raise ``InjectedFault``: a write that fails
    after it has changed rows."""
    original: Callable[..., Any] = getattr(target, name)

    def failing(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise InjectedFault(name)

    return patch.object(target, name, failing)  # type: ignore[arg-type]


SQLITE_FAULTS: FaultPoints = {
    "add_lead": lambda store: failing_after(sqlite_uow, "write_people"),
    "save_lead": lambda store: failing_after(sqlite_uow, "write_people"),
    "delete_lead": lambda store: failing_after(sqlite_uow, "drop_dependents"),
    "append_events": lambda store: failing_after(sqlite_uow_records, "insert_events"),
    "put_grant": lambda store: failing_after(sqlite_records, "write_grant"),
    "add_ownership_record": lambda store: failing_after(sqlite_records, "add_ownership"),
    "add_follow_up": lambda store: failing_after(sqlite_uow_records, "insert_follow_up"),
    "move_follow_up": lambda store: failing_after(sqlite_uow_records, "write_follow_up"),
    "save_follow_up": lambda store: failing_after(sqlite_uow_records, "write_follow_up"),
    "add_lead_keys": lambda store: failing_after(sqlite_keys, "write_keys"),
    "save_lead_keys": lambda store: failing_after(sqlite_keys, "write_keys"),
    "set_sweep_at": lambda store: failing_after(sqlite_times, "write_sweep"),
}


@pytest.mark.usefixtures("every_store")
class TestStoreContract(LeadStoreContract):
    """The whole store contract on each store kind."""

    maker: StoreMaker

    def make_store(self) -> LeadStore:
        return self.maker()

    def fault_points(self) -> FaultPoints:
        return {} if self.maker.kind == "memory" else SQLITE_FAULTS


@pytest.mark.usefixtures("every_store")
class TestDeskOnEveryStore(DeskApplicationCase):
    """Every desk behaviour on each store kind."""

    maker: StoreMaker

    def make_store(self) -> LeadStore:
        return self.maker()
