"""Composition: a rule router (region, product line, source, industry, grade, score → a team;
first match wins, with a default) that hands the team to a balancer, and a chain that falls
through to the next strategy when one declines."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, Final, TypeVar

import attrs

from leadcore import checks
from leadcore.cadence import Schedule
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import CompanySize, Lead, LeadStatus, Pool
from leadcore.signatures import checked_constructor

from .balancers import RoundRobin
from .choice import Choice, Team, decline, user_list
from .context import AssignmentContext
from .core import Needs, Strategy, check_lead, check_name, checked_strategy, chosen, needed
from .fields import LEAD_FIELDS, lead_values
from .schedules import closed_reason

__all__ = ["Chain", "RouteCondition", "Router", "RoutingRule"]

T = TypeVar("T")


def _values(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, frozenset) and all(type(v) is str for v in values):
        return values
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        shown = f"the string {values!r}" if isinstance(values, str) else type(values).__name__
        raise _invalid(
            "values", f'must be a collection of values like ["华东", "华南"], not {shown}'
        )
    found = tuple(values)
    for i, value in enumerate(found):
        if not isinstance(value, str):
            raise _invalid(f"values[{i}]", f"must be text, not {type(value).__name__}")
    return frozenset(found)


def _users(users: Sequence[str]) -> tuple[str, ...]:
    return user_list(users, "users")


def _default(users: Sequence[str]) -> tuple[str, ...]:
    return user_list(users, "default")


def _conditions(values: Iterable[RouteCondition]) -> tuple[RouteCondition, ...]:
    return checks.instances(values, RouteCondition, "when", "RouteCondition values")


def _rules(values: Iterable[RoutingRule]) -> tuple[RoutingRule, ...]:
    return checks.instances(values, RoutingRule, "rules", "RoutingRule values")


def _steps(values: Iterable[Strategy]) -> tuple[Strategy, ...]:
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        shown = f"the string {values!r}" if isinstance(values, str) else type(values).__name__
        raise _invalid("steps", f"must be a list of strategies, not {shown}")
    found = tuple(values)
    problems = [p for i, step in enumerate(found) for p in checked_strategy(step, f"steps[{i}]")]
    if problems:
        raise ValidationError(problems)
    return found


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def _bound(value: object) -> bool:
    """Whether ``value`` is a usable end of a score range: None or a finite number."""
    if value is None:
        return True
    return not isinstance(value, bool) and isinstance(value, int | float) and checks.finite(value)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


_ENUM_FIELDS: Final[Mapping[str, type[LabelledEnum]]] = {
    "company_size": CompanySize,
    "status": LeadStatus,
}
"""Lead fields holding a choice, whose tested values are read as the choice's values."""


@checked_constructor
@attrs.frozen(slots=True)
class RouteCondition:
    """One test of a rule: the lead's ``field`` is one of ``values``; for ``score``, it lies in
    ``[min, max)`` (either bound may be left out).

    ``field`` is ``score``, a name in ``LEAD_FIELDS`` or ``custom.<name>``; ``values`` is a
    collection of text (never a single ``str``), and ``min`` / ``max`` are finite numbers.
    Company sizes and statuses are read like a score model's (a value, name or label: ``大型``
    is ``large``). Raises ``ValidationError`` for an unknown field, a value that can never match
    or a test that does not fit the field."""

    FIELDS: ClassVar[tuple[str, ...]] = LEAD_FIELDS
    """The lead fields a test of this kind may name, besides ``score`` and ``custom.<name>``."""
    WHAT: ClassVar[str] = "condition"

    field: str
    values: frozenset[str] = attrs.field(default=frozenset(), converter=_values)
    min: float | None = None
    max: float | None = None
    _attr: str | None = attrs.field(init=False, repr=False, eq=False, default=None)

    def __attrs_post_init__(self) -> None:
        fields = type(self).FIELDS
        if not isinstance(self.field, str):
            raise _invalid("field", f"must name a lead field, not {type(self.field).__name__}")
        if self.field in fields and self.field != "product_line":
            object.__setattr__(self, "_attr", self.field)  # a plain lead attribute: fast path
        problems = [
            FieldProblem(name, f"must be a finite number, not {getattr(self, name)!r:.40}")
            for name in ("min", "max")
            if not _bound(getattr(self, name))
        ]
        if not problems and self.field in _ENUM_FIELDS:
            self._read_choices(_ENUM_FIELDS[self.field], problems)
        if problems:
            pass  # the values or bounds themselves are wrong; nothing more to say
        elif self.field == "score":
            if self.values:
                problems.append(FieldProblem("values", "score is tested with min / max"))
            if self.min is None and self.max is None:
                problems.append(FieldProblem("min", "score needs min, max or both"))
            if self.min is not None and self.max is not None and not self.max > self.min:
                problems.append(FieldProblem("max", "must be greater than min"))
        elif self.field in fields or (
            self.field.startswith("custom.") and self.field.removeprefix("custom.").strip()
        ):
            if not self.values:
                problems.append(FieldProblem("values", "needs at least one value to match"))
            if self.min is not None or self.max is not None:
                problems.append(FieldProblem("min", "only score takes min / max"))
        else:
            known = ", ".join(("score", *fields, "custom.<name>"))
            problems.append(FieldProblem("field", f"{self.field!r} is not one of: {known}"))
        if problems:
            raise ValidationError(problems, subject=f"{self.WHAT} on {self.field!r}")

    def _read_choices(self, kind: type[LabelledEnum], problems: list[FieldProblem]) -> None:
        """A company size or a status is read as scoring reads it: a value, name or label
        (``大型`` is ``large``, ``跟进中`` is ``following``); anything else can never match and
        is refused."""
        read: set[str] = set()
        for value in sorted(self.values):
            try:
                read.add(kind.parse(value).value)
            except ValidationError as e:
                problems.append(FieldProblem("values", str(e)))
        object.__setattr__(self, "values", frozenset(read))

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


