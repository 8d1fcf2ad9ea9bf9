"""What a lead query asks for: filters, a disjunction of reaches, an ordering and a page.

``LeadQuery.matches`` and ``LeadQuery.select`` are the reference meaning of a query: a store
may find leads any way it likes, but must return exactly what ``select`` would, in order
(``leadcore.query_plans`` has the filter algebra the shipped stores plan their searches with).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from operator import attrgetter
from typing import TypeAlias, TypeVar, cast

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, LeadStatus
from leadcore.signatures import checked_constructor

__all__ = ["LeadFilter", "LeadOrder", "LeadQuery", "SortKey"]

SortKey: TypeAlias = tuple[datetime, str]
"""A lead's position in an ordering: the ordering's timestamp, then the lead id."""

T = TypeVar("T")


class LeadOrder(LabelledEnum):
    """How a query orders leads. Every ordering breaks ties by lead id, so it is total.
    ``DUE`` orders only the leads that have a ``next_due_at``; the others are not in it."""

    CREATED = "created", "创建时间（早→晚）", "Oldest first"
    CREATED_DESC = "created_desc", "创建时间（晚→早）", "Newest first"
    DUE = "due", "下次跟进时间", "Next follow-up due first"

    def key(self, lead: Lead) -> SortKey | None:
        """The lead's sort key in this ordering; None when the lead has no place in it
        (a lead with no ``next_due_at`` in the DUE ordering)."""
        if self is LeadOrder.DUE:
            return None if lead.next_due_at is None else (lead.next_due_at, lead.id)
        return (lead.created_at, lead.id)

    @property
    def descending(self) -> bool:
        """Whether the ordering runs from the latest key to the earliest."""
        return self is LeadOrder.CREATED_DESC


@attrs.frozen(slots=True)
class _Refused:
    """What a criterion's check refused, kept in the criterion's place until
    ``LeadFilter.__attrs_post_init__`` reports it with every other refused criterion."""

    problems: tuple[FieldProblem, ...]


def _checked(check: Callable[[object, str], T], value: object, field: str) -> T:
    """``check(value, field)``; a ``ValidationError`` becomes a :class:`_Refused` standing in
    for the value, so that one query names every bad criterion at once."""
    try:
        return check(value, field)
    except ValidationError as e:
        return cast(T, _Refused(e.problems))


_REFUSED = frozenset({_Refused})
_VALUES: dict[type, Callable[[object], tuple[object, ...]]] = {}


def _values(kind: type) -> Callable[[object], tuple[object, ...]]:
    """A getter of every field of the filter class ``kind``, in declaration order."""
    found = _VALUES.get(kind)
    if found is None:
        names = [f.name for f in attrs.fields(kind)]
        found = _VALUES[kind] = cast(Callable[[object], tuple[object, ...]], attrgetter(*names))
    return found


def _refusals(record: LeadFilter) -> list[FieldProblem]:
    """Every problem the criteria's checks found, in the order of the fields."""
    values = _values(type(record))(record)
    if _REFUSED.isdisjoint(map(type, values)):
        return []  # the common case: every criterion passed
    return [p for v in values if isinstance(v, _Refused) for p in v.problems]


def _status_set(value: object, field: str) -> frozenset[LeadStatus]:
    if isinstance(value, LeadStatus):
        return frozenset({value})
    return checks.choices(LeadStatus, value, field)


def _statuses(value: object) -> frozenset[LeadStatus] | None:
    if value is None or (type(value) is frozenset and all(type(s) is LeadStatus for s in value)):
        return value  # the common case, already clean
    return _checked(_status_set, value, "statuses")


def _one_of(one: str | None, many: frozenset[str] | None) -> frozenset[str] | None:
    """What a single-value criterion and a many-value one allow together."""
    if one is None:
        return many
    if many is None or one in many:
        return frozenset({one})
    return frozenset()


def _id_set(value: object, field: str) -> frozenset[str] | None:
    """A set-of-ids criterion: None, or a collection of ``str`` (never one ``str`` or a
    mapping), kept exactly as given (stores match ids exactly)."""
    if value is None:
        return None
    if type(value) is frozenset and all(type(v) is str and v.isascii() for v in value):
        return value
    return _checked(_kept_ids, value, field)


def _kept_ids(value: object, field: str) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError(
            [FieldProblem(field, f"give a collection of ids, not the string {value!r:.40}")]
        )
    items = checks.instances(value, object, field, "ids")
    return frozenset(checks.each_item(checks.kept_text, items, field))


def _raise_refused(values: Iterable[object]) -> None:
    """Raise every problem of the refused ones among ``values``, if any."""
    problems = [p for v in values if isinstance(v, _Refused) for p in v.problems]
    if problems:
        raise ValidationError(problems)


def _text_criterion(value: object, field: str) -> str | None:
    """A one-value criterion (an id, a source, a grade): None or a ``str``."""
    if value is None or (type(value) is str and value.isascii()):
        return value  # the common case, already clean
    return _checked(checks.kept_text, value, field)


