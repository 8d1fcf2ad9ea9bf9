"""What desk operations hand back besides leads: batch outcomes, pages, histories, follow-up
lists, pool summaries — each exportable (``to_records()``, ``to_dataframe()``) and readable
(a short repr, a table from ``str()``, an HTML table in a notebook)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import ClassVar, Final, Self, TypeVar, overload

import attrs

from leadcore import checks
from leadcore.checks import counted
from leadcore.errors import LeadcoreError
from leadcore.events import Event
from leadcore.export import (
    EVENT_COLUMNS,
    FOLLOW_UP_COLUMNS,
    LEAD_COLUMNS,
    Column,
    Columns,
    Exportable,
    Labels,
    id_list,
    short,
)
from leadcore.model import FollowUp, Lead, LeadStatus
from leadcore.signatures import checked_constructor

__all__ = [
    "OUTCOME_COLUMNS",
    "STATUS_COUNT_COLUMNS",
    "BatchResult",
    "FollowUps",
    "History",
    "LeadOutcome",
    "Page",
    "PoolSummary",
]

T = TypeVar("T")


@checked_constructor
@attrs.frozen(slots=True)
class LeadOutcome:
    """One lead's result in a batch: the lead as saved, or the error that refused it."""

    lead_id: str
    lead: Lead | None = None
    error: LeadcoreError | None = None

    @property
    def ok(self) -> bool:
        """True when the operation landed for this lead."""
        return self.error is None

    def unwrap(self) -> Lead:
        """The saved lead; raises this lead's error if the operation was refused."""
        if self.error is not None:
            raise self.error
        assert self.lead is not None
        return self.lead


OUTCOME_COLUMNS: Final = Columns(
    (
        Column("lead_id", "线索编号", "Lead"),
        Column("ok", "成功", "Succeeded", kind="flag"),
        Column("status", "状态", "Status", "lead.status"),
        Column("owner_id", "负责人", "Owner", "lead.owner_id"),
        Column("version", "版本", "Version", "lead.version", "number"),
        Column(
            "error_type",
            "错误类型",
            "Error type",
            get=lambda o: None if o.error is None else type(o.error).__name__,
        ),
        Column("error", "错误", "Error", get=lambda o: None if o.error is None else str(o.error)),
    ),
    brief=("lead_id", "ok", "status", "owner_id", "error"),
)
"""A batch's record per lead: the saved lead's status, owner and version, or the error (its
class name and message)."""


