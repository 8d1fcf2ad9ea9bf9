"""Records to ``SQLiteStore`` rows and back, through the project's one converter.

A row keeps the columns its indexes need (ids, status, times as whole microseconds since
1970-01-01 UTC, so they sort as the instants do) beside a JSON ``body`` holding the whole
record as the converter unstructures it. Fields left at their default are left out of the
body and come back as that default. Datetimes keep their zone (an offset, or a named zone's
name); custom fields, audit values and event data keep their types (see ``leadcore.tagged``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from cattrs.errors import BaseValidationError
from cattrs.gen import make_dict_unstructure_fn, override

from leadcore.config import make_converter
from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.events import Event
from leadcore.model import FollowUp, Lead, Pool
from leadcore.records import Away, Grant
from leadcore.storage.sqlite_errors import StoreFileError

__all__ = ["Codec", "micros"]

R = TypeVar("R")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """``at`` as whole microseconds since 1970-01-01 UTC (orders exactly as instants do);
    ``ValidationError`` for a datetime without a timezone."""
    try:
        return (at - _EPOCH) // _MICRO
    except TypeError:
        raise ValidationError(
            [FieldProblem("datetime", f"{at!r} needs a timezone, e.g. +08:00")], subject="record"
        ) from None


_ENCODE: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), check_circular=False
).encode

_KEPT_IN_COLUMNS: Final[dict[type[Any], tuple[str, ...]]] = {
    Lead: ("version",),
    Pool: ("version",),
    Event: ("position",),
}
"""Fields a row keeps in a column of its own instead of its body."""


class Codec:
    """Bodies and column values for one store's records (``path`` names it in errors)."""

    def __init__(self, path: str) -> None:
        self.path = path
        converter = make_converter()
        self._converter = converter
        self._unstructure = converter.unstructure
        # The converter's own hooks, in a function cattrs generates per class that leaves out
        # fields at their default and those kept in columns.
        self._bodies: dict[type[Any], Callable[[Any], dict[str, object]]] = {}
        for cls in (Lead, Pool, FollowUp, Event, Grant, Away):
            omitted: dict[str, Any] = {
                n: override(omit=True) for n in _KEPT_IN_COLUMNS.get(cls, ())
            }
            self._bodies[cls] = make_dict_unstructure_fn(
                cls, converter, _cattrs_omit_if_default=True, **omitted
            )

    def body(self, record: object) -> str:
        """``record`` as JSON text: its fields unstructured, those at their default and those
        kept in columns left out."""
        to_plain = self._bodies.get(type(record))
        plain = self._unstructure(record) if to_plain is None else to_plain(record)
        text: str = _ENCODE(plain)
        return text

    def read(self, body: str | bytes, cls: type[R], what: str, **columns: object) -> R:
        """The ``cls`` record ``body`` holds, with ``columns`` (kept beside it) put back."""
        try:
            plain = json.loads(body)
            if not isinstance(plain, dict):
                raise TypeError("the body is not a JSON object")
            plain.update(columns)
            return self._converter.structure(plain, cls)
        except (ValueError, TypeError, KeyError, BaseValidationError, LeadcoreError) as e:
            raise StoreFileError(
                self.path, f"the stored {what} cannot be read back ({e}); the file is damaged"
            ) from e

    # --- one record kind each ------------------------------------------------------------------
    def lead_row(self, lead: Lead, version: int) -> tuple[object, ...]:
        """``(pool_id, status, owner_id, source, grade, created_at, due_at, version, body,
        id)``: a lead's columns, in the order the store's SQL binds them."""
        due = lead.next_due_at
        return (
            lead.pool_id,
            lead.status.value,
            lead.owner_id,
            lead.source,
            lead.grade,
            micros(lead.created_at),
            None if due is None else micros(due),
            version,
            self.body(lead),
            lead.id,
        )

    def lead(self, body: str, version: int) -> Lead:
        """The lead a row holds."""
        return self.read(body, Lead, "lead", version=version)

    def pool(self, body: str, version: int) -> Pool:
        """The pool a row holds."""
        return self.read(body, Pool, "pool", version=version)

    def follow_up(self, body: str) -> FollowUp:
        """The follow-up a row holds."""
        return self.read(body, FollowUp, "follow-up")

    def event(self, body: str, position: int) -> Event:
        """The event a row holds, at its position."""
        return self.read(body, Event, "event", position=position)

    def grant(self, body: str) -> Grant:
        """The grant a row holds."""
        return self.read(body, Grant, "grant")

    def away(self, body: str) -> Away:
        """The away period a row holds."""
        return self.read(body, Away, "away period")

    def when(self, at: datetime) -> str:
        """A datetime as text that keeps its zone."""
        text: str = self._unstructure(at)
        return text

    def instant(self, text: str) -> datetime:
        """The datetime ``when`` wrote."""
        try:
            return self._converter.structure(text, datetime)
        except (ValueError, TypeError) as e:
            raise StoreFileError(self.path, f"a stored time {text!r} cannot be read back") from e
