"""Storage: the ``LeadStore`` protocol and the stores leadcore ships."""

from leadcore.jsonvalue import JSONValue
from leadcore.query import LeadFilter, LeadOrder, LeadQuery, SortKey
from leadcore.storage.memory import MemoryStore
from leadcore.storage.protocol import LeadStore, UnitOfWork
from leadcore.storage.sqlite import SQLiteStore, StoreFileError, StoreLocked

__all__ = [
    "JSONValue",
    "LeadFilter",
    "LeadOrder",
    "LeadQuery",
    "LeadStore",
    "MemoryStore",
    "SQLiteStore",
    "SortKey",
    "StoreFileError",
    "StoreLocked",
    "UnitOfWork",
]
