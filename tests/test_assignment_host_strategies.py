"""A host's own strategy that misbehaves (returns something other than a ``Choice`` or
``Needs``, or a ``Choice`` built from junk) meets a ``LeadcoreError`` naming it, and the
lead it was choosing for is not written."""

from __future__ import annotations

from typing import Any

import pytest

from leadcore import (
    ConfigError,
    Lead,
    LeadcoreError,
    LeadQuery,
    MemoryStore,
    Pool,
    ValidationError,
)
from leadcore.assignment import AssignmentContext, Choice, Needs, Team
from leadcore.testing.world import make_world


class _Returning:
    """A strategy whose ``needs`` and ``choose`` give what it was made with."""

    name = "host"

    def __init__(self, choice: object, needs: object = None) -> None:
        self.choice = choice
        self.given_needs = Needs(users=frozenset({"bob"})) if needs is None else needs

    def needs(self, lead: Lead, pool: Pool | None) -> Any:
        return self.given_needs

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Any:
        return self.given_needs

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Any:
        return self.choice

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Any:
        return self.choice


def _create_with(strategy: _Returning) -> Lead:
    """Create a lead in a pool the strategy assigns; nothing is written when it fails."""
    store = MemoryStore()
    world = make_world(store, strategies={"host": strategy})
    world.desk.create_pool(
        "sysadmin", Pool(id="auto", name="自动分配", members={"bob"}, auto_assign="host")
    )
    with store.unit_of_work() as uow:
        events = uow.last_position()
    try:
        return world.desk.create("sysadmin", "auto", contact_name="王磊", phone="13800138000")
    except LeadcoreError:
        with store.unit_of_work() as uow:
            assert uow.last_position() == events
            assert uow.count_leads(LeadQuery()) == 0
        raise


@pytest.mark.parametrize("returned", ["bob", None, {"owner_id": "bob"}])
def test_a_strategy_that_returns_no_choice_is_named(returned: object) -> None:
    with pytest.raises(ConfigError, match=r"strategies\.host: choose\(\) must return a Choice"):
        _create_with(_Returning(returned))


@pytest.mark.parametrize("returned", [None, {"users": ["bob"]}, frozenset({"bob"})])
def test_a_strategy_whose_needs_are_not_needs_is_named(returned: object) -> None:
    strategy = _Returning(Choice("bob", "ok", strategy="host"), needs=returned)
    strategy.given_needs = returned
    with pytest.raises(ConfigError, match=r"strategies\.host: needs\(\) must return Needs"):
        _create_with(strategy)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"owner_id": 5}, "owner_id: must be text"),
        ({"reason": 7}, "reason: must be text"),
        ({"tie_break": 1}, "tie_break: must be text or None"),
        ({"state_updates": "cursor"}, "state_updates: must be a mapping"),
        ({"state_updates": {1: 2}}, "state_updates[1]: a state key must be text"),
        ({"excluded": ["bob"]}, "excluded: must be a mapping"),
        ({"candidates": "bob"}, "candidates: must be a list of ids"),
    ],
)
def test_a_choice_of_junk_is_refused_where_it_is_made(given: dict[str, Any], named: str) -> None:
    fields: dict[str, Any] = {"owner_id": "bob", "reason": "ok", "strategy": "host", **given}
    owner, reason = fields.pop("owner_id"), fields.pop("reason")
    with pytest.raises(ValidationError, match=named.replace("[", r"\[").replace("(", r"\(")):
        Choice(owner, reason, **fields)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"users": -1}, "users: must be a collection of ids"),
        ({"users": "bob"}, "users: must be a collection of ids"),
        ({"state_keys": [3]}, r"state_keys\[0\]"),
        ({"history": "yes"}, "history: must be True or False"),
    ],
)
def test_needs_of_junk_are_refused(given: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Needs(**given)


def test_a_team_of_junk_is_refused() -> None:
    with pytest.raises(ValidationError, match="users: must be a list of user ids"):
        Team(-1, "east", "east team")
    with pytest.raises(LeadcoreError, match="scope"):
        Team(("bob",), 3, "east team")  # type: ignore[arg-type]
