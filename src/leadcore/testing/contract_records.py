"""The store contract, second half: reaches and counts, typed records (grants, ownership
records, away periods), savepoints, and what a failure inside a write must leave behind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Final

import attrs
import pytest

from leadcore.dedup import DedupKey, KeyKind
from leadcore.errors import NotFound, ValidationError
from leadcore.events import Event, EventKind
from leadcore.model import Lead, LeadStatus
from leadcore.query import LeadFilter, LeadQuery
from leadcore.records import Away, Grant, GrantStatus, OwnershipChange, OwnershipRecord
from leadcore.storage.protocol import LeadStore, UnitOfWork
from leadcore.testing.factories import (
    EPOCH,
    make_follow_up,
    make_lead,
    make_pool,
    make_team_lead,
    stored,
)

__all__ = [
    "FAULT_POINTS",
    "FaultPoints",
    "InjectedFault",
    "RecordStoreContract",
    "store_contents",
]

FaultPoints = Mapping[str, Callable[[LeadStore], AbstractContextManager[None]]]
"""Per store write named in :data:`FAULT_POINTS`, a context manager making that write fail
*inside* the store, after it has begun changing things, by raising :class:`InjectedFault`."""

FAULT_POINTS: Final = frozenset(
    {
        "add_lead",
        "save_lead",
        "delete_lead",
        "append_events",
        "put_grant",
        "add_ownership_record",
        "add_follow_up",
        "move_follow_up",
        "save_follow_up",
        "set_sweep_at",
        "add_lead_keys",  # adding a lead whose duplicate keys are being indexed
        "save_lead_keys",  # saving one
    }
)
"""The writes a store's ``fault_points`` may name."""


class InjectedFault(Exception):
    """What a fault point raises inside a store write. The contract expects exactly this, so
    that a store's own bug failing the same write is never taken for the injected fault."""


_Boom = InjectedFault


def _grant(
    grant_id: str, user: str, lead: str, *, hours: float = 2, approved: bool = True
) -> Grant:
    start = EPOCH
    return Grant(
        id=grant_id,
        grantee_id=user,
        lead_id=lead,
        reason="协助",
        requested_at=start,
        hours=hours,
        status=GrantStatus.APPROVED if approved else GrantStatus.PENDING,
        approved_by="u9" if approved else None,
        approved_at=start if approved else None,
        expires_at=start + timedelta(hours=hours) if approved else None,
    )


def store_contents(store: LeadStore) -> tuple[object, ...]:
    """Everything readable through the protocol about the ids the contract uses, as one value
    to compare (leads, pools, follow-ups, events, grants, records, away periods, state)."""
    users = ("u1", "u2", "u3")
    with store.unit_of_work() as uow:
        leads = uow.find_leads(LeadQuery())
        return (
            leads,
            uow.list_pools(),
            [uow.follow_ups(lead.id) for lead in leads],
            uow.events_since(0),
            [uow.grants_of(u) for u in users],
            [
                uow.count_ownership(
                    u, changes=tuple(OwnershipChange), since=EPOCH - timedelta(days=1)
                )
                for u in users
            ],
            uow.away_periods(users),
            uow.get_state("cursor"),
            dict(uow.count_by_status()),
            uow.keys_of(["L1", "L2", "L9"]),
            uow.leads_by_key([DedupKey(KeyKind.PHONE, p) for p in _CONTRACT_PHONES]),
        )


_CONTRACT_PHONES = ("+8613800138000", "+8613700137000", "+8613900139000")


