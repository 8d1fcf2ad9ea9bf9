"""Whether a lead may be converted now under its pool's gate, with the readiness behind it."""

from __future__ import annotations

import attrs

from leadcore.model import ConversionGate, Lead, Pool
from leadcore.scoring import Readiness, ReadinessSignal
from leadcore.signatures import checked_constructor

__all__ = ["ConversionReadiness", "gate_refusal"]


def gate_refusal(pool: Pool, lead: Lead, readiness: Readiness) -> str | None:
    """Why the pool's ``conversion_gate`` keeps ``lead`` from converting, or None."""
    gate = pool.conversion_gate
    if gate is ConversionGate.READY and not readiness.suggest_convert:
        held = len(readiness.held)
        return (
            f"pool {pool.name} converts only ready leads (3 of {len(ReadinessSignal)} signals); "
            f"this one has {held}: missing {', '.join(s.value for s in readiness.missing)}"
        )
    if gate is ConversionGate.SQL and lead.sql_at is None:
        return f"pool {pool.name} converts only sales-accepted (SQL) leads; accept it as SQL first"
    return None


@checked_constructor
@attrs.frozen(slots=True)
class ConversionReadiness:
    """Whether a lead may be converted now: its ``readiness`` (the 3-of-5 rule, naming the
    signals that hold), the pool's ``gate``, and ``allowed`` with the ``reason``."""

    readiness: Readiness
    gate: ConversionGate
    allowed: bool
    reason: str

    @property
    def held(self) -> tuple[ReadinessSignal, ...]:
        """The readiness signals that hold."""
        return self.readiness.held

    def __str__(self) -> str:
        verdict = "may convert" if self.allowed else "may not convert"
        return f"{verdict}: {self.reason}\n{self.readiness}"
