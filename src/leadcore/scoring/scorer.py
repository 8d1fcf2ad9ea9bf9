"""The compiled fast path: a score sheet turned once into plain closures and tables.

``Scorer.score_many`` walks the leads calling those closures; no configuration is looked at per
lead. Each :class:`~leadcore.scoring.explain.Score` keeps what it was worked out from
(:class:`~leadcore.scoring.explain.Workings`, handed over as a plain tuple), which its breakdown
puts into words when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from leadcore.clock import ensure_aware
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead
from leadcore.scoring.activity import Activity
from leadcore.scoring.behaviour import compile_behaviour
from leadcore.scoring.explain import Breakdown, Part, Score
from leadcore.scoring.grades import GradeScale
from leadcore.scoring.rounding import round6
from leadcore.scoring.sheet import ScoreSheet
from leadcore.signatures import checked_constructor

__all__ = ["Scorer", "SheetSource", "check_activities"]

_NO_ACTIVITIES: tuple[Activity, ...] = ()


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)], subject="scoring input")


def _lead_id(lead: object, field: str) -> str:
    """The id of ``lead``; ``ValidationError`` naming ``field`` unless it is a ``Lead``."""
    if not isinstance(lead, Lead):
        raise _invalid(field, f"must be a Lead, not {type(lead).__name__}")
    return lead.id


def check_activities(
    activities: object, lead_id: str | None, field: str | None
) -> Sequence[Activity]:
    """``activities`` as a sequence; refuse, naming ``field`` (None: the lead's entry of
    ``activities_by_lead``), what is not a collection of ``Activity`` records of the lead
    ``lead_id`` (an activity whose ``lead_id`` is set must name this lead; with no
    ``lead_id``, any lead's activities are taken)."""
    given: Sequence[Activity]
    if type(activities) is list or type(activities) is tuple:  # the common case: no ABC checks
        given = activities
    elif isinstance(activities, str | bytes | Mapping) or not isinstance(activities, Iterable):
        raise _invalid(
            _named(field, lead_id),
            f"must be a list of Activity records, not {type(activities).__name__}",
        )
    else:
        given = activities if isinstance(activities, list | tuple) else tuple(activities)
    for i, activity in enumerate(given):
        if type(activity) is not Activity and not isinstance(activity, Activity):
            raise _invalid(
                f"{_named(field, lead_id)}[{i}]",
                f"must be an Activity, not {type(activity).__name__}",
            )
        if lead_id is not None and activity.lead_id is not None and activity.lead_id != lead_id:
            raise _invalid(
                f"{_named(field, lead_id)}[{i}].lead_id",
                f"is {activity.lead_id!r}, but the lead scored is {lead_id!r}",
            )
    return given


def _named(field: str | None, lead_id: str | None) -> str:
    """The argument a refusal names (worked out only for a refusal: scoring reads many)."""
    return field if field is not None else f"activities_by_lead[{lead_id!r}]"


class SheetSource(Protocol):
    """Anything that describes itself as a score sheet — a ``ScoreModel``."""

    def sheet(self) -> ScoreSheet:
        """The score sheet to compile."""
        ...


@checked_constructor
class Scorer:
    """A :class:`~leadcore.scoring.sheet.ScoreSheet` compiled for speed; make it once with
    ``model.compile()``.

    ``score`` scores one lead at ``now``; ``score_many`` scores many (activities given per lead
    id); ``parts`` / ``explain`` say which rule gave how many points. Activities later than
    ``now`` are ignored (they have not happened yet at ``now``).
    """

    __slots__ = ("_dimensions", "_grades", "_tally", "max", "mql_at_least", "sheet")

    def __init__(self, sheet: ScoreSheet | SheetSource) -> None:
        """Compile ``sheet`` (a ``ScoreSheet``, or a ``ScoreModel`` as ``Scorer(model)``)."""
        if not isinstance(sheet, ScoreSheet):
            describe = getattr(sheet, "sheet", None)
            made = describe() if callable(describe) else None
            if not isinstance(made, ScoreSheet):
                given = type(sheet).__name__
                raise ValidationError(
                    [FieldProblem("sheet", f"must be a ScoreSheet or a ScoreModel, not {given}")],
                    subject="scorer",
                )
            sheet = made
        self.sheet = sheet
        self.max = sheet.max_score
        self.mql_at_least = sheet.mql_at_least
        self._dimensions = tuple(d.compile() for d in sheet.dimensions)
        self._tally = compile_behaviour(sheet.behaviour)
        self._grades = GradeScale.of(sheet.grades)

    def __repr__(self) -> str:
        return (
            f"<Scorer: {len(self._dimensions)} dimensions, {len(self.sheet.behaviour)} "
            f"behaviour rules, max {self.max:g}>"
        )

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, now: datetime) -> Score:
        """Score one lead with its activities at ``now`` (aware); activities of another lead
        (``lead_id`` set and different) are refused with ``ValidationError``."""
        return self._score((lead,), {_lead_id(lead, "lead"): activities}, now, "activities")[0]

    def score_many(
        self,
        leads: Iterable[Lead],
        activities_by_lead: Mapping[str, Sequence[Activity]] | None = None,
        *,
        now: datetime,
    ) -> list[Score]:
        """Score many leads at ``now``; ``activities_by_lead`` maps a lead id to its activities
        (missing ids have none; activities of another lead are refused with
        ``ValidationError``, as by :meth:`score`). The fast path: only the compiled closures
        run per lead."""
        if isinstance(leads, str | bytes | Mapping) or not isinstance(leads, Iterable):
            raise _invalid("leads", f"must be a collection of Lead, not {type(leads).__name__}")
        if activities_by_lead is not None and not isinstance(activities_by_lead, Mapping):
            raise _invalid(
                "activities_by_lead",
                f"must map a lead id to its activities, not {type(activities_by_lead).__name__}",
            )
        return self._score(leads, activities_by_lead, now, None)

    def _score(
        self,
        leads: Iterable[Lead],
        activities_by_lead: Mapping[str, Sequence[Activity]] | None,
        now: datetime,
        where: str | None,
    ) -> list[Score]:
        """Score ``leads``; ``where`` names the activities argument in messages (None: the
        entry of ``activities_by_lead``)."""
        now = ensure_aware(now, "now")
        now_ts = now.timestamp()
        sheet = self.sheet
        dimensions = self._dimensions
        tally = self._tally
        grade_for = self._grades.grade_for
        mql_at_least = self.mql_at_least
        top = self.max
        by_lead = activities_by_lead or {}
        activities_of = by_lead.get
        rounded = round6
        new_score = Score
        out: list[Score] = []
        append = out.append
        for index, lead in enumerate(leads):
            if type(lead) is not Lead:
                _lead_id(lead, "lead" if where else f"leads[{index}]")
            profile = 0.0
            for dimension in dimensions:
                profile += dimension(lead)
            profile = rounded(profile)
            activities = activities_of(lead.id, _NO_ACTIVITIES) if by_lead else _NO_ACTIVITIES
            behaviour = 0.0
            total = profile
            if activities is not _NO_ACTIVITIES:
                activities = check_activities(activities, lead.id, where)
            if activities:
                _, behaviour = tally(activities, now_ts, None)
                behaviour = rounded(behaviour)
                total = rounded(profile + behaviour)
            append(
                new_score(
                    total,
                    top,
                    grade_for(total),
                    total >= mql_at_least,
                    profile,
                    behaviour,
                    now,
                    (sheet, lead, activities),
                )
            )
        return out

    def parts(
        self, lead: Lead, activities: Sequence[Activity] = (), *, now: datetime
    ) -> tuple[Part, ...]:
        """The breakdown of a lead's score, one :class:`Part` per dimension and per activity
        kind that scored."""
        return self.explain(lead, activities, now=now).parts

    def explain(
        self, lead: Lead, activities: Sequence[Activity] = (), *, now: datetime
    ) -> Breakdown:
        """Score the lead and return its breakdown (``str()`` of it is a table)."""
        return self.score(lead, activities, now=now).breakdown
