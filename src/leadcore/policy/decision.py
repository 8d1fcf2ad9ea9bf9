"""A permission decision that explains itself."""

from __future__ import annotations

import attrs

from leadcore.model import Action

__all__ = ["Decision"]


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
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
