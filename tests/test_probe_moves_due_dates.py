"""Probing the moves that take ``expected_version``, protection and due dates as a new user
would, on MemoryStore and SQLiteStore: bad versions are refused first, naming the field, on any
lead; a stale version on a lead the actor cannot see says only "not found"; ``reopen`` and
``convert`` take a version like every other move of one lead; only a held lead is protected;
a due date survives conversion and reopening round after round; and two threads or two
processes releasing one lead at one version make exactly one release."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadcore import (
    ConcurrencyConflict,
    Department,
    EventKind,
    FixedClock,
    InvalidTransition,
    Lead,
    LeadcoreError,
    LeadDesk,
    LeadQuery,
    LeadStatus,
    LeadStore,
    MemoryCustomerDirectory,
    MemoryStore,
    NotFound,
    OrgChart,
    PermissionDenied,
    Pool,
    SQLiteStore,
    User,
    ValidationError,
    counter_ids,
)
from leadcore.cadence import Cadence, CadencePlan
from leadcore.events import Event, FieldChange
from leadcore.sla import SlaPolicy
from leadcore.testing.threads import at_once

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
DUE = T0 + timedelta(days=2)
ORG = OrgChart(
    users=[
        User("root", roles={"system_admin"}),
        *(User(name, department_id="east") for name in ("carol", "bob", "dave", "eve")),
    ],
    departments=[Department("east", "华东")],
)
CONTEXT = (
    multiprocessing.get_context("fork")
    if "fork" in multiprocessing.get_all_start_methods()
    else multiprocessing.get_context("spawn")
)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """A fresh store of each kind (SQLite on a file)."""
    if request.param == "memory":
        yield MemoryStore()
        return
    with SQLiteStore(tmp_path / "leads.db", synchronous="off") as made:
        yield made


@attrs.frozen
class World:
    desk: LeadDesk
    clock: FixedClock
    store: LeadStore
    directory: MemoryCustomerDirectory
    lead_id: str


def desk_on(store: LeadStore, clock: FixedClock | None = None, **options: Any) -> LeadDesk:
    return LeadDesk(store, clock or FixedClock(T0), ORG, ids=counter_ids(), **options)


def world(store: LeadStore, **pool: Any) -> World:
    """bob holds a lead in carol's pool ``east`` (carol also runs ``west``); eve is in no
    pool and sees nothing; dave is a member, who sees only waiting leads."""
    clock = FixedClock(T0)
    directory = MemoryCustomerDirectory()
    desk = desk_on(
        store,
        clock,
        directory=directory,
        sla_policies={"cadence": SlaPolicy(cadence=CadencePlan(default=Cadence.gap(days=1)))},
    )
    members = {"bob", "dave"}
    desk.create_pool(
        "root", Pool(id="east", name="华东线索池", admins={"carol"}, members=members, **pool)
    )
    desk.create_pool("root", Pool(id="west", name="华西线索池", admins={"carol"}, members=members))
    lead_id = held(desk, "13800138000", DUE)
    return World(desk, clock, store, directory, lead_id)


def held(desk: LeadDesk, phone: str, due: datetime | None, owner: str = "bob") -> str:
    """A lead ``owner`` holds and followed up, due at ``due``."""
    lead_id = desk.create("carol", "east", contact_name="王磊", phone=phone).id
    desk.assign("carol", lead_id, owner)
    follow_up(desk, lead_id, due, owner)
    return lead_id


def follow_up(desk: LeadDesk, lead_id: str, due: datetime | None, who: str = "bob") -> None:
    desk.follow_up(
        who, lead_id, method="phone", content="确认需求", result="有意向", next_follow_up_at=due
    )


def snapshot(store: LeadStore) -> tuple[list[Lead], list[Event]]:
    with store.unit_of_work() as uow:
        return uow.find_leads(LeadQuery()), uow.events_since(0)


# --- expected_version: checked first, on every move of one lead ------------------------------

Move = Callable[[LeadDesk, str, str, Any], object]
MOVES: dict[str, tuple[str, Move]] = {
    "release": ("bob", lambda d, a, i, v: d.release(a, i, expected_version=v)),
    "return_lead": (
        "bob",
        lambda d, a, i, v: d.return_lead(a, i, "不是我的区域", expected_version=v),
    ),
    "reclaim": ("carol", lambda d, a, i, v: d.reclaim(a, i, expected_version=v)),
    "change_owner": ("carol", lambda d, a, i, v: d.change_owner(a, i, "dave", expected_version=v)),
    "transfer": ("carol", lambda d, a, i, v: d.transfer(a, i, "west", expected_version=v)),
    "invalidate": ("bob", lambda d, a, i, v: d.invalidate(a, i, "空号", expected_version=v)),
    "close_lost": ("bob", lambda d, a, i, v: d.close_lost(a, i, "预算不足", expected_version=v)),
    "protect": (
        "carol",
        lambda d, a, i, v: d.protect(a, i, DUE, reason="重点客户", expected_version=v),
    ),
    "convert": ("bob", lambda d, a, i, v: d.convert(a, i, expected_version=v)),
    "reopen": ("carol", lambda d, a, i, v: d.reopen(a, i, expected_version=v)),
}
BAD_VERSIONS = [True, False, 1.0, "3", -1, 2**70, 2**63]


@pytest.mark.parametrize("name", sorted(MOVES))
def test_a_bad_expected_version_is_refused_naming_it_whatever_the_lead(
    store: LeadStore, name: str
) -> None:
    """Before: on a missing lead, or one the actor may not see, a bad version was answered
    ``NotFound`` (the version was checked only after the lead was found and shown), and
    ``reopen`` and ``convert`` took no ``expected_version`` at all (``TypeError``)."""
    w = world(store)
    actor, move = MOVES[name]
    before = snapshot(store)
    for who, lead_id in ((actor, w.lead_id), (actor, "L404"), ("eve", w.lead_id)):
        for bad in BAD_VERSIONS:
            with pytest.raises(LeadcoreError) as caught:
                move(w.desk, who, lead_id, bad)
            assert isinstance(caught.value, ValidationError), (who, lead_id, bad)
            assert caught.value.fields == ("expected_version",)
    assert snapshot(store) == before
    assert w.directory.customers() == []


def test_the_highest_stored_version_is_a_version_not_a_mistake(store: LeadStore) -> None:
    """Before: a version above 2**62 was refused as "must be between 0 and
    4611686018427387904", though a store keeps versions up to 2**63 - 1."""
    w = world(store)
    with pytest.raises(ConcurrencyConflict) as caught:
        w.desk.release("bob", w.lead_id, expected_version=2**63 - 1)
    assert (caught.value.expected, caught.value.actual) == (2**63 - 1, 3)
    with pytest.raises(ValidationError, match=r"from 0 to 2\*\*63 - 1, not -1"):
        w.desk.release("bob", w.lead_id, expected_version=-1)


