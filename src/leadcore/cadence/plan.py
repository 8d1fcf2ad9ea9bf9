"""Cadence plans: which cadence applies after a follow-up, by sales stage, grade and method,
and the due date it gives, with the reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from leadcore.cadence._check import Problems, aware, fail, join, member, shown, text_keyed
from leadcore.cadence._reading import Loadable
from leadcore.cadence.cadences import Cadence, read_cadence, snapped
from leadcore.cadence.calendar import NO_WEEKLY_HOURS, WorkingCalendar, read_calendar
from leadcore.cadence.zones import check_zone
from leadcore.errors import ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.model import FollowUp, FollowUpMethod
from leadcore.signatures import checked_constructor

__all__ = ["CadencePlan", "CadenceSource", "DueDate"]

CadenceInput = Cadence | str | Mapping[str, Any]
"""What a plan accepts for a cadence: a ``Cadence``, RRULE text, or a table of settings."""


class CadenceSource(LabelledEnum):
    """What decided a due date, in the order a plan looks: the date the salesperson committed
    to in the follow-up, then the lead's sales stage, its grade, the follow-up's method, and
    the plan's default."""

    COMMITTED = "committed", "约定跟进日期", "Committed date"
    STAGE = "stage", "销售阶段", "Sales stage"
    GRADE = "grade", "线索等级", "Grade"
    METHOD = "method", "跟进方式", "Follow-up method"
    DEFAULT = "default", "默认节奏", "Default"


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class DueDate:
    """When the next follow-up is due (``at``, UTC) and why: the ``source`` and ``key`` (the
    stage, grade or method) that chose the ``cadence``, and ``rule_at``, the rule's date
    before it was moved into working time."""

    at: datetime
    source: CadenceSource
    key: str | None = None
    cadence: Cadence | None = None
    rule_at: datetime | None = None

    @property
    def moved(self) -> bool:
        """Whether the rule's date fell outside working time and was moved."""
        return self.rule_at is not None and self.rule_at != self.at

    @property
    def reason(self) -> str:
        """The choice in words: ``stage 方案沟通: every 3 days``."""
        if self.source is CadenceSource.COMMITTED or self.cadence is None:
            return "the next follow-up date committed to in the follow-up"
        what = self.source.value if self.key is None else f"{self.source.value} {self.key}"
        text = f"{what}: {self.cadence.describe()}"
        return f"{text}, moved to the next working time" if self.moved else text


def _cadences(value: object, field: str) -> dict[str, Cadence]:
    table = text_keyed(value, field, "names → cadences")
    problems = Problems("cadence plan")
    found: dict[str, Cadence] = {}
    for key, item in table.items():
        at = join(field, key)
        if not key.strip():
            problems.add(at, "must not be blank")
            continue
        if key.strip() in found:  # "A" and "A " name the same one
            problems.add(at, f"{key.strip()} is given twice")
            continue
        try:
            found[key.strip()] = read_cadence(item, at)
        except ValidationError as e:
            problems.found.extend(e.problems)
    problems.raise_if_any()
    return found


def _by_stage(value: Mapping[str, CadenceInput]) -> Mapping[str, Cadence]:
    return frozen_mapping(_cadences(value, "by_stage"))


def _by_grade(value: Mapping[str, CadenceInput]) -> Mapping[str, Cadence]:
    return frozen_mapping(_cadences(value, "by_grade"))


def _method(value: object, field: str) -> FollowUpMethod:
    return member(FollowUpMethod, value, field, "a follow-up method")


def _by_method(value: Mapping[Any, CadenceInput]) -> Mapping[FollowUpMethod, Cadence]:
    # Keys are FollowUpMethod members or their names ("phone", "电话"); Any, because a
    # Mapping's key type is invariant and a literal mixing both kinds should type-check.
    cadences = _cadences(value, "by_method")
    problems = Problems("cadence plan")
    found: dict[FollowUpMethod, Cadence] = {}
    for key, cadence in cadences.items():
        try:
            method = _method(key, join("by_method", key))
        except ValidationError as e:
            problems.found.extend(e.problems)
            continue
        if method in found:
            problems.add(join("by_method", key), f"{method.value} is given twice")
        found[method] = cadence
    problems.raise_if_any()
    return frozen_mapping({m: found[m] for m in FollowUpMethod if m in found})


def _default(value: CadenceInput | None) -> Cadence | None:
    return None if value is None else read_cadence(value, "default")


