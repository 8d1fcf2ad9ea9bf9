"""Where import rows come from: dicts the host already has, or a CSV file in UTF-8, UTF-8 with
a byte-order mark, or GBK. Each row is numbered as a person counts the lines of the file (the
header is line 1, so the first data row is row 2; rows given as dicts count from 1)."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Final

import attrs

from leadcore.errors import FieldProblem, ValidationError

__all__ = ["ENCODINGS", "Source", "SourceRow", "read_rows", "read_source"]

ENCODINGS: Final = ("utf-8", "utf-8-sig", "gbk", "gb18030")
"""The encodings a CSV may be read in (``utf-8`` also reads a file with a byte-order mark)."""

SourceRow = tuple[int, object]
"""A row's number and what was read there (a mapping of column to value, or anything at all
when the host handed in junk)."""

csv.field_size_limit(2**24)


def _refuse(reason: str) -> ValidationError:
    return ValidationError([FieldProblem("rows", reason)], subject="import")


def _encoding(encoding: object) -> str:
    if not isinstance(encoding, str) or encoding.strip().lower() not in ENCODINGS:
        raise ValidationError(
            [FieldProblem("encoding", f"must be one of {', '.join(ENCODINGS)}, not {encoding!r}")],
            subject="import",
        )
    return encoding.strip().lower()


def _text(data: bytes, encoding: str) -> str:
    chosen = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return codecs.decode(data, chosen)
    except UnicodeDecodeError as e:
        hint = "; try encoding='gbk'" if encoding.startswith("utf") else ""
        raise ValidationError(
            [
                FieldProblem(
                    "encoding",
                    f"the file is not {encoding}: byte {e.start} cannot be read{hint}",
                )
            ],
            subject="import",
        ) from None


def _header(cells: list[str]) -> tuple[str, ...]:
    """A CSV's column names, trimmed; a blank one is named by its place (``column 3``).
    ``ValidationError`` on ``rows`` when a name repeats: the row could hold only one of them."""
    names = tuple(cell.strip() or f"column {i + 1}" for i, cell in enumerate(cells))
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            raise _refuse(
                f"the header names column {name!r} twice (columns {first[name] + 1} and {i + 1}); "
                "give each column its own name"
            )
        first[name] = i
    return names


def _csv_rows(text: str) -> Iterator[SourceRow]:
    return _csv(text)[1]


def _csv(text: str) -> tuple[tuple[str, ...] | None, Iterator[SourceRow]]:
    """The CSV's header (None for an empty file) and its rows, read as they are iterated."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        cells = next(reader, None)
    except csv.Error as e:
        raise _refuse(f"the CSV cannot be read at line {reader.line_num}: {e}") from None
    if cells is None:
        return None, iter(())
    names = _header(cells)

    def rows() -> Iterator[SourceRow]:
        try:
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    yield line, {}
                    continue
                row: dict[str, object] = {}
                for i, cell in enumerate(cells):
                    row[names[i] if i < len(names) else _extra(i, row)] = cell
                yield line, row
        except csv.Error as e:
            raise _refuse(f"the CSV cannot be read at line {reader.line_num}: {e}") from None

    return names, rows()


def _extra(i: int, row: Mapping[str, object]) -> str:
    """A name for cell ``i`` of a row longer than the header: ``column N`` (N counted from 1),
    made longer until no column of the row has it, so no value is lost."""
    name = f"column {i + 1}"
    while name in row:
        name = f"{name} (extra)"
    return name


@attrs.frozen(slots=True)
class Source:
    """A source read whole: the CSV's ``header`` (its column names, trimmed; None for rows
    given as dicts, or an empty file) and every numbered row."""

    header: tuple[str, ...] | None
    rows: tuple[SourceRow, ...]


def read_source(rows: object, *, encoding: str = "utf-8") -> Source:
    """All of ``rows`` (see :func:`read_rows`) read at once, with the CSV's header, so that
    a source that cannot be read fails before anything is imported."""
    chosen = _encoding(encoding)
    text = _csv_text(rows, chosen)
    if text is None:
        return Source(None, tuple(read_rows(rows, encoding=chosen)))
    header, found = _csv(text)
    return Source(header, tuple(found))


def read_rows(rows: object, *, encoding: str = "utf-8") -> Iterator[SourceRow]:
    """The rows of ``rows``, numbered: an iterable of mappings (one row each; anything else in
    it is a row too, and is rejected later), a CSV file as a path (``pathlib.Path``), bytes or
    a memoryview of them, or an open file (text or binary). A plain ``str`` is refused: pass ``Path(name)`` for a file.
    A CSV's header names each column once (a blank name reads as ``column 3``, by its place).
    ``ValidationError`` names ``rows`` or ``encoding`` when the source itself cannot be read,
    or its header repeats a name; single bad rows are never an error here."""
    chosen = _encoding(encoding)
    text = _csv_text(rows, chosen)
    if text is not None:
        return _csv_rows(text)
    if isinstance(rows, Mapping) or not isinstance(rows, Iterable):
        raise _refuse("must be rows (an iterable of mappings) or a CSV file (a Path or a file)")
    return enumerate(rows, start=1)


def _csv_text(rows: object, chosen: str) -> str | None:
    """The text of a CSV source, or None when ``rows`` is not one (rows given as dicts)."""
    if isinstance(rows, str):
        raise _refuse("a str is ambiguous; pass pathlib.Path(name) for a CSV file, or the rows")
    if isinstance(rows, os.PathLike):
        try:
            with open(rows, "rb") as handle:
                data = handle.read()
        except (OSError, ValueError) as e:  # ValueError: a NUL in the path
            reason = getattr(e, "strerror", None) or e
            raise _refuse(f"cannot read {os.fspath(rows)!r}: {reason}") from None
        return _text(data, chosen)
    if isinstance(rows, bytes | bytearray | memoryview):
        return _text(bytes(rows), chosen)
    if isinstance(rows, io.IOBase) or hasattr(rows, "read"):
        return _from_file(rows, chosen)  # type: ignore[arg-type]
    return None


def _from_file(handle: IO[str] | IO[bytes], encoding: str) -> str:
    try:
        data = handle.read()
    except (OSError, ValueError) as e:
        raise _refuse(f"cannot read the file: {e}") from None
    if isinstance(data, bytes):
        return _text(data, encoding)
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    raise _refuse("the file gave neither text nor bytes")