@checked_constructor
@attrs.frozen(slots=True)
class RoutingRule:
    """If the lead passes every condition in ``when`` (none: always), it goes to ``users``.

    ``team`` names the user list in reasons and scopes the balancer's state (its own cursor).
    With a ``schedule``, the rule is active only in its windows: outside them it is skipped
    (the next rule is tried) and its users are excluded with the reason."""

    when: tuple[RouteCondition, ...] = attrs.field(converter=_conditions)
    users: tuple[str, ...] = attrs.field(converter=_users)
    team: str | None = None
    schedule: Schedule | None = None
    _text: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.team is not None and (not isinstance(self.team, str) or not self.team.strip()):
            raise ValidationError(
                [FieldProblem("team", f"must be a team name or None, not {self.team!r:.40}")],
                subject="rule",
            )
        if not self.users:
            raise ValidationError(
                [FieldProblem("users", "a rule must send leads to at least one user")],
                subject="rule",
            )
        if self.schedule is not None and not isinstance(self.schedule, Schedule):
            raise ValidationError(
                [FieldProblem("schedule", "must be a Schedule (or None: always active)")],
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


@checked_constructor
@attrs.frozen(slots=True)
class Router:
    """RoutingRule routing: the first rule the lead matches picks the team, ``then`` picks the member.

    With no match the lead goes to the ``default`` users; with no default the router declines.
    Users of rules that did not match are listed in ``excluded`` ("rule … did not match").
    As a step inside another composition, the router still picks its own team.
    """

    rules: tuple[RoutingRule, ...] = attrs.field(converter=_rules)
    then: Strategy = attrs.field(factory=RoundRobin)
    default: tuple[str, ...] = attrs.field(default=(), converter=_default)
    name: str = "router"
    kind: ClassVar[str] = "router"
    _unmatched: tuple[Mapping[str, str], ...] = attrs.field(init=False, repr=False, eq=False)
    _last: tuple[Lead, tuple[int, Team | None, str]] | None = attrs.field(
        init=False, repr=False, eq=False, default=None
    )
    _scheduled: bool = attrs.field(init=False, repr=False, eq=False, default=False)
    _teams_by_pool: dict[tuple[int, str], tuple[int, Team, str]] = attrs.field(
        init=False, repr=False, eq=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        problems = check_name(self.name) + checked_strategy(self.then, "then")
        if problems:
            raise ValidationError(problems, subject=f"strategy {self.name!r}")
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
        object.__setattr__(self, "_scheduled", any(r.schedule is not None for r in self.rules))

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

    def _first_match(
        self, lead: Lead, skip: Callable[[RoutingRule], str | None] | None = None
    ) -> tuple[int, Team | None, str]:
        """The first matching rule not skipped (``skip`` says why a rule is off, or None)."""
        skipped = []
        for index, rule in enumerate(self.rules):
            if rule.matches(lead):
                why = None if skip is None or rule.schedule is None else skip(rule)
                if why is not None:
                    skipped.append(f"rule {rule.describe()} is off ({why})")
                    continue
                found = self._team_of(index, lead.pool_id)
                if skipped:
                    return index, found[1], "; ".join([*skipped, found[2]])
                return found
        index = len(self.rules)
        if not self.default:
            none = "router: no rule matched and there is no default"
            return index, None, "; ".join([*skipped, none])
        index, team, head = self._team_of(index, lead.pool_id)
        return index, team, "; ".join([*skipped, head]) if skipped else head

    def _team_of(self, index: int, pool_id: str) -> tuple[int, Team, str]:
        """Rule ``index``'s team in ``pool_id`` (the default team at ``len(rules)``) and how it
        was reached; made once per rule and pool, as teams are immutable."""
        known = self._teams_by_pool.get((index, pool_id))
        if known is not None:
            return known
        if index == len(self.rules):
            team = Team(self.default, f"{pool_id}/default", "the default team")
            found = index, team, "no rule matched → the default team"
        else:
            rule = self.rules[index]
            label = f"team {rule.team}" if rule.team else f"rule {index + 1}'s users"
            scope = f"{pool_id}/{rule.team or f'rule{index + 1}'}"
            found = index, Team(rule.users, scope, label), f"rule {rule.describe()} → {label}"
        self._teams_by_pool[index, pool_id] = found
        return found

    def _teams(self, lead: Lead) -> list[Team]:
        """Every team a choice for ``lead`` may go to, whatever the time: each matching rule's
        up to the first without a schedule (else the default team)."""
        found = []
        for index, rule in enumerate(self.rules):
            if rule.matches(lead):
                found.append(
                    Team(rule.users, f"{lead.pool_id}/{rule.team or f'rule{index + 1}'}", "")
                )
                if rule.schedule is None:
                    return found
        if self.default:
            found.append(Team(self.default, f"{lead.pool_id}/default", ""))
        return found

    def needs(self, lead: Lead, pool: Pool | None) -> Needs:
        """What the matching rule's team and ``then`` will read (with scheduled rules: what
        any team the lead may go to at any time reads)."""
        if self._scheduled:
            found = Needs()
            for possible in self._teams(lead):
                found = found | needed(self.then, lead, pool, possible)
            return found
        _, team, _ = self._route(lead)
        return Needs() if team is None else needed(self.then, lead, pool, team)

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """Same as :meth:`needs`: a router picks its own team."""
        return self.needs(lead, pool)

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """Route ``lead`` to the first matching rule's team that is not off (outside its
        schedule) and let ``then`` pick a member."""
        check_lead(lead)
        unmatched: Mapping[str, str]
        if self._scheduled:
            index, team, head = self._first_match(lead, lambda r: _why_off(r, ctx))
            unmatched = self._excluded(lead, index, team, ctx)
        else:
            index, team, head = self._route(lead)
            unmatched = self._unmatched[index]
        if team is None:
            return decline(self.name, head, None, unmatched)
        choice = chosen(self.then, lead, ctx, team)
        excluded = unmatched
        if choice.excluded:
            excluded = (
                MappingProxyType({**unmatched, **choice.excluded}) if unmatched else choice.excluded
            )
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

    def _excluded(
        self, lead: Lead, index: int, team: Team | None, ctx: AssignmentContext
    ) -> dict[str, str]:
        """The users of the rules before ``index`` (each did not match, or was off) who are
        not in the chosen ``team``, with why."""
        keep = set(team.users) if team is not None else set()
        found: dict[str, str] = {}
        for rule in self.rules[:index]:
            why = _why_off(rule, ctx) if rule.matches(lead) else None
            reason = f"rule {rule.describe()} {'is off: ' + why if why else 'did not match'}"
            for uid in rule.users:
                if uid not in keep and uid not in found:
                    found[uid] = reason
        return found


def _why_off(rule: RoutingRule, ctx: AssignmentContext) -> str | None:
    """Why ``rule`` is off at the decision's time (outside its schedule, and when it next
    opens), or None."""
    return None if rule.schedule is None else closed_reason(rule.schedule, ctx.now)


@checked_constructor
@attrs.frozen(slots=True)
class Chain:
    """Try ``steps`` in order; the first that chooses someone wins, a decline falls through.

    A declining step's state updates are dropped; the reason lists the steps that declined."""

    steps: tuple[Strategy, ...] = attrs.field(converter=_steps)
    name: str = "chain"
    kind: ClassVar[str] = "chain"

    def __attrs_post_init__(self) -> None:
        problems = check_name(self.name)
        if not self.steps:
            problems.append(FieldProblem("steps", "a chain needs at least one step"))
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
            found = found | needed(step, lead, pool)
        return found

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """What any step may read within ``team``."""
        found = Needs()
        for step in self.steps:
            found = found | needed(step, lead, pool, team)
        return found

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """The first step's choice that names an owner; a decline if every step declines."""
        check_lead(lead)
        return self._run(lambda step: chosen(step, lead, ctx))

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """As :meth:`choose`, each step picking within ``team``."""
        check_lead(lead)
        return self._run(lambda step: chosen(step, lead, ctx, team))
