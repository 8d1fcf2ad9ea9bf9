"""The customer directory contract on the default directory; the arguments both directories
leadcore ships check alike (the host's own records, tampered drafts); drafts and carried
follow-ups checking their values when made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from leadcore import SQLiteCustomerDirectory, ValidationError
from leadcore.conversion import (
    CarriedFollowUp,
    ContactDraft,
    ConversionSetup,
    CustomerDirectory,
    CustomerDraft,
    DealDraft,
    MemoryCustomerDirectory,
)
from leadcore.testing import EPOCH, CustomerDirectoryContract


class TestMemoryCustomerDirectory(CustomerDirectoryContract):
    """Every directory rule on ``MemoryCustomerDirectory``."""

    def make_directory(self) -> CustomerDirectory:
        return MemoryCustomerDirectory()


Shipped = MemoryCustomerDirectory | SQLiteCustomerDirectory


@pytest.fixture(params=["memory", "sqlite"])
def shipped(request: pytest.FixtureRequest) -> Iterator[Shipped]:
    if request.param == "memory":
        yield MemoryCustomerDirectory()
    else:
        with SQLiteCustomerDirectory() as directory:
            yield directory


def test_the_host_s_own_records_take_only_text_naming_a_bad_argument(shipped: Shipped) -> None:
    acme = shipped.add_customer("Acme Ltd", customer_id="C1", phone=" 13800138000 ")
    assert acme.phone == "13800138000"
    bad: Any = shipped
    calls: list[tuple[str, Callable[[], object]]] = [
        ("phone", lambda: bad.add_customer("Beta", phone=13800138000)),
        ("phone", lambda: bad.add_customer("Beta", phone=["1"])),
        ("phone", lambda: bad.add_customer("Beta", phone="\udc80")),
        ("owner_id", lambda: bad.add_customer("Beta", owner_id=7)),
        ("owner_id", lambda: bad.add_customer("Beta", owner_id="\udc80")),
        ("email", lambda: bad.add_customer("Beta", email=b"a@b.cn")),
        ("name", lambda: bad.add_customer(None)),
        ("customer_id", lambda: bad.add_customer("Beta", customer_id=5)),
        ("name", lambda: bad.add_contact("C1", 5)),
        ("name", lambda: bad.add_contact("C1", "\udc80")),
        ("phone", lambda: bad.add_contact("C1", "王磊", phone=13900139000)),
        ("customer_id", lambda: bad.add_contact(None, "王磊")),
    ]
    for field, call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.fields == (field,), (field, caught.value)
    assert shipped.customers() == [acme], "nothing was written"
    assert shipped.contacts("C1") == []


def test_a_draft_changed_after_it_was_made_is_refused_naming_the_field(shipped: Shipped) -> None:
    draft = CustomerDraft("北京星河科技有限公司", "bob")
    object.__setattr__(draft, "phone", "\udc80")  # past the draft's own checks
    with pytest.raises(ValidationError) as caught:
        shipped.create_customer("L1", draft)
    assert caught.value.fields == ("draft.phone",)
    customer = shipped.add_customer("Acme Ltd")
    contact = ContactDraft("王磊")
    object.__setattr__(contact, "fields", {"备注": "\udc80"})
    with pytest.raises(ValidationError) as refused:
        shipped.create_contact("L1", customer.id, contact)
    assert refused.value.fields == ("draft.fields.备注",)
    assert shipped.bound("L1") is None and shipped.contacts(customer.id) == []


def _carried(**changes: object) -> CarriedFollowUp:
    values: dict[str, Any] = {
        "id": "F1",
        "lead_id": "L1",
        "author_id": "bob",
        "owner_id": "bob",
        "at": EPOCH,
        "method": "phone",
        "content": "第一次电话沟通\n约了下周见面",
        "result": "有意向",
    }
    return CarriedFollowUp(**(values | changes))


# The draft classes, untyped: the values below break their types on purpose.
_CUSTOMER: Any = CustomerDraft
_CONTACT: Any = ContactDraft
_DEAL: Any = DealDraft


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: _CUSTOMER(5, "bob"), "name"),
        (lambda: _CUSTOMER(" ", "bob"), "name"),
        (lambda: _CUSTOMER("星河科技", 7), "owner_id"),
        (lambda: _CUSTOMER("星河科技", "bob", phone=13800138000), "phone"),
        (lambda: _CUSTOMER("星河科技", "bob", email="\udc80"), "email"),
        (lambda: _CUSTOMER("星河科技", "bob", fields={"备注": "\udc80"}), "fields.备注"),
        (lambda: _CUSTOMER("星河科技", "bob", fields={"标签": ("a", "\udc80")}), "fields.标签"),
        (lambda: _CUSTOMER("星河科技", "bob", fields={"x": object()}), "fields.x"),
        (lambda: _CUSTOMER("星河科技", "bob", fields={1: "x"}), "fields"),
        (lambda: _CUSTOMER("星河科技", "bob", fields=5), "fields"),
        (lambda: _CONTACT("王磊", wechat=["wx"]), "wechat"),
        (lambda: _CONTACT("王磊", title="\x00"), "title"),
        (lambda: _DEAL("采购项目", "bob", amount=5000), "amount"),
        (lambda: _DEAL("采购项目", None), "owner_id"),
        (lambda: _carried(at=datetime(2024, 1, 1)), "at"),
        (lambda: _carried(content="\udc80"), "content"),
        (lambda: _carried(lead_id=1), "lead_id"),
        (lambda: _carried(attachments=["rec-1"]), "attachments"),
    ],
)
def test_drafts_and_carried_follow_ups_check_their_values(
    make: Callable[[], object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.fields == (field,)


def test_a_record_made_from_a_draft_carries_every_value_of_the_draft() -> None:
    import attrs

    from leadcore.conversion import Contact, ContactDraft, Customer, CustomerDraft, Deal, DealDraft
    from leadcore.model import Money

    customer_draft = CustomerDraft(
        "星河科技", "bob", "+8613800138000", "a@x.cn", {"所属行业": "IT"}
    )
    contact_draft = ContactDraft("张伟", "+8613800138000", "z@x.cn", "zw", "CTO", {"职务": "CTO"})
    deal_draft = DealDraft("星河科技", "bob", Money("5000"), {"预计金额": 5000})
    deal = Deal.from_draft("D1", "C1", deal_draft, "L1", contact_id="P1")
    made: list[tuple[Any, Any]] = [
        (customer_draft, Customer.from_draft("C1", customer_draft, "L1")),
        (contact_draft, Contact.from_draft("P1", "C1", contact_draft, "L1")),
        (deal_draft, deal),
    ]
    for draft, record in made:
        assert record.created_for == "L1"
        for name, value in attrs.asdict(draft, recurse=False).items():
            assert getattr(record, name) == value, name
    assert deal.contact_id == "P1"


def test_matches_each_asks_the_directory_once_and_answers_per_record() -> None:
    directory = MemoryCustomerDirectory()
    directory.add_customer("星河科技有限公司", customer_id="C1", phone="13800138000")
    directory.add_customer("Acme Ltd", customer_id="C2", email="buyer@acme.cn")
    calls: list[int] = []
    find = directory.find

    def counted(keys: Any) -> Any:
        calls.append(1)
        return find(keys)

    directory.find = counted  # type: ignore[method-assign]
    setup = ConversionSetup(directory)
    found = setup.matches_each(
        [{"phone": "138 0013 8000"}, {"email": "nobody@x.cn"}, {"email": "BUYER@acme.cn"}]
    )
    assert len(calls) == 1
    assert [[m.customer_id for m in ms] for ms in found] == [["C1"], [], ["C2"]]
    assert setup.matches({"email": "buyer@acme.cn"})[0].customer_id == "C2"


@pytest.mark.parametrize("records", ["13800138000", None, {"phone": "13800138000"}, 5])
def test_matches_each_refuses_what_is_not_a_list_of_records(records: object) -> None:
    with pytest.raises(ValidationError, match="records"):
        ConversionSetup().matches_each(records)  # type: ignore[arg-type]


def test_matches_each_refuses_keys_that_do_not_pair_with_the_records() -> None:
    with pytest.raises(ValidationError, match="keys"):
        ConversionSetup().matches_each([{"phone": "13800138000"}], keys=[])
