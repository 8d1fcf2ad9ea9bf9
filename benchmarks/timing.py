"""Small timing helpers shared by the benchmark modules."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping


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
