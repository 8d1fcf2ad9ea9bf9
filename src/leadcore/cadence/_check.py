"""Checking arguments and collecting problems: every bad value becomes a ``ValidationError``
naming the argument or field and what would be right."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final, NoReturn, TypeVar

from leadcore.checks import shown
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum

__all__ = [
    "HORIZON_YEARS",
    "MAX_HOURS",
    "Problems",
    "as_hours",
    "aware",
    "fail",
    "join",
    "member",
    "prefixed",
    "shown",
    "text_keyed",
    "to_microseconds",
]

HORIZON_YEARS: Final = 100
"""How far the calendar arithmetic looks: a deadline or a span past this many years is refused."""

MAX_HOURS: Final = HORIZON_YEARS * 365 * 24
"""The most hours any deadline may add: 876,000, round-the-clock hours of 100 years of 365
days, so that they fit within the 100-year horizon from any start, leap days or not."""

_US_PER_HOUR: Final = 3_600_000_000

E = TypeVar("E", bound=LabelledEnum)


def fail(field: str, reason: str, *, subject: str = "input") -> NoReturn:
    """Raise a ``ValidationError`` with one problem."""
    raise ValidationError([FieldProblem(field, reason)], subject=subject)


def join(path: str, key: str) -> str:
    """``path.key``, or just ``key`` at the root; ``key`` may start with ``[`` for an index."""
    if not path:
        return key
    if not key:
        return path
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def prefixed(path: str, problems: Iterable[FieldProblem]) -> list[FieldProblem]:
    """The problems with ``path`` put in front of each field."""
    return [FieldProblem(join(path, p.field), p.reason) for p in problems]


class Problems:
    """Collects problems; :meth:`raise_if_any` raises them together as one ``ValidationError``."""

    def __init__(self, subject: str = "input") -> None:
        self.found: list[FieldProblem] = []
        self.subject = subject

    def add(self, field: str, reason: str) -> None:
        """Record that ``field`` is wrong and what would be right."""
        self.found.append(FieldProblem(field, reason))

    def extend(self, path: str, error: ValidationError) -> None:
        """Record every problem of ``error``, its fields put under ``path``."""
        self.found.extend(prefixed(path, error.problems))

    def raise_if_any(self) -> None:
        """Raise every problem found as one ``ValidationError``."""
        if self.found:
            raise ValidationError(self.found, subject=self.subject)


def text_keyed(value: object, field: str, what: str) -> Mapping[str, object]:
    """``value`` as a mapping with text keys, or a ``ValidationError`` naming ``field``: it
    says whether the value is not a mapping or which key is not text."""
    if not isinstance(value, Mapping):
        fail(field, f"must be a table (mapping) of {what}, not {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            fail(
                field,
                f"has the key {shown(key)} ({type(key).__name__}); its keys must be text, "
                f"as in a table of {what}",
            )
    return value


def aware(value: object, field: str) -> datetime:
    """``value`` in UTC; a ``ValidationError`` naming ``field`` unless it is a timezone-aware
    datetime."""
    if not isinstance(value, datetime):
        fail(field, f"must be a timezone-aware datetime, not {type(value).__name__}")
    try:
        offset = value.utcoffset()
        if offset is None:
            fail(field, "must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        return value.astimezone(UTC)
    except ValidationError:
        raise
    except OverflowError:  # e.g. 9999-12-31 23:00 at UTC-5 is past the end of datetime in UTC
        fail(field, "is too close to the limits of the calendar (years 1–9999)")
    except Exception as e:  # a host's tzinfo may raise anything; it is still a bad argument
        fail(
            field,
            f"has a time zone that cannot be read ({type(e).__name__}: {shown(e, quote=False)})",
        )


def to_microseconds(value: object, field: str, *, max_hours: float = MAX_HOURS) -> int:
    """A number of hours (int, float, Decimal, Fraction) or a ``timedelta`` as whole
    microseconds; finite, not negative and at most ``max_hours``, else a ``ValidationError``
    naming ``field``."""
    if isinstance(value, timedelta):
        if value < timedelta(0):
            fail(field, f"must not be negative, not {value}")
        if value > timedelta(hours=max_hours):
            fail(field, f"must be at most {max_hours:g} hours, not {value}")
        return value // timedelta(microseconds=1)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        fail(field, f"must be a number of hours or a timedelta, not {type(value).__name__}")
    try:
        hours = float(value)
    except (OverflowError, ValueError):
        fail(
            field,
            f"must be a finite number of hours of at most {max_hours:g}, "
            f"not {shown(value, quote=False)}",
        )
    if not math.isfinite(hours):
        fail(field, f"must be a finite number of hours, not {shown(value, quote=False)}")
    if hours < 0:
        fail(field, f"must not be negative, not {shown(value, quote=False)}")
    if hours > max_hours:
        fail(field, f"must be at most {max_hours:g} hours, not {shown(value, quote=False)}")
    return timedelta(hours=hours) // timedelta(microseconds=1)


def as_hours(microseconds: int) -> float:
    """Whole microseconds as hours."""
    return microseconds / _US_PER_HOUR


def member(cls: type[E], value: object, field: str, what: str) -> E:
    """``value`` as a member of ``cls`` (the member itself, its value, name or a label); else a
    ``ValidationError`` naming ``field`` and listing the values (``what``: "a follow-up
    method")."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls.parse(value)
        except ValueError:
            pass
    fail(field, f"{shown(value)} is not {what}; use {', '.join(m.value for m in cls)}")
