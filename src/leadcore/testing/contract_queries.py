"""The store contract, queries: every criterion, order and page a store must answer exactly as
``LeadQuery.select`` would, checked one criterion at a time on fixed leads and at random on
generated ones, with counts, counts by status and keyset paging agreeing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore.model import Lead, LeadStatus
from leadcore.storage.protocol import LeadFilter, LeadOrder, LeadQuery, LeadStore
from leadcore.testing.factories import EPOCH, make_lead, make_team_lead, stored
from leadcore.testing.strategies import lead_lists, lead_queries, per_store_settings
from leadcore.testing.strategies import leads as any_lead

__all__ = ["QueryContract"]

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


def _minutes(n: int) -> datetime:
    return EPOCH + timedelta(minutes=n)


_VARIED = (
    make_lead("L0"),
    make_lead("L1", pool_id="pool-b", source="web_form", grade="A", created_at=_minutes(1)),
    make_team_lead("L2", pool_id="pool-b", source="event", grade="B", created_at=_minutes(2)),
    make_lead(
        "L3",
        pool_id="pool-c",
        status=LeadStatus.FOLLOWING,
        owner_id="u2",
        collaborators={"u3"},
        followers={"u1"},
        source="web_form",
        next_due_at=_minutes(60),
        created_at=_minutes(2),
    ),
    make_lead(
        "L4",
        status=LeadStatus.ASSIGNED,
        owner_id="u1",
        grade="A",
        next_due_at=_minutes(30),
        created_at=_minutes(3),
    ),
    make_lead(
        "L5",
        status=LeadStatus.CLOSED_LOST,
        owner_id="u3",
        lost_reason="no budget",
        followers={"u2"},
        created_at=_minutes(1),
    ),
)
"""Leads that each criterion below splits: some match it, some do not (ties in time too)."""

_CRITERIA: tuple[dict[str, Any], ...] = (
    {"ids": {"L1", "L3", "L9"}},
    {"pool_id": "pool-b"},
    {"pool_ids": {"pool-b", "pool-c"}},
    {"statuses": {LeadStatus.ASSIGNED, LeadStatus.CLOSED_LOST}},
    {"owner_id": "u1"},
    {"owner_ids": {"u2", "u3"}},
    {"follower_id": "u1"},
    {"collaborator_id": "u3"},
    {"source": "web_form"},
    {"grade": "A"},
    {"due_before": _minutes(45)},
    {"created_from": _minutes(2)},
    {"created_before": _minutes(2)},
    {"any_of": (LeadFilter(owner_id="u2"), LeadFilter(grade="B"))},
)
"""Each criterion of a query on its own."""


def _tally(chosen: list[Lead]) -> dict[LeadStatus, int]:
    """How many of ``chosen`` are in each status (statuses with none absent)."""
    counts: dict[LeadStatus, int] = {}
    for lead in chosen:
        counts[lead.status] = counts.get(lead.status, 0) + 1
    return counts


class QueryContract:
    """Tests of ``find_leads``, ``iter_leads``, ``count_leads`` and ``count_by_status``.
    ``LeadStoreContract`` includes them."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass the contract and implement make_store()")

    def _seeded(self, *leads: Lead) -> LeadStore:
        return stored(self.make_store(), *leads)

    def test_a_reach_naming_another_follower_still_finds_a_lead_with_both(self) -> None:
        store = self._seeded(make_lead("L1", followers={"u1", "u2"}), make_lead("L2"))
        both = LeadQuery(follower_id="u2", any_of=(LeadFilter(follower_id="u1"),))
        team = LeadQuery(collaborator_id="u9", any_of=(LeadFilter(follower_id="u1"),))
        with store.unit_of_work() as uow:
            assert [lead.id for lead in uow.find_leads(both)] == ["L1"]
            assert uow.count_leads(both) == 1
            assert uow.find_leads(team) == [] and uow.count_leads(team) == 0

    @pytest.mark.parametrize("criterion", _CRITERIA, ids=lambda c: next(iter(c)))
    def test_each_criterion_alone_agrees_with_brute_force(self, criterion: dict[str, Any]) -> None:
        """Random queries combine many criteria and so rarely test one alone: here each one
        splits a fixed set of leads, in every order and page shape."""
        store = self._seeded(*_VARIED)
        stored = [attrs.evolve(lead, version=1) for lead in _VARIED]
        chosen = LeadQuery(**criterion).select(stored)
        assert 0 < len(chosen) < len(stored), "the criterion must split the leads"
        with store.unit_of_work() as uow:
            assert uow.count_leads(LeadQuery(**criterion)) == len(chosen)
            assert uow.count_by_status(LeadQuery(**criterion)) == _tally(chosen)
            for order in LeadOrder:
                ordered = LeadQuery(**criterion, order=order).select(stored)
                cursor = order.key(ordered[0]) if ordered else None
                for page in (
                    {},
                    {"limit": 2},
                    {"offset": 1},
                    {"offset": 1, "limit": 1},
                    {"after": cursor},
                    {"after": cursor, "limit": 1},
                ):
                    query = LeadQuery(**criterion, order=order, **page)
                    expected = query.select(stored)
                    assert uow.find_leads(query) == expected, query
                    assert list(uow.iter_leads(query)) == expected, query
                    assert uow.count_leads(query) == len(chosen), query

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
        tally = _tally
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
