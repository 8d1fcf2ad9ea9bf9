"""Lifecycle moves that decide a lead's fate: convert (转化), invalidate (设为无效), close as
lost (关闭), and reopen an invalid or lost lead."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore.model import Action, Lead

from ..outcome import Outcome
from ..reads import Subject
from .common import SubjectCommand

__all__ = ["Move"]


@attrs.frozen(kw_only=True)
class Move(SubjectCommand):
    """Take lifecycle action ``move`` (convert, invalidate, close as lost, reopen) with its
    ``reason``, or the customer a conversion points at."""

    action: ClassVar[Action] = Action.CONVERT
    move: Action
    reason: str | None = None
    customer_id: str | None = None

    def decide(self, facts: Subject) -> None:
        """Lifecycle and policy allow this move."""
        facts.require(self.setup, self.move)

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead after the move, and its event."""
        done = facts.step(
            self.move,
            reason=self.reason,
            customer_id=self.customer_id,
        )
        return Outcome.of_step(done, facts.lead.version)
