"""A small host application on a SQLite file that survives a restart.

Run it twice (``python examples/sqlite_host.py [FILE]``, FILE ``sqlite_host.sqlite3`` in the
current directory unless given; ``--help`` says so): the first run sets up a web-form pool
that hands new leads out by round robin and takes three leads in; the second run opens the same
file and goes on where the first stopped, the round-robin turn included (the cursor is stored
in the file with the leads). Each run also reads the events it added, from the position where
the previous run's events end, as an outbox consumer would.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from leadcore import (
    FixedClock,
    LeadDesk,
    LeadQuery,
    NotFound,
    OrgChart,
    Pool,
    RoundRobin,
    SQLiteStore,
    User,
    counter_ids,
)

REPS = ("u1", "u2", "u3", "u4")
ORG = OrgChart(users=[User("root", roles={"system_admin"}), User("web"), *(User(r) for r in REPS)])
ARRIVALS = (
    ("王磊", "星河科技", "13800138000"),
    ("李娜", "蓝海贸易", "13900139000"),
    ("Ann Lee", "Acme Ltd", "+44 20 7946 0958"),
)


def open_desk(path: Path) -> tuple[SQLiteStore, LeadDesk, int]:
    """The store on ``path``, a desk over it, and how many leads it already holds."""
    store = SQLiteStore(path)
    with store.unit_of_work() as uow:
        held = uow.count_leads(LeadQuery())
    run = held // len(ARRIVALS) + 1
    desk = LeadDesk(
        store,
        FixedClock(datetime(2026, 3, 2, 9, run, tzinfo=UTC)),
        ORG,
        ids=counter_ids(prefix=f"run{run}-"),  # ids stay unique across runs
        strategies={"rr": RoundRobin(name="rr", users=REPS)},
    )
    return store, desk, held


def main(path: Path) -> list[str]:
    """One run of the host: set up on first use, take leads in, report; the new owners."""
    store, desk, held = open_desk(path)
    with store:
        print(f"{path.name}: schema {store.schema_version}, {held} leads from earlier runs")
        try:
            desk.pool_summary("root", "web")
        except NotFound:
            desk.create_pool("root", Pool(id="web", name="官网表单", auto_assign="rr"))
            print("first run: created pool 'web', round robin over", ", ".join(REPS))
        with store.unit_of_work() as uow:
            since = uow.last_position()
        owners = []
        for name, company, phone in ARRIVALS:
            lead = desk.create("web", "web", contact_name=name, company=company, phone=phone)
            owners.append(str(lead.owner_id))
            print(f"  {lead.id}: {name} ({company}) → {lead.owner_id}")
        with store.unit_of_work() as uow:
            added = uow.events_since(since)
        kinds = ", ".join(sorted({e.kind.value for e in added}))
        print(f"events {since + 1}…{since + len(added)} recorded this run ({kinds})")
        return owners


def cli(argv: list[str] | None = None) -> list[str]:
    """Read the command line (``--help``, an optional database file) and run once."""
    parser = argparse.ArgumentParser(description="A host application on a SQLite file.")
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=Path("sqlite_host.sqlite3"),
        help="the database file (created on first use; default: %(default)s)",
    )
    return main(parser.parse_args(argv).file)


if __name__ == "__main__":
    cli()
