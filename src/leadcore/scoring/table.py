"""Plain-text tables for explanations (a score's breakdown, a learned grade's evidence)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["render_table"]


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
