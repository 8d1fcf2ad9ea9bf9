"""Clocks: fixed and system time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadcore import (
    FixedClock,
    SystemClock,
    ValidationError,
)
from leadcore.testing import EPOCH


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))))
    assert clock.now() == EPOCH and clock.now().tzinfo is UTC
    assert clock.advance(hours=2) == EPOCH + timedelta(hours=2)
    clock.set(EPOCH)
    assert clock.now() == EPOCH
    with pytest.raises(ValidationError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_fixed_clock_is_thread_safe() -> None:
    clock = FixedClock(EPOCH)
    threads = [
        threading.Thread(target=lambda: [clock.advance(seconds=1) for _ in range(1000)])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == EPOCH + timedelta(seconds=4000)


def test_fixed_clock_refuses_what_is_not_a_time_or_a_step() -> None:
    for start in ("2026-03-02", None, 1772409600):
        with pytest.raises(ValidationError) as caught:
            FixedClock(start)  # type: ignore[arg-type]
        assert caught.value.fields == ("start",)
    clock = FixedClock(EPOCH)
    with pytest.raises(ValidationError) as caught:
        clock.set("2026-03-02")  # type: ignore[arg-type]
    assert caught.value.fields == ("when",)
    with pytest.raises(ValidationError) as caught:
        clock.advance(hours="1")  # type: ignore[arg-type]
    assert caught.value.fields == ("hours",)
    with pytest.raises(ValidationError) as caught:
        clock.advance(hourz=1, minutes=float("nan"))
    assert set(caught.value.fields) == {"hourz", "minutes"}
    for delta in (1, "1h"):
        with pytest.raises(ValidationError) as caught:
            clock.advance(delta)  # type: ignore[arg-type]
        assert caught.value.fields == ("delta",)
    with pytest.raises(ValidationError, match="limits of the calendar"):
        clock.advance(days=10**7)
    assert clock.now() == EPOCH
    assert clock.advance(timedelta(hours=1), minutes=30) == EPOCH + timedelta(minutes=90)
