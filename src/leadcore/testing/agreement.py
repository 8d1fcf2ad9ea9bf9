"""A hypothesis state machine asserting that stores agree with each other and with a reference.

It runs random sequences of writes (adds, saves with fresh or stale versions, deletes, events,
state, failed units of work) against every store from ``make_stores`` at once and checks after
each step that all of them hold exactly what a brute-force reference model holds. Use it::

    class MyStoresAgree(StoreAgreement):
        def make_stores(self) -> list[LeadStore]:
            return [MemoryStore(), MyStore()]

    TestMyStoresAgree = MyStoresAgree.TestCase
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from leadcore.errors import ConcurrencyConflict, DuplicateLead, LeadcoreError
from leadcore.events import Event, EventKind
from leadcore.model import Lead
from leadcore.storage.protocol import LeadQuery, LeadStore, UnitOfWork
from leadcore.testing.factories import EPOCH
from leadcore.testing.strategies import lead_queries, leads

__all__ = ["StoreAgreement"]

T = TypeVar("T")
_IDS = st.sampled_from([f"L{i}" for i in range(8)])


class _Abort(Exception):
    """Raised to abandon a unit of work midway."""


class StoreAgreement(RuleBasedStateMachine):
    """Random writes against several stores and a reference model; all must agree at every step."""

    def make_stores(self) -> list[LeadStore]:
        """The stores to compare (fresh and empty). Override."""
        raise NotImplementedError("subclass StoreAgreement and implement make_stores()")

    def __init__(self) -> None:
        super().__init__()
        self.stores = self.make_stores()
        self.reference: dict[str, Lead] = {}
        self.event_count = 0
        self.state: dict[str, int] = {}

    def _each(self, work: Callable[[UnitOfWork], T]) -> T | type[LeadcoreError]:
        """Run ``work`` in a unit of work on every store, committing unless it raised; every
        store must return the same value or raise the same error, which is returned."""
        outcomes: list[T | type[LeadcoreError]] = []
        for store in self.stores:
            with store.unit_of_work() as uow:
                try:
                    outcomes.append(work(uow))
                except LeadcoreError as e:
                    outcomes.append(type(e))
                else:
                    uow.commit()
        assert all(o == outcomes[0] for o in outcomes), outcomes
        return outcomes[0]

    @rule(lead_id=_IDS, data=st.data())
    def add_lead(self, lead_id: str, data: st.DataObject) -> None:
        """Add a lead (a duplicate id must be refused by every store)."""
        lead = data.draw(leads(lead_id=lead_id))
        outcome = self._each(lambda uow: uow.add_lead(lead))
        if lead_id in self.reference:
            assert outcome is DuplicateLead
        else:
            self.reference[lead_id] = attrs.evolve(lead, version=1)

    @precondition(lambda self: bool(self.reference))
    @rule(data=st.data(), stale=st.booleans())
    def save_lead(self, data: st.DataObject, stale: bool) -> None:
        """Save a new version with the right or a stale expected version."""
        lead_id = data.draw(st.sampled_from(sorted(self.reference)))
        new = data.draw(leads(lead_id=lead_id))
        expected = self.reference[lead_id].version - (1 if stale else 0)
        outcome = self._each(lambda uow: uow.save_lead(new, expected_version=expected))
        if stale:
            assert outcome is ConcurrencyConflict
        else:
            self.reference[lead_id] = attrs.evolve(new, version=expected + 1)

    @precondition(lambda self: bool(self.reference))
    @rule(data=st.data())
    def delete_lead(self, data: st.DataObject) -> None:
        """Delete a lead at its current version."""
        lead_id = data.draw(st.sampled_from(sorted(self.reference)))
        version = self.reference[lead_id].version
        self._each(lambda uow: uow.delete_lead(lead_id, expected_version=version))
        del self.reference[lead_id]

    @rule(lead_id=_IDS, key=st.sampled_from(("rr", "load")), value=st.integers(0, 9))
    def append_event_and_state(self, lead_id: str, key: str, value: int) -> None:
        """Append an event and set strategy state in one unit of work."""

        def work(uow: UnitOfWork) -> list[int]:
            positions = uow.append_events(
                [Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id=lead_id)]
            )
            uow.set_state(key, value)
            return positions

        self._each(work)
        self.event_count += 1
        self.state[key] = value

    @rule(lead=leads(lead_id="never-committed"))
    def abandoned_unit_of_work_changes_nothing(self, lead: Lead) -> None:
        """Writes followed by an exception inside the unit of work leave no trace."""
        for store in self.stores:
            try:
                with store.unit_of_work() as uow:
                    uow.add_lead(lead)
                    uow.append_events([Event(EventKind.LEAD_CREATED, EPOCH, "u1", lead_id=lead.id)])
                    uow.set_state("rr", -1)
                    raise _Abort
            except _Abort:
                pass

    @invariant()
    def stores_hold_exactly_the_reference(self) -> None:
        """Every store holds the reference's leads, events and state."""
        expected = LeadQuery().select(list(self.reference.values()))
        for store in self.stores:
            with store.unit_of_work() as uow:
                assert uow.find_leads(LeadQuery()) == expected
                assert len(uow.events_since(0)) == self.event_count
                for key in ("rr", "load"):
                    assert uow.get_state(key) == self.state.get(key)

    @rule(query=lead_queries())
    def queries_agree(self, query: LeadQuery) -> None:
        """Any query gives the reference's answer in every store."""
        query = attrs.evolve(query, ids=None)
        expected = query.select(list(self.reference.values()))
        for store in self.stores:
            with store.unit_of_work() as uow:
                assert uow.find_leads(query) == expected
