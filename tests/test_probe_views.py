"""Views, queries and paging under the mistakes users make: every bad criterion named at once,
cursors judged only against a list that could be read, and pages that never skip, repeat or
show a lead the reader may not see."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadcore import Lead, LeadStatus, MemoryStore, ValidationError
from leadcore.query import LeadFilter, LeadQuery
from leadcore.testing.world import T0, World, make_world, new_lead

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EARLIER = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_query_names_every_bad_criterion_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        LeadQuery(
            statuses=["asigned"],
            owner_ids=[1, "bob", None],
            order="newest",
            after=(datetime(2026, 3, 2), 5),
            offset=1.5,
            limit=-1,
            created_from=AWARE,
            created_before=EARLIER,
        )
    assert caught.value.fields == (
        "statuses[0]",
        "owner_ids[0]",
        "owner_ids[2]",
        "order",
        "after[0]",
        "after[1]",
        "offset",
        "limit",
        "created_before",
    )
    assert str(caught.value).startswith("invalid query: statuses[0]:")


def test_a_filter_names_every_bad_criterion_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        LeadFilter(ids="L1", pool_id=5, due_before="2026-03-02", created_from=datetime(2026, 1, 1))
    assert caught.value.fields == ("ids", "pool_id", "due_before", "created_from")


def test_a_bad_time_leaves_the_creation_range_unjudged() -> None:
    """Only a range of two readable times can be reversed."""
    with pytest.raises(ValidationError) as caught:
        LeadQuery(created_from=datetime(2026, 2, 1), created_before=EARLIER)
    assert caught.value.fields == ("created_from",)


def test_sound_queries_are_unchanged() -> None:
    query = LeadQuery(statuses=LeadStatus.ASSIGNED, owner_ids=("bob",), after=(AWARE, "L1"))
    assert query.statuses == frozenset({LeadStatus.ASSIGNED})
    assert query.owner_ids == frozenset({"bob"})
    assert query.after == (AWARE, "L1")
    assert LeadQuery(offset=0, limit=None).limit is None


def test_a_page_names_a_missing_pool_with_the_other_problems(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.leads("carol", view="pool", limit=0)
    assert caught.value.fields == ("limit", "pool_id")
    assert str(caught.value).startswith("invalid view:")


def test_a_page_names_a_reversed_range_with_the_other_problems(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.leads("carol", limit=0, created_from=AWARE, created_before=EARLIER)
    assert caught.value.fields == ("limit", "created_before")
    assert str(caught.value).startswith("invalid view:")


def test_a_page_names_a_bad_actor_id_with_the_other_problems(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.leads(5, limit=0)  # type: ignore[arg-type]
    assert caught.value.fields == ("actor_id", "limit")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order": "newest"}, "order"),
        ({"view": "pools"}, "view"),
        ({"statuses": ["x"]}, "statuses[0]"),
    ],
)
def test_a_good_cursor_is_not_blamed_for_a_list_that_could_not_be_read(
    world: World, change: dict[str, object], field: str
) -> None:
    for _ in range(3):
        new_lead(world, "carol")
    options: dict[str, object] = {"view": "pool", "pool_id": "east", "limit": 2}
    cursor = world.desk.leads("carol", **options).next_cursor  # type: ignore[arg-type]
    assert cursor is not None
    with pytest.raises(ValidationError) as caught:
        world.desk.leads("carol", **{**options, **change, "cursor": cursor})  # type: ignore[arg-type]
    assert caught.value.fields == (field,)


def test_a_bad_cursor_is_still_named_beside_a_bad_list(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.leads("carol", order="newest", cursor="!!")  # type: ignore[arg-type]
    assert caught.value.fields == ("order", "cursor")


def _forged(cursor: str, when: str) -> str:
    order, _, lead_id, listed = json.loads(base64.urlsafe_b64decode(cursor + "=="))
    raw = json.dumps([order, when, lead_id, listed]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_cursor_at_the_calendars_edge_is_refused_as_a_cursor(world: World, when: str) -> None:
    for _ in range(3):
        new_lead(world, "carol")
    cursor = world.desk.leads("carol", view="pool", pool_id="east", limit=2).next_cursor
    assert cursor is not None
    with pytest.raises(ValidationError) as caught:
        world.desk.leads(
            "carol", view="pool", pool_id="east", limit=2, cursor=_forged(cursor, when)
        )
    assert caught.value.fields == ("cursor",)
    assert str(caught.value).startswith("invalid view: cursor: is not a cursor")


def test_the_follow_up_log_names_a_bad_actor_id_with_the_other_problems(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.follow_up_log(5, limit=0)  # type: ignore[arg-type]
    assert caught.value.fields == ("actor_id", "limit")


def test_leads_by_time_left_names_a_bad_actor_id_with_the_limit(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.desk.leads_by_time_left(5, limit=0)  # type: ignore[arg-type]
    assert caught.value.fields == ("actor_id", "limit")


def test_created_order_pages_skip_and_repeat_nothing_while_leads_change(world: World) -> None:
    """The created orders' keys never change, so a cursor stays exact while leads are added,
    edited, handed out and closed between pages."""
    ids = []
    for _ in range(7):
        ids.append(new_lead(world, "carol"))
        world.clock.advance(minutes=1)
    first = world.desk.leads("carol", view="pool", pool_id="east", order="created", limit=3)
    world.desk.assign("carol", ids[4], "bob")
    world.desk.edit("carol", ids[5], company="星河科技")
    new_lead(world, "carol")  # newer than every lead listed: comes last
    seen = list(first.ids)
    cursor = first.next_cursor
    while cursor is not None:
        page = world.desk.leads(
            "carol", view="pool", pool_id="east", order="created", limit=3, cursor=cursor
        )
        seen += page.ids
        cursor = page.next_cursor
    assert seen[:7] == ids and len(seen) == len(set(seen)) == 8


def test_pages_and_counts_show_only_what_the_reader_may_see(world: World) -> None:
    mine = new_lead(world, "carol")
    world.desk.assign("carol", mine, "bob")
    theirs = new_lead(world, "carol")
    world.desk.assign("carol", theirs, "dave")
    waiting = new_lead(world, "carol")
    world.clock.set(T0 + timedelta(hours=1))
    pool = world.desk.leads("bob", view="pool", pool_id="east")
    assert sorted(pool.ids) == sorted([mine, waiting])
    assert world.desk.pool_summary("bob", "east").total == len(pool)
    assert world.desk.leads("bob", view="followed").ids == []
    assert world.desk.leads("bob", view="mine", statuses=["待跟进", "Following"]).ids == [mine]


def test_a_query_inside_any_of_is_refused_when_its_own_parts_would_be_ignored() -> None:
    """A reach is criteria only: a nested ``any_of`` (or order, or page) used to be dropped
    silently, so the query matched leads the inner reaches left out."""
    nested = LeadQuery(pool_id="p", any_of=[LeadFilter(ids={"L1"})])
    with pytest.raises(ValidationError) as caught:
        LeadQuery(any_of=[LeadFilter(owner_id="bob"), nested, LeadQuery(limit=1)])
    assert caught.value.fields == ("any_of[1]", "any_of[2]")
    plain = LeadQuery(any_of=[LeadQuery(pool_id="p")])
    assert plain.any_of == (LeadFilter(pool_id="p"),)
    assert type(plain.any_of[0]) is LeadFilter


class _StreamCounter:
    """A store passing everything to a MemoryStore, counting the leads its units of work
    stream (``iter_leads``) instead of counting or paging them in the store."""

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.streamed = 0

    def unit_of_work(self) -> _CountedUnit:
        return _CountedUnit(self, self.inner.unit_of_work())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _CountedUnit:
    def __init__(self, store: _StreamCounter, held: Any) -> None:
        self.store, self.held = store, held
        self.uow: Any = None

    def __enter__(self) -> _CountedUnit:
        self.uow = self.held.__enter__()
        return self

    def __exit__(self, *exc: object) -> Any:
        return self.held.__exit__(*exc)

    def iter_leads(self, query: LeadQuery) -> Iterator[Lead]:
        for lead in self.uow.iter_leads(query):
            self.store.streamed += 1
            yield lead

    def __getattr__(self, name: str) -> Any:
        return getattr(self.uow, name)


def test_under_the_default_policy_counts_and_pages_are_left_to_the_store() -> None:
    """The default marketing co-owner reach adds nothing beside the plain collaborator reach,
    so a pool summary is the store's count and a page reads about its own size, however far
    in it starts (they used to stream every lead of the pool and check each in Python)."""
    store = _StreamCounter()
    world = make_world(store)
    ids = [new_lead(world, "carol") for _ in range(30)]
    world.desk.assign("carol", ids[0], "bob")
    world.desk.add_collaborators("bob", ids[0], ["mia"], role="marketing_owner")
    store.streamed = 0
    assert world.desk.pool_summary("carol", "east").total == 30
    assert store.streamed == 0
    page = world.desk.leads("carol", view="pool", pool_id="east", offset=20, limit=5)
    assert page.ids == sorted(ids, reverse=True)[20:25]  # one creation time: by id
    assert store.streamed == 6  # the page and one more, to know whether another follows
    assert world.desk.leads("mia", view="collaborating").ids == [ids[0]]


def test_a_cursor_pages_for_its_user_however_their_id_is_spaced(world: World) -> None:
    """Calls trim the actor's id, so the cursor is made for the trimmed id."""
    for _ in range(3):
        new_lead(world, "carol")
    first = world.desk.leads("carol", view="pool", pool_id="east", limit=2)
    assert first.next_cursor is not None
    again = world.desk.leads(
        " carol", view="pool", pool_id="east", limit=2, cursor=first.next_cursor
    )
    assert again.ids == ["L1"]
