"""Assignment inputs at the edge: a str is never split into characters, a route test that can
never match is refused, and each wrong argument is a ``ValidationError`` naming it."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from leadcore import CompanySize, ConfigError, ValidationError
from leadcore.assignment import (
    Chain,
    LeastLoaded,
    MemoryContext,
    PerformanceBased,
    RoundRobin,
    RouteCondition,
    Router,
    RoutingRule,
    WeightedRoundRobin,
    build_strategy,
    lead_values,
    load_strategies,
    plan_distribution,
)
from leadcore.model import Lead

T = datetime(2026, 3, 2, tzinfo=UTC)


def _lead(**fields: object) -> Lead:
    return Lead(id="L", pool_id="e", created_by="x", created_at=T, **fields)  # type: ignore[arg-type]


def _ctx() -> MemoryContext:
    return MemoryContext(["wang", "zhao"], now=T, rng=random.Random(1))


def _refused(call: Callable[[], object], field: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.fields[0] == field, caught.value
    return caught.value


def test_company_size_routes_read_labels_and_refuse_what_never_matches() -> None:
    for given in ("大型", "large", "LARGE", "Large"):
        router = build_strategy(
            {
                "kind": "router",
                "rules": [{"when": {"company_size": given}, "users": ["wang"]}],
                "default": ["zhao"],
            }
        )
        choice = router.choose(_lead(company_size=CompanySize.LARGE), _ctx())
        assert choice.owner_id == "wang", (given, choice.reason)
    with pytest.raises(ConfigError) as caught:
        build_strategy(
            {"kind": "router", "rules": [{"when": {"company_size": "huge"}, "users": ["wang"]}]}
        )
    assert caught.value.path == "$.rules[0].when.company_size"
    assert "'huge' is not a company size" in str(caught.value)
    _refused(lambda: RouteCondition("company_size", {"huge"}), "values")


@pytest.mark.parametrize("bound", ["NaN", "Infinity", "-Infinity"])
def test_score_ranges_must_be_finite(bound: str) -> None:
    text = '{"a":{"kind":"router","rules":[{"when":{"score":{"min":%s}},"users":["li"]}]}}'
    with pytest.raises(ConfigError) as caught:
        load_strategies(text % bound)
    assert caught.value.path == "$.a.rules[0].when.score.min"
    assert "must be a finite number" in str(caught.value)


def test_score_bounds_must_be_numbers() -> None:
    _refused(lambda: RouteCondition("score", min="5"), "min")  # type: ignore[arg-type]
    _refused(lambda: RouteCondition("score", max=float("nan")), "max")
    assert RouteCondition("score", min=5, max=7.5).describe() == "5<=score<7.5"


STRINGS: list[tuple[Callable[[], object], str]] = [
    (lambda: RoundRobin(users="wang"), "users"),
    (lambda: LeastLoaded(users="wang"), "users"),
    (lambda: RouteCondition("region", "华东"), "values"),
    (lambda: RoutingRule([RouteCondition("region", {"a"})], "wang"), "users"),
    (lambda: Router(rules=[], default="wang"), "default"),
    (lambda: Chain("abc"), "steps"),  # type: ignore[arg-type]
    (lambda: Router(rules=[], then="x"), "then"),  # type: ignore[arg-type]
    (lambda: PerformanceBased(fallback="x"), "fallback"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "field"), STRINGS)
def test_a_string_is_never_split_into_characters(call: Callable[[], object], field: str) -> None:
    _refused(call, field)


BAD: list[tuple[Callable[[], object], str]] = [
    (lambda: WeightedRoundRobin(["wang"]), "weights"),  # type: ignore[arg-type]
    (lambda: LeastLoaded(capacity=["wang"]), "capacity"),  # type: ignore[arg-type]
    (lambda: LeastLoaded(tie_break="coin"), "tie_break"),
    (lambda: LeastLoaded(name=None), "name"),  # type: ignore[arg-type]
    (lambda: PerformanceBased(dimension=None), "dimension"),  # type: ignore[arg-type]
    (lambda: RouteCondition("region", None), "values"),  # type: ignore[arg-type]
    (lambda: RouteCondition("region", {1}), "values[0]"),  # type: ignore[arg-type]
    (lambda: RouteCondition(None, {"a"}), "field"),  # type: ignore[arg-type]
    (lambda: RoutingRule(None, ["w"]), "when"),  # type: ignore[arg-type]
    (lambda: RoutingRule(["region"], ["w"]), "when[0]"),  # type: ignore[list-item]
    (lambda: Router(rules=None), "rules"),  # type: ignore[arg-type]
    (lambda: RoundRobin(users=None), "users"),  # type: ignore[arg-type]
    (lambda: Chain([RoundRobin(), "x"]), "steps[1]"),  # type: ignore[list-item]
    (lambda: RoundRobin().choose(None, _ctx()), "lead"),  # type: ignore[arg-type]
    (lambda: Router(rules=[], default=["w"]).choose(None, _ctx()), "lead"),  # type: ignore[arg-type]
    (lambda: plan_distribution(None, RoundRobin(), _ctx()), "leads"),  # type: ignore[arg-type]
    (lambda: plan_distribution([_lead()], "round_robin", _ctx()), "strategy"),  # type: ignore[arg-type]
    (lambda: plan_distribution([None], RoundRobin(), _ctx()), "leads[0]"),  # type: ignore[list-item]
    (lambda: plan_distribution([_lead()], RoundRobin(), None), "ctx"),  # type: ignore[arg-type]
    (lambda: MemoryContext(["wang"], now=T, rng=None), "rng"),  # type: ignore[arg-type]
    (lambda: MemoryContext(["wang"], now=T, rng=7), "rng"),  # type: ignore[arg-type]
    (lambda: MemoryContext(["wang"], now=datetime(2026, 1, 1), rng=random.Random()), "now"),
    (lambda: MemoryContext(["wang"], now=T, rng=random.Random(), away=[("wang", T, T)]), "away[0]"),  # type: ignore[list-item]
    (lambda: MemoryContext("wang", now=T, rng=random.Random()), "users"),
    (lambda: lead_values(_lead(), "regoin"), "field"),
]


@pytest.mark.parametrize(("call", "field"), BAD)
def test_a_wrong_argument_is_a_validation_error_naming_it(
    call: Callable[[], object], field: str
) -> None:
    _refused(call, field)


def test_what_was_right_still_works() -> None:
    assert RoundRobin(users=["wang", "li", "wang"]).users == ("wang", "li")
    assert RouteCondition("region", ["华东", "华南"]).values == frozenset({"华东", "华南"})
    rule = RoutingRule((RouteCondition("region", frozenset({"华东"})),), ("wang",), "east")
    router = Router(rules=[rule], default=["zhao"])
    assert router.choose(_lead(region="华东"), _ctx()).owner_id == "wang"
    assert Chain([RoundRobin(), LeastLoaded()]).choose(_lead(), _ctx()).owner_id is not None
    assert PerformanceBased(fallback=RoundRobin()).choose(_lead(), _ctx()).owner_id is not None


class _HostContext(MemoryContext):
    """A host's own context whose counts come from elsewhere (here: a bad source)."""

    def __init__(self, count: object) -> None:
        super().__init__(["wang", "zhao"], now=T, rng=random.Random(1))
        self._count = count

    def open_count(self, user_id: str) -> int:
        return self._count  # type: ignore[return-value]


