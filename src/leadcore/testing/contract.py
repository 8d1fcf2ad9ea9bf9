"""The store contract: tests every ``LeadStore`` must pass, shipped so hosts run them on theirs.

Use it by subclassing in a pytest module and saying how to make a fresh, empty store::

    from leadcore.testing import LeadStoreContract

    class TestMyStore(LeadStoreContract):
        def make_store(self) -> MyStore:
            return MyStore(...)

pytest then runs every ``test_*`` method below against ``MyStore``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore.dedup import DedupKey
from leadcore.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DuplicateLead,
    LeadcoreError,
    NotFound,
    ValidationError,
)
from leadcore.events import Event, EventKind
from leadcore.lifecycle import transition
from leadcore.model import Action, LeadStatus
from leadcore.storage.protocol import LeadQuery, LeadStore, UnitOfWork
from leadcore.testing.contract_arguments import ArgumentContract
from leadcore.testing.contract_keys import KeyIndexContract
from leadcore.testing.contract_queries import QueryContract
from leadcore.testing.contract_records import RecordStoreContract
from leadcore.testing.contract_times import TimeIndexContract
from leadcore.testing.contract_typed import TypedRecordContract
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead, make_pool, make_team_lead
from leadcore.testing.strategies import follow_ups, per_store_settings

__all__ = ["LeadStoreContract"]


# The same property runs once per store class that subclasses the contract; that is the point,
# so the health check against one test method running under several executors is lifted.
_per_store = per_store_settings()


def _minutes(n: int) -> datetime:
    return EPOCH + timedelta(minutes=n)


def _assert_only_l2_is_left(uow: UnitOfWork, phone: DedupKey) -> None:
    """Every read of a store that held L1 (with follow-up F1, a sweep time and the key
    ``phone``) and L2 (with F2), after L1 was deleted."""
    with pytest.raises(NotFound):
        uow.get_lead("L1")
    with pytest.raises(NotFound):
        uow.get_follow_up("F1")
    assert list(uow.get_leads(["L1", "L2"])) == ["L2"]
    assert uow.follow_ups("L1") == []
    assert [f.id for f in uow.find_follow_ups()] == ["F2"]
    assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L2"]
    assert [lead.id for lead in uow.iter_leads(LeadQuery())] == ["L2"]
    assert uow.count_leads(LeadQuery(owner_id="u1")) == 0
    assert uow.count_by_status() == {LeadStatus.UNASSIGNED: 1}
    assert uow.open_counts(["u1"]) == {"u1": 0}
    assert uow.keys_of(["L1"]) == {}
    assert uow.leads_by_key([phone]) == {}
    assert uow.sweep_at("L1") is None and uow.due_for_sweep(_minutes(10**4)) == []


class _Boom(Exception):
    """Raised on purpose in the middle of a unit of work."""


class LeadStoreContract(
    RecordStoreContract,
    TypedRecordContract,
    QueryContract,
    KeyIndexContract,
    TimeIndexContract,
    ArgumentContract,
):
    """Subclass with ``make_store`` returning a fresh, empty store; pytest runs the tests (and
    override ``fault_points`` to check that a failure inside each write leaves no trace)."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass LeadStoreContract and implement make_store()")

    # --- leads: create, read, update, delete ---------------------------------------------------
    def test_add_then_get_returns_the_lead_at_version_1(self) -> None:
        lead = make_lead("L1", contact_name="张三", phone="13800138000")
        store = self._seeded(lead)
        with store.unit_of_work() as uow:
            stored = uow.get_lead("L1")
        assert stored == attrs.evolve(lead, version=1)

    def test_adding_an_existing_id_raises_and_keeps_the_first(self) -> None:
        store = self._seeded(make_lead("L1", contact_name="first"))
        with store.unit_of_work() as uow, pytest.raises(DuplicateLead) as caught:
            uow.add_lead(make_lead("L1", contact_name="second"))
        assert caught.value.existing_id == "L1"
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1").contact_name == "first"

    def test_missing_lead_is_not_found(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow, pytest.raises(NotFound) as caught:
            uow.get_lead("nope")
        assert isinstance(caught.value, LookupError)
        assert "nope" in str(caught.value)

    def test_save_bumps_the_version(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            lead = uow.get_lead("L1")
            saved = uow.save_lead(attrs.evolve(lead, company="星河科技"), expected_version=1)
            uow.commit()
        assert saved.version == 2
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1") == saved
            assert uow.get_leads(["L1"]) == {"L1": saved}
            again = uow.save_lead(attrs.evolve(saved, company="又改了"), expected_version=2)
            assert uow.get_leads(["L1"]) == {"L1": again} and uow.get_lead("L1") == again

    def test_stale_save_conflicts_and_writes_nothing(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            lead = uow.get_lead("L1")
            uow.save_lead(attrs.evolve(lead, company="first"), expected_version=1)
            uow.commit()
        with store.unit_of_work() as uow:
            with pytest.raises(ConcurrencyConflict) as caught:
                uow.save_lead(attrs.evolve(lead, company="second"), expected_version=1)
            uow.commit()
        assert (caught.value.expected, caught.value.actual) == (1, 2)
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1").company == "first"

    def test_saving_a_missing_lead_is_not_found(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow, pytest.raises(NotFound):
            uow.save_lead(make_lead("ghost"), expected_version=1)

    def test_delete_removes_the_lead_and_its_follow_ups(self) -> None:
        store = self._seeded(make_lead("L1"), make_lead("L2"))
        with store.unit_of_work() as uow:
            uow.add_follow_up(make_follow_up("F1", "L1"))
            uow.add_follow_up(make_follow_up("F2", "L2"))
            uow.delete_lead("L1", expected_version=1)
            uow.commit()
        with store.unit_of_work() as uow:
            with pytest.raises(NotFound):
                uow.get_lead("L1")
            assert uow.follow_ups("L1") == []
            assert [f.id for f in uow.follow_ups("L2")] == ["F2"]
            assert uow.find_leads(LeadQuery()) == [uow.get_lead("L2")]

    def test_stale_delete_conflicts(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow, pytest.raises(ConcurrencyConflict):
            uow.delete_lead("L1", expected_version=7)
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1").version == 1

    def test_add_stores_any_lead_at_version_1(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            added = uow.add_lead(make_lead("L1", version=5))
            uow.commit()
        assert added.version == 1
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1") == added
            assert uow.save_lead(added, expected_version=1).version == 2

    def test_a_deleted_lead_is_gone_from_every_read(self) -> None:
        store = self._seeded(make_team_lead("L1", phone="+8613800138000"), make_lead("L2"))
        phone = store.normaliser.key("phone", "+8613800138000")
        assert phone is not None
        with store.unit_of_work() as uow:
            uow.add_follow_up(make_follow_up("F1", "L1"))
            uow.add_follow_up(make_follow_up("F2", "L2"))
            uow.set_sweep_at("L1", EPOCH)
            uow.commit()
        with store.unit_of_work() as uow:
            uow.delete_lead("L1", expected_version=1)
            _assert_only_l2_is_left(uow, phone)
            uow.commit()
        with store.unit_of_work() as uow:
            _assert_only_l2_is_left(uow, phone)
            with pytest.raises(NotFound):
                uow.save_lead(make_team_lead("L1"), expected_version=1)
            with pytest.raises(NotFound):
                uow.delete_lead("L1", expected_version=1)
            _assert_only_l2_is_left(uow, phone)
            again = uow.add_lead(make_lead("L1"))
            assert again.version == 1 and uow.follow_ups("L1") == []
            assert uow.sweep_at("L1") is None

    # --- units of work -------------------------------------------------------------------------
    def test_leaving_without_commit_writes_nothing(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            uow.add_lead(make_lead("L2"))
            lead = uow.get_lead("L1")
            uow.save_lead(attrs.evolve(lead, company="changed"), expected_version=1)
        with store.unit_of_work() as uow:
            assert [x.id for x in uow.find_leads(LeadQuery())] == ["L1"]
            assert uow.get_lead("L1").company == ""

    def test_a_failure_midway_rolls_back_every_write(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            uow.add_pool(make_pool("P0"))
            uow.commit()
        with pytest.raises(_Boom), store.unit_of_work() as uow:
            lead = uow.get_lead("L1")
            uow.save_lead(
                transition(lead, Action.ASSIGN, at=EPOCH, owner_id="u1"), expected_version=1
            )
            uow.add_lead(make_lead("L2"))
            uow.add_follow_up(make_follow_up("F1", "L1"))
            uow.append_events([Event(EventKind.ASSIGNED, EPOCH, "admin", lead_id="L1")])
            uow.set_state("cursor", {"next": 3})
            uow.save_pool(attrs.evolve(uow.get_pool("P0"), name="renamed"), expected_version=1)
            uow.delete_lead("L1", expected_version=2)
            raise _Boom
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1") == attrs.evolve(make_lead("L1"), version=1)
            assert uow.count_leads(LeadQuery()) == 1
            assert uow.count_leads(LeadQuery(owner_id="u1")) == 0
            assert uow.follow_ups("L1") == []
            assert uow.events_since(0) == []
            assert uow.last_position() == 0
            assert uow.get_state("cursor") is None
            assert uow.get_pool("P0").name == "P0"

    def test_reads_see_the_unit_of_works_own_writes(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.add_lead(make_lead("L1", owner_id="u1", status=LeadStatus.ASSIGNED))
            assert [x.id for x in uow.find_leads(LeadQuery(owner_id="u1"))] == ["L1"]
            assert uow.count_by_status(owner_id="u1") == {LeadStatus.ASSIGNED: 1}

    def test_an_ended_unit_of_work_refuses_further_use(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.commit()
            with pytest.raises(LeadcoreError):
                uow.add_lead(make_lead("L1"))

    def test_a_second_unit_of_work_in_one_thread_is_refused(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.add_lead(make_lead("L1"))
            with pytest.raises(LeadcoreError), store.unit_of_work():
                pytest.fail("a second unit of work was opened in the thread holding one")
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.get_lead("L1").version == 1

    # --- pools ---------------------------------------------------------------------------------
    def test_pools_add_list_save(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.add_pool(make_pool("P2"))
            uow.add_pool(make_pool("P1"))
            uow.commit()
        with store.unit_of_work() as uow:
            assert [p.id for p in uow.list_pools()] == ["P1", "P2"]
            with pytest.raises(AlreadyExists):
                uow.add_pool(make_pool("P1"))
            saved = uow.save_pool(
                attrs.evolve(uow.get_pool("P1"), claim_enabled=True), expected_version=1
            )
            assert saved.version == 2
            with pytest.raises(ConcurrencyConflict):
                uow.save_pool(saved, expected_version=1)
            with pytest.raises(NotFound):
                uow.get_pool("P9")

    # --- follow-ups ----------------------------------------------------------------------------
    @_per_store
    @given(st.data())
    def test_follow_ups_come_back_oldest_first(self, data: st.DataObject) -> None:
        store = self._seeded(make_lead("L1"))
        records = [data.draw(follow_ups(lead_id="L1", follow_up_id=f"F{i}")) for i in range(5)]
        with store.unit_of_work() as uow:
            for record in records:
                uow.add_follow_up(record)
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.follow_ups("L1") == sorted(records, key=lambda f: (f.at, f.id))

    def test_follow_up_needs_its_lead_and_a_fresh_id(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            with pytest.raises(NotFound):
                uow.add_follow_up(make_follow_up("F1", "ghost"))
            uow.add_follow_up(make_follow_up("F1", "L1"))
            with pytest.raises(AlreadyExists):
                uow.add_follow_up(make_follow_up("F1", "L1"))
            moved = attrs.evolve(uow.follow_ups("L1")[0], owner_id="u9")
            uow.save_follow_up(moved)
            assert uow.follow_ups("L1") == [moved]
            with pytest.raises(NotFound):
                uow.save_follow_up(make_follow_up("F404", "L1"))

    def test_a_saved_follow_up_keeps_its_lead(self) -> None:
        store = self._seeded(make_lead("L1"), make_lead("L2"))
        with store.unit_of_work() as uow:
            original = uow.add_follow_up(make_follow_up("F1", "L1"))
            with pytest.raises(NotFound):
                uow.save_follow_up(attrs.evolve(original, lead_id="L2", content="moved"))
            assert uow.follow_ups("L1") == [original] and uow.follow_ups("L2") == []
            assert uow.get_follow_up("F1") == original

    # --- events --------------------------------------------------------------------------------
    def test_events_are_numbered_in_commit_order(self) -> None:
        store = self._seeded(make_lead("L1"), make_lead("L2"))
        for lead_id in ("L1", "L2", "L1"):
            with store.unit_of_work() as uow:
                uow.append_events([Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id=lead_id)])
                uow.commit()
        with store.unit_of_work() as uow:
            uow.append_events([Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id="L2")])
            # not committed: must not consume a visible position
        with store.unit_of_work() as uow:
            recorded = uow.events_since(0)
            positions = [e.position for e in recorded]
            assert positions == sorted(positions) and len(set(positions)) == 3
            assert [e.lead_id for e in recorded] == ["L1", "L2", "L1"]
            assert uow.last_position() == positions[-1]
            assert uow.events_since(positions[0]) == recorded[1:]
            assert [e.position for e in uow.events_since(0, lead_id="L1")] == [
                positions[0],
                positions[2],
            ]
            assert uow.events_since(0, limit=2) == recorded[:2]
            assert uow.events_since(positions[-1]) == []

    def test_a_long_history_reads_in_order_and_a_rollback_keeps_it_whole(self) -> None:
        store = self._seeded(make_lead("L1"), make_lead("L2"))

        def edits(count: int, lead_id: str = "L1") -> list[Event]:
            return [Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id=lead_id)] * count

        for count in (10, 12):  # the second append takes L1's history past a dozen and a half
            with store.unit_of_work() as uow:
                uow.append_events([*edits(count), *edits(1, "L2")])
                if count == 12:
                    continue  # rolled back: L1 keeps its first ten
                uow.commit()
        with store.unit_of_work() as uow:
            assert len(uow.events_since(0, lead_id="L1")) == 10
            uow.append_events(edits(30))
            uow.commit()
        with store.unit_of_work() as uow:
            mine = uow.events_since(0, lead_id="L1")
            assert len(mine) == 40 and [e.position for e in mine] == sorted(
                e.position for e in mine
            )
            assert uow.events_since(mine[35].position, lead_id="L1") == mine[36:]
            assert uow.events_since(mine[3].position, lead_id="L1", limit=2) == mine[4:6]
            assert len(uow.events_since(0, lead_id="L2")) == 1

    def test_rolled_back_events_leave_no_gap(self) -> None:
        store = self._seeded(make_lead("L1"))
        edit = Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id="L1")
        last = 0
        for keep in (True, False, True, False, False, True):
            with store.unit_of_work() as uow:
                assert uow.append_events([edit, edit]) == [last + 1, last + 2]
                with pytest.raises(_Boom), uow.savepoint():
                    uow.append_events([edit])
                    raise _Boom
                assert uow.append_events([edit]) == [last + 3]
                assert uow.last_position() == last + 3
                if keep:
                    uow.commit()
                    last += 3
        with store.unit_of_work() as uow:
            assert [e.position for e in uow.events_since(0)] == list(range(1, last + 1))
            assert [e.position for e in uow.events_since(0, lead_id="L1")] == list(
                range(1, last + 1)
            )
            assert uow.last_position() == last

    def test_deleting_a_lead_keeps_its_events(self) -> None:
        store = self._seeded(make_lead("L1"), make_lead("L2"))
        with store.unit_of_work() as uow:
            uow.append_events(
                [Event(EventKind.LEAD_CREATED, EPOCH, "u1", lead_id=i) for i in ("L1", "L2", "L1")]
            )
            uow.commit()
        with store.unit_of_work() as uow:
            history = uow.events_since(0)
            uow.delete_lead("L1", expected_version=1)
            assert uow.events_since(0) == history
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.events_since(0) == history, "events are the audit trail: never deleted"
            assert uow.events_since(0, lead_id="L1") == [history[0], history[2]]

    def test_events_keep_their_content(self) -> None:
        store = self.make_store()
        event = Event(
            EventKind.RETURNED,
            EPOCH,
            "u2",
            lead_id="L1",
            pool_id="P1",
            reason="号码空号",
            data={"note": "退回"},
        )
        with store.unit_of_work() as uow:
            (position,) = uow.append_events([event])
            uow.commit()
        with store.unit_of_work() as uow:
            (recorded,) = uow.events_since(0)
        assert recorded.position == position
        assert attrs.evolve(recorded, position=0) == event

    # --- strategy state ------------------------------------------------------------------------
    def test_state_round_trips_and_none_removes(self) -> None:
        store = self.make_store()
        value: Any = {"cursor": 3, "users": ["u1", "u2"], "ratio": 0.5, "on": True}
        with store.unit_of_work() as uow:
            assert uow.get_state("rr") is None
            uow.set_state("rr", value)
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.get_state("rr") == value
            uow.set_state("rr", None)
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.get_state("rr") is None
            with pytest.raises(ValidationError):
                uow.set_state("bad", {"when": EPOCH})  # type: ignore[dict-item]

    def test_state_returned_is_a_copy(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.set_state("k", [1, 2])
            got = uow.get_state("k")
            assert isinstance(got, list)
            got.append(3)
            assert uow.get_state("k") == [1, 2]

    def test_state_rolls_back_to_its_old_value(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.set_state("a", {"next": 1})
            uow.set_state("b", ["u1"])
            uow.commit()
        with store.unit_of_work() as uow:
            uow.set_state("a", {"next": 2})
            uow.set_state("b", None)
            uow.set_state("c", 3)
        with store.unit_of_work() as uow:
            assert [uow.get_state(k) for k in "abc"] == [{"next": 1}, ["u1"], None]
            with pytest.raises(_Boom), uow.savepoint():
                uow.set_state("a", "changed")
                uow.set_state("b", None)
                raise _Boom
            assert [uow.get_state(k) for k in "ab"] == [{"next": 1}, ["u1"]]
