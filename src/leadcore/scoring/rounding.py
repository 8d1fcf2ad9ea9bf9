"""How scores are rounded: to 6 decimals, half up (every score is ≥ 0).

Profile points, behaviour points, totals, maxima and default grade thresholds all go through
:func:`round6`, so a total is the same number wherever it is worked out.
"""

from __future__ import annotations

__all__ = ["round6"]


def round6(value: float) -> float:
    """``value`` rounded to 6 decimals, half up: ``round6(1.2345675) == 1.234568``."""
    return int(value * 1e6 + 0.5) / 1e6
