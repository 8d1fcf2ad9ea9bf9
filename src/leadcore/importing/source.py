"""Where import rows come from: dicts the host already has, or a CSV file in UTF-8, UTF-8 with
a byte-order mark, or GBK. Each row is numbered as a person counts the lines of the file (the
header is line 1, so the first data row is row 2, and a row whose quoted cell runs over several
lines has the number of its first; rows given as dicts count from 1).

A CSV is read a block at a time and decoded as it goes, so a large file is never held whole as
bytes or text: only its rows are kept. A row with more filled-in cells than the header has
columns is a :class:`LongRow`, which the import rejects."""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import chain
from typing import Final

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.importing.mapping import header_name

__all__ = ["ENCODINGS", "LongRow", "Source", "SourceRow", "read_rows", "read_source"]

ENCODINGS: Final = ("utf-8", "utf-8-sig", "gbk", "gb18030")
"""The encodings a CSV may be read in (``utf-8`` also reads a file with a byte-order mark)."""

SourceRow = tuple[int, object]
"""A row's number and what was read there (a mapping of column to value, or anything at all
when the host handed in junk)."""

csv.field_size_limit(2**24)

_BLOCK: Final = 1 << 16
"""How much of a file is read at a time (bytes, or characters of a text file)."""

_LINE_END: Final = re.compile(r"\r\n|\r|\n")
_UTF16: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHINESE: Final = ("gbk", "gb18030")


class LongRow(dict[str, object]):
    """A CSV row with more filled-in ``cells`` than the header's ``columns``: the cells past
    the header are kept as ``column N``, and the import rejects the row, as its values may not
    stand under the columns they belong to (a comma in a value that is not quoted)."""

    __slots__ = ("cells", "columns")

    def __init__(self, values: Mapping[str, object], cells: int, columns: int) -> None:
        super().__init__(values)
        self.cells = cells
        self.columns = columns


def _refuse(reason: str) -> ValidationError:
    return ValidationError([FieldProblem("rows", reason)], subject="import")


def _wrong_encoding(reason: str) -> ValidationError:
    return ValidationError([FieldProblem("encoding", reason)], subject="import")


