"""Every public method of ``LeadDesk`` and every config loader, called with arbitrary arguments:
only ``LeadcoreError`` subclasses come out, each saying what is wrong, and after any refusal the
store is exactly as it was."""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcore import (
    Action,
    Attachment,
    AttachmentKind,
    Away,
    LeadcoreError,
    LeadDesk,
    LeadStatus,
    MemoryStore,
    Policy,
    Pool,
    SlaPolicy,
    ValidationError,
    View,
    load_strategies,
)
from leadcore.assignment import build_strategy
from leadcore.cadence import Cadence, CadencePlan, Schedule, SlaClock, WorkingCalendar
from leadcore.conditions import load_conditions
from leadcore.config import structure
from leadcore.conversion import ConversionMapping
from leadcore.dedup import DedupRules, Normaliser
from leadcore.policy import QuotaPolicy, load_quota_policies
from leadcore.scoring import PredictiveModel, ScoreModel
from leadcore.testing.world import T0, World, make_world, new_lead

_deep_cursor = base64.urlsafe_b64encode(b"[" * 100_000).decode()

# Values people (and attackers) pass by mistake: wrong types, huge and non-finite numbers,
# broken Unicode, naive datetimes, nested junk — and real ids, so calls reach deep code.
JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.just("\udcff"),
    st.just("a\x00b"),
    st.just("x" * 100_000),
    st.binary(max_size=10),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.just(timedelta(days=-1)),
    st.just(Decimal("NaN")),
    st.just(_deep_cursor),
    st.sampled_from(list(LeadStatus) + list(Action) + list(View)),
    st.sampled_from(["bob", "carol", "sysadmin", "zoe", "ghost", "east", "north", "L1", "L2"]),
    st.lists(st.sampled_from(["bob", "L1", 3, None, "待跟进", "assigned"]), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
    st.just(Attachment(AttachmentKind.DOCUMENT, "doc-1")),
    st.just([Away("bob", T0, T0 + timedelta(hours=1))]),
    st.just(Pool(id="p-new", name="新池")),
)

USERS = st.sampled_from(["bob", "carol", "sysadmin", "erin", "dave", "mgr", "zoe"])
LEADS = st.sampled_from(["L1", "L2"])
# Plausible values by parameter name, so that calls get past the first check and reach the
# deeper ones; each argument is junk a quarter of the time.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "actor_id": USERS,
    "user_id": USERS,
    "owner_id": USERS,
    "new_owner_id": USERS,
    "grantee_id": USERS,
    "lead_id": LEADS,
    "lead_ids": st.lists(LEADS, max_size=3),
    "user_ids": st.lists(USERS, max_size=2),
    "pool_id": st.sampled_from(["east", "north", "off"]),
    "to_pool_id": st.sampled_from(["east", "north"]),
    "grant_id": st.sampled_from(["G1", "G2"]),
    "method": st.sampled_from(["phone", "电话", "fax"]),
    "content": st.sampled_from(["电话沟通", "", "a\nb"]),
    "result": st.sampled_from(["有意向", " "]),
    "kind": st.sampled_from(["pricing_page_visit", ""]),
    "reason": st.sampled_from(["理由", " ", None]),
    "customer_id": st.sampled_from(["C1", ""]),
    "hours": st.sampled_from([1, 2.5, 0, -1, 10**9]),
    "view": st.sampled_from(["mine", "pool", "all", "mien"]),
    "statuses": st.lists(st.sampled_from(["assigned", "待跟进", "asigned"]), max_size=2),
    "limit": st.sampled_from([1, 10, 1000, 1001]),
    "offset": st.sampled_from([0, 3]),
    "periods": st.just([(T0, T0 + timedelta(hours=2))]),
    "pool": st.just(Pool(id="p-new", name="新池")),
    "customer_fields": st.sampled_from([{"客户等级": "A"}, {"": 1}, {"x": object()}]),
    "customer_owner_id": USERS,
    "deal": st.booleans(),
    "signals": st.lists(st.sampled_from(["demo_requested", "申请演示", "nope"]), max_size=2),
}


def argument(name: str) -> st.SearchStrategy[Any]:
    """A plausible value for parameter ``name`` most of the time, junk otherwise."""
    plausible = PLAUSIBLE.get(name)
    if plausible is None:
        return JUNK
    return st.one_of(plausible, plausible, plausible, JUNK)


_calls_per_method = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    deadline=None,
)

METHODS = sorted(
    name
    for name, member in inspect.getmembers(LeadDesk, inspect.isfunction)
    if not name.startswith("_")
)


def fresh_world() -> World:
    world = make_world(MemoryStore())
    first = new_lead(world)  # L1, unassigned in east
    new_lead(world, pool="north")  # L2, owned by erin
    world.desk.assign("carol", first, "bob")
    return world


