"""Pausing Python's cyclic garbage collector during bulk work (imports).

An import adds thousands of long-lived objects (leads, events, index entries) per chunk. The
collector counts those allocations and, every few hundred, walks the young objects; every few
thousand rows it walks *every* object the process holds, the whole store included. None of
that work frees anything: leads, events and records hold no reference cycles. So bulk work
pauses the collector while a chunk is planned and written, and lets it run between chunks:
whatever garbage a chunk does leave is collected right after it.

The pause is process-wide (the collector is), so it is counted: with imports running in
several threads, the collector resumes when the last of them leaves its chunk, and only if
it was running when the first came in.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


class _Pauses:
    """How many blocks hold the collector paused, and whether it ran before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.held = 0
        self.resume = False


_PAUSES = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (see the module docstring); blocks
    may nest and run in several threads at once."""
    pauses = _PAUSES
    with pauses.lock:
        if pauses.held == 0:
            pauses.resume = gc.isenabled()
            gc.disable()
        pauses.held += 1
    try:
        yield
    finally:
        with pauses.lock:
            pauses.held -= 1
            if pauses.held == 0 and pauses.resume:
                gc.enable()