@pytest.mark.parametrize("name", sorted(set(MOVES) - {"convert", "reopen"}))
def test_a_stale_version_on_a_lead_the_actor_cannot_see_says_only_not_found(
    store: LeadStore, name: str
) -> None:
    w = world(store)
    _, move = MOVES[name]
    before = snapshot(store)
    for who in ("eve", "dave"):  # in no pool; a member who sees only waiting leads
        for version in (0, 2, 3, 2**63 - 1):
            with pytest.raises(NotFound) as caught:
                move(w.desk, who, w.lead_id, version)
            assert not isinstance(caught.value, ConcurrencyConflict)
            with pytest.raises(NotFound) as missing:
                move(w.desk, who, "L404", version)
            assert str(caught.value) == str(missing.value).replace("L404", w.lead_id)
    assert snapshot(store) == before


def test_reopen_and_convert_take_expected_version(store: LeadStore) -> None:
    """Before: ``reopen(..., expected_version=...)`` and ``convert(...)`` raised ``TypeError``:
    an admin's screen left open on a converted lead reopened a later conversion unseen."""
    w = world(store)
    seen = w.desk.get("bob", w.lead_id).version
    follow_up(w.desk, w.lead_id, DUE)  # a colleague's change meanwhile
    before = snapshot(store)
    with pytest.raises(ConcurrencyConflict):
        w.desk.convert("bob", w.lead_id, expected_version=seen)
    assert snapshot(store) == before and w.directory.customers() == []  # never asked
    converted = w.desk.convert("bob", w.lead_id, expected_version=seen + 1).lead
    assert converted.version == seen + 2
    before = snapshot(store)
    with pytest.raises(ConcurrencyConflict):
        w.desk.reopen("carol", w.lead_id, expected_version=seen + 1)
    assert snapshot(store) == before
    back = w.desk.reopen("carol", w.lead_id, expected_version=converted.version)
    assert (back.status, back.next_due_at) == (LeadStatus.FOLLOWING, DUE)


