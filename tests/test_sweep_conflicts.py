"""A sweep that loses a race: another process saved the lead between this sweep's read and its
save (as a shared database store reports it, with ``ConcurrencyConflict``). The sweep reads the
lead again and carries on — each step still emitted once — or, losing every time, skips the
lead and leaves it as it was."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any, cast

from leadcore import ConcurrencyConflict, Lead, LeadStore, MemoryStore, StepKind, UnitOfWork
from leadcore.dedup import Normaliser
from leadcore.testing.desk_sla import SLA_POOL, sla_events
from leadcore.testing.world import T0, make_world, new_lead


class Racing:
    """A store whose lead saves fail with ``ConcurrencyConflict`` the first ``losses`` times
    for each lead, before anything is written — a rival sweeper got there first."""

    def __init__(self, losses: int) -> None:
        self.inner = MemoryStore()
        self.losses = losses
        self.lost: dict[str, int] = {}
        self.racing = False

    def snapshot(self) -> object:
        return self.inner.snapshot()

    @property
    def normaliser(self) -> Normaliser:
        return self.inner.normaliser

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with self.inner.unit_of_work() as uow:
            yield cast(UnitOfWork, _Losing(uow, self))


class _Losing:
    def __init__(self, uow: UnitOfWork, store: Racing) -> None:
        self._uow = uow
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def save_lead(self, lead: Lead, *, expected_version: int) -> Lead:
        store = self._store
        if store.racing and store.lost.get(lead.id, 0) < store.losses:
            store.lost[lead.id] = store.lost.get(lead.id, 0) + 1
            raise ConcurrencyConflict("lead", lead.id, expected_version, expected_version + 1)
        return self._uow.save_lead(lead, expected_version=expected_version)

    def savepoint(self) -> AbstractContextManager[None]:
        return self._uow.savepoint()


def _world(losses: int) -> tuple[Racing, Any, list[str]]:
    store = Racing(losses)
    world = make_world(cast(LeadStore, store), SLA_POOL)
    leads = []
    for _ in range(3):
        lead_id = new_lead(world, "carol", pool="sla")
        world.desk.assign("carol", lead_id, "bob")
        leads.append(lead_id)
    world.desk.sweep(T0)  # the pool's first sweep keys its leads; nothing is due yet
    store.racing = True
    return store, world, leads


def test_a_lost_race_is_retried_and_every_step_still_comes_once() -> None:
    store, world, leads = _world(losses=2)
    summary = world.desk.sweep(T0 + timedelta(hours=24))
    assert summary.lead_ids[StepKind.REMINDER] == tuple(leads) and summary.skipped == ()
    assert store.lost == dict.fromkeys(leads, 2)
    assert world.desk.sweep(T0 + timedelta(hours=24)).emitted == 0
    assert len(sla_events(world)) == 3


def test_a_lead_lost_every_time_is_skipped_and_left_as_it_was() -> None:
    store, world, leads = _world(losses=99)
    before = store.snapshot()
    summary = world.desk.sweep(T0 + timedelta(hours=24))
    assert summary.skipped == tuple(leads) and summary.emitted == 0
    assert store.snapshot() == before
    store.racing = False
    assert world.desk.sweep(T0 + timedelta(hours=24)).lead_ids[StepKind.REMINDER] == tuple(leads)
