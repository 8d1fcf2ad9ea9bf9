"""Running an import (批量导入): the whole source read first, its columns checked against the
mapping, then one :class:`ImportChunk` plan per chunk of rows, each its own unit of work.

The customer directory a chunk asks is the host's, outside the unit of work: when it fails
(``DirectoryFailed``), that chunk is undone, its rows are reported *failed* with the error,
and the import goes on with the next chunk; the chunks before it stay imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice

import attrs

from leadcore import checks
from leadcore.collector import collector_paused
from leadcore.conversion import DirectoryFailed
from leadcore.errors import FieldProblem, ValidationError
from leadcore.importing import (
    DEFAULT_HEADERS,
    ColumnMapping,
    ImportReport,
    RowResult,
    RowStatus,
    Source,
    read_source,
)
from leadcore.importing.source import SourceRow

from ..runner import Runner
from ..setup import Setup
from .importing import ImportChunk

__all__ = ["ImportProgress", "run_import"]


@attrs.frozen(slots=True)
class ImportProgress:
    """How far an import has got: rows read so far and what became of them (``failed``:
    rows of chunks the customer directory failed in, to import again)."""

    rows_read: int
    created: int
    duplicates: int
    rejected: int
    failed: int = 0


def run_import(
    runner: Runner,
    setup: Setup,
    actor_id: str,
    pool_id: str,
    rows: object,
    *,
    mapping: ColumnMapping | Mapping[str, str | None] | None,
    encoding: str,
    chunk_size: int,
    progress: Callable[[ImportProgress], object] | None,
) -> ImportReport:
    """Import ``rows`` chunk by chunk (see ``LeadDesk.import_leads``)."""
    chosen = mapping if isinstance(mapping, ColumnMapping) else ColumnMapping(mapping)
    if undeclared := chosen.undeclared(setup.custom_fields):
        raise ValidationError(undeclared, subject="import")
    size = checks.whole(chunk_size, "chunk_size", least=1, most=100_000)
    if progress is not None and not callable(progress):
        raise ValidationError(
            [FieldProblem("progress", "must be a function taking an ImportProgress")]
        )
    checks.identifier(actor_id, "actor_id")
    checks.identifier(pool_id, "pool_id")
    results: list[RowResult] = []
    earlier: dict[str, int] = {}
    counts = dict.fromkeys(RowStatus, 0)
    # The whole source is read first, so one that cannot be read, or a header the mapping
    # does not fit, fails before any chunk lands. Its rows live as long as the import, so the
    # collector has nothing to find in them.
    with collector_paused():
        source = read_source(rows, encoding=encoding)
    _check_columns(source, chosen)
    for chunk in _chunks(source.rows, size):
        command = ImportChunk(
            setup=setup,
            actor_id=actor_id,
            pool_id=pool_id,
            rows=chunk,
            mapping=chosen,
            earlier=earlier,
        )
        try:
            with collector_paused():
                done = runner.run(command)
        except DirectoryFailed as e:
            # The directory is the host's, outside the unit of work: this chunk is undone,
            # the chunks before it stay, and its rows are reported to be imported again.
            done = [_failed(number, raw, e) for number, raw in chunk]
        for r in done:
            counts[r.status] += 1
            if r.lead_id is not None:
                earlier[r.lead_id] = r.row
        results.extend(done)
        if progress is not None:
            _tell(
                progress,
                ImportProgress(
                    len(results),
                    counts[RowStatus.CREATED],
                    counts[RowStatus.DUPLICATE],
                    counts[RowStatus.REJECTED],
                    counts[RowStatus.FAILED],
                ),
            )
    return ImportReport(pool_id, tuple(results))


def _check_columns(source: Source, mapping: ColumnMapping) -> None:
    """``ValidationError`` before anything is imported: a column the (explicit) mapping names
    that the file (or every row given) lacks, and, in a CSV's header, two columns filling
    one field."""
    problems: list[FieldProblem] = []
    if source.header is not None:
        if not mapping.recognise:
            problems += mapping.missing(source.header)
        elif source.header and not mapping.recognised(source.header):
            problems.append(_no_known_column(source.header))
        for target, found in mapping.clashes(source.header).items():
            both = " and ".join(repr(h) for h in found)
            problems.append(
                FieldProblem(
                    "rows",
                    f"columns {both} both fill {target}; keep one, or pass a mapping that maps "
                    "the others to None",
                )
            )
    elif not mapping.recognise and any(isinstance(row, Mapping) for _, row in source.rows):
        columns = {h for _, row in source.rows if isinstance(row, Mapping) for h in row}
        problems += mapping.missing(
            [h for h in columns if isinstance(h, str)], where="any row given"
        )
    if problems:
        raise ValidationError(problems, subject="import")


def _tell(progress: Callable[[ImportProgress], object], so_far: ImportProgress) -> None:
    """Call ``progress``; what it raises goes on (a host may stop an import so), noting that
    the chunks before stay imported, since no report will say so."""
    try:
        progress(so_far)
    except Exception as e:
        e.add_note(
            f"leadcore: progress raised after {so_far.rows_read} rows of the import, which "
            f"stay imported ({so_far.created} created, {so_far.duplicates} duplicates, "
            f"{so_far.rejected} rejected, {so_far.failed} failed); the rows after them are not"
        )
        raise


def _no_known_column(header: tuple[str, ...]) -> FieldProblem:
    """The refusal of a header none of whose columns is recognised: most likely the file has
    no header line, and its first row would be read as one and lost."""
    shown = ", ".join(f"{h!r:.40}" for h in header[:5]) + (" …" if len(header) > 5 else "")
    known = ", ".join(headers[1] for headers in DEFAULT_HEADERS.values())
    return FieldProblem(
        "rows",
        f"none of the header's columns ({shown}) is one the import recognises ({known} …); "
        "if the file has no header line, add one, or pass a mapping",
    )


def _failed(number: int, raw: object, error: DirectoryFailed) -> RowResult:
    """A row of a chunk the customer directory failed in: not imported, to import again."""
    cause = error.__cause__
    why = f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
    problem = FieldProblem(
        "directory",
        f"not imported: the customer directory failed at {error.call} ({why}); "
        "import this row again",
    )
    values = dict(raw) if isinstance(raw, Mapping) else {"value": raw}
    return RowResult(number, RowStatus.FAILED, problems=(problem,), values=values)


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterable[tuple[SourceRow, ...]]:
    """The rows in chunks of ``size`` (one empty chunk for no rows, so the importer and the
    pool are still checked)."""
    iterator = iter(rows)
    chunk = tuple(islice(iterator, size))
    yield chunk
    while chunk := tuple(islice(iterator, size)):
        yield chunk
