"""The desk's application test case on a walking MemoryStore (every store kind runs it in
``test_every_store``)."""

from __future__ import annotations

from leadcore import LeadStore, MemoryStore
from leadcore.testing import DeskApplicationCase


class TestDeskOnWalkingMemoryStore(DeskApplicationCase):
    """Every desk behaviour with every query walking the ordering instead of an index."""

    def make_store(self) -> LeadStore:
        return MemoryStore(walk_only=True)
