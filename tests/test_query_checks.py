"""A ``LeadQuery`` or ``LeadFilter`` with a wrong criterion is refused when it is made, naming
the field; no store ever sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadcore import LeadStatus, ValidationError
from leadcore.query import LeadFilter, LeadOrder, LeadQuery

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

WRONG: dict[str, tuple[str, dict[str, Any]]] = {
    "negative limit": ("limit", {"limit": -1}),
    "str limit": ("limit", {"limit": "5"}),
    "bool limit": ("limit", {"limit": True}),
    "huge limit": ("limit", {"limit": 2**70}),
    "float offset": ("offset", {"offset": 1.5}),
    "one status as a str": ("statuses", {"statuses": "assigned"}),
    "a number for statuses": ("statuses", {"statuses": 5}),
    "a mapping for statuses": ("statuses", {"statuses": {"assigned": False}}),
    "unknown status": ("statuses[0]", {"statuses": ["asigned"]}),
    "naive created_from": ("created_from", {"created_from": datetime(2026, 3, 2)}),
    "str due_before": ("due_before", {"due_before": "2026-03-02"}),
    "unknown order": ("order", {"order": "created_x"}),
    "str any_of": ("any_of", {"any_of": "x"}),
    "dicts in any_of": ("any_of[0]", {"any_of": [{"owner_id": "bob"}]}),
    "list owner_id": ("owner_id", {"owner_id": ["bob"]}),
    "int grade": ("grade", {"grade": 5}),
    "str owner_ids": ("owner_ids", {"owner_ids": "bob"}),
    "mapping ids": ("ids", {"ids": {"L1": None}}),
    "int in pool_ids": ("pool_ids[0]", {"pool_ids": [5]}),
    "lone surrogate id": ("ids[0]", {"ids": ["\ud800"]}),
    "after not a pair": ("after", {"after": AWARE}),
    "after naive": ("after[0]", {"after": (datetime(2026, 3, 2), "L1")}),
    "after int id": ("after[1]", {"after": (AWARE, 5)}),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_a_wrong_criterion_is_refused_by_name(case: str) -> None:
    field, given = WRONG[case]
    with pytest.raises(ValidationError) as caught:
        LeadQuery(**given)
    assert [p.field for p in caught.value.problems] == [field], caught.value


def test_a_filter_checks_its_criteria_too() -> None:
    with pytest.raises(ValidationError, match="owner_ids"):
        LeadFilter(owner_ids="bob")


def test_clean_criteria_are_read_as_their_types() -> None:
    query = LeadQuery(
        statuses=["assigned", LeadStatus.FOLLOWING],
        order="created_desc",
        owner_ids=["bob", "dave"],
        after=(AWARE, "L9"),
        limit=50,
    )
    assert query.statuses == frozenset({LeadStatus.ASSIGNED, LeadStatus.FOLLOWING})
    assert query.order is LeadOrder.CREATED_DESC
    assert query.owner_ids == frozenset({"bob", "dave"})
    assert LeadQuery(statuses=LeadStatus.ASSIGNED).statuses == frozenset({LeadStatus.ASSIGNED})
    assert LeadQuery(limit=2**63 - 1).limit == 2**63 - 1


def test_ids_are_kept_exactly_as_given() -> None:
    """Stores match ids exactly, so a criterion is never trimmed."""
    assert LeadQuery(owner_id=" bob").owner_id == " bob"


@pytest.mark.parametrize("kind", [LeadQuery, LeadFilter])
def test_a_reversed_creation_range_is_refused(kind: type[LeadFilter]) -> None:
    later, earlier = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as caught:
        kind(created_from=later, created_before=earlier)
    assert caught.value.fields == ("created_before",)
    assert kind(created_from=earlier, created_before=earlier).created_from == earlier
