"""Time is injected: the library never reads the wall clock except through :class:`SystemClock`."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.signatures import checked_constructor

__all__ = ["Clock", "FixedClock", "SystemClock", "ensure_aware"]


@runtime_checkable
class Clock(Protocol):
    """Tells the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


@checked_constructor
class SystemClock:
    """The real clock (UTC)."""

    def __init__(self) -> None:
        """A system clock takes no settings (the constructor is spelt out so that an argument
        given by mistake is refused by name)."""

    def now(self) -> datetime:
        """The wall-clock time now, in UTC."""
        return datetime.now(UTC)


@checked_constructor
class FixedClock:
    """A clock that stands still until moved; for tests, replays and notebooks. Thread-safe."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_aware(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The time the clock is set to."""
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` (aware)."""
        aware = ensure_aware(when, "when")
        with self._lock:
            self._now = aware

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move the clock forward by ``delta`` or by keyword units (``hours=2``); return the time.
        ``delta`` must be a ``timedelta`` and each unit (``weeks``, ``days``, ``hours``,
        ``minutes``, ``seconds``, ``milliseconds``, ``microseconds``) a finite number; the step
        must not be negative (``set`` moves the clock back)."""
        step = _step(delta, units)
        with self._lock:
            try:
                self._now = self._now + step
            except OverflowError:
                raise ValidationError(
                    [FieldProblem("delta", "moves the clock past the limits of the calendar")]
                ) from None
            return self._now


_UNITS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")


def _step(delta: object, units: Mapping[str, object]) -> timedelta:
    """``delta`` plus the keyword ``units``, or ``ValidationError`` naming the bad one."""
    problems = []
    if delta is not None and not isinstance(delta, timedelta):
        problems.append(FieldProblem("delta", f"must be a timedelta, not {type(delta).__name__}"))
    for name, amount in units.items():
        if name not in _UNITS:
            problems.append(FieldProblem(name, f"is not a unit of time ({', '.join(_UNITS)})"))
        elif isinstance(amount, bool) or not isinstance(amount, int | float):
            problems.append(FieldProblem(name, f"must be an int or float, not {amount!r:.40}"))
        elif isinstance(amount, float) and not math.isfinite(amount):
            problems.append(FieldProblem(name, f"must be a finite number, not {amount!r}"))
    if problems or not isinstance(delta, timedelta | None):
        raise ValidationError(problems)
    field = next(iter(units)) if delta is None and len(units) == 1 else "delta"
    try:
        step = (delta or timedelta()) + timedelta(**units)  # type: ignore[arg-type]
    except OverflowError:
        raise ValidationError(
            [FieldProblem(field, "moves the clock past the limits of the calendar")]
        ) from None
    if step < timedelta():
        raise ValidationError(
            [FieldProblem(field, f"must not move the clock back (by {-step}); use set(when)")]
        )
    return step


def ensure_aware(value: object, field: str) -> datetime:
    """Return ``value`` in UTC; raise ValidationError naming ``field`` unless it is a
    timezone-aware datetime."""
    return checks.aware(value, field)
