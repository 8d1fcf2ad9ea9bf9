"""Plain data for the cadence package: registers structure and unstructure hooks on the
project's one cattrs converter (``leadcore.config.make_converter``), so that
``leadcore.config.structure(data, WorkingCalendar)`` and ``unstructure(calendar)`` work like
they do for the core model. Imported by ``leadcore.cadence`` itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadcore.cadence._reading import read_attrs, root_hook
from leadcore.cadence.cadences import Cadence, Every, read_cadence
from leadcore.cadence.calendar import WorkingCalendar, read_calendar
from leadcore.cadence.days import Weekday, format_days
from leadcore.cadence.plan import CadencePlan
from leadcore.cadence.schedule import Schedule, Window, read_schedule, read_window
from leadcore.cadence.sla import SlaClock
from leadcore.cadence.spans import Span, parse_span
from leadcore.config import make_converter

__all__ = ["register"]


def _spans(spans: tuple[Span, ...]) -> list[str]:
    return [s.text() for s in spans]


def _weekly(weekly: Mapping[Weekday, tuple[Span, ...]]) -> dict[str, list[str]]:
    """Runs of consecutive days with the same hours as one key: ``{"mon-fri": [...]}``."""
    out: dict[str, list[str]] = {}
    run: list[Weekday] = []
    for day in Weekday:
        hours = weekly.get(day)
        if (
            run
            and hours is not None
            and hours == weekly[run[-1]]
            and run[-1].number + 1 == day.number
        ):
            run.append(day)
            continue
        if run:
            out[format_days(run, style="config")] = _spans(weekly[run[0]])
        run = [day] if hours is not None else []
    if run:
        out[format_days(run, style="config")] = _spans(weekly[run[0]])
    return out


def _calendar(calendar: WorkingCalendar) -> dict[str, Any]:
    data: dict[str, Any] = {"timezone": calendar.timezone, "weekly": _weekly(calendar.weekly)}
    if calendar.holidays:
        data["holidays"] = [d.isoformat() for d in sorted(calendar.holidays)]
    if calendar.makeup:
        data["makeup"] = [
            d.isoformat() if hours is None else {"date": d.isoformat(), "hours": _spans(hours)}
            for d, hours in calendar.makeup.items()
        ]
    if calendar.makeup_hours is not None:
        data["makeup_hours"] = _spans(calendar.makeup_hours)
    return data


def _every(every: Every) -> dict[str, int]:
    return {k: v for k in ("months", "weeks", "days", "hours") if (v := getattr(every, k))}


def _cadence(cadence: Cadence) -> Any:
    if cadence.every is not None:
        data: dict[str, Any] = {"every": _every(cadence.every)}
    elif cadence.label is None:
        return cadence.rrule
    else:
        data = {"rrule": cadence.rrule}
    if cadence.label is not None:
        data["label"] = cadence.label
    return data


def _plan(plan: CadencePlan) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in ("by_stage", "by_grade", "by_method"):
        table = getattr(plan, name)
        if table:
            data[name] = {str(k): _cadence(c) for k, c in table.items()}
    if plan.default is not None:
        data["default"] = _cadence(plan.default)
    if plan.stages:
        data["stages"] = list(plan.stages)
    if plan.timezone is not None:
        data["timezone"] = plan.timezone
    if plan.calendar is not None:
        data["calendar"] = _calendar(plan.calendar)
    return data


def _clock(clock: SlaClock) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": clock.kind.value}
    if clock.calendar is not None:
        data["calendar"] = _calendar(clock.calendar)
    return data


def _schedule(schedule: Schedule) -> dict[str, Any]:
    return {"timezone": schedule.timezone, "windows": [w.text() for w in schedule.windows]}


def register() -> None:
    """Register the package's hooks on the project converter (idempotent)."""
    converter = make_converter()
    converter.register_structure_hook(Span, root_hook(parse_span))
    converter.register_unstructure_hook(Span, Span.text)
    converter.register_structure_hook(WorkingCalendar, root_hook(read_calendar))
    converter.register_unstructure_hook(WorkingCalendar, _calendar)
    converter.register_structure_hook(
        Every, root_hook(lambda data, path: read_attrs(Every, data, path, what="gap"))
    )
    converter.register_unstructure_hook(Every, _every)
    converter.register_structure_hook(Cadence, root_hook(read_cadence))
    converter.register_unstructure_hook(Cadence, _cadence)
    converter.register_structure_hook(
        CadencePlan,
        root_hook(lambda data, path: read_attrs(CadencePlan, data, path, what="cadence plan")),
    )
    converter.register_unstructure_hook(CadencePlan, _plan)
    converter.register_structure_hook(
        SlaClock, root_hook(lambda data, path: read_attrs(SlaClock, data, path, what="SLA clock"))
    )
    converter.register_unstructure_hook(SlaClock, _clock)
    converter.register_structure_hook(Window, root_hook(read_window))
    converter.register_unstructure_hook(Window, Window.text)
    converter.register_structure_hook(Schedule, root_hook(read_schedule))
    converter.register_unstructure_hook(Schedule, _schedule)


register()
