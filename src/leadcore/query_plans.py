"""How a store plans a lead query: filters joined (``conjoin``), one implying another
(``implies``), a query split into the branches of its disjunction (``conjuncts``), and a query
narrowed to one pool or owner. What a query means is ``leadcore.query``'s."""

from __future__ import annotations

from datetime import datetime

import attrs

from leadcore.model import Lead
from leadcore.query import LeadFilter, LeadQuery

__all__ = ["Conjunct", "as_query", "conjoin", "conjuncts", "implies", "narrowed"]

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
