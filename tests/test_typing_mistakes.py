"""The type checker catches the mistakes people make with the desk, before anything runs.

Each line of the sample below holds one typical mistake and says what it is; mypy --strict must
report an error on exactly those lines (and nowhere else, so the sample itself is sound).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SAMPLE = """
from datetime import UTC, datetime

from leadcore import FixedClock, LeadDesk, MemoryStore, OrgChart, Pool, User

desk = LeadDesk(MemoryStore(), FixedClock(datetime(2026, 1, 1, tzinfo=UTC)), OrgChart(users=[User("a")]))
desk.create("a", "p", contact_name="x")
desk.create("a", "p", compnay="星河")  # MISTAKE: a misspelt field
desk.create("a", "p", contact_name="x", budget=5000.5)  # MISTAKE: a float for money
desk.update_pool("a", "p", claim_enabeld=True)  # MISTAKE: a misspelt setting
desk.update_pool("a", "p", claim_enabled="false")  # MISTAKE: text for a switch
desk.leads("a", view="mien")  # MISTAKE: a misspelt view
desk.leads("a", statuses="assigned")  # MISTAKE: one string for a collection
desk.leads("a", limit="10")  # MISTAKE: text for a number
Pool(id="p", name="p", admins="carol")  # MISTAKE: one string for a set of users
desk.add_collaborators("a", "L1", "dave")  # MISTAKE: one string for a list of users
desk.batch_assign("a", "L1", "bob")  # MISTAKE: one string for a list of leads
desk.follow_up("a", "L1", method="phone", content="c", result="r", mentions="bob")  # MISTAKE
desk.leads("a", view="pool", pool_id="p", order="due")
"""


def test_mypy_reports_each_typical_mistake(tmp_path: Path) -> None:
    sample = tmp_path / "mistakes.py"
    sample.write_text(SAMPLE, encoding="utf-8")
    expected = {n for n, line in enumerate(SAMPLE.splitlines(), 1) if "# MISTAKE" in line}
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(sample)],
        capture_output=True,
        text=True,
        check=False,
    )
    reported = {int(m.group(1)) for m in re.finditer(r"mistakes\.py:(\d+): error", checked.stdout)}
    assert reported == expected, checked.stdout
