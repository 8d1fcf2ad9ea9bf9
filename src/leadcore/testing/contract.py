"""The store contract: tests every ``LeadStore`` must pass, shipped so hosts run them on theirs.

Use it by subclassing in a pytest module and saying how to make a fresh, empty store::

    from leadcore.testing import LeadStoreContract

    class TestMyStore(LeadStoreContract):
        def make_store(self) -> MyStore:
            return MyStore(...)

pytest then runs every ``test_*`` method below against ``MyStore``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DuplicateLead,
    InvalidTransition,
    LeadcoreError,
    NotFound,
    ValidationError,
)
from leadcore.events import Event, EventKind
from leadcore.lifecycle import transition
from leadcore.model import Action, Lead, LeadStatus
from leadcore.storage.protocol import LeadFilter, LeadOrder, LeadQuery, LeadStore
from leadcore.testing.contract_arguments import ArgumentContract
from leadcore.testing.contract_keys import KeyIndexContract
from leadcore.testing.contract_records import RecordStoreContract
from leadcore.testing.contract_times import TimeIndexContract
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead, make_pool
from leadcore.testing.strategies import follow_ups, lead_lists, lead_queries, per_store_settings
from leadcore.testing.strategies import leads as any_lead
from leadcore.testing.threads import at_once

__all__ = ["LeadStoreContract"]


# The same property runs once per store class that subclasses the contract; that is the point,
# so the health check against one test method running under several executors is lifted.
_per_store = per_store_settings()

_ONE_REACH = st.sampled_from(
    (
        LeadQuery(),
        LeadQuery(owner_id="u1"),
        LeadQuery(owner_ids=frozenset({"u1", "u2", "u3"})),
        LeadQuery(pool_id="pool-a"),
        LeadQuery(pool_ids=frozenset({"pool-a", "pool-b"})),
        LeadQuery(follower_id="u2"),
        LeadQuery(collaborator_id="u3"),
    )
)


@st.composite
def _view_queries(draw: st.DrawFn) -> LeadQuery:
    """Queries shaped like the desk's views: one reach (an owner, a team, a pool, a follower,
    a collaborator or none), maybe some statuses, any order, and a page of it."""
    order = draw(st.sampled_from(tuple(LeadOrder)))
    statuses = draw(st.none() | st.frozensets(st.sampled_from(tuple(LeadStatus)), min_size=1))
    after = None
    if draw(st.booleans()):
        after = (
            EPOCH + timedelta(minutes=draw(st.integers(0, 120))),
            draw(st.sampled_from(("L1", "L9"))),
        )
    return attrs.evolve(
        draw(_ONE_REACH),
        statuses=statuses,
        order=order,
        after=after,
        offset=draw(st.integers(0, 2)),
        limit=draw(st.none() | st.integers(1, 6)),
    )


class _Boom(Exception):
    """Raised on purpose in the middle of a unit of work."""


class LeadStoreContract(RecordStoreContract, KeyIndexContract, TimeIndexContract, ArgumentContract):
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

    # --- queries -------------------------------------------------------------------------------
    def test_a_reach_naming_another_follower_still_finds_a_lead_with_both(self) -> None:
        store = self._seeded(make_lead("L1", followers={"u1", "u2"}), make_lead("L2"))
        both = LeadQuery(follower_id="u2", any_of=(LeadFilter(follower_id="u1"),))
        team = LeadQuery(collaborator_id="u9", any_of=(LeadFilter(follower_id="u1"),))
        with store.unit_of_work() as uow:
            assert [lead.id for lead in uow.find_leads(both)] == ["L1"]
            assert uow.count_leads(both) == 1
            assert uow.find_leads(team) == [] and uow.count_leads(team) == 0

    @_per_store
    @given(lead_lists(), lead_queries())
    def test_queries_agree_with_brute_force(self, leads: list[Lead], query: LeadQuery) -> None:
        store = self._seeded(*leads)
        stored = [attrs.evolve(lead, version=1) for lead in leads]
        with store.unit_of_work() as uow:
            assert uow.find_leads(query) == query.select(stored)
            unpaged = attrs.evolve(query, order=LeadOrder.CREATED, after=None, offset=0, limit=None)
            assert uow.count_leads(query) == len(unpaged.select(stored))

    @_per_store
    @given(lead_lists(), _view_queries())
    def test_view_shaped_queries_agree_with_brute_force(
        self, leads: list[Lead], query: LeadQuery
    ) -> None:
        store = self._seeded(*leads)
        stored = [attrs.evolve(lead, version=1) for lead in leads]
        with store.unit_of_work() as uow:
            assert uow.find_leads(query) == query.select(stored)
            assert list(uow.iter_leads(query)) == query.select(stored)
            assert uow.count_leads(query) == len(query.unpaged().select(stored))

    @_per_store
    @given(lead_lists(), st.sampled_from(tuple(LeadOrder)), st.integers(1, 7))
    def test_keyset_pages_cover_the_whole_result_once(
        self, leads: list[Lead], order: LeadOrder, page_size: int
    ) -> None:
        store = self._seeded(*leads)
        query = LeadQuery(order=order, limit=page_size)
        seen: list[str] = []
        with store.unit_of_work() as uow:
            for _ in range(len(leads) + 2):  # more pages than this means paging is stuck
                page = uow.find_leads(query)
                seen.extend(lead.id for lead in page)
                if len(page) < page_size:
                    break
                query = attrs.evolve(query, after=order.key(page[-1]))
            else:
                pytest.fail("keyset paging never reached a short page")
            everything = LeadQuery(order=order).select(uow.find_leads(LeadQuery()))
        assert seen == [lead.id for lead in everything]

    @_per_store
    @given(lead_lists())
    def test_counts_by_status_agree_with_brute_force(self, leads: list[Lead]) -> None:
        store = self._seeded(*leads)

        def tally(chosen: list[Lead]) -> dict[LeadStatus, int]:
            counts: dict[LeadStatus, int] = {}
            for lead in chosen:
                counts[lead.status] = counts.get(lead.status, 0) + 1
            return counts

        with store.unit_of_work() as uow:
            assert uow.count_by_status() == tally(leads)
            for pool_id in {lead.pool_id for lead in leads}:
                assert uow.count_by_status(pool_id=pool_id) == tally(
                    [x for x in leads if x.pool_id == pool_id]
                )
            for owner in {lead.owner_id for lead in leads if lead.owner_id}:
                assert uow.count_by_status(owner_id=owner) == tally(
                    [x for x in leads if x.owner_id == owner]
                )

    @_per_store
    @given(lead_lists(max_size=12), st.data())
    def test_indexes_follow_every_change(self, leads: list[Lead], data: st.DataObject) -> None:
        store = self._seeded(*leads)
        current = {lead.id: attrs.evolve(lead, version=1) for lead in leads}
        for lead in leads:
            if data.draw(st.booleans()):
                new = data.draw(any_lead(lead_id=lead.id))
                with store.unit_of_work() as uow:
                    current[lead.id] = uow.save_lead(new, expected_version=1)
                    uow.commit()
        query = data.draw(lead_queries())
        with store.unit_of_work() as uow:
            assert uow.find_leads(query) == query.select(list(current.values()))

    # --- concurrency ---------------------------------------------------------------------------
    def test_concurrent_claims_of_one_lead_have_one_winner(self) -> None:
        store = self._seeded(*(make_lead(f"L{i}") for i in range(20)))
        winners: dict[str, list[str]] = {f"L{i}": [] for i in range(20)}
        losses: list[BaseException] = []

        def claim_all(user: str) -> None:
            for i in range(20):
                try:
                    with store.unit_of_work() as uow:
                        lead = uow.get_lead(f"L{i}")
                        claimed = transition(
                            lead, Action.CLAIM, at=EPOCH + timedelta(seconds=i), owner_id=user
                        )
                        uow.save_lead(claimed, expected_version=lead.version)
                        uow.commit()
                    winners[f"L{i}"].append(user)
                except (InvalidTransition, ConcurrencyConflict) as e:
                    losses.append(e)

        at_once(*(partial(claim_all, f"u{n}") for n in range(6)))
        assert all(len(w) == 1 for w in winners.values()), winners
        assert len(losses) == 20 * 5
        with store.unit_of_work() as uow:
            for lead_id, (winner,) in winners.items():
                assert uow.get_lead(lead_id).owner_id == winner
