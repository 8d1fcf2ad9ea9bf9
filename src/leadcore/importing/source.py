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

from leadcore.errors import FieldProblem, ValidationError

__all__ = ["ENCODINGS", "SourceRow", "read_rows"]

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


def _csv_rows(text: str) -> Iterator[SourceRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [name.strip() for name in header]
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                yield line, {}
                continue
            row: dict[str, object] = {}
            for i, cell in enumerate(cells):
                name = names[i] if i < len(names) else f"column {i + 1}"
                row[name] = cell
            yield line, row
    except csv.Error as e:
        raise _refuse(f"the CSV cannot be read at line {reader.line_num}: {e}") from None


def read_rows(rows: object, *, encoding: str = "utf-8") -> Iterator[SourceRow]:
    """The rows of ``rows``, numbered: an iterable of mappings (one row each; anything else in
    it is a row too, and is rejected later), a CSV file as a path (``pathlib.Path``), bytes or
    an open file (text or binary). A plain ``str`` is refused: pass ``Path(name)`` for a file.
    ``ValidationError`` names ``rows`` or ``encoding`` when the source itself cannot be read;
    single bad rows are never an error here."""
    chosen = _encoding(encoding)
    if isinstance(rows, str):
        raise _refuse("a str is ambiguous; pass pathlib.Path(name) for a CSV file, or the rows")
    if isinstance(rows, os.PathLike):
        try:
            with open(rows, "rb") as handle:
                data = handle.read()
        except OSError as e:
            raise _refuse(f"cannot read {os.fspath(rows)!r}: {e.strerror or e}") from None
        return _csv_rows(_text(data, chosen))
    if isinstance(rows, bytes | bytearray):
        return _csv_rows(_text(bytes(rows), chosen))
    if isinstance(rows, io.IOBase) or hasattr(rows, "read"):
        return _csv_rows(_from_file(rows, chosen))  # type: ignore[arg-type]
    if isinstance(rows, Mapping) or not isinstance(rows, Iterable):
        raise _refuse("must be rows (an iterable of mappings) or a CSV file (a Path or a file)")
    return ((n, row) for n, row in enumerate(rows, start=1))


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
