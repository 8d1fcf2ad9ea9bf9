"""The one table renderer: plain-text tables for terminals and HTML tables for notebooks.

Terminal tables align by *display* width: a CJK (or other wide) character takes two columns, a
combining mark none. Every cell is made one line first — a line break shows as ``↵``, a tab as
a space, and any other control or format character as its ``\\uXXXX`` escape — so no text can
break the layout. HTML tables escape every header, cell and caption with :func:`html.escape`.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Collection, Sequence
from typing import Final

__all__ = ["clean", "fit", "render_html_table", "render_table", "text_width"]

_BREAKS: Final = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ESCAPED: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean(text: str) -> str:
    """``text`` on one line: line breaks as ``↵``, tabs as spaces, other control and format
    characters (zero-width joiners, bidirectional overrides, lone surrogates) escaped."""
    if text.isprintable():
        return text
    out: list[str] = []
    for ch in text.replace("\r\n", "\n"):
        if ch in _BREAKS:
            out.append("↵")
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in _ESCAPED:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "".join(out)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def text_width(text: str) -> int:
    """How many terminal columns ``text`` takes (wide characters count two, marks none)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def fit(text: str, width: int | None) -> str:
    """``text`` cleaned to one line and, when wider than ``width`` columns, cut with ``…``."""
    text = clean(text)
    if width is None or text_width(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _right_columns(count: int, right: int | Collection[int]) -> frozenset[int]:
    if isinstance(right, int):
        return frozenset(range(count - right, count))
    return frozenset(right)


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: int | Collection[int] = 1,
    *,
    max_width: int | None = None,
) -> str:
    """A plain-text table, ruled above and below the rows. ``right`` is how many of the last
    columns are right-aligned, or the indices of the right-aligned columns. Cells wider than
    ``max_width`` columns are cut with ``…``."""
    head = [fit(h, max_width) for h in headers]
    body = [[fit(c, max_width) for c in row] for row in rows]
    widths = [text_width(h) for h in head]
    for row in body:
        widths = [max(w, text_width(c)) for w, c in zip(widths, row, strict=True)]
    aligned = _right_columns(len(head), right)

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (width - text_width(cell))
            out.append(pad + cell if i in aligned else cell + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule, *(line(r) for r in body), rule])


def render_html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: int | Collection[int] = 1,
    *,
    caption: str | None = None,
) -> str:
    """An HTML ``<table>`` (for a notebook's ``_repr_html_``); every text is escaped. ``right``
    as for :func:`render_table`."""
    aligned = _right_columns(len(headers), right)

    def cells(tag: str, values: Sequence[str]) -> str:
        return "".join(
            f'<{tag} style="text-align: right">{_escape(v)}</{tag}>'
            if i in aligned
            else f"<{tag}>{_escape(v)}</{tag}>"
            for i, v in enumerate(values)
        )

    parts = ['<table class="leadcore">']
    if caption:
        parts.append(f"<caption>{_escape(caption)}</caption>")
    parts.append(f"<thead><tr>{cells('th', headers)}</tr></thead>")
    parts.append("<tbody>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return html.escape(clean(text), quote=True)
