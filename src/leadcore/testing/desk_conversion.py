"""Conversion on the desk, on every store: new and existing customers, duplicates, the pool's
gate, a new customer owner, batches, a directory failing at each call, two conversions at
once, and reopening."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import attrs
import pytest

from leadcore.conversion import (
    ConversionMapping,
    DirectoryFailed,
    DuplicateCustomer,
    ExistingCustomer,
    MemoryCustomerDirectory,
)
from leadcore.conversion.examples import SEED_MAPPING
from leadcore.dedup import DuplicateAction, DuplicatePolicy
from leadcore.errors import (
    ConcurrencyConflict,
    InvalidTransition,
    LeadcoreError,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import EventKind
from leadcore.importing import RowStatus
from leadcore.model import Attachment, AttachmentKind, LeadStatus
from leadcore.testing.contract_directory import FAULT_POINTS
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.faults import FaultyDirectory
from leadcore.testing.threads import at_once
from leadcore.testing.world import World, new_lead

__all__ = ["ConversionCase"]


class ConversionCase(DeskCase):
    """Converting leads into the host's customers through the desk's directory."""

    def converting_world(self, **options: Any) -> tuple[World, MemoryCustomerDirectory]:
        """A world whose desk converts with the seed's mapping into a memory directory."""
        directory = MemoryCustomerDirectory()
        world = self.world(
            directory=options.pop("directory", directory),
            mapping=ConversionMapping.from_toml(SEED_MAPPING),
            **options,
        )
        return world, directory

    def held_lead(self, world: World, owner: str = "bob", **fields: Any) -> str:
        """A lead in pool east held by ``owner``, from 星河科技 unless told otherwise."""
        details = {"company": "北京星河科技有限公司", "industry": "制造业", **fields}
        lead_id = new_lead(world, **details)
        world.desk.assign("carol", lead_id, owner)
        return lead_id

    def test_a_new_customer_gets_the_mapped_fields_a_contact_a_deal_and_the_history(
        self,
    ) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world, budget="200000", decision_maker_title="采购总监")
        world.desk.follow_up(
            "bob",
            lead_id,
            method="phone",
            content="确认需求",
            result="有意向",
            attachments=[Attachment(AttachmentKind.RECORDING, "rec-1")],
        )
        done = world.desk.convert("bob", lead_id, customer_fields={"客户等级": "A"}, deal=True)
        customer = directory.customer(done.customer_id)
        assert dict(customer.fields) == {
            "所属行业": "制造业",
            "预算区间": "10万-50万",
            "关键人职务": "采购总监",
            "客户等级": "A",
        }
        assert (customer.name, customer.owner_id) == ("北京星河科技有限公司", "bob")
        [contact] = directory.contacts(customer.id)
        assert (contact.name, contact.title, contact.fields["职务"]) == (
            "王磊",
            "采购总监",
            "采购总监",
        )
        [deal] = directory.deals(customer.id)
        assert (deal.contact_id, deal.fields["预计金额"]) == (contact.id, done.lead.budget.amount)  # type: ignore[union-attr]
        [carried] = directory.history(customer.id)
        assert [a.ref for a in carried.attachments] == ["rec-1"]
        assert (done.lead.status, done.lead.converted_customer_id) == (
            LeadStatus.CONVERTED,
            customer.id,
        )
        event = world.desk.history("bob", lead_id)[-1]
        assert event.kind is EventKind.CONVERTED
        assert event.data["customer"] == "created" and event.data["deal_id"] == deal.id
        assert event.data["attachments"] == ["rec-1"]
        with pytest.raises(InvalidTransition):
            world.desk.edit("bob", lead_id, company="改名")
        assert world.desk.get("bob", lead_id).status is LeadStatus.CONVERTED

    def test_a_required_field_left_empty_refuses_and_names_it(self) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world, industry=None)
        before = world.store.snapshot()
        with pytest.raises(ValidationError) as caught:
            world.desk.convert("bob", lead_id)
        assert caught.value.fields == ("customer.所属行业",)
        assert "customer_fields" in str(caught.value)
        assert world.store.snapshot() == before and directory.customers() == []
        done = world.desk.convert("bob", lead_id, customer_fields={"所属行业": "零售"})
        assert directory.customer(done.customer_id).fields["所属行业"] == "零售"

    def test_a_matching_customer_is_named_and_linking_to_it_carries_everything(self) -> None:
        world, directory = self.converting_world()
        first = world.desk.convert("bob", self.held_lead(world))
        other = self.held_lead(world, owner="dave", company="星河（北京）科技有限公司")
        world.desk.follow_up("dave", other, method="visit", content="上门拜访", result="签约意向")
        with pytest.raises(DuplicateCustomer) as caught:
            world.desk.convert("dave", other)
        assert caught.value.matches[0].customer_id == first.customer_id
        assert "owned by bob" in str(caught.value)
        linked = world.desk.convert("dave", other, first.customer_id)
        assert linked.customer_id == first.customer_id
        assert linked.receipt.customer_created is False
        assert linked.contact_id == first.contact_id, "the contact with the same phone"
        assert [f.lead_id for f in directory.history(first.customer_id)] == [other]
        assert "dave" in directory.customer(first.customer_id).collaborators
        assert len(directory.customers()) == 1

    def test_converting_twice_is_refused(self) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world)
        world.desk.convert("bob", lead_id)
        with pytest.raises(InvalidTransition):
            world.desk.convert("bob", lead_id)
        assert len(directory.customers()) == 1

    def test_a_directory_failing_at_any_call_leaves_the_lead_unconverted_until_retried(
        self,
    ) -> None:
        memory = MemoryCustomerDirectory()
        faulty = FaultyDirectory(memory)
        world, _ = self.converting_world(directory=faulty)
        for i, (step, moment) in enumerate(FAULT_POINTS):
            lead_id = self.held_lead(
                world, owner="carol", company=f"星河{i}号科技有限公司", phone=f"1390013{i:04d}"
            )
            world.desk.follow_up("carol", lead_id, method="phone", content="沟通", result="好")
            before = world.desk.get("carol", lead_id)
            faulty.arm(step, moment)
            owner = "dave" if step == "add_collaborators" else None
            with pytest.raises(DirectoryFailed):
                world.desk.convert("carol", lead_id, deal=True, customer_owner_id=owner)
            assert world.desk.get("carol", lead_id) == before, (step, moment)
            done = world.desk.convert("carol", lead_id, deal=True, customer_owner_id=owner)
            customer = faulty.bound(lead_id)
            assert customer is not None and customer.id == done.customer_id
            assert len(faulty.contacts(customer.id)) == len(faulty.deals(customer.id)) == 1
            assert len(faulty.history(customer.id)) == 1
        assert len(memory.customers()) == len(FAULT_POINTS)

    def test_the_pool_gate_lets_only_ready_or_sql_leads_convert(self) -> None:
        world, _ = self.converting_world()
        world.desk.update_pool("sysadmin", "east", conversion_gate="ready")
        lead_id = self.held_lead(world, budget="50000")
        check = world.desk.conversion_readiness("bob", lead_id)
        assert not check.allowed and "missing" in check.reason
        with pytest.raises(PermissionDenied, match="only ready leads"):
            world.desk.convert("bob", lead_id)
        signals = ["demo_requested", "contract_inquiry"]
        assert world.desk.conversion_readiness("bob", lead_id, signals=signals).allowed
        assert (
            world.desk.convert("bob", lead_id, signals=signals).lead.status is LeadStatus.CONVERTED
        )
        world.desk.update_pool("sysadmin", "east", conversion_gate="sql")
        other = self.held_lead(world, company="上海云图信息技术有限公司", phone="13900139000")
        with pytest.raises(PermissionDenied, match="SQL"):
            world.desk.convert("bob", other)
        world.desk.accept_sql("bob", other)
        assert world.desk.convert("bob", other).lead.status is LeadStatus.CONVERTED

    def test_a_pool_admin_gives_the_customer_an_owner_and_converts_a_batch(self) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world)
        with pytest.raises(PermissionDenied, match="pool admin"):
            world.desk.convert("bob", lead_id, customer_owner_id="dave")
        done = world.desk.convert("carol", lead_id, customer_owner_id="dave")
        customer = directory.customer(done.customer_id)
        assert customer.owner_id == "dave" and customer.collaborators == {"bob"}
        fresh = self.held_lead(world, company="上海云图信息技术有限公司", phone="13900139000")
        again = self.held_lead(world, company="星河（北京）科技有限公司", phone="13700137000")
        result = world.desk.convert_batch("carol", [fresh, again, lead_id, "L404"])
        assert result.succeeded == (fresh,)
        assert isinstance(result.failed[again], DuplicateCustomer)
        assert isinstance(result.failed[lead_id], InvalidTransition)
        linked = world.desk.convert_batch("carol", [again], link_matches=True)
        assert linked.outcomes[0].unwrap().converted_customer_id == customer.id

    def test_two_conversions_of_one_lead_at_once_make_one_customer(self) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world)
        results: list[object] = []

        def convert(actor: str) -> None:
            try:
                results.append(world.desk.convert(actor, lead_id))
            except LeadcoreError as e:
                results.append(e)

        at_once(*(partial(convert, actor) for actor in ("bob", "carol")))
        losses = [r for r in results if isinstance(r, LeadcoreError)]
        assert len(results) == 2 and len(losses) == 1, results
        assert isinstance(losses[0], ConcurrencyConflict | InvalidTransition)
        assert len(directory.customers()) == 1
        kinds = [e.kind for e in world.desk.history("bob", lead_id)]
        assert kinds.count(EventKind.CONVERTED) == 1

    def test_reopen_restores_the_status_and_keeps_the_conversion_in_the_history(self) -> None:
        world, directory = self.converting_world()
        world.desk.update_pool("sysadmin", "east", reopen_hours=24)
        lead_id = self.held_lead(world)
        world.desk.follow_up("bob", lead_id, method="phone", content="沟通", result="好")
        first = world.desk.convert("bob", lead_id)
        with pytest.raises(PermissionDenied):
            world.desk.reopen("bob", lead_id)
        reopened = world.desk.reopen("carol", lead_id, reason="转化错了")
        assert (reopened.status, reopened.owner_id) == (LeadStatus.FOLLOWING, "bob")
        assert reopened.converted_customer_id is None
        events = world.desk.history("bob", lead_id)
        assert [e.kind for e in events][-2:] == [EventKind.CONVERTED, EventKind.REOPENED]
        assert events[-1].data["customer_id"] == first.customer_id
        assert events[-1].reason == "转化错了"
        again = world.desk.convert("bob", lead_id, first.customer_id)
        assert again.receipt.key == f"{lead_id}~2" and again.customer_id == first.customer_id
        world.desk.reopen("carol", lead_id, reason="\u200b")  # nothing visible: no reason
        assert world.desk.history("bob", lead_id)[-1].reason is None
        world.desk.convert("bob", lead_id, first.customer_id)
        world.clock.advance(hours=25)
        with pytest.raises(PermissionDenied, match="24 hours"):
            world.desk.reopen("carol", lead_id)
        assert len(directory.customers()) == 1

    def test_customer_matches_answer_the_entry_check(self) -> None:
        world, _ = self.converting_world()
        world.desk.convert("bob", self.held_lead(world))
        [match] = world.desk.customer_matches("dave", phone="138-0013-8000")
        assert str(match).startswith("phone +8613800138000 already belongs to customer")
        assert "owned by bob" in str(match)
        assert world.desk.customer_matches("dave", phone="13900139000") == []

    def test_the_intake_duplicate_check_looks_at_existing_customers_too(self) -> None:
        directory = MemoryCustomerDirectory()
        customer = directory.add_customer(
            "北京星河科技有限公司", owner_id="bob", phone="13800138000"
        )
        reject = DuplicatePolicy(action=DuplicateAction.REJECT)
        world, _ = self.converting_world(directory=directory, duplicates=reject)
        before = world.store.snapshot()
        with pytest.raises(ExistingCustomer) as caught:
            world.desk.create("dave", "east", contact_name="王磊", phone="138-0013-8000")
        message = str(caught.value)
        assert f"already belongs to customer 北京星河科技有限公司 ({customer.id})" in message
        assert "owned by bob" in message and caught.value.id == customer.id
        assert world.store.snapshot() == before
        waiting = world.desk.leads("carol", view="pool", pool_id="east").ids
        report = world.desk.import_leads(
            "carol", "east", [{"contact_name": "王磊", "phone": "13800138000"}]
        )
        [row] = report.rows
        assert row.status is RowStatus.DUPLICATE and row.duplicate_of == f"customer {customer.id}"
        assert report.balanced and report.created_ids == ()
        assert world.desk.leads("carol", view="pool", pool_id="east").ids == waiting
        flag = DuplicatePolicy(action=DuplicateAction.FLAG)
        flagged, _ = self.converting_world(directory=directory, duplicates=flag)
        lead = flagged.desk.create("dave", "east", contact_name="王磊", phone="13800138000")
        [suspected] = [
            e
            for e in flagged.desk.history("carol", lead.id)
            if e.kind is EventKind.DUPLICATE_SUSPECTED
        ]
        assert suspected.data["customers"] == [customer.id] and "owned by bob" in (
            suspected.reason or ""
        )

    # --- the directory's answers, the caller's fields, readiness -------------------------------
    def test_a_directory_answering_outside_the_protocol_fails_by_name_and_changes_nothing(
        self,
    ) -> None:
        class Junk(MemoryCustomerDirectory):
            junk = False

            def find(self, keys: Any) -> Any:
                return [1] if self.junk else super().find(keys)

        junk = Junk()
        flag = DuplicatePolicy(action=DuplicateAction.FLAG)
        world, _ = self.converting_world(directory=junk, duplicates=flag)
        lead_id = self.held_lead(world)
        junk.junk = True
        before = world.store.snapshot()
        with pytest.raises(DirectoryFailed, match=r"at find .*int at \[0\], not CustomerMatch"):
            world.desk.create("bob", "east", contact_name="王磊", phone="13900139000")
        with pytest.raises(DirectoryFailed, match="at find"):
            world.desk.customer_matches("bob", phone="13800138000")
        with pytest.raises(DirectoryFailed, match="at find"):
            world.desk.convert("bob", lead_id)
        assert world.store.snapshot() == before

        class Other(MemoryCustomerDirectory):
            def customer(self, customer_id: str) -> Any:
                return super().customer("C2")

        class Blank(MemoryCustomerDirectory):
            def customer(self, customer_id: str) -> Any:
                return attrs.evolve(super().customer(customer_id), id=None)  # type: ignore[arg-type]

        for directory, said in (
            (Other(), "returned customer 'C2' when asked for 'C1'"),
            (Blank(), "whose id is None"),
        ):
            directory.add_customer("甲公司", owner_id="dave")
            directory.add_customer("乙公司", owner_id="erin")
            world, _ = self.converting_world(directory=directory)
            lead_id = self.held_lead(world, company="丙公司")
            before = world.store.snapshot()
            with pytest.raises(DirectoryFailed, match=said) as caught:
                world.desk.convert("bob", lead_id, "C1")
            assert caught.value.call == "customer" and "a retry fails the same way" in str(
                caught.value
            )
            assert world.store.snapshot() == before
            assert directory.bound(lead_id) is None

    def test_the_receipt_shows_the_customer_with_the_collaborators_added(self) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world)
        done = world.desk.convert("carol", lead_id, customer_owner_id="dave")
        assert done.receipt.collaborators == ("bob",)
        assert done.receipt.customer.collaborators == frozenset({"bob"})
        assert done.receipt.customer == directory.customer(done.customer_id)

    def test_caller_fields_are_checked_whole_before_the_directory_is_asked(self) -> None:
        world, directory = self.converting_world()
        lead_id = self.held_lead(world)
        before = world.store.snapshot()
        bad: list[tuple[dict[str, Any], str]] = [
            ({"customer_fields": {"\ud800": "a"}}, r"customer_fields: key .* surrogate"),
            ({"customer_fields": {"a\x00b": "a"}}, r"customer_fields: key .* control"),
            ({"customer_fields": {3: "a"}}, "customer_fields: keys must be field names, not int"),
            ({"customer_fields": {"x": ("\ud800",)}}, r"customer_fields\.x: item 0 .*surrogate"),
            ({"customer_fields": {"x": ("a" * 9_000,) * 2}}, r"customer_fields\.x: is too long"),
            ({"contact_fields": {"x": ("a",) * 1_001}}, r"contact_fields\.x: holds too many"),
            ({"customer_fields": {"x": 10**5000}}, r"customer_fields\.x: is too large a number"),
            ({"customer_fields": {"x": 1e100}}, r"customer_fields\.x: is too large a number"),
            ({"contact_fields": {"x": -1.7e308}}, r"contact_fields\.x: is too large a number"),
            ({"deal_fields": {"x": Decimal("1e999999")}}, r"deal_fields\.x: is too large"),
            ({"deal_fields": {"x": Decimal("1e-999999")}}, r"deal_fields\.x: has too many dec"),
            ({"deal_fields": {"x": Decimal("sNaN")}}, r"deal_fields\.x: is not a finite number"),
        ]
        for arguments, said in bad:
            with pytest.raises(ValidationError, match=said):
                world.desk.convert("bob", lead_id, **arguments)
        assert world.store.snapshot() == before and directory.customers() == []
        fine = {"x": 10**99, "d": Decimal("-12.5"), "t": ("a", "b"), "y": True}
        done = world.desk.convert("bob", lead_id, customer_fields=fine)
        assert {k: directory.customer(done.customer_id).fields[k] for k in fine} == fine

    def test_bad_caller_fields_are_refused_before_the_directory_is_called_at_all(self) -> None:
        asked: list[str] = []

        class Spy(MemoryCustomerDirectory):
            def __getattribute__(self, name: str) -> Any:
                if not name.startswith("_"):
                    asked.append(name)
                return super().__getattribute__(name)

        world, _ = self.converting_world(directory=Spy())
        world.desk.convert("bob", self.held_lead(world))
        duplicate = self.held_lead(world, phone="13700137000")
        before = world.store.snapshot()
        asked.clear()
        for arguments in (
            {"customer_fields": {"x": 10**100}},
            {"customer_fields": {"x": 1e300}},
            {"contact_fields": {"x": Decimal("1E+100")}},
            {"deal_fields": {"x": Decimal("0." + "1" * 101)}},
        ):
            with pytest.raises(ValidationError) as caught:
                world.desk.convert("bob", duplicate, **arguments)
            (argument,) = arguments
            assert caught.value.fields == (f"{argument}.x",)
            assert asked == [], f"the directory was asked {asked} before {argument} was checked"
        assert world.store.snapshot() == before
        with pytest.raises(DuplicateCustomer):
            world.desk.convert("bob", duplicate, customer_fields={"x": 10**99})

    def test_readiness_refuses_what_convert_refuses_with_the_reason(self) -> None:
        world, _ = self.converting_world()
        waiting = new_lead(world, company="北京星河科技有限公司")
        said = world.desk.conversion_readiness("carol", waiting)
        assert not said.allowed and "status 'unassigned'" in said.reason
        lead_id = self.held_lead(world, company="南方科技", phone="13900139000")
        assert world.desk.conversion_readiness("bob", lead_id).allowed
        world.desk.convert("bob", lead_id)
        said = world.desk.conversion_readiness("bob", lead_id)
        assert not said.allowed and "status 'converted'" in said.reason
        with pytest.raises(InvalidTransition):
            world.desk.convert("bob", lead_id)
        dropped = self.held_lead(world, company="西部科技", phone="13700137000")
        world.desk.invalidate("bob", dropped, reason="空号")
        said = world.desk.conversion_readiness("carol", dropped)
        assert not said.allowed and "status 'invalid'" in said.reason

    def test_customer_matches_checks_each_field_as_create_does(self) -> None:
        world, _ = self.converting_world()
        for fields, said in (
            ({"phone": ["13800138000"]}, "phone: must be text, not list"),
            ({"phone": "\ud800"}, "phone: must not contain lone surrogate"),
            ({"company": "x" * 100_000}, "company: must be at most"),
            ({"email": "not-an-email"}, "email: 'not-an-email' is not an email address"),
        ):
            with pytest.raises(ValidationError, match=said):
                world.desk.customer_matches("erin", **fields)
        assert world.desk.customer_matches("erin", phone=" 13800138000 ") == []
