"""Composition: a rule router (region, product line, source, industry, grade, score → a team;
first match wins, with a default) that hands the team to a balancer, and a chain that falls
through to the next strategy when one declines."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead, Pool

from .balancers import RoundRobin
from .choice import Choice, Team, decline
from .context import AssignmentContext
from .core import Needs, Strategy
from .fields import LEAD_FIELDS, lead_values

__all__ = ["Chain", "RouteCondition", "Router", "RoutingRule"]


def _frozen_strs(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _unique(users: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(users))


def _conditions(values: Iterable[RouteCondition]) -> tuple[RouteCondition, ...]:
    return tuple(values)


def _rules(values: Iterable[RoutingRule]) -> tuple[RoutingRule, ...]:
    return tuple(values)


def _steps(values: Iterable[Strategy]) -> tuple[Strategy, ...]:
    return tuple(values)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@attrs.frozen(slots=True)
class RouteCondition:
    """One test of a rule: the lead's ``field`` is one of ``values``; for ``score``, it lies in
    ``[min, max)`` (either bound may be left out).

    ``field`` is ``score``, a name in ``LEAD_FIELDS`` or ``custom.<name>``. Raises
    ``ValidationError`` for an unknown field or a test that does not fit it."""

    field: str
    values: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_strs)
    min: float | None = None
    max: float | None = None
    _attr: str | None = attrs.field(init=False, repr=False, eq=False, default=None)

    def __attrs_post_init__(self) -> None:
        if self.field in LEAD_FIELDS and self.field != "product_line":
            object.__setattr__(self, "_attr", self.field)  # a plain lead attribute: fast path
        problems = []
        if self.field == "score":
            if self.values:
                problems.append(FieldProblem("values", "score is tested with min / max"))
            if self.min is None and self.max is None:
                problems.append(FieldProblem("min", "score needs min, max or both"))
            if self.min is not None and self.max is not None and not self.max > self.min:
                problems.append(FieldProblem("max", "must be greater than min"))
        elif self.field in LEAD_FIELDS or self.field.startswith("custom."):
            if not self.values:
                problems.append(FieldProblem("values", "needs at least one value to match"))
            if self.min is not None or self.max is not None:
                problems.append(FieldProblem("min", "only score takes min / max"))
        else:
            known = ", ".join(("score", *LEAD_FIELDS, "custom.<name>"))
            problems.append(FieldProblem("field", f"{self.field!r} is not one of: {known}"))
        if problems:
            raise ValidationError(problems, subject=f"condition on {self.field!r}")

    def matches(self, lead: Lead) -> bool:
        """Whether the lead passes this test (a missing value never matches)."""
        if self.field == "score":
            score = lead.score
            if score is None:
                return False
            return (self.min is None or score >= self.min) and (
                self.max is None or score < self.max
            )
        if self._attr is not None:
            value = getattr(lead, self._attr)
            return value is not None and str(value) in self.values
        return any(v in self.values for v in lead_values(lead, self.field))

    def describe(self) -> str:
        """The test as text, e.g. ``region=华东`` or ``60<=score<80``."""
        if self.field == "score":
            if self.min is not None and self.max is not None:
                return f"{_num(self.min)}<=score<{_num(self.max)}"
            if self.min is not None:
                return f"score>={_num(self.min)}"
            return f"score<{_num(self.max)}"
        return f"{self.field}={'|'.join(sorted(self.values))}"


@attrs.frozen(slots=True)
class RoutingRule:
    """If the lead passes every condition in ``when`` (none: always), it goes to ``users``.

    ``team`` names the user list in reasons and scopes the balancer's state (its own cursor)."""

    when: tuple[RouteCondition, ...] = attrs.field(converter=_conditions)
    users: tuple[str, ...] = attrs.field(converter=_unique)
    team: str | None = None
    _text: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.users:
            raise ValidationError(
                [FieldProblem("users", "a rule must send leads to at least one user")],
                subject="rule",
            )
        object.__setattr__(self, "_text", ", ".join(c.describe() for c in self.when) or "always")

    def matches(self, lead: Lead) -> bool:
        """Whether every condition holds for ``lead``."""
        for condition in self.when:  # noqa: SIM110 - on the routing hot path a loop beats all()
            if not condition.matches(lead):
                return False
        return True

    def describe(self) -> str:
        """The conditions as text, e.g. ``region=华东, score>=60`` (``always`` for none)."""
        return self._text


