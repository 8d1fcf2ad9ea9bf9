"""SQLiteStore across processes: eight processes race to claim and auto-assign one pool's
leads on one file, and a process killed with SIGKILL in the middle of a batch leaves every
lead either fully changed, events included, or untouched."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from leadcore import (
    ConcurrencyConflict,
    EventKind,
    FixedClock,
    InvalidTransition,
    LeadDesk,
    LeadQuery,
    LeadStatus,
    NotFound,
    PermissionDenied,
    Pool,
    SQLiteStore,
    uuid4_ids,
)
from leadcore.records import OwnershipChange
from leadcore.storage import sqlite_uow
from leadcore.testing.world import CLAIMERS, ORG, REPS, T0, team_strategies

LEADS = 1_000
CAP = 200
# Fork where the platform has it (a child starts in milliseconds); spawn elsewhere.
CONTEXT = (
    multiprocessing.get_context("fork")
    if "fork" in multiprocessing.get_all_start_methods()
    else multiprocessing.get_context("spawn")
)


def desk_on(store: SQLiteStore) -> LeadDesk:
    """A desk over ``store`` in the shared world's organisation, with the team strategies."""
    return LeadDesk(store, FixedClock(T0), ORG, ids=uuid4_ids(), strategies=team_strategies())


def seeded(path: Path, pool: Pool, count: int) -> list[str]:
    """Create ``pool`` and ``count`` unassigned leads in it; their ids."""
    with SQLiteStore(path, synchronous="normal") as store:
        desk = desk_on(store)
        desk.create_pool("sysadmin", pool)
        return [
            desk.create("admin", pool.id, contact_name=f"客户{i}", phone="13800138000").id
            for i in range(count)
        ]


# --- the race --------------------------------------------------------------------------------
def racer(path: str, who: str, lead_ids: list[str], start: Barrier, out: Queue[Any]) -> None:
    """Claim (a claimer) or auto-assign by round robin (``admin``) each of ``lead_ids`` in a
    shuffled order; report each attempt as ``(lead, "won" | error type, message)``."""
    random.Random(f"{who}{lead_ids[0]}").shuffle(lead_ids)
    report: list[tuple[str, str, str]] = []
    with SQLiteStore(path, synchronous="normal") as store:
        desk = desk_on(store)
        start.wait()
        for lead_id in lead_ids:
            try:
                if who == "admin":
                    desk.auto_assign("admin", lead_id, "rr")
                else:
                    desk.claim(who, lead_id)
                report.append((lead_id, "won", ""))
            except Exception as e:  # every kind is reported and judged by the parent
                report.append((lead_id, type(e).__name__, str(e)))
                if isinstance(e, PermissionDenied) and f"allows {CAP}" in str(e):
                    break  # this claimer is at its cap: the rest would be refused alike
    out.put((who, report))


