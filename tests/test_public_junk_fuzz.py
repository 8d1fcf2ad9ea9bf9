"""Every public function and class of ``leadcore``, and every public method of the ones that
can be made without arguments, called with arbitrary arguments: only ``LeadcoreError``
subclasses come out (the desk's own methods have ``test_public_api_fuzz``)."""

from __future__ import annotations

import enum
import inspect
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leadcore
from leadcore import LeadcoreError, MemoryStore
from leadcore.testing.world import ORG, make_world, new_lead

JUNK: list[Any] = [
    None,
    True,
    0,
    -1,
    10**400,
    float("nan"),
    "",
    "x",
    "\udcff",
    "a\x00b",
    "x" * 100_000,
    b"ab",
    datetime(2027, 1, 1),
    datetime(2027, 1, 1, tzinfo=UTC),
    timedelta(days=-1),
    Decimal("NaN"),
    [],
    ["a", 3],
    {},
    {"a": 1},
    {"a": {"b": [1]}},
    ("a",),
    object(),
    "bob",
    "L1",
    1.5,
    set(),
]
_WORLD = make_world(MemoryStore())
JUNK.append(_WORLD.desk.get("bob", new_lead(_WORLD)))


def _is_protocol(obj: object) -> bool:
    return inspect.isclass(obj) and Protocol in getattr(obj, "__mro__", ())


def _callables() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for name in leadcore.__all__:
        obj = getattr(leadcore, name)
        if not callable(obj) or _is_protocol(obj):
            continue
        if inspect.isclass(obj) and issubclass(obj, BaseException | enum.Enum):
            continue
        found[name] = obj
    return found


def _instances() -> dict[str, object]:
    made: dict[str, object] = {}
    for name, obj in _callables().items():
        if inspect.isclass(obj):
            try:
                made[name] = obj()
            except (LeadcoreError, TypeError):  # a class whose arguments are required
                continue
    made["org"] = ORG
    return made


CALLABLES = _callables()
METHODS = {
    f"{owner}.{name}": getattr(instance, name)
    for owner, instance in _instances().items()
    for name in dir(instance)
    if not name.startswith("_")
    and callable(getattr(instance, name, None))
    and not inspect.isclass(getattr(instance, name))
}


def _parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    skipped = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p for p in signature.parameters.values() if p.kind not in skipped]


@pytest.fixture(scope="module", autouse=True)
def _in_a_scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A store given a junk text as its path makes a file of that name: keep them apart."""
    here = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("junk"))
    yield
    os.chdir(here)


def _call_with_junk(data: st.DataObject, table: dict[str, Callable[..., Any]]) -> None:
    name = data.draw(st.sampled_from(sorted(table)), label="callable")
    function = table[name]
    kwargs = {
        p.name: data.draw(st.sampled_from(JUNK), label=p.name)
        for p in _parameters(function)
        if p.default is inspect.Parameter.empty or data.draw(st.booleans(), label="give")
    }
    try:
        result = function(**kwargs)
        if inspect.isgenerator(result):
            list(result)
    except LeadcoreError:
        pass


@settings(max_examples=1500, deadline=None)
@given(data=st.data())
def test_public_functions_and_classes_refuse_junk_with_a_leadcore_error(
    data: st.DataObject,
) -> None:
    _call_with_junk(data, CALLABLES)


@settings(max_examples=1500, deadline=None)
@given(data=st.data())
def test_public_methods_refuse_junk_with_a_leadcore_error(data: st.DataObject) -> None:
    _call_with_junk(data, METHODS)


def test_the_fuzz_reaches_what_hosts_build_and_call() -> None:
    for name in ("LeadRules", "GradeScale", "Choice", "Needs", "Team", "normalise_phone"):
        assert name in CALLABLES
    for name in ("RoundRobin.choose", "Normaliser.phone", "org.user", "LeadQuery.select"):
        assert name in METHODS
