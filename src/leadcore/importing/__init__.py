"""Importing leads (批量导入): rows from dicts or a CSV file, mapped to lead fields, converted,
and accounted for one by one. Pure: reading, mapping and reporting; the desk runs the import.

* :func:`read_rows` / :func:`read_source` — rows from dicts, or a CSV in UTF-8 (with or
  without BOM) or GBK, read a block at a time (``read_source`` reads all its rows, with the
  CSV's header); a :class:`LongRow` has more filled-in cells than the header has columns.
* :class:`ColumnMapping` — which column holds which field; common Chinese and English headers
  are recognised without one.
* :class:`ImportReport` / :class:`RowResult` / :class:`RowStatus` — created, duplicate or
  rejected, for every row; ``to_csv`` writes the rows to fix back out.
"""

from leadcore.importing.mapping import DEFAULT_HEADERS, ColumnMapping, ConvertedRow
from leadcore.importing.report import ImportReport, RowResult, RowStatus
from leadcore.importing.source import (
    ENCODINGS,
    LongRow,
    Source,
    SourceRow,
    read_rows,
    read_source,
)

__all__ = [
    "DEFAULT_HEADERS",
    "ENCODINGS",
    "ColumnMapping",
    "ConvertedRow",
    "ImportReport",
    "LongRow",
    "RowResult",
    "RowStatus",
    "Source",
    "SourceRow",
    "read_rows",
    "read_source",
]
