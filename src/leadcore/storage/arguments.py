"""The checks every store runs on a unit of work's arguments before it reads or writes: hosts
call units of work directly (an outbox reader, a script), so a wrong argument must meet a
``ValidationError`` naming it on every store alike, not a crash deep in an index or in SQL.

Numbers a store keeps (versions, positions, limits) are whole numbers from 0 to 2**63 - 1, the
range a 64-bit database column holds."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from operator import attrgetter, is_not
from typing import Final, TypeVar, cast

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import Event, EventKind, FieldChange
from leadcore.labels import LabelledEnum
from leadcore.model import Emotion, FollowUp, Lead, Priority
from leadcore.query import LeadFilter, LeadQuery
from leadcore.records import Away, OwnershipChange, OwnershipRecord

__all__ = [
    "MAX_NUMBER",
    "an_id",
    "away_list",
    "change",
    "changes",
    "criteria",
    "cursor",
    "event_list",
    "follow_up",
    "id_list",
    "instance",
    "lead",
    "lead_times",
    "limit",
    "moment",
    "number",
    "optional_id",
    "optional_moment",
    "ownership_record",
    "query",
    "state_key",
]

T = TypeVar("T")

MAX_NUMBER: Final = checks.MAX_STORED_NUMBER
"""The largest version, position or limit a store accepts."""


def an_id(value: object, field: str) -> str:
    """An id argument (``lead_id``, ``pool_id``…): a ``str``. Its content is the store's to
    keep exactly (a host's own ids may hold any text), so only the type is checked here, and
    that it can be written as UTF-8 (every store can keep it)."""
    if type(value) is str and value.isascii():
        return value
    if isinstance(value, str):
        return checks.kept_text(value, field)
    raise ValidationError([FieldProblem(field, f"must be an id (text), not {_kind(value)}")])


def optional_id(value: object, field: str) -> str | None:
    """An id argument that may be None."""
    return None if value is None else an_id(value, field)


_PLAIN_COLLECTIONS: Final = frozenset({list, tuple, set, frozenset})
_ONLY_STR: Final = {str}


def id_list(value: object, field: str) -> list[str]:
    """Several ids: a list, set, tuple… of ``str`` (never one ``str``)."""
    if type(value) in _PLAIN_COLLECTIONS:  # the common case, without an ABC check
        plain: list[str] = list(cast(Iterable[str], value))
        if not plain or (set(map(type, plain)) == _ONLY_STR and all(map(str.isascii, plain))):
            return plain
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            [
                FieldProblem(
                    field, f'must be a collection of ids like ["u1", "u2"], not {_kind(value)}'
                )
            ]
        )
    found = list(value)
    for i, item in enumerate(found):
        an_id(item, f"{field}[{i}]")
    return found


def _kind(value: object) -> str:
    return f"the string {value!r:.40}" if isinstance(value, str) else type(value).__name__


def number(value: object, field: str) -> int:
    """A version or position: a whole number from 0 to :data:`MAX_NUMBER` (not a bool)."""
    return checks.stored_number(value, field)


def limit(value: object) -> int | None:
    """A ``limit``: None (no limit) or a whole number from 0 to :data:`MAX_NUMBER`."""
    return None if value is None else number(value, "limit")


def moment(value: object, field: str) -> datetime:
    """A timezone-aware datetime argument."""
    return checks.aware(value, field)


def optional_moment(value: object, field: str) -> datetime | None:
    """A timezone-aware datetime argument that may be None."""
    return checks.optional_aware(value, field)


def cursor(value: object) -> tuple[datetime, str] | None:
    """A follow-up page's ``after``: None, or the ``(at, id)`` of the last one seen."""
    if value is None:
        return None
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValidationError(
            [FieldProblem("after", "must be the (at, id) of the last follow-up seen, or None")]
        )
    return moment(value[0], "after[0]"), an_id(value[1], "after[1]")


def change(value: object) -> OwnershipChange:
    """One kind of ownership record."""
    if isinstance(value, OwnershipChange):
        return value
    raise ValidationError(
        [FieldProblem("change", f"must be an OwnershipChange, not {type(value).__name__}")]
    )


def changes(value: object) -> frozenset[OwnershipChange]:
    """Kinds of ownership records: a collection of ``OwnershipChange`` (never one ``str``)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
        raise ValidationError(
            [FieldProblem("changes", "must be a collection of OwnershipChange values")]
        )
    if not all(isinstance(c, OwnershipChange) for c in value):
        raise ValidationError([FieldProblem("changes", "must hold only OwnershipChange values")])
    return frozenset(value)


def away_list(value: object, user_id: str) -> list[Away]:
    """``user_id``'s away periods: a sequence of ``Away`` (never one ``str``), each naming
    that user."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValidationError([FieldProblem("periods", "must be a list of Away periods")])
    if not all(isinstance(p, Away) for p in value):
        raise ValidationError([FieldProblem("periods", "must hold only Away periods")])
    problems = [
        FieldProblem(f"periods[{i}].user_id", f"is {p.user_id!r}, expected {user_id!r}")
        for i, p in enumerate(value)
        if p.user_id != user_id
    ]
    if problems:
        raise ValidationError(problems, subject="away periods")
    return list(value)


def ownership_record(value: object) -> OwnershipRecord:
    """An ownership record to store, its time timezone-aware."""
    if not isinstance(value, OwnershipRecord):
        raise ValidationError(
            [FieldProblem("record", f"must be an OwnershipRecord, not {type(value).__name__}")]
        )
    moment(value.at, "at")
    return value


def state_key(value: object) -> str:
    """A strategy state key: a ``str``."""
    return an_id(value, "key")


def query(value: object) -> LeadQuery:
    """A query argument: a ``LeadQuery`` (its fields checked when it was made)."""
    if type(value) is LeadQuery or isinstance(value, LeadQuery):
        return value
    shown = type(value).__name__
    raise ValidationError([FieldProblem("query", f"must be a LeadQuery, not {shown}")])


def criteria(value: object) -> LeadFilter | None:
    """Counting criteria: None (every lead), or a ``LeadFilter`` or ``LeadQuery``."""
    if value is None or isinstance(value, LeadFilter):
        return value
    shown = type(value).__name__
    raise ValidationError([FieldProblem("query", f"must be a LeadFilter or None, not {shown}")])


def instance(value: object, cls: type[T], field: str) -> T:
    """A record argument (``lead``, ``pool``, ``follow_up``, ``grant``): an instance of ``cls``."""
    if type(value) is cls or isinstance(value, cls):
        return value
    raise ValidationError(
        [
            FieldProblem(
                field,
                f"must be {checks.article(cls.__name__)} {cls.__name__}, not {type(value).__name__}",
            )
        ]
    )


def event_list(value: object) -> list[Event]:
    """Events to append: a list or tuple of ``Event`` (never one event, a ``str`` or None),
    each with a kind, an aware time, an actor, and ids that are text; ``ValidationError``
    naming ``events[i].<field>`` before anything is written. An event a store cannot read
    back would break every later reader of the log, so nothing less is taken."""
    plain = type(value) is list or type(value) is tuple
    if not plain and (
        isinstance(value, str | bytes | Mapping | Event) or not isinstance(value, Sequence)
    ):
        raise ValidationError(
            [FieldProblem("events", f"must be a list of Event, not {_kind(value)}")]
        )
    events = cast(list[Event], value if type(value) is list else list(cast(Sequence[Event], value)))
    for i, event in enumerate(events):
        # The common case in one expression: an event as the desk writes it.
        if not (
            type(event) is Event
            and type(event.kind) is EventKind
            and type(event.actor_id) is str
            and type(event.lead_id) in _TEXT_OR_NONE
            and type(event.pool_id) in _TEXT_OR_NONE
            and type(event.reason) in _TEXT_OR_NONE
            and type(event.position) is int
            and type(event.changes) is tuple
            and type(event.at) is datetime
            and event.at.utcoffset() is not None
        ) or not _changes_sound(event.changes):
            _check_event(event, f"events[{i}]")
    return events


_TEXT_OR_NONE: Final = frozenset({str, type(None)})


def _changes_sound(changes: tuple[FieldChange, ...]) -> bool:
    for change in changes:
        if type(change) is not FieldChange or type(change.field) is not str:
            return False
    return True


def _check_event(event: object, path: str) -> None:
    if not isinstance(event, Event):
        raise ValidationError([FieldProblem(path, f"must be an Event, not {type(event).__name__}")])
    problems: list[FieldProblem] = []
    if not isinstance(event.kind, EventKind):
        problems.append(
            FieldProblem(f"{path}.kind", f"must be an EventKind, not {event.kind!r:.40}")
        )
    try:
        moment(event.at, f"{path}.at")
    except ValidationError as e:
        problems.extend(e.problems)
    for field, optional in (("actor_id", False), ("lead_id", True), ("pool_id", True)):
        given = getattr(event, field)
        if given is None and optional:
            continue
        try:
            an_id(given, f"{path}.{field}")
        except ValidationError as e:
            problems.extend(e.problems)
    if event.reason is not None and not isinstance(event.reason, str):
        problems.append(
            FieldProblem(
                f"{path}.reason", f"must be text or None, not {type(event.reason).__name__}"
            )
        )
    if not isinstance(event.changes, tuple) or not all(
        isinstance(c, FieldChange) and isinstance(c.field, str) for c in event.changes
    ):
        problems.append(FieldProblem(f"{path}.changes", "must be a tuple of FieldChange"))
    if isinstance(event.position, bool) or not isinstance(event.position, int):
        problems.append(FieldProblem(f"{path}.position", "must be a whole number"))
    if problems:
        raise ValidationError(problems, subject="events")


def lead(value: object) -> Lead:
    """A lead to store: a ``Lead`` whose every field holds a value of its declared type (text
    where text goes, an aware datetime where a time goes…); ``ValidationError`` naming
    ``lead.<field>``. A host may build a ``Lead`` by hand, and a store that wrote a wrong
    type could not read the lead back."""
    found = instance(value, Lead, "lead")
    for name, exact, allowed, timed in _LEAD_FIELDS:
        given = getattr(found, name)
        if type(given) not in exact and not (
            isinstance(given, allowed) and not isinstance(given, bool)
        ):
            shown = ", ".join(t.__name__ for t in allowed)
            raise ValidationError(
                [FieldProblem(f"lead.{name}", f"must be {shown}, not {type(given).__name__}")]
            )
        if timed and given is not None and (given.tzinfo is None or given.utcoffset() is None):
            moment(given, f"lead.{name}")  # raises, naming the field
    if not all(type(step) is str for step in found.sla_steps):
        raise ValidationError([FieldProblem("lead.sla_steps", "must be a tuple of text")])
    return found


def _runtime_types(annotation: object) -> tuple[type, ...]:
    """The classes a value of ``annotation`` may be an instance of (a float field takes an
    int too; a parametrised collection, its plain class)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(t for part in typing.get_args(annotation) for t in _runtime_types(part))
    if annotation is None or annotation is type(None):
        return (type(None),)
    origin = typing.get_origin(annotation)
    if origin is not None:
        return (cast(type, origin),)
    if annotation is float:
        return (float, int)
    return (cast(type, annotation),)


def _lead_fields() -> tuple[tuple[str, frozenset[type], tuple[type, ...], bool], ...]:
    attrs.resolve_types(Lead)
    table = []
    for field in attrs.fields(Lead):
        allowed = _runtime_types(field.type)
        table.append((field.name, frozenset(allowed), allowed, datetime in allowed))
    return tuple(table)


_LEAD_FIELDS: Final = _lead_fields()
"""Each lead field: its name, the exact classes that pass at once, the classes it may be an
instance of, and whether it holds a time."""


_TEXTS: Final = ("content", "result", "customer_needs", "next_step", "stage")
_CHOICES: Final[tuple[tuple[str, type[LabelledEnum]], ...]] = (
    ("emotion", Emotion),
    ("priority", Priority),
)


def follow_up(value: object) -> FollowUp:
    """A follow-up to add or save: a ``FollowUp`` whose ids and texts are text that can be written as
    UTF-8 and whose emotion and priority are members or None; ``ValidationError`` naming
    ``follow_up.<field>``. A host may build a record by hand, and one of the wrong types could
    not be indexed (its ``(at, id)`` key sorts against the others) nor kept by every store."""
    record = instance(value, FollowUp, "follow_up")
    for name in ("id", "lead_id", "author_id"):
        an_id(getattr(record, name), f"follow_up.{name}")
    optional_id(record.owner_id, "follow_up.owner_id")
    for name in _TEXTS:
        text = getattr(record, name)
        if text is not None:
            checks.kept_text(text, f"follow_up.{name}")
    for name, kind in _CHOICES:
        member = getattr(record, name)
        if member is not None and not isinstance(member, kind):
            raise ValidationError(
                [
                    FieldProblem(
                        f"follow_up.{name}",
                        f"must be {checks.article(kind.__name__)} {kind.__name__} or None, "
                        f"not {member!r:.40}",
                    )
                ]
            )
    for user_id in record.mentions:
        an_id(user_id, "follow_up.mentions")
    return record


_LEAD_TIMES: Final = tuple(name for name, _, _, timed in _LEAD_FIELDS if timed)
_read_lead_times: Final = attrgetter(*_LEAD_TIMES)


def lead_times(value: object) -> Lead:
    """A lead to store whose every time is an aware ``datetime`` (or None where allowed);
    ``ValidationError`` naming ``lead.<field>``. A store that keeps ``Lead`` objects as they
    are checks this much: one naive time among the aware ones would break every later sort,
    query or deadline with a bare ``TypeError``."""
    found = instance(value, Lead, "lead")
    times = _read_lead_times(found)
    for given in filter(_is_set, times):  # the unset times, most of a lead's, passed over in C
        if type(given) is not datetime or given.tzinfo is None:
            for name, time in zip(_LEAD_TIMES, times, strict=True):
                if time is not None:
                    moment(time, f"lead.{name}")  # raises for a naive time or another type
            break  # every time is checked now (an aware datetime subclass passes)
    return found


_is_set: Final = partial(is_not, None)