def _moment(value: object, field: str) -> datetime | None:
    """A time criterion: None or an aware datetime (in UTC)."""
    return None if value is None else _checked(checks.aware, value, field)


# attrs converters take the value alone, one named function a field (so mypy can read them).
def _ids(value: object) -> frozenset[str] | None:
    return _id_set(value, "ids")


def _pool_ids(value: object) -> frozenset[str] | None:
    return _id_set(value, "pool_ids")


def _owner_ids(value: object) -> frozenset[str] | None:
    return _id_set(value, "owner_ids")


def _pool_id(value: object) -> str | None:
    return _text_criterion(value, "pool_id")


def _owner_id(value: object) -> str | None:
    return _text_criterion(value, "owner_id")


def _follower_id(value: object) -> str | None:
    return _text_criterion(value, "follower_id")


def _collaborator_id(value: object) -> str | None:
    return _text_criterion(value, "collaborator_id")


def _source(value: object) -> str | None:
    return _text_criterion(value, "source")


def _grade(value: object) -> str | None:
    return _text_criterion(value, "grade")


def _due_before(value: object) -> datetime | None:
    return _moment(value, "due_before")


def _created_from(value: object) -> datetime | None:
    return _moment(value, "created_from")


def _created_before(value: object) -> datetime | None:
    return _moment(value, "created_before")


def _filters(value: object, field: str) -> tuple[LeadFilter, ...]:
    given = checks.instances(value, LeadFilter, field, "LeadFilter criteria")
    reaches = [_checked(_reach, f, f"{field}[{i}]") for i, f in enumerate(given)]
    _raise_refused(reaches)
    return tuple(reaches)


def _reach(value: object, field: str) -> LeadFilter:
    """One reach: a ``LeadFilter``'s criteria. A ``LeadQuery`` is read as its criteria when it
    carries nothing else; its own ``any_of``, order or page would be ignored, so it is refused."""
    assert isinstance(value, LeadFilter)
    if not isinstance(value, LeadQuery):
        return value
    if value != value.unpaged() or value.any_of is not None:
        raise ValidationError(
            [
                FieldProblem(
                    field,
                    "a reach is LeadFilter criteria: its own any_of, order and page would be "
                    "ignored (give LeadFilter(...), or join the reaches into one any_of)",
                )
            ]
        )
    return value.criteria()


def _reaches(value: object) -> tuple[LeadFilter, ...] | None:
    if value is None or (type(value) is tuple and all(type(f) is LeadFilter for f in value)):
        return value  # the common case, already clean
    return _checked(_filters, value, "any_of")


def _order(value: object) -> LeadOrder:
    if type(value) is LeadOrder:
        return value
    return _checked(_ordering, value, "order")


def _ordering(value: object, field: str) -> LeadOrder:
    return checks.choice(LeadOrder, value, field)


def _sort_key(value: object, field: str) -> SortKey:
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValidationError(
            [FieldProblem(field, "must be the (timestamp, lead id) of the last lead seen")]
        )
    when = _checked(checks.aware, value[0], f"{field}[0]")
    lead_id = _checked(checks.kept_text, value[1], f"{field}[1]")
    _raise_refused((when, lead_id))
    return when, lead_id


def _after(value: object) -> SortKey | None:
    """A keyset position: None, or the ``(timestamp, lead id)`` sort key of the last lead seen."""
    return None if value is None else _checked(_sort_key, value, "after")


def _offset(value: object) -> int:
    if type(value) is int and 0 <= value <= checks.MAX_STORED_NUMBER:
        return value  # the common case, already clean
    return _checked(checks.stored_number, value, "offset")


def _limit(value: object) -> int | None:
    if value is None or (type(value) is int and 0 <= value <= checks.MAX_STORED_NUMBER):
        return value  # the common case, already clean
    return _checked(checks.stored_number, value, "limit")


