"""The store contract's argument checks: every unit-of-work method refuses a wrong argument with
a ``ValidationError`` naming it, and writes nothing, on every store. Hosts call the unit of
work directly (an outbox reader, a migration script), so a store cannot rely on the desk having
checked first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from leadcore.errors import ValidationError
from leadcore.events import Event, EventKind
from leadcore.model import Lead
from leadcore.query import LeadQuery
from leadcore.records import Away, Grant, OwnershipChange, OwnershipRecord
from leadcore.storage.protocol import LeadStore, UnitOfWork
from leadcore.testing.contract_records import store_contents
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead, make_pool

__all__ = ["WRONG_ARGUMENTS", "ArgumentContract"]

_HUGE = 2**70
_NAIVE = datetime(2026, 1, 1)

Call = Callable[[UnitOfWork, Lead], object]


def _event(lead: Lead) -> Event:
    return Event(EventKind.LEAD_CREATED, EPOCH, "bob", lead_id=lead.id, pool_id=lead.pool_id)


WRONG_ARGUMENTS: dict[str, tuple[str, Call]] = {
    # name of the case: (the argument the error must name, the call)
    "get_lead int id": ("lead_id", lambda u, _: u.get_lead(_HUGE)),  # type: ignore[arg-type]
    "get_lead None": ("lead_id", lambda u, _: u.get_lead(None)),  # type: ignore[arg-type]
    "get_leads str": ("lead_ids", lambda u, _: u.get_leads("L1")),
    "get_leads ints": ("lead_ids", lambda u, _: u.get_leads([1])),  # type: ignore[list-item]
    "open_counts str": ("owner_ids", lambda u, _: u.open_counts("bob")),
    "open_counts ints": ("owner_ids", lambda u, _: u.open_counts([7])),  # type: ignore[list-item]
    "save_lead str version": (
        "expected_version",
        lambda u, lead: u.save_lead(lead, expected_version="1"),  # type: ignore[arg-type]
    ),
    "save_lead huge version": (
        "expected_version",
        lambda u, lead: u.save_lead(lead, expected_version=_HUGE),
    ),
    "save_lead bool version": (
        "expected_version",
        lambda u, lead: u.save_lead(lead, expected_version=True),
    ),
    # A hand-built lead with a naive time: kept, it would break every later sort and query.
    "add_lead naive time": (
        "lead.created_at",
        lambda u, _: u.add_lead(make_lead("L9", created_at=_NAIVE)),
    ),
    "save_lead naive time": (
        "lead.next_due_at",
        lambda u, lead: u.save_lead(
            attrs.evolve(lead, next_due_at=_NAIVE), expected_version=lead.version
        ),
    ),
    "save_lead text time": (
        "lead.updated_at",
        lambda u, lead: u.save_lead(
            attrs.evolve(lead, updated_at="2026-01-01"),  # type: ignore[arg-type]
            expected_version=lead.version,
        ),
    ),
    "delete_lead str version": (
        "expected_version",
        lambda u, lead: u.delete_lead(lead.id, expected_version="1"),  # type: ignore[arg-type]
    ),
    "delete_lead int id": (
        "lead_id",
        lambda u, _: u.delete_lead(5, expected_version=1),  # type: ignore[arg-type]
    ),
    "get_pool int id": ("pool_id", lambda u, _: u.get_pool(5)),  # type: ignore[arg-type]
    "follow_ups None": ("lead_id", lambda u, _: u.follow_ups(None)),  # type: ignore[arg-type]
    "get_follow_up int": (
        "follow_up_id",
        lambda u, _: u.get_follow_up(5),  # type: ignore[arg-type]
    ),
    "find_follow_ups short cursor": (
        "after",
        lambda u, _: u.find_follow_ups(after=(EPOCH,)),  # type: ignore[arg-type]
    ),
    "find_follow_ups str limit": (
        "limit",
        lambda u, _: u.find_follow_ups(limit="2"),  # type: ignore[arg-type]
    ),
    "find_follow_ups naive since": (
        "since",
        lambda u, _: u.find_follow_ups(since=_NAIVE),
    ),
    "find_follow_ups int author": (
        "author_id",
        lambda u, _: u.find_follow_ups(author_id=5),  # type: ignore[arg-type]
    ),
    "sweep_at int id": ("lead_id", lambda u, _: u.sweep_at(5)),  # type: ignore[arg-type]
    "set_sweep_at naive": ("at", lambda u, lead: u.set_sweep_at(lead.id, _NAIVE)),
    "due_for_sweep huge limit": (
        "limit",
        lambda u, _: u.due_for_sweep(EPOCH, limit=_HUGE),
    ),
    "due_for_sweep negative limit": (
        "limit",
        lambda u, _: u.due_for_sweep(EPOCH, limit=-1),
    ),
    "due_for_sweep naive": ("until", lambda u, _: u.due_for_sweep(_NAIVE)),
    "events_since huge": ("position", lambda u, _: u.events_since(_HUGE)),
    "events_since str": ("position", lambda u, _: u.events_since("5")),  # type: ignore[arg-type]
    "events_since negative": ("position", lambda u, _: u.events_since(-1)),
    "events_since float limit": (
        "limit",
        lambda u, _: u.events_since(0, limit=1.5),  # type: ignore[arg-type]
    ),
    "events_since str limit": (
        "limit",
        lambda u, _: u.events_since(0, limit="2"),  # type: ignore[arg-type]
    ),
    "events_since int lead": (
        "lead_id",
        lambda u, _: u.events_since(0, lead_id=5),  # type: ignore[arg-type]
    ),
    "get_grant int": ("grant_id", lambda u, _: u.get_grant(5)),  # type: ignore[arg-type]
    "grants_of None": ("user_id", lambda u, _: u.grants_of(None)),  # type: ignore[arg-type]
    "grants_of naive": ("active_at", lambda u, _: u.grants_of("bob", active_at=_NAIVE)),
    "count_ownership str changes": (
        "changes",
        lambda u, _: u.count_ownership(
            "bob",
            changes="claim",  # type: ignore[arg-type]
            since=EPOCH,
        ),
    ),
    "count_ownership naive": (
        "since",
        lambda u, _: u.count_ownership("bob", changes=[OwnershipChange.CLAIMED], since=_NAIVE),
    ),
    "count_ownership int user": (
        "user_id",
        lambda u, _: u.count_ownership(
            5,  # type: ignore[arg-type]
            changes=[OwnershipChange.CLAIMED],
            since=EPOCH,
        ),
    ),
    "last_ownership str change": (
        "change",
        lambda u, lead: u.last_ownership("bob", lead.id, "claim"),  # type: ignore[arg-type]
    ),
    "away_periods str": ("user_ids", lambda u, _: u.away_periods("bob")),
    "set_away int user": ("user_id", lambda u, _: u.set_away(5, [])),  # type: ignore[arg-type]
    "set_away str periods": (
        "periods",
        lambda u, _: u.set_away("bob", "x"),  # type: ignore[arg-type]
    ),
    "get_state None": ("key", lambda u, _: u.get_state(None)),  # type: ignore[arg-type]
    "set_state None key": ("key", lambda u, _: u.set_state(None, 1)),  # type: ignore[arg-type]
    "set_state int key": ("key", lambda u, _: u.set_state(5, 1)),  # type: ignore[arg-type]
    "keys_of str": ("lead_ids", lambda u, _: u.keys_of("L1")),
    "add_ownership_record naive": (
        "at",
        lambda u, lead: u.add_ownership_record(
            OwnershipRecord("bob", lead.id, "pool-a", _NAIVE, OwnershipChange.CLAIMED)
        ),
    ),
    "add_ownership_record not a record": (
        "record",
        lambda u, _: u.add_ownership_record(("bob", "L1")),  # type: ignore[arg-type]
    ),
    "get_leads mapping": ("lead_ids", lambda u, _: u.get_leads({"L1": None})),
    "get_lead lone surrogate": ("lead_id", lambda u, _: u.get_lead("\ud800")),
    "get_leads lone surrogate": ("lead_ids", lambda u, _: u.get_leads(["L1", "\ud800"])),
    "find_leads not a query": (
        "query",
        lambda u, _: u.find_leads({"owner_id": "bob"}),  # type: ignore[arg-type]
    ),
    "iter_leads not a query": ("query", lambda u, _: u.iter_leads(None)),  # type: ignore[arg-type]
    "count_leads not a query": ("query", lambda u, _: u.count_leads("bob")),  # type: ignore[arg-type]
    "count_by_status a pool id for the query": (
        "query",
        lambda u, _: u.count_by_status("pool-a"),  # type: ignore[arg-type]
    ),
    "count_by_status int pool": (
        "pool_id",
        lambda u, _: u.count_by_status(pool_id=5),  # type: ignore[arg-type]
    ),
    "append_events None": ("events", lambda u, _: u.append_events(None)),  # type: ignore[arg-type]
    "append_events one event": (
        "events",
        lambda u, lead: u.append_events(_event(lead)),  # type: ignore[arg-type]
    ),
    "append_events a generator": (
        "events",
        lambda u, lead: u.append_events(e for e in [_event(lead)]),  # type: ignore[arg-type]
    ),
    "append_events a str item": (
        "events",
        lambda u, lead: u.append_events([_event(lead), "oops"]),  # type: ignore[list-item]
    ),
    "append_events naive time": (
        "events",
        lambda u, lead: u.append_events([attrs.evolve(_event(lead), at=_NAIVE)]),
    ),
    "append_events int lead id": (
        "events",
        lambda u, lead: u.append_events(
            [attrs.evolve(_event(lead), lead_id=5)]  # type: ignore[arg-type]
        ),
    ),
    "append_events str kind": (
        "events",
        lambda u, lead: u.append_events(
            [attrs.evolve(_event(lead), kind="lead_created")]  # type: ignore[arg-type]
        ),
    ),
    "add_lead str": ("lead", lambda u, _: u.add_lead("L9")),  # type: ignore[arg-type]
    "save_lead str": (
        "lead",
        lambda u, _: u.save_lead("L1", expected_version=1),  # type: ignore[arg-type]
    ),
    "add_pool None": ("pool", lambda u, _: u.add_pool(None)),  # type: ignore[arg-type]
    "save_pool str": (
        "pool",
        lambda u, _: u.save_pool("pool-a", expected_version=1),  # type: ignore[arg-type]
    ),
    "save_pool str version": (
        "expected_version",
        lambda u, _: u.save_pool(
            u.get_pool("pool-a"),
            expected_version="1",  # type: ignore[arg-type]
        ),
    ),
    "save_pool bool version": (
        "expected_version",
        lambda u, _: u.save_pool(u.get_pool("pool-a"), expected_version=True),
    ),
    "save_pool huge version": (
        "expected_version",
        lambda u, _: u.save_pool(u.get_pool("pool-a"), expected_version=_HUGE),
    ),
    "add_follow_up str": ("follow_up", lambda u, _: u.add_follow_up("F1")),  # type: ignore[arg-type]
    "save_follow_up str": (
        "follow_up",
        lambda u, _: u.save_follow_up("F1"),  # type: ignore[arg-type]
    ),
    "put_grant dict": ("grant", lambda u, _: u.put_grant({})),  # type: ignore[arg-type]
    "set_state lone surrogate": ("state", lambda u, _: u.set_state("rr:web", {"n": "\ud800"})),
}
"""Each case: the argument the store's ``ValidationError`` must name, and the call. Wrong
criteria inside a ``LeadQuery`` are refused when the query is made (see ``leadcore.query``)."""


_WRITES: dict[str, Call] = {
    "add_lead": lambda u, _: u.add_lead(make_lead("L2")),
    "save_lead": lambda u, lead: u.save_lead(
        attrs.evolve(lead, company="星河"), expected_version=1
    ),
    "delete_lead": lambda u, lead: u.delete_lead(lead.id, expected_version=1),
    "add_pool": lambda u, _: u.add_pool(make_pool("pool-b")),
    "save_pool": lambda u, _: u.save_pool(make_pool("pool-a", name="renamed"), expected_version=1),
    "add_follow_up": lambda u, lead: u.add_follow_up(make_follow_up("F1", lead.id)),
    "append_events": lambda u, lead: u.append_events([_event(lead)]),
    "put_grant": lambda u, lead: u.put_grant(
        Grant(
            id="G1", grantee_id="bob", lead_id=lead.id, reason="协助", requested_at=EPOCH, hours=2
        )
    ),
    "add_ownership_record": lambda u, lead: u.add_ownership_record(
        OwnershipRecord("bob", lead.id, "pool-a", EPOCH, OwnershipChange.CLAIMED)
    ),
    "set_away": lambda u, _: u.set_away("bob", [Away("bob", EPOCH, EPOCH + timedelta(days=1))]),
    "set_state": lambda u, _: u.set_state("rr:web", {"next": 1}),
    "set_sweep_at": lambda u, lead: u.set_sweep_at(lead.id, EPOCH),
}
"""One write of each kind on a store from ``ArgumentContract._one_lead``."""


class ArgumentContract:
    """Each unit-of-work method, given a wrong argument, raises ``ValidationError`` naming
    it, and the store is left as it was."""

    def make_store(self) -> LeadStore:
        raise NotImplementedError

    @pytest.mark.parametrize("case", sorted(WRONG_ARGUMENTS))
    def test_a_wrong_argument_is_refused_by_name(self, case: str) -> None:
        field, call = WRONG_ARGUMENTS[case]
        store, stored = self._one_lead()
        before = (store.snapshot(), store_contents(store))
        with store.unit_of_work() as uow:
            with pytest.raises(ValidationError) as caught:
                call(uow, stored)
            uow.commit()
        fields = [p.field.split("[")[0] for p in caught.value.problems]
        assert field in fields, (case, caught.value)
        assert (store.snapshot(), store_contents(store)) == before, case

    @pytest.mark.parametrize("write", sorted(_WRITES))
    def test_snapshot_sees_every_write(self, write: str) -> None:
        """``snapshot()`` is what proves a refused call wrote nothing, so it must change with
        every write and stay put when nothing is written."""
        store, stored = self._one_lead()
        before = store.snapshot()
        assert store.snapshot() == before, "two snapshots of an unchanged store differ"
        with store.unit_of_work() as uow:
            _WRITES[write](uow, stored)
            uow.commit()
        assert store.snapshot() != before, f"snapshot() does not see {write}"

    def test_a_huge_position_or_version_is_an_answer_not_a_crash(self) -> None:
        """The largest sensible numbers (63 bits) are answered like any other."""
        store = self.make_store()
        top = 2**63 - 1
        with store.unit_of_work() as uow:
            uow.add_pool(make_pool("pool-a"))
            uow.add_lead(make_lead("L1"))
            assert uow.events_since(top) == []
            assert uow.events_since(0, limit=top) == []
            assert uow.due_for_sweep(EPOCH + timedelta(days=1), limit=top) == []
            assert uow.find_follow_ups(limit=top) == []
            self._refuses_stale(uow, top)
            uow.commit()

    def test_a_limit_of_0_reads_nothing(self) -> None:
        """0 is a limit like any other (not "no limit"); a count ignores the page."""
        store, lead = self._one_lead()
        with store.unit_of_work() as uow:
            uow.append_events([_event(lead)])
            uow.add_follow_up(make_follow_up("F1", lead.id))
            uow.set_sweep_at(lead.id, EPOCH)
            nothing = LeadQuery(limit=0)
            assert uow.events_since(0, limit=0) == []
            assert uow.events_since(0, lead_id=lead.id, limit=0) == []
            assert uow.due_for_sweep(EPOCH, limit=0) == []
            assert uow.find_follow_ups(limit=0) == []
            assert uow.find_leads(nothing) == [] and list(uow.iter_leads(nothing)) == []
            assert uow.count_leads(nothing) == 1

    def test_a_rolled_back_ownership_record_leaves_no_trace(self) -> None:
        store, _ = self._one_lead()
        before = store.snapshot()
        with store.unit_of_work() as uow:
            uow.add_ownership_record(
                OwnershipRecord("bob", "L1", "pool-a", EPOCH, OwnershipChange.CLAIMED)
            )
            uow.rollback()
        assert store.snapshot() == before

    def _one_lead(self) -> tuple[LeadStore, Lead]:
        """A new store holding pool ``pool-a`` and lead ``L1``, committed; and ``L1`` as stored."""
        store = self.make_store()
        with store.unit_of_work() as uow:
            uow.add_pool(make_pool("pool-a"))
            lead = uow.add_lead(make_lead("L1"))
            uow.commit()
        return store, lead

    @staticmethod
    def _refuses_stale(uow: UnitOfWork, version: Any) -> None:
        from leadcore.errors import ConcurrencyConflict

        lead = uow.get_lead("L1")
        with pytest.raises(ConcurrencyConflict):
            uow.save_lead(lead, expected_version=version)
        with pytest.raises(ConcurrencyConflict):
            uow.delete_lead("L1", expected_version=version)