@attrs.frozen(slots=True)
class Router:
    """RoutingRule routing: the first rule the lead matches picks the team, ``then`` picks the member.

    With no match the lead goes to the ``default`` users; with no default the router declines.
    Users of rules that did not match are listed in ``excluded`` ("rule … did not match").
    As a step inside another composition, the router still picks its own team.
    """

    rules: tuple[RoutingRule, ...] = attrs.field(converter=_rules)
    then: Strategy = attrs.field(factory=RoundRobin)
    default: tuple[str, ...] = attrs.field(default=(), converter=_unique)
    name: str = "router"
    kind: ClassVar[str] = "router"
    _unmatched: tuple[Mapping[str, str], ...] = attrs.field(init=False, repr=False, eq=False)
    _last: tuple[Lead, tuple[int, Team | None, str]] | None = attrs.field(
        init=False, repr=False, eq=False, default=None
    )

    def __attrs_post_init__(self) -> None:
        if not self.name.strip() or ":" in self.name:
            raise ValidationError(
                [FieldProblem("name", "must be a non-empty name without ':'")],
                subject=f"strategy {self.name!r}",
            )
        # First match wins, so when rule i matches, exactly rules 0..i-1 did not: the users they
        # name (and rule i does not) are excluded for that reason. Index len(rules) = default.
        unmatched: list[Mapping[str, str]] = []
        for index in range(len(self.rules) + 1):
            team = set(self.rules[index].users if index < len(self.rules) else self.default)
            found: dict[str, str] = {}
            for rule in self.rules[:index]:
                why = f"rule {rule.describe()} did not match"
                for uid in rule.users:
                    if uid not in team and uid not in found:
                        found[uid] = why
            unmatched.append(MappingProxyType(found))
        object.__setattr__(self, "_unmatched", tuple(unmatched))

    def _route(self, lead: Lead) -> tuple[int, Team | None, str]:
        """The first matching rule's index, its team and how it was reached (the default team
        at index ``len(rules)``; no team when nothing matched and there is no default).

        The last answer is kept for the same lead object: ``needs`` and then ``choose`` ask
        the same question about one lead, and leads are immutable, so the answer holds."""
        last = self._last
        if last is not None and last[0] is lead:
            return last[1]
        found = self._first_match(lead)
        object.__setattr__(self, "_last", (lead, found))
        return found

    def _first_match(self, lead: Lead) -> tuple[int, Team | None, str]:
        for index, rule in enumerate(self.rules):
            if rule.matches(lead):
                label = f"team {rule.team}" if rule.team else f"rule {index + 1}'s users"
                scope = f"{lead.pool_id}/{rule.team or f'rule{index + 1}'}"
                return index, Team(rule.users, scope, label), f"rule {rule.describe()} → {label}"
        index = len(self.rules)
        if not self.default:
            return index, None, "router: no rule matched and there is no default"
        team = Team(self.default, f"{lead.pool_id}/default", "the default team")
        return index, team, "no rule matched → the default team"

    def needs(self, lead: Lead, pool: Pool | None) -> Needs:
        """What the matching rule's team and ``then`` will read."""
        _, team, _ = self._route(lead)
        return Needs() if team is None else self.then.needs_among(lead, pool, team)

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """Same as :meth:`needs`: a router picks its own team."""
        return self.needs(lead, pool)

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """Route ``lead`` to the first matching rule's team and let ``then`` pick a member."""
        index, team, head = self._route(lead)
        if team is None:
            return decline(self.name, head, None, self._unmatched[index])
        choice = self.then.choose_among(lead, ctx, team)
        excluded = dict(self._unmatched[index])
        excluded.update(choice.excluded)
        return Choice(
            choice.owner_id,
            f"{head}, {choice.reason}",
            strategy=self.name,
            state_updates=choice.state_updates,
            excluded=excluded,
            tie_break=choice.tie_break,
            candidates=choice.candidates,
        )

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """Same as :meth:`choose`: a router's rules pick the team, whatever team it is given."""
        return self.choose(lead, ctx)


@attrs.frozen(slots=True)
class Chain:
    """Try ``steps`` in order; the first that chooses someone wins, a decline falls through.

    A declining step's state updates are dropped; the reason lists the steps that declined."""

    steps: tuple[Strategy, ...] = attrs.field(converter=_steps)
    name: str = "chain"
    kind: ClassVar[str] = "chain"

    def __attrs_post_init__(self) -> None:
        problems = []
        if not self.steps:
            problems.append(FieldProblem("steps", "a chain needs at least one step"))
        if not self.name.strip() or ":" in self.name:
            problems.append(FieldProblem("name", "must be a non-empty name without ':'"))
        if problems:
            raise ValidationError(problems, subject=f"strategy {self.name!r}")

    def _run(self, attempt: Callable[[Strategy], Choice]) -> Choice:
        declined: list[str] = []
        last: Choice | None = None
        for step in self.steps:
            last = attempt(step)
            if last.owner_id is not None:
                before = f"{'; '.join(declined)} → " if declined else ""
                return attrs.evolve(
                    last, strategy=self.name, reason=f"{before}{step.name}: {last.reason}"
                )
            declined.append(f"{step.name} declined ({last.reason})")
        assert last is not None
        return attrs.evolve(
            last,
            strategy=self.name,
            reason=f"every step declined: {'; '.join(declined)}",
            state_updates={},
        )

    def needs(self, lead: Lead, pool: Pool | None) -> Needs:
        """What any step may read."""
        found = Needs()
        for step in self.steps:
            found = found | step.needs(lead, pool)
        return found

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """What any step may read within ``team``."""
        found = Needs()
        for step in self.steps:
            found = found | step.needs_among(lead, pool, team)
        return found

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """The first step's choice that names an owner; a decline if every step declines."""
        return self._run(lambda step: step.choose(lead, ctx))

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """As :meth:`choose`, each step picking within ``team``."""
        return self._run(lambda step: step.choose_among(lead, ctx, team))
