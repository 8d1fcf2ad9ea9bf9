"""A learned grade's data, read strictly: counts, fields, grades, bins and outcomes, each
checked and every problem named by its path (what ``PredictiveModel`` is built from)."""

from __future__ import annotations

import contextlib
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Final, NamedTuple, TypeVar

from leadcore.currencies import currency_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, Money
from leadcore.scoring.fields import (
    resolve_field,
)
from leadcore.scoring.problems import Problems

__all__ = [
    "DEFAULT_FIELDS",
    "HIGHEST",
    "LEARNED_GRADES",
    "LOWEST",
    "MAX_COUNT",
    "MAX_SMOOTHING",
    "MISSING",
    "NEGATIVE_OUTCOMES",
    "POSITIVE_OUTCOMES",
    "Checked",
    "Record",
    "Tally",
    "check_record",
    "parse_label",
    "read_bins",
    "read_counts",
    "read_fields",
    "read_grades",
    "read_outcomes",
    "show",
]

E = TypeVar("E", bound=LabelledEnum)

Record = Lead | Mapping[str, object]
"""What the learned grade reads: a ``Lead`` or a plain mapping of field path → value."""

DEFAULT_FIELDS: Final = ("source", "industry", "region", "company_size", "decision_maker_title")
"""The fields learned from when none are named."""

POSITIVE_OUTCOMES: Final = frozenset({"converted"})
"""Lead status values that count as converted."""

NEGATIVE_OUTCOMES: Final = frozenset({"invalid", "closed_lost"})
"""Lead status values that count as not converted."""

LEARNED_GRADES: Final = (("A", 0.5), ("B", 0.25), ("C", 0.1), ("D", 0.0))
"""Default learned grades by conversion probability: A ≥ 50%, B ≥ 25%, C ≥ 10%, else D."""

LOWEST: Final = 0.0001
"""The lowest probability a pending record gets (0.01%)."""

HIGHEST: Final = 0.9999
"""The highest probability a pending record gets (99.99%)."""

MAX_COUNT: Final = 2**53
"""The most leads a count may hold (so that every count is exact as a float)."""

MAX_SMOOTHING: Final = 1e6
"""The largest smoothing accepted."""

MISSING: Final = "(missing)"
"""The key under which a missing value is counted (missing is evidence too)."""


class Tally(NamedTuple):
    """How many converted and how many lost leads had a value."""

    converted: int
    lost: int


_UNSEEN: Final = Tally(0, 0)