@checked_constructor
@attrs.frozen(kw_only=True, slots=True)
class LeadFilter:
    """Criteria a lead must all meet (a criterion left ``None`` does not constrain).

    ``owner_ids`` matches leads owned by any of the ids (a team, "my subordinates");
    ``pool_ids`` leads in any of the pools; ``due_before`` leads whose ``next_due_at`` is before
    it; ``created_from`` is inclusive and ``created_before`` exclusive. The criteria are checked
    when the filter is made, and every wrong one is named in one ``ValidationError``.
    """

    ids: frozenset[str] | None = attrs.field(default=None, converter=_ids)
    pool_id: str | None = attrs.field(default=None, converter=_pool_id)
    pool_ids: frozenset[str] | None = attrs.field(default=None, converter=_pool_ids)
    statuses: frozenset[LeadStatus] | None = attrs.field(default=None, converter=_statuses)
    owner_id: str | None = attrs.field(default=None, converter=_owner_id)
    owner_ids: frozenset[str] | None = attrs.field(default=None, converter=_owner_ids)
    follower_id: str | None = attrs.field(default=None, converter=_follower_id)
    collaborator_id: str | None = attrs.field(default=None, converter=_collaborator_id)
    source: str | None = attrs.field(default=None, converter=_source)
    grade: str | None = attrs.field(default=None, converter=_grade)
    due_before: datetime | None = attrs.field(default=None, converter=_due_before)
    created_from: datetime | None = attrs.field(default=None, converter=_created_from)
    created_before: datetime | None = attrs.field(default=None, converter=_created_before)

    def __attrs_post_init__(self) -> None:
        """Report every refused criterion at once, and a reversed creation range."""
        problems = _refusals(self)
        start, end = self.created_from, self.created_before
        if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
            problems.append(
                FieldProblem(
                    "created_before",
                    f"is before created_from ({end.isoformat()} < {start.isoformat()}); swap them",
                )
            )
        if problems:
            raise ValidationError(problems, subject="query")

    def owners_allowed(self) -> frozenset[str] | None:
        """The owners ``owner_id`` and ``owner_ids`` together allow (None: any owner); a store
        starts its search from their leads."""
        return _one_of(self.owner_id, self.owner_ids)

    def pools_allowed(self) -> frozenset[str] | None:
        """The pools ``pool_id`` and ``pool_ids`` together allow (None: any pool)."""
        return _one_of(self.pool_id, self.pool_ids)

    def accepts(self, lead: Lead) -> bool:
        """Whether ``lead`` meets every criterion of this filter."""
        if self.ids is not None and lead.id not in self.ids:
            return False
        if self.pool_id is not None and lead.pool_id != self.pool_id:
            return False
        if self.pool_ids is not None and lead.pool_id not in self.pool_ids:
            return False
        if self.statuses is not None and lead.status not in self.statuses:
            return False
        if self.owner_id is not None and lead.owner_id != self.owner_id:
            return False
        if self.owner_ids is not None and lead.owner_id not in self.owner_ids:
            return False
        if self.follower_id is not None and self.follower_id not in lead.followers:
            return False
        if self.collaborator_id is not None and self.collaborator_id not in lead.collaborators:
            return False
        if self.source is not None and lead.source != self.source:
            return False
        if self.grade is not None and lead.grade != self.grade:
            return False
        if self.due_before is not None and (
            lead.next_due_at is None or not lead.next_due_at < self.due_before
        ):
            return False
        if self.created_from is not None and lead.created_at < self.created_from:
            return False
        return not (self.created_before is not None and lead.created_at >= self.created_before)

    def criteria(self) -> LeadFilter:
        """Just the filter part (a ``LeadQuery``'s ordering, paging and reaches dropped)."""
        if type(self) is LeadFilter:
            return self
        return LeadFilter(**{f.name: getattr(self, f.name) for f in attrs.fields(LeadFilter)})


@checked_constructor
@attrs.frozen(kw_only=True, slots=True)
class LeadQuery(LeadFilter):
    """Which leads to find, in what order, and which page. Every criterion given must hold, and
    when ``any_of`` is given, at least one of its filters too (a view's reaches: "mine, or in a
    pool I administer, or granted to me").

    Paging: ``after`` is the sort key of the last lead of the previous page (keyset paging stays
    correct while leads change); ``offset`` skips that many matches; ``limit`` caps the page.
    With ``order=DUE`` only leads with a due date are returned. A reach in ``any_of`` is
    criteria only: a ``LeadQuery`` there is read as its criteria, and refused when it carries
    an ``any_of``, order or page of its own (they would be ignored).
    """

    any_of: tuple[LeadFilter, ...] | None = attrs.field(default=None, converter=_reaches)
    order: LeadOrder = attrs.field(default=LeadOrder.CREATED, converter=_order)
    after: SortKey | None = attrs.field(default=None, converter=_after)
    offset: int = attrs.field(default=0, converter=_offset)
    limit: int | None = attrs.field(default=None, converter=_limit)

    def matches(self, lead: Lead) -> bool:
        """Whether ``lead`` meets every criterion and one of ``any_of`` (ordering and paging
        aside). This is the reference meaning of a query's filters."""
        if not self.accepts(lead):
            return False
        return self.any_of is None or any(f.accepts(lead) for f in self.any_of)

    def select(self, leads: Iterable[Lead]) -> list[Lead]:
        """Apply the query to any collection of leads by brute force: filter, order, page.

        The slow, obviously-right reference that store implementations are tested against.
        """
        keyed = []
        for lead in checks.instances(leads, Lead, "leads", "Lead records"):
            key = self.order.key(lead)
            if key is not None and self.matches(lead):
                keyed.append((key, lead))
        descending = self.order.descending
        keyed.sort(key=lambda kl: kl[0], reverse=descending)
        if self.after is not None:
            after = self.after
            keyed = [kl for kl in keyed if (kl[0] < after if descending else kl[0] > after)]
        page = keyed[self.offset :]
        if self.limit is not None:
            page = page[: self.limit]
        return [lead for _, lead in page]

    def unpaged(self) -> LeadQuery:
        """The same criteria with no ordering constraint, cursor, offset or limit (for counts)."""
        return attrs.evolve(self, order=LeadOrder.CREATED, after=None, offset=0, limit=None)
