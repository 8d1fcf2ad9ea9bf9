"""Immutable records of every change: the audit trail and the outbox.

An event is appended in the same unit of work as the change it describes, so it lands exactly
when the change does. The store numbers events with a strictly increasing ``position``; a host
reads new ones with ``events_since(position)`` and never misses one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache, lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final

import attrs
from attrs import AttrsInstance
from attrs.exceptions import NotAnAttrsClassError

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.export import EVENT_COLUMNS, Labels, Record, event_repr
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, LeadStatus

__all__ = ["Event", "EventKind", "FieldChange", "creation_changes", "diff_fields"]


class EventKind(LabelledEnum):
    """What happened. Lead operations use the matching action's name."""

    LEAD_CREATED = "lead_created", "新建线索", "Lead created"
    LEAD_EDITED = "lead_edited", "编辑线索", "Lead edited"
    LEAD_DELETED = "lead_deleted", "删除线索", "Lead deleted"
    ASSIGNED = "assigned", "分配", "Assigned"
    NO_OWNER_FOUND = "no_owner_found", "未找到负责人", "Left unassigned: no owner found"
    CLAIMED = "claimed", "抢单", "Claimed"
    RECLAIMED = "reclaimed", "收回", "Reclaimed"
    RELEASED = "released", "释放", "Released"
    RETURNED = "returned", "退回", "Returned"
    RECYCLED = "recycled", "回收", "Recycled"
    OWNER_CHANGED = "owner_changed", "更换负责人", "Owner changed"
    TRANSFERRED = "transferred", "转移", "Transferred"
    FOLLOWED_UP = "followed_up", "跟进", "Followed up"
    CONVERTED = "converted", "转化", "Converted"
    INVALIDATED = "invalidated", "设为无效", "Invalidated"
    CLOSED_LOST = "closed_lost", "关闭", "Closed as lost"
    REOPENED = "reopened", "重新激活", "Reopened"
    MERGED = "merged", "合并", "Merged"
    UNMERGED = "unmerged", "撤销合并", "Merge undone"
    DUPLICATE_SUSPECTED = "duplicate_suspected", "疑似重复", "Suspected duplicate"
    MERGE_SUGGESTION_DISMISSED = (
        "merge_suggestion_dismissed",
        "忽略合并建议",
        "Merge suggestion dismissed",
    )
    LEADS_IMPORTED = "leads_imported", "批量导入", "Leads imported"
    COLLABORATORS_CHANGED = "collaborators_changed", "协作人变更", "Collaborators changed"
    FOLLOWERS_CHANGED = "followers_changed", "关注变更", "Followers changed"
    ACTIVITY_RECORDED = "activity_recorded", "行为记录", "Activity recorded"
    SCORE_CHANGED = "score_changed", "评分变更", "Score changed"
    PROBABILITY_CHANGED = "probability_changed", "转化概率变更", "Conversion probability changed"
    MQL_REACHED = "mql_reached", "成为营销认可线索", "Became MQL"
    SQL_ACCEPTED = "sql_accepted", "销售认可", "Accepted by sales (SQL)"
    GRANT_REQUESTED = "grant_requested", "申请临时查看权限", "Temporary access requested"
    GRANT_APPROVED = "grant_approved", "批准临时查看权限", "Temporary access approved"
    GRANT_REVOKED = "grant_revoked", "撤销临时查看权限", "Temporary access revoked"
    POOL_CREATED = "pool_created", "新建线索池", "Pool created"
    POOL_CHANGED = "pool_changed", "线索池设置变更", "Pool settings changed"
    AVAILABILITY_CHANGED = "availability_changed", "休假/可用状态变更", "Availability changed"
    SLA_REMINDED = "sla_reminded", "超时提醒", "Follow-up overdue: reminded"
    RECYCLE_WARNED = "recycle_warned", "回收预警", "Warned before recycling"
    LEAD_PROTECTED = "lead_protected", "保护线索", "Protected from recycling"
    MENTIONED = "mentioned", "@提及", "Mentioned in a follow-up"


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class FieldChange:
    """One field's value before and after a change."""

    field: str
    before: object
    after: object


_EMPTY: Final[Mapping[str, object]] = MappingProxyType({})


def _freeze(data: Mapping[str, object]) -> Mapping[str, object]:
    """``data`` read-only (None is no data); anything but a mapping is a ``ValidationError``."""
    kind = type(data)
    # The common kinds first: an ABC check of a read-only mapping walks the ABC machinery.
    if (
        kind is not MappingProxyType
        and kind is not dict
        and data is not None
        and not isinstance(data, Mapping)
    ):
        shown = type(data).__name__
        raise ValidationError(
            [FieldProblem("data", f"must be a mapping of names to values, not {shown}")]
        )
    return frozen_mapping(data)


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class Event:
    """A recorded change: who did what to which lead (or pool), when, and why.

    ``position`` is 0 until the store records the event; recorded events have positions
    1, 2, 3, … in the order they were committed. ``changes`` lists each changed field's before and
    after; ``data`` carries extra context (e.g. an assignment's explanation). Events can be put
    in sets (their hash leaves out ``changes`` and ``data``, which may hold mutable values).
    """

    kind: EventKind
    at: datetime
    actor_id: str
    lead_id: str | None = None
    pool_id: str | None = None
    changes: tuple[FieldChange, ...] = attrs.field(default=(), hash=False)
    reason: str | None = None
    data: Mapping[str, object] = attrs.field(default=_EMPTY, converter=_freeze, hash=False)
    position: int = 0

    @classmethod
    def about(
        cls,
        lead: Lead,
        kind: EventKind,
        at: datetime,
        actor_id: str,
        *,
        changes: tuple[FieldChange, ...] = (),
        reason: str | None = None,
        data: Mapping[str, object] = _EMPTY,
    ) -> Event:
        """An event about ``lead``: its id and pool filled in."""
        return cls(kind, at, actor_id, lead.id, lead.pool_id, changes, reason, data)

    def change(self, field: str) -> FieldChange | None:
        """The change to ``field`` in this event, or None if it did not change."""
        for c in self.changes:
            if c.field == field:
                return c
        return None

    @property
    def status_change(self) -> tuple[LeadStatus, LeadStatus] | None:
        """``(from, to)`` when this event moved a lead between statuses, else None. A status
        given as its value or label (an event built from exported records) is read as the
        status; anything else is a ``ValidationError`` naming ``changes.status.before``/``after``."""
        c = self.change("status")
        if c is None:
            return None
        return _status(c.before, "before"), _status(c.after, "after")

    def to_record(self, labels: Labels | None = None) -> Record:
        """The event as one plain, JSON-ready ``dict`` (keys: ``leadcore.export.EVENT_COLUMNS``)."""
        return EVENT_COLUMNS.record(self, labels)

    def __repr__(self) -> str:
        return event_repr(self)


