"""Scores and their explanations: which rule gave how many points, and what decay took away.

A :class:`Score` keeps its :class:`Workings` — the lead, its activities and the
:class:`~leadcore.scoring.sheet.ScoreSheet` it was scored by, all plain data, not the scorer — so
its :attr:`Score.breakdown` is put into words only when asked for, by the same functions that
made the total; ``str(score)`` is the breakdown as a table (useful in a notebook).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Final, NamedTuple

import attrs

from leadcore.export import Column, Columns, Exportable, Labels
from leadcore.labels import LabelledEnum
from leadcore.model import Lead
from leadcore.scoring.activity import Activity
from leadcore.scoring.behaviour import compile_behaviour
from leadcore.scoring.fields import lead_getter, resolve_field
from leadcore.scoring.sheet import ScoreSheet
from leadcore.scoring.table import render_table  # also importable from here, as before
from leadcore.signatures import checked_constructor

__all__ = [
    "PART_COLUMNS",
    "Breakdown",
    "Part",
    "Score",
    "ScoreTotals",
    "Workings",
    "WorkingsData",
    "render_table",
]


def _num(value: float) -> str:
    return f"{value:.2f}"


@attrs.frozen(slots=True)
class Part:
    """One line of a breakdown.

    ``section`` is ``"profile"`` or ``"behaviour"``; ``rule`` the dimension's name or the
    activity kind; ``matched`` what the lead had (``"company_size = large"``, ``"3 events"``).
    ``raw`` is the dimension's points before weighting, or the kind's points before decay and
    cap; ``decay`` the points decay took away; ``capped`` the points the cap cut; ``points`` what
    the part adds to the total (``raw × weight``, or ``raw − decay − capped``).
    """

    section: str
    rule: str
    matched: str
    raw: float
    weight: float = 1.0
    decay: float = 0.0
    capped: float = 0.0
    points: float = 0.0

    def calculation(self) -> str:
        """How ``points`` came about, in words."""
        if self.section == "profile":
            return f"{self.raw:g} × {self.weight * 100:g}%"
        text = f"{self.raw:g}"
        if self.decay:
            text += f" − {self.decay:.2f} decay"
        if self.capped:
            text += f" − {self.capped:.2f} over cap"
        return text


class _Section(LabelledEnum):
    PROFILE = "profile", "画像", "Profile"
    BEHAVIOUR = "behaviour", "行为", "Behaviour"


def _section(part: Any) -> object:
    return next((s for s in _Section if s.value == part.section), part.section)


PART_COLUMNS: Final = Columns(
    (
        Column("section", "部分", "Part", get=_section),
        Column("rule", "规则", "Rule"),
        Column("matched", "匹配", "Matched"),
        Column("raw", "原始分", "Raw points", kind="number"),
        Column("weight", "权重", "Weight", kind="number"),
        Column("decay", "衰减", "Decay", kind="number"),
        Column("capped", "超上限", "Over cap", kind="number"),
        Column("points", "得分", "Points", kind="number", show=lambda v, _: _num(v)),
        Column("calculation", "计算", "Calculation", get=lambda p: p.calculation()),
    ),
    brief=("section", "rule", "matched", "calculation", "points"),
)
"""A score breakdown's record per rule: the part's fields and its calculation in words."""


class Workings(NamedTuple):
    """What one score was worked out from: the ``sheet`` (the model as plain data), the
    ``lead`` and its ``activities``.

    The breakdown runs the very functions the scorer ran — each dimension's compiled function
    and :func:`~leadcore.scoring.behaviour.compile_behaviour`'s tally — so its parts are the
    numbers that made the total.
    """

    sheet: ScoreSheet
    lead: Lead
    activities: Sequence[Activity]

    def parts(self, at: datetime) -> tuple[Part, ...]:
        """One :class:`Part` per dimension, and per activity kind that scored at ``at``."""
        parts: list[Part] = []
        for dimension in self.sheet.dimensions:
            value = lead_getter(resolve_field(dimension.field))(self.lead)
            raw, matched = dimension.evaluate(value)
            parts.append(
                Part(
                    "profile",
                    dimension.title,
                    matched,
                    raw,
                    weight=dimension.weight,
                    points=dimension.compile()(self.lead),
                )
            )
        now_ts = at.timestamp()
        for rule in self.sheet.behaviour:
            counts = [0]
            (kept,), points = compile_behaviour((rule,))(self.activities, now_ts, counts)
            (count,) = counts
            if not count:
                continue
            raw = count * rule.points
            parts.append(
                Part(
                    "behaviour",
                    rule.kind,
                    f"{count} × {rule.points:g} ({rule.decay_with(None).describe()}, "
                    f"cap {rule.cap:g})",
                    raw,
                    decay=raw - kept,
                    capped=kept - points,
                    points=points,
                )
            )
        return tuple(parts)


@attrs.frozen(slots=True)
class ScoreTotals:
    """What a score comes to at ``at``: ``total`` = ``profile`` + ``behaviour`` (each rounded
    to 6 decimals) out of ``max``, its ``grade`` and whether it makes the lead an ``mql``."""

    total: float
    max: float
    grade: str
    mql: bool
    profile: float
    behaviour: float
    at: datetime

    def summary(self) -> str:
        """The totals in one line."""
        return (
            f"total {_num(self.total)} of {_num(self.max)} (profile {_num(self.profile)} + "
            f"behaviour {_num(self.behaviour)}) → grade {self.grade}"
            f"{', MQL' if self.mql else ', not MQL'} (scored at {self.at.isoformat()})"
        )


@checked_constructor
@attrs.frozen(slots=True)
class Breakdown(ScoreTotals, Exportable):
    """Every part of a score and its totals; ``str()`` renders it as a table, ``to_records()``
    gives a record per rule (keys: ``PART_COLUMNS``)."""

    _export: ClassVar[Columns] = PART_COLUMNS
    parts: tuple[Part, ...] = ()

    def rows(self) -> list[dict[str, object]]:
        """The parts as plain dicts of their fields (``to_records()`` is JSON-ready)."""
        return [attrs.asdict(p) for p in self.parts]

    def _export_items(self) -> Iterable[object]:
        return self.parts

    def _export_summary(self, labels: Labels) -> str:
        return self.summary()


WorkingsData = tuple[ScoreSheet, Lead, Sequence[Activity]]
""":class:`Workings` as a plain tuple, the way the scorer's fast path hands them over."""


