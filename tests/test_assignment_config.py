"""Building strategies from plain data (dict / JSON / TOML); errors name the path at fault."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadcore import ConfigError
from leadcore.assignment import (
    KINDS,
    Chain,
    LeastLoaded,
    MemoryContext,
    PerformanceBased,
    RoundRobin,
    Router,
    TieBreak,
    WeightedRoundRobin,
    build_strategy,
    load_strategies,
)
from leadcore.testing.factories import make_lead

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ROUTER = {
    "kind": "router",
    "teams": {"east": ["u1", "u2"], "north": ["u3"]},
    "rules": [
        {"when": {"region": "华东", "industry": ["SaaS", "零售"]}, "team": "east"},
        {"when": {"score": {"min": 80}}, "users": ["u9"], "team": "vip"},
        {"when": {"source": "event"}, "team": ["u4", "u5"]},
    ],
    "default": "north",
    "then": {"kind": "least_loaded", "capacity": {"u1": 30}, "tie_break": "longest_wait"},
}


def test_router_from_a_dict() -> None:
    router = build_strategy(ROUTER, name="east_auto")
    assert isinstance(router, Router)
    assert router.name == "east_auto"
    assert [r.team for r in router.rules] == ["east", "vip", None]
    assert router.rules[0].users == ("u1", "u2")
    assert router.rules[2].users == ("u4", "u5")
    assert router.default == ("u3",)
    assert isinstance(router.then, LeastLoaded)
    assert router.then.name == "east_auto.then"
    assert router.then.capacity == {"u1": 30}
    assert router.then.tie_break is TieBreak.LONGEST_WAIT
    ctx = MemoryContext(["u1", "u2", "u3"], now=T0, rng=random.Random(1))
    choice = router.choose(make_lead("L", region="华东", industry="SaaS"), ctx)
    assert choice.reason.startswith(
        "rule region=华东, industry=SaaS|零售 → team east, least loaded"
    )


def test_every_kind_builds() -> None:
    specs: dict[str, dict[str, object]] = {
        "round_robin": {"users": ["a", "b"]},
        "weighted_round_robin": {"weights": {"a": 2}, "default_weight": 1},
        "least_loaded": {"default_capacity": 5},
        "performance": {
            "dimension": "source",
            "min_sample": 3,
            "fallback": {"kind": "round_robin"},
        },
        "router": {"rules": []},
        "chain": {"steps": [{"kind": "round_robin"}, {"kind": "least_loaded"}]},
    }
    types: dict[str, type] = {
        "round_robin": RoundRobin,
        "weighted_round_robin": WeightedRoundRobin,
        "least_loaded": LeastLoaded,
        "performance": PerformanceBased,
        "router": Router,
        "chain": Chain,
    }
    assert set(specs) == set(KINDS)
    for kind, extra in specs.items():
        built = build_strategy({"kind": kind, **extra})
        assert isinstance(built, types[kind])
        assert built.name == kind
    chain = build_strategy({"kind": "chain", "name": "c", "steps": [{"kind": "round_robin"}]})
    assert isinstance(chain, Chain) and chain.steps[0].name == "c.step1"


def test_router_without_then_round_robins_per_team() -> None:
    router = build_strategy({"kind": "router", "name": "r", "rules": [], "default": ["a"]})
    assert isinstance(router, Router) and isinstance(router.then, RoundRobin)
    assert router.then.name == "r.then"


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({}, "$.kind", "is required"),
        ({"kind": "roundrobin"}, "$.kind", "round_robin"),
        ([], "$", "must be a table"),
        ({"kind": "round_robin", "user": ["a"]}, "$.user", "known: kind, name, users"),
        ({"kind": "round_robin", "users": "a"}, "$.users", "list of user ids"),
        ({"kind": "round_robin", "users": ["a", ""]}, "$.users[1]", "non-empty"),
        ({"kind": "least_loaded", "capacity": {"u1": -2}}, "$.capacity.u1", ">= 0"),
        ({"kind": "least_loaded", "capacity": {"u1": "x"}}, "$.capacity.u1", "whole number"),
        ({"kind": "least_loaded", "tie_break": "oldest"}, "$.tie_break", "random, longest_wait"),
        ({"kind": "performance", "dimension": "mood"}, "$.dimension", "not a lead field"),
        ({"kind": "performance", "min_sample": 0}, "$.min_sample", ">= 1"),
        ({"kind": "chain", "steps": []}, "$.steps", "non-empty list"),
        ({"kind": "chain", "steps": [{"kind": "x"}]}, "$.steps[0].kind", "not a strategy kind"),
        (
            {"kind": "router", "rules": [{"when": {"regoin": "华东"}, "users": ["a"]}]},
            "$.rules[0].when.regoin",
            "is not one of",
        ),
        (
            {"kind": "router", "rules": [{"when": {"region": "华东"}, "team": "east"}]},
            "$.rules[0].team",
            "unknown team 'east'",
        ),
        (
            {"kind": "router", "rules": [{"when": {"score": 80}, "users": ["a"]}]},
            "$.rules[0].when.score",
            '{"min": 60',
        ),
        (
            {
                "kind": "router",
                "rules": [{"when": {"score": {"min": 90, "max": 10}}, "users": ["a"]}],
            },
            "$.rules[0].when.score.max",
            "greater than min",
        ),
        ({"kind": "router", "rules": [{"when": {}}]}, "$.rules[0]", "needs a team"),
        (
            {
                "kind": "router",
                "rules": [],
                "then": {"kind": "least_loaded", "capacity": {"a": -1}},
            },
            "$.then.capacity.a",
            ">= 0",
        ),
        ({"kind": "router", "rules": [], "default": "nobody"}, "$.default", "unknown team"),
        ({"kind": "round_robin", "name": "a:b"}, "$.name", "without ':'"),
    ],
)
def test_bad_config_names_the_path(data: object, path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_strategy(data)  # type: ignore[arg-type]
    assert caught.value.path == path
    assert words in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        build_strategy(
            {"kind": "least_loaded", "capacity": {"a": -1, "b": -2}, "tie_break": 3, "bogus": 1}
        )
    assert sorted(p.field for p in caught.value.problems) == [
        "$.bogus",
        "$.capacity.a",
        "$.capacity.b",
        "$.tie_break",
    ]


def test_load_strategies_from_json_toml_and_files(tmp_path: Path) -> None:
    json_text = (
        '{"strategies": {"fair": {"kind": "round_robin"}, "load": {"kind": "least_loaded"}}}'
    )
    toml_text = """
