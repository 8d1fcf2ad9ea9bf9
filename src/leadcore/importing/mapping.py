"""Which column of an import holds which lead field, and turning a row's text into field values.

A :class:`ColumnMapping` maps column headers to lead fields (``phone``) or custom fields
(``custom_fields.product_line``); a header mapped to ``None`` is ignored on purpose. Without
one, the common headers are recognised in Chinese and English (姓名, 公司, 手机, 邮箱, 微信 …).
Text is converted by the target's type: blank cells are empty, custom dates are read with
python-dateutil (``2026-03-05``, ``2026/3/5``, ``2026年3月5日``), yes/no as 是/否, true/false,
1/0, multiple choices split on commas. Anything that cannot be converted is a problem of that
row, named by its field; nothing here raises for a bad row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

import attrs
from dateutil import parser as date_parser

from leadcore import checks
from leadcore.custom_fields import CustomFieldSet, FieldType
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.intake import EDITABLE_FIELDS
from leadcore.signatures import checked_constructor

__all__ = ["DEFAULT_HEADERS", "ColumnMapping", "ConvertedRow", "header_name"]

CUSTOM: Final = "custom_fields."
IMPORTABLE: Final = frozenset(EDITABLE_FIELDS - {"stage"})
"""The lead fields an import may fill (a new lead has no sales stage)."""

DEFAULT_HEADERS: Final[Mapping[str, tuple[str, ...]]] = frozen_mapping(
    {
        "contact_name": ("contact_name", "姓名", "联系人", "客户姓名", "name", "contact"),
        "company": ("company", "公司", "公司名称", "企业名称", "单位", "company name"),
        "phone": ("phone", "电话", "手机", "手机号", "手机号码", "联系电话", "mobile", "tel"),
        "email": ("email", "邮箱", "电子邮箱", "电子邮件", "e-mail", "mail"),
        "wechat": ("wechat", "微信", "微信号", "weixin"),
        "source": ("source", "来源", "线索来源", "channel"),
        "industry": ("industry", "行业", "所属行业"),
        "region": ("region", "地区", "区域", "省份", "城市"),
        "company_size": ("company_size", "规模", "公司规模", "企业规模", "size"),
        "budget": ("budget", "预算"),
        "decision_maker_title": ("decision_maker_title", "职位", "职务", "title"),
    }
)
"""The headers each lead field is recognised by when no mapping is given (case ignored)."""

_BY_HEADER: Final = {h.casefold(): f for f, headers in DEFAULT_HEADERS.items() for h in headers}
_YES: Final = frozenset({"是", "yes", "y", "true", "1", "有", "对"})
_NO: Final = frozenset({"否", "no", "n", "false", "0", "无", "不"})
_SPLIT: Final = re.compile(r"\s*[,，;；、|]\s*")
_CN_DATE: Final = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*$")
_MAX_CELL: Final = 100_000
_MAX_LAYOUTS: Final = 256


def header_name(header: str) -> str:
    """A column header as it is compared: trimmed, and without a byte-order mark (which a
    file read or split without care leaves on its first header)."""
    return header.replace("\ufeff", "").strip()


@attrs.frozen(slots=True)
class ConvertedRow:
    """A row turned into lead ``fields`` and ``custom`` field values, with a problem for each
    cell that could not be converted."""

    fields: dict[str, object]
    custom: dict[str, object]
    problems: tuple[FieldProblem, ...] = ()


def _target_problem(header: str, target: object) -> FieldProblem | None:
    if target is None:
        return None
    if isinstance(target, str):
        if target in IMPORTABLE:
            return None
        if target.startswith(CUSTOM) and target[len(CUSTOM) :].isidentifier():
            return None
    known = ", ".join(sorted(IMPORTABLE))
    return FieldProblem(
        f"mapping[{header!r}]",
        f"{target!r} is not a lead field ({known}), custom_fields.<name> or None",
    )


@checked_constructor
class ColumnMapping:
    """Column headers to lead fields; see the module docstring."""

    __slots__ = ("_layouts", "columns", "recognise")

    def __init__(self, columns: Mapping[str, str | None] | None = None) -> None:
        if columns is not None and not isinstance(columns, Mapping):
            raise ValidationError(
                [FieldProblem("mapping", "must map column headers to lead field names")],
                subject="import",
            )
        problems = []
        clean: dict[str, str | None] = {}
        given: dict[str, str] = {}
        for header, target in (columns or {}).items():
            if not isinstance(header, str) or not header.strip():
                shown = repr(header) if isinstance(header, str) else type(header).__name__
                problems.append(FieldProblem("mapping", f"{shown} is not a column header"))
                continue
            problem = _target_problem(header, target)
            if problem is not None:
                problems.append(problem)
            name = header_name(header)
            if name in given:
                problems.append(
                    FieldProblem(
                        f"mapping[{header!r}]",
                        f"is the same column as {given[name]!r} once trimmed; name it once",
                    )
                )
                continue
            given[name] = header
            clean[name] = target
        targets = [t for t in clean.values() if t is not None]
        for target in sorted({t for t in targets if targets.count(t) > 1}):
            problems.append(FieldProblem("mapping", f"more than one column maps to {target!r}"))
        if problems:
            raise ValidationError(problems, subject="column mapping")
        self.columns: Mapping[str, str | None] = frozen_mapping(clean)
        self.recognise = columns is None
        self._layouts: dict[tuple[object, ...], _Layout] = {}

    def target(self, header: str) -> str | None:
        """The field a column fills (None: the column is not imported); headers are compared
        as :func:`header_name` gives them, as the mapping's own are."""
        if not isinstance(header, str):
            raise ValidationError(
                [
                    FieldProblem(
                        "header", f"must be a column name (text), not {type(header).__name__}"
                    )
                ]
            )
        name = header_name(header)
        if name in self.columns:
            return self.columns[name]
        if self.recognise:
            return _BY_HEADER.get(name.casefold())
        return None

    def clashes(self, headers: Iterable[object]) -> dict[str, list[str]]:
        """Each field that more than one of ``headers`` fills (``phone`` and ``手机`` both read
        as phone by default), with those headers: a row could keep only one of their values."""
        by_target: dict[str, list[str]] = {}
        for header in _headers(headers, object):
            if isinstance(header, str) and (target := self.target(header)) is not None:
                by_target.setdefault(target, []).append(header)
        return {target: found for target, found in by_target.items() if len(found) > 1}

    def missing(self, headers: Iterable[str], *, where: str = "the file") -> list[FieldProblem]:
        """A problem for each column the mapping names that is not among ``headers`` (the
        columns of ``where``)."""
        present = {header_name(h) for h in _headers(headers, str)}
        listed = sorted(present)
        shown = ", ".join(f"{h!r:.40}" for h in listed[:20]) or "none"
        if len(listed) > 20:
            shown += f" and {len(listed) - 20} more"
        return [
            FieldProblem(f"mapping[{name!r}]", f"is not a column of {where} (its columns: {shown})")
            for name in self.columns
            if name not in present
        ]

    def undeclared(self, custom_fields: CustomFieldSet) -> list[FieldProblem]:
        """A problem for each column the mapping sends to a custom field ``custom_fields``
        does not declare (every row would be refused for it)."""
        if not isinstance(custom_fields, CustomFieldSet):
            shown = type(custom_fields).__name__
            raise ValidationError(
                [FieldProblem("custom_fields", f"must be a CustomFieldSet, not {shown}")]
            )
        declared = custom_fields.fields
        known = ", ".join(declared) or "none are declared"
        return [
            FieldProblem(
                f"mapping[{header!r}]", f"{target!r} is not a declared custom field ({known})"
            )
            for header, target in self.columns.items()
            if target is not None
            and target.startswith(CUSTOM)
            and target[len(CUSTOM) :] not in declared
        ]

    def recognised(self, headers: Iterable[str]) -> bool:
        """Whether any of ``headers`` is a column this mapping imports."""
        return any(self.target(header) is not None for header in _headers(headers, str))

    def convert(self, row: object, custom_fields: CustomFieldSet) -> ConvertedRow:
        """The row's values by field, converted by each field's type (see the module
        docstring); a row that is not a mapping is one problem."""
        if type(row) is not dict and not isinstance(row, Mapping):  # dict first: no ABC check
            shown = type(row).__name__
            return ConvertedRow(
                {}, {}, (FieldProblem("row", f"must be a mapping of column to value, not {shown}"),)
            )
        layout = self._layout(row)
        fields: dict[str, object] = {}
        custom: dict[str, object] = {}
        problems = list(layout.problems)
        for target, plain, value in zip(layout.targets, layout.plain, row.values(), strict=False):
            if plain is not None:  # the common cells: text or nothing, for a lead field
                if value is None:
                    fields[plain] = None
                    continue
                if type(value) is str and len(value) <= _MAX_CELL:
                    fields[plain] = value.strip() or None
                    continue
            if target is None:
                continue
            if isinstance(target, FieldProblem):
                problems.append(target)
                continue
            if isinstance(value, str) and len(value) > _MAX_CELL:
                problems.append(FieldProblem(target, f"is longer than {_MAX_CELL} characters"))
                continue
            if target.startswith(CUSTOM):
                name = target[len(CUSTOM) :]
                declared = custom_fields.fields.get(name)
                try:
                    converted = _custom(value, declared.type if declared else None)
                except ValueError as e:
                    problems.append(FieldProblem(target, str(e)))
                    continue
                if converted is not None:
                    custom[name] = converted
                continue
            try:
                fields[target] = _plain(target, value)
            except ValueError as e:
                problems.append(FieldProblem(target, str(e)))
        return ConvertedRow(fields, custom, tuple(problems))

    def _layout(self, row: Mapping[Any, object]) -> _Layout:
        """The row's layout, worked out once for each set of headers (rows of one file share
        theirs); a bounded cache, as rows of dicts may each have their own."""
        headers = tuple(row)
        layout = self._layouts.get(headers)
        if layout is None:
            if len(self._layouts) >= _MAX_LAYOUTS:
                self._layouts.clear()
            layout = self._layouts[headers] = _layout_of(self, headers)
        return layout


