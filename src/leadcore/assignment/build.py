"""Build strategies from plain data (dicts, JSON, TOML).

A strategy is a table with a ``kind``; composite kinds nest other tables::

    {"kind": "router",
     "teams": {"east": ["u1", "u2"], "north": ["u3", "u4"]},
     "rules": [{"when": {"region": "华东"}, "team": "east"},
               {"when": {"score": {"min": 80}}, "users": ["u9"]}],
     "default": "north",
     "then": {"kind": "least_loaded", "capacity": {"u1": 30}}}

A rule sends leads to ``team`` (a name from ``teams``, or a list of user ids) or to ``users``.
Beside ``users``, ``team`` only labels that list: naming a team under ``teams`` there is refused,
as the rule would give two user lists. The values a ``when`` test matches are text (``"1"``, not
``1``).

Bad input raises ``ConfigError`` naming every path at fault (``$.rules[1].when.regoin``) and
what would be right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from leadcore.cadence import Schedule
from leadcore.config import kind_of, parse_source
from leadcore.errors import ConfigError, FieldProblem, ValidationError

from .balancers import LeastLoaded, PerformanceBased, RoundRobin, WeightedRoundRobin
from .core import Strategy, TieBreak
from .routing import Chain, RouteCondition, Router, RoutingRule
from .schedules import Scheduled, as_schedule

__all__ = ["KINDS", "build_strategy", "load_strategies"]

_LEAF_KEYS: Final = ("kind", "name", "users", "capacity", "default_capacity", "schedule")
_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "round_robin": _LEAF_KEYS,
    "weighted_round_robin": (*_LEAF_KEYS, "weights", "default_weight", "tie_break"),
    "least_loaded": (*_LEAF_KEYS, "tie_break"),
    "performance": (*_LEAF_KEYS, "tie_break", "dimension", "min_sample", "fallback"),
    "router": ("kind", "name", "teams", "rules", "default", "then", "schedule"),
    "chain": ("kind", "name", "steps", "schedule"),
}
KINDS: Final = tuple(_KEYS)
"""The strategy kinds ``build_strategy`` knows."""


class _Bad(Exception):
    """A value could not be read; its problems are already recorded."""


MAX_NESTING: Final = 32
"""How deeply strategies may sit inside one another (a chain's steps, a fallback's ``then``)."""


class _Reader:
    """Reads values out of plain data, recording a problem per bad path."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []
        self.depth = 0  # strategies being read inside one another

    def bad(self, path: str, reason: str) -> _Bad:
        self.problems.append(FieldProblem(path, reason))
        return _Bad(path)

    def table(self, value: object, path: str, what: str) -> Mapping[str, object]:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise self.bad(path, f"must be a table (mapping) of {what}")
        return value

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.bad(path, "must be a non-empty string")
        return value

    def whole(self, value: object, path: str, *, least: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise self.bad(path, f"must be a whole number >= {least}, not {value!r}")
        return value

    def number(self, value: object, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.bad(path, f"must be a number, not {value!r}")
        return float(value)

    def users(self, value: object, path: str) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise self.bad(path, 'must be a list of user ids, e.g. ["u1", "u2"]')
        found: list[str] = []
        failed = False
        for i, item in enumerate(value):
            try:
                found.append(self.text(item, f"{path}[{i}]"))
            except _Bad:
                failed = True
        if failed:
            raise _Bad(path)
        return tuple(found)

    def ints(self, value: object, path: str) -> dict[str, int]:
        table = self.table(value, path, "user id → whole number")
        found: dict[str, int] = {}
        failed = False
        for user, n in table.items():
            try:
                found[user] = self.whole(n, f"{path}.{user}")
            except _Bad:
                failed = True
        if failed:
            raise _Bad(path)
        return found

    def tie_break(self, value: object, path: str) -> TieBreak:
        choices = ", ".join(t.value for t in TieBreak)
        if not isinstance(value, str):
            raise self.bad(path, f"must be one of: {choices}")
        try:
            return TieBreak.parse(value)
        except ValueError:
            raise self.bad(path, f"{value!r} is not a tie-break; use one of: {choices}") from None

    def build(self, data: object, path: str, name: str | None) -> Strategy:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise self.bad(path, f"nests strategies too deeply (at most {MAX_NESTING} levels)")
            return self._build(data, path, name)
        finally:
            self.depth -= 1

    def _build(self, data: object, path: str, name: str | None) -> Strategy:
        spec = self.table(data, path, f"settings with a 'kind' ({', '.join(KINDS)})")
        kind = spec.get("kind")
        if kind is None:
            raise self.bad(f"{path}.kind", f"is required; one of: {', '.join(KINDS)}")
        if not isinstance(kind, str) or kind not in _KEYS:
            raise self.bad(
                f"{path}.kind", f"{kind!r} is not a strategy kind; use one of: {', '.join(KINDS)}"
            )
        known = _KEYS[kind]
        failed = False
        for key in spec:
            if key not in known:
                self.bad(f"{path}.{key}", f"is not a setting of {kind}; known: {', '.join(known)}")
                failed = True
        own = spec.get("name", name if name is not None else kind)
        if name is not None and "name" in spec and spec["name"] != name:
            raise self.bad(
                f"{path}.name", f"must match the strategy's key {name!r} (or be left out)"
            )
        strategy_name = self.text(own, f"{path}.name")
        fields: dict[str, object] = {"name": strategy_name}
        readers: dict[str, Callable[[object, str], object]] = {
            "users": self.users,
            "capacity": self.ints,
            "weights": self.ints,
            "default_capacity": lambda v, p: None if v is None else self.whole(v, p),
            "default_weight": self.whole,
            "min_sample": lambda v, p: self.whole(v, p, least=1),
            "dimension": self.text,
            "tie_break": self.tie_break,
            "fallback": lambda v, p: self.build(v, p, f"{strategy_name}.fallback"),
            "then": lambda v, p: self.build(v, p, f"{strategy_name}.then"),
            "steps": lambda v, p: self.steps(v, p, strategy_name),
        }
        if kind == "router":
            if "then" not in spec:
                fields["then"] = RoundRobin(name=f"{strategy_name}.then")
            try:
                fields.update(self.router_parts(spec, path))
            except _Bad:
                failed = True
        schedule, read = self.schedule_in(spec, path)
        failed = failed or not read
        for key, value in spec.items():
            if key in ("kind", "name", "teams", "rules", "default", "schedule") or key not in known:
                continue
            try:
                fields[key] = readers[key](value, f"{path}.{key}")
            except _Bad:
                failed = True
        if failed:
            raise _Bad(path)
        built = self.construct(kind, fields, path)
        return built if schedule is None else Scheduled(built, schedule)

    def schedule_in(self, spec: Mapping[str, object], path: str) -> tuple[Schedule | None, bool]:
        """The ``schedule`` of a strategy or rule table (None when it has none) and whether it
        could be read (its problems are recorded when not)."""
        if "schedule" not in spec:
            return None, True
        try:
            found = as_schedule(spec["schedule"], f"{path}.schedule")  # type: ignore[arg-type]
        except ValidationError as e:
            self.problems.extend(e.problems)
            return None, False
        return found, True

    def construct(self, kind: str, fields: dict[str, object], path: str) -> Strategy:
        classes: dict[str, Callable[..., Strategy]] = {
            "round_robin": RoundRobin,
            "weighted_round_robin": WeightedRoundRobin,
            "least_loaded": LeastLoaded,
            "performance": PerformanceBased,
            "router": Router,
            "chain": Chain,
        }
        try:
            return classes[kind](**fields)
        except ValidationError as e:
            for p in e.problems:
                self.problems.append(FieldProblem(f"{path}.{_dotted(p.field)}", p.reason))
            raise _Bad(path) from None

    def steps(self, value: object, path: str, owner: str) -> tuple[Strategy, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise self.bad(path, "must be a non-empty list of strategies")
        found: list[Strategy] = []
        failed = False
        for i, item in enumerate(value):
            try:
                found.append(self.build(item, f"{path}[{i}]", f"{owner}.step{i + 1}"))
            except _Bad:
                failed = True
        if failed:
            raise _Bad(path)
        return tuple(found)

    def router_parts(self, spec: Mapping[str, object], path: str) -> dict[str, object]:
        teams: dict[str, tuple[str, ...]] = {}
        failed = False
        if "teams" in spec:
            table = self.table(spec["teams"], f"{path}.teams", "team name → user ids")
            for team, users in table.items():
                try:
                    teams[team] = self.users(users, f"{path}.teams.{team}")
                except _Bad:
                    failed = True
        rules: list[RoutingRule] = []
        raw_rules = spec.get("rules", [])
        if not isinstance(raw_rules, list | tuple):
            raise self.bad(f"{path}.rules", "must be a list of {when, team | users} tables")
        for i, raw in enumerate(raw_rules):
            try:
                rules.append(self.rule(raw, f"{path}.rules[{i}]", teams))
            except _Bad:
                failed = True
        parts: dict[str, object] = {"rules": tuple(rules)}
        if "default" in spec:
            try:
                parts["default"] = self.team_users(spec["default"], f"{path}.default", teams)[1]
            except _Bad:
                failed = True
        if failed:
            raise _Bad(path)
        return parts

    def team_users(
        self, value: object, path: str, teams: Mapping[str, tuple[str, ...]]
    ) -> tuple[str | None, tuple[str, ...]]:
        if isinstance(value, str):
            if value not in teams:
                known = ", ".join(teams) or "none are defined under 'teams'"
                raise self.bad(path, f"names unknown team {value!r}; known teams: {known}")
            return value, teams[value]
        return None, self.users(value, path)

    def rule(self, raw: object, path: str, teams: Mapping[str, tuple[str, ...]]) -> RoutingRule:
        spec = self.table(raw, path, "when / team / users")
        failed = False
        for key in spec:
            if key not in ("when", "team", "users", "schedule"):
                self.bad(
                    f"{path}.{key}", "is not a rule setting; known: when, team, users, schedule"
                )
                failed = True
        schedule, read = self.schedule_in(spec, path)
        failed = failed or not read
        conditions: list[RouteCondition] = []
        when = self.table(spec.get("when", {}), f"{path}.when", "lead field → value(s)")
        for field, test in when.items():
            try:
                conditions.append(self.condition(field, test, f"{path}.when.{field}"))
            except _Bad:
                failed = True
        name: str | None = None
        users: tuple[str, ...] = ()
        try:
            if "users" in spec:
                users = self.users(spec["users"], f"{path}.users")
                if "team" in spec:
                    name = self.text(spec["team"], f"{path}.team")
                    if name in teams:  # two user lists for one rule: neither may win silently
                        raise self.bad(
                            path,
                            f"gives both team {name!r}, a team under 'teams', and users: give "
                            "one of them (beside users, team only names that list and must "
                            "not be a team under 'teams')",
                        )
            elif "team" in spec:
                name, users = self.team_users(spec["team"], f"{path}.team", teams)
            else:
                raise self.bad(path, "needs a team (a name from 'teams' or a list) or users")
        except _Bad:
            failed = True
        if failed:
            raise _Bad(path)
        try:
            return RoutingRule(tuple(conditions), users, name, schedule)
        except ValidationError as e:
            for p in e.problems:
                self.problems.append(FieldProblem(f"{path}.{p.field}", p.reason))
            raise _Bad(path) from None

    def condition(self, field: str, test: object, path: str) -> RouteCondition:
        try:
            if field == "score":
                if not isinstance(test, Mapping):
                    raise self.bad(
                        path, 'score is tested with a range, e.g. {"min": 60, "max": 80}'
                    )
                extra = set(test) - {"min", "max"}
                if extra:
                    raise self.bad(
                        f"{path}.{sorted(extra)[0]}", "score ranges take only min and max"
                    )
                low = None if test.get("min") is None else self.number(test["min"], f"{path}.min")
                high = None if test.get("max") is None else self.number(test["max"], f"{path}.max")
                return RouteCondition(field, min=low, max=high)
            values = [test] if isinstance(test, str) else test
            if not isinstance(values, list | tuple):
                reason = 'must be a text value or a list of them, e.g. ["华东", "华南"]'
                raise self.bad(path, f"{reason}, not {kind_of(test)}{_as_text(test)}")
            wrong = [i for i, v in enumerate(values) if not isinstance(v, str)]
            for i in wrong:
                self.bad(
                    f"{path}[{i}]", f"must be text, not {kind_of(values[i])}{_as_text(values[i])}"
                )
            if wrong:
                raise _Bad(path)
            return RouteCondition(field, frozenset(values))
        except ValidationError as e:
            for p in e.problems:
                where = path if p.field in ("field", "values") else f"{path}.{p.field}"
                self.problems.append(FieldProblem(where, p.reason))
            raise _Bad(path) from None


def _as_text(value: object) -> str:
    """For a number where a rule wants text: how to write it (``; write it as text: "1"``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'; write it as text: "{value}"'
    return ""


def _dotted(field: str) -> str:
    """``capacity[u1]`` → ``capacity.u1`` so paths read like the config."""
    return field.replace("[", ".").replace("]", "") if not field.startswith("users[") else field


def build_strategy(
    data: Mapping[str, object], *, path: str = "$", name: str | None = None
) -> Strategy:
    """Build one strategy from plain data (see the module docstring for the shape).

    ``name`` names it when the data does not (default: its kind); nested strategies are named
    after it (``{name}.then``, ``{name}.step1``). Raises ``ConfigError`` naming every bad path."""
    reader = _Reader()
    try:
        return reader.build(data, path, name)
    except _Bad:
        raise ConfigError.from_problems(reader.problems) from None


def load_strategies(source: str | Path | Mapping[str, object]) -> dict[str, Strategy]:
    """Build a named set of strategies (pools name them in ``Pool.auto_assign``).

    ``source`` is a mapping, JSON text (starts with ``{``), TOML text, or a ``.json`` / ``.toml``
    file as a ``pathlib.Path`` (a path given as text is refused, saying so). Its top level maps
    each name to a strategy table, optionally under one ``strategies`` key. Raises
    ``ConfigError`` naming every bad path (``$.strategies.east.then.capacity.u1``)."""
    data = parse_source(source)
    reader = _Reader()
    path = "$"
    try:
        table = reader.table(data, path, "strategy name → strategy")
        if set(table) == {"strategies"}:
            path = "$.strategies"
            table = reader.table(table["strategies"], path, "strategy name → strategy")
    except _Bad:
        raise ConfigError.from_problems(reader.problems) from None
    built: dict[str, Strategy] = {}
    for key, spec in table.items():
        try:
            if ":" in key:
                raise reader.bad(f"{path}.{key}", "a strategy name must not contain ':'")
            built[key] = reader.build(spec, f"{path}.{key}", key)
        except _Bad:
            continue
    if reader.problems:
        raise ConfigError.from_problems(reader.problems)
    return built
