"""The desk's intake behaviour, on any store: the duplicate policy on create (reject, flag,
attach; scopes; a hidden match shown masked; two racing creates of one person), and imports
(every row accounted for, duplicates within the file and against the store, CSV in UTF-8, BOM
and GBK, the report written back, progress, chunks)."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from leadcore.conversion import MemoryCustomerDirectory
from leadcore.dedup import DuplicateAction, DuplicatePolicies, DuplicatePolicy, DuplicateScope
from leadcore.errors import DuplicateLead, LeadcoreError, PermissionDenied, ValidationError
from leadcore.events import EventKind
from leadcore.importing import RowStatus
from leadcore.model import Pool
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.strategies import per_store_settings
from leadcore.testing.threads import at_once
from leadcore.testing.world import World

__all__ = ["IntakeCase"]

_per_store = per_store_settings(HealthCheck.function_scoped_fixture, max_examples=25)
_REJECT = DuplicatePolicy(action=DuplicateAction.REJECT)
_PERSON: dict[str, Any] = {"contact_name": "张三", "phone": "13800138000"}


class IntakeCase(DeskCase):
    """Duplicates and imports through the desk."""

    def intake_world(self, policy: DuplicatePolicy | DuplicatePolicies, **options: Any) -> World:
        """A world whose desk applies ``policy``."""
        return self.world(duplicates=policy, **options)

    # --- the policy on create -----------------------------------------------------------------
    def test_reject_names_the_match_and_the_key_and_writes_nothing(self) -> None:
        world = self.intake_world(_REJECT)
        first = world.desk.create("bob", "off", **_PERSON)
        before = world.store.snapshot()
        with pytest.raises(DuplicateLead) as caught:
            world.desk.create("bob", "east", contact_name="张三丰", phone="+86 138-0013-8000")
        assert caught.value.existing_id == first.id
        assert caught.value.field == "phone" and caught.value.value == "+8613800138000"
        assert world.store.snapshot() == before

    def test_a_hidden_match_shows_only_its_owner_and_a_masked_contact(self) -> None:
        world = self.intake_world(_REJECT)
        first = world.desk.create("bob", "off", **_PERSON)
        with pytest.raises(DuplicateLead) as caught:
            world.desk.create("erin", "north", contact_name="张", phone="138 0013 8000")
        error = caught.value
        assert error.existing_id is None and error.owner_id == "bob"
        assert error.value == "138****8000"
        assert first.id not in str(error) and "13800138000" not in str(error)

    def test_flag_creates_and_records_the_suspicion(self) -> None:
        world = self.intake_world(DuplicatePolicy(action=DuplicateAction.FLAG))
        world.desk.create("bob", "off", **_PERSON, company="北京星河科技有限公司")
        second = world.desk.create(
            "bob", "off", contact_name="李四", company="星河（北京）科技有限公司", email="li@qq.com"
        )
        history = world.desk.history("bob", second.id)
        flagged = [e for e in history if e.kind is EventKind.DUPLICATE_SUSPECTED]
        assert len(flagged) == 1 and flagged[0].data["keys"] == ["company:北京/星河科技"]

    def test_attach_adds_the_details_to_the_existing_lead(self) -> None:
        world = self.intake_world(DuplicatePolicy(action=DuplicateAction.ATTACH))
        first = world.desk.create("bob", "off", **_PERSON)
        with pytest.raises(DuplicateLead) as caught:
            world.desk.create(
                "bob", "off", contact_name="张三", phone="13800138000", industry="制造"
            )
        assert caught.value.attached and caught.value.existing_id == first.id
        last = world.desk.history("bob", first.id)[-1]
        assert last.kind is EventKind.ACTIVITY_RECORDED
        assert last.data["activity"] == "duplicate_entry"
        details = last.data["details"]
        assert isinstance(details, dict) and details["industry"] == "制造"
        assert len(world.desk.leads("bob")) == 1

    def test_scopes_organisation_pool_and_field(self) -> None:
        by_pool = self.intake_world(
            DuplicatePolicy(action=DuplicateAction.REJECT, scope=DuplicateScope.POOL)
        )
        by_pool.desk.create("bob", "off", **_PERSON)
        assert by_pool.desk.create("bob", "east", **_PERSON).pool_id == "east"
        with pytest.raises(DuplicateLead):
            by_pool.desk.create("bob", "east", **_PERSON)
        by_line = self.intake_world(
            DuplicatePolicy(
                action=DuplicateAction.REJECT, scope=DuplicateScope.FIELD, field="industry"
            )
        )
        by_line.desk.create("bob", "off", **_PERSON, industry="软件")
        assert by_line.desk.create("bob", "off", **_PERSON, industry="硬件").industry == "硬件"
        with pytest.raises(DuplicateLead):
            by_line.desk.create("bob", "off", **_PERSON, industry=" 软件 ")

    def test_per_pool_policies_and_ignore(self) -> None:
        world = self.intake_world(DuplicatePolicies(pools={"east": _REJECT}))
        world.desk.create("bob", "off", **_PERSON)
        world.desk.create("bob", "off", **_PERSON)  # no check in pool off
        with pytest.raises(DuplicateLead):
            world.desk.create("bob", "east", **_PERSON)

    def test_concurrent_creates_of_one_person_under_reject_have_one_winner(self) -> None:
        world = self.intake_world(_REJECT)
        made: list[str] = []
        refused: list[LeadcoreError] = []

        def create(n: int) -> None:
            try:
                made.append(
                    world.desk.create("bob", "off", contact_name=f"张{n}", phone="13800138000").id
                )
            except DuplicateLead as e:
                refused.append(e)

        at_once(*(partial(create, n) for n in range(6)))
        assert len(made) == 1 and len(refused) == 5
        assert len(world.desk.leads("bob")) == 1

    # --- import -------------------------------------------------------------------------------
    def test_import_accounts_for_every_row(self) -> None:
        world = self.intake_world(_REJECT)
        world.desk.create("bob", "off", contact_name="王五", phone="13900139000")
        rows: list[object] = [
            {"姓名": "张三", "手机": "138 0013 8000", "公司": "北京星河科技有限公司"},
            {"姓名": "李四", "手机": "+86-138-0013-8000"},
            {},
            "not a row",
            {"姓名": "王五", "手机": "13900139000"},
            {"姓名": "赵六", "邮箱": "bad@"},
            {"姓名": "钱七", "公司": "星河（北京）科技有限公司", "电话": "13700137000"},
        ]
        report = world.desk.import_leads("carol", "east", rows, chunk_size=2)
        assert [r.status for r in report.rows] == [
            RowStatus.CREATED,
            RowStatus.DUPLICATE,
            RowStatus.REJECTED,
            RowStatus.REJECTED,
            RowStatus.DUPLICATE,
            RowStatus.REJECTED,
            RowStatus.DUPLICATE,
        ]
        created = report.rows[0].lead_id
        assert report.rows[1].duplicate_of == created and report.rows[1].in_file_row == 1
        assert report.rows[6].in_file_row == 1 and report.rows[6].key == "company:北京/星河科技"
        hidden = report.rows[4]
        assert hidden.duplicate_of is None and hidden.owner_id == "bob"
        assert hidden.masked == "139****9000"
        assert report.rows[5].problems[0].field == "email"
        assert report.balanced and report.counts["rows_read"] == 7
        assert world.desk.get("carol", str(created)).company == "北京星河科技有限公司"

    def test_import_reads_csv_in_utf8_bom_and_gbk_and_writes_the_report(
        self, tmp_path: Path
    ) -> None:
        world = self.intake_world(_REJECT)
        text = "姓名,手机,公司,规模\n张三,13800138000,星河科技,50-199\n李四,138 0013 8000,,\n王五,12345,,\n"
        for n, (encoding, data) in enumerate(
            [
                ("utf-8", text.encode("utf-8")),
                ("utf-8", text.encode("utf-8-sig")),
                ("gbk", text.encode("gbk")),
            ]
        ):
            path = tmp_path / f"leads{n}.csv"
            path.write_bytes(data)
            pool = f"fair{n}"
            world.desk.create_pool("sysadmin", Pool(id=pool, name=pool, admins={"carol"}))
            report = world.desk.import_leads(
                "carol",
                pool,
                path,
                encoding=encoding,
                mapping={"姓名": "contact_name", "手机": "phone", "公司": "company", "规模": None},
            )
            statuses = [(r.row, r.status) for r in report.rows]
            expected_first = RowStatus.CREATED if n == 0 else RowStatus.DUPLICATE
            assert statuses == [
                (2, expected_first),
                (3, RowStatus.DUPLICATE),
                (4, RowStatus.REJECTED),
            ]
        out = tmp_path / "to_fix.csv"
        written = report.to_csv(out)
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        assert "王五,12345" in written and "rejected" in written and "duplicate" in written

    def test_import_reports_progress_per_chunk(self) -> None:
        world = self.intake_world(DuplicatePolicy())
        seen: list[int] = []
        rows = [{"姓名": f"客户{i}", "手机": f"1380013{i:04d}"} for i in range(7)]
        report = world.desk.import_leads(
            "carol", "east", rows, chunk_size=3, progress=lambda p: seen.append(p.rows_read)
        )
        assert seen == [3, 6, 7] and len(report.created_ids) == 7

    def test_import_gives_the_default_owner_leads_up_to_the_pools_cap(self) -> None:
        world = self.intake_world(DuplicatePolicy())
        world.desk.create_pool(
            "sysadmin",
            Pool(
                id="capped",
                name="capped",
                admins={"carol"},
                default_owner_id="bob",
                max_open_per_user=2,
            ),
        )
        rows = [{"姓名": f"客户{i}", "手机": f"1380013{i:04d}"} for i in range(7)]
        report = world.desk.import_leads("carol", "capped", rows[:5], chunk_size=3)
        leads = [world.desk.get("carol", str(i)) for i in report.created_ids]
        assert [lead.owner_id for lead in leads] == ["bob", "bob", None, None, None]
        assert [lead.department_id for lead in leads] == ["east_sales"] * 2 + [None] * 3
        kinds = [[e.kind for e in world.desk.history("carol", lead.id)] for lead in leads]
        assert kinds[:2] == [[EventKind.LEAD_CREATED, EventKind.ASSIGNED]] * 2
        assert kinds[2:] == [[EventKind.LEAD_CREATED]] * 3
        # At the cap as the next import begins, the owner receives none of its leads.
        report = world.desk.import_leads("carol", "capped", rows[5:])
        assert [world.desk.get("carol", str(i)).owner_id for i in report.created_ids] == [None] * 2

    def test_import_refuses_a_bad_source_or_importer_and_writes_nothing(self) -> None:
        world = self.intake_world(_REJECT)
        before = world.store.snapshot()
        for rows in ("leads.csv", 42, {"a": 1}):
            with pytest.raises(ValidationError):
                world.desk.import_leads("carol", "east", rows)
        with pytest.raises(ValidationError):
            world.desk.import_leads("carol", "east", [], mapping={"手机": "mobile"})
        with pytest.raises(ValidationError):
            world.desk.import_leads(
                "carol", "east", io.BytesIO(b"\xff\xfe\x00bad"), encoding="utf-8"
            )
        locked = Pool(id="closed", name="closed", free_create=False, admins={"carol"})
        world.desk.create_pool("sysadmin", locked)
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied):
            world.desk.import_leads("bob", "closed", [{"姓名": "张三", "手机": "13800138000"}])
        assert world.store.snapshot() == before

    def test_import_refuses_a_header_that_would_lose_a_column_before_any_row(self) -> None:
        world = self.intake_world(_REJECT)
        before = world.store.snapshot()
        refused = (
            ("姓名,手机,手机\n张三,13800138000,\n", None, "names column '手机' twice"),
            (
                "姓名,phone,手机\n李四,13700137000,13600136000\n",
                None,
                "columns 'phone' and '手机' both fill phone",
            ),
            (
                "姓名,手机\n张三,13500135000\n",
                {"姓名": "contact_name", "手几": "phone"},
                r"mapping\['手几'\]: is not a column of the file \(its columns: '姓名', '手机'\)",
            ),
        )
        for text, mapping, said in refused:
            with pytest.raises(ValidationError, match=said):
                world.desk.import_leads("carol", "east", text.encode(), mapping=mapping)
        with pytest.raises(ValidationError, match=r"mapping\['手几'\]: is not a column of any row"):
            world.desk.import_leads(
                "carol",
                "east",
                [{"姓名": "张三"}],
                mapping={"姓名": "contact_name", "手几": "phone"},
            )
        with pytest.raises(ValidationError, match="same column as 'a' once trimmed"):
            world.desk.import_leads("carol", "east", [], mapping={"a": "phone", "a ": "email"})
        assert world.store.snapshot() == before
        # Rows given as dicts: two columns filling one field reject that row, naming both.
        report = world.desk.import_leads(
            "carol",
            "east",
            [
                {"姓名": "王五", "phone": "13700137000", "手机": "13600136000"},
                {"姓名": "赵六", " 手机 ": "13600136001"},
            ],
        )
        first, second = report.rows
        assert first.status is RowStatus.REJECTED
        assert "phone: columns 'phone' and '手机' both fill it" in first.describe()
        assert second.status is RowStatus.CREATED
        # Mapping keys and row keys are compared trimmed alike.
        mapped = world.desk.import_leads(
            "carol",
            "east",
            [{"姓名 ": "钱七", " 电话": "13600136002"}],
            mapping={"姓名": "contact_name", "电话": "phone"},
        )
        [row] = mapped.rows
        assert row.status is RowStatus.CREATED
        assert world.desk.get("carol", str(row.lead_id)).phone == "+8613600136002"

    def test_a_directory_failing_midway_reports_that_chunk_failed_and_goes_on(self) -> None:
        class Flaky(MemoryCustomerDirectory):
            calls = 0

            def find(self, keys: Any) -> Any:
                self.calls += 1
                if self.calls == 2:
                    raise RuntimeError("db down")
                return super().find(keys)

        world = self.intake_world(_REJECT, directory=Flaky())
        rows = [{"姓名": name, "手机": f"1380013800{i}"} for i, name in enumerate("甲乙丙")]
        seen: list[int] = []
        report = world.desk.import_leads(
            "carol", "east", rows, chunk_size=1, progress=lambda p: seen.append(p.failed)
        )
        assert [r.status for r in report.rows] == [
            RowStatus.CREATED,
            RowStatus.FAILED,
            RowStatus.CREATED,
        ]
        assert report.balanced and report.counts["failed"] == 1 and seen == [0, 1, 1]
        [failed] = report.failed
        assert failed.values == rows[1]
        assert "failed at find (RuntimeError: db down); import this row again" in failed.describe()
        assert len(world.desk.get_many("carol", report.created_ids)) == 2
        assert "乙,13800138001,2,failed" in report.to_csv()
        again = world.desk.import_leads("carol", "east", [rows[1]])
        assert [r.status for r in again.rows] == [RowStatus.CREATED]

    @_per_store
    @given(
        st.lists(
            st.one_of(
                st.dictionaries(
                    st.sampled_from(
                        ["姓名", "手机", "公司", "邮箱", "微信", "来源", "预算", "规模", "x"]
                    ),
                    st.one_of(
                        st.text(max_size=30),
                        st.sampled_from(
                            ["13800138000", "138 0013 8000", "北京星河科技有限公司", "a@b.cn"]
                        ),
                        st.integers(),
                        st.none(),
                        st.floats(),
                        st.lists(st.text(max_size=3), max_size=2),
                        st.text(min_size=250, max_size=300),
                    ),
                    max_size=6,
                ),
                st.text(max_size=5),
                st.integers(),
                st.none(),
            ),
            max_size=12,
        ),
        st.sampled_from(tuple(DuplicateAction)),
        st.integers(1, 5),
    )
    def test_every_row_is_accounted_for_whatever_it_holds(
        self, rows: list[object], action: DuplicateAction, chunk_size: int
    ) -> None:
        world = self.intake_world(DuplicatePolicy(action=action))
        report = world.desk.import_leads("carol", "east", rows, chunk_size=chunk_size)
        c = report.counts
        assert c["created"] + c["duplicates"] + c["rejected"] == c["rows_read"] == len(rows)
        assert c["failed"] == 0
        assert [r.row for r in report.rows] == list(range(1, len(rows) + 1))
        assert len(world.desk.get_many("carol", report.created_ids)) == c["created"]
        for r in report.rejected:
            assert r.problems
