"""Events: field diffs, status changes, immutable records."""

from __future__ import annotations

import attrs
import pytest

from leadcore import (
    Action,
    Event,
    EventKind,
    LeadStatus,
    diff_fields,
    transition,
)
from leadcore.testing import EPOCH, make_lead


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


def test_records_are_immutable() -> None:
    lead = make_lead("L1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        lead.owner_id = "u1"  # type: ignore[misc]
