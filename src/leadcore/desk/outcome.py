"""What a plan decides, written nowhere yet: leads to save, events, other records, the value.

A plan is a pure function from what was loaded to an ``Outcome``. Only the runner turns an
outcome into store writes, so a reader sees every effect of an operation in one value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import attrs

from leadcore.events import Event
from leadcore.jsonvalue import JSONValue
from leadcore.lifecycle import Step
from leadcore.model import FollowUp, Lead, Pool
from leadcore.records import Away, Grant, OwnershipRecord

__all__ = [
    "AddFollowUp",
    "AddLead",
    "AddPool",
    "DeleteLead",
    "LeadWrite",
    "MoveFollowUp",
    "Outcome",
    "PutGrant",
    "RecordWrite",
    "SaveFollowUp",
    "SaveLead",
    "SavePool",
    "SetAway",
    "SetState",
    "SetSweepAt",
]

T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")


@attrs.frozen(slots=True)
class AddLead:
    """Store a new lead (at version 1)."""

    lead: Lead


@attrs.frozen(slots=True)
class SaveLead:
    """Replace a lead read at ``expected_version`` with ``lead`` (its next version)."""

    lead: Lead
    expected_version: int


@attrs.frozen(slots=True)
class DeleteLead:
    """Remove a lead read at ``expected_version`` (its events stay)."""

    lead_id: str
    expected_version: int


LeadWrite = AddLead | SaveLead | DeleteLead
"""A change to one lead."""


@attrs.frozen(slots=True)
class AddFollowUp:
    """Store a new follow-up record."""

    follow_up: FollowUp


@attrs.frozen(slots=True)
class SaveFollowUp:
    """Replace a stored follow-up record."""

    follow_up: FollowUp


@attrs.frozen(slots=True)
class MoveFollowUp:
    """Move a stored follow-up record to another lead (merge and unmerge)."""

    follow_up_id: str
    lead_id: str


@attrs.frozen(slots=True)
class PutGrant:
    """Store a grant, replacing the one with its id."""

    grant: Grant


@attrs.frozen(slots=True)
class SetAway:
    """Replace a user's away periods."""

    user_id: str
    periods: tuple[Away, ...]


@attrs.frozen(slots=True)
class SetState:
    """Write an assignment cursor (None removes it)."""

    key: str
    value: JSONValue


@attrs.frozen(slots=True)
class SetSweepAt:
    """Set when the sweep next looks at a lead (None: never, until it changes). The runner
    writes one for every lead an outcome adds or saves; a plan writes its own for a lead it
    looked at and left as it was."""

    lead_id: str
    at: datetime | None


@attrs.frozen(slots=True)
class AddPool:
    """Store a new pool."""

    pool: Pool


@attrs.frozen(slots=True)
class SavePool:
    """Replace a pool read at ``expected_version``."""

    pool: Pool
    expected_version: int


RecordWrite = (
    AddFollowUp
    | SaveFollowUp
    | MoveFollowUp
    | PutGrant
    | OwnershipRecord
    | SetAway
    | SetState
    | AddPool
    | SavePool
    | SetSweepAt
)
"""A write of anything but a lead."""


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class Outcome(Generic[T_co]):
    """Everything one plan decided: the ``leads`` to write (each carrying the version it was
    read at), the ``events`` to append, the other ``records`` to write, and the ``value`` the
    operation returns. Nothing is written until the runner applies it."""

    value: T_co
    leads: tuple[LeadWrite, ...] = ()
    events: tuple[Event, ...] = ()
    records: tuple[RecordWrite, ...] = ()

    @classmethod
    def of_step(
        cls,
        step: Step,
        expected_version: int,
        *extra_events: Event,
        records: Iterable[RecordWrite] = (),
    ) -> Outcome[Lead]:
        """The outcome of one lifecycle step: save its lead, append its event (then
        ``extra_events``), write ``records``; the value is the lead as saved."""
        return Outcome(
            step.lead,
            (SaveLead(step.lead, expected_version),),
            (step.event, *extra_events),
            tuple(records),
        )

    def with_value(self, value: U) -> Outcome[U]:
        """The same writes returning ``value`` instead."""
        return Outcome(value, self.leads, self.events, self.records)

    @staticmethod
    def combine(parts: Sequence[Outcome[object]], value: U) -> Outcome[U]:
        """Several plans' writes as one outcome (in order), returning ``value``."""
        return Outcome(
            value,
            tuple(w for p in parts for w in p.leads),
            tuple(e for p in parts for e in p.events),
            tuple(r for p in parts for r in p.records),
        )
