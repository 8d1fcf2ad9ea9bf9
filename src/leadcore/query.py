"""What a lead query asks for: filters, a disjunction of reaches, an ordering and a page.

``LeadQuery.matches`` and ``LeadQuery.select`` are the reference meaning of a query: a store
may find leads any way it likes, but must return exactly what ``select`` would, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeAlias

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, LeadStatus

__all__ = [
    "Conjunct",
    "LeadFilter",
    "LeadOrder",
    "LeadQuery",
    "SortKey",
    "as_query",
    "conjoin",
    "conjuncts",
    "implies",
    "narrowed",
]

SortKey: TypeAlias = tuple[datetime, str]
"""A lead's position in an ordering: the ordering's timestamp, then the lead id."""


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


def _statuses(value: object) -> frozenset[LeadStatus] | None:
    if value is None or (type(value) is frozenset and all(type(s) is LeadStatus for s in value)):
        return value  # the common case, already clean
    if isinstance(value, LeadStatus):
        return frozenset({value})
    return checks.choices(LeadStatus, value, "statuses")


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
    if isinstance(value, str):
        raise ValidationError(
            [FieldProblem(field, f"give a collection of ids, not the string {value!r:.40}")]
        )
    items = checks.instances(value, object, field, "ids")
    return frozenset(checks.kept_text(v, f"{field}[{i}]") for i, v in enumerate(items))


def _text_criterion(value: object, field: str) -> str | None:
    """A one-value criterion (an id, a source, a grade): None or a ``str``."""
    if value is None or (type(value) is str and value.isascii()):
        return value  # the common case, already clean
    return checks.kept_text(value, field)


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
    return checks.optional_aware(value, "due_before")


def _created_from(value: object) -> datetime | None:
    return checks.optional_aware(value, "created_from")


def _created_before(value: object) -> datetime | None:
    return checks.optional_aware(value, "created_before")


def _reaches(value: object) -> tuple[LeadFilter, ...] | None:
    if value is None:
        return None
    return checks.instances(value, LeadFilter, "any_of", "LeadFilter criteria")


def _order(value: object) -> LeadOrder:
    return checks.choice(LeadOrder, value, "order")


def _after(value: object) -> SortKey | None:
    """A keyset position: None, or the ``(timestamp, lead id)`` sort key of the last lead seen."""
    if value is None:
        return None
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValidationError(
            [FieldProblem("after", "must be the (timestamp, lead id) of the last lead seen")]
        )
    return checks.aware(value[0], "after[0]"), checks.kept_text(value[1], "after[1]")


def _offset(value: object) -> int:
    return checks.stored_number(value, "offset")


def _limit(value: object) -> int | None:
    return None if value is None else checks.stored_number(value, "limit")


@attrs.frozen(kw_only=True, slots=True)
class LeadFilter:
    """Criteria a lead must all meet (a criterion left ``None`` does not constrain).

    ``owner_ids`` matches leads owned by any of the ids (a team, "my subordinates");
    ``pool_ids`` leads in any of the pools; ``due_before`` leads whose ``next_due_at`` is before
    it; ``created_from`` is inclusive and ``created_before`` exclusive.
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
        start, end = self.created_from, self.created_before
        if start is not None and end is not None and end < start:
            raise ValidationError(
                [
                    FieldProblem(
                        "created_before",
                        f"is before created_from ({end.isoformat()} < {start.isoformat()}); "
                        "swap them",
                    )
                ],
                subject="query",
            )

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


