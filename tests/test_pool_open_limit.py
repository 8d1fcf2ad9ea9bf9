"""A pool's daily open limit holds in every read: a limited member sees a waiting lead's
contact details masked until they open it that day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadcore import FixedClock, LeadDesk, LimitReached, MemoryStore, OrgChart, Pool, User

T0 = datetime(2026, 3, 5, 9, tzinfo=UTC)


def _desk(limit: int | None = 1) -> tuple[LeadDesk, FixedClock, list[str]]:
    org = OrgChart(users=[User("admin", roles={"system_admin"}), User("carol"), User("bob")])
    clock = FixedClock(T0)
    desk = LeadDesk(MemoryStore(), clock, org)
    pool = Pool(
        id="web",
        name="官网线索",
        admins={"carol"},
        members={"bob"},
        claim_enabled=True,
        max_opens_per_day=limit,
    )
    desk.create_pool("admin", pool)
    ids = [
        desk.create(
            "carol", "web", contact_name="赵强", phone="13700137000", email="zhaoqiang@qq.com"
        ).id,
        desk.create(
            "carol", "web", contact_name="钱芳", phone="13600136000", wechat="qianfang_88"
        ).id,
    ]
    return desk, clock, ids


def _contacts(desk: LeadDesk, actor: str, lead_id: str) -> tuple[object, ...]:
    lead = desk.get(actor, lead_id)
    return lead.phone, lead.email, lead.wechat


def test_a_limited_member_sees_contact_details_masked_until_opening_the_lead() -> None:
    desk, _, (first, second) = _desk()
    assert _contacts(desk, "bob", first) == ("137****7000", "z***g@qq.com", None)
    assert _contacts(desk, "bob", second) == ("136****6000", None, "qi***88")
    page = desk.leads("bob", view="pool", pool_id="web")
    assert {lead.phone for lead in page} == {"137****7000", "136****6000"}
    assert [lead.phone for lead in desk.get_many("bob", [first, second])] == [
        "137****7000",
        "136****6000",
    ]
    created = desk.history("bob", first)[0]
    assert created.change("phone") is not None
    assert created.change("phone").after == "137****7000"  # type: ignore[union-attr]
    assert desk.open_pool_lead("bob", first).phone == "+8613700137000"
    assert desk.get("bob", first).phone == "+8613700137000"
    assert desk.history("bob", first)[0].change("phone").after == "+8613700137000"  # type: ignore[union-attr]
    assert desk.get("bob", second).phone == "136****6000", "the other lead is not opened"
    with pytest.raises(LimitReached):
        desk.open_pool_lead("bob", second)


def test_the_mask_returns_the_next_day_and_never_applies_to_admins_or_creators() -> None:
    desk, clock, (first, _) = _desk()
    desk.open_pool_lead("bob", first)
    clock.advance(timedelta(days=1))
    assert desk.get("bob", first).phone == "137****7000"
    for actor in ("carol", "admin"):  # the pool's admin (and creator), a system admin
        assert desk.get(actor, first).phone == "+8613700137000"
    phones = {lead.phone for lead in desk.leads("carol", view="pool", pool_id="web")}
    assert phones == {"+8613700137000", "+8613600136000"}


def test_without_a_limit_or_once_owned_nothing_is_masked() -> None:
    desk, _, (first, _) = _desk(limit=None)
    assert desk.get("bob", first).phone == "+8613700137000"
    desk, _, (first, _) = _desk()
    desk.claim("bob", first)
    assert desk.get("bob", first).phone == "+8613700137000"
