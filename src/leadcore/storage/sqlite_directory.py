"""``SQLiteCustomerDirectory``: the ``CustomerDirectory`` protocol in a SQLite database file.

The directory's tables (``directory_*``) are part of leadcore's schema, so a directory opens
the very file a ``SQLiteStore`` uses (``SQLiteCustomerDirectory("crm.db")`` beside
``SQLiteStore("crm.db")``) or a file of its own; in memory (the default) it is a database of its
own. It has its own connection: the desk asks it questions while a unit of work of the store
holds the file's write lock, and in WAL mode a reader never waits for a writer.

Every write is one transaction taken with ``BEGIN IMMEDIATE`` that first looks for what the
conversion ``key`` already made (a binding, a contact, a deal) and returns it, so writes are
idempotent by key across threads and processes alike: two calls with one key never make two
records. A write waits up to ``busy_timeout`` for another writer, then raises ``StoreLocked``;
inside this thread's own unit of work of a store on the same file it would wait for ever, and
is refused at once with ``LeadcoreError``. ``sqlite3`` errors become ``LeadcoreError`` subclasses.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Final, Literal, TypeVar

import attrs

from leadcore.conversion import (
    CarriedFollowUp,
    Contact,
    ContactDraft,
    Customer,
    CustomerDraft,
    CustomerMatch,
    Deal,
    DealDraft,
    arguments,
)
from leadcore.dedup import DedupKey, Normaliser
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.signatures import checked_constructor
from leadcore.storage.sqlite_codec import micros
from leadcore.storage.sqlite_directory_rows import (
    DirectoryCodec,
    index_contact,
    index_customer,
    reindex,
)
from leadcore.storage.sqlite_errors import DIRECTORY, translate
from leadcore.storage.sqlite_file import MEMORY, SQLiteFile, path_text

__all__ = ["SQLiteCustomerDirectory"]

T = TypeVar("T")
H = TypeVar("H", Contact, Deal, CarriedFollowUp)

_TABLES: Final = {"C": "directory_customers", "P": "directory_contacts", "D": "directory_deals"}
_CHUNK: Final = 500


@checked_constructor
class SQLiteCustomerDirectory(SQLiteFile):
    """Customers, contacts and deals in a SQLite file, following the ``CustomerDirectory``
    contract. ``normaliser`` makes the keys customers are found by (the default rules unless
    given; use the one the desk's intake uses). ``add_customer`` and ``add_contact`` put in
    customers the host already has. Every argument is checked as
    ``leadcore.conversion.arguments`` says: a bad one raises ``ValidationError`` naming it
    before anything is written. Use it as a context manager, or call ``close()``."""

    subject = DIRECTORY

    def __init__(
        self,
        path: str | os.PathLike[str] = MEMORY,
        *,
        normaliser: Normaliser | None = None,
        busy_timeout: float = 15.0,
        synchronous: Literal["full", "normal", "off"] = "full",
    ) -> None:
        self.normaliser = Normaliser.given(normaliser, subject=DIRECTORY)
        self._codec = DirectoryCodec(path_text(path, DIRECTORY))
        super().__init__(path, busy_timeout, synchronous, self._reindex)

    def _reindex(self, conn: sqlite3.Connection) -> None:
        reindex(conn, self._codec, self.normaliser)

    # --- transactions ------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection inside a read transaction (one snapshot of the file; no lock)."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise translate(e, self.path, self.busy_timeout, self.subject) from e

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in a write transaction of its own; all of it lands or none."""
        self.refuse_own_writer("a customer directory write")
        with self._lock:
            conn = self._connection()
            self._holder = threading.get_ident()
            try:
                self._begin_writing(conn)
                try:
                    done = work(conn)
                    conn.execute("COMMIT")
                    return done
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                finally:
                    self._end_writing(conn)
            except sqlite3.Error as e:
                raise translate(e, self.path, self.busy_timeout, self.subject) from e
            finally:
                self._holder = None

    # --- rows --------------------------------------------------------------------------------
    def _customer(self, conn: sqlite3.Connection, customer_id: str) -> Customer:
        row = conn.execute(
            "SELECT body FROM directory_customers WHERE id = ?", (customer_id,)
        ).fetchone()
        if row is None:
            raise NotFound("customer", customer_id)
        return self._codec.read(row[0], Customer)

    def _bound(self, conn: sqlite3.Connection, key: str) -> Customer | None:
        row = conn.execute(
            "SELECT c.body FROM directory_bindings AS b JOIN directory_customers AS c "
            "ON c.id = b.customer_id WHERE b.key = ?",
            (key,),
        ).fetchone()
        return None if row is None else self._codec.read(row[0], Customer)

    def _made_for(self, conn: sqlite3.Connection, table: str, key: str, cls: type[H]) -> H | None:
        """The ``cls`` record of ``table`` made under conversion ``key``, or None."""
        row = conn.execute(f"SELECT body FROM {table} WHERE created_for = ?", (key,)).fetchone()
        return None if row is None else self._codec.read(row[0], cls)

    def _new_id(self, conn: sqlite3.Connection, prefix: str) -> str:
        """The next free id of a kind (``C1``, ``P1``, ``D1``, …)."""
        table = _TABLES[prefix]
        (n,) = conn.execute(f"SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}").fetchone()
        while conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (f"{prefix}{n}",)).fetchone():
            n += 1
        return f"{prefix}{n}"

    def _put_customer(self, conn: sqlite3.Connection, customer: Customer) -> None:
        conn.execute(
            "INSERT INTO directory_customers (id, created_for, body) VALUES (?, ?, ?)",
            (customer.id, customer.created_for, self._codec.body(customer)),
        )
        index_customer(conn, self.normaliser, customer)

    def _put_contact(self, conn: sqlite3.Connection, contact: Contact) -> None:
        conn.execute(
            "INSERT INTO directory_contacts (id, customer_id, created_for, body) "
            "VALUES (?, ?, ?, ?)",
            (contact.id, contact.customer_id, contact.created_for, self._codec.body(contact)),
        )
        index_contact(conn, self.normaliser, contact)

    # --- the host's own records ----------------------------------------------------------------
    def add_customer(
        self,
        name: str,
        *,
        owner_id: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        customer_id: str | None = None,
    ) -> Customer:
        """Add a customer the host made itself (not by a conversion) and return it; without a
        ``customer_id`` the directory picks one."""
        given = arguments.host_customer(name, owner_id, phone, email, customer_id)

        def work(conn: sqlite3.Connection) -> Customer:
            if given.customer_id is not None:
                cid = given.customer_id
                taken = conn.execute(
                    "SELECT 1 FROM directory_customers WHERE id = ?", (cid,)
                ).fetchone()
                if taken:
                    raise ValidationError([FieldProblem("customer_id", f"{cid!r} is taken")])
            else:
                cid = self._new_id(conn, "C")
            customer = given.customer(cid)
            self._put_customer(conn, customer)
            return customer

        return self._write(work)

    def add_contact(
        self,
        customer_id: str,
        name: str,
        *,
        phone: str | None = None,
        email: str | None = None,
    ) -> Contact:
        """Add a contact the host made itself to an existing customer and return it."""
        given = arguments.host_contact(customer_id, name, phone, email)

        def work(conn: sqlite3.Connection) -> Contact:
            self._customer(conn, given.customer_id)
            contact = given.contact(self._new_id(conn, "P"))
            self._put_contact(conn, contact)
            return contact

        return self._write(work)

    def customers(self) -> list[Customer]:
        """Every customer, in the order they were made."""
        with self._reading() as conn:
            rows = conn.execute("SELECT body FROM directory_customers ORDER BY seq").fetchall()
            return [self._codec.read(body, Customer) for (body,) in rows]

    # --- reading ---------------------------------------------------------------------------------
    def customer(self, customer_id: str) -> Customer:
        """See ``CustomerDirectory.customer``."""
        cid = arguments.customer_id(customer_id)
        with self._reading() as conn:
            return self._customer(conn, cid)

    def find(self, keys: Iterable[DedupKey]) -> list[CustomerMatch]:
        """See ``CustomerDirectory.find``: one seek of ``directory_keys`` per key."""
        wanted = {str(key): key for key in arguments.dedup_keys(keys)}
        texts = sorted(wanted)
        best: dict[tuple[str, str], str] = {}
        with self._reading() as conn:
            for start in range(0, len(texts), _CHUNK):
                chunk = texts[start : start + _CHUNK]
                rows = conn.execute(
                    "SELECT key, customer_id, contact_id FROM directory_keys WHERE key IN "
                    f"({', '.join('?' * len(chunk))}) "
                    "ORDER BY customer_id, key, contact_id = '', contact_id",
                    chunk,
                ).fetchall()
                for text, customer_id, contact_id in rows:
                    best.setdefault((customer_id, text), contact_id)
            customers = {c: self._customer(conn, c) for c in sorted({c for c, _ in best})}
        matches = []
        for (customer_id, text), contact_id in best.items():
            customer = customers[customer_id]
            matches.append(
                CustomerMatch(
                    wanted[text], customer.id, customer.name, customer.owner_id, contact_id or None
                )
            )
        return sorted(matches, key=lambda m: (m.customer_id, str(m.key)))

    def contacts(self, customer_id: str) -> list[Contact]:
        """See ``CustomerDirectory.contacts``."""
        return self._held(customer_id, "directory_contacts", "seq", Contact)

    def deals(self, customer_id: str) -> list[Deal]:
        """See ``CustomerDirectory.deals``."""
        return self._held(customer_id, "directory_deals", "seq", Deal)

    def history(self, customer_id: str) -> list[CarriedFollowUp]:
        """See ``CustomerDirectory.history``."""
        return self._held(customer_id, "directory_history", "at, id", CarriedFollowUp)

    def _held(self, customer_id: str, table: str, order: str, cls: type[H]) -> list[H]:
        """The customer's ``cls`` records in ``table``, by ``order``; ``NotFound`` for an
        unknown customer."""
        cid = arguments.customer_id(customer_id)
        with self._reading() as conn:
            self._customer(conn, cid)
            rows = conn.execute(
                f"SELECT body FROM {table} WHERE customer_id = ? ORDER BY {order}", (cid,)
            ).fetchall()
            return [self._codec.read(body, cls) for (body,) in rows]

    def bound(self, key: str) -> Customer | None:
        """See ``CustomerDirectory.bound``."""
        checked = arguments.key(key)
        with self._reading() as conn:
            return self._bound(conn, checked)

    # --- writing, idempotent by key ----------------------------------------------------------
    def create_customer(self, key: str, draft: CustomerDraft) -> Customer:
        """See ``CustomerDirectory.create_customer``."""
        key = arguments.key(key)
        draft = arguments.draft(draft, CustomerDraft)

        def work(conn: sqlite3.Connection) -> Customer:
            existing = self._bound(conn, key)
            if existing is not None:
                return existing
            customer = Customer.from_draft(self._new_id(conn, "C"), draft, key)
            self._put_customer(conn, customer)
            conn.execute(
                "INSERT INTO directory_bindings (key, customer_id) VALUES (?, ?)",
                (key, customer.id),
            )
            return customer

        return self._write(work)

    def link_customer(self, key: str, customer_id: str) -> Customer:
        """See ``CustomerDirectory.link_customer``."""
        key = arguments.key(key)
        customer_id = arguments.customer_id(customer_id)

        def work(conn: sqlite3.Connection) -> Customer:
            existing = self._bound(conn, key)
            if existing is not None:
                return existing
            customer = self._customer(conn, customer_id)
            conn.execute(
                "INSERT INTO directory_bindings (key, customer_id) VALUES (?, ?)",
                (key, customer.id),
            )
            return customer

        return self._write(work)

    def create_contact(self, key: str, customer_id: str, draft: ContactDraft) -> Contact:
        """See ``CustomerDirectory.create_contact``."""
        key = arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        draft = arguments.draft(draft, ContactDraft)

        def work(conn: sqlite3.Connection) -> Contact:
            made = self._made_for(conn, "directory_contacts", key, Contact)
            if made is not None:
                return made
            self._customer(conn, customer_id)
            contact = Contact.from_draft(self._new_id(conn, "P"), customer_id, draft, key)
            self._put_contact(conn, contact)
            return contact

        return self._write(work)

    def create_deal(
        self, key: str, customer_id: str, draft: DealDraft, *, contact_id: str | None = None
    ) -> Deal:
        """See ``CustomerDirectory.create_deal``."""
        key = arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        draft = arguments.draft(draft, DealDraft)
        contact_id = arguments.optional_id(contact_id, "contact_id")

        def work(conn: sqlite3.Connection) -> Deal:
            made = self._made_for(conn, "directory_deals", key, Deal)
            if made is not None:
                return made
            self._customer(conn, customer_id)
            deal = Deal.from_draft(
                self._new_id(conn, "D"), customer_id, draft, key, contact_id=contact_id
            )
            conn.execute(
                "INSERT INTO directory_deals (id, customer_id, created_for, body) "
                "VALUES (?, ?, ?, ?)",
                (deal.id, customer_id, key, self._codec.body(deal)),
            )
            return deal

        return self._write(work)

    def attach(self, key: str, customer_id: str, follow_ups: Sequence[CarriedFollowUp]) -> None:
        """See ``CustomerDirectory.attach``."""
        arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        rows = [
            (customer_id, f.id, micros(f.at), self._codec.body(f))
            for f in arguments.follow_ups(follow_ups)
        ]

        def work(conn: sqlite3.Connection) -> None:
            self._customer(conn, customer_id)
            conn.executemany(
                "INSERT OR IGNORE INTO directory_history (customer_id, id, at, body) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )

        self._write(work)

    def add_collaborators(self, key: str, customer_id: str, user_ids: Iterable[str]) -> None:
        """See ``CustomerDirectory.add_collaborators``."""
        arguments.key(key)
        customer_id = arguments.customer_id(customer_id)
        added = arguments.user_ids(user_ids)

        def work(conn: sqlite3.Connection) -> None:
            customer = self._customer(conn, customer_id)
            more = customer.collaborators | added
            if more != customer.collaborators:
                changed = attrs.evolve(customer, collaborators=more)
                conn.execute(
                    "UPDATE directory_customers SET body = ? WHERE id = ?",
                    (self._codec.body(changed), customer_id),
                )

        self._write(work)