@attrs.frozen(slots=True)
class _Layout:
    """What a row's columns fill, in the row's order (None: not imported; a problem: not a
    header), and the clashes of its headers: the same for every row with the same headers."""

    targets: tuple[str | FieldProblem | None, ...]
    problems: tuple[FieldProblem, ...]
    plain: tuple[str | None, ...] = ()  # the lead field (not a custom one) each column fills


def _layout_of(mapping: ColumnMapping, headers: tuple[object, ...]) -> _Layout:
    problems = [
        FieldProblem(target, f"columns {_both(found)} both fill it; keep one")
        for target, found in mapping.clashes(headers).items()
    ]
    targets = tuple(
        mapping.target(header)
        if isinstance(header, str)
        else FieldProblem("row", f"column {header!r} is not a header (text)")
        for header in headers
    )
    plain = tuple(t if isinstance(t, str) and not t.startswith(CUSTOM) else None for t in targets)
    return _Layout(targets, tuple(problems), plain)


def _both(headers: list[str]) -> str:
    return " and ".join(repr(h) for h in headers)


def _plain(field: str, value: object) -> object:
    """A cell for a lead field: text trimmed (blank is None); a number in a phone or WeChat
    cell (as spreadsheets give them) as its digits. ValueError for a negative number, or one
    too long for a phone or WeChat id."""
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if field in ("phone", "wechat") and isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"is a negative number; a {field} never is")
        if value >= 10**_MAX_DIGITS:
            raise ValueError(
                f"is a number of more than {_MAX_DIGITS} digits; too long for a {field}"
            )
        return str(value)
    return value