def check_refusal(error: LeadcoreError) -> None:
    """A refusal says what is wrong: a validation error names at least one field."""
    assert str(error)
    if isinstance(error, ValidationError):
        assert error.fields


@pytest.mark.parametrize("method", METHODS)
@_calls_per_method
@given(data=st.data())
def test_only_leadcore_errors_escape_and_refusals_write_nothing(
    method: str, data: st.DataObject
) -> None:
    world = fresh_world()
    function = getattr(world.desk, method)
    signature = inspect.signature(function)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            extra = data.draw(
                st.dictionaries(
                    st.sampled_from(
                        ["company", "colour", "phone", "name", "budget", "claim_enabled", "admins"]
                    ),
                    JUNK,
                    max_size=2,
                )
            )
            kwargs.update(extra)
            continue
        if parameter.default is not inspect.Parameter.empty and data.draw(st.booleans()):
            continue  # leave optional arguments out half the time
        value = data.draw(argument(name), label=name)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    before = world.store.snapshot()
    try:
        function(*args, **kwargs)
    except LeadcoreError as error:
        check_refusal(error)
        assert world.store.snapshot() == before, f"{method} wrote something and refused"
    except Exception as error:  # anything else is a bug
        raise AssertionError(
            f"{method}{args}{kwargs} raised {type(error).__name__}: {error}"
        ) from error


LOADERS: dict[str, Callable[[Any], object]] = {
    "Policy.from_dict": Policy.from_dict,
    "Policy.from_json": Policy.from_json,
    "Policy.from_toml": Policy.from_toml,
    "ScoreModel.from_dict": ScoreModel.from_dict,
    "ScoreModel.from_json": ScoreModel.from_json,
    "ScoreModel.from_toml": ScoreModel.from_toml,
    "PredictiveModel.from_dict": PredictiveModel.from_dict,
    "load_strategies": load_strategies,
    "build_strategy": build_strategy,
    "structure(Pool)": lambda data: structure(data, Pool),
    **{
        f"{cls.__name__}.{how}": getattr(cls, how)
        for cls in (
            Cadence,
            CadencePlan,
            WorkingCalendar,
            Schedule,
            SlaClock,
            DedupRules,
            Normaliser,
            ConversionMapping,
        )
        for how in ("from_dict", "from_json", "from_toml")
    },
    "SlaPolicy.from_dict": SlaPolicy.from_dict,
    "SlaPolicy.from_json": SlaPolicy.from_json,
    "SlaPolicy.from_toml": SlaPolicy.from_toml,
    "load_quota_policies": load_quota_policies,
    "QuotaPolicy.from_dict": QuotaPolicy.from_dict,
    "load_conditions": load_conditions,
}

CONFIG_JUNK: st.SearchStrategy[Any] = st.one_of(
    JUNK,
    st.just("[]"),
    st.just("[" * 5_000),
    st.just('{"a": ' + "9" * 5_000 + "}"),
    st.just({"rules": [{"role": "owner", "actions": ["view"], "statuses": "assigned"}]}),
    st.just({"dimensions": [{"field": "industry", "weight": 10**400, "values": {"a": 1}}]}),
    st.just({"fields": ["source"], "converted": float("inf"), "lost": 1, "counts": {}}),
    st.just({"kind": "router", "rules": "x"}),
    st.just({"customer": {"fields": [{"from": "budget", "to": "x", "bands": [{"below": "x"}]}]}}),
    st.just({"deal": {"fields": [{"from": "industry", "to": "y", "values": {"a": [1]}}]}}),
    st.just({"rules": [{"name": "r", "when": {"all": [{"since": "created", "days": 1e308}]}}]}),
    st.just({"ladder": [{"name": "x", "hours": 2, "notify": [None]}], "clock": "wall"}),
    st.recursive(
        st.none() | st.integers() | st.text(max_size=4),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=10,
    ),
)


@pytest.mark.parametrize("loader", sorted(LOADERS))
@_calls_per_method
@given(data=CONFIG_JUNK)
def test_config_loaders_raise_only_leadcore_errors(loader: str, data: Any) -> None:
    try:
        LOADERS[loader](data)
    except LeadcoreError as error:
        check_refusal(error)
    except Exception as error:
        raise AssertionError(
            f"{loader}({data!r:.80}) raised {type(error).__name__}: {error}"
        ) from error


def test_a_crafted_deep_cursor_is_refused_cleanly() -> None:
    world = fresh_world()
    with pytest.raises(ValidationError, match="cursor"):
        world.desk.leads("carol", view="pool", pool_id="east", cursor=_deep_cursor)
    with pytest.raises(ValidationError, match="cursor"):
        world.desk.leads("carol", cursor="e" * 10_000)
