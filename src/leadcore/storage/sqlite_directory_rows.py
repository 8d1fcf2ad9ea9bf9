"""The customer directory's records to SQLite rows and back, and its key index.

Customers, contacts, deals and carried follow-ups are kept as JSON bodies made by the
project's converter; their mapped ``fields`` keep their types (a ``Decimal``, a date, ``Money``)
as tagged values (see ``leadcore.tagged``). ``directory_keys`` holds each key a customer is
found by: its own name, phone and email (contact ``''``), and each contact's phone, email and
WeChat id, as the directory's normaliser reads them.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Final, TypeVar

import attrs
from cattrs.errors import BaseValidationError

from leadcore.config import make_converter
from leadcore.conversion import CarriedFollowUp, Contact, Customer, Deal
from leadcore.conversion.records import directory_keys
from leadcore.dedup import DedupKey, Normaliser
from leadcore.errors import LeadcoreError
from leadcore.storage.sqlite_errors import DIRECTORY, StoreFileError
from leadcore.tagged import Tags

__all__ = ["DirectoryCodec", "index_contact", "index_customer", "reindex"]

R = TypeVar("R", Customer, Contact, Deal, CarriedFollowUp)

_RULES: Final = "directory_keys"
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class DirectoryCodec:
    """Bodies of directory records, and the records they hold (``path`` names the file in
    errors)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._converter = make_converter()
        self._tags = Tags(self._converter)

    def body(self, record: Customer | Contact | Deal | CarriedFollowUp) -> str:
        """``record`` as JSON text, its ``fields`` tagged."""
        plain: dict[str, Any] = self._converter.unstructure(record)
        if "fields" in plain:
            plain["fields"] = self._tags.mapping(getattr(record, "fields"))  # noqa: B009
        return str(_ENCODE(plain))

    def read(self, body: str, cls: type[R]) -> R:
        """The ``cls`` record ``body`` holds; ``StoreFileError`` if it cannot be read."""
        try:
            plain = json.loads(body)
            if not isinstance(plain, dict):
                raise TypeError("the body is not a JSON object")
            fields = plain.pop("fields", None)
            record = self._converter.structure(plain, cls)
            if fields is None or isinstance(record, CarriedFollowUp):
                return record
            changed: R = attrs.evolve(record, fields=self._tags.read(fields))
            return changed
        except (ValueError, TypeError, KeyError, BaseValidationError, LeadcoreError) as e:
            raise StoreFileError(
                self.path,
                f"a stored {cls.__name__.lower()} cannot be read back ({e}); the file is damaged",
                DIRECTORY,
            ) from e


def _insert_keys(
    conn: sqlite3.Connection, keys: list[DedupKey], customer_id: str, contact_id: str
) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO directory_keys (key, customer_id, contact_id) VALUES (?, ?, ?)",
        [(str(key), customer_id, contact_id) for key in keys],
    )


def index_customer(conn: sqlite3.Connection, normaliser: Normaliser, customer: Customer) -> None:
    """Index the keys a customer is found by: its name, phone and email."""
    _insert_keys(conn, directory_keys(customer, normaliser), customer.id, "")


def index_contact(conn: sqlite3.Connection, normaliser: Normaliser, contact: Contact) -> None:
    """Index the keys a contact makes its customer found by: phone, email and WeChat id."""
    _insert_keys(conn, directory_keys(contact, normaliser), contact.customer_id, contact.id)


def reindex(conn: sqlite3.Connection, codec: DirectoryCodec, normaliser: Normaliser) -> None:
    """Read every customer's and contact's keys again if the file's were read with other
    rules (or none), in one transaction of its own."""
    rules = json.dumps(normaliser.rules.to_dict(), sort_keys=True, ensure_ascii=False)
    row = conn.execute("SELECT rules FROM leadcore_rules WHERE name = ?", (_RULES,)).fetchone()
    if row is not None and row[0] == rules:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM directory_keys")
        for (body,) in conn.execute("SELECT body FROM directory_customers").fetchall():
            index_customer(conn, normaliser, codec.read(body, Customer))
        for (body,) in conn.execute("SELECT body FROM directory_contacts").fetchall():
            index_contact(conn, normaliser, codec.read(body, Contact))
        conn.execute(
            "INSERT INTO leadcore_rules (name, rules) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET rules = excluded.rules",
            (_RULES, rules),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