def show(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return "a number too large to print"
    return text if len(text) <= 40 else text[:37] + "..."


def check_record(record: object, path: str = "record") -> None:
    if not isinstance(record, Lead | Mapping):
        raise ValidationError(
            [
                FieldProblem(
                    path, f"must be a Lead or a mapping of field → value, not {show(record)}"
                )
            ],
            subject="learned grade input",
        )


class Checked(Problems):
    """What is wrong with a saved model's data, found while reading it."""

    def count(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be a whole number of leads, not {show(value)}")
            return 0
        if not 0 <= value <= MAX_COUNT:
            self.add(path, f"must be between 0 and 2**53, not {show(value)}")
            return 0
        return value

    def number(self, value: object, path: str) -> float | None:
        """``value`` (an int, float or ``Decimal``) as a finite float, else None and a problem."""
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.add(path, f"must be a number, not {show(value)}")
            return None
        try:
            number = math.nan if isinstance(value, Decimal) and value.is_nan() else float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.add(path, f"must be a finite number, not {show(value)}")
            return None
        return number

    def names(self, value: object, path: str) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            self.add(path, f"must be a list of names, not {show(value)}")
            return ()
        names = tuple(value)
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                self.add(f"{path}[{i}]", f"must be a non-empty name, not {show(name)}")
        return tuple(n for n in names if isinstance(n, str))


def read_fields(raw: object, checked: Checked) -> tuple[str, ...]:
    fields = checked.names(raw, "fields")
    if not fields and not checked.found:
        checked.add("fields", "name at least one field to learn from")
    for i, field in enumerate(fields):
        try:
            resolve_field(field)
        except ValueError as e:
            checked.add(f"fields[{i}]", str(e))
        if field in fields[:i]:
            checked.add(f"fields[{i}]", f"{field!r} is named twice")
    return fields


def read_counts(
    raw: object, fields: tuple[str, ...], totals: Tally, checked: Checked
) -> Mapping[str, Mapping[str, Tally]]:
    counts: dict[str, Mapping[str, Tally]] = {}
    if not isinstance(raw, Mapping):
        checked.add("counts", f"must map each field to its values' counts, not {show(raw)}")
        raw = {}
    for field, values in raw.items():
        path = f"counts.{field}"
        if field not in fields:
            checked.add(path, f"is not one of the model's fields ({', '.join(fields)})")
            continue
        if not isinstance(values, Mapping):
            checked.add(path, f"must map each value to [converted, lost], not {show(values)}")
            continue
        seen: dict[str, Tally] = {}
        for key, pair in values.items():
            at = f"{path}.{key}"
            if not isinstance(key, str):
                checked.add(at, "a value is counted under a text key")
                continue
            if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
                checked.add(at, f"must be [converted, lost], not {show(pair)}")
                continue
            won, gone = pair
            tally = Tally(checked.count(won, f"{at}.converted"), checked.count(gone, f"{at}.lost"))
            if tally.converted > totals.converted:
                checked.add(at, f"{tally.converted} converted leads had it, of {totals.converted}")
            if tally.lost > totals.lost:
                checked.add(at, f"{tally.lost} lost leads had it, of {totals.lost}")
            if tally != _UNSEEN:
                seen[key] = tally
        counts[field] = MappingProxyType(dict(sorted(seen.items())))
    empty: Mapping[str, Tally] = MappingProxyType({})
    return MappingProxyType({field: counts.get(field, empty) for field in fields})


def read_grades(raw: object, checked: Checked) -> tuple[tuple[str, float], ...]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        checked.add("grades", f"must list [name, at least] pairs, not {show(raw)}")
        return LEARNED_GRADES
    grades: list[tuple[str, float]] = []
    previous = math.inf
    for i, pair in enumerate(raw):
        path = f"grades[{i}]"
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            checked.add(path, f"must be [name, at least], not {show(pair)}")
            continue
        name, at_least = pair
        threshold = checked.number(at_least, f"{path}.at_least")
        if not isinstance(name, str) or not name.strip():
            checked.add(f"{path}.name", f"must be a non-empty name, not {show(name)}")
        elif threshold is not None:
            if not 0 <= threshold <= 1:
                checked.add(f"{path}.at_least", f"is a probability, 0 … 1, not {threshold:g}")
            elif threshold >= previous:
                checked.add(f"{path}.at_least", "grades go from the highest threshold down")
            previous = threshold
            grades.append((name, threshold))
    if not grades and not checked.found:
        checked.add("grades", "name at least one grade")
    elif grades and not checked.found and grades[-1][1] != 0:
        checked.add(
            f"grades[{len(grades) - 1}].at_least",
            "the lowest grade must start at 0 so that every probability gets a grade",
        )
    return tuple(grades) or LEARNED_GRADES


def _edge(value: object, path: str, checked: Checked) -> float | None:
    if isinstance(value, Money):
        example = f"{{{value.currency!r}: [{value.amount}]}}"
        checked.add(path, f"must be a plain number, not Money: bin money per currency ({example})")
        return None
    return checked.number(value, path)


def _edges(edges: object, path: str, checked: Checked) -> tuple[float, ...] | None:
    if isinstance(edges, str | Mapping) or not isinstance(edges, Iterable):
        checked.add(path, f"must list bucket edges like [100000, 500000], not {show(edges)}")
        return None
    numbers = [_edge(x, f"{path}[{i}]", checked) for i, x in enumerate(edges)]
    if not numbers:
        checked.add(path, "must list at least one edge")
    return tuple(sorted(x for x in numbers if x is not None))


def read_bins(
    raw: object, fields: tuple[str, ...], checked: Checked
) -> Mapping[str, tuple[float, ...] | Mapping[str, tuple[float, ...]]]:
    """Per field, its ascending bin edges, or per currency code its own (for money)."""
    if not isinstance(raw, Mapping):
        checked.add("bins", f"must map a field to its bucket edges, not {show(raw)}")
        return MappingProxyType({})
    bins: dict[str, tuple[float, ...] | Mapping[str, tuple[float, ...]]] = {}
    for field, edges in raw.items():
        path = f"bins.{field}"
        if field not in fields:
            checked.add(path, f"is not one of the model's fields ({', '.join(fields)})")
        elif isinstance(edges, Mapping):
            if not edges:
                checked.add(path, "must give at least one currency's edges")
            per_currency: dict[str, tuple[float, ...]] = {}
            for currency, own in edges.items():
                problem = currency_problem(currency)
                if problem is not None:
                    checked.add(f"{path}.{currency}", problem)
                found = _edges(own, f"{path}.{currency}", checked)
                if problem is None and found is not None:
                    per_currency[currency] = found
            bins[field] = MappingProxyType(dict(sorted(per_currency.items())))
        else:
            found = _edges(edges, path, checked)
            if found is not None:
                bins[field] = found
    return MappingProxyType(bins)


def _members(
    names: frozenset[str], enum: type[LabelledEnum] | None, path: str, checked: Checked
) -> frozenset[str]:
    """``names`` as ``enum`` values (a member's name or label is read as its value)."""
    if enum is None:
        return names
    found = set()
    for name in sorted(names):
        if not name.strip():
            continue  # already named as blank
        try:
            found.add(str(parse_label(enum, name).value))
        except ValueError as e:
            checked.add(path, str(e))
    return frozenset(found)


def parse_label(enum: type[E], text: str) -> E:
    """``enum``'s member named by ``text`` (its value, name or either label), read in NFKC form
    too, so full-width ``ｃｏｎｖｅｒｔｅｄ`` is ``converted``; ``ValueError`` (a
    ``ValidationError``) quoting ``text`` as given otherwise."""
    try:
        return enum.parse(text)
    except ValueError as e:
        refused = e
    folded = unicodedata.normalize("NFKC", text) if isinstance(text, str) else text
    if folded != text:
        with contextlib.suppress(ValueError):
            return enum.parse(folded)
    raise refused


def read_outcomes(
    positive: object,
    negative: object,
    checked: Checked,
    enum: type[LabelledEnum] | None = None,
) -> tuple[frozenset[str], frozenset[str]]:
    """The outcome values meaning converted and lost; for an enum outcome field (``status``)
    each is a member's value, name or label, kept as the value."""
    good = _members(frozenset(checked.names(positive, "positive")), enum, "positive", checked)
    bad = _members(frozenset(checked.names(negative, "negative")), enum, "negative", checked)
    if good & bad:
        checked.add("negative", f"{', '.join(sorted(good & bad))} is also a positive outcome")
    return good, bad
