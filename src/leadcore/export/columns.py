"""Declaring an export once — its columns — and getting records, DataFrames and tables from it.

A :class:`Column` says where a value comes from (a dotted attribute path, or a function), its
stable ``key`` and its Chinese and English titles. :class:`Columns` turns items into records
(``dict``s keyed by the column keys, values JSON-ready), a pandas DataFrame, a terminal table or
an HTML table. :class:`Exportable` gives a result type all of these from one ``_export``
declaration — the way every result (pages, histories, batches, breakdowns, later reports) plugs
in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, KeysView, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, get_args

import attrs

from leadcore.checks import article, flag
from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.jsonvalue import JSONValue
from leadcore.table import render_html_table, render_table

from .settings import Labels, resolve_labels
from .values import cell, plain, within

if TYPE_CHECKING:
    import pandas

__all__ = ["Column", "Columns", "Exportable", "Kind", "MissingExtra", "Record"]

Record = dict[str, JSONValue]
"""One exported row: column key → JSON-ready value."""

Kind = Literal["text", "number", "decimal", "time", "flag", "list", "data"]
"""What a column holds: text, a number, an exact decimal as text, an ISO time, a bool, a list
(sets sorted), or nested data (an object or a list of objects)."""

CELL_WIDTH: Final = 40
"""The widest a terminal table cell gets before it is cut with ``…``."""

_NUMERIC: Final = frozenset({"number", "decimal"})
_KINDS: Final[tuple[str, ...]] = get_args(Kind)

_MAX_PROBLEMS: Final = 5
"""The most wrong items one error names (then it says how many more)."""


class MissingExtra(LeadcoreError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.feature = feature
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs {package}, which is not installed; install the {extra!r} extra: "
            f"pip install 'leadcore[{extra}]'"
        )


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:
        raise MissingExtra("to_dataframe()", "pandas", "pandas") from e
    return pandas


@attrs.frozen(slots=True)
class Column:
    """One exported column: its stable ``key``, its Chinese and English titles, where the value
    comes from (``path``, a dotted attribute path, default the key; or ``get``, a function of
    the item) and its ``kind``. ``show`` (optional) writes a table cell from the raw value."""

    key: str
    zh: str
    en: str
    path: str | None = None
    kind: Kind = "text"
    get: Callable[[Any], object] | None = attrs.field(default=None, eq=False)
    show: Callable[[Any, Labels], str] | None = attrs.field(default=None, eq=False)

    def read(self, item: object) -> object:
        """The raw value of this column for ``item`` (None along a path through None)."""
        if self.get is not None:
            return self.get(item)
        value: object = item
        path = self.path or self.key
        for name in path.split("."):
            if value is None:
                return None
            try:
                value = getattr(value, name)
            except AttributeError as e:
                shown = type(value).__name__
                reason = f"cannot read {path!r}: {article(shown)} {shown} has no {name!r}"
                raise ValidationError([FieldProblem(self.key, reason)], subject="export") from e
        return value

    def title(self, labels: Labels) -> str:
        """The column's heading: its key, Chinese or English title."""
        return self.zh if labels == "zh" else self.en if labels == "en" else self.key

    def text(self, item: object, labels: Labels) -> str:
        """The table cell for ``item``."""
        value = self.read(item)
        return self.show(value, labels) if self.show is not None else cell(value, labels)


