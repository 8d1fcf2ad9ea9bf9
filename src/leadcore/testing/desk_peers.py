"""What the peers' own test suites pin down (Frappe's assignment rules, Odoo's CRM), on the
desk: quotas over time windows (also under eight threads), rules and strategies active only in
their schedules, and creating a lead straight into a user's hands."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from leadcore import (
    EventKind,
    LeadcoreError,
    LeadQuery,
    NoOwnerFound,
    NotFound,
    PermissionDenied,
    Pool,
    ValidationError,
)
from leadcore.assignment import (
    Chain,
    LeastLoaded,
    RoundRobin,
    RouteCondition,
    Router,
    RoutingRule,
    Scheduled,
)
from leadcore.cadence import Schedule, WorkingCalendar
from leadcore.policy import Quota, QuotaPolicy
from leadcore.records import RECEIVED
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.strategies import per_store_settings
from leadcore.testing.threads import at_once
from leadcore.testing.world import CLAIMERS, REPS, T0, World

__all__ = ["PeersCase"]

_per_store = per_store_settings(HealthCheck.too_slow, max_examples=8, deadline=None)

#: Monday 2 March 2026, 09:00 UTC is 17:00 in Shanghai: inside a 09:00–18:00 day desk.
DAY_DESK = Schedule(["mon-fri 09:00-18:00"], "Asia/Shanghai")
NIGHT_DESK = Schedule(["mon-fri 18:00-09:00"], "Asia/Shanghai")


def _claims_stop_at_the_last(w: World, user: str, lead_ids: Sequence[str], reason: str) -> None:
    """``user`` claims each of ``lead_ids`` but the last, and is refused the last with ``reason``."""
    *claimed, refused = lead_ids
    for lead_id in claimed:
        w.desk.claim(user, lead_id)
    with pytest.raises(PermissionDenied, match=reason):
        w.desk.claim(user, refused)


class PeersCase(DeskCase):
    """Quotas, schedules and create-with-owner on the desk, on the store you make."""

    def quota_world(self, policy: QuotaPolicy, **pool: object) -> World:
        """A world with one pool ``q`` (run by ``admin``, members u1…u4 and c1…c8, claiming on)
        bound by ``policy``."""
        return self.world(
            Pool(
                id="q",
                name="配额池",
                admins={"admin"},
                members={*REPS, *CLAIMERS},
                claim_enabled=True,
                quota_policy="quota",
                **pool,  # type: ignore[arg-type]
            ),
            quota_policies={"quota": policy},
        )

    def waiting(self, world: World, count: int) -> list[str]:
        """``count`` new unassigned leads in pool ``q``."""
        return [
            world.desk.create("admin", "q", contact_name=f"客户{i}", phone="13800138000").id
            for i in range(count)
        ]

    # --- quotas ------------------------------------------------------------------------------
    def test_a_quota_reached_mid_batch_leaves_the_rest_unassigned_with_reasons(self) -> None:
        w = self.quota_world(QuotaPolicy([Quota(2, "day")]))
        ids = self.waiting(w, 10)
        result = w.desk.distribute("admin", ids, "rr")
        assert len(result.succeeded) == 8
        assert Counter(w.desk.get("admin", i).owner_id for i in result.succeeded) == dict.fromkeys(
            REPS, 2
        )
        assert set(result.failed) == set(ids[8:])
        for error in result.failed.values():
            assert isinstance(error, NoOwnerFound)
            assert set(error.excluded) == set(REPS)
            assert all("quota reached: 2 of 2" in why for why in error.excluded.values())

    def test_a_users_own_quota_replaces_the_pools_for_that_period(self) -> None:
        policy = QuotaPolicy([Quota(1, "day")], users={"u1": [Quota(3, "day")]})
        w = self.quota_world(policy)
        ids = self.waiting(w, 5)
        for lead_id in ids[:3]:
            w.desk.assign("admin", lead_id, "u1")
        with pytest.raises(ValidationError) as refused:
            w.desk.assign("admin", ids[3], "u1")
        assert "owner_id" in str(refused.value) and "quota reached: 3 of 3" in str(refused.value)
        w.desk.assign("admin", ids[3], "u2")
        with pytest.raises(ValidationError, match="quota reached: 1 of 1"):
            w.desk.assign("admin", ids[4], "u2")

    def test_claims_count_and_the_window_starts_again_the_next_day(self) -> None:
        w = self.quota_world(QuotaPolicy([Quota(2, "day"), Quota(3, "week")]))
        ids = self.waiting(w, 6)
        _claims_stop_at_the_last(w, "c1", ids[:3], "quota reached: 2 of 2 leads received this day")
        w.clock.advance(days=1)
        _claims_stop_at_the_last(w, "c1", ids[2:4], "3 of 3 leads received this week")
        w.clock.advance(days=7)  # the next Tuesday: a new week
        w.desk.claim("c1", ids[3])

    def test_a_pro_rated_month_quota_accrues_with_working_days(self) -> None:
        # March 2026 has 22 weekdays; Monday 2 March is the first: ceil(44 * 1 / 22) = 2.
        weekdays = WorkingCalendar({"mon-fri": ["09:00-18:00"]}, timezone="Asia/Shanghai")
        policy = QuotaPolicy([Quota(44, "month", prorate=True)], calendar=weekdays)
        w = self.quota_world(policy)
        ids = self.waiting(w, 5)
        _claims_stop_at_the_last(w, "c2", ids[:3], "2 of 2 so far of 44 leads received")
        w.clock.advance(days=1)
        w.desk.claim("c2", ids[2])

    def test_the_pools_own_strategy_and_default_owner_respect_the_quota(self) -> None:
        w = self.quota_world(QuotaPolicy([Quota(1, "day")]), default_owner_id="u1")
        first, second = self.waiting(w, 2)
        assert w.desk.get("admin", first).owner_id == "u1"
        lead = w.desk.get("admin", second)
        assert lead.owner_id is None
        why = next(e for e in w.desk.history("admin", second) if e.kind is EventKind.NO_OWNER_FOUND)
        assert "quota reached" in (why.reason or "")

    @_per_store
    @given(
        limit=st.integers(1, 3),
        leads=st.integers(8, 30),
        seed=st.integers(0, 2**16),
    )
    def test_no_user_ever_exceeds_a_quota_even_under_eight_threads(
        self, limit: int, leads: int, seed: int
    ) -> None:
        policy = QuotaPolicy([Quota(limit, "day")], users={"c1": [Quota(limit + 1, "day")]})
        w = self.quota_world(policy)
        ids = self.waiting(w, leads)
        unexpected: list[BaseException] = []

        def work(worker: int) -> None:
            rng = random.Random(seed * 8 + worker)
            order = list(ids)
            rng.shuffle(order)
            for lead_id in order:
                kind = rng.randrange(4)
                try:
                    if kind == 0:
                        w.desk.claim(CLAIMERS[worker], lead_id)
                    elif kind == 1:
                        w.desk.assign("admin", lead_id, rng.choice((*REPS, *CLAIMERS)))
                    elif kind == 2:
                        w.desk.auto_assign("admin", lead_id, "rr")
                    else:
                        w.desk.distribute("admin", [lead_id, *rng.sample(ids, 2)], "balance")
                except LeadcoreError:
                    pass  # refused: taken already, or a quota reached
                except BaseException as e:  # anything else is a bug
                    unexpected.append(e)

        at_once(*(partial(work, i) for i in range(8)))
        assert not unexpected
        with w.store.unit_of_work() as uow:
            held = Counter(lead.owner_id for lead in uow.find_leads(LeadQuery(pool_id="q")))
            for user in (*REPS, *CLAIMERS):
                allowed = limit + 1 if user == "c1" else limit
                got = uow.count_ownership(user, changes=RECEIVED, since=T0 - timedelta(hours=9))
                assert got <= allowed, f"{user} received {got}, quota {allowed}"
                assert held[user] == got

    # --- schedules ---------------------------------------------------------------------------
    def test_a_window_rule_is_skipped_outside_its_hours(self) -> None:
        router = Router(
            rules=[
                RoutingRule(
                    [RouteCondition("region", {"华东"})], ["u1"], team="day", schedule=NIGHT_DESK
                ),
            ],
            then=RoundRobin(name="router.then"),
            default=["u2"],
        )
        w = self.world(
            Pool(id="p", name="分时池", admins={"admin"}, auto_assign="timed"),
            strategies={"timed": router},
        )
        lead = w.desk.create("admin", "p", contact_name="王磊", phone="13800138000", region="华东")
        assert lead.owner_id == "u2"
        assigned = next(e for e in w.desk.history("admin", lead.id) if e.kind is EventKind.ASSIGNED)
        opens = "opens Mon 2026-03-02 18:00 Asia/Shanghai"  # told when the rule is on again
        assert (
            f"rule region=华东 is off (outside Mon–Fri 18:00–09:00 Asia/Shanghai; {opens})"
            in str(assigned.reason)
        )
        assert assigned.data["excluded"] == {
            "u1": f"rule region=华东 is off: outside Mon–Fri 18:00–09:00 Asia/Shanghai; {opens}"
        }
        w.clock.advance(hours=2)  # 19:00 in Shanghai: the night rule is on
        later = w.desk.create("admin", "p", contact_name="李娜", phone="13800138000", region="华东")
        assert later.owner_id == "u1"

    def test_a_scheduled_strategy_declines_outside_its_window_and_a_chain_falls_through(
        self,
    ) -> None:
        day = Scheduled(RoundRobin(name="day", users=["u1"]), DAY_DESK)
        night = Scheduled(LeastLoaded(name="night", users=["u3"]), NIGHT_DESK)
        w = self.world(
            Pool(id="p", name="分时池", admins={"admin"}),
            strategies={"shifts": Chain([day, night], name="shifts"), "night": night},
        )
        lead_id = w.desk.create("admin", "p", contact_name="王磊", phone="13800138000").id
        with pytest.raises(NoOwnerFound, match="night is off: outside Mon–Fri 18:00–09:00"):
            w.desk.auto_assign("admin", lead_id, "night")
        assert w.desk.auto_assign("admin", lead_id, "shifts").owner_id == "u1"
        w.clock.advance(hours=1, minutes=30)  # 18:30 in Shanghai
        other = w.desk.create("admin", "p", contact_name="李娜", phone="13800138000").id
        done = w.desk.auto_assign("admin", other, "shifts")
        assert done.owner_id == "u3"
        assigned = w.desk.history("admin", other)[-1]
        assert "day declined (day is off: outside Mon–Fri 09:00–18:00" in str(assigned.reason)

    # --- create with an owner ----------------------------------------------------------------
    def test_a_pool_admin_creates_a_lead_assigned_straight_to_a_user(self) -> None:
        w = self.quota_world(QuotaPolicy([Quota(1, "day")]))
        lead = w.desk.create("admin", "q", contact_name="王磊", phone="13800138000", owner_id="u3")
        assert (lead.owner_id, lead.status.value) == ("u3", "assigned")
        kinds = [e.kind for e in w.desk.history("admin", lead.id)]
        assert kinds == [EventKind.LEAD_CREATED, EventKind.ASSIGNED]
        before = w.store.snapshot()
        with pytest.raises(ValidationError, match=r"owner_id.*quota reached"):
            w.desk.create("admin", "q", contact_name="李娜", phone="13800138000", owner_id="u3")
        with pytest.raises(ValidationError, match=r"owner_id.*not a member"):
            w.desk.create("admin", "q", contact_name="李娜", phone="13800138000", owner_id="bob")
        with pytest.raises(PermissionDenied, match="assign"):
            w.desk.create("u1", "q", contact_name="李娜", phone="13800138000", owner_id="u2")
        assert w.store.snapshot() == before

    def test_creating_with_an_unknown_or_junk_owner_is_refused_by_name(self) -> None:
        w = self.quota_world(QuotaPolicy())
        for junk in ("nobody", "", 7):
            with pytest.raises(LeadcoreError, match=r"owner_id|nobody"):
                w.desk.create(
                    "admin",
                    "q",
                    contact_name="王磊",
                    phone="13800138000",
                    owner_id=junk,  # type: ignore[arg-type]
                )
        lead = w.desk.create("admin", "q", contact_name="王磊", phone="13800138000", owner_id="u1")
        assert lead.owner_id == "u1"
        with pytest.raises(NotFound):  # handed straight to u1, it never waited: c1 learns nothing
            w.desk.claim("c1", lead.id)