def _encoding(encoding: object) -> str:
    if not isinstance(encoding, str) or encoding.strip().lower() not in ENCODINGS:
        raise _wrong_encoding(f"must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
    return encoding.strip().lower()


def _header(cells: list[str]) -> tuple[str, ...]:
    """A CSV's column names, trimmed (a byte-order mark too); a blank one is named by its
    place (``column 3``). ``ValidationError`` on ``rows`` when a name repeats: the row could
    hold only one of them."""
    names = tuple(header_name(cell) or f"column {i + 1}" for i, cell in enumerate(cells))
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in first:
            raise _refuse(
                f"the header names column {name!r} twice (columns {first[name] + 1} and {i + 1}); "
                "give each column its own name"
            )
        first[name] = i
    return names


def _csv(blocks: Iterator[str]) -> tuple[tuple[str, ...] | None, Iterator[SourceRow]]:
    """The CSV's header (None for an empty file), read now, and its rows, read as they are
    iterated. Read strictly: a quote never closed would otherwise take the rest of the file
    into one cell, and its rows would be lost unseen."""
    reader = csv.reader(_lines(blocks), strict=True)
    try:
        cells = next(reader, None)
    except csv.Error as e:
        raise _unreadable(e, 1, reader.line_num) from None
    if cells is None:
        return None, iter(())
    names = _header(cells)

    def rows() -> Iterator[SourceRow]:
        line = reader.line_num
        try:
            for cells in reader:
                start, line = line + 1, reader.line_num
                yield start, _row(names, cells)
        except csv.Error as e:
            raise _unreadable(e, line + 1, reader.line_num) from None

    return names, rows()


def _unreadable(error: csv.Error, start: int, line: int) -> ValidationError:
    """The refusal of a CSV that cannot be read in the row from line ``start`` to ``line``."""
    where = f"line {line}" if line <= start else f"line {line} (in the row from line {start})"
    reason = str(error)
    if reason.startswith("unexpected end of data"):
        reason = f'a quote (") opened in the row from line {start} is never closed'
    elif reason.startswith("',' expected after"):
        reason = 'text follows a closing quote ("); a quote inside a quoted value is written ""'
    return _refuse(f"the CSV cannot be read at {where}: {reason}")


def _row(names: tuple[str, ...], cells: list[str]) -> dict[str, object]:
    """A CSV record by column name ({} when every cell is blank); cells past the header are
    kept under :func:`_extra` names, in a :class:`LongRow` when any of them is filled in."""
    if not any(cell.strip() for cell in cells):
        return {}
    if len(cells) <= len(names):
        return dict(zip(names, cells, strict=False))
    row: dict[str, object] = dict(zip(names, cells, strict=False))
    for i in range(len(names), len(cells)):
        row[_extra(i, row)] = cells[i]
    if any(cell.strip() for cell in cells[len(names) :]):
        return LongRow(row, len(cells), len(names))
    return row


def _extra(i: int, row: Mapping[str, object]) -> str:
    """A name for cell ``i`` of a row longer than the header: ``column N`` (N counted from 1),
    made longer until no column of the row has it, so no value is lost."""
    name = f"column {i + 1}"
    while name in row:
        name = f"{name} (extra)"
    return name


def _lines(blocks: Iterable[str]) -> Iterator[str]:
    """The text of ``blocks`` in lines, each with its own ending (``\\r\\n``, ``\\n`` or
    ``\\r``), as ``csv`` reads a file opened with ``newline=""``; a line may span blocks."""
    parts: list[str] = []
    for block in blocks:
        if not block:
            continue
        if parts and parts[-1].endswith("\r") and not block.startswith("\n"):
            yield "".join(parts)
            parts.clear()
        start = 0
        for end in _LINE_END.finditer(block):
            if end.group() == "\r" and end.end() == len(block):
                break  # "\r\n" may be split between this block and the next
            parts.append(block[start : end.end()])
            yield "".join(parts)
            parts.clear()
            start = end.end()
        if start < len(block):
            parts.append(block[start:])
    if parts:
        yield "".join(parts)


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
    blocks = _csv_blocks(rows, chosen)
    if blocks is None:
        found = read_rows(rows, encoding=chosen)
        if isinstance(rows, Collection):
            return Source(None, tuple(found))
        # A generator may give one dict again and again, changed in between: each row is
        # copied as it is read, to keep what it held then.
        return Source(None, tuple((n, _kept(row)) for n, row in found))
    header, found = _csv(blocks)
    return Source(header, tuple(found))


def _kept(row: object) -> object:
    """A row as read: a mapping copied (a :class:`LongRow` is the reader's own, kept)."""
    return dict(row) if isinstance(row, Mapping) and type(row) is not LongRow else row


def read_rows(rows: object, *, encoding: str = "utf-8") -> Iterator[SourceRow]:
    """The rows of ``rows``, numbered: an iterable of mappings (one row each; anything else in
    it is a row too, and is rejected later), a CSV file as a path (``pathlib.Path``), bytes or
    a memoryview of them, or an open file (text or binary). A plain ``str`` is refused: pass
    ``Path(name)`` for a file. A CSV's header names each column once (a blank name reads as
    ``column 3``, by its place). ``ValidationError`` names ``rows`` or ``encoding`` when the
    source itself cannot be read (a file in another encoding: at its first byte that cannot
    be read, which may be past rows already given), or its header repeats a name; single bad
    rows are never an error here."""
    chosen = _encoding(encoding)
    blocks = _csv_blocks(rows, chosen)
    if blocks is not None:
        return _csv(blocks)[1]
    if isinstance(rows, Mapping) or not isinstance(rows, Iterable):
        raise _refuse("must be rows (an iterable of mappings) or a CSV file (a Path or a file)")
    return enumerate(rows, start=1)


def _csv_blocks(rows: object, chosen: str) -> Iterator[str] | None:
    """The text of a CSV source, block by block as it is read, or None when ``rows`` is not
    one (rows given as dicts)."""
    if isinstance(rows, str):
        raise _refuse("a str is ambiguous; pass pathlib.Path(name) for a CSV file, or the rows")
    if isinstance(rows, os.PathLike):
        return _from_path(rows, chosen)
    if isinstance(rows, bytes | bytearray | memoryview):
        data = rows if isinstance(rows, bytes) else bytes(rows)
        pieces = (data[i : i + _BLOCK] for i in range(0, len(data), _BLOCK))
        return _decoded(pieces, chosen)
    read = getattr(rows, "read", None)
    if read is None:
        return None
    if not callable(read):
        raise _refuse("has a 'read' that is not a method; pass a file opened for reading")
    return _from_file(read, chosen)


def _from_path(path: os.PathLike[str], encoding: str) -> Iterator[str]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below, once opened
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        reason = getattr(e, "strerror", None) or e
        raise _refuse(f"cannot read {os.fspath(path)!r}: {reason}") from None
    with handle:
        yield from _from_file(handle.read, encoding)


def _from_file(read: Callable[[int], object], encoding: str) -> Iterator[str]:
    """The text of an open file, text or binary, read a block at a time."""
    first = _block(read)
    if isinstance(first, str):
        yield from _text_blocks(first, read)
        return
    blocks = iter(lambda: _block(read), b"")
    yield from _decoded(chain((first,), blocks) if first else (), encoding)


def _text_blocks(first: str, read: Callable[[int], object]) -> Iterator[str]:
    """A text file's blocks, the byte-order mark its start may keep taken off."""
    yield first[1:] if first.startswith("\ufeff") else first
    while (block := _block(read)) != "":
        if not isinstance(block, str):
            raise _refuse("the file gave text, then something else")
        yield block


def _block(read: Callable[[int], object]) -> str | bytes:
    try:
        data = read(_BLOCK)
    except UnicodeDecodeError as e:  # a text file opened in an encoding it is not in
        raise _wrong_encoding(
            f"the file was opened as {e.encoding} text, which it is not; open it in binary "
            "('rb') and pass encoding= (utf-8 or gbk)"
        ) from None
    except (OSError, ValueError) as e:  # closed, or not opened for reading
        raise _refuse(f"cannot read the file: {e}") from None
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if data is None:  # a non-blocking file with nothing yet
        raise _refuse("cannot read the file: it gave no data (is it non-blocking?)")
    if not isinstance(data, str | bytes):
        raise _refuse("the file gave neither text nor bytes")
    return data


def _decoded(blocks: Iterable[object], encoding: str) -> Iterator[str]:
    """The text of binary ``blocks`` in ``encoding``, decoded as they come. ``ValidationError``
    on ``encoding`` for a file that is plainly in another one, or at the first byte that cannot
    be read, naming its line."""
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    decoder = codecs.getincrementaldecoder(codec)()
    offset = newlines = 0
    for block in blocks:
        if not isinstance(block, bytes):
            raise _refuse("the file gave bytes, then something else")
        if offset == 0:
            _sniff(block, encoding)
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as e:
            raise _undecodable(e, encoding, offset - len(e.object) + len(block), newlines) from None
        offset += len(block)
        newlines += block.count(b"\n")  # never inside a character in any of ENCODINGS
        if text:
            yield text
    try:
        text = decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        raise _undecodable(e, encoding, offset - len(e.object), newlines) from None
    if text:
        yield text


def _undecodable(
    error: UnicodeDecodeError, encoding: str, base: int, newlines: int
) -> ValidationError:
    """The refusal of a byte that cannot be read: where it is (``base``: the offset of the
    bytes the decoder had, ``newlines``: the line breaks before them) and what to try."""
    line = newlines + error.object[: error.start].count(b"\n") + 1
    hint = {"gbk": "; try encoding='gb18030'", "gb18030": ""}.get(encoding, "; try encoding='gbk'")
    return _wrong_encoding(
        f"the file is not {encoding}: byte {base + error.start} (line {line}) cannot be read{hint}"
    )


def _sniff(first: bytes, encoding: str) -> None:
    """``ValidationError`` on ``encoding`` when the file's first block shows it is in another
    encoding, one that ``encoding`` would read as the wrong characters without an error: UTF-16,
    or UTF-8 read as GBK."""
    if first.startswith(_UTF16):
        raise _wrong_encoding(
            "the file is UTF-16 (a spreadsheet's 'Unicode text'); save it as CSV UTF-8 and "
            "import that"
        )
    if encoding in _CHINESE and _is_utf8(first):
        raise _wrong_encoding(
            f"the file is UTF-8, not {encoding} (its text reads as UTF-8); pass encoding='utf-8'"
        )


def _is_utf8(first: bytes) -> bool:
    """Whether ``first`` starts with UTF-8's byte-order mark, or reads as UTF-8 with at least
    two characters beyond ASCII (GBK text hardly ever does)."""
    if first.startswith(codecs.BOM_UTF8):
        return True
    if first.isascii():
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(first)
    except UnicodeDecodeError:
        return False
    return len(first) - len(text) >= 4
