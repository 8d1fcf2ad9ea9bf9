"""Views: filters, ordering and paging that stay correct while leads change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import LeadStatus, PermissionDenied, ValidationError, View
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.strategies import per_store_settings
from leadcore.testing.world import T0, World, new_lead

# The same property runs once per store the case is subclassed for.
_per_store = per_store_settings()


def fill(world: World, count: int) -> list[str]:
    """``count`` leads in the east pool, one a minute, alternating sources."""
    ids = []
    for i in range(count):
        ids.append(new_lead(world, actor="carol", source="event" if i % 2 else "web_form"))
        world.clock.advance(minutes=1)
    return ids


class ViewsCase(DeskCase):
    """Views: filters, ordering and paging that stay correct while leads change."""

    @_per_store
    @given(
        count=st.integers(0, 25),
        limit=st.integers(1, 7),
        changes=st.lists(
            st.tuples(st.integers(0, 24), st.sampled_from(["assign", "create"])), max_size=8
        ),
    )
    def test_cursor_pages_see_every_lead_once_while_leads_change(
        self, count: int, limit: int, changes: list[tuple[int, str]]
    ) -> None:
        world = self.world()
        ids = fill(world, count)
        seen: list[str] = []
        cursor = None
        pending = list(changes)
        assigned: set[str] = set()
        while True:
            page = world.desk.leads(
                "carol", view=View.POOL, pool_id="east", limit=limit, cursor=cursor
            )
            assert len(page.leads) <= limit
            seen.extend(page.ids)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            if pending:  # between pages, someone assigns a lead or a new one arrives
                index, what = pending.pop()
                if what == "assign" and ids and index < len(ids):
                    lead = ids[index]
                    if lead not in seen and lead not in assigned:
                        owner = ("bob", "dave", "mgr", "mia")[len(assigned) % 4]  # pool cap 3
                        world.desk.assign("carol", lead, owner)
                        assigned.add(lead)
                else:
                    new_lead(world, actor="carol")
        assert len(seen) == len(set(seen)), "no lead is shown twice"
        assert set(ids) <= set(seen), "every lead that existed when paging began is shown"
        created = [
            lead.created_at
            for lead in (world.desk.leads("carol", view="pool", pool_id="east", limit=1000).leads)
        ]
        assert created == sorted(created, reverse=True)

    def test_filters_and_offset_paging(self) -> None:
        world = self.world()
        ids = fill(world, 10)
        world.desk.assign("carol", ids[0], "bob")
        events = world.desk.leads("carol", view="pool", pool_id="east", source="event", limit=100)
        assert events.ids == [i for n, i in reversed(list(enumerate(ids))) if n % 2]
        held = world.desk.leads(
            "carol", view="pool", pool_id="east", statuses=[LeadStatus.ASSIGNED]
        )
        assert held.ids == [ids[0]]
        window = world.desk.leads(
            "carol",
            view="pool",
            pool_id="east",
            order="created",
            created_from=T0 + timedelta(minutes=2),
            created_before=T0 + timedelta(minutes=6),
        )
        assert window.ids == ids[2:6]
        second = world.desk.leads(
            "carol", view="pool", pool_id="east", order="created", offset=3, limit=3
        )
        assert second.ids == ids[3:6]

    def test_views_by_role(self) -> None:
        world = self.world()
        ids = fill(world, 3)
        world.desk.assign("carol", ids[0], "bob")
        world.desk.assign("carol", ids[1], "dave")
        assert world.desk.leads("bob", view="mine").ids == [ids[0]]
        assert set(world.desk.leads("mgr", view="subordinates").ids) == {ids[0], ids[1]}
        assert world.desk.leads("sysadmin", view="all", limit=10).ids == list(reversed(ids))
        with pytest.raises(PermissionDenied):
            world.desk.leads("bob", view="all")

    def test_bad_paging_input_is_named(self) -> None:
        world = self.world()
        with pytest.raises(ValidationError) as caught:
            world.desk.leads("bob", limit=0, offset=-1)
        assert set(caught.value.fields) == {"limit", "offset"}
        with pytest.raises(ValidationError, match="cursor"):
            world.desk.leads("bob", cursor="not-a-cursor")
        with pytest.raises(ValidationError, match="pool_id"):
            world.desk.leads("bob", view="pool")
