"""Lifecycle moves that decide a lead's fate: invalidate (设为无效) and close as lost (关闭).
Converting and reopening are in ``converting``."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Action, Lead

from ..outcome import Outcome
from ..reads import Subject
from .common import SubjectCommand

__all__ = ["Move", "move_reason"]


def move_reason(value: object) -> str | None:
    """A move's reason, trimmed: one line of at most 200 characters (blank, or only invisible
    characters, is none: a move that needs one then says so)."""
    clean = checks.optional_text(value, "reason")
    if clean is None or clean.isprintable():
        return clean
    try:
        return checks.text(clean, "reason")  # refuses only what holds nothing visible
    except ValidationError:
        return None


def _action(value: object) -> Action:
    return checks.choice(Action, value, "move")


@attrs.frozen(kw_only=True)
class Move(SubjectCommand):
    """Take lifecycle action ``move`` (invalidate, close as lost) with its ``reason``."""

    action: ClassVar[Action] = Action.INVALIDATE
    moves: ClassVar[frozenset[Action]] = frozenset({Action.INVALIDATE, Action.CLOSE_LOST})
    move: Action = attrs.field(converter=_action)
    reason: str | None = attrs.field(default=None, converter=move_reason)

    def __attrs_post_init__(self) -> None:
        """Refuse a ``move`` this command does not take (``moves``)."""
        if self.move not in self.moves:
            known = ", ".join(sorted(m.value for m in self.moves))
            raise ValidationError(
                [FieldProblem("move", f"must be one of: {known}, not {self.move.value!r}")]
            )

    def decide(self, facts: Subject) -> None:
        """Lifecycle and policy allow this move."""
        facts.require(self.setup, self.move)

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead after the move, and its event."""
        done = facts.step(self.move, reason=self.reason)
        return Outcome.of_step(done, facts.lead.version)
