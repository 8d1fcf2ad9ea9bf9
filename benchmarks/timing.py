"""Small timing helpers shared by the benchmark modules."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

SMALL = 10_000
"""The small store of every scaling benchmark."""


def large_size(quick: bool) -> int:
    """The large store of a scaling benchmark: 100k in a quick run (ten times the small one,
    enough to tell a cost that grows with the data from one that does not), 1M in a full run."""
    return 100_000 if quick else 1_000_000


def best_of(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs of ``fn``, in seconds (garbage collection paused)."""
    best = float("inf")
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    finally:
        if gc_was_enabled:
            gc.enable()
    return best


def per_call(fn: Callable[[], object], calls: int, *, repeat: int = 2) -> Callable[[], float]:
    """A measure for :func:`interleaved`: the best of ``repeat`` runs of ``fn`` (which makes
    ``calls`` calls of what is timed), in seconds per call."""
    return lambda: best_of(fn, repeat=repeat) / calls


def interleaved(measures: Mapping[K, Callable[[], float]], *, rounds: int = 3) -> dict[K, float]:
    """The lowest of ``rounds`` results of each measure (a function returning seconds), taken
    in turn round after round: this machine's speed drifts over minutes, and taking turns lets
    the drift hit every side of a ratio alike."""
    best = dict.fromkeys(measures, float("inf"))
    for _ in range(rounds):
        for key, measure in measures.items():
            best[key] = min(best[key], measure())
    return best


def scaling_figure(
    seconds_per_op: Mapping[int, float], *, small: int, large: int, target: str, op: str
) -> dict[str, object]:
    """The result line of a scaling benchmark: the cost of one ``op`` at the large size ÷ at
    the small size, with both costs in microseconds."""
    return {
        "value": round(seconds_per_op[large] / seconds_per_op[small], 3),
        "unit": "ratio",
        "target": target,
        "small": small,
        "large": large,
        f"us_per_{op}_small": round(seconds_per_op[small] * 1e6, 2),
        f"us_per_{op}_large": round(seconds_per_op[large] * 1e6, 2),
    }