_MAX_DIGITS: Final = 30


def _custom(value: object, kind: FieldType | None) -> object:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    if kind is FieldType.DATE:
        return _date(text)
    if kind is FieldType.BOOLEAN:
        folded = text.casefold()
        if folded in _YES:
            return True
        if folded in _NO:
            return False
        raise ValueError(f"{text[:40]!r} is not yes or no (是/否, true/false, 1/0)")
    if kind is FieldType.MULTI_CHOICE:
        return tuple(part for part in _SPLIT.split(text) if part)
    return text


_FIRST_DEFAULT: Final = datetime(2000, 1, 1)
_SECOND_DEFAULT: Final = datetime(2001, 2, 2)


def _date(text: str) -> date:
    chinese = _CN_DATE.match(text)
    try:
        if chinese:
            return date(int(chinese[1]), int(chinese[2]), int(chinese[3]))
        # Read twice with defaults that differ in every part: a part the text leaves out
        # ("2026", "March", "Mon") is then told apart instead of filled from today's date.
        parsed: datetime = date_parser.parse(text, yearfirst=True, default=_FIRST_DEFAULT)
        other: datetime = date_parser.parse(text, yearfirst=True, default=_SECOND_DEFAULT)
    except (ValueError, OverflowError, TypeError):
        raise ValueError(f"{text[:40]!r} is not a date like 2026-03-05") from None
    if parsed.date() != other.date():
        raise ValueError(f"{text[:40]!r} is not a whole date (year, month and day) like 2026-03-05")
    if parsed.time() != datetime.min.time():
        raise ValueError(f"{text[:40]!r} has a time; give the date alone")
    return parsed.date()


def _headers(value: object, kind: type) -> tuple[Any, ...]:
    """Column names: a collection of them (or a row's mapping, read for its keys), never one
    ``str``; ``ValidationError`` naming ``headers`` otherwise."""
    if isinstance(value, Mapping):
        value = tuple(value)
    return checks.instances(value, kind, "headers", "column names")