@pytest.mark.parametrize("name", sorted(set(MOVES) - {"convert", "reopen"}))
def test_a_move_on_a_merged_lead_is_refused_at_any_version(store: LeadStore, name: str) -> None:
    w = world(store)
    other = held(w.desk, "13800138001", DUE + timedelta(days=1), owner="dave")
    w.desk.merge("carol", [w.lead_id, other], survivor_id=w.lead_id)
    merged = w.desk.get("carol", other)
    _, move = MOVES[name]
    before = snapshot(store)
    with pytest.raises(InvalidTransition):
        move(w.desk, "carol", other, merged.version)
    with pytest.raises(ConcurrencyConflict):
        move(w.desk, "carol", other, merged.version - 1)
    assert snapshot(store) == before


# --- protection ----------------------------------------------------------------------------


def test_protect_then_change_owner_then_recycle(store: LeadStore) -> None:
    """The protection follows the hold to its new owner and keeps the recyclers off; once it
    has ended, a batch recycle takes the lead and clears it."""
    w = world(store, recycle_hours=24)
    until = T0 + timedelta(days=3)
    w.desk.protect("carol", w.lead_id, until, reason="重点客户")
    moved = w.desk.change_owner("carol", w.lead_id, "dave")
    assert (moved.owner_id, moved.protected_until) == ("dave", until)
    refused = w.desk.batch_recycle("carol", [w.lead_id]).failed[w.lead_id]
    assert isinstance(refused, PermissionDenied) and "protected until" in refused.reason
    w.desk.sweep(T0 + timedelta(days=2))  # past the pool's 24 h, but protected
    assert w.desk.get("dave", w.lead_id).owner_id == "dave"
    w.clock.advance(days=3)
    assert not w.desk.batch_recycle("carol", [w.lead_id]).failed
    lead = w.desk.get("carol", w.lead_id)
    assert (lead.owner_id, lead.protected_until) == (None, None)


@pytest.mark.parametrize(
    "until",
    [datetime(2026, 3, 5, 9), T0 - timedelta(seconds=1), T0, T0 + timedelta(days=367 * 5)],
    ids=["naive", "past", "now", "too-far"],
)
def test_a_bad_protection_date_is_refused_naming_it(store: LeadStore, until: datetime) -> None:
    w = world(store)
    before = snapshot(store)
    with pytest.raises(ValidationError) as caught:
        w.desk.protect("carol", w.lead_id, until, reason="重点客户")
    assert caught.value.fields == ("until",)
    assert snapshot(store) == before


def test_lifting_no_protection_writes_nothing(store: LeadStore) -> None:
    w = world(store)
    before = snapshot(store)
    lead = w.desk.protect("carol", w.lead_id, None, reason="解除")
    assert lead.version == w.desk.get("carol", w.lead_id).version == 3
    assert snapshot(store) == before