def _status(value: object, side: str) -> LeadStatus:
    if type(value) is LeadStatus:
        return value
    return checks.choice(LeadStatus, value, f"changes.status.{side}")


_NOT_AUDITED: Final = frozenset({"version", "updated_at"})


def diff_fields(before: AttrsInstance | None, after: AttrsInstance) -> tuple[FieldChange, ...]:
    """The fields that differ between two versions of the same attrs record (leads, pools).

    ``before`` may be None for a creation: then every field that differs from its default is
    reported with ``before=None``. Bookkeeping fields (``version``, ``updated_at``) are left out.
    """
    names, defaults, read = _audit(_audited, after)
    if before is None:
        return _set_from_default(names, defaults, read(after))
    if type(before) is not type(after) and not isinstance(before, type(after)):
        shown = type(after).__name__
        raise ValidationError(
            [
                FieldProblem(
                    "before",
                    f"must be None or {checks.article(shown)} {shown} like after, "
                    f"not {type(before).__name__}",
                )
            ]
        )
    # ``is`` first: most fields of a new version are the very objects of the old one.
    return tuple(
        [
            FieldChange(name, old, new)
            for name, old, new in zip(names, read(before), read(after), strict=True)
            if new is not old and new != old
        ]
    )


def _set_from_default(
    names: tuple[str, ...], defaults: tuple[object, ...], values: tuple[object, ...]
) -> tuple[FieldChange, ...]:
    return tuple(
        [
            (_shared_set(name, value) if name in _REPEATING else FieldChange(name, None, value))
            for name, default, value in zip(names, defaults, values, strict=True)
            if value is not default and value != default
        ]
    )


_REPEATING: Final = frozenset({"source", "industry", "region", "company_size", "stage"})
"""Fields whose few values repeat from lead to lead: their creation changes are shared."""


def _shared_set(name: str, value: object) -> FieldChange:
    """``FieldChange(name, None, value)``, one instance per value: an audit trail of many
    leads then holds each such change once, so the garbage collector has that many fewer
    objects to walk (changes are immutable). An unhashable value is not shared."""
    try:
        return _one_set(name, value)
    except TypeError:
        return FieldChange(name, None, value)


@lru_cache(maxsize=1024, typed=True)  # typed: 1 and True stay apart
def _one_set(name: str, value: object) -> FieldChange:
    return FieldChange(name, None, value)


_CARRIED: Final = frozenset(
    {
        "id",
        "pool_id",
        "created_by",
        "created_at",
        "status",
        "owner_id",
        "department_id",
        "assigned_at",
    }
)


def creation_changes(after: AttrsInstance) -> tuple[FieldChange, ...]:
    """What a creation event lists: every field set to something other than its default,
    except those the event itself carries (id, pool, creator, time) and the ownership an
    assignment event beside it records."""
    names, defaults, read = _audit(_created, after)
    return _set_from_default(names, defaults, read(after))


_Audit = tuple[tuple[str, ...], tuple[object, ...], Callable[[Any], tuple[object, ...]]]


def _audit(reader: Callable[[type[AttrsInstance]], _Audit], after: object) -> _Audit:
    """``reader``'s audit of ``after``'s class, or ``ValidationError`` naming ``after`` when it
    is not an attrs record."""
    try:
        return reader(type(after))  # type: ignore[arg-type]
    except NotAnAttrsClassError:
        shown = type(after).__name__
        raise ValidationError(
            [FieldProblem("after", f"must be a record such as a Lead or a Pool, not {shown}")]
        ) from None


@cache
def _audited(cls: type[AttrsInstance]) -> _Audit:
    """The names, defaults and a one-call reader of the fields an audit reports (per class)."""
    return _auditing(tuple((n, d) for n, d in _audited_fields(cls)))


@cache
def _created(cls: type[AttrsInstance]) -> _Audit:
    """As :func:`_audited`, without the fields a creation event carries itself."""
    return _auditing(tuple((n, d) for n, d in _audited_fields(cls) if n not in _CARRIED))


def _auditing(fields: tuple[tuple[str, object], ...]) -> _Audit:
    names = tuple(n for n, _ in fields)
    getter = attrgetter(*names)
    read: Callable[[Any], tuple[object, ...]] = (
        getter if len(names) > 1 else (lambda record: (getter(record),))
    )
    return names, tuple(d for _, d in fields), read


@cache
def _audited_fields(cls: type[AttrsInstance]) -> tuple[tuple[str, object], ...]:
    """(name, default) of each field of ``cls`` that an audit reports, computed once per class."""
    return tuple((f.name, f.default) for f in attrs.fields(cls) if f.name not in _NOT_AUDITED)
