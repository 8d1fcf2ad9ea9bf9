"""SQLiteCustomerDirectory: the directory contract in memory and on a store's own file, typed
fields kept, a conversion through a desk whose store shares the file, processes creating under
one key, and keys read again when the rules change."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from leadcore import (
    LeadcoreError,
    NotFound,
    Pool,
    SQLiteCustomerDirectory,
    SQLiteStore,
    ValidationError,
)
from leadcore.conversion import (
    ContactDraft,
    CustomerDirectory,
    CustomerDraft,
    DealDraft,
    FieldValue,
)
from leadcore.dedup import DedupRules, Normaliser
from leadcore.model import Money
from leadcore.testing import CustomerDirectoryContract
from leadcore.testing.world import make_world, new_lead


class TestSQLiteDirectoryInMemory(CustomerDirectoryContract):
    """Every directory rule on a directory in memory."""

    made: list[SQLiteCustomerDirectory]

    def setup_method(self) -> None:
        self.made = []

    def teardown_method(self) -> None:
        for directory in self.made:
            directory.close()

    def make_directory(self) -> CustomerDirectory:
        directory = SQLiteCustomerDirectory()
        self.made.append(directory)
        return directory


class TestSQLiteDirectoryOnAStoreFile(TestSQLiteDirectoryInMemory):
    """Every directory rule on the file a SQLiteStore uses, the store open beside it."""

    def setup_method(self) -> None:
        super().setup_method()
        self.folder = Path(tempfile.mkdtemp(prefix="leadcore-directory-"))
        self.stores: list[SQLiteStore] = []

    def teardown_method(self) -> None:
        super().teardown_method()
        for store in self.stores:
            store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def make_directory(self) -> CustomerDirectory:
        path = self.folder / f"crm-{len(self.made)}.db"
        self.stores.append(SQLiteStore(path, synchronous="off"))
        directory = SQLiteCustomerDirectory(path, synchronous="off")
        self.made.append(directory)
        return directory


def test_mapped_fields_keep_their_types_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    fields: dict[str, FieldValue] = {
        "行业": "制造业",
        "员工数": 250,
        "评分": 4.5,
        "预算": Decimal("12.50"),
        "重点": True,
        "成立": date(2001, 5, 1),
        "签约": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "金额": Money("200000"),
        "标签": ("华东", "大客户"),
    }
    with SQLiteCustomerDirectory(path) as directory:
        customer = directory.create_customer("L1", CustomerDraft("星河科技", "bob", fields=fields))
        contact = directory.create_contact("L1", customer.id, ContactDraft("王磊", fields=fields))
        deal = directory.create_deal(
            "L1", customer.id, DealDraft("采购", "bob", Money("5000"), fields=fields)
        )
    with SQLiteCustomerDirectory(path) as directory:
        assert directory.customer(customer.id) == customer
        assert dict(customer.fields) == fields
        assert directory.contacts(customer.id) == [contact]
        assert directory.deals(customer.id) == [deal]
        assert directory.customers() == [customer]


def test_host_records_are_found_and_ids_never_clash() -> None:
    with SQLiteCustomerDirectory() as directory:
        own = directory.add_customer(
            "上海云图信息技术有限公司", customer_id="C2", phone="13900139000"
        )
        with pytest.raises(LeadcoreError, match="taken"):
            directory.add_customer("别的", customer_id="C2")
        first = directory.add_customer("北京星河科技有限公司")
        made = directory.create_customer("L1", CustomerDraft("杭州星云科技有限公司", "bob"))
        assert len({own.id, first.id, made.id}) == 3
        contact = directory.add_contact(own.id, "李娜", email="li@example.com")
        key = directory.normaliser.key("email", "LI@example.com")
        assert key is not None
        [match] = directory.find([key])
        assert (match.customer_id, match.contact_id) == (own.id, contact.id)
        with pytest.raises(NotFound):
            directory.add_contact("C404", "无名")


def test_a_wrong_typed_argument_is_refused_and_the_file_stays_readable(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with SQLiteCustomerDirectory(path) as directory:
        acme = directory.add_customer("Acme Ltd", customer_id="C1")
        bad: Any = directory
        calls: list[Callable[[], object]] = [
            lambda: bad.add_customer("Beta", phone=13800138000),
            lambda: bad.add_customer("Beta", owner_id=7),
            lambda: bad.add_customer("Beta", phone=["1"]),
            lambda: bad.add_customer("Beta", phone="\udc80"),
            lambda: bad.add_contact("C1", 5),
            lambda: bad.create_customer(5, CustomerDraft("Beta", "bob")),
            lambda: bad.create_customer(None, CustomerDraft("Beta", "bob")),
            lambda: bad.link_customer(None, "C1"),
            lambda: bad.add_collaborators("L1", "C1", [1]),
            lambda: bad.add_collaborators("L1", "C1", "bob"),
        ]
        for call in calls:
            with pytest.raises(ValidationError):
                call()
    with SQLiteCustomerDirectory(path) as again:
        assert again.customers() == [acme]
        assert again.customer("C1").collaborators == frozenset()
        assert again.create_customer("L1", CustomerDraft("Beta", "bob")).created_for == "L1"


def test_a_desk_converts_with_the_directory_on_its_store_s_file(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with SQLiteStore(path) as store, SQLiteCustomerDirectory(path) as directory:
        world = make_world(
            store, Pool(id="p", name="线索池", admins={"carol"}), directory=directory
        )
        lead_id = new_lead(world, "carol", pool="p", company="北京星河科技有限公司")
        world.desk.assign("carol", lead_id, "bob")
        result = world.desk.convert("bob", lead_id)
        assert directory.bound(lead_id) == result.receipt.customer
        other = new_lead(world, "carol", pool="p", company="星河（北京）科技有限公司")
        world.desk.assign("carol", other, "bob")
        with pytest.raises(LeadcoreError, match="matches an existing customer"):
            world.desk.convert("bob", other)
    with SQLiteCustomerDirectory(path) as directory:
        assert [c.created_for for c in directory.customers()] == [lead_id]


def _create_under_one_key(path: str) -> str:
    with SQLiteCustomerDirectory(path) as directory:
        return directory.create_customer("L1", CustomerDraft("星河科技", "bob")).id


def test_processes_creating_under_one_key_make_one_customer(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    SQLiteCustomerDirectory(path).close()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        made = pool.map(_create_under_one_key, [str(path)] * 8)
    assert len(set(made)) == 1
    with SQLiteCustomerDirectory(path) as directory:
        assert len(directory.customers()) == 1


def test_keys_are_read_again_when_the_rules_change(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with SQLiteCustomerDirectory(path) as directory:
        customer = directory.create_customer(
            "L1", CustomerDraft("星河科技", "bob", phone="9123 4567")
        )
    hong_kong = Normaliser(DedupRules.from_dict({"phone": {"default_region": "HK"}}))
    local = hong_kong.key("phone", "9123 4567")
    assert local is not None
    with SQLiteCustomerDirectory(path, normaliser=hong_kong) as directory:
        assert [m.customer_id for m in directory.find([local])] == [customer.id]


def test_the_store_s_snapshot_leaves_the_directory_out(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with SQLiteStore(path) as store, SQLiteCustomerDirectory(path) as directory:
        before = store.snapshot()
        directory.create_customer("L1", CustomerDraft("星河科技", "bob"))
        assert store.snapshot() == before
