"""Recycle-rule conditions (回收条件) as data: time limits since a moment in the lead's life and
tests of its fields, combined with ``all`` (AND) and ``any`` (OR).

Every condition is monotone in time: once it holds it keeps holding until the lead changes
(a follow-up, a new owner, an edit). So each one can say *from when* it holds
(:meth:`holds_from`), which is what the sweep's due-time index is keyed on. Pure: a lead, a
clock and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Final

import attrs

from leadcore.cadence import MAX_HOURS, SlaClock
from leadcore.cadence._check import Problems, fail, join, member
from leadcore.checks import text_problem
from leadcore.errors import ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import OPEN_STATUSES, CompanySize, Lead, LeadStatus
from leadcore.signatures import checked_constructor

__all__ = [
    "ALWAYS",
    "FIELDS",
    "AllOf",
    "AnyOf",
    "Condition",
    "Elapsed",
    "FieldIn",
    "Since",
    "anchor",
    "condition_data",
    "has_time_limit",
    "longest_limit",
    "period_start",
    "read_condition",
]

ALWAYS: Final = datetime.min.replace(tzinfo=UTC)
"""What :meth:`holds_from` gives for a condition that holds whatever the time."""


class Since(LabelledEnum):
    """The moment a time limit counts from."""

    CREATED = "created", "创建时间", "Created"
    ASSIGNED = "assigned", "分配时间", "Assigned"
    FOLLOWED_UP = "followed_up", "最后跟进", "Last follow-up"
    STAGE_CHANGED = "stage_changed", "阶段变更", "Stage changed"


_SINCE_WORDS: Final = {
    Since.CREATED: "since it was created",
    Since.ASSIGNED: "since it was assigned",
    Since.FOLLOWED_UP: "since the last follow-up",
    Since.STAGE_CHANGED: "since its stage last changed",
}


def period_start(lead: Lead) -> datetime:
    """When the lead's SLA period began: its hand-out, or its last follow-up when that is
    later (a follow-up restarts every clock)."""
    handed_out = lead.assigned_at or lead.created_at
    followed = lead.last_followed_at
    return handed_out if followed is None or followed < handed_out else followed


def anchor(lead: Lead, since: Since) -> datetime | None:
    """The instant ``since`` names for ``lead`` (None when it has not happened). The last
    follow-up and the last stage change count from the hand-out when there is none since."""
    match since:
        case Since.CREATED:
            return lead.created_at
        case Since.ASSIGNED:
            return lead.assigned_at
        case Since.FOLLOWED_UP:
            return period_start(lead)
        case Since.STAGE_CHANGED:
            handed_out = lead.assigned_at or lead.created_at
            changed = lead.stage_changed_at
            return handed_out if changed is None or changed < handed_out else changed


def _hours(value: object, field: str = "hours") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(field, f"must be a number of hours, not {value!r}")
    if not 0 <= value <= MAX_HOURS:  # also refuses nan
        fail(field, f"must be between 0 and {MAX_HOURS} hours, not {value}")
    return float(value)


def _limit(value: object, field: str = "hours") -> float:
    hours = _hours(value, field)
    if hours <= 0:
        fail(field, f"must be more than 0 (a time limit of {value!r} would act at once)")
    return hours


def _since(value: object) -> Since:
    return member(Since, value, "since", "a moment to count from")


@checked_constructor
@attrs.frozen(slots=True)
class Elapsed:
    """At least ``hours`` (more than 0, on the pool's clock) have passed ``since`` a moment of
    the lead."""

    since: Since = attrs.field(converter=_since)
    hours: float = attrs.field(converter=_limit)

    def holds_from(self, lead: Lead, clock: SlaClock, *, shorter: float = 0.0) -> datetime | None:
        """When the limit is reached (None if its moment has not happened); ``shorter`` takes
        that many hours off the limit (for a warning before it)."""
        start = anchor(lead, self.since)
        if start is None:
            return None
        return clock.deadline(start, max(self.hours - shorter, 0.0))

    def describe(self) -> str:
        """``72 h since the last follow-up``."""
        return f"{self.hours:g} h {_SINCE_WORDS[self.since]}"


FIELDS: Final = ("status", "grade", "source", "stage", "industry", "region", "company_size")
"""The lead fields a rule may test; a custom field is written ``custom.<name>``."""


def _field(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        fail("field", f"must name a lead field ({', '.join(FIELDS)} or custom.<name>)")
    name = value.strip()
    if name in FIELDS or (name.startswith("custom.") and len(name) > len("custom.")):
        return name
    fail(
        "field",
        f"{name!r} is not a field a rule can test; use {', '.join(FIELDS)} or custom.<name>",
    )


def _values(value: object) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        fail("in", f'must be a list of values like ["C", "D"], not {value!r}')
    found = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or text_problem(item):
            fail("in", f"must hold non-blank texts, not {item!r}")
        found.append(item.strip())
    if not found:
        fail("in", "must name at least one value")
    return frozenset(found)


def _plain(value: object) -> tuple[str, ...]:
    """A field's value as the texts a rule compares with."""
    if value is None:
        return ()
    if isinstance(value, LabelledEnum):
        return (value.value,)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    if isinstance(value, date):
        return (value.isoformat(),)
    return (str(value),)


_ENUMS: Final[dict[str, type[LabelledEnum]]] = {
    "status": LeadStatus,
    "company_size": CompanySize,
}
_HELD: Final = tuple(s.value for s in LeadStatus if s in OPEN_STATUSES)


def _enum_value(field: str, enum: type[LabelledEnum], item: str) -> str:
    """``item`` (a value, name or label) as the enum value stored; a ``ValidationError``
    naming ``in`` when no member has it, or when it is a status no held lead has."""
    try:
        found = enum.parse(item)
    except ValidationError:
        if field == "status":
            fail("in", f"{item!r} is not a lead status; use {', '.join(_HELD)}")
        fail("in", f"{item!r} is not {enum.noun()}; use {enum.choices()}")
    if field == "status" and found not in OPEN_STATUSES:
        fail(
            "in",
            f"{item!r} is a status no held lead has, and a recycle rule sees only held leads; "
            f"use {', '.join(_HELD)}",
        )
    return found.value


@checked_constructor
@attrs.frozen(slots=True)
class FieldIn:
    """The lead's ``field`` (status, grade, source, stage, industry, region, company size, or
    ``custom.<name>``) is one of ``values``. Status and company size are read as their enum
    (a value, name or label: ``大型`` is ``large``) and kept as values; one no lead can have is
    refused, and so is a status only leads nobody holds have."""

    field: str = attrs.field(converter=_field)
    values: frozenset[str] = attrs.field(converter=_values)

    def __attrs_post_init__(self) -> None:
        enum = _ENUMS.get(self.field)
        if enum is not None:
            read = frozenset(_enum_value(self.field, enum, v) for v in sorted(self.values))
            object.__setattr__(self, "values", read)

    def matches(self, lead: Lead) -> bool:
        """Whether the lead's field holds one of the values now."""
        if self.field.startswith("custom."):
            value = lead.custom_fields.get(self.field[len("custom.") :])
        else:
            value = getattr(lead, self.field)
        return any(v in self.values for v in _plain(value))

    def holds_from(self, lead: Lead, clock: SlaClock, *, shorter: float = 0.0) -> datetime | None:
        """``ALWAYS`` when the field matches, else None (never, while the lead stays so)."""
        return ALWAYS if self.matches(lead) else None

    def describe(self) -> str:
        """``grade in C, D``."""
        return f"{self.field} in {', '.join(sorted(self.values))}"


def _children(value: object) -> tuple[Condition, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        fail("conditions", "must be a list of conditions")
    found = tuple(value)
    if not found:
        fail("conditions", "must hold at least one condition")
    for i, item in enumerate(found):
        if not isinstance(item, Elapsed | FieldIn | AllOf | AnyOf):
            fail(f"conditions[{i}]", f"must be a condition, not {type(item).__name__}")
    return found


@checked_constructor
@attrs.frozen(slots=True)
class AllOf:
    """Every one of ``conditions`` holds (AND)."""

    conditions: tuple[Condition, ...] = attrs.field(converter=_children)

    def holds_from(self, lead: Lead, clock: SlaClock, *, shorter: float = 0.0) -> datetime | None:
        """When the last of the conditions comes to hold (None if one never does)."""
        times = [c.holds_from(lead, clock, shorter=shorter) for c in self.conditions]
        if any(t is None for t in times):
            return None
        return max(t for t in times if t is not None)

    def describe(self) -> str:
        """The conditions joined with ``and``."""
        return " and ".join(_grouped(c) for c in self.conditions)


@checked_constructor
@attrs.frozen(slots=True)
class AnyOf:
    """At least one of ``conditions`` holds (OR)."""

    conditions: tuple[Condition, ...] = attrs.field(converter=_children)

    def holds_from(self, lead: Lead, clock: SlaClock, *, shorter: float = 0.0) -> datetime | None:
        """When the first of the conditions comes to hold (None if none ever does)."""
        times = [c.holds_from(lead, clock, shorter=shorter) for c in self.conditions]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def describe(self) -> str:
        """The conditions joined with ``or``."""
        return " or ".join(_grouped(c) for c in self.conditions)


Condition = Elapsed | FieldIn | AllOf | AnyOf
"""A recycle rule's condition."""


def _grouped(condition: Condition) -> str:
    text = condition.describe()
    return f"({text})" if isinstance(condition, AllOf | AnyOf) else text


def has_time_limit(condition: Condition) -> bool:
    """Whether every way the condition can hold includes a time limit."""
    if isinstance(condition, Elapsed):
        return True
    if isinstance(condition, FieldIn):
        return False
    if isinstance(condition, AllOf):
        return any(has_time_limit(c) for c in condition.conditions)
    return all(has_time_limit(c) for c in condition.conditions)


def longest_limit(condition: Condition) -> Elapsed | None:
    """The condition's longest time limit (None when it has none): a warning that many hours
    early or more would shorten every limit to nothing."""
    if isinstance(condition, Elapsed):
        return condition
    if isinstance(condition, FieldIn):
        return None
    found = [t for t in (longest_limit(c) for c in condition.conditions) if t is not None]
    return max(found, key=lambda t: t.hours) if found else None


_SHAPES: Final = (
    "{since, hours} (or days), {field, in}, {all = [...]} or {any = [...]}"  # for messages
)


def read_condition(value: object, path: str) -> Condition:
    """A condition from plain data, problems named under ``path``: ``{since = "followed_up",
    hours = 72}`` (or ``days = 3``), ``{field = "grade", in = ["C", "D"]}``, ``{all = [...]}``,
    ``{any = [...]}``; a condition object is taken as it is."""
    if isinstance(value, Elapsed | FieldIn | AllOf | AnyOf):
        return value
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        fail(path, f"must be a condition table: {_SHAPES}")
    keys = set(value)
    problems = Problems("recycle rule")
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if keys == {combinator}:
            items = value[combinator]
            if isinstance(items, str | bytes | Mapping) or not isinstance(items, list | tuple):
                fail(join(path, combinator), "must be a list of conditions")
            found: list[Condition] = []
            for i, item in enumerate(items):
                try:
                    found.append(read_condition(item, join(path, f"{combinator}[{i}]")))
                except ValidationError as e:
                    problems.found.extend(e.problems)
            problems.raise_if_any()
            try:
                return cls(tuple(found))
            except ValidationError as e:
                fail(join(path, combinator), e.problems[0].reason)
    try:
        if keys in ({"since", "hours"}, {"since", "days"}):
            hours = _days(value["days"]) if "days" in keys else value["hours"]
            return Elapsed(value["since"], hours)
        if keys == {"field", "in"}:
            return FieldIn(value["field"], value["in"])
    except ValidationError as e:
        problems.extend(path, e)
        problems.raise_if_any()
    fail(path, f"has keys {sorted(keys)}; a condition is one of {_SHAPES}")


def _days(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail("days", f"must be a number of days, not {value!r}")
    if value == 0:
        fail("days", "must be more than 0 (a time limit of 0 days would act at once)")
    return _hours(value * 24, "days")


def condition_data(condition: Condition) -> dict[str, object]:
    """The condition as plain data that :func:`read_condition` reads back."""
    if isinstance(condition, Elapsed):
        return {"since": condition.since.value, "hours": condition.hours}
    if isinstance(condition, FieldIn):
        return {"field": condition.field, "in": sorted(condition.values)}
    key = "all" if isinstance(condition, AllOf) else "any"
    return {key: [condition_data(c) for c in condition.conditions]}
