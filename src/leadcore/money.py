"""Money (金额): a non-negative ``Decimal`` amount in an ISO 4217 currency, never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from leadcore.currencies import ISO_4217
from leadcore.errors import FieldProblem, ValidationError

__all__ = ["Money"]

_MAX_AMOUNT: Final = Decimal("1e15")


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise ValidationError(
            [FieldProblem("amount", f"must be Decimal, int or str, not {type(value).__name__}")]
        )
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError) as e:
        raise ValidationError(
            [FieldProblem("amount", f"{value!r} is not a number (e.g. '1000.00')")]
        ) from e
    if not amount.is_finite():
        raise ValidationError([FieldProblem("amount", "must be a finite number")])
    if amount < 0:
        raise ValidationError([FieldProblem("amount", f"must not be negative, not {amount}")])
    if amount >= _MAX_AMOUNT:
        raise ValidationError([FieldProblem("amount", "must be below 10^15")])
    return amount


@attrs.frozen(slots=True)
class Money:
    """A non-negative amount in an ISO 4217 currency; ``Decimal`` inside, never float.
    ``Money("1000")`` is CNY 1000."""

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.currency, str) or self.currency not in ISO_4217:
            raise ValidationError(
                [FieldProblem("currency", f"{self.currency!r} is not an ISO 4217 code like 'CNY'")]
            )

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"