@pytest.mark.parametrize("state", ["waiting", "invalid", "lost"])
def test_only_a_held_lead_is_protected(store: LeadStore, state: str) -> None:
    """Before: an admin could protect a lead waiting in its pool; whoever claimed it or was
    given it next then held it protected by a decision about no hold at all (and a decided
    lead took a protection nothing could ever use)."""
    w = world(store, claim_enabled=True)
    lead_id = w.desk.create("carol", "east", contact_name="李娜", phone="13900139000").id
    if state != "waiting":
        w.desk.assign("carol", lead_id, "bob")
        if state == "invalid":
            w.desk.invalidate("bob", lead_id, "空号")
        else:
            w.desk.close_lost("bob", lead_id, "预算不足")
    before = snapshot(store)
    with pytest.raises(InvalidTransition) as caught:
        w.desk.protect("carol", lead_id, T0 + timedelta(days=3), reason="重点客户")
    assert caught.value.action == "protect"
    assert snapshot(store) == before
    if state == "waiting":
        claimed = w.desk.claim("dave", lead_id)
        assert claimed.protected_until is None
        assert w.desk.time_left("dave", lead_id).exempt is None


def test_a_protection_left_on_a_waiting_lead_may_still_be_lifted(store: LeadStore) -> None:
    """A waiting lead stored with a protection (data from before protections ended with the
    hold) has it lifted as any other."""
    w = world(store)
    lead_id = w.desk.create("carol", "east", contact_name="李娜", phone="13900139000").id
    with store.unit_of_work() as uow:
        lead = uow.get_lead(lead_id)
        stale = attrs.evolve(lead, protected_until=DUE)
        uow.save_lead(stale, expected_version=lead.version)
        uow.commit()
    lifted = w.desk.protect("carol", lead_id, None, reason="解除")
    assert lifted.protected_until is None
    assert w.desk.history("carol", lead_id)[-1].kind is EventKind.LEAD_PROTECTED


# --- due dates through conversion and reopening ----------------------------------------------


def test_round_after_round_of_convert_and_reopen_keeps_the_promised_date(
    store: LeadStore,
) -> None:
    w = world(store)
    customer_id = None
    for _ in range(3):
        done = w.desk.convert("bob", w.lead_id, customer_id)
        customer_id = done.customer_id
        assert done.lead.next_due_at is None
        back = w.desk.reopen("carol", w.lead_id)
        assert (back.status, back.next_due_at) == (LeadStatus.FOLLOWING, DUE)
    assert len(w.directory.customers()) == 1


def test_a_reopen_after_the_cadence_changed_gives_back_the_promised_date(
    store: LeadStore,
) -> None:
    """The follow-up promised before the conversion is due, not one the new cadence gives."""
    w = world(store)
    w.desk.convert("bob", w.lead_id)
    w.desk.update_pool("root", "east", sla_policy="cadence")
    w.clock.advance(days=3)  # the promised date has passed meanwhile: it is overdue
    assert w.desk.reopen("carol", w.lead_id).next_due_at == DUE
    follow_up(w.desk, w.lead_id, None)  # the next follow-up takes the new cadence
    assert w.desk.get("bob", w.lead_id).next_due_at == w.clock.now() + timedelta(days=1)


def test_a_conversion_recorded_before_due_dates_cleared_reopens_with_its_date(
    store: LeadStore,
) -> None:
    """A lead converted before conversions cleared the due date kept it, and its event has no
    ``next_due_at`` change: the reopened lead is due on the date it kept."""
    w = world(store)
    with store.unit_of_work() as uow:
        lead = uow.get_lead(w.lead_id)
        converted = attrs.evolve(
            lead,
            status=LeadStatus.CONVERTED,
            converted_customer_id="C9",
            version=lead.version + 1,
        )
        uow.save_lead(converted, expected_version=lead.version)
        changes = (
            FieldChange("status", LeadStatus.FOLLOWING, LeadStatus.CONVERTED),
            FieldChange("converted_customer_id", None, "C9"),
        )
        uow.append_events(
            [
                Event(
                    EventKind.CONVERTED, T0, "bob", lead_id=lead.id, pool_id="east", changes=changes
                )
            ]
        )
        uow.commit()
    back = w.desk.reopen("carol", w.lead_id)
    assert (back.status, back.next_due_at) == (LeadStatus.FOLLOWING, DUE)
    assert back.converted_customer_id is None


