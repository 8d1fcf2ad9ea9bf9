"""Lifecycle moves that decide a lead's fate: invalidate (设为无效) and close as lost (关闭).
Converting and reopening are in ``converting``."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.model import Action, Lead

from ..outcome import Outcome
from ..reads import Subject
from .common import SubjectCommand

__all__ = ["Move"]


def _reason(value: object) -> str | None:
    """A move's reason, trimmed (blank is none: a move that needs one then says so)."""
    return checks.optional_text(value, "reason")


@attrs.frozen(kw_only=True)
class Move(SubjectCommand):
    """Take lifecycle action ``move`` (invalidate, close as lost) with its ``reason``."""

    action: ClassVar[Action] = Action.INVALIDATE
    move: Action
    reason: str | None = attrs.field(default=None, converter=_reason)

    def decide(self, facts: Subject) -> None:
        """Lifecycle and policy allow this move."""
        facts.require(self.setup, self.move)

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead after the move, and its event."""
        done = facts.step(self.move, reason=self.reason)
        return Outcome.of_step(done, facts.lead.version)