@checked_constructor
@attrs.frozen(slots=True)
class BatchResult(Exportable):
    """A result per lead, in the order asked. One lead's failure never undoes another's change."""

    _export: ClassVar[Columns] = OUTCOME_COLUMNS
    outcomes: tuple[LeadOutcome, ...]

    def __iter__(self) -> Iterator[LeadOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def succeeded(self) -> tuple[str, ...]:
        """Ids of the leads the operation landed for."""
        return tuple(o.lead_id for o in self.outcomes if o.ok)

    @property
    def failed(self) -> dict[str, LeadcoreError]:
        """The error per lead the operation was refused for."""
        return {o.lead_id: o.error for o in self.outcomes if o.error is not None}

    def _export_summary(self, labels: Labels) -> str:
        done, asked = len(self.succeeded), len(self.outcomes)
        return f"成功 {done} / {asked}" if labels == "zh" else f"{done} of {asked} succeeded"

    def __str__(self) -> str:
        lines = [f"{len(self.succeeded)} of {len(self.outcomes)} succeeded"]
        lines += [f"  {lead_id}: {error}" for lead_id, error in self.failed.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = list(self.failed)
        tail = f" · failed: {id_list(failed)}" if failed else ""
        return f"<BatchResult {len(self.succeeded)} of {len(self.outcomes)} succeeded{tail}>"


@checked_constructor
@attrs.frozen(slots=True)
class Page(Exportable):
    """One page of a view. Pass ``next_cursor`` back to get the next; None means no more."""

    _export: ClassVar[Columns] = LEAD_COLUMNS
    leads: tuple[Lead, ...]
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[Lead]:
        return iter(self.leads)

    def __len__(self) -> int:
        return len(self.leads)

    @property
    def ids(self) -> list[str]:
        """The ids of the page's leads, in order."""
        return [lead.id for lead in self.leads]

    def _export_summary(self, labels: Labels) -> str:
        more = self.next_cursor is not None
        if labels == "zh":
            return f"{len(self.leads)} 条线索；" + ("还有下一页" if more else "最后一页")
        count = counted(len(self.leads), "lead")
        return f"{count}; " + ("more: pass next_cursor" if more else "last page")

    def __repr__(self) -> str:
        listed = f": {id_list(self.ids)}" if self.leads else ""
        more = "more" if self.next_cursor is not None else "last page"
        count = counted(len(self.leads), "lead")
        return f"<Page {count}{listed} · {more}>"


class _Listed(Sequence[T], Exportable):
    """An immutable list of one lead's records (``lead_id`` names the lead): indexes, slices,
    iterates, and equals a list (or tuple) of the same records, as the plain list it replaces
    did."""

    __slots__ = ("_items", "lead_id")
    _noun: ClassVar[tuple[str, str, str]]

    def __init__(self, items: Iterable[T], *, lead_id: str) -> None:
        self._items: tuple[T, ...] = (
            items if type(items) is tuple else checks.instances(items, object, "items", "records")
        )
        self.lead_id = checks.identifier(lead_id, "lead_id")

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Self: ...
    def __getitem__(self, index: int | slice) -> T | Self:
        if isinstance(index, slice):
            return type(self)(self._items[index], lead_id=self.lead_id)
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, type(self)):
            return self._items == other._items
        if isinstance(other, list | tuple):
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable like them

    def _counted(self) -> str:
        _, one, many = self._noun
        return f"{len(self)} {one if len(self) == 1 else many}"

    def _export_summary(self, labels: Labels) -> str:
        if labels == "zh":
            return f"线索 {short(self.lead_id)} 的 {len(self)} 条{self._noun[0]}"
        return f"{self._counted()} of lead {short(self.lead_id)}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of lead {short(self.lead_id)}: {self._counted()}>"


@checked_constructor
class History(_Listed[Event]):
    """A lead's audit trail, oldest first: a sequence of :class:`Event` (``history[-1]``,
    ``len(history)``, ``for event in history``) that exports and prints as a table."""

    __slots__ = ()
    _export: ClassVar[Columns] = EVENT_COLUMNS
    _noun: ClassVar[tuple[str, str, str]] = ("记录", "event", "events")


@checked_constructor
class FollowUps(_Listed[FollowUp]):
    """A lead's follow-up records (跟进记录), oldest first: a sequence of :class:`FollowUp`
    that exports and prints as a table."""

    __slots__ = ()
    _export: ClassVar[Columns] = FOLLOW_UP_COLUMNS
    _noun: ClassVar[tuple[str, str, str]] = ("跟进记录", "follow-up", "follow-ups")


@attrs.frozen(slots=True)
class _StatusCount:
    pool_id: str
    pool_name: str
    status: LeadStatus
    count: int


STATUS_COUNT_COLUMNS: Final = Columns(
    (
        Column("pool_id", "线索池", "Pool"),
        Column("pool_name", "线索池名称", "Pool name"),
        Column("status", "状态", "Status"),
        Column("count", "数量", "Leads", kind="number"),
    ),
    brief=("status", "count"),
)
"""A pool summary's record per status (every status, zeros included)."""


@checked_constructor
@attrs.frozen(slots=True)
class PoolSummary(Exportable):
    """A pool's lead counts (线索数量): in total and per status."""

    _export: ClassVar[Columns] = STATUS_COUNT_COLUMNS
    pool_id: str
    name: str
    by_status: Mapping[LeadStatus, int]

    @property
    def total(self) -> int:
        """All leads in the pool."""
        return sum(self.by_status.values())

    def _export_items(self) -> Iterable[object]:
        return [_StatusCount(self.pool_id, self.name, s, n) for s, n in self.by_status.items()]

    def _export_summary(self, labels: Labels) -> str:
        if labels == "zh":
            return f"{self.name} ({self.pool_id})：共 {self.total} 条线索"
        return f"{self.name} ({self.pool_id}): {counted(self.total, 'lead')}"

    def __str__(self) -> str:
        counts = ", ".join(f"{s.label} {n}" for s, n in self.by_status.items() if n)
        return f"{self.name}: {counted(self.total, 'lead')} ({counts or 'none'})"