def test_eight_processes_claiming_and_auto_assigning_one_pool(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    pool = Pool(
        id="race",
        name="抢单池",
        admins={"admin"},
        members={*CLAIMERS[:4], *REPS},
        claim_enabled=True,
        max_open_per_user=CAP,
    )
    lead_ids = seeded(path, pool, LEADS)
    # Each lead is tried by two claimers and two assigning processes, in shuffled orders.
    racers = [(who, k) for k, who in enumerate(CLAIMERS[:4])] + [("admin", k) for k in range(4)]
    start = CONTEXT.Barrier(len(racers))
    out: Queue[Any] = CONTEXT.Queue()
    workers = [
        CONTEXT.Process(
            target=racer,
            args=(
                str(path),
                who,
                [i for n, i in enumerate(lead_ids) if n % 4 in (k, (k + 1) % 4)],
                start,
                out,
            ),
        )
        for who, k in racers
    ]
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    won: Counter[str] = Counter()
    winner = {
        lead_id: who
        for who, report in reports
        for lead_id, outcome, _ in report
        if outcome == "won"
    }
    for who, report in reports:
        for lead_id, outcome, message in report:
            if outcome == "won":
                won[lead_id] += 1
            elif who == "admin":  # an assignment refused: the lead was taken first
                assert outcome in {InvalidTransition.__name__, "AlreadyClaimed"}, message
            elif outcome == NotFound.__name__:
                # The admin assigned it to someone the claimer may not see: only a lost claim
                # race is told "too late", so nothing is said about this lead.
                assert winner.get(lead_id) == "admin", (outcome, message)
            else:  # a refused claim: someone claimed it first, or the cap was reached
                assert outcome in {"AlreadyClaimed", ConcurrencyConflict.__name__} or (
                    outcome == PermissionDenied.__name__ and f"allows {CAP}" in message
                ), (outcome, message)
    assert set(won) == set(lead_ids) and set(won.values()) == {1}, "one winner per lead"

    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        leads = uow.get_leads(lead_ids)
        events = uow.events_since(0)
    assert all(lead.status is LeadStatus.ASSIGNED and lead.owner_id for lead in leads.values())
    assert [e.position for e in events] == list(range(1, len(events) + 1)), "positions gap-free"
    owning = [e for e in events if e.kind in (EventKind.CLAIMED, EventKind.ASSIGNED)]
    assert Counter(e.lead_id for e in owning) == Counter(lead_ids), "one owning event per lead"
    for event in owning:
        owner = event.change("owner_id")
        assert owner is not None and leads[str(event.lead_id)].owner_id == owner.after
    claims = Counter(lead.owner_id for lead in leads.values() if lead.owner_id in CLAIMERS)
    assert claims and all(n <= CAP for n in claims.values()), claims
    turns = [
        e.change("owner_id").after  # type: ignore[union-attr]
        for e in owning
        if e.kind is EventKind.ASSIGNED and e.data.get("strategy") == "rr"
    ]
    assert len(turns) == LEADS - sum(claims.values())
    assert turns == [REPS[i % len(REPS)] for i in range(len(turns))], "a turn lost or doubled"


# --- the crash -------------------------------------------------------------------------------
KILL_AT = 120


def doomed(path: str, lead_ids: list[str], together: bool, out: Queue[Any]) -> None:
    """Assign every lead to u1 (each in its own unit of work, or all in one) and, in the
    middle of the ``KILL_AT``-th lead's save, tell the parent and wait to be killed."""
    saves = 0
    save_lead = sqlite_uow.SQLiteUnitOfWork.save_lead

    def counting(self: sqlite_uow.SQLiteUnitOfWork, *args: Any, **kwargs: Any) -> Any:
        nonlocal saves
        saved = save_lead(self, *args, **kwargs)
        saves += 1
        if saves == KILL_AT:
            out.put("kill me")
            time.sleep(120)
        return saved

    sqlite_uow.SQLiteUnitOfWork.save_lead = counting  # type: ignore[method-assign]
    with SQLiteStore(path) as store:
        desk = desk_on(store)
        if together:
            desk.distribute("admin", lead_ids, "rr")
        else:
            desk.batch_assign("admin", lead_ids, "u1")
    out.put("finished")  # pragma: no cover - the parent kills us first


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is a POSIX signal")
@pytest.mark.parametrize("together", [False, True], ids=["batch_assign", "distribute"])
def test_a_process_killed_mid_batch_leaves_each_lead_whole(tmp_path: Path, together: bool) -> None:
    path = tmp_path / "crash.db"
    lead_ids = seeded(path, Pool(id="p", name="线索池", admins={"admin"}), 300)
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        created = len(uow.events_since(0))
    out: Queue[Any] = CONTEXT.Queue()
    child = CONTEXT.Process(target=doomed, args=(str(path), lead_ids, together, out))
    child.start()
    assert out.get(timeout=120) == "kill me"
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL

    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        assert uow.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        leads = uow.get_leads(lead_ids)
        events = uow.events_since(0)
        records = uow.count_ownership(
            "u1", changes=tuple(OwnershipChange), since=T0.replace(year=2000)
        )
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    assigned = Counter(e.lead_id for e in events if e.kind is EventKind.ASSIGNED)
    changed = [lead for lead in leads.values() if lead.version > 1]
    for lead in leads.values():
        if lead.version == 1:  # untouched: no owner, no event, no record
            assert lead.status is LeadStatus.UNASSIGNED and lead.id not in assigned
        else:  # fully changed: owner, one assignment event
            assert lead.status is LeadStatus.ASSIGNED and lead.owner_id is not None
            assert assigned[lead.id] == 1
    expected = 0 if together else KILL_AT - 1
    assert len(changed) == expected == len(events) - created == sum(assigned.values())
    assert records == expected
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        assert uow.count_leads(LeadQuery(owner_id="u1")) == expected