@pytest.mark.parametrize("state", ["waiting", "invalid", "lost"])
def test_a_merge_of_leads_nobody_works_keeps_the_survivors_date(
    store: LeadStore, state: str
) -> None:
    w = world(store)
    own = DUE + timedelta(days=5)
    follow_up(w.desk, w.lead_id, own)
    other = w.desk.create("carol", "east", contact_name="王磊", phone="13800138001").id
    if state != "waiting":
        w.desk.assign("carol", other, "dave")
        follow_up(w.desk, other, DUE, "dave")
        if state == "invalid":
            w.desk.invalidate("dave", other, "空号")
        else:
            w.desk.close_lost("dave", other, "预算不足")
    before = w.desk.get("carol", other)
    merged = w.desk.merge("carol", [w.lead_id, other], survivor_id=w.lead_id)
    assert merged.next_due_at == own
    w.desk.unmerge("carol", w.lead_id)
    after = w.desk.get("carol", other)
    assert (after.status, after.next_due_at) == (before.status, before.next_due_at)
    assert w.desk.get("carol", w.lead_id).next_due_at == own


# --- one version, one release ---------------------------------------------------------------


def _race(desks: list[LeadDesk], lead_id: str, version: int) -> list[str]:
    """Each desk's pool admin releases the lead at ``version`` at once (an admin still sees it
    afterwards, so a loser is told of the conflict: its owner would be told "not found")."""
    outcomes: list[str] = []

    def release(desk: LeadDesk) -> Callable[[], None]:
        def work() -> None:
            try:
                desk.release("carol", lead_id, expected_version=version)
                outcomes.append("won")
            except ConcurrencyConflict:
                outcomes.append("conflict")

        return work

    at_once(*(release(d) for d in desks))
    return outcomes


def test_two_threads_releasing_at_one_version_release_once(store: LeadStore) -> None:
    w = world(store)
    version = w.desk.get("bob", w.lead_id).version
    assert sorted(_race([w.desk] * 4, w.lead_id, version)) == ["conflict"] * 3 + ["won"]
    kinds = [e.kind for e in w.desk.history("carol", w.lead_id)]
    assert kinds.count(EventKind.RELEASED) == 1
    assert w.desk.get("carol", w.lead_id).version == version + 1


def test_two_sqlite_connections_releasing_at_one_version_release_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    with SQLiteStore(path) as first, SQLiteStore(path) as second:
        w = world(first)
        version = w.desk.get("bob", w.lead_id).version
        desks = [w.desk, desk_on(second), w.desk, desk_on(second)]
        assert sorted(_race(desks, w.lead_id, version)) == ["conflict"] * 3 + ["won"]
        assert [e.kind for e in w.desk.history("carol", w.lead_id)].count(EventKind.RELEASED) == 1


def _releaser(path: str, lead_id: str, version: int, start: Barrier, out: Queue[str]) -> None:
    with SQLiteStore(path) as store:
        desk = desk_on(store)
        start.wait()
        try:
            desk.release("carol", lead_id, expected_version=version)
            out.put("won")
        except ConcurrencyConflict:
            out.put("conflict")


def test_two_processes_releasing_at_one_version_release_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    with SQLiteStore(path) as store:
        w = world(store)
        version = w.desk.get("bob", w.lead_id).version
    start = CONTEXT.Barrier(2)
    out: Queue[str] = CONTEXT.Queue()
    workers = [
        CONTEXT.Process(target=_releaser, args=(str(path), w.lead_id, version, start, out))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(out.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert outcomes == ["conflict", "won"]
    with SQLiteStore(path) as store:
        events = snapshot(store)[1]
    assert [e.kind for e in events if e.lead_id == w.lead_id].count(EventKind.RELEASED) == 1


def test_unmerging_a_converted_survivor_is_refused_naming_the_unmerge(store: LeadStore) -> None:
    w = world(store)
    other = held(w.desk, "13800138001", DUE, owner="dave")
    w.desk.merge("carol", [w.lead_id, other], survivor_id=w.lead_id)
    w.desk.convert("bob", w.lead_id)
    before = snapshot(store)
    with pytest.raises(InvalidTransition) as refused:
        w.desk.unmerge("carol", w.lead_id)
    assert refused.value.action == "unmerge"
    assert "cannot take 'unmerge'" in str(refused.value)
    assert "merged;" not in str(refused.value)
    assert snapshot(store) == before