@attrs.frozen(slots=True)
class Columns:
    """The columns of one kind of record, in order, and the ``brief`` keys a table shows.

    Items must be a collection (not a single item, ``None`` or a string) of records that have
    every attribute the columns read, or a ``ValidationError`` names the argument and each
    wrong item; ``item`` is the record type's name for that error (``"Lead"``) and
    ``item_name`` what a list of them is called (``"leads"``).
    """

    columns: tuple[Column, ...]
    brief: tuple[str, ...] = ()
    item: str = ""
    item_name: str = "items"
    _reads: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        columns = _declared(self.columns, problems)
        keys = [c.key for c in columns if isinstance(c.key, str)]
        brief = _brief(self.brief, keys, problems)
        if problems:
            raise ValidationError(problems[:_MAX_PROBLEMS], subject="columns declaration")
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "brief", brief)
        roots = ((c.path or c.key).split(".")[0] for c in columns if c.get is None)
        object.__setattr__(self, "_reads", tuple(dict.fromkeys(roots)))

    @property
    def keys(self) -> tuple[str, ...]:
        """Every column's key, in order: the keys of each record."""
        return tuple(c.key for c in self.columns)

    def titles(self, labels: Labels | None = None) -> dict[str, str]:
        """Column key → heading in the label setting (to rename a DataFrame's columns)."""
        chosen = resolve_labels(labels)
        return {c.key: c.title(chosen) for c in self.columns}

    def checked(self, items: object, argument: str = "items") -> list[object]:
        """``items`` as a list, each one a record these columns can read: anything else is a
        ``ValidationError`` on ``argument`` (a single item, ``None``, a string, a wrong item)."""
        what = f"{self.item_name} ({self.item})" if self.item else self.item_name
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
            raise ValidationError(
                [FieldProblem(argument, f"must be a list of {what}, not {type(items).__name__}")],
                subject="export",
            )
        found = list(items)
        fine: set[type] = set()  # records of one type have the same attributes
        problems: list[FieldProblem] = []
        for i, item in enumerate(found):
            if type(item) not in fine:
                problem = self._wrong(item, f"{argument}[{i}]")
                if problem is None:
                    fine.add(type(item))
                else:
                    problems.append(problem)
        if problems:
            shown = problems[:_MAX_PROBLEMS]
            if len(problems) > len(shown):
                more = len(problems) - len(shown)
                shown.append(FieldProblem(argument, f"and {more} more that are not {what}"))
            raise ValidationError(shown, subject="export")
        return found

    def _wrong(self, item: object, field: str) -> FieldProblem | None:
        missing = next((name for name in self._reads if not hasattr(item, name)), None)
        if item is not None and missing is None:
            return None
        shown = "None" if item is None else type(item).__name__
        if self.item:
            return FieldProblem(field, f"must be {article(self.item)} {self.item}, not {shown}")
        return FieldProblem(field, f"must have the {missing!r} these columns read, not {shown}")

    def record(self, item: object, labels: Labels | None = None) -> Record:
        """``item`` as one record: every column, JSON-ready."""
        chosen = resolve_labels(labels)
        problem = self._wrong(item, "item")
        if problem is not None:
            raise ValidationError([problem], subject="export")
        return self._record(item, chosen)

    def _record(self, item: object, labels: Labels) -> Record:
        return {c.key: _written(c, item, labels) for c in self.columns}

    def records(self, items: Iterable[object], labels: Labels | None = None) -> list[Record]:
        """A record per item, in order (``items`` must be a collection of the columns'
        items: ``ValidationError`` otherwise)."""
        chosen = resolve_labels(labels)
        return [self._record(item, chosen) for item in self.checked(items)]

    def dataframe(
        self, items: Iterable[object], labels: Labels | None = None, *, titles: bool = False
    ) -> pandas.DataFrame:
        """The records as a pandas DataFrame (``MissingExtra`` without pandas): a column per
        key — times as timezone-aware datetimes, exact decimals as ``Decimal`` — or per title
        when ``titles``."""
        flag(titles, "titles")
        pd = _pandas()
        chosen = resolve_labels(labels)
        frame = pd.DataFrame.from_records(self.records(items, chosen), columns=list(self.keys))
        for column in self.columns:
            if column.kind in ("time", "decimal"):
                frame[column.key] = _typed(pd, frame[column.key], column)
        return frame.rename(columns=self.titles(chosen)) if titles else frame

    def _shown(self, keys: object) -> list[Column]:
        """The columns a table of ``keys`` shows, in that order (``None`` or empty: the brief
        columns, else all). ``keys`` must be a collection of column keys (not a single ``str``):
        a ``ValidationError`` names ``keys`` or each wrong ``keys[i]`` and lists the keys."""
        if keys is None:
            return self._columns(self.brief or self.keys)
        known = ", ".join(self.keys)
        if isinstance(keys, str | bytes | Mapping) or not isinstance(keys, Iterable):
            shown = f"the string {keys!r:.40}" if isinstance(keys, str) else type(keys).__name__
            raise ValidationError(
                [FieldProblem("keys", f"must be a list of column keys, not {shown}; use: {known}")],
                subject="export",
            )
        if _unordered(keys):
            reason = f"must be a list (a set has no order), not {type(keys).__name__}; use: {known}"
            raise ValidationError([FieldProblem("keys", reason)], subject="export")
        wanted = list(keys)
        problems = _key_problems(wanted, self.keys, "keys")
        if problems:
            raise ValidationError(problems[:_MAX_PROBLEMS], subject="export")
        return self._columns(wanted or self.brief or self.keys)

    def _columns(self, keys: Iterable[str]) -> list[Column]:
        by_key = {c.key: c for c in self.columns}
        return [by_key[k] for k in keys]

    def _grid(
        self, items: Iterable[object], labels: Labels | None, keys: Sequence[str] | None
    ) -> tuple[list[str], list[list[str]], list[int]]:
        chosen = resolve_labels(labels)
        shown = self._shown(keys)
        rows = [[c.text(item, chosen) for c in shown] for item in self.checked(items)]
        right = [i for i, c in enumerate(shown) if c.kind in _NUMERIC]
        return [c.title(chosen) for c in shown], rows, right

    def table(
        self,
        items: Iterable[object],
        labels: Labels | None = None,
        *,
        keys: Sequence[str] | None = None,
    ) -> str:
        """A terminal table of ``keys`` (default the brief columns), numbers right-aligned."""
        headers, rows, right = self._grid(items, labels, keys)
        return render_table(headers, rows, right, max_width=CELL_WIDTH)

    def html(
        self,
        items: Iterable[object],
        labels: Labels | None = None,
        *,
        keys: Sequence[str] | None = None,
        caption: str | None = None,
    ) -> str:
        """An HTML table of ``keys`` (default the brief columns), every text escaped."""
        headers, rows, right = self._grid(items, labels, keys)
        return render_html_table(headers, rows, right, caption=caption)


