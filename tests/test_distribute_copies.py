"""Distribution and the person behind a lead: copies of one person in a batch go to one owner
whatever pool each is in, a person an owner already holds goes to that owner, the actor's view
is read once per batch; schedules say when they open; a quota names only users who exist."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from leadcore import (
    Event,
    EventKind,
    FixedClock,
    Lead,
    LeadDesk,
    MemoryStore,
    NotFound,
    OrgChart,
    Pool,
    Schedule,
    User,
    ValidationError,
)
from leadcore.assignment import (
    MemoryContext,
    RoundRobin,
    Scheduled,
    closed_reason,
    load_strategies,
)
from leadcore.dedup import DuplicateAction, DuplicatePolicies, DuplicatePolicy, DuplicateScope
from leadcore.org import OrgDirectory
from leadcore.policy import Policy, Quota, QuotaPolicy, load_quota_policies

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday, 17:00 in Shanghai
ORG = OrgChart(
    users=[User("root", roles={"system_admin"}), *(User(u) for u in ("boss", "wang", "li", "zhao"))]
)
FLAG = DuplicatePolicy(action=DuplicateAction.FLAG)


def _desk(duplicates: DuplicatePolicy | DuplicatePolicies = FLAG, **setup: object) -> LeadDesk:
    desk = LeadDesk(
        MemoryStore(),
        FixedClock(T0),
        ORG,
        rng=random.Random(7),
        strategies=load_strategies(
            {"fair": {"kind": "round_robin"}, "ll": {"kind": "least_loaded"}}
        ),
        duplicates=duplicates,
        **setup,  # type: ignore[arg-type]
    )
    for pool_id in ("east", "west"):
        desk.create_pool(
            "root",
            Pool(id=pool_id, name=pool_id, admins={"root", "boss"}, members={"wang", "li"}),
        )
    return desk


def _owners(desk: LeadDesk, ids: list[str]) -> list[str | None]:
    return [desk.get("root", i).owner_id for i in ids]


def _assigned(desk: LeadDesk, lead_id: str) -> Event:
    return next(e for e in desk.history("root", lead_id) if e.kind is EventKind.ASSIGNED)


# --- copies in one batch, whatever their pools ---------------------------------------------


def test_copies_of_one_person_in_two_pools_of_a_batch_go_to_one_owner() -> None:
    desk = _desk()
    east = desk.create("root", "east", company="星河", phone="13800138000").id
    west = desk.create("root", "west", company="星河", phone="+86 138 0013 8000").id
    other = desk.create("root", "west", company="远山", phone="13900139000").id
    result = desk.distribute("root", [east, west, other], "ll")
    assert not result.failed
    owners = _owners(desk, [east, west, other])
    assert owners[0] == owners[1] and owners[2] != owners[0]
    assert f"the same person as {east}" in str(_assigned(desk, west).reason)


def test_a_copy_in_a_pool_its_first_owner_is_no_member_of_waits_saying_why() -> None:
    desk = _desk()
    desk.create_pool("root", Pool(id="solo", name="solo", admins={"root"}, members={"zhao"}))
    first = desk.create("root", "solo", company="星河", phone="13800138000").id
    copy = desk.create("root", "east", company="星河", phone="13800138000").id
    result = desk.distribute("root", [first, copy], "fair")
    assert _owners(desk, [first, copy]) == ["zhao", None]  # never a second rep for one person
    refusal = str(result.failed[copy])
    assert f"the same person as {first} (phone:+8613800138000) goes to zhao" in refusal
    assert "who cannot receive it" in refusal and "not a member" in refusal


def test_a_pool_scoped_policy_keeps_the_same_person_apart_in_another_pool() -> None:
    # Each pool (product line) may hold the person once: a copy in another pool is its own lead.
    pooled = DuplicatePolicy(action=DuplicateAction.FLAG, scope=DuplicateScope.POOL)
    desk = _desk(pooled)
    east = desk.create("root", "east", company="星河", phone="13800138000").id
    west = desk.create("root", "west", company="星河", phone="13800138000").id
    desk.distribute("root", [east, west], "ll")
    owners = _owners(desk, [east, west])
    assert owners[0] != owners[1]
    assert "the same person" not in str(_assigned(desk, west).reason)


def test_a_pool_that_checks_no_duplicates_has_no_copies() -> None:
    desk = _desk(DuplicatePolicies(pools={"east": FLAG}))  # west checks nothing
    first = desk.create("root", "west", company="星河", phone="13800138000").id
    second = desk.create("root", "west", company="星河", phone="13800138000").id
    desk.distribute("root", [first, second], "ll")
    assert len(set(_owners(desk, [first, second]))) == 2


# --- a person an owner already holds ---------------------------------------------------------


def test_a_person_held_in_an_open_lead_goes_to_its_owner() -> None:
    desk = _desk()
    held = desk.create("root", "east", company="星河", phone="13800138000").id
    desk.assign("root", held, "li")
    again = desk.create("root", "west", company="星河科技", phone="138 0013 8000").id
    copy = desk.create("root", "west", company="星河", phone="13800138000").id
    fresh = desk.create("root", "west", company="远山", phone="13900139000").id
    result = desk.distribute("root", [again, copy, fresh], "ll")  # least loaded: wang
    assert not result.failed
    assert _owners(desk, [again, copy, fresh]) == ["li", "li", "wang"]
    reason = str(_assigned(desk, again).reason)
    assert (
        reason
        == f"the same person as lead {held} held by li (电话 138****8000) goes to the same owner"
    )
    assert f"the same person as {again}" in str(_assigned(desk, copy).reason)


def test_a_holder_who_cannot_receive_the_lead_leaves_it_to_the_strategy_saying_why() -> None:
    desk = _desk()
    held = desk.create("root", "east", company="星河", phone="13800138000").id
    desk.assign("root", held, "li")
    desk.set_away("root", "li", [(T0 - timedelta(hours=1), T0 + timedelta(days=2), "年假")])
    again = desk.create("root", "east", company="星河", phone="13800138000").id
    result = desk.distribute("root", [again], "fair")
    assert _owners(desk, [again]) == ["wang"]
    event = _assigned(desk, again)
    assert str(event.reason).startswith(f"the same person as lead {held} held by li (电话 ")
    assert "who cannot receive it (" in str(event.reason) and "away" in str(event.reason)
    assert "li" in event.data["excluded"]  # type: ignore[operator]
    assert list(result.succeeded) == [again]


def test_a_holder_the_actor_may_not_see_is_named_by_owner_and_masked_key_only() -> None:
    desk = _desk()
    desk.create_pool("root", Pool(id="vip", name="vip", admins={"root"}, members={"wang", "li"}))
    held = desk.create("root", "vip", company="星河", phone="13800138000").id
    desk.assign("root", held, "li")
    again = desk.create("boss", "east", company="星河", phone="13800138000").id
    desk.distribute("boss", [again], "ll")
    reason = str(_assigned(desk, again).reason)
    assert (
        reason == "the same person as a lead held by li (电话 138****8000) goes to the same owner"
    )
    assert held not in reason


def test_a_closed_duplicate_holds_nobody() -> None:
    desk = _desk()
    held = desk.create("root", "east", company="星河", phone="13800138000").id
    desk.assign("root", held, "li")
    desk.invalidate("li", held, reason="空号")
    again = desk.create("root", "east", company="星河", phone="13800138000").id
    desk.distribute("root", [again], "ll")
    assert str(_assigned(desk, again).reason).startswith("least loaded: ")  # li holds nobody


# --- the actor's view, once per batch ---------------------------------------------------------


def test_distribute_reads_the_actors_view_once_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = _desk()
    ids = [
        desk.create("root", "east", company=f"客户{n}", phone=f"1390013900{n}").id for n in range(5)
    ]
    hidden = desk.create("root", "west", company="别处", phone="13700137000").id
    calls: list[str] = []
    original = Policy.view_scope

    def counted(self: Policy, *args: object, **kwargs: object) -> object:
        calls.append("view_scope")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Policy, "view_scope", counted)
    result = desk.distribute("root", ids, "fair")
    assert len(result.succeeded) == 5 and len(calls) == 1
    # A lead the actor may not see (west is no claim pool) is reported as a missing one.
    refused = desk.distribute("wang", [hidden, "no-such-lead"], "fair")
    assert all(isinstance(refused.failed[i], NotFound) for i in (hidden, "no-such-lead"))


# --- schedules say when they open --------------------------------------------------------------


def test_a_closed_schedule_says_when_it_opens_on_its_own_wall_clock() -> None:
    berlin = Schedule(["mon-fri 09:00-18:00"], "Europe/Berlin")
    saturday = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # clocks go forward that night
    assert closed_reason(berlin, saturday) == (
        "outside Mon–Fri 09:00–18:00 Europe/Berlin; opens Mon 2026-03-30 09:00 Europe/Berlin"
    )
    assert closed_reason(berlin, datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) is None
    assert closed_reason(Schedule([], "Asia/Shanghai"), saturday) == (
        "no opening hours are set (Asia/Shanghai)"
    )
    day = Scheduled(RoundRobin(name="day", users=["wang"]), berlin)
    lead = Lead(id="L1", pool_id="p", created_by="x", created_at=saturday)
    off = day.choose(lead, MemoryContext(["wang"], now=saturday, rng=random.Random(1)))
    assert (off.owner_id, off.reason) == (None, f"day is off: {closed_reason(berlin, saturday)}")
    with pytest.raises(ValidationError, match="at"):
        closed_reason(berlin, datetime(2026, 3, 28, 20, 0))
    with pytest.raises(ValidationError, match="schedule"):
        closed_reason("mon-fri 09:00-18:00", saturday)  # type: ignore[arg-type]


# --- quotas name users who exist ----------------------------------------------------------------


def test_a_quota_for_an_unknown_user_is_refused_naming_the_path_and_the_closest_id() -> None:
    typo = load_quota_policies({"tele": {"users": {"wnag": [{"limit": 3, "period": "day"}]}}})
    with pytest.raises(ValidationError) as caught:
        _desk(quota_policies=typo)
    (problem,) = caught.value.problems
    assert problem.field == "quota_policies.tele.users.wnag"
    assert "'wnag'" in problem.reason and "did you mean 'wang'?" in problem.reason
    _desk(quota_policies={"tele": QuotaPolicy(users={"wang": [Quota(3, "day")]})})  # known: fine


class _Directory:
    """A host's org directory that looks users up one by one and lists none."""

    def user(self, user_id: str) -> User:
        if user_id in ("root", "wang"):
            return User(user_id, roles={"system_admin"} if user_id == "root" else frozenset())
        raise NotFound("user", user_id)

    def subordinates(self, user_id: str) -> frozenset[str]:
        return frozenset()


def test_a_directory_that_lists_no_users_is_asked_for_each_quota_user_without_a_guess() -> None:
    directory: OrgDirectory = _Directory()
    quotas = {"tele": QuotaPolicy(users={"wang": [Quota(3, "day")], "wnag": [Quota(1, "day")]})}
    with pytest.raises(ValidationError) as caught:
        LeadDesk(MemoryStore(), FixedClock(T0), directory, quota_policies=quotas)
    (problem,) = caught.value.problems
    assert problem.field == "quota_policies.tele.users.wnag"
    assert "did you mean" not in problem.reason