def _stages(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        fail("stages", "must be a list of stage names like ['初步接触', '需求确认']")
    problems = Problems("cadence plan")
    found: list[str] = []
    for i, stage in enumerate(value):
        if not isinstance(stage, str) or not stage.strip():
            problems.add(f"stages[{i}]", f"must be a non-empty stage name, not {shown(stage)}")
        elif stage.strip() in found:
            problems.add(f"stages[{i}]", f"{shown(stage)} is listed twice")
        else:
            found.append(stage.strip())
    problems.raise_if_any()
    return tuple(found)


def _timezone(value: str | None) -> str | None:
    return None if value is None else check_zone(value, "timezone")


def _calendar(value: WorkingCalendar | Mapping[str, Any] | None) -> WorkingCalendar | None:
    return None if value is None else read_calendar(value, "calendar")


@checked_constructor
@attrs.frozen(slots=True)
class CadencePlan(Loadable):
    """Which cadence applies after a follow-up, and so when the next one is due.

    Precedence — the first that has a cadence decides:

    1. ``by_stage``: the lead's sales stage (a pool's SOP, e.g. 初步接触 → 需求确认 → 方案沟通 →
       意向跟进, each with its own cadence);
    2. ``by_grade``: the lead's grade (A, B, …);
    3. ``by_method``: how the follow-up reached the prospect (phone, email, WeChat, visit);
    4. ``default``.

    With no match and no default there is no due date. ``stages``, when given, lists the
    pool's stages: ``by_stage`` may name only those, and asking about another stage is an
    error. Weekdays and dates are read in ``timezone``, or else the ``calendar``'s zone, or
    else UTC; with a ``calendar``, a due date outside working time moves to the next working
    moment.
    """

    by_stage: Mapping[str, Cadence] = attrs.field(factory=dict, converter=_by_stage)
    by_grade: Mapping[str, Cadence] = attrs.field(factory=dict, converter=_by_grade)
    by_method: Mapping[FollowUpMethod, Cadence] = attrs.field(factory=dict, converter=_by_method)
    default: Cadence | None = attrs.field(default=None, converter=_default)
    stages: tuple[str, ...] = attrs.field(default=(), converter=_stages)
    timezone: str | None = attrs.field(default=None, converter=_timezone)
    calendar: WorkingCalendar | None = attrs.field(default=None, converter=_calendar)

    def __attrs_post_init__(self) -> None:
        problems = Problems("cadence plan")
        if self.stages:
            for stage in self.by_stage:
                if stage not in self.stages:
                    problems.add(
                        join("by_stage", stage),
                        f"is not one of the stages: {', '.join(self.stages)}",
                    )
        if self.calendar is not None and not self.calendar.has_weekly_hours:
            problems.add(
                "calendar",
                f"moves due dates into working time, but it {NO_WEEKLY_HOURS}; or leave it out",
            )
        if (
            self.timezone is not None
            and self.calendar is not None
            and self.timezone != self.calendar.timezone
        ):
            problems.add(
                "timezone",
                f"{self.timezone} differs from the calendar's {self.calendar.timezone}; "
                "leave it out to use the calendar's",
            )
        problems.raise_if_any()

    @property
    def zone_key(self) -> str:
        """The time zone the cadences read weekdays and dates in."""
        if self.timezone is not None:
            return self.timezone
        return self.calendar.timezone if self.calendar is not None else "UTC"

    def choose(
        self,
        *,
        method: FollowUpMethod | str | None = None,
        grade: str | None = None,
        stage: str | None = None,
    ) -> tuple[CadenceSource, str | None, Cadence] | None:
        """The cadence that applies (with its source and key), by the plan's precedence."""
        chosen_method = None if method is None else _method(method, "method")
        for name, value in (("grade", grade), ("stage", stage)):
            if value is not None and not isinstance(value, str):
                fail(name, f"must be text or None, not {type(value).__name__}")
        if stage is not None and self.stages and stage not in self.stages:
            fail("stage", f"{shown(stage)} is not one of the stages: {', '.join(self.stages)}")
        if stage is not None and stage in self.by_stage:
            return CadenceSource.STAGE, stage, self.by_stage[stage]
        if grade is not None and grade in self.by_grade:
            return CadenceSource.GRADE, grade, self.by_grade[grade]
        if chosen_method is not None and chosen_method in self.by_method:
            return CadenceSource.METHOD, chosen_method.value, self.by_method[chosen_method]
        if self.default is not None:
            return CadenceSource.DEFAULT, None, self.default
        return None

    def due(
        self,
        after: datetime,
        *,
        method: FollowUpMethod | str | None = None,
        grade: str | None = None,
        stage: str | None = None,
    ) -> DueDate | None:
        """When the next follow-up is due after one at ``after``, and why; ``None`` when no
        cadence applies. Always strictly after ``after``."""
        instant = aware(after, "after")
        choice = self.choose(method=method, grade=grade, stage=stage)
        if choice is None:
            return None
        source, key, cadence = choice
        rule_at = cadence.next_due(instant, timezone=self.zone_key)
        at = rule_at if self.calendar is None else snapped(self.calendar, rule_at, "calendar")
        return DueDate(at, source, key, cadence, rule_at)

    def next_due(
        self,
        after: datetime,
        *,
        method: FollowUpMethod | str | None = None,
        grade: str | None = None,
        stage: str | None = None,
    ) -> datetime | None:
        """The due date (UTC) of the next follow-up after one at ``after`` (see :meth:`due`)."""
        found = self.due(after, method=method, grade=grade, stage=stage)
        return None if found is None else found.at

    def due_after(
        self, follow_up: FollowUp, *, grade: str | None = None, stage: str | None = None
    ) -> DueDate | None:
        """The due date after a recorded follow-up: the next date the salesperson committed to
        in it (when later than the follow-up) wins; else the plan's cadence for the
        follow-up's method, the lead's ``grade`` and ``stage`` (default: the follow-up's)."""
        if not isinstance(follow_up, FollowUp):
            fail("follow_up", f"must be a FollowUp, not {type(follow_up).__name__}")
        at = aware(follow_up.at, "follow_up.at")
        committed = follow_up.next_follow_up_at
        if committed is not None and aware(committed, "follow_up.next_follow_up_at") > at:
            return DueDate(aware(committed, "follow_up.next_follow_up_at"), CadenceSource.COMMITTED)
        return self.due(
            at,
            method=follow_up.method,
            grade=grade,
            stage=follow_up.stage if stage is None else stage,
        )
