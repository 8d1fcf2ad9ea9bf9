"""How fast this machine runs plain Python right now, to read the absolute rates against.

The rates the issues aim at (creates, assignments, imported rows per second) were set on other
machines, and this machine's own speed drifts by more than half within an hour. ``run.py``
prints this figure before and after the benchmarks: a rate is comparable across runs only
as a multiple of the reference taken with it.
"""

from __future__ import annotations

import time

import attrs


@attrs.frozen
class _Record:
    key: str
    amount: int
    tags: tuple[str, ...]


def _workload(loops: int) -> int:
    """Object construction, dict and string work, the mix a desk operation is made of."""
    index: dict[str, _Record] = {}
    total = 0
    for n in range(loops):
        record = _Record(f"key-{n % 997}", n, ("a", "b"))
        index[record.key] = record
        total += len(record.key.upper()) + index[record.key].amount % 7
    return total


def machine_reference(quick: bool) -> dict[str, object]:
    """Reference loops per second (the best of five rounds of 100,000)."""
    loops = 100_000
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        _workload(loops)
        best = min(best, time.perf_counter() - start)
    return {"value": round(loops / best), "unit": "loops/s"}
