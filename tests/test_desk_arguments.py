"""A misspelt keyword, a missing or an extra argument to any public desk method, or to the
constructor of any public class, is an
``ArgumentError`` (a ``LeadcoreError``, a ``ValidationError`` and a ``TypeError``) naming the
argument, and nothing is written."""

from __future__ import annotations

import enum
import inspect
from datetime import UTC, datetime
from typing import Final

import pytest

import leadcore
from leadcore import (
    ArgumentError,
    FixedClock,
    LeadcoreError,
    LeadDesk,
    MemoryStore,
    OrgChart,
    Pool,
    SQLiteStore,
    User,
    ValidationError,
)
from leadcore.cadence import WorkingCalendar
from leadcore.testing.world import World, make_world, new_lead


@pytest.fixture
def world() -> World:
    return make_world(MemoryStore())


def _events(world: World) -> int:
    with world.store.unit_of_work() as uow:
        return len(uow.events_since(0))


@pytest.mark.parametrize(
    ("call", "argument", "meant"),
    [
        (lambda d, lead: d.assign("carol", lead, "bob", reson="x"), "reson", "reason"),
        (lambda d, _: d.import_leads("carol", "east", [], chunksize=5), "chunksize", "chunk_size"),
        (lambda d, lead: d.change_owner("carol", lead, "dave", reasn="x"), "reasn", "reason"),
        (lambda d, lead: d.release("bob", lead, reson="x"), "reson", "reason"),
        (lambda d, lead: d.get("bob", lead, follow_merged=True), "follow_merged", "follow_merge"),
    ],
)
def test_a_misspelt_keyword_is_named_with_the_one_meant(
    world: World, call: object, argument: str, meant: str
) -> None:
    lead = new_lead(world)
    world.desk.assign("carol", lead, "bob")
    before = _events(world)
    with pytest.raises(ArgumentError) as raised:
        call(world.desk, lead)  # type: ignore[operator]
    error = raised.value
    assert isinstance(error, LeadcoreError | ValidationError | TypeError)
    assert error.fields == (argument,)
    assert f"did you mean {meant!r}?" in str(error)
    assert _events(world) == before


def test_a_keyword_like_no_argument_lists_the_ones_there_are(world: World) -> None:
    lead = new_lead(world)
    with pytest.raises(ArgumentError) as raised:
        world.desk.get("bob", lead, qqq=1)  # type: ignore[call-arg]
    assert "qqq: is not an argument of get (its arguments: actor_id, lead_id" in str(raised.value)


def test_a_missing_argument_is_named_and_too_many_are_said(world: World) -> None:
    lead = new_lead(world)
    with pytest.raises(ArgumentError) as raised:
        world.desk.assign("carol", lead)  # type: ignore[call-arg]
    assert raised.value.fields == ("owner_id",)
    assert "owner_id: is required" in str(raised.value)
    with pytest.raises(ArgumentError, match="too many positional arguments"):
        world.desk.assign("carol", lead, "bob", "x", "y")  # type: ignore[call-arg]


def test_a_type_error_from_inside_a_method_is_not_mistaken_for_a_misfit_call(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("a bug inside")

    lead = new_lead(world)
    monkeypatch.setattr(world.desk._runner, "run", broken)
    with pytest.raises(TypeError, match="a bug inside") as raised:
        world.desk.assign("carol", lead, "bob")
    assert not isinstance(raised.value, LeadcoreError)


def test_every_public_method_of_the_desk_checks_its_arguments() -> None:
    public = [
        name
        for name in dir(LeadDesk)
        if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(LeadDesk, name))
    ]
    assert len(public) > 40
    for name in public:
        method = getattr(LeadDesk, name)
        assert hasattr(method, "__wrapped__"), name
        assert method.__doc__, name  # the wrapper keeps the method's own name and docstring
        assert method.__name__ == name


def test_building_a_desk_names_a_misspelt_or_missing_argument() -> None:
    clock = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))
    with pytest.raises(ArgumentError) as raised:
        LeadDesk(MemoryStore(), clock, OrgChart(), stratgies={})  # type: ignore[call-arg]
    assert "stratgies: is not an argument of LeadDesk; did you mean 'strategies'?" in str(
        raised.value
    )
    with pytest.raises(ArgumentError, match="org: is required"):
        LeadDesk(MemoryStore(), clock)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("build", "said"),
    [
        (
            lambda: SQLiteStore(":memory:", busy_timout=5),  # type: ignore[call-arg]
            "busy_timout: is not an argument of SQLiteStore; did you mean 'busy_timeout'?",
        ),
        (lambda: MemoryStore(normalizer=None), "did you mean 'normaliser'?"),  # type: ignore[call-arg]
        (lambda: Pool(id="p", nmae="池"), "nmae: is not an argument of Pool; did you mean 'name'?"),  # type: ignore[call-arg]
        (lambda: User("wang", rols={"admin"}), "did you mean 'roles'?"),  # type: ignore[call-arg]
        (lambda: OrgChart(user=[]), "did you mean 'users'?"),  # type: ignore[call-arg]
        (lambda: WorkingCalendar({}, time_zone="UTC"), "did you mean 'timezone'?"),  # type: ignore[call-arg]
        (lambda: Pool(name="池"), "id: is required"),  # type: ignore[call-arg]
    ],
)
def test_records_stores_and_directories_name_a_misfit_argument(build: object, said: str) -> None:
    with pytest.raises(ArgumentError) as raised:
        build()  # type: ignore[operator]
    assert said in str(raised.value)


_BUILT_BY_THE_LIBRARY: Final = frozenset(
    getattr(leadcore, name)
    for name in (
        "Choice",
        "Decision",
        "DedupKey",
        "Due",
        "DueDate",
        "Event",
        "FieldChange",
        "FieldProblem",
        "FollowUp",
        "Lead",
        "Needs",
        "OwnerFacts",
        "OwnershipRecord",
        "Outcome",
        "Reach",
        "Reads",
        "RowResult",
        "ViewScope",
    )
)
"""Records the library builds for every lead it handles, where checking the constructor's
arguments would cost up to 0.8 µs each (and ``FieldProblem``, part of the errors themselves)."""


def _public_classes() -> list[type]:
    """Every class ``leadcore`` exports that a host builds by calling it (not an error, an enum,
    a protocol or a record the library builds for itself)."""
    found = []
    for name in leadcore.__all__:
        value = getattr(leadcore, name)
        if (
            inspect.isclass(value)
            and not issubclass(value, BaseException | enum.Enum)
            and not getattr(value, "_is_protocol", False)
            and value not in _BUILT_BY_THE_LIBRARY
        ):
            found.append(value)
    return found


@pytest.mark.parametrize("cls", _public_classes(), ids=lambda c: c.__name__)
def test_every_public_class_names_a_misspelt_keyword(cls: type) -> None:
    init = inspect.getattr_static(cls, "__init__")
    assert hasattr(init, "__wrapped__"), f"{cls.__name__} is not @checked_constructor"
    with pytest.raises(ArgumentError) as raised:
        cls(no_such_argument=1)
    assert f"no_such_argument: is not an argument of {cls.__name__}" in str(raised.value)


def test_the_sweep_of_public_classes_finds_the_usual_ones() -> None:
    names = {c.__name__ for c in _public_classes()}
    assert {
        "LeadRules",
        "LeadQuery",
        "LeadFilter",
        "RoundRobin",
        "SlaPolicy",
        "ScoreSheet",
        "Money",
    } <= names
    assert len(names) > 80
