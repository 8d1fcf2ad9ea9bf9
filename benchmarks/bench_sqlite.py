"""SQLiteStore: adding leads against raw ``sqlite3``, a "my leads" page large vs small, and
claims per second with four processes contending for one file."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from multiprocessing.synchronize import Barrier
from pathlib import Path

import attrs
from bench_store import PER_OWNER, realistic_lead
from timing import SMALL, best_of, interleaved, large_size, per_call, scaling_figure

from leadcore import (
    AlreadyClaimed,
    ConcurrencyConflict,
    FixedClock,
    Lead,
    LeadDesk,
    LeadOrder,
    LeadQuery,
    OrgChart,
    PermissionDenied,
    Pool,
    SQLiteStore,
    User,
    uuid4_ids,
)
from leadcore.dedup import Normaliser
from leadcore.storage.sqlite_codec import Codec
from leadcore.storage.sqlite_schema import MIGRATIONS, migrate

BATCH = 1_000
_INSERT = (
    "INSERT INTO leads (pool_id, status, owner_id, source, grade, created_at, due_at, version, "
    "body, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_KEY = "INSERT INTO lead_keys (lead_id, seq, key) VALUES (?, ?, ?)"


def add_through_store(path: Path, leads: Sequence[Lead]) -> float:
    """Seconds to add ``leads`` through a new SQLiteStore, ``BATCH`` per unit of work."""
    with SQLiteStore(path) as store:
        gc.collect()
        start = time.perf_counter()
        for first in range(0, len(leads), BATCH):
            with store.unit_of_work() as uow:
                for lead in leads[first : first + BATCH]:
                    uow.add_lead(lead)
                uow.commit()
        return time.perf_counter() - start


def add_raw(
    path: Path, rows: Sequence[tuple[object, ...]], key_rows: Sequence[Sequence[tuple[object, ...]]]
) -> float:
    """Seconds to insert the same rows, already serialised, with ``executemany`` into an
    equivalent database (same tables, indexes and settings), ``BATCH`` per transaction: each
    lead's row and, when ``key_rows`` holds them, its duplicate-key rows."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("BEGIN IMMEDIATE")
        migrate(conn, MIGRATIONS)
        conn.execute("COMMIT")
        gc.collect()
        start = time.perf_counter()
        for first in range(0, len(rows), BATCH):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_INSERT, rows[first : first + BATCH])
            if key_rows:
                conn.executemany(_INSERT_KEY, key_rows[first // BATCH])
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def sqlite_add_ratio(quick: bool) -> dict[str, object]:
    """Adding 100k leads in batches through SQLiteStore ÷ raw ``executemany`` of the same
    serialised rows (each lead's row and its duplicate-key rows) into an equivalent database
    (target ≤ 3.0). The store also serialises each lead and reads its keys with the
    normaliser; the raw side is handed both done. Beside it, the ratio to inserting the lead
    rows alone (the key index's own cost included on the store's side only)."""
    count = 100_000
    # At version 1, as the desk hands new leads to a store.
    leads = [attrs.evolve(realistic_lead(n), version=1) for n in range(count)]
    codec = Codec("bench")
    rows = [codec.lead_row(lead, 1) for lead in leads]
    read = Normaliser.default().key_texts
    keys = [
        [
            (lead.id, seq, text)
            for lead in leads[first : first + BATCH]
            for seq, text in enumerate(read(lead))
        ]
        for first in range(0, count, BATCH)
    ]
    store_times, raw_times, lead_row_times = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for attempt in range(2 if quick else 3):  # interleaved: all see the same machine
            store_times.append(add_through_store(Path(folder) / f"store-{attempt}.db", leads))
            raw_times.append(add_raw(Path(folder) / f"raw-{attempt}.db", rows, keys))
            lead_row_times.append(add_raw(Path(folder) / f"rows-{attempt}.db", rows, []))
    store, raw, lead_rows = min(store_times), min(raw_times), min(lead_row_times)
    return {
        "value": round(store / raw, 3),
        "unit": "ratio",
        "target": "<= 3.0",
        "leads": count,
        "batch": BATCH,
        "key_rows": sum(len(batch) for batch in keys),
        "us_per_lead_store": round(store / count * 1e6, 2),
        "us_per_lead_raw": round(raw / count * 1e6, 2),
        "us_per_lead_raw_lead_rows_only": round(lead_rows / count * 1e6, 2),
        "ratio_to_lead_rows_only": round(store / lead_rows, 3),
    }


def filled_file(path: Path, size: int) -> SQLiteStore:
    """A SQLiteStore on ``path`` holding ``size`` realistic leads (50 per owner)."""
    store = SQLiteStore(path, synchronous="normal")
    for first in range(0, size, 10_000):
        with store.unit_of_work() as uow:
            for n in range(first, min(size, first + 10_000)):
                uow.add_lead(realistic_lead(n))
            uow.commit()
    return store


def my_leads_pages(store: SQLiteStore, owners: Sequence[str]) -> Callable[[], object]:
    """A function reading the first "my leads" page (newest first, 50 and one more to know if
    there is a next page, as the desk asks) of each owner, one unit of work each."""

    def run() -> object:
        for owner in owners:
            with store.unit_of_work() as uow:
                query = LeadQuery(owner_id=owner, order=LeadOrder.CREATED_DESC, limit=51)
                page = uow.find_leads(query)
                assert len(page) >= PER_OWNER - PER_OWNER // 10, len(page)
        return None

    return run


def sqlite_query_scaling(quick: bool) -> dict[str, object]:
    """A "my leads" page at 100k stored (1M in full) ÷ at 10k (target ≤ 2.0)."""
    small, large = SMALL, large_size(quick)
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as open_stores:
        # Warm the process up first (whichever size is timed first is otherwise slower).
        with filled_file(Path(folder) / "warm-up.db", 2_000) as store:
            best_of(my_leads_pages(store, [f"owner-{k}" for k in range(40)]), repeat=5)
        measures: dict[int, Callable[[], float]] = {}
        for size in (small, large):
            store = open_stores.enter_context(filled_file(Path(folder) / f"{size}.db", size))
            step = max(1, size // PER_OWNER // 200)
            owners = [f"owner-{k}" for k in range(0, size // PER_OWNER, step)][:200]
            pages = my_leads_pages(store, owners)
            measures[size] = per_call(pages, len(owners))
        timings = interleaved(measures)
    return scaling_figure(timings, small=small, large=large, target="<= 2.0", op="page")


CLAIMERS = tuple(f"rep-{k}" for k in range(4))
ORG = OrgChart(users=[User("root", roles={"system_admin"}), *(User(c) for c in CLAIMERS)])


def claim_desk(store: SQLiteStore) -> LeadDesk:
    """A desk over ``store`` in the benchmark's organisation."""
    return LeadDesk(store, FixedClock(realistic_lead(0).created_at), ORG, ids=uuid4_ids())


def pool_lead(n: int) -> Lead:
    """The n-th unassigned realistic lead, waiting in the claim pool ``hall``."""
    return attrs.evolve(realistic_lead(n * 10), pool_id="hall")


def claimer(
    path: str, rep: str, lead_ids: list[str], start: Barrier, *, seed: int, synchronous: str
) -> None:
    """Claim every lead in a shuffled order as ``rep``; the ones others won are refused."""
    random.Random(seed).shuffle(lead_ids)
    with SQLiteStore(path, synchronous=synchronous) as store:  # type: ignore[arg-type]
        desk = claim_desk(store)
        start.wait()
        for lead_id in lead_ids:
            with contextlib.suppress(AlreadyClaimed, ConcurrencyConflict, PermissionDenied):
                desk.claim(rep, lead_id)


def claim_race(folder: Path, count: int, synchronous: str) -> tuple[int, float]:
    """How many leads 4 claiming processes won, and in how many seconds."""
    context = multiprocessing.get_context("spawn")
    path = str(folder / f"claims-{synchronous}.db")
    with SQLiteStore(path) as store:
        desk = claim_desk(store)
        desk.create_pool(
            "root", Pool(id="hall", name="抢单大厅", admins={"root"}, claim_enabled=True)
        )
        waiting = [pool_lead(n) for n in range(count)]
        with store.unit_of_work() as uow:
            for lead in waiting:
                uow.add_lead(lead)
            uow.commit()
    lead_ids = [lead.id for lead in waiting]
    start = context.Barrier(len(CLAIMERS) + 1)
    workers = [
        context.Process(
            target=claimer,
            args=(path, rep, list(lead_ids), start),
            kwargs={"seed": k, "synchronous": synchronous},
        )
        for k, rep in enumerate(CLAIMERS)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    with SQLiteStore(path) as store, store.unit_of_work() as uow:
        won = uow.count_leads(LeadQuery(pool_id="hall", owner_ids=frozenset(CLAIMERS)))
    return won, elapsed


def sqlite_claim_throughput(quick: bool) -> dict[str, object]:
    """Successful claims per second with 4 processes contending for one pool on one file,
    each trying every lead (so 3 in 4 attempts are refused); with ``synchronous="full"`` (the
    default: a commit waits for the disk) and, beside it, ``"normal"``."""
    count = 400 if quick else 5_000
    with tempfile.TemporaryDirectory() as folder:
        full, full_seconds = claim_race(Path(folder), count, "full")
        normal, normal_seconds = claim_race(Path(folder), count, "normal")
    return {
        "value": round(full / full_seconds),
        "unit": "claims/s",
        "processes": len(CLAIMERS),
        "leads": count,
        "claimed": full,
        "seconds": round(full_seconds, 3),
        "claims_per_s_synchronous_normal": round(normal / normal_seconds),
    }


BENCHMARKS = {
    "sqlite_add_ratio": sqlite_add_ratio,
    "sqlite_query_scaling": sqlite_query_scaling,
    "sqlite_claim_throughput": sqlite_claim_throughput,
}
