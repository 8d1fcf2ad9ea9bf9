"""The base of the desk's application test case: a fresh world over a store you make."""

from __future__ import annotations

from typing import Any

from leadcore.model import Pool
from leadcore.storage.protocol import LeadStore
from leadcore.testing.world import World, make_world

__all__ = ["DeskCase"]


class DeskCase:
    """Subclass with ``make_store`` returning a fresh, empty store; ``world`` builds the shared
    organisation's desk over it (see ``leadcore.testing.world``)."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass the case and implement make_store()")

    def world(self, *pools: Pool, **options: Any) -> World:
        """A desk over a fresh store with ``pools`` (default: east, north, off)."""
        return make_world(self.make_store(), *pools, **options)