def _written(column: Column, item: object, labels: Labels) -> JSONValue:
    """``column``'s value for ``item``, JSON-ready; a value that cannot be written (an object
    with two keys that write alike) is a ``ValidationError`` naming the path in the column."""
    value = column.read(item)
    try:
        return plain(value, labels)
    except ValidationError as e:
        raise within(e, column.key) from e


def _unordered(keys: object) -> bool:
    """Whether ``keys`` is a set, whose order (the columns') changes from run to run; a
    dict's keys keep theirs."""
    return isinstance(keys, AbstractSet) and not isinstance(keys, KeysView)


def _key_problems(
    wanted: list[object], keys: Sequence[str], field: str, unknown: str = "is not a column key"
) -> list[FieldProblem]:
    """What is wrong with ``wanted`` as a choice of ``keys``: a key that is not one (the
    reason says it ``unknown``), or one given twice (a table would show that column twice)."""
    known = ", ".join(keys)
    problems: list[FieldProblem] = []
    first: dict[str, int] = {}
    for i, key in enumerate(wanted):
        if not isinstance(key, str) or key not in keys:
            reason = f"{key!r:.40} {unknown}; use one of: {known}"
            problems.append(FieldProblem(f"{field}[{i}]", reason))
        elif key in first:
            reason = f"{key!r} repeats {field}[{first[key]}]; name each column once"
            problems.append(FieldProblem(f"{field}[{i}]", reason))
        else:
            first[key] = i
    return problems


def _declared(columns: object, problems: list[FieldProblem]) -> tuple[Column, ...]:
    """The declared columns as a tuple, each a well-formed :class:`Column` with its own key
    and its own titles; what is wrong goes into ``problems``."""
    if isinstance(columns, str | bytes | Mapping) or not isinstance(columns, Iterable):
        reason = f"must be a list of Column declarations, not {type(columns).__name__}"
        problems.append(FieldProblem("columns", reason))
        return ()
    found = tuple(columns)
    if not found:
        problems.append(FieldProblem("columns", "name at least one Column"))
    for i, column in enumerate(found):
        if not isinstance(column, Column):
            reason = f"must be a Column, not {type(column).__name__}"
            problems.append(FieldProblem(f"columns[{i}]", reason))
        else:
            problems.extend(_column_problems(column, f"columns[{i}]"))
    fine = tuple(c for c in found if isinstance(c, Column))
    for attribute in ("key", "zh", "en"):
        seen: dict[str, int] = {}
        for i, column in enumerate(fine):
            value = getattr(column, attribute)
            if not isinstance(value, str):
                continue  # named by _column_problems
            if value in seen:
                what = "key" if attribute == "key" else f"{attribute} title"
                reason = f"the {what} {value!r:.40} repeats columns[{seen[value]}]"
                problems.append(FieldProblem(f"columns[{i}].{attribute}", reason))
            seen.setdefault(value, i)
    return fine


def _column_problems(column: Column, field: str) -> list[FieldProblem]:
    """What is wrong with one declared column: its key or titles not text, a path that is not
    dotted names, a kind that is not a :data:`Kind`, ``get`` or ``show`` not a function."""
    problems = [
        FieldProblem(f"{field}.{name}", f"must be non-empty text, not {value!r:.40}")
        for name, value in (("key", column.key), ("zh", column.zh), ("en", column.en))
        if not isinstance(value, str) or not value.strip()
    ]
    if column.path is not None and (
        not isinstance(column.path, str) or not all(column.path.split("."))
    ):
        reason = f"must be a dotted attribute path like 'budget.amount', not {column.path!r:.40}"
        problems.append(FieldProblem(f"{field}.path", reason))
    if column.kind not in _KINDS:
        reason = f"must be one of: {', '.join(_KINDS)}; not {column.kind!r:.40}"
        problems.append(FieldProblem(f"{field}.kind", reason))
    for name, function in (("get", column.get), ("show", column.show)):
        if function is not None and not callable(function):
            reason = f"must be a function or None, not {type(function).__name__}"
            problems.append(FieldProblem(f"{field}.{name}", reason))
    return problems


