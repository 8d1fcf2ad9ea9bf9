"""Scores and their explanations: which rule gave how many points, and what decay took away.

A :class:`Score` remembers what it scored, so its :attr:`Score.breakdown` is worked out only
when asked for; ``str(score)`` is the breakdown as a table (useful in a notebook).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from leadcore.model import Lead
    from leadcore.scoring.activity import Activity
    from leadcore.scoring.scorer import Scorer

__all__ = ["Breakdown", "Part", "Score", "render_table"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> str:
    """A plain-text table; the last ``right`` columns are right-aligned (CJK-width aware)."""
    widths = [_width(h) for h in headers]
    for row in rows:
        widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=True)]
    first_right = len(headers) - right

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (width - _width(cell))
            out.append(pad + cell if i >= first_right else cell + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows), rule])


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


@attrs.frozen(slots=True)
class Breakdown:
    """Every part of a score and the summary; ``str()`` renders it as a table."""

    parts: tuple[Part, ...]
    total: float
    max: float
    grade: str
    mql: bool
    profile: float
    behaviour: float
    at: datetime

    def rows(self) -> list[dict[str, object]]:
        """The parts as plain dicts (for a DataFrame or JSON)."""
        return [attrs.asdict(p) for p in self.parts]

    def __str__(self) -> str:
        rows = [[p.section, p.rule, p.matched, p.calculation(), _num(p.points)] for p in self.parts]
        table = render_table(("part", "rule", "matched", "calculation", "points"), rows, right=1)
        summary = (
            f"total {_num(self.total)} of {_num(self.max)} (profile {_num(self.profile)} + "
            f"behaviour {_num(self.behaviour)}) → grade {self.grade}"
            f"{', MQL' if self.mql else ', not MQL'} at {self.at.isoformat()}"
        )
        return f"{table}\n{summary}"


@attrs.frozen(slots=True)
class Score:
    """A lead's score at ``at``: ``total`` = ``profile`` + ``behaviour`` (each rounded to 6
    decimals) out of ``max``, its ``grade`` and whether it makes the lead an ``mql``.

    ``breakdown`` explains it part by part; ``str(score)`` is that breakdown as a table.
    """

    total: float
    max: float
    grade: str
    mql: bool
    profile: float
    behaviour: float
    at: datetime
    _source: tuple[Scorer, Lead, Sequence[Activity]] | None = attrs.field(
        default=None, eq=False, repr=False
    )

    @property
    def breakdown(self) -> Breakdown:
        """Which rule gave how many points (and what decay and caps took away)."""
        parts: tuple[Part, ...] = ()
        if self._source is not None:
            scorer, lead, activities = self._source
            parts = scorer.parts(lead, activities, now=self.at)
        return Breakdown(
            parts,
            self.total,
            self.max,
            self.grade,
            self.mql,
            self.profile,
            self.behaviour,
            self.at,
        )

    def explain(self) -> str:
        """The breakdown as a readable table."""
        return str(self.breakdown)

    def __str__(self) -> str:
        return self.explain()
