"""The desk's application test case on MemoryStore, indexed and walking."""

from __future__ import annotations

from leadcore import LeadStore, MemoryStore
from leadcore.testing import DeskApplicationCase


class TestDeskOnMemoryStore(DeskApplicationCase):
    """Every desk behaviour on the default store."""

    def make_store(self) -> LeadStore:
        return MemoryStore()


class TestDeskOnWalkingMemoryStore(DeskApplicationCase):
    """Again, with every query walking the ordering instead of an index."""

    def make_store(self) -> LeadStore:
        return MemoryStore(walk_only=True)
