"""Time is injected: the library never reads the wall clock except through :class:`SystemClock`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from leadcore.errors import FieldProblem, ValidationError

__all__ = ["Clock", "FixedClock", "SystemClock", "ensure_aware"]


@runtime_checkable
class Clock(Protocol):
    """Tells the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock (UTC)."""

    def now(self) -> datetime:
        """The wall-clock time now, in UTC."""
        return datetime.now(UTC)


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
        """Move the clock forward by ``delta`` or by keyword units (``hours=2``); return the time."""
        step = (delta or timedelta()) + timedelta(**units)
        with self._lock:
            self._now = self._now + step
            return self._now


def ensure_aware(value: datetime, field: str) -> datetime:
    """Return ``value`` in UTC; raise ValidationError naming ``field`` if it has no timezone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            [FieldProblem(field, "must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")]
        )
    return value.astimezone(UTC)
