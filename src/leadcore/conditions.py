"""Conditions pools react to on later edits (Frappe's unassign and close conditions): "when the
lead's region becomes 华北, return it to the pool", "when its stage reaches 意向跟进 with a
score under 20, close it".

A :class:`LeadCondition` is a name, tests on the lead's fields that must all hold (``when``)
and what to do (``then``: return the lead to its pool, close it as lost, or mark it invalid).
The desk re-evaluates a pool's conditions whenever an existing lead of it changes through the
runner, and fires one when the change moves the lead *into* it (it did not hold before and
holds after): once per transition, never again on later saves while it keeps holding. The
firing lands in the same unit of work as the change, with an event naming the condition.

Conditions are plain data: :func:`load_conditions` reads a named set from a mapping, JSON or
TOML; bad data raises ``ConfigError`` naming every path at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import ClassVar, Final

import attrs

from leadcore import checks
from leadcore.assignment.routing import RouteCondition
from leadcore.config import parse_source
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Action, Lead
from leadcore.signatures import checked_constructor

__all__ = [
    "CONDITION_FIELDS",
    "ConditionAction",
    "FieldTest",
    "LeadCondition",
    "load_conditions",
]

CONDITION_FIELDS: Final = (
    "status",
    "stage",
    "region",
    "source",
    "industry",
    "grade",
    "company_size",
    "decision_maker_title",
    "department_id",
    "owner_id",
)
"""The lead fields a condition may test besides ``score`` (a range) and ``custom.<name>``."""


class ConditionAction(LabelledEnum):
    """What a condition does when a change moves a lead into it."""

    RETURN_TO_POOL = "return_to_pool", "退回线索池", "Return it to the pool"
    CLOSE_LOST = "close_lost", "关闭", "Close it as lost"
    INVALIDATE = "invalidate", "设为无效", "Mark it invalid"

    @property
    def action(self) -> Action:
        """The lifecycle action taken (return to pool is a recycle: back to unassigned)."""
        return _ACTIONS[self]


_ACTIONS: Final = {
    ConditionAction.RETURN_TO_POOL: Action.RECYCLE,
    ConditionAction.CLOSE_LOST: Action.CLOSE_LOST,
    ConditionAction.INVALIDATE: Action.INVALIDATE,
}


@checked_constructor
@attrs.frozen(slots=True)
class FieldTest(RouteCondition):
    """The lead's ``field`` is one of ``values`` (a multi-choice custom field: any of its
    items); for ``score``, it lies in ``[min, max)``. A missing value never passes. The same
    test a routing rule makes, over the fields a condition may name."""

    FIELDS: ClassVar[tuple[str, ...]] = CONDITION_FIELDS
    WHAT: ClassVar[str] = "test"

    def holds(self, lead: Lead) -> bool:
        """Whether ``lead`` passes the test."""
        return self.matches(lead)


def _tests(values: Iterable[FieldTest]) -> tuple[FieldTest, ...]:
    return checks.instances(values, FieldTest, "when", "FieldTest values")


def _then(value: ConditionAction | str) -> ConditionAction:
    return checks.choice(ConditionAction, value, "then")


@checked_constructor
@attrs.frozen(slots=True)
class LeadCondition:
    """When every test in ``when`` holds, ``then`` is done, with ``reason`` (default: the
    condition in words) as the lost or invalid reason and on the event."""

    name: str
    when: tuple[FieldTest, ...] = attrs.field(converter=_tests)
    then: ConditionAction = attrs.field(converter=_then)
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(FieldProblem("name", "must be a non-empty name"))
        if not self.when:
            problems.append(FieldProblem("when", "needs at least one test"))
        if self.reason is not None and (
            not isinstance(self.reason, str) or not self.reason.strip()
        ):
            problems.append(FieldProblem("reason", "must be non-blank text or left out"))
        if problems:
            raise ValidationError(problems, subject=f"condition {self.name!r}")

    def holds(self, lead: Lead) -> bool:
        """Whether every test holds for ``lead``."""
        return all(test.holds(lead) for test in self.when)

    def fires(self, before: Lead | None, after: Lead) -> bool:
        """Whether the change from ``before`` (None: a new lead, which never fires) to
        ``after`` moves the lead into this condition."""
        return before is not None and self.holds(after) and not self.holds(before)

    def describe(self) -> str:
        """The tests as text: ``region=华北, score<20``."""
        return ", ".join(test.describe() for test in self.when)

    def why(self) -> str:
        """The reason recorded when the condition fires."""
        return self.reason or f"condition {self.name}: {self.describe()}"


def _test(field: str, raw: object, path: str, problems: list[FieldProblem]) -> FieldTest | None:
    try:
        if field == "score":
            if not isinstance(raw, Mapping) or set(raw) - {"min", "max"}:
                problems.append(
                    FieldProblem(path, 'score is tested with a range, e.g. {"min": 60, "max": 80}')
                )
                return None
            bounds = {}
            for key in ("min", "max"):
                bound = raw.get(key)
                if bound is not None and (
                    isinstance(bound, bool) or not isinstance(bound, int | float)
                ):
                    problems.append(
                        FieldProblem(f"{path}.{key}", f"must be a number, not {bound!r}")
                    )
                    return None
                bounds[key] = None if bound is None else float(bound)
            return FieldTest(field, min=bounds["min"], max=bounds["max"])
        values = [raw] if isinstance(raw, str | int) and not isinstance(raw, bool) else raw
        if not isinstance(values, list | tuple) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in values
        ):
            problems.append(
                FieldProblem(path, 'must be a value or a list of values, e.g. ["华北", "东北"]')
            )
            return None
        return FieldTest(field, frozenset(str(v) for v in values))
    except ValidationError as e:
        for p in e.problems:
            where = path if p.field in ("field", "values") else f"{path}.{p.field}"
            problems.append(FieldProblem(where, p.reason))
        return None


def _condition(
    name: str, spec: object, path: str, problems: list[FieldProblem]
) -> LeadCondition | None:
    if not isinstance(spec, Mapping):
        problems.append(FieldProblem(path, "must be a table: when, then, reason"))
        return None
    before = len(problems)
    for key in spec:
        if key not in ("when", "then", "reason"):
            problems.append(
                FieldProblem(
                    f"{path}.{key}", "is not a condition setting; known: when, then, reason"
                )
            )
    when = spec.get("when")
    tests: list[FieldTest] = []
    if not isinstance(when, Mapping) or not when:
        problems.append(
            FieldProblem(f"{path}.when", "is required: a table of lead field → value(s)")
        )
    else:
        for field, raw in when.items():
            test = _test(str(field), raw, f"{path}.when.{field}", problems)
            if test is not None:
                tests.append(test)
    then = spec.get("then")
    if then is None:
        problems.append(
            FieldProblem(f"{path}.then", f"is required; one of: {ConditionAction.choices()}")
        )
    elif not isinstance(then, str):
        problems.append(
            FieldProblem(f"{path}.then", f"must be one of: {ConditionAction.choices()}")
        )
    reason = spec.get("reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        problems.append(FieldProblem(f"{path}.reason", "must be non-blank text or left out"))
    if len(problems) > before:
        return None
    try:
        return LeadCondition(name, tuple(tests), then, reason)  # type: ignore[arg-type]
    except ValidationError as e:
        problems.extend(FieldProblem(f"{path}.{p.field}", p.reason) for p in e.problems)
        return None


def load_conditions(source: str | Path | Mapping[str, object]) -> dict[str, LeadCondition]:
    """Build a named set of conditions (pools name them in ``Pool.conditions``) from a mapping,
    JSON text (starting with ``{``), TOML text, or a ``.json`` / ``.toml`` file: each name maps
    to ``when`` (lead field → value or list of values; ``score`` → ``{min, max}``), ``then``
    (``return_to_pool``, ``close_lost`` or ``invalidate``) and an optional ``reason``. Raises
    ``ConfigError`` naming every path at fault (``$.moved.when.regoin``)."""
    data = parse_source(source)
    if not isinstance(data, Mapping):
        raise ConfigError("$", "must map a condition name to its settings")
    problems: list[FieldProblem] = []
    built: dict[str, LeadCondition] = {}
    for name, spec in data.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(FieldProblem("$", f"{name!r} is not a condition name"))
            continue
        condition = _condition(name, spec, f"$.{name}", problems)
        if condition is not None:
            built[name] = condition
    if problems:
        raise ConfigError.from_problems(problems)
    return built
