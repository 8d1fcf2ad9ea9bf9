"""Storage: the ``LeadStore`` protocol and the stores leadcore ships, and the customer
directory in a SQLite file."""

from leadcore.jsonvalue import JSONValue
from leadcore.query import LeadFilter, LeadOrder, LeadQuery, SortKey
from leadcore.storage.memory import MemoryStore
from leadcore.storage.protocol import LeadStore, UnitOfWork
from leadcore.storage.sqlite import SQLiteStore, StoreFileError, StoreLocked
from leadcore.storage.sqlite_directory import SQLiteCustomerDirectory

__all__ = [
    "JSONValue",
    "LeadFilter",
    "LeadOrder",
    "LeadQuery",
    "LeadStore",
    "MemoryStore",
    "SQLiteCustomerDirectory",
    "SQLiteStore",
    "SortKey",
    "StoreFileError",
    "StoreLocked",
    "UnitOfWork",
]
