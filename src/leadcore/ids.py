"""Id factories: ids are strings made by an injected callable so a run can be replayed exactly."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable

__all__ = ["IdFactory", "counter_ids", "uuid4_ids"]

IdFactory = Callable[[], str]
"""A zero-argument callable returning a fresh, unique string id."""


def uuid4_ids() -> IdFactory:
    """The default factory: random UUID4 strings."""
    return lambda: str(uuid.uuid4())


def counter_ids(prefix: str = "id-", start: int = 1) -> IdFactory:
    """A deterministic, thread-safe factory: ``id-1``, ``id-2``, … (for tests and replays)."""
    counter = itertools.count(start)
    lock = threading.Lock()

    def next_id() -> str:
        with lock:
            return f"{prefix}{next(counter)}"

    return next_id