def _brief(brief: object, keys: list[str], problems: list[FieldProblem]) -> tuple[str, ...]:
    """The brief keys as a tuple (a list of keys, not one ``str``): each a known key, once."""
    if (
        isinstance(brief, str | bytes | Mapping)
        or _unordered(brief)
        or not isinstance(brief, Iterable)
    ):
        reason = f"must be a list of column keys, not {type(brief).__name__}"
        problems.append(FieldProblem("brief", reason))
        return ()
    wanted = list(brief)
    found = _key_problems(wanted, keys, "brief", unknown="is an unknown column")
    problems.extend(found)
    return tuple(k for k in wanted if isinstance(k, str))


def _typed(pd: Any, values: Any, column: Column) -> Any:
    """A time column as timezone-aware datetimes, a decimal one as ``Decimal``s; a value that
    is neither (a time without a time zone too) is a ``ValidationError`` naming the column."""
    for value in values:
        problem = _problem(value, column.kind)
        if problem is not None:
            reason = f"is a {column.kind} column, but holds {value!r:.40}, {problem}"
            raise ValidationError([FieldProblem(column.key, reason)], subject="export")
    if column.kind == "decimal":
        return values.map(_decimal, na_action="ignore")
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, OverflowError) as e:
        reason = f"is a time column, but pandas cannot read its times: {e}"
        raise ValidationError([FieldProblem(column.key, reason)], subject="export") from e


_NAIVE: Final = (
    "a time without a time zone (a date or a naive datetime: it could be any zone's); give "
    "timezone-aware datetimes (e.g. datetime(..., tzinfo=UTC))"
)


def _problem(value: object, kind: str) -> str | None:
    """What is wrong with a record's ``value`` in a ``kind`` column, or None: it must be ISO
    time text with a time zone, or a number or its exact text; or nothing (None, or the NaN
    pandas puts for it)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    wanted = "not a time (datetime)" if kind == "time" else "not an exact decimal"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return wanted
    try:
        if kind == "decimal":
            return None if _decimal(value).is_finite() else wanted
        if not isinstance(value, str):
            return wanted
        return None if datetime.fromisoformat(value).tzinfo is not None else _NAIVE
    except (ValueError, InvalidOperation):
        return wanted


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))


class Exportable:
    """Records, a DataFrame, a terminal table (``str()``) and a notebook table
    (``_repr_html_``) for a result type, from its ``_export`` columns and its items (by
    default, what iterating it gives)."""

    __slots__ = ()
    _export: ClassVar[Columns]

    def _export_items(self) -> Iterable[object]:
        """The items that become rows (default: iterating the result)."""
        if isinstance(self, Iterable):
            return self
        raise TypeError(f"{type(self).__name__} does not iterate; give it _export_items()")

    def _export_summary(self, labels: Labels) -> str:
        """A line said under the table (default: none)."""
        return ""

    def to_records(self, labels: Labels | None = None) -> list[Record]:
        """A record (plain ``dict``, JSON-ready) per row; keys are the documented column keys,
        enums written by ``labels`` (default: ``leadcore.export.get_labels()``)."""
        return self._export.records(self._export_items(), labels)

    def to_dataframe(
        self, labels: Labels | None = None, *, titles: bool = False
    ) -> pandas.DataFrame:
        """The records as a pandas DataFrame (needs the ``pandas`` extra; ``MissingExtra``
        otherwise); ``titles`` names the columns by their titles in ``labels``."""
        return self._export.dataframe(self._export_items(), labels, titles=titles)

    def table(self, labels: Labels | None = None) -> str:
        """A terminal table of the main columns, with a line of summary under it."""
        chosen = resolve_labels(labels)
        text = self._export.table(self._export_items(), chosen)
        summary = self._export_summary(chosen)
        return f"{text}\n{summary}" if summary else text

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        """The table as HTML, for notebooks (every value escaped)."""
        chosen = resolve_labels(None)
        summary = self._export_summary(chosen)
        return self._export.html(self._export_items(), chosen, caption=summary or None)
