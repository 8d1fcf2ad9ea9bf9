"""The import report: what became of every input row, and the rows to fix written back as CSV.

Every row read is exactly one of: **created** (with the new lead's id; ``suspected`` lists the
keys it shares with existing leads under a ``flag`` policy), **duplicate** (of an existing lead,
named by id when the importer may view it and otherwise by owner and masked detail, with the
key, and ``in_file_row`` when the match came from an earlier row of the same import;
``attached`` when the details were added to it), **rejected** (with every field's problem), or
**failed** (not imported because the customer directory failed while its chunk ran; nothing
is wrong with the row, import it again). So ``created + duplicates + rejected + failed ==
rows_read``, always.

The fix file (:meth:`ImportReport.to_csv`) keeps every column as read. The report's own
columns follow (``row``, ``status``, ``duplicate_of``, ``owner``, ``key``, ``in_file_row``,
``errors``); one whose name a column of the file already has is written with ``import_`` in
front (``import_status``), again until it is free.
"""

from __future__ import annotations

import csv
import io
import os
import pathlib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import IO, Final, cast

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.signatures import checked_constructor

__all__ = ["ImportReport", "RowResult", "RowStatus"]


class RowStatus(LabelledEnum):
    """What became of one input row."""

    CREATED = "created", "已创建", "Created"
    DUPLICATE = "duplicate", "重复", "Duplicate"
    REJECTED = "rejected", "已拒绝", "Rejected"
    FAILED = "failed", "导入失败", "Failed"


def _values(values: Mapping[str, object]) -> Mapping[str, object]:
    if type(values) is not dict and not isinstance(values, Mapping):
        shown = type(values).__name__
        raise ValidationError([FieldProblem("values", f"must map columns to values, not {shown}")])
    return frozen_mapping(values)


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class RowResult:
    """One input row's outcome (see the module docstring). ``values`` keeps the row as read
    for rows that were not created, so they can be exported and fixed."""

    row: int
    status: RowStatus
    lead_id: str | None = None
    duplicate_of: str | None = None
    key: str | None = None
    masked: str | None = None
    owner_id: str | None = None
    in_file_row: int | None = None
    attached: bool = False
    suspected: tuple[str, ...] = ()
    problems: tuple[FieldProblem, ...] = ()
    values: Mapping[str, object] = attrs.field(default=frozen_mapping({}), converter=_values)

    def describe(self) -> str:
        """The outcome in words, e.g. ``row 7: duplicate of L3 (phone 138****8000)``."""
        if self.status is RowStatus.CREATED:
            flagged = (
                f" (suspected duplicate: {', '.join(self.suspected)})" if self.suspected else ""
            )
            return f"row {self.row}: created {self.lead_id}{flagged}"
        if self.status is RowStatus.DUPLICATE:
            of = self.duplicate_of or f"a lead owned by {self.owner_id or 'nobody'}"
            where = f", row {self.in_file_row} of this file" if self.in_file_row else ""
            done = "; details attached" if self.attached else ""
            return f"row {self.row}: duplicate of {of} ({self.masked}{where}){done}"
        return f"row {self.row}: {self.status.value}: " + "; ".join(str(p) for p in self.problems)


_EXTRA: Final = ("row", "status", "duplicate_of", "owner", "key", "in_file_row", "errors")