@pytest.mark.parametrize("count", ["3", -1, 1.5, None, float("nan")])
def test_a_host_contexts_bad_open_count_is_named(count: object) -> None:
    _refused(lambda: LeastLoaded().choose(_lead(), _HostContext(count)), "open_count(wang)")


def test_a_host_contexts_good_open_counts_still_decide() -> None:
    assert LeastLoaded().choose(_lead(), _HostContext(2)).owner_id in {"wang", "zhao"}


@pytest.mark.parametrize("user_id", [None, "", "  bob ", 5, "a\x00b"])
def test_an_away_period_names_a_user(user_id: object) -> None:
    from datetime import timedelta

    from leadcore import Away

    _refused(lambda: Away(user_id, T, T + timedelta(days=1)), "user_id")  # type: ignore[arg-type]


@pytest.mark.parametrize("depth", [33, 400, 5_000])
def test_strategies_nested_too_deeply_are_refused_by_path(depth: int) -> None:
    data: dict[str, object] = {"kind": "round_robin"}
    for _ in range(depth):
        data = {"kind": "chain", "steps": [data]}
    with pytest.raises(ConfigError) as caught:
        build_strategy(data)
    assert "nests strategies too deeply" in str(caught.value)


def test_strategies_nested_within_the_limit_still_build() -> None:
    data: dict[str, object] = {"kind": "round_robin", "users": ["wang"]}
    for _ in range(31):
        data = {"kind": "chain", "steps": [data]}
    assert build_strategy(data) is not None
