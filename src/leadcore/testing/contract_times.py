"""The store contract, time indexes: the sweep's due-time index (``set_sweep_at``,
``sweep_at``, ``due_for_sweep``) and follow-ups by author and period (``find_follow_ups``).
``LeadStoreContract`` includes these tests; a store names fault points ``"set_sweep_at"`` and
``"save_follow_up"`` to have a failure inside each checked."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore.errors import NotFound
from leadcore.model import FollowUp, LeadStatus
from leadcore.storage.protocol import LeadStore, UnitOfWork
from leadcore.testing.contract_records import FaultPoints, InjectedFault, store_contents
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead
from leadcore.testing.strategies import follow_ups, per_store_settings

__all__ = ["TimeIndexContract"]

_per_store = per_store_settings()

_LEADS = tuple(f"L{i}" for i in range(6))


def _hours(n: float) -> datetime:
    return EPOCH + timedelta(hours=n)


def _times(uow: UnitOfWork) -> tuple[object, ...]:
    return (
        tuple(uow.due_for_sweep(_hours(10_000))),
        tuple(uow.find_follow_ups()),
        tuple(uow.find_follow_ups(author_id="u1")),
    )


class TimeIndexContract:
    """Tests of the due-time index and the follow-up time reads."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass the contract and implement make_store()")

    def fault_points(self) -> FaultPoints:
        """How to make each write fail inside this store (none: those checks are skipped)."""
        return {}

    def _leads(self, *lead_ids: str) -> LeadStore:
        store = self.make_store()
        with store.unit_of_work() as uow:
            for lead_id in lead_ids:
                uow.add_lead(make_lead(lead_id))
            uow.commit()
        return store

    # --- the due-time index --------------------------------------------------------------------
    def test_sweep_times_are_set_read_cleared_and_listed_earliest_first(self) -> None:
        store = self._leads("L1", "L2", "L3", "L4")
        with store.unit_of_work() as uow:
            assert uow.sweep_at("L1") is None and uow.due_for_sweep(_hours(99)) == []
            uow.set_sweep_at("L3", _hours(2))
            uow.set_sweep_at("L1", _hours(5))
            uow.set_sweep_at("L2", _hours(2))
            uow.set_sweep_at("L4", _hours(7))
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.sweep_at("L1") == _hours(5)
            assert uow.due_for_sweep(_hours(5)) == [
                (_hours(2), "L2"),
                (_hours(2), "L3"),
                (_hours(5), "L1"),
            ]
            assert uow.due_for_sweep(_hours(5), limit=1) == [(_hours(2), "L2")]
            assert uow.due_for_sweep(_hours(1)) == []
            uow.set_sweep_at("L2", None)
            uow.set_sweep_at("L3", _hours(9))
            assert uow.due_for_sweep(_hours(8)) == [(_hours(5), "L1"), (_hours(7), "L4")]
            assert uow.sweep_at("L2") is None
            assert uow.sweep_at("nope") is None

    def test_a_sweep_time_needs_its_lead_and_goes_with_it(self) -> None:
        store = self._leads("L1")
        with store.unit_of_work() as uow:
            with pytest.raises(NotFound):
                uow.set_sweep_at("ghost", _hours(1))
            uow.set_sweep_at("L1", _hours(1))
            uow.delete_lead("L1", expected_version=1)
            assert uow.due_for_sweep(_hours(5)) == [] and uow.sweep_at("L1") is None
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.due_for_sweep(_hours(5)) == []

    def test_sweep_times_roll_back_with_their_unit_of_work(self) -> None:
        store = self._leads("L1", "L2")
        with store.unit_of_work() as uow:
            uow.set_sweep_at("L1", _hours(1))
            uow.commit()
        with store.unit_of_work() as uow:
            uow.set_sweep_at("L1", _hours(4))
            uow.set_sweep_at("L2", _hours(2))
            with pytest.raises(InjectedFault), uow.savepoint():
                uow.set_sweep_at("L1", None)
                raise InjectedFault("inside a savepoint")
            assert uow.sweep_at("L1") == _hours(4)
        with store.unit_of_work() as uow:
            assert uow.due_for_sweep(_hours(9)) == [(_hours(1), "L1")]

    @_per_store
    @given(
        st.lists(st.tuples(st.sampled_from(_LEADS), st.none() | st.integers(0, 20)), max_size=25),
        st.integers(0, 22),
        st.none() | st.integers(0, 6),
    )
    def test_due_for_sweep_agrees_with_a_plain_dict(
        self, writes: list[tuple[str, int | None]], until: int, limit: int | None
    ) -> None:
        store = self._leads(*_LEADS)
        model: dict[str, datetime] = {}
        with store.unit_of_work() as uow:
            for lead_id, hours in writes:
                at = None if hours is None else _hours(hours)
                uow.set_sweep_at(lead_id, at)
                if at is None:
                    model.pop(lead_id, None)
                else:
                    model[lead_id] = at
            uow.commit()
        expected = sorted((at, i) for i, at in model.items() if at <= _hours(until))
        with store.unit_of_work() as uow:
            assert uow.due_for_sweep(_hours(until), limit=limit) == expected[:limit]
            assert {i: uow.sweep_at(i) for i in model} == model

    # --- follow-ups by author and period ---------------------------------------------------------
    @_per_store
    @given(st.data())
    def test_follow_ups_by_author_and_period_agree_with_brute_force(
        self, data: st.DataObject
    ) -> None:
        store = self._leads("L1", "L2")
        records = [
            data.draw(follow_ups(lead_id=f"L{1 + i % 2}", follow_up_id=f"F{i}")) for i in range(8)
        ]
        with store.unit_of_work() as uow:
            for record in records:
                uow.add_follow_up(record)
            uow.commit()
        author = data.draw(st.none() | st.sampled_from(sorted({r.author_id for r in records})))
        bounds = sorted(r.at for r in records)
        since = data.draw(st.none() | st.sampled_from(bounds))
        before = data.draw(st.none() | st.sampled_from(bounds))
        limit = data.draw(st.none() | st.integers(0, 9))

        def wanted(r: FollowUp) -> bool:
            return (
                (author is None or r.author_id == author)
                and (since is None or r.at >= since)
                and (before is None or r.at < before)
            )

        expected = sorted((r for r in records if wanted(r)), key=lambda r: (r.at, r.id))
        with store.unit_of_work() as uow:
            found = uow.find_follow_ups(author_id=author, since=since, before=before, limit=limit)
            assert found == expected[:limit]
            if expected:
                first = expected[0]
                rest = uow.find_follow_ups(
                    author_id=author, since=since, before=before, after=(first.at, first.id)
                )
                assert rest == expected[1:]

    def test_follow_up_reads_follow_saves_and_deletes(self) -> None:
        store = self._leads("L1", "L2")
        with store.unit_of_work() as uow:
            uow.add_follow_up(make_follow_up("F1", "L1", at=_hours(1)))
            uow.add_follow_up(make_follow_up("F2", "L2", at=_hours(2), author_id="u2"))
            uow.add_follow_up(make_follow_up("F3", "L1", at=_hours(3)))
            uow.commit()
        with store.unit_of_work() as uow:
            moved = attrs.evolve(uow.get_follow_up("F1"), at=_hours(4), author_id="u2")
            uow.save_follow_up(moved)
            assert [f.id for f in uow.find_follow_ups(author_id="u2")] == ["F2", "F1"]
            assert [f.id for f in uow.find_follow_ups(author_id="u1")] == ["F3"]
            uow.delete_lead("L1", expected_version=1)
            assert [f.id for f in uow.find_follow_ups()] == ["F2"]
            assert uow.find_follow_ups(author_id="u9") == []
            uow.commit()
        with store.unit_of_work() as uow:
            assert [f.id for f in uow.find_follow_ups(since=_hours(2))] == ["F2"]

    # --- failures inside a write -------------------------------------------------------------------
    def test_a_failure_inside_a_time_index_write_leaves_the_store_unchanged(self) -> None:
        points = {k: v for k, v in self.fault_points().items() if k in _WRITES}
        if not points:
            pytest.skip("this store names no time-index fault points")
        for write, inject in points.items():
            store = self._leads("L1", "L2")
            with store.unit_of_work() as uow:
                uow.save_lead(
                    make_lead("L1", status=LeadStatus.ASSIGNED, owner_id="u1"), expected_version=1
                )
                uow.add_follow_up(make_follow_up("F1", "L1", at=_hours(1)))
                uow.set_sweep_at("L1", _hours(3))
                uow.commit()
            before = (store_contents(store), _contents(store))
            with pytest.raises(InjectedFault), store.unit_of_work() as uow, inject(store):
                _WRITES[write](uow)
            after = (store_contents(store), _contents(store))
            assert after == before, f"a failure inside {write} left a trace"


def _contents(store: LeadStore) -> tuple[object, ...]:
    with store.unit_of_work() as uow:
        return (_times(uow), uow.sweep_at("L1"), uow.sweep_at("L2"))


_WRITES = {
    "set_sweep_at": lambda uow: uow.set_sweep_at("L1", _hours(8)),
    "save_follow_up": lambda uow: uow.save_follow_up(
        make_follow_up("F1", "L1", at=_hours(5), author_id="u2")
    ),
}
