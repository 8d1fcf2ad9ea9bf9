"""Import a trade-show spreadsheet (展会线索) into a pool and write the rows to fix back out.

Run it with ``python examples/import_csv.py [--out FILE]`` (the rows to fix go to
``trade_show_to_fix.csv`` in the temporary directory unless ``--out`` names a file). The CSV holds clean rows, duplicates spelled
differently (a phone with +86 and dashes, a company with its region in brackets, an email in
capitals) and rows that cannot be imported (an invalid phone, a bad date, an empty line). Every
row is accounted for: created, duplicate (of which lead, by which key) or rejected (why); a
row of a chunk the host's customer directory failed in would be reported failed, to import
again (this example's in-memory directory never fails).
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from leadcore import FixedClock, LeadDesk, MemoryStore, OrgChart, Pool, User
from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType
from leadcore.dedup import DuplicateAction, DuplicatePolicy
from leadcore.ids import counter_ids
from leadcore.importing import ImportReport

HERE = Path(__file__).resolve().parent


def import_trade_show() -> ImportReport:
    """Import ``trade_show_leads.csv`` into a pool whose duplicates are rejected."""
    org = OrgChart(
        users=[
            User("admin", "系统管理员", roles={"system_admin"}),
            User("mia", "市场部 Mia"),
            User("bob", "销售 Bob"),
        ]
    )
    desk = LeadDesk(
        MemoryStore(),
        FixedClock(datetime(2026, 3, 9, 9, tzinfo=UTC)),
        org,
        custom_fields=CustomFieldSet([CustomField("visited_on", FieldType.DATE)]),
        ids=counter_ids(),
        duplicates=DuplicatePolicy(action=DuplicateAction.REJECT),
    )
    desk.create_pool(
        "admin", Pool(id="fair", name="展会线索池", admins={"mia"}, default_owner_id="bob")
    )
    return desk.import_leads(
        "mia",
        "fair",
        HERE / "trade_show_leads.csv",
        mapping={
            "姓名": "contact_name",
            "手机": "phone",
            "公司": "company",
            "邮箱": "email",
            "微信": "wechat",
            "来源": "source",
            "行业": "industry",
            "地区": "region",
            "到访日期": "custom_fields.visited_on",
        },
        progress=lambda p: print(f"… {p.rows_read} rows read"),
    )


def main(argv: list[str] | None = None) -> None:
    """Import, print what became of each row, and write the rows to fix to a CSV."""
    parser = argparse.ArgumentParser(description="Import a trade-show CSV into a lead pool.")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "trade_show_to_fix.csv",
        help="where to write the rows to fix (default: %(default)s)",
    )
    out: Path = parser.parse_args(argv).out
    report = import_trade_show()
    for row in report.rows:
        print(row.describe())
    print(report.counts)
    report.to_csv(out)
    print(f"rows to fix written to {out}")


if __name__ == "__main__":
    main()
