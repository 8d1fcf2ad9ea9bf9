"""The store contract, second half: reaches and counts, one winner among concurrent claims,
savepoints, and what a failure inside a write must leave behind (the typed records are
``contract_typed``'s)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from functools import partial
from typing import Any, Final

import attrs
import pytest

from leadcore.dedup import DedupKey, KeyKind
from leadcore.errors import ConcurrencyConflict, InvalidTransition
from leadcore.events import Event, EventKind
from leadcore.lifecycle import transition
from leadcore.model import Action, Lead, LeadStatus
from leadcore.query import LeadFilter, LeadQuery
from leadcore.records import Away, GrantStatus, OwnershipChange, OwnershipRecord
from leadcore.storage.protocol import LeadStore, UnitOfWork
from leadcore.testing.factories import (
    EPOCH,
    make_follow_up,
    make_grant,
    make_lead,
    make_pool,
    make_team_lead,
    stored,
)
from leadcore.testing.threads import at_once

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


def store_contents(store: LeadStore) -> tuple[object, ...]:
    """Everything readable through the protocol about the ids the contract uses, as one value
    to compare (leads, pools, follow-ups, events, grants, records, away periods, state, keys
    and sweep times)."""
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
            uow.find_follow_ups(),
            uow.due_for_sweep(EPOCH + timedelta(days=3650)),
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

    # --- concurrency ---------------------------------------------------------------------------
    def test_concurrent_claims_of_one_lead_have_one_winner(self) -> None:
        store = self._seeded(*(make_lead(f"L{i}") for i in range(20)))
        winners: dict[str, list[str]] = {f"L{i}": [] for i in range(20)}
        losses: list[BaseException] = []

        def claim_all(user: str) -> None:
            for i in range(20):
                try:
                    with store.unit_of_work() as uow:
                        lead = uow.get_lead(f"L{i}")
                        claimed = transition(
                            lead, Action.CLAIM, at=EPOCH + timedelta(seconds=i), owner_id=user
                        )
                        uow.save_lead(claimed, expected_version=lead.version)
                        uow.commit()
                    winners[f"L{i}"].append(user)
                except (InvalidTransition, ConcurrencyConflict) as e:
                    losses.append(e)

        at_once(*(partial(claim_all, f"u{n}") for n in range(6)))
        assert all(len(w) == 1 for w in winners.values()), winners
        assert len(losses) == 20 * 5
        with store.unit_of_work() as uow:
            for lead_id, (winner,) in winners.items():
                assert uow.get_lead(lead_id).owner_id == winner

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

    def test_rollback_undoes_every_kind_of_write(self) -> None:
        """Every write, left without commit or undone by a savepoint, leaves no trace."""
        for undone_by in ("rollback", "savepoint"):
            store = self._seed_everything()
            before = store_contents(store)
            with store.unit_of_work() as uow:
                if undone_by == "rollback":
                    _write_everything(uow)
                    continue
                with pytest.raises(_Boom), uow.savepoint():
                    _write_everything(uow)
                    raise _Boom
                uow.commit()
            assert store_contents(store) == before, f"a {undone_by} left a trace"

    def test_values_handed_over_or_back_are_never_shared(self) -> None:
        """Changing a list or dict a read returned, or a value after ``set_state`` took it,
        never changes what the store holds."""
        store = self._seed_everything()
        given: Any = {"users": ["u1"]}
        with store.unit_of_work() as uow:
            uow.set_away("u1", [Away("u1", EPOCH, EPOCH + timedelta(days=1))])
            uow.set_state("rr", given)
            given["users"].append("u2")
            assert uow.get_state("rr") == {"users": ["u1"]}
            uow.commit()
        given["users"].append("u3")
        before = store_contents(store)
        with store.unit_of_work() as uow:
            assert uow.get_state("rr") == {"users": ["u1"]}
            for name, read in _container_reads(store).items():
                first = read(uow)
                kept = _shallow(first)
                _scribble(first)
                assert _shallow(read(uow)) == kept, f"{name} handed out what the store holds"
        assert store_contents(store) == before

    def test_savepoints_nest(self) -> None:
        store = self._seeded(make_lead("L1"))
        with store.unit_of_work() as uow:
            with pytest.raises(_Boom), uow.savepoint():
                uow.add_lead(make_lead("L2"))
                with pytest.raises(_Boom), uow.savepoint():
                    uow.add_lead(make_lead("L3"))
                    raise _Boom
                uow.add_lead(make_lead("L4"))
                raise _Boom
            with uow.savepoint():
                uow.add_lead(make_lead("L5"))
                with pytest.raises(_Boom), uow.savepoint():
                    uow.add_lead(make_lead("L6"))
                    raise _Boom
            uow.commit()
        with store.unit_of_work() as uow:
            assert [lead.id for lead in uow.find_leads(LeadQuery())] == ["L1", "L5"]

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
            "put_grant": lambda uow: uow.put_grant(make_grant("G1", "u1", "L1", hours=5)),
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
            uow.put_grant(make_grant("G1", "u1", "L1"))
            uow.add_ownership_record(
                OwnershipRecord("u1", "L1", "pool-a", EPOCH, OwnershipChange.ASSIGNED)
            )
            uow.set_state("cursor", "u2")
            uow.commit()
        return store


def _write_everything(uow: UnitOfWork) -> None:
    """One write of each kind on a store seeded by ``_seed_everything``."""
    uow.add_lead(make_team_lead("L9", phone="+8613900139000"))
    uow.save_lead(
        make_lead("L2", phone="+8613800138000", status=LeadStatus.ASSIGNED, owner_id="u2"),
        expected_version=1,
    )
    uow.add_pool(make_pool("pool-b"))
    uow.save_pool(make_pool("pool-a", name="renamed"), expected_version=1)
    uow.save_follow_up(make_follow_up("F1", "L1", at=EPOCH + timedelta(hours=5), author_id="u2"))
    uow.move_follow_up("F1", "L2")
    uow.add_follow_up(make_follow_up("F2", "L2"))
    uow.append_events([Event(EventKind.LEAD_EDITED, EPOCH, "u1", lead_id="L2")])
    uow.put_grant(attrs.evolve(make_grant("G1", "u1", "L1"), status=GrantStatus.REVOKED))
    uow.put_grant(make_grant("G2", "u2", "L2", hours=5))
    uow.add_ownership_record(OwnershipRecord("u1", "L1", "pool-a", EPOCH, OwnershipChange.CLAIMED))
    uow.set_away("u1", [Away("u1", EPOCH, EPOCH + timedelta(days=1))])
    uow.set_state("cursor", None)
    uow.set_sweep_at("L2", EPOCH)
    uow.delete_lead("L1", expected_version=1)


def _container_reads(store: LeadStore) -> dict[str, Callable[[UnitOfWork], Any]]:
    """Each read handing back a list or a dict, on a store seeded by ``_seed_everything``."""
    phone = store.normaliser.key("phone", "+8613800138000")
    later = EPOCH + timedelta(days=9)
    return {
        "find_leads": lambda uow: uow.find_leads(LeadQuery()),
        "get_leads": lambda uow: uow.get_leads(["L1", "L2"]),
        "count_by_status": lambda uow: uow.count_by_status(),
        "open_counts": lambda uow: uow.open_counts(["u1"]),
        "list_pools": lambda uow: uow.list_pools(),
        "follow_ups": lambda uow: uow.follow_ups("L1"),
        "find_follow_ups": lambda uow: uow.find_follow_ups(),
        "events_since": lambda uow: uow.events_since(0),
        "grants_of": lambda uow: uow.grants_of("u1"),
        "away_periods": lambda uow: uow.away_periods(["u1"]),
        "leads_by_key": lambda uow: uow.leads_by_key([phone] if phone else []),
        "keys_of": lambda uow: uow.keys_of(["L1", "L2"]),
        "due_for_sweep": lambda uow: uow.due_for_sweep(later),
        "get_state": lambda uow: uow.get_state("rr"),
    }


def _shallow(value: Any) -> Any:
    """A copy of a read's answer two levels deep (records inside are immutable)."""
    if isinstance(value, dict):
        return {k: _shallow(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shallow(v) for v in value]
    return value


def _scribble(value: Any) -> None:
    """Change a read's answer in place, as a careless caller would."""
    if isinstance(value, dict):
        for inner in value.values():
            _scribble(inner)
        value["scribbled"] = []
    elif isinstance(value, list):
        for inner in value:
            _scribble(inner)
        value.clear()