class RecordStoreContract:
    """Tests of the protocol's reaches, records and failure handling. ``LeadStoreContract``
    includes them; override ``fault_points`` to inject failures inside your store's writes."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass the contract and implement make_store()")

    def fault_points(self) -> FaultPoints:
        """How to make each write fail inside this store (none: those checks are skipped)."""
        return {}

    def _seeded(self, *leads: Lead) -> LeadStore:
        return stored(self.make_store(), *leads)

    # --- leads in bulk and by reach -------------------------------------------------------------
    def test_get_leads_iter_leads_and_open_counts(self) -> None:
        held = make_lead("L1", status=LeadStatus.ASSIGNED, owner_id="u1")
        store = self._seeded(
            held, make_lead("L2"), make_lead("L3", status=LeadStatus.FOLLOWING, owner_id="u1")
        )
        with store.unit_of_work() as uow:
            assert set(uow.get_leads(["L1", "L2", "nope"])) == {"L1", "L2"}
            assert [lead.id for lead in uow.iter_leads(LeadQuery(limit=2))] == ["L1", "L2"]
            assert uow.open_counts(["u1", "u9"]) == {"u1": 2, "u9": 0}

    def test_open_counts_follow_every_change_and_rollback(self) -> None:
        held = make_lead("L1", status=LeadStatus.ASSIGNED, owner_id="u1")
        store = self._seeded(held, make_lead("L2", status=LeadStatus.FOLLOWING, owner_id="u1"))
        with store.unit_of_work() as uow:
            moved = attrs.evolve(held, owner_id="u2")
            uow.save_lead(moved, expected_version=1)
            assert uow.open_counts(["u1", "u2"]) == {"u1": 1, "u2": 1}
            uow.rollback()
        with store.unit_of_work() as uow:
            assert uow.open_counts(["u1", "u2"]) == {"u1": 2, "u2": 0}
            closed = attrs.evolve(held, status=LeadStatus.CLOSED_LOST, lost_reason="no budget")
            uow.save_lead(closed, expected_version=1)
            uow.delete_lead("L2", expected_version=1)
            uow.add_lead(make_lead("L3", status=LeadStatus.ASSIGNED, owner_id="u2"))
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.open_counts(["u1", "u2"]) == {"u1": 0, "u2": 1}

    def test_a_query_with_reaches_returns_what_any_reach_accepts(self) -> None:
        store = self._seeded(
            make_lead("L1", pool_id="pool-a"),
            make_lead("L2", pool_id="pool-b", status=LeadStatus.ASSIGNED, owner_id="u1"),
            make_lead("L3", pool_id="pool-b"),
            make_lead(
                "L4",
                pool_id="pool-c",
                status=LeadStatus.ASSIGNED,
                owner_id="u2",
                collaborators={"u1"},
            ),
        )
        reaches = (
            LeadFilter(owner_id="u1"),
            LeadFilter(collaborator_id="u1"),
            LeadFilter(pool_ids=frozenset({"pool-a"})),
        )
        with store.unit_of_work() as uow:
            found = uow.find_leads(LeadQuery(any_of=reaches))
            assert [lead.id for lead in found] == ["L1", "L2", "L4"]
            in_b = uow.find_leads(LeadQuery(pool_id="pool-b", any_of=reaches))
            assert [lead.id for lead in in_b] == ["L2"]
            assert uow.find_leads(LeadQuery(any_of=())) == []
            counts = uow.count_by_status(LeadQuery(any_of=reaches))
            assert counts == {LeadStatus.UNASSIGNED: 1, LeadStatus.ASSIGNED: 2}

    # --- grants ----------------------------------------------------------------------------------
    def test_grants_by_user_lead_and_expiry(self) -> None:
        store = self.make_store()
        active = _grant("G1", "u1", "L1", hours=3)
        expired = _grant("G2", "u1", "L2", hours=1)
        pending = _grant("G3", "u1", "L1", approved=False)
        with store.unit_of_work() as uow:
            for grant in (active, expired, pending, _grant("G4", "u2", "L1")):
                uow.put_grant(grant)
            uow.commit()
        later = EPOCH + timedelta(hours=2)
        with store.unit_of_work() as uow:
            assert uow.get_grant("G1") == active
            with pytest.raises(NotFound):
                uow.get_grant("G404")
            assert [g.id for g in uow.grants_of("u1")] == ["G1", "G2", "G3"]
            assert [g.id for g in uow.grants_of("u1", lead_id="L1")] == ["G1", "G3"]
            assert [g.id for g in uow.grants_of("u1", active_at=later)] == ["G1"]
            assert uow.grants_of("u1", lead_id="L2", active_at=later) == []
            revoked = attrs.evolve(active, status=GrantStatus.REVOKED, expires_at=later)
            uow.put_grant(revoked)
            assert uow.grants_of("u1", active_at=later) == []
            assert uow.get_grant("G1") == revoked
            with pytest.raises(ValidationError):
                uow.put_grant(attrs.evolve(active, grantee_id="u2"))

    # --- ownership records -------------------------------------------------------------------------
    def test_ownership_records_count_by_time_and_pool(self) -> None:
        store = self.make_store()

        def record(
            hours: int, change: OwnershipChange, pool: str = "pool-a", lead: str = "L1"
        ) -> OwnershipRecord:
            return OwnershipRecord("u1", lead, pool, EPOCH + timedelta(hours=hours), change)

        with store.unit_of_work() as uow:
            for r in (
                record(1, OwnershipChange.CLAIMED),
                record(5, OwnershipChange.CLAIMED, "pool-b", "L2"),
                record(3, OwnershipChange.RELEASED),
                record(2, OwnershipChange.ASSIGNED, lead="L3"),
                record(6, OwnershipChange.RELEASED),
            ):
                uow.add_ownership_record(r)
            uow.commit()
        with store.unit_of_work() as uow:
            claimed = (OwnershipChange.CLAIMED,)
            assert uow.count_ownership("u1", changes=claimed, since=EPOCH) == 2
            assert uow.count_ownership("u1", changes=claimed, since=EPOCH + timedelta(hours=2)) == 1
            assert uow.count_ownership("u1", changes=claimed, since=EPOCH, pool_id="pool-a") == 1
            both = (OwnershipChange.CLAIMED, OwnershipChange.ASSIGNED)
            assert uow.count_ownership("u1", changes=both, since=EPOCH) == 3
            assert uow.count_ownership("u2", changes=both, since=EPOCH) == 0
            last = uow.last_ownership("u1", "L1", OwnershipChange.RELEASED)
            assert last == EPOCH + timedelta(hours=6)
            assert uow.last_ownership("u1", "L2", OwnershipChange.RELEASED) is None

    # --- away periods ------------------------------------------------------------------------------
    def test_away_periods_replace_and_clear(self) -> None:
        store = self.make_store()
        first = Away("u1", EPOCH + timedelta(days=2), EPOCH + timedelta(days=3), "年假")
        second = Away("u1", EPOCH, EPOCH + timedelta(days=1))
        with store.unit_of_work() as uow:
            uow.set_away("u1", [first, second])
            with pytest.raises(ValidationError, match=r"periods\[0\]\.user_id"):
                uow.set_away("u2", [first])
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.away_periods(["u1", "u2"]) == {"u1": [second, first]}
            uow.set_away("u1", [])
            assert uow.away_periods(["u1"]) == {}

    # --- savepoints --------------------------------------------------------------------------------
    def test_a_savepoint_undoes_only_its_own_writes(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            uow.add_lead(make_lead("L2"))
            with pytest.raises(_Boom), uow.savepoint():
                uow.add_lead(make_lead("L3"))
                uow.append_events([Event(EventKind.LEAD_CREATED, EPOCH, "u1", lead_id="L3")])
                uow.set_state("cursor", "u1")
                raise _Boom
            with uow.savepoint():
                uow.add_follow_up(make_follow_up("F1", "L2"))
            uow.commit()
        with store.unit_of_work() as uow:
            assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L1", "L2"]
            assert uow.events_since(0) == [] and uow.get_state("cursor") is None
            assert uow.get_follow_up("F1").lead_id == "L2"

    # --- failures inside a write -------------------------------------------------------------------
    def test_fault_points_name_only_known_writes(self) -> None:
        unknown = sorted(set(self.fault_points()) - FAULT_POINTS)
        assert not unknown, (
            f"fault_points() names {unknown}, which the contract never writes; "
            f"use these names: {sorted(FAULT_POINTS)}"
        )

    def test_a_failure_inside_any_write_leaves_the_store_unchanged(self) -> None:
        points = self.fault_points()
        if not points:
            pytest.skip("this store names no fault points")
        writes: dict[str, Callable[[UnitOfWork], object]] = {
            "add_lead": lambda uow: uow.add_lead(make_team_lead("L9")),
            "save_lead": lambda uow: uow.save_lead(
                make_lead(
                    "L1",
                    pool_id="pool-b",
                    status=LeadStatus.ASSIGNED,
                    owner_id="u2",
                    followers={"u1"},
                ),
                expected_version=1,
            ),
            "delete_lead": lambda uow: uow.delete_lead("L1", expected_version=1),
            "append_events": lambda uow: uow.append_events(
                [Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id=i) for i in ("L1", "L2", "L1")]
            ),
            "put_grant": lambda uow: uow.put_grant(_grant("G1", "u1", "L1", hours=5)),
            "add_ownership_record": lambda uow: uow.add_ownership_record(
                OwnershipRecord("u1", "L1", "pool-a", EPOCH, OwnershipChange.CLAIMED)
            ),
            "add_follow_up": lambda uow: uow.add_follow_up(make_follow_up("F2", "L1")),
            "move_follow_up": lambda uow: uow.move_follow_up("F1", "L2"),
            "add_lead_keys": lambda uow: uow.add_lead(
                make_lead("L9", phone="+8613900139000", email="li@163.com", wechat="li_88")
            ),
            "save_lead_keys": lambda uow: uow.save_lead(
                make_lead("L2", phone="+8613900139000", email="li@163.com", wechat="li_88"),
                expected_version=1,
            ),
        }
        for write, inject in points.items():
            if write not in writes:
                continue  # checked by the contract part that owns the write
            store = self._seed_everything()
            before = store_contents(store)
            with pytest.raises(_Boom), store.unit_of_work() as uow, inject(store):
                writes[write](uow)
            assert store_contents(store) == before, f"a failure inside {write} left a trace"

    def _seed_everything(self) -> LeadStore:
        store = self._seeded(
            make_team_lead("L1", phone="+8613800138000"),
            make_lead("L2", phone="+8613700137000", email="wang@qq.com"),
        )
        with store.unit_of_work() as uow:
            uow.add_pool(make_pool("pool-a"))
            uow.add_follow_up(make_follow_up("F1", "L1"))
            uow.append_events([Event(EventKind.LEAD_CREATED, EPOCH, "u1", lead_id="L1")])
            uow.put_grant(_grant("G1", "u1", "L1"))
            uow.add_ownership_record(
                OwnershipRecord("u1", "L1", "pool-a", EPOCH, OwnershipChange.ASSIGNED)
            )
            uow.set_state("cursor", "u2")
            uow.commit()
        return store
