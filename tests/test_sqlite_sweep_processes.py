"""Two processes sweeping one SQLite file at the same moments: each overdue lead is recycled
exactly once and each reminder, warning and recycle is emitted once, exactly as one sweep
alone emits them."""

from __future__ import annotations

import multiprocessing
import shutil
from collections import Counter
from datetime import datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from leadcore import EventKind, FixedClock, LeadDesk, LeadQuery, LeadStatus, SQLiteStore
from leadcore.ids import uuid4_ids
from leadcore.testing.desk_sla import SLA_POOL
from leadcore.testing.world import ORG, T0, make_world, new_lead

LEADS = 300
SWEEPS = (30.0, 60.0, 100.0)  # hours after T0: reminders, then warnings, then recycles
CONTEXT = (
    multiprocessing.get_context("fork")
    if "fork" in multiprocessing.get_all_start_methods()
    else multiprocessing.get_context("spawn")
)

Emitted = Counter[tuple[str, str | None, str]]


def at(hours: float) -> datetime:
    """``hours`` after the world's start."""
    return T0 + timedelta(hours=hours)


def seeded(path: Path) -> list[str]:
    """``SLA_POOL`` with ``LEADS`` leads handed to bob and dave a few minutes apart."""
    with SQLiteStore(path, synchronous="normal") as store:
        world = make_world(store, SLA_POOL)
        lead_ids = []
        for n in range(LEADS):
            lead_id = new_lead(world, "carol", pool="sla", phone=f"139{n:08d}")
            world.desk.assign("carol", lead_id, ("bob", "dave")[n % 2])
            world.clock.advance(minutes=3)
            lead_ids.append(lead_id)
        return lead_ids


def sweeper(path: str, start: Barrier, out: Queue[Any]) -> None:
    """Sweep at each of ``SWEEPS``, in step with the other sweeper; report the summaries."""
    looked = []
    with SQLiteStore(path, synchronous="normal") as store:
        desk = LeadDesk(store, FixedClock(T0), ORG, ids=uuid4_ids())
        for hours in SWEEPS:
            start.wait()
            looked.append(desk.sweep(at(hours), batch=16).looked_at)
    out.put(looked)


def emitted(path: Path) -> tuple[Emitted, list[int]]:
    """The sweep's events as a multiset of (kind, lead, step key), and every event position."""
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        events = uow.events_since(0)
    swept = Counter(
        (e.kind.value, e.lead_id, str(e.data.get("key", e.data.get("step"))))
        for e in events
        if e.actor_id == "system:sweep"
    )
    return swept, [e.position for e in events]


def test_two_processes_sweeping_at_once_recycle_each_overdue_lead_once(tmp_path: Path) -> None:
    path, alone = tmp_path / "sweep.db", tmp_path / "alone.db"
    lead_ids = seeded(path)
    shutil.copyfile(path, alone)
    with SQLiteStore(alone, synchronous="normal") as store:
        desk = LeadDesk(store, FixedClock(T0), ORG, ids=uuid4_ids())
        for hours in SWEEPS:
            desk.sweep(at(hours), batch=16)
    expected, _ = emitted(alone)

    start = CONTEXT.Barrier(2)
    out: Queue[Any] = CONTEXT.Queue()
    workers = [CONTEXT.Process(target=sweeper, args=(str(path), start, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(len(looked) == len(SWEEPS) for looked in reports)

    swept, positions = emitted(path)
    assert positions == list(range(1, len(positions) + 1)), "positions gap-free"
    assert set(swept.values()) == {1}, "no step emitted twice"
    assert swept == expected, "two sweepers emit exactly what one does"
    recycled = Counter(lead for kind, lead, _ in swept if kind == EventKind.RECYCLED.value)
    assert recycled == Counter(lead_ids), "each overdue lead recycled exactly once"
    for kind in (EventKind.SLA_REMINDED, EventKind.RECYCLE_WARNED):
        assert Counter(lead for k, lead, _ in swept if k == kind.value) == Counter(lead_ids)
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        leads = uow.find_leads(LeadQuery(pool_id="sla"))
        assert uow.due_for_sweep(at(100)) == []
    assert {(lead.status, lead.owner_id) for lead in leads} == {(LeadStatus.UNASSIGNED, None)}
