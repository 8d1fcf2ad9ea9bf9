"""Events, config, custom fields, the org chart and clocks."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    Action,
    ConfigError,
    CustomField,
    CustomFieldSet,
    Department,
    Event,
    EventKind,
    FieldType,
    FixedClock,
    LeadStatus,
    Money,
    NotFound,
    OrgChart,
    Pool,
    SystemClock,
    User,
    ValidationError,
    diff_fields,
    transition,
)
from leadcore.config import load_json, load_toml, structure, unstructure
from leadcore.testing import EPOCH, make_lead
from leadcore.testing.strategies import pools

# --- events -----------------------------------------------------------------------------------


def test_diff_reports_each_changed_field_with_before_and_after() -> None:
    before = make_lead("L1", version=3)
    after = transition(before, Action.ASSIGN, at=EPOCH, owner_id="u2")
    changes = {c.field: (c.before, c.after) for c in diff_fields(before, after)}
    assert changes == {
        "status": (LeadStatus.UNASSIGNED, LeadStatus.ASSIGNED),
        "owner_id": (None, "u2"),
        "assigned_at": (None, EPOCH),
    }


def test_diff_of_a_creation_lists_the_fields_set() -> None:
    fields = {c.field for c in diff_fields(None, make_lead("L1", phone="13800138000"))}
    assert fields == {"id", "pool_id", "created_by", "created_at", "phone"}


def test_event_status_change_and_frozen_data() -> None:
    before = make_lead("L1")
    after = transition(before, Action.ASSIGN, at=EPOCH, owner_id="u2")
    event = Event(
        EventKind.ASSIGNED,
        EPOCH,
        "admin",
        lead_id="L1",
        changes=diff_fields(before, after),
        data={"k": 1},
    )
    assert event.status_change == (LeadStatus.UNASSIGNED, LeadStatus.ASSIGNED)
    assert Event(EventKind.LEAD_EDITED, EPOCH, "u1").status_change is None
    with pytest.raises(TypeError):
        event.data["k"] = 2  # type: ignore[index]
    assert EventKind.ASSIGNED.label == "分配"


# --- config -----------------------------------------------------------------------------------


def test_pool_from_plain_data_with_chinese_enum_labels() -> None:
    pool = structure(
        {
            "id": "p1",
            "name": "华东线索池",
            "admins": ["a1"],
            "claim_enabled": True,
            "max_open_per_user": 30,
        },
        Pool,
    )
    assert pool.admins == {"a1"} and pool.max_open_per_user == 30
    assert structure("未分配", LeadStatus) is LeadStatus.UNASSIGNED


def test_config_errors_name_every_path() -> None:
    with pytest.raises(ConfigError) as caught:
        structure({"id": "p1", "name": "", "max_open_per_user": 0}, Pool)
    assert {p.field for p in caught.value.problems} == {"$.name", "$.max_open_per_user"}
    with pytest.raises(ConfigError) as unknown:
        structure({"id": "p1", "name": "x", "colour": "red", "size": 1}, Pool)
    assert {p.field for p in unknown.value.problems} == {"$.colour", "$.size"}
    assert "known keys" in unknown.value.reason
    with pytest.raises(ConfigError) as missing:
        structure({"name": "x"}, Pool)
    assert missing.value.path == "$.id"


def test_money_decimal_and_datetime_from_text() -> None:
    assert structure("CNY 1200.50", Money) == Money("1200.50")
    assert structure({"amount": "3", "currency": "USD"}, Money) == Money("3", "USD")
    assert structure("1000", Decimal) == Decimal("1000")
    assert structure("2026-01-01T08:00:00+08:00", datetime) == EPOCH
    with pytest.raises(ConfigError, match="timezone"):
        structure("2026-01-01T08:00:00", datetime)


@given(pools())
def test_pools_round_trip_through_plain_data(pool: Pool) -> None:
    assert structure(unstructure(pool), Pool) == pool


def test_json_and_toml_loading(tmp_path: Path) -> None:
    path = tmp_path / "pool.toml"
    path.write_text('id = "p1"\nname = "华北"\nreminder_hours = 24\n', encoding="utf-8")
    assert load_toml(path, Pool).reminder_hours == 24
    assert load_json('{"id": "p1", "name": "华北"}', Pool).name == "华北"
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_json("{", Pool)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml("= 1", Pool)


# --- custom fields ----------------------------------------------------------------------------

FIELDS = CustomFieldSet(
    [
        CustomField("urgency", FieldType.CHOICE, required=True, options=("urgent", "normal")),
        CustomField("seats", FieldType.NUMBER),
        CustomField("products", FieldType.MULTI_CHOICE, options=("crm", "erp")),
        CustomField("visited", FieldType.DATE),
        CustomField("vip", FieldType.BOOLEAN),
        CustomField("note", FieldType.TEXT),
    ]
)


def test_custom_values_are_normalised() -> None:
    clean = FIELDS.validate(
        {
            "urgency": "urgent",
            "seats": "12.5",
            "products": ["crm", "crm", "erp"],
            "visited": "2026-02-01",
            "vip": True,
        }
    )
    assert clean == {
        "urgency": "urgent",
        "seats": Decimal("12.5"),
        "products": ("crm", "erp"),
        "visited": date(2026, 2, 1),
        "vip": True,
    }


def test_custom_field_problems_are_all_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        FIELDS.validate(
            {"seats": True, "products": "crm", "visited": "soon", "vip": "yes", "colour": "red"}
        )
    assert set(caught.value.fields) == {
        "custom_fields.seats",
        "custom_fields.products",
        "custom_fields.visited",
        "custom_fields.vip",
        "custom_fields.colour",
        "custom_fields.urgency",
    }


def test_partial_validation_skips_missing_required() -> None:
    assert FIELDS.validate({"note": "hi"}, partial=True) == {"note": "hi"}
    with pytest.raises(ValidationError, match="is required"):
        FIELDS.validate({"urgency": ""}, partial=True)


def test_bad_declarations_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs options"):
        CustomField("level", FieldType.CHOICE)
    with pytest.raises(ConfigError, match="takes no options"):
        CustomField("level", FieldType.TEXT, options=("a",))
    with pytest.raises(ConfigError, match="identifier"):
        CustomField("bad name", FieldType.TEXT)
    with pytest.raises(ConfigError, match="declared twice"):
        CustomFieldSet([CustomField("a", FieldType.TEXT), CustomField("a", FieldType.TEXT)])


@given(
    st.one_of(
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
        st.booleans(),
        st.none(),
    )
)
def test_any_number_input_is_accepted_or_refused_cleanly(value: object) -> None:
    try:
        clean = CustomFieldSet([CustomField("n", FieldType.NUMBER)]).validate({"n": value})
    except ValidationError as e:
        assert e.fields == ("custom_fields.n",)
    else:
        assert value is None or value == "" or isinstance(clean["n"], int | Decimal)


# --- org chart --------------------------------------------------------------------------------


def make_org() -> OrgChart:
    return OrgChart(
        users=[
            User("ceo", department_id="hq"),
            User("east_mgr", department_id="east"),
            User("rep1", department_id="east"),
            User("sh_mgr", department_id="shanghai"),
            User("rep2", department_id="shanghai"),
            User("north_rep", department_id="north"),
        ],
        departments=[
            Department("hq", manager_id="ceo"),
            Department("east", parent_id="hq", manager_id="east_mgr"),
            Department("shanghai", parent_id="east", manager_id="sh_mgr"),
            Department("north", parent_id="hq"),
        ],
    )


def test_subordinates_follow_the_department_tree() -> None:
    org = make_org()
    assert org.subordinates("east_mgr") == {"rep1", "sh_mgr", "rep2"}
    assert org.subordinates("sh_mgr") == {"rep2"}
    assert org.subordinates("ceo") == {"east_mgr", "rep1", "sh_mgr", "rep2", "north_rep"}
    assert org.subordinates("rep1") == frozenset()
    with pytest.raises(NotFound):
        org.user("nobody")


def test_org_chart_refuses_cycles_and_unknown_parents() -> None:
    with pytest.raises(ValidationError) as caught:
        OrgChart(
            users=[User("u", department_id="ghost")],
            departments=[
                Department("a", parent_id="b"),
                Department("b", parent_id="a"),
                Department("c", parent_id="zz"),
            ],
        )
    assert set(caught.value.fields) == {
        "departments[a].parent_id",
        "departments[b].parent_id",
        "departments[c].parent_id",
        "users[u].department_id",
    }


# --- clocks -----------------------------------------------------------------------------------


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == EPOCH and clock.now().tzinfo is UTC
    assert clock.advance(hours=2) == EPOCH + timedelta(hours=2)
    clock.set(EPOCH)
    assert clock.now() == EPOCH
    with pytest.raises(ValidationError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_fixed_clock_is_thread_safe() -> None:
    clock = FixedClock(EPOCH)
    threads = [
        threading.Thread(target=lambda: [clock.advance(seconds=1) for _ in range(1000)])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == EPOCH + timedelta(seconds=4000)


def test_records_are_immutable() -> None:
    lead = make_lead("L1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        lead.owner_id = "u1"  # type: ignore[misc]
