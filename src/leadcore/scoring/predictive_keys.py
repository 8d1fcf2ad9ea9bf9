"""The text keys a learned grade counts a record's value under.

* One key per distinct item of a multi-choice value; none is :data:`MISSING` (a NaN item is
  missing, like ``None``). A number no float holds is refused (:class:`BadValue`).
* A number in a binned field is keyed by its bin: ``"< 100000"``, ``"≥ 100000"`` (an edge
  shown short where that is exact, ``"≥ 2e+06"``, else in full, ``"≥ 1000001"``).
* Money is keyed per currency, so that amounts in two currencies never share a key: in CNY —
  and a plain number, CNY as ``Money("1000")`` is — by its amount (``"100000"``) or its bin
  (``"≥ 100000"``); in another currency the key starts with the code (``"JPY 100000"``,
  ``"JPY ≥ 100000"``). Bins given per currency (``{"CNY": [...], "JPY": [...]}``) bin each
  currency by its own edges; a currency without edges of its own is one bin, its code
  (``"USD"``). There is no exchange-rate table: nothing is converted.
* The budget field also reads Money's plain-data form, ``{"amount": "100000", "currency":
  "JPY"}`` (as ``leadcore.config.unstructure`` writes a lead).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Final

from leadcore.config import structure
from leadcore.errors import ConfigError
from leadcore.money import Money
from leadcore.scoring.fields import is_multi_choice, items_of, read_field, value_key
from leadcore.scoring.predictive_data import MISSING, Record, show

__all__ = ["HOME_CURRENCY", "BadValue", "Edges", "counted_keys", "edge_text", "reader"]

Edges = Sequence[float] | Mapping[str, Sequence[float]]
"""A field's bin edges: ascending numbers, or per currency code its own ascending numbers."""

HOME_CURRENCY: Final = "CNY"
"""The currency a plain number is in, and whose keys carry no code (``Money``'s default)."""


class BadValue(ValueError):
    """A learned field holds a value that cannot be counted (a number no float holds)."""


def edge_text(edge: float) -> str:
    """An edge as a key shows it: short (``100000``, ``2e+06``) where that is exact, else in
    full (``1000001``), so that two edges never share a key."""
    short = f"{edge:g}"
    if float(short) == edge:
        return short
    full = repr(edge)
    return full.removesuffix(".0")


def _bucket(number: float, edges: Sequence[float]) -> str:
    i = bisect_right(edges, number) - 1
    return f"< {edge_text(edges[0])}" if i < 0 else f"≥ {edge_text(edges[i])}"


def _is_nan(item: object) -> bool:
    return (isinstance(item, float) and math.isnan(item)) or (
        isinstance(item, Decimal) and item.is_nan()
    )


def _out_of_range(item: object) -> bool:
    """Whether ``item`` is a number no float holds (an infinity, or beyond ±1.8e308)."""
    if isinstance(item, bool) or not isinstance(item, int | float | Decimal):
        return False
    try:
        return not math.isfinite(float(item))
    except OverflowError:
        return True


def _amount_key(item: object, edges: Edges | None) -> str | None:
    """The key of a number or Money (per currency, as the module says), else None."""
    number: float | Decimal
    if isinstance(item, Money):
        currency, number = item.currency, item.amount
    elif isinstance(item, int | float | Decimal) and not isinstance(item, bool):
        currency, number = HOME_CURRENCY, item
    else:
        return None
    if isinstance(edges, Mapping):
        own = edges.get(currency)
        if own is None:
            return currency
        key = _bucket(float(number), own)
    elif edges is not None:
        key = _bucket(float(number), edges)
    else:
        key = value_key(number) or MISSING
    return key if currency == HOME_CURRENCY else f"{currency} {key}"


def counted_keys(value: object, edges: Edges | None) -> tuple[str, ...]:
    """The keys ``value`` is counted under, sorted: one per distinct item, or ``MISSING``;
    :class:`BadValue` for a number no float holds."""
    if type(value) is str:
        return (value,)
    found: set[str] = set()
    for item in items_of(value):
        if _is_nan(item):
            continue
        if _out_of_range(item):
            raise BadValue(f"must be a finite number within ±1.8e308, not {show(item)}")
        key = _amount_key(item, edges) if edges is not None or isinstance(item, Money) else None
        if key is None:
            key = value_key(item)
        if key is not None:
            found.add(key)
    return tuple(sorted(found)) if found else (MISSING,)


def _money(data: Mapping[object, object]) -> Money:
    try:
        return structure(data, Money)
    except ConfigError as e:
        reasons = "; ".join(
            (f"{p.field[2:]}: " if p.field.startswith("$.") else "") + p.reason for p in e.problems
        )
        raise BadValue(
            f"must be Money or its plain data such as {{'amount': '100000', 'currency': 'CNY'}}"
            f": {reasons}"
        ) from None


def _budget_item(item: object) -> object:
    return _money(item) if isinstance(item, Mapping) else item


def reader(path: str) -> Callable[[Record], object]:
    """A function reading ``path`` from a record (the budget's plain-data form as Money)."""
    if path == "budget":

        def budget(record: Record) -> object:
            value = read_field(record, path)
            if is_multi_choice(value):
                return tuple(_budget_item(item) for item in items_of(value))
            return _budget_item(value)

        return budget
    return lambda record: read_field(record, path)