@attrs.frozen(kw_only=True, slots=True)
class LeadQuery(LeadFilter):
    """Which leads to find, in what order, and which page. Every criterion given must hold, and
    when ``any_of`` is given, at least one of its filters too (a view's reaches: "mine, or in a
    pool I administer, or granted to me").

    Paging: ``after`` is the sort key of the last lead of the previous page (keyset paging stays
    correct while leads change); ``offset`` skips that many matches; ``limit`` caps the page.
    With ``order=DUE`` only leads with a due date are returned.
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
        for lead in leads:
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


_SETS = ("ids", "pool_ids", "owner_ids")
_SINGLE = ("pool_id", "owner_id", "source", "grade")  # a lead has one value: two differ → none
_MEMBERS = ("follower_id", "collaborator_id")  # a lead has many: two differ → both must hold
_EQUALS = (*_SINGLE, *_MEMBERS)


def conjoin(first: LeadFilter, second: LeadFilter) -> LeadFilter | None:
    """One filter accepting exactly the leads both accept, or None when no lead can (the two
    contradict each other, e.g. two different owners). Raises ``ValueError`` when the two name
    different followers (or collaborators): a lead may have both, but one filter names one —
    :func:`conjuncts` handles that case."""
    merged: dict[str, object] = {}
    for name in _EQUALS:
        a, b = getattr(first, name), getattr(second, name)
        if a is not None and b is not None and a != b:
            if name in _MEMBERS:
                raise ValueError(f"two different {name}s cannot be one filter's")
            return None
        merged[name] = a if a is not None else b
    for name in (*_SETS, "statuses"):
        a, b = getattr(first, name), getattr(second, name)
        both = a if b is None else b if a is None else a & b
        if both is not None and not both:
            return None
        merged[name] = both
    for one, many in (("pool_id", "pool_ids"), ("owner_id", "owner_ids")):
        chosen, among = merged[one], merged[many]
        if isinstance(among, frozenset) and chosen is not None and chosen not in among:
            return None
    merged["due_before"] = _earliest(first.due_before, second.due_before)
    merged["created_before"] = _earliest(first.created_before, second.created_before)
    merged["created_from"] = _latest(first.created_from, second.created_from)
    return LeadFilter(**merged)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None else b if a is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None else b if a is None else max(a, b)


def _within(narrow: frozenset[str] | None, one: str | None, wide: frozenset[str]) -> bool:
    if one is not None:
        return one in wide
    return narrow is not None and narrow <= wide


def implies(base: LeadFilter, reach: LeadFilter) -> bool:
    """Whether every lead ``base`` accepts is accepted by ``reach`` too (so, beside ``base``,
    the reach narrows nothing)."""
    if reach.ids is not None and not (base.ids is not None and base.ids <= reach.ids):
        return False
    if reach.pool_ids is not None and not _within(base.pool_ids, base.pool_id, reach.pool_ids):
        return False
    if reach.owner_ids is not None and not _within(base.owner_ids, base.owner_id, reach.owner_ids):
        return False
    if reach.statuses is not None and not (
        base.statuses is not None and base.statuses <= reach.statuses
    ):
        return False
    for name in _EQUALS:
        wanted = getattr(reach, name)
        if wanted is not None and getattr(base, name) != wanted:
            return False
    if reach.due_before is not None and not (
        base.due_before is not None and base.due_before <= reach.due_before
    ):
        return False
    if reach.created_before is not None and not (
        base.created_before is not None and base.created_before <= reach.created_before
    ):
        return False
    return reach.created_from is None or (
        base.created_from is not None and base.created_from >= reach.created_from
    )


@attrs.frozen(slots=True)
class Conjunct:
    """One branch of a query's disjunction: ``index`` to find candidates by, and ``also``, a
    further filter each candidate must pass when the branch cannot be one filter (the query and
    a reach naming different followers or collaborators)."""

    index: LeadFilter
    also: LeadFilter | None = None

    def accepts(self, lead: Lead) -> bool:
        """Whether ``lead`` belongs to this branch."""
        return self.index.accepts(lead) and (self.also is None or self.also.accepts(lead))


def conjuncts(query: LeadQuery) -> list[Conjunct]:
    """The query's criteria as a disjunction of branches: its own criteria joined with each of
    ``any_of`` (contradictions dropped). A reach that adds nothing to the criteria makes the
    whole disjunction just the criteria."""
    base = query.criteria()
    if query.any_of is None:
        return [Conjunct(base)]
    if any(implies(base, reach) for reach in query.any_of):
        return [Conjunct(base)]
    found: list[Conjunct] = []
    for reach in query.any_of:
        clashing = {
            name: None
            for name in _MEMBERS
            if getattr(base, name) is not None
            and getattr(reach, name) is not None
            and getattr(base, name) != getattr(reach, name)
        }
        both = conjoin(base, attrs.evolve(reach, **clashing) if clashing else reach)
        if both is None:
            continue
        branch = Conjunct(both, reach if clashing else None)
        if branch not in found:
            found.append(branch)
    return found


def as_query(criteria: LeadFilter | None) -> LeadQuery:
    """``criteria`` as an unpaged query (a ``LeadQuery`` keeps its reaches); None is every lead."""
    if criteria is None:
        return LeadQuery()
    if isinstance(criteria, LeadQuery):
        return criteria.unpaged()
    return LeadQuery(**{f.name: getattr(criteria, f.name) for f in attrs.fields(LeadFilter)})


def narrowed(query: LeadQuery, *, pool_id: str | None, owner_id: str | None) -> LeadQuery:
    """``query`` limited to one pool and/or owner (a contradiction matches nothing)."""
    changes: dict[str, object] = {}
    for name, wanted in (("pool_id", pool_id), ("owner_id", owner_id)):
        if wanted is None:
            continue
        if getattr(query, name) not in (None, wanted):
            return attrs.evolve(query, ids=frozenset())
        changes[name] = wanted
    return attrs.evolve(query, **changes) if changes else query
