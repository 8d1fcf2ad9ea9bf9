"""A hypothesis state machine: random operation sequences applied to MemoryStore, SQLiteStore in
memory and SQLiteStore on a file side by side; after every step all three hold the same,
duplicate keys, sweep times and follow-ups by author included, and leads and pools with every
field set round-trip."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from leadcore import ConversionGate, LeadQuery, LeadStore, MemoryStore, SQLiteStore, UnitOfWork
from leadcore.dedup import DedupKey, KeyKind
from leadcore.errors import LeadcoreError
from leadcore.events import Event, EventKind
from leadcore.model import Pool
from leadcore.query import LeadFilter
from leadcore.records import Away, Grant, GrantStatus, OwnershipChange, OwnershipRecord
from leadcore.testing import EPOCH, StoreAgreement
from leadcore.testing.contract_records import store_contents
from leadcore.testing.strategies import follow_ups, instants, lead_filters, lead_queries, pools

USERS = st.sampled_from(("u1", "u2", "u3"))
LEAD_IDS = st.sampled_from([f"L{i}" for i in range(8)])
POOLS = st.sampled_from(("pool-a", "pool-b"))
CHANGES = st.sampled_from(tuple(OwnershipChange))
PHONES = st.sampled_from(("+8613800138000", "+8613900139000", None))
EMAILS = st.sampled_from(("zhang@qq.com", "Zhang@QQ.com", "li@163.com", None))
WECHATS = st.sampled_from(("zhangsan_88", "ZhangSan_88", None))
KEYS = tuple(
    DedupKey(kind, value)
    for kind, value in (
        (KeyKind.PHONE, "+8613800138000"),
        (KeyKind.PHONE, "+8613900139000"),
        (KeyKind.EMAIL, "zhang@qq.com"),
        (KeyKind.EMAIL, "li@163.com"),
        (KeyKind.WECHAT, "zhangsan_88"),
        (KeyKind.COMPANY, "星河科技"),
        (KeyKind.COMPANY, "acme"),
    )
)


class _Undone(Exception):
    """Raised inside a savepoint to undo it."""


class StoresAgree(StoreAgreement):
    """The shipped agreement machine (leads, saves, deletes, events, state, abandoned units of
    work), plus pools, follow-ups, grants, ownership records, away periods and savepoints,
    with everything readable compared across the stores after every step."""

    def make_stores(self) -> list[LeadStore]:
        self.folder = Path(tempfile.mkdtemp(prefix="leadcore-agreement-"))
        self.sqlite = [SQLiteStore(), SQLiteStore(self.folder / "s.db", synchronous="off")]
        return [MemoryStore(), *self.sqlite]

    def teardown(self) -> None:
        for store in self.sqlite:
            store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(data=st.data(), stale=st.booleans())
    def pools_are_added_and_saved(self, data: st.DataObject, stale: bool) -> None:
        """Add a pool, or save it at its current (or a stale) version."""
        pool = data.draw(pools())

        def work(uow: UnitOfWork) -> object:
            try:
                current = uow.get_pool(pool.id)
            except LeadcoreError:
                return uow.add_pool(pool)
            version = current.version - 1 if stale else current.version
            return uow.save_pool(attrs.evolve(pool, version=0), expected_version=version)

        self._each(work)

    @rule(lead_id=LEAD_IDS, n=st.integers(0, 4), data=st.data(), save=st.booleans())
    def follow_ups_are_added_or_replaced(
        self, lead_id: str, n: int, data: st.DataObject, save: bool
    ) -> None:
        """Add a follow-up (its lead may be missing, its id taken) or replace one."""
        record = data.draw(follow_ups(lead_id=lead_id, follow_up_id=f"F{n}"))
        if save:
            self._each(lambda uow: uow.save_follow_up(record))
        else:
            self._each(lambda uow: uow.add_follow_up(record))

    @rule(n=st.integers(0, 4), user=USERS, lead_id=LEAD_IDS, hours=st.integers(1, 48))
    def grants_are_put(self, n: int, user: str, lead_id: str, hours: int) -> None:
        """Store or replace a grant (a replacement naming another user or lead is refused)."""
        at = EPOCH + timedelta(hours=n)
        grant = Grant(
            f"G{n}",
            user,
            lead_id,
            "协助",
            at,
            hours,
            status=GrantStatus.APPROVED if hours % 3 else GrantStatus.PENDING,
            approved_at=at if hours % 3 else None,
            expires_at=at + timedelta(hours=hours) if hours % 3 else None,
        )
        self._each(lambda uow: uow.put_grant(grant))

    @rule(user=USERS, lead_id=LEAD_IDS, pool=POOLS, at=instants(600), change=CHANGES)
    def ownership_is_recorded(
        self, user: str, lead_id: str, pool: str, at: datetime, change: OwnershipChange
    ) -> None:
        """Record a claim, an assignment or a hand-back."""
        record = OwnershipRecord(user, lead_id, pool, at, change)
        self._each(lambda uow: uow.add_ownership_record(record))

    @rule(user=USERS, starts=st.lists(st.integers(0, 30), max_size=3), note=st.text(max_size=3))
    def away_periods_are_replaced(self, user: str, starts: list[int], note: str) -> None:
        """Replace a user's away periods (possibly with none)."""
        periods = [
            Away(user, EPOCH + timedelta(days=d), EPOCH + timedelta(days=d + 2), note)
            for d in starts
        ]
        self._each(lambda uow: uow.set_away(user, periods))

    @precondition(lambda self: bool(self.reference))
    @rule(data=st.data())
    def a_failed_savepoint_leaves_only_the_writes_outside_it(self, data: st.DataObject) -> None:
        """Writes inside a savepoint that fails are undone; those outside it commit."""
        lead_id = data.draw(st.sampled_from(sorted(self.reference)))

        def work(uow: UnitOfWork) -> object:
            uow.set_state("load", 7)
            try:
                with uow.savepoint():
                    uow.delete_lead(lead_id, expected_version=self.reference[lead_id].version)
                    uow.append_events([Event(EventKind.LEAD_DELETED, EPOCH, "u1", lead_id=lead_id)])
                    raise _Undone
            except _Undone:
                pass
            return uow.get_lead(lead_id)

        self._each(work)
        self.state["load"] = 7

    @rule(query=lead_queries(), reach=lead_filters())
    def counts_agree(self, query: LeadQuery, reach: LeadFilter) -> None:
        """Counts, counts per status and open counts are the same in every store."""
        with_reach = attrs.evolve(query, any_of=(reach,))
        answers = []
        for store in self.stores:
            with store.unit_of_work() as uow:
                answers.append(
                    (
                        uow.count_leads(query),
                        uow.count_leads(with_reach),
                        uow.count_by_status(with_reach, pool_id="pool-a"),
                        uow.count_by_status(owner_id="u1"),
                        uow.open_counts(["u1", "u2", "u9"]),
                        [lead.id for lead in uow.iter_leads(with_reach)],
                    )
                )
        assert all(answer == answers[0] for answer in answers), answers

    @precondition(lambda self: bool(self.reference))
    @rule(
        data=st.data(),
        phone=PHONES,
        email=EMAILS,
        wechat=WECHATS,
        probability=st.none() | st.floats(0.01, 0.99),
        at=instants(600),
        steps=st.lists(st.sampled_from(("pool.reminder", "pool.warning", "ladder.1")), max_size=3),
    )
    def every_lead_field_is_saved(
        self,
        *,
        data: st.DataObject,
        phone: str | None,
        email: str | None,
        wechat: str | None,
        probability: float | None,
        at: datetime,
        steps: list[str],
    ) -> None:
        """Save a lead with contact details (new duplicate keys) and the time-keeping fields."""
        lead_id = data.draw(st.sampled_from(sorted(self.reference)))
        current = self.reference[lead_id]
        new = attrs.evolve(
            current,
            phone=phone,
            email=email,
            wechat=wechat,
            probability=probability,
            first_followed_at=at,
            stage_changed_at=at + timedelta(hours=1),
            protected_until=at + timedelta(days=3),
            sla_period=at,
            sla_steps=tuple(dict.fromkeys(steps)),
        )
        saved = self._each(lambda uow: uow.save_lead(new, expected_version=current.version))
        assert isinstance(saved, type(current))
        self.reference[lead_id] = saved

    @rule(
        pool_id=POOLS,
        policy=st.none() | st.sampled_from(("fast", "慢")),
        conditions=st.lists(st.sampled_from(("closed", "返池")), max_size=2, unique=True),
        hours=st.none() | st.integers(1, 72).map(float),
        gate=st.sampled_from(tuple(ConversionGate)),
    )
    def pools_with_every_setting_are_saved(
        self,
        pool_id: str,
        policy: str | None,
        conditions: list[str],
        hours: float | None,
        gate: ConversionGate,
    ) -> None:
        """Add or save a pool with the SLA, quota, condition and conversion settings set."""
        pool = Pool(
            id=pool_id,
            name="时效线索池",
            sla_policy=policy,
            quota_policy=policy,
            conditions=tuple(conditions),
            due_date_field="mql_at" if policy else None,
            conversion_gate=gate,
            reopen_hours=hours,
            claim_lock_hours=hours,
            max_opens_per_day=None if hours is None else int(hours),
        )

        def work(uow: UnitOfWork) -> object:
            try:
                current = uow.get_pool(pool_id)
            except LeadcoreError:
                return uow.add_pool(pool)
            return uow.save_pool(pool, expected_version=current.version)

        self._each(work)

    @rule(lead_id=LEAD_IDS, hours=st.none() | st.integers(0, 48))
    def sweep_times_are_set(self, lead_id: str, hours: int | None) -> None:
        """Set or clear a lead's sweep time (its lead may be missing)."""
        at = None if hours is None else EPOCH + timedelta(hours=hours)
        self._each(lambda uow: uow.set_sweep_at(lead_id, at))

    @rule(n=st.integers(0, 4), lead_id=LEAD_IDS)
    def follow_ups_are_moved(self, n: int, lead_id: str) -> None:
        """Move a follow-up to another lead (either may be missing)."""
        self._each(lambda uow: uow.move_follow_up(f"F{n}", lead_id))

    @rule(
        user=st.none() | st.sampled_from(("u1", "u2", "u3", "u4", "u5")),
        since=st.none() | instants(),
        limit=st.none() | st.integers(0, 4),
        until=st.integers(0, 50),
    )
    def index_reads_agree(
        self, user: str | None, since: datetime | None, limit: int | None, until: int
    ) -> None:
        """Duplicate keys, sweep times and follow-ups by author and time agree."""
        lead_ids = [f"L{i}" for i in range(8)]
        answers = []
        for store in self.stores:
            with store.unit_of_work() as uow:
                answers.append(
                    (
                        uow.leads_by_key(KEYS),
                        uow.keys_of(lead_ids),
                        [uow.sweep_at(i) for i in lead_ids],
                        uow.due_for_sweep(EPOCH + timedelta(hours=until), limit=limit),
                        uow.find_follow_ups(author_id=user, since=since, limit=limit),
                    )
                )
        assert all(answer == answers[0] for answer in answers), answers

    @rule(user=USERS, at=instants(3000), lead_id=st.none() | LEAD_IDS, pool=st.none() | POOLS)
    def record_reads_agree(
        self, user: str, at: datetime, lead_id: str | None, pool: str | None
    ) -> None:
        """Grants active at a moment, ownership counts since it and last ownerships agree."""
        answers = []
        for store in self.stores:
            with store.unit_of_work() as uow:
                answers.append(
                    (
                        uow.grants_of(user, lead_id=lead_id, active_at=at),
                        uow.count_ownership(
                            user,
                            changes=(OwnershipChange.CLAIMED,),
                            since=at,
                            pool_id=pool,
                        ),
                        uow.last_ownership(user, lead_id or "L0", OwnershipChange.RELEASED),
                        uow.events_since(2, lead_id=lead_id, limit=3),
                    )
                )
        assert all(answer == answers[0] for answer in answers), answers

    @invariant()
    def everything_readable_agrees(self) -> None:
        """Leads, pools, follow-ups, events, grants, records, away periods and state agree."""
        contents = [store_contents(store) for store in self.stores]
        assert all(c == contents[0] for c in contents), contents


StoresAgree.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoresAgree = StoresAgree.TestCase