@checked_constructor
@attrs.frozen(slots=True)
class ImportReport:
    """Every input row's :class:`RowResult`, in input order, with the counts."""

    pool_id: str
    rows: tuple[RowResult, ...]

    @property
    def rows_read(self) -> int:
        """How many rows were read."""
        return len(self.rows)

    def _of(self, status: RowStatus) -> tuple[RowResult, ...]:
        return tuple(r for r in self.rows if r.status is status)

    @property
    def created(self) -> tuple[RowResult, ...]:
        """The rows that became leads."""
        return self._of(RowStatus.CREATED)

    @property
    def duplicates(self) -> tuple[RowResult, ...]:
        """The rows that matched an existing lead (or an earlier row) and were not created."""
        return self._of(RowStatus.DUPLICATE)

    @property
    def rejected(self) -> tuple[RowResult, ...]:
        """The rows refused, with their problems."""
        return self._of(RowStatus.REJECTED)

    @property
    def failed(self) -> tuple[RowResult, ...]:
        """The rows not imported because the customer directory failed: import them again."""
        return self._of(RowStatus.FAILED)

    @property
    def created_ids(self) -> tuple[str, ...]:
        """The ids of the new leads, in input order (hand them to ``distribute``)."""
        return tuple(r.lead_id for r in self.created if r.lead_id is not None)

    @property
    def counts(self) -> dict[str, int]:
        """``{"rows_read", "created", "duplicates", "rejected", "failed"}``."""
        return {
            "rows_read": self.rows_read,
            "created": len(self.created),
            "duplicates": len(self.duplicates),
            "rejected": len(self.rejected),
            "failed": len(self.failed),
        }

    @property
    def balanced(self) -> bool:
        """Whether created + duplicates + rejected + failed == rows read (always true)."""
        c = self.counts
        return c["created"] + c["duplicates"] + c["rejected"] + c["failed"] == c["rows_read"]

    def to_csv(self, target: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None) -> str:
        """The rejected, duplicate and failed rows as CSV (UTF-8 with a byte-order mark when
        written to a path, so spreadsheets open it right): every column as read, then
        ``row``, ``status``, ``duplicate_of``, ``owner``, ``key`` (masked when hidden),
        ``in_file_row`` and ``errors``, each of these with ``import_`` in front when a column
        of the file has its name. Text that cannot be written (a lone surrogate) becomes
        ``?``, in the header too. Returns the text, and writes it to ``target`` if given: a
        path (``str`` or ``Path``), a text file, or a binary file (given the bytes a path
        gets)."""
        chosen = [r for r in self.rows if r.status is not RowStatus.CREATED]
        columns = list(dict.fromkeys(h for r in chosen for h in r.values))
        names = _unique([_cell(c) for c in columns])
        extra = _unique([*names, *_EXTRA], prefix="import_")[len(names) :]
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow([*names, *extra])
        for r in chosen:
            writer.writerow(
                [
                    *(_cell(r.values.get(c)) for c in columns),
                    r.row,
                    r.status.value,
                    r.duplicate_of or "",
                    r.owner_id or "",
                    r.key or r.masked or "",
                    r.in_file_row or "",
                    "; ".join(str(p) for p in r.problems),
                ]
            )
        text = out.getvalue()
        if target is not None:
            _write(text, target)
        return text


def _cell(value: object) -> str:
    """A value as the fix file shows it: text as it is, a date or decimal as it reads back
    (``2026-03-05``, ``1200.50``), anything else by its ``repr``."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, date | Decimal):
        text = str(value)
    else:
        try:
            text = repr(value)
        except Exception:  # a host's value that cannot even be shown (an int too long to print)
            text = f"<{type(value).__name__}>"
    return text.encode("utf-8", "replace").decode("utf-8")


def _unique(names: list[str], *, prefix: str = "") -> list[str]:
    """``names`` with each repeat made unique: ``prefix`` put in front (again until free), or
    without one, `` (2)``, `` (3)`` … after it (two headers that read the same once cleaned)."""
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        chosen, n = name, 1
        while chosen in taken:
            n += 1
            chosen = f"{prefix}{chosen}" if prefix else f"{name} ({n})"
        taken.add(chosen)
        out.append(chosen)
    return out


def _write(text: str, target: str | os.PathLike[str] | IO[str] | IO[bytes]) -> None:
    if isinstance(target, str):
        target = pathlib.Path(target)
    if isinstance(target, os.PathLike):
        try:
            with open(target, "w", encoding="utf-8-sig", newline="") as handle:
                handle.write(text)
        except (OSError, ValueError) as e:  # ValueError: a NUL in the path
            reason = getattr(e, "strerror", None) or e
            raise ValidationError(
                [FieldProblem("target", f"cannot write {os.fspath(target)!r}: {reason}")]
            ) from None
        return
    if not callable(getattr(target, "write", None)):
        raise ValidationError([FieldProblem("target", "must be a path or a text file")])
    try:
        if isinstance(target, io.RawIOBase | io.BufferedIOBase):  # binary: as a path gets it
            target.write(text.encode("utf-8-sig", errors="replace"))
        else:
            cast("IO[str]", target).write(text)
    except TypeError:  # a file of bytes we could not recognise
        raise ValidationError(
            [FieldProblem("target", "must be a path or a file opened for text ('w')")]
        ) from None
    except (OSError, ValueError) as e:  # opened for reading only, or closed
        raise ValidationError(
            [FieldProblem("target", f"cannot write to the file ({e}); open it for writing")]
        ) from None


def results_of(rows: Iterable[RowResult]) -> tuple[RowResult, ...]:
    """The results in row order (chunks report in order already; this keeps it so)."""
    return tuple(sorted(rows, key=lambda r: r.row))
