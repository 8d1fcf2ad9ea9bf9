"""Storage: the ``LeadStore`` protocol and the stores leadcore ships."""

from leadcore.storage.memory import MemoryStore
from leadcore.storage.protocol import (
    JSONValue,
    LeadOrder,
    LeadQuery,
    LeadStore,
    SortKey,
    UnitOfWork,
)

__all__ = [
    "JSONValue",
    "LeadOrder",
    "LeadQuery",
    "LeadStore",
    "MemoryStore",
    "SortKey",
    "UnitOfWork",
]