[east_auto]
kind = "router"
default = ["u3"]

[[east_auto.rules]]
when = { region = "华东" }
team = ["u1", "u2"]

[east_auto.then]
kind = "least_loaded"
capacity = { u1 = 30 }
"""
    from_json = load_strategies(json_text)
    assert sorted(from_json) == ["fair", "load"] and from_json["fair"].name == "fair"
    from_toml = load_strategies(toml_text)
    assert isinstance(from_toml["east_auto"], Router)
    (tmp_path / "s.toml").write_text(toml_text, encoding="utf-8")
    (tmp_path / "s.json").write_text(json_text, encoding="utf-8")
    assert sorted(load_strategies(tmp_path / "s.toml")) == ["east_auto"]
    assert sorted(load_strategies(tmp_path / "s.json")) == ["fair", "load"]
    assert sorted(load_strategies({"x": {"kind": "round_robin"}})) == ["x"]


def test_load_strategies_from_a_missing_or_undecodable_file_is_a_config_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="cannot read the TOML file"):
        load_strategies(tmp_path / "missing.toml")
    (tmp_path / "gbk.json").write_bytes(b"{}" + "轮询".encode("gbk"))
    with pytest.raises(ConfigError, match="cannot read the JSON file"):
        load_strategies(tmp_path / "gbk.json")


def test_load_strategies_errors_name_the_strategy() -> None:
    with pytest.raises(ConfigError) as caught:
        load_strategies({"strategies": {"ok": {"kind": "round_robin"}, "bad": {"kind": "?"}}})
    assert caught.value.path == "$.strategies.bad.kind"
    with pytest.raises(ConfigError, match="must match the strategy's key"):
        load_strategies({"a": {"kind": "round_robin", "name": "b"}})
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_strategies("{oops")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_strategies("= 1")
