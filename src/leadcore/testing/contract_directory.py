"""The customer directory contract: tests every ``CustomerDirectory`` must pass, shipped so a
host runs them on the directory over its own tables.

Subclass in a pytest module and say how to make a fresh, empty directory::

    from leadcore.testing import CustomerDirectoryContract

    class TestMyDirectory(CustomerDirectoryContract):
        def make_directory(self) -> MyDirectory:
            return MyDirectory(...)

pytest then runs every ``test_*`` method below against it: lookups, the idempotency of every
write by its key, finding customers by normalised keys, thread safety, a bad argument refused
with ``ValidationError`` naming it (and nothing written), and a conversion interrupted at each
call (before and after the call did its work) that converges when run again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from leadcore.conversion import (
    STEPS,
    CarriedFollowUp,
    ContactDraft,
    ConversionRequest,
    CustomerDirectory,
    CustomerDraft,
    DealDraft,
    DirectoryConflict,
    DirectoryFailed,
    execute,
)
from leadcore.dedup import Normaliser
from leadcore.errors import NotFound, ValidationError
from leadcore.model import Attachment, AttachmentKind, Money
from leadcore.testing.factories import EPOCH
from leadcore.testing.faults import FaultyDirectory, Moment
from leadcore.testing.threads import at_once

__all__ = ["FAULT_POINTS", "CustomerDirectoryContract"]

_NORMALISER = Normaliser.default()


def _draft(
    name: str = "北京星河科技有限公司",
    *,
    phone: str | None = "+8613800138000",
    email: str | None = "Wang@Example.com",
    industry: str | None = None,
) -> CustomerDraft:
    fields = {} if industry is None else {"所属行业": industry}
    return CustomerDraft(name, "bob", phone, email, fields)


def _follow_up(index: int, *refs: str) -> CarriedFollowUp:
    return CarriedFollowUp(
        id=f"F{index}",
        lead_id="L1",
        author_id="bob",
        owner_id="bob",
        at=EPOCH + timedelta(hours=index),
        method="phone",
        content=f"第{index}次电话沟通",
        result="有意向",
        attachments=tuple(Attachment(AttachmentKind.RECORDING, ref) for ref in refs),
    )


def _request(key: str = "L1", *, link_to: str | None = None) -> ConversionRequest:
    return ConversionRequest(
        key,
        "L1",
        customer=None if link_to else _draft(industry="制造业"),
        link_to=link_to,
        contact=ContactDraft("王磊", "+8613800138000", "wang@example.com", title="采购总监"),
        deal=DealDraft("星河科技 采购项目", "bob", Money("200000")),
        follow_ups=(_follow_up(1, "rec-1"), _follow_up(2, "rec-2", "doc-9")),
        collaborators=frozenset({"dave"}),
    )


MOMENTS: tuple[Moment, ...] = ("before", "after")
"""Both moments a fault strikes at."""

FAULT_POINTS: tuple[tuple[str, Moment], ...] = tuple(
    (step, moment) for step in STEPS if step != "link_customer" for moment in MOMENTS
)
"""Every (call, moment) of a conversion to a new customer with a contact, a deal, follow-ups
and a collaborator."""


class CustomerDirectoryContract:
    """Subclass with ``make_directory`` returning a fresh, empty directory; pytest runs the
    tests."""

    def make_directory(self) -> CustomerDirectory:
        """Return a new, empty directory for one test."""
        raise NotImplementedError(
            "subclass CustomerDirectoryContract and implement make_directory()"
        )

    # --- customers -------------------------------------------------------------------------------
    def test_a_created_customer_is_bound_to_its_key_and_read_back(self) -> None:
        directory = self.make_directory()
        made = directory.create_customer("L1", _draft(industry="制造业"))
        assert made.created_for == "L1"
        assert directory.customer(made.id) == made
        assert directory.bound("L1") == made
        assert made.fields["所属行业"] == "制造业" and made.owner_id == "bob"

    def test_creating_again_under_the_same_key_returns_the_first_customer(self) -> None:
        directory = self.make_directory()
        first = directory.create_customer("L1", _draft())
        again = directory.create_customer("L1", _draft("另一个名字"))
        assert again == first
        other = directory.create_customer("L2", _draft("上海云图信息技术有限公司"))
        assert other.id != first.id

    def test_linking_binds_the_key_once(self) -> None:
        directory = self.make_directory()
        a = directory.create_customer("seed-a", _draft())
        b = directory.create_customer("seed-b", _draft("上海云图信息技术有限公司"))
        assert directory.link_customer("L1", a.id) == a
        assert directory.link_customer("L1", b.id) == a, "the first binding stands"
        assert directory.create_customer("L1", _draft()).id == a.id
        assert directory.bound("L1") == a

    def test_unknown_ids_are_not_found_and_bind_nothing(self) -> None:
        directory = self.make_directory()
        with pytest.raises(NotFound):
            directory.customer("C-404")
        with pytest.raises(NotFound):
            directory.link_customer("L1", "C-404")
        assert directory.bound("L1") is None
        for read in (directory.contacts, directory.deals, directory.history):
            with pytest.raises(NotFound):
                read("C-404")
        with pytest.raises(NotFound):
            directory.create_contact("L1", "C-404", ContactDraft("王磊"))

    # --- contacts, deals, history, collaborators ------------------------------------------------
    def test_contacts_and_deals_are_made_once_per_key(self) -> None:
        directory = self.make_directory()
        customer = directory.create_customer("L1", _draft())
        contact = directory.create_contact("L1", customer.id, ContactDraft("王磊", title="总监"))
        assert directory.create_contact("L1", customer.id, ContactDraft("别人")) == contact
        deal = directory.create_deal(
            "L1", customer.id, DealDraft("采购项目", "bob", Money("5000")), contact_id=contact.id
        )
        again = directory.create_deal("L1", customer.id, DealDraft("x", "bob"))
        assert again == deal
        assert (deal.contact_id, deal.amount) == (contact.id, Money("5000"))
        assert directory.contacts(customer.id) == [contact]
        assert directory.deals(customer.id) == [deal]

    def test_each_key_makes_its_own_contact_and_deal(self) -> None:
        """Two leads converted into one customer each get their own contact and deal."""
        directory = self.make_directory()
        customer = directory.create_customer("L1", _draft())
        first = directory.create_contact("L1", customer.id, ContactDraft("王磊"))
        second = directory.create_contact("L2", customer.id, ContactDraft("李娜"))
        assert first.id != second.id and second.name == "李娜"
        deal = directory.create_deal("L1", customer.id, DealDraft("采购项目", "bob"))
        other = directory.create_deal(
            "L2", customer.id, DealDraft("二期项目", "bob"), contact_id=second.id
        )
        assert other.id != deal.id and (other.name, other.contact_id) == ("二期项目", second.id)
        assert directory.create_contact("L2", customer.id, ContactDraft("别人")) == second
        assert sorted(c.id for c in directory.contacts(customer.id)) == sorted(
            [first.id, second.id]
        )
        assert sorted(d.id for d in directory.deals(customer.id)) == sorted([deal.id, other.id])

    def test_follow_ups_and_attachments_are_carried_once_in_time_order(self) -> None:
        directory = self.make_directory()
        customer = directory.create_customer("L1", _draft())
        late, early = _follow_up(2, "doc-9"), _follow_up(1, "rec-1")
        directory.attach("L1", customer.id, [late, early])
        directory.attach("L1", customer.id, [early, late])
        assert directory.history(customer.id) == [early, late]
        refs = [a.ref for f in directory.history(customer.id) for a in f.attachments]
        assert refs == ["rec-1", "doc-9"]

    def test_collaborators_are_added_once(self) -> None:
        directory = self.make_directory()
        customer = directory.create_customer("L1", _draft())
        directory.add_collaborators("L1", customer.id, ["dave"])
        directory.add_collaborators("L1", customer.id, ["dave", "erin"])
        assert directory.customer(customer.id).collaborators == {"dave", "erin"}

    # --- arguments ------------------------------------------------------------------------------
    def test_a_bad_argument_is_refused_naming_it_and_nothing_is_written(self) -> None:
        directory = self.make_directory()
        customer = directory.create_customer("seed", _draft())
        cid = customer.id
        bad: Any = directory  # the calls below break the protocol's types on purpose
        calls: list[tuple[str, Callable[[], object]]] = [
            ("key", lambda: bad.create_customer(None, _draft())),
            ("key", lambda: bad.create_customer(5, _draft())),
            ("key", lambda: bad.create_customer("  ", _draft())),
            ("draft", lambda: bad.create_customer("L1", "北京星河科技有限公司")),
            ("key", lambda: bad.link_customer(None, cid)),
            ("customer_id", lambda: bad.link_customer("L1", 5)),
            ("key", lambda: bad.create_contact(["L1"], cid, ContactDraft("王磊"))),
            ("customer_id", lambda: bad.create_contact("L1", None, ContactDraft("王磊"))),
            ("draft", lambda: bad.create_contact("L1", cid, {"name": "王磊"})),
            ("draft", lambda: bad.create_deal("L1", cid, ContactDraft("王磊"))),
            (
                "contact_id",
                lambda: bad.create_deal("L1", cid, DealDraft("采购项目", "bob"), contact_id=5),
            ),
            ("follow_ups", lambda: bad.attach("L1", cid, "F1")),
            ("follow_ups[0]", lambda: bad.attach("L1", cid, [{"id": "F1"}])),
            ("key", lambda: bad.attach(None, cid, [_follow_up(1)])),
            ("user_ids", lambda: bad.add_collaborators("L1", cid, "bob")),
            ("user_ids[0]", lambda: bad.add_collaborators("L1", cid, [1])),
            ("customer_id", lambda: bad.add_collaborators("L1", 5, ["bob"])),
            ("customer_id", lambda: bad.customer(None)),
            ("customer_id", lambda: bad.contacts(5)),
            ("key", lambda: bad.bound(None)),
            ("keys", lambda: bad.find("星河")),
            ("keys[0]", lambda: bad.find(["星河"])),
        ]
        for field, call in calls:
            with pytest.raises(ValidationError) as caught:
                call()
            assert caught.value.fields[:1] == (field,), (field, caught.value)
        assert directory.customer(cid) == customer, "nothing was written"
        assert directory.bound("L1") is None
        assert directory.contacts(cid) == [] and directory.deals(cid) == []
        assert directory.history(cid) == []

    # --- finding --------------------------------------------------------------------------------
    def test_customers_are_found_by_normalised_name_phone_and_email(self) -> None:
        directory = self.make_directory()
        customer = directory.create_customer("L1", _draft())
        keys = [
            _NORMALISER.key("company", "星河（北京）科技有限公司"),
            _NORMALISER.key("phone", "138 0013 8000"),
            _NORMALISER.key("email", "wang@EXAMPLE.com"),
        ]
        found = directory.find([k for k in keys if k is not None])
        assert {m.customer_id for m in found} == {customer.id}
        assert sorted(m.key.kind.value for m in found) == ["company", "email", "phone"]
        assert directory.find([]) == []
        other = _NORMALISER.key("company", "上海星河科技有限公司")
        assert other is not None and directory.find([other]) == []

    def test_a_contact_s_phone_finds_its_customer(self) -> None:
        directory = self.make_directory()
        customer = directory.create_customer("L1", _draft(phone=None, email=None))
        contact = directory.create_contact(
            "L1", customer.id, ContactDraft("李娜", phone="+8613900139000")
        )
        key = _NORMALISER.key("phone", "13900139000")
        assert key is not None
        [match] = directory.find([key])
        assert (match.customer_id, match.contact_id) == (customer.id, contact.id)
        assert "already belongs to customer" in str(match)

    # --- concurrency ----------------------------------------------------------------------------
    def test_threads_creating_under_one_key_make_one_customer(self) -> None:
        directory = self.make_directory()
        made: list[str] = []

        def create() -> None:
            made.append(directory.create_customer("L1", _draft()).id)

        at_once(*(create for _ in range(8)))
        assert len(made) == 8 and len(set(made)) == 1

    # --- a whole conversion, interrupted ------------------------------------------------------
    def fault_points(self) -> list[tuple[str, Moment]]:
        """The (call, before/after) points a fault is injected at; override to narrow."""
        return list(FAULT_POINTS)

    def test_a_conversion_interrupted_at_any_call_converges_when_run_again(self) -> None:
        for step, moment in self.fault_points():
            directory = FaultyDirectory(self.make_directory(), step, moment)
            request = _request()
            with pytest.raises(DirectoryFailed) as caught:
                execute(directory, request)
            assert caught.value.call == step, (step, moment)
            receipt = execute(directory, request)
            again = execute(directory, request)
            assert again.event_data() == receipt.event_data(), "a third run changes nothing"
            customer = receipt.customer
            assert directory.bound("L1") == directory.customer(customer.id)
            assert [c.id for c in directory.contacts(customer.id)] == [receipt.contact_id]
            assert receipt.deal is not None
            assert [d.id for d in directory.deals(customer.id)] == [receipt.deal.id]
            assert [f.id for f in directory.history(customer.id)] == ["F1", "F2"]
            assert set(receipt.attachments) == {"rec-1", "rec-2", "doc-9"}
            assert "dave" in directory.customer(customer.id).collaborators

    def test_a_key_bound_to_one_customer_refuses_another(self) -> None:
        directory = self.make_directory()
        existing = directory.create_customer("seed", _draft("上海云图信息技术有限公司"))
        execute(directory, _request())
        with pytest.raises(DirectoryConflict):
            execute(directory, _request(link_to=existing.id))
        assert directory.contacts(existing.id) == []
