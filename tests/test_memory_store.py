"""MemoryStore passes the store contract and agrees with the reference model."""

from __future__ import annotations

from leadcore import LeadStore, MemoryStore
from leadcore.testing import LeadStoreContract, StoreAgreement


class TestMemoryStoreContract(LeadStoreContract):
    """The whole contract suite, on MemoryStore."""

    def make_store(self) -> LeadStore:
        return MemoryStore()


class TestMemoryStoreWalkingContract(LeadStoreContract):
    """The contract again, with every query walking the ordering instead of an index."""

    def make_store(self) -> LeadStore:
        return MemoryStore(walk_only=True)


class MemoryStoreAgreement(StoreAgreement):
    """An index-planning and a walking MemoryStore agree with the reference on random histories."""

    def make_stores(self) -> list[LeadStore]:
        return [MemoryStore(), MemoryStore(walk_only=True)]


TestMemoryStoreAgreement = MemoryStoreAgreement.TestCase
