"""A permission decision that explains itself."""

from __future__ import annotations

import attrs

from leadcore.model import Action
from leadcore.signatures import checked_constructor

__all__ = ["Decision"]


@checked_constructor
@attrs.frozen(slots=True)
class Decision:
    """Whether ``action`` is allowed and the human-readable reason why (or why not).

    Truthy when allowed, so ``if desk.can(...):`` reads naturally.
    """

    allowed: bool
    action: Action
    reason: str

    def __bool__(self) -> bool:
        return self.allowed
