"""The compiled fast path: a score model turned once into plain closures and tables.

``Scorer.score_many`` walks the leads calling those closures; no configuration is looked at per
lead. The explain path (:meth:`Scorer.parts`) reads the model again, slowly and in words, and
is only run when a breakdown is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from math import exp

from leadcore.clock import ensure_aware
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead
from leadcore.scoring.activity import Activity
from leadcore.scoring.behaviour import decayed
from leadcore.scoring.explain import Breakdown, Part, Score
from leadcore.scoring.fields import lead_getter, resolve_field
from leadcore.scoring.model import ScoreModel

__all__ = ["Scorer"]

_NO_ACTIVITIES: tuple[Activity, ...] = ()

_Rule = tuple[int, float, int, float, float, float]
"""A compiled behaviour rule: (index in the model, points, decay mode, decay a, decay b, cap).
The index comes first so that sorting a lead's kinds adds them up in the model's order."""


class Scorer:
    """A :class:`ScoreModel` compiled for speed; make it once with ``model.compile()``.

    ``score`` scores one lead at ``now``; ``score_many`` scores many (activities given per lead
    id); ``parts`` / ``explain`` say which rule gave how many points. Activities later than
    ``now`` are ignored (they have not happened yet at ``now``).
    """

    __slots__ = ("_caps", "_dims", "_grades", "_mql", "_rules", "max", "model")

    def __init__(self, model: ScoreModel) -> None:
        self.model = model
        self.max = model.max_score
        self._dims = tuple(d.compile() for d in model.dimensions)
        rules: dict[str, _Rule] = {}
        for i, rule in enumerate(model.behaviour):
            mode, a, b = model.decay_for(rule).mode()
            rules[rule.kind] = (i, rule.points, mode, a, b, rule.cap)
        self._rules = rules
        self._caps = tuple(rule.cap for rule in model.behaviour)
        self._grades = tuple((g.at_least, g.name) for g in model.grades)
        assert model.mql_at_least is not None
        self._mql = model.mql_at_least

    def __repr__(self) -> str:
        return (
            f"<Scorer: {len(self._dims)} dimensions, {len(self._caps)} behaviour rules, "
            f"max {self.max:g}>"
        )

    def score(self, lead: Lead, activities: Sequence[Activity] = (), *, now: datetime) -> Score:
        """Score one lead with its activities at ``now`` (aware); activities of another lead
        (``lead_id`` set and different) are refused with ``ValidationError``."""
        now = ensure_aware(now, "now")
        for i, activity in enumerate(activities):
            if activity.lead_id is not None and activity.lead_id != lead.id:
                raise ValidationError(
                    [
                        FieldProblem(
                            f"activities[{i}].lead_id",
                            f"is {activity.lead_id!r}, but the lead scored is {lead.id!r}",
                        )
                    ],
                    subject="scoring input",
                )
        return self.score_many((lead,), {lead.id: activities}, now=now)[0]

    def score_many(
        self,
        leads: Iterable[Lead],
        activities_by_lead: Mapping[str, Sequence[Activity]] | None = None,
        *,
        now: datetime,
    ) -> list[Score]:
        """Score many leads at ``now``; ``activities_by_lead`` maps a lead id to its activities
        (missing ids have none). The fast path: only the compiled closures run per lead."""
        now = ensure_aware(now, "now")
        now_ts = now.timestamp()
        dims = self._dims
        grades = self._grades
        mql = self._mql
        top = self.max
        rules = self._rules
        by_lead = activities_by_lead or {}
        get_activities = by_lead.get
        out: list[Score] = []
        append = out.append
        for lead in leads:
            profile = 0.0
            for dimension in dims:
                profile += dimension(lead)
            profile = int(profile * 1e6 + 0.5) / 1e6
            activities = get_activities(lead.id, _NO_ACTIVITIES) if by_lead else _NO_ACTIVITIES
            behave = 0.0
            total = profile
            if activities:
                sums: dict[_Rule, float] = {}
                for activity in activities:
                    rule = rules.get(activity.kind)
                    if rule is None:
                        continue
                    age = now_ts - activity.timestamp
                    if age < 0:
                        continue
                    points = rule[1]
                    mode = rule[2]
                    if mode == 1:
                        points = points * exp(-rule[3] * age)
                    elif mode == 2:
                        points = points - rule[3] * (age // rule[4])
                        if points <= 0:
                            continue
                    sums[rule] = sums.get(rule, 0.0) + points
                if sums:
                    for rule in sorted(sums) if len(sums) > 1 else sums:
                        kept = sums[rule]
                        cap = rule[5]
                        behave += kept if kept < cap else cap
                    behave = int(behave * 1e6 + 0.5) / 1e6
                    total = int((profile + behave) * 1e6 + 0.5) / 1e6
            for at_least, name in grades:
                if total >= at_least:
                    grade = name
                    break
            append(
                Score(
                    total,
                    top,
                    grade,
                    total >= mql,
                    profile,
                    behave,
                    now,
                    (self, lead, activities),
                )
            )
        return out

    def parts(
        self, lead: Lead, activities: Sequence[Activity] = (), *, now: datetime
    ) -> tuple[Part, ...]:
        """The breakdown of a lead's score, one :class:`Part` per dimension and per activity
        kind that scored (the explain path: slow, in words)."""
        now = ensure_aware(now, "now")
        now_ts = now.timestamp()
        parts: list[Part] = []
        for dimension in self.model.dimensions:
            value = lead_getter(resolve_field(dimension.field))(lead)
            raw, matched = dimension.evaluate(value)
            parts.append(
                Part(
                    "profile",
                    dimension.title,
                    matched,
                    raw,
                    weight=dimension.weight,
                    points=dimension.weight * raw,
                )
            )
        for rule in self.model.behaviour:
            decay = self.model.decay_for(rule)
            mode = decay.mode()
            count = 0
            kept = 0.0
            for activity in activities:
                age = now_ts - activity.timestamp
                if activity.kind != rule.kind or age < 0:
                    continue
                count += 1
                kept += decayed(rule.points, mode, age)
            if not count:
                continue
            raw = count * rule.points
            points = min(kept, rule.cap)
            parts.append(
                Part(
                    "behaviour",
                    rule.kind,
                    f"{count} × {rule.points:g} ({decay.describe()}, cap {rule.cap:g})",
                    raw,
                    decay=raw - kept,
                    capped=kept - points,
                    points=points,
                )
            )
        return tuple(parts)

    def explain(
        self, lead: Lead, activities: Sequence[Activity] = (), *, now: datetime
    ) -> Breakdown:
        """Score the lead and return its breakdown (``str()`` of it is a table)."""
        return self.score(lead, activities, now=now).breakdown
