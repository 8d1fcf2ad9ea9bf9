"""The one table renderer: plain-text tables for terminals and HTML tables for notebooks.

Terminal tables align by *display* width: a CJK (or other wide) character takes two columns, a
combining mark none. Every cell is made one line first — a line break shows as ``↵``, a tab as
a space, and any other control or format character as its ``\\uXXXX`` escape — so no text can
break the layout. HTML tables escape every header, cell and caption with :func:`html.escape`.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from typing import Final

from leadcore.errors import FieldProblem, ValidationError

__all__ = ["clean", "fit", "render_html_table", "render_table", "text_width"]

_BREAKS: Final = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_ESCAPED: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_MAX_PROBLEMS: Final = 5
"""The most wrong arguments, rows and cells one error names."""


def clean(text: str) -> str:
    """``text`` on one line: line breaks as ``↵``, tabs as spaces, other control and format
    characters (zero-width joiners, bidirectional overrides, lone surrogates) escaped."""
    _text_only(text, "text")
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
    _text_only(text, "text")
    if text.isascii():
        return len(text)
    return sum(_char_width(c) for c in text)


def fit(text: str, width: int | None) -> str:
    """``text`` cleaned to one line and, when wider than ``width`` columns (a whole number of
    at least 1, or None for no limit), cut with ``…``."""
    problem = _width_problem(width)
    if problem is not None:
        raise ValidationError([FieldProblem("width", problem)], subject="table")
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


def _text_only(value: object, field: str) -> None:
    if not isinstance(value, str):
        reason = f"must be text, not {_kind(value)}"
        raise ValidationError([FieldProblem(field, reason)], subject="table")


def _width_problem(width: object) -> str | None:
    if width is None or (isinstance(width, int) and not isinstance(width, bool) and width >= 1):
        return None
    return f"must be a whole number of at least 1, or None, not {width!r:.40}"


def _texts(value: object, field: str, what: str, problems: list[FieldProblem]) -> list[str]:
    """``value`` as a list of text (a list or tuple, not one ``str``), each wrong item a
    problem at ``field[i]``; ``what`` says what the list holds."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        problems.append(FieldProblem(field, f"must be a list of {what}, not {_kind(value)}"))
        return []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(FieldProblem(f"{field}[{i}]", f"must be text, not {_kind(item)}"))
    return list(value)


def _kind(value: object) -> str:
    if value is None:
        return "None"
    return f"the string {value!r:.40}" if isinstance(value, str) else type(value).__name__


def _checked(
    headers: object, rows: object, right: object, max_width: object = None
) -> tuple[list[str], list[list[str]], frozenset[int]]:
    """The headings, rows and right-aligned columns of a table, or a ``ValidationError`` naming
    each wrong argument, row (``rows[i]``) and cell (``rows[i][j]``)."""
    problems: list[FieldProblem] = []
    head = _texts(headers, "headers", "column headings", problems)
    # Rows are measured against the headings only when those are a list.
    counted = isinstance(headers, Sequence) and not isinstance(headers, str | bytes)
    body: list[list[str]] = []
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        problems.append(FieldProblem("rows", f"must be a list of rows, not {_kind(rows)}"))
    else:
        for i, row in enumerate(rows):
            cells = _texts(row, f"rows[{i}]", "cells (text)", problems)
            listed = isinstance(row, Sequence) and not isinstance(row, str | bytes)
            if counted and listed and len(cells) != len(head):
                has = f"{len(cells)} cell" + ("" if len(cells) == 1 else "s")
                reason = f"has {has}; give one per heading ({len(head)})"
                problems.append(FieldProblem(f"rows[{i}]", reason))
            body.append(cells)
    aligned = _right_columns(len(head), right, problems)
    width_problem = _width_problem(max_width)
    if width_problem is not None:
        problems.append(FieldProblem("max_width", width_problem))
    if problems:
        raise ValidationError(problems[:_MAX_PROBLEMS], subject="table")
    return head, body, aligned


def _right_columns(count: int, right: object, problems: list[FieldProblem]) -> frozenset[int]:
    """The right-aligned column indices: the last ``right`` columns, or the indices given."""
    if isinstance(right, int) and not isinstance(right, bool):
        if not 0 <= right <= count:
            reason = f"must be between 0 and {count} (the number of columns), not {right}"
            problems.append(FieldProblem("right", reason))
        return frozenset(range(count - right, count))
    if isinstance(right, str | bytes | Mapping) or not isinstance(right, Collection):
        reason = f"must be a number of last columns or a list of column indices, not {_kind(right)}"
        problems.append(FieldProblem("right", reason))
        return frozenset()
    for i, index in enumerate(right):
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            reason = f"must be a column index from 0 to {count - 1}, not {index!r:.40}"
            problems.append(FieldProblem(f"right[{i}]", reason))
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
    ``max_width`` columns are cut with ``…``. Every heading and cell must be text and every row
    have one cell per heading: otherwise a ``ValidationError`` names the argument, the row
    (``rows[i]``) or the cell (``rows[i][j]``)."""
    given_head, given_body, aligned = _checked(headers, rows, right, max_width)
    head = [fit(h, max_width) for h in given_head]
    body = [[fit(c, max_width) for c in row] for row in given_body]
    widths = [text_width(h) for h in head]
    for row in body:
        widths = [max(w, text_width(c)) for w, c in zip(widths, row, strict=True)]

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
    """An HTML ``<table>`` (for a notebook's ``_repr_html_``); every text is escaped. ``right``,
    the headings and the rows as for :func:`render_table`; ``caption`` is text or None."""
    given_head, given_body, aligned = _checked(headers, rows, right)
    if caption is not None and not isinstance(caption, str):
        reason = f"must be text or None, not {_kind(caption)}"
        raise ValidationError([FieldProblem("caption", reason)], subject="table")

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
    parts.append(f"<thead><tr>{cells('th', given_head)}</tr></thead>")
    parts.append("<tbody>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in given_body]
    parts.append("</tbody></table>")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return html.escape(clean(text), quote=True)