@checked_constructor
@attrs.frozen(slots=True)
class Score(ScoreTotals, Exportable):
    """A lead's score: its totals, and its ``breakdown`` part by part; ``str(score)`` is that
    breakdown as a table. Two scores are equal when their totals are.

    ``workings`` (a :class:`Workings`, or the same as a plain tuple) is what the score was
    worked out from; a score built by hand has none and its breakdown no parts.
    """

    _export: ClassVar[Columns] = PART_COLUMNS
    _workings: Workings | WorkingsData | None = attrs.field(
        default=None, eq=False, repr=False, alias="workings"
    )

    @property
    def workings(self) -> Workings | None:
        """What the score was worked out from, or ``None`` for a score built by hand."""
        given = self._workings
        return None if given is None else Workings._make(given)

    @property
    def breakdown(self) -> Breakdown:
        """Which rule gave how many points (and what decay and caps took away)."""
        workings = self.workings
        parts = () if workings is None else workings.parts(self.at)
        return Breakdown(
            self.total,
            self.max,
            self.grade,
            self.mql,
            self.profile,
            self.behaviour,
            self.at,
            parts,
        )

    def _export_items(self) -> Iterable[object]:
        return self.breakdown.parts

    def _export_summary(self, labels: Labels) -> str:
        return self.summary()

    def explain(self) -> str:
        """The breakdown as a readable table."""
        return str(self.breakdown)
