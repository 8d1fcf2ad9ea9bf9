"""Probes of quotas, availability, schedules and batch distribution: the mistakes real users
make, each refused with a named problem, and the rules every hand-out obeys, kept."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from leadcore import (
    Away,
    ConfigError,
    FixedClock,
    Lead,
    LeadDesk,
    MemoryStore,
    NoOwnerFound,
    OrgChart,
    Pool,
    User,
    ValidationError,
)
from leadcore.assignment import (
    LeastLoaded,
    MemoryContext,
    RoundRobin,
    Scheduled,
    load_strategies,
)
from leadcore.dedup import DuplicateAction, DuplicatePolicy
from leadcore.policy import Quota, QuotaPolicy, QuotaUse, load_quota_policies

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday, 17:00 in Shanghai
ORG = OrgChart(users=[User("root", roles={"system_admin"}), User("wang"), User("li")])


def _desk(**setup: object) -> LeadDesk:
    return LeadDesk(
        MemoryStore(),
        FixedClock(T0),
        ORG,
        rng=random.Random(7),
        strategies=load_strategies(
            {"fair": {"kind": "round_robin"}, "ll": {"kind": "least_loaded"}}
        ),
        **setup,  # type: ignore[arg-type]
    )


def _leads(desk: LeadDesk, pool: str, phones: list[str]) -> list[str]:
    return [
        desk.create("root", pool, company=f"客户{pool}{n}", phone=phone).id
        for n, phone in enumerate(phones)
    ]


def _owners(desk: LeadDesk, ids: list[str]) -> list[str | None]:
    return [desk.get("root", i).owner_id for i in ids]


# --- distribution: copies of one person ---------------------------------------------------


def test_copies_of_one_person_in_a_batch_count_toward_the_owners_quota() -> None:
    desk = _desk(
        quota_policies={"p": QuotaPolicy(quotas=[Quota(2, "day")])},
        duplicates=DuplicatePolicy(action=DuplicateAction.FLAG),
    )
    desk.create_pool(
        "root",
        Pool(id="tele", name="电销池", admins={"root"}, members={"wang", "li"}, quota_policy="p"),
    )
    phones = ["13800138000"] * 3 + ["13900139001", "13900139002", "13900139003"]
    ids = _leads(desk, "tele", phones)
    result = desk.distribute("root", ids, "fair")
    owners = _owners(desk, ids)
    for user in ("wang", "li"):
        assert owners.count(user) <= 2, owners
    assert owners[0] == owners[1] or owners[1] is None
    copy = result.failed[ids[2]]
    assert "the same person as" in str(copy) and "quota reached" in str(copy)


def test_copies_of_one_person_count_toward_the_cap_in_every_pool_of_the_batch() -> None:
    desk = _desk(duplicates=DuplicatePolicy(action=DuplicateAction.FLAG))
    desk.create_pool("root", Pool(id="east", name="华东", admins={"root"}, members={"wang", "li"}))
    desk.create_pool(
        "root",
        Pool(id="west", name="华西", admins={"root"}, members={"wang", "li"}, max_open_per_user=3),
    )
    east = _leads(desk, "east", ["13800138000"] * 4)
    west = _leads(desk, "west", [f"1390013900{n}" for n in range(4)])
    desk.distribute("root", [*east, *west], "fair")
    held = {u: _owners(desk, [*east, *west]).count(u) for u in ("wang", "li")}
    west_owners = _owners(desk, west)
    for user in ("wang", "li"):
        # Nobody receives a lead of the west pool while holding 3 open leads or more.
        assert west_owners.count(user) <= max(0, 3 - (held[user] - west_owners.count(user)))


def test_least_loaded_sees_the_copies_handed_out_earlier_in_the_batch() -> None:
    desk = _desk(duplicates=DuplicatePolicy(action=DuplicateAction.FLAG))
    desk.create_pool("root", Pool(id="east", name="华东", admins={"root"}, members={"wang", "li"}))
    ids = _leads(desk, "east", ["13800138000"] * 3 + [f"1390013900{n}" for n in range(3)])
    desk.distribute("root", ids, "ll")
    owners = _owners(desk, ids)
    first = owners[0]
    assert owners[:3] == [first] * 3
    assert first not in owners[3:], owners


def test_a_copy_of_a_person_nobody_could_take_says_so() -> None:
    desk = _desk(
        quota_policies={"p": QuotaPolicy(quotas=[Quota(0, "day")])},
        duplicates=DuplicatePolicy(action=DuplicateAction.FLAG),
    )
    desk.create_pool(
        "root",
        Pool(id="tele", name="电销池", admins={"root"}, members={"wang", "li"}, quota_policy="p"),
    )
    ids = _leads(desk, "tele", ["13800138000"] * 2)
    result = desk.distribute("root", ids, "fair")
    copy = str(result.failed[ids[1]])
    assert f"the same person as {ids[0]}" in copy
    assert "goes to the same owner" not in copy


# --- availability -----------------------------------------------------------------------


def test_away_until_says_when_the_user_is_back_across_overlapping_periods() -> None:
    desk = _desk()
    desk.create_pool("root", Pool(id="east", name="华东", admins={"root"}, members={"wang"}))
    day = timedelta(days=1)
    desk.set_away(
        "wang",
        "wang",
        [
            (T0 - day, T0 + day, "年假"),
            (T0 + day / 2, T0 + 3 * day, "出差"),
            (T0 + 3 * day, T0 + 4 * day),
        ],
    )
    lead = _leads(desk, "east", ["13800138000"])[0]
    with pytest.raises(NoOwnerFound) as caught:
        desk.auto_assign("root", lead, "fair")
    assert caught.value.excluded == {"wang": "away until 2026-03-06 09:00 (年假)"}
    # A hand-out by name reads the same absence: one rule for every path.
    with pytest.raises(ValidationError, match="2026-03-06 09:00"):
        desk.assign("root", lead, "wang")


def test_a_context_reads_away_periods_in_utc_whatever_zone_they_were_given_in() -> None:
    shanghai = timezone(timedelta(hours=8))
    away = Away("wang", T0.astimezone(shanghai), (T0 + timedelta(hours=1)).astimezone(shanghai))
    ctx = MemoryContext(["wang", "li"], now=T0, rng=random.Random(1), away=[away])
    choice = LeastLoaded().choose(_lead(), ctx)
    assert dict(choice.excluded) == {"wang": "away until 2026-03-02 10:00"}


# --- the assignment context -------------------------------------------------------------


def _lead() -> Lead:
    return Lead(id="L1", pool_id="east", created_by="import", created_at=T0)


def _quota_context() -> MemoryContext:
    use = QuotaUse(Quota(1, "day"), 0, 1, T0)
    return MemoryContext(
        ["wang"],
        now=T0,
        rng=random.Random(1),
        pools=[Pool(id="east", name="华东", quota_policy="p")],
        quotas={("wang", "east"): [use]},
    )


@pytest.mark.parametrize("key", ["wang", ("wang",), ("wang", "east", "x"), ("wang", 1)])
def test_a_context_refuses_quotas_not_keyed_by_user_and_pool(key: object) -> None:
    use = QuotaUse(Quota(1, "day"), 0, 1, T0)
    with pytest.raises(ValidationError) as caught:
        MemoryContext(["wang"], now=T0, rng=random.Random(1), quotas={key: [use]})  # type: ignore[dict-item]
    assert caught.value.problems[0].field == "quotas"
    assert "(user id, pool id)" in caught.value.problems[0].reason


@pytest.mark.parametrize(
    ("state", "field"),
    [({"k": object()}, "state['k']"), ({1: "li"}, "state"), ({"k": float("nan")}, "state['k']")],
)
def test_a_context_refuses_state_json_cannot_hold(state: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MemoryContext(["wang"], state=state, now=T0, rng=random.Random(1))  # type: ignore[arg-type]
    assert caught.value.problems[0].field == field


def test_a_context_refuses_a_user_both_known_and_unknown() -> None:
    with pytest.raises(ValidationError) as caught:
        MemoryContext(["wang"], now=T0, rng=random.Random(1), unknown_users=["wang"])
    assert caught.value.problems[0].field == "unknown_users"


@pytest.mark.parametrize(
    ("choice", "pool_id", "field"),
    [("x", "east", "choice"), (None, "east", "choice"), (1, 5, "choice")],
)
def test_applying_what_is_not_a_choice_is_refused(
    choice: object, pool_id: object, field: str
) -> None:
    ctx = _quota_context()
    with pytest.raises(ValidationError) as caught:
        ctx.apply(choice, pool_id)  # type: ignore[arg-type]
    assert caught.value.problems[0].field == field


def test_applying_a_choice_without_its_pool_where_quotas_bind_is_refused_and_writes_nothing() -> (
    None
):
    ctx = _quota_context()
    choice = RoundRobin().choose(_lead(), ctx)
    with pytest.raises(ValidationError) as caught:
        ctx.apply(choice)
    assert caught.value.problems[0].field == "pool_id"
    assert ctx.loads == {} and ctx.data == {}
    with pytest.raises(ValidationError):
        ctx.apply(choice, 5)  # type: ignore[arg-type]
    ctx.apply(choice, "east")
    assert RoundRobin().choose(_lead(), ctx).owner_id is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("day", 0, 1, T0), "quota"),
        ((Quota(2, "day"), -1, 2, T0), "received"),
        ((Quota(2, "day"), "1", 2, T0), "received"),
        ((Quota(2, "day"), True, 2, T0), "received"),
        ((Quota(2, "day"), 0, 3, T0), "allowed"),
        ((Quota(2, "day"), 0, 2.0, T0), "allowed"),
        ((Quota(2, "day"), 0, 2, datetime(2026, 3, 2)), "since"),
        ((Quota(2, "day"), 0, 2, "2026-03-02"), "since"),
    ],
)
def test_a_quota_use_refuses_nonsense(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        QuotaUse(*args)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == [field]


def test_a_quota_use_says_its_window_start_in_utc() -> None:
    since = datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=8)))
    assert "since 2026-03-01 16:00 UTC" in QuotaUse(Quota(1, "day"), 1, 1, since).refusal()


# --- quota policies from config -----------------------------------------------------------


def test_a_users_quotas_are_named_under_users_dot_id_whatever_is_wrong() -> None:
    with pytest.raises(ConfigError) as caught:
        load_quota_policies(
            {
                "t": {
                    "users": {
                        "wang": [{"limit": "x", "period": "day"}],
                        "li": [{"limit": 1, "period": "day"}, {"limit": 2, "period": "day"}],
                        "zhao": "3 a day",
                    }
                }
            }
        )
    assert sorted(p.field for p in caught.value.problems) == [
        "$.t.users.li[1].period",
        "$.t.users.wang[0].limit",
        "$.t.users.zhao",
    ]


@pytest.mark.parametrize("user_id", [" wang", "wang ", "x" * 300, "\ud800", ""])
def test_a_quota_for_an_id_no_user_can_have_is_refused(user_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        QuotaPolicy(users={user_id: [Quota(1, "day")]})
    assert caught.value.problems[0].field == "users"
    assert "is not a user id" in caught.value.problems[0].reason


# --- schedules --------------------------------------------------------------------------


def test_a_scheduled_strategy_given_a_list_of_windows_says_what_a_schedule_is() -> None:
    with pytest.raises(ValidationError) as caught:
        Scheduled(RoundRobin(), ["mon-fri 09:00-18:00"])  # type: ignore[arg-type]
    problem = caught.value.problems[0]
    assert problem.field == "schedule"
    assert "Schedule([" in problem.reason and "not list" in problem.reason


# --- import: the default owner's quota ----------------------------------------------------


def _wangs_pool(desk: LeadDesk, **settings: Any) -> None:
    """Pool ``tele``, whose default owner (its one member) is wang."""
    desk.create_pool(
        "root",
        Pool(
            id="tele",
            name="电销池",
            admins={"root"},
            members={"wang"},
            default_owner_id="wang",
            **settings,
        ),
    )


@pytest.mark.parametrize("chunk_size", [1, 2, 1000])
def test_an_import_hands_the_default_owner_no_more_than_their_quota(chunk_size: int) -> None:
    desk = _desk(quota_policies={"p": QuotaPolicy(quotas=[Quota(3, "day")])})
    _wangs_pool(desk, quota_policy="p")
    desk.create("root", "tele", company="先到的客户", phone="13800138999")  # one received already
    rows = [{"company": f"客户{i}", "phone": f"1390013{8000 + i}"} for i in range(6)]
    report = desk.import_leads("root", "tele", rows, chunk_size=chunk_size)
    owners = [desk.get("root", r.lead_id).owner_id for r in report.rows if r.lead_id]
    assert owners == ["wang", "wang", None, None, None, None]
    assert report.counts["created"] == 6


@pytest.mark.parametrize("cap", [1, 2, 4])
def test_an_import_hands_the_default_owner_no_more_than_the_pools_cap(cap: int) -> None:
    desk = _desk()
    _wangs_pool(desk, max_open_per_user=cap)
    rows = [{"company": f"客户{i}", "phone": f"1390013{8000 + i}"} for i in range(3)]
    report = desk.import_leads("root", "tele", rows, chunk_size=2)
    owners = [desk.get("root", r.lead_id).owner_id for r in report.rows if r.lead_id]
    given = min(cap, 3)
    assert owners == ["wang"] * given + [None] * (3 - given)
