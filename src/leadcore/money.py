"""Money (金额): a non-negative ``Decimal`` amount in an ISO 4217 currency, never a float."""

from __future__ import annotations

import re
from decimal import Context, Decimal, Inexact, InvalidOperation
from typing import Final

import attrs

from leadcore.currencies import MINOR_UNITS, currency_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.signatures import checked_constructor

__all__ = ["Money"]

_MAX_AMOUNT: Final = Decimal("1e15")
_EXACT: Final = Context(prec=40)
"""Room for every amount below 10^15 with 4 decimals, whatever context the host has set."""
_HINTED: Final = Context(prec=40, traps=[Inexact])


def _bad(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise _bad("amount", f"must be Decimal, int or str, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError) as e:
        meant = _plain(value) if isinstance(value, str) else None
        hint = f"write it as {meant!r}" if meant else "e.g. '1000.00'"
        raise _bad("amount", f"{value!r:.40} is not a number ({hint})") from e
    if not amount.is_finite():
        raise _bad("amount", "must be a finite number")
    if amount < 0:
        raise _bad("amount", f"must not be negative, not {amount!s:.40}")
    if amount >= _MAX_AMOUNT:
        raise _bad("amount", "must be below 10^15")
    return amount.copy_abs()  # -0 is 0


_WRITTEN: Final = re.compile(r"[¥￥]?\s*(\d{1,3}(?:[,，]\d{3})+|\d+)(\.\d+)?\s*([万亿]?)\s*元?")
"""An amount as people write it: ``¥500,000``, ``50万``, ``1.5亿元``."""
_SHIFTS: Final = {"": 0, "万": 4, "亿": 8}


def _plain(text: str) -> str | None:
    """The plain number a written amount means (``'50万'`` is ``'500000'``, ``'¥500,000'``
    ``'500000'``), or None; only for the message, never taken as the amount."""
    written = _WRITTEN.fullmatch(text.strip())
    if written is None:
        return None
    whole, fraction, unit = written.groups()
    digits = re.sub("[,，]", "", whole) + (fraction or "")
    try:
        number = Decimal(digits).scaleb(_SHIFTS[unit], _HINTED)
    except Inexact:  # more digits than an amount has: no exact hint
        return None
    return f"{number:f}" if number < _MAX_AMOUNT else None


def _in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``amount`` written with at most the currency's decimals (``1.5E+6`` as ``1500000``,
    ``100.000`` CNY as ``100.00``); ``ValidationError`` if it has more than the currency
    has (a fraction of a fen, of a yen)."""
    places = MINOR_UNITS[currency]
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite amount
    if 0 >= exponent >= -places:
        return amount
    exact = amount.quantize(Decimal((0, (1,), -places if exponent < 0 else 0)), context=_EXACT)
    if exact != amount:
        unit = f"at most {places} decimals" if places else "no decimals"
        raise _bad("amount", f"{currency} amounts have {unit}, not {amount!s:.40}")
    return exact


@checked_constructor
@attrs.frozen(slots=True)
class Money:
    """A non-negative amount in an ISO 4217 currency; ``Decimal`` inside, never float.
    ``Money("1000")`` is CNY 1000. The amount has at most the currency's decimals (CNY 2,
    JPY none) and is kept in plain notation (``Money("1.5e6").amount`` is ``1500000``)."""

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        problem = currency_problem(self.currency)
        if problem is not None:
            raise _bad("currency", problem)
        exact = _in_minor_units(self.amount, self.currency)
        if exact is not self.amount:
            object.__setattr__(self, "amount", exact)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"
