"""``LeadQuery`` compiled to parametrised SQL that reads a page through an ordered index.

A query is a disjunction of parts: its criteria together with one of its reaches (``any_of``)
each, or its criteria alone when there are no reaches or one adds nothing. Each part becomes
one or more *arms*: when it names owners or pools, one arm per (owner or pool, status), each an
equality prefix of an index ordered by the query's ordering, so an arm reads its first rows in
order and stops at the page's end (the way ``MemoryStore`` merges its buckets). Arms are joined
with ``UNION`` (a lead reached twice is returned once) and the page is cut from their union.
Every criterion of the part (the query's and the reach's, as SQL conditions) is a condition of
each of its arms, so where an arm starts only saves reading, never changes what matches.
Values are always bound as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import Final

from leadcore.model import LeadStatus
from leadcore.query import LeadFilter, LeadOrder, LeadQuery
from leadcore.query_plans import conjoin, implies
from leadcore.storage.sqlite_codec import micros

__all__ = [
    "Sql",
    "count_by_status_sql",
    "count_sql",
    "open_counts_sql",
    "select_sql",
]

Sql = tuple[str, tuple[object, ...]]
"""A statement and its parameters."""

_STATUSES: Final = tuple(LeadStatus)
_OWNED: Final = tuple(s for s in LeadStatus if s is not LeadStatus.UNASSIGNED)
_MAX_ARMS: Final = 48
_MAX_INLINE: Final = 500
_SETS: Final = ("ids", "pool_ids", "statuses", "owner_ids")


def _among(column: str, values: Collection[str], params: list[object]) -> str:
    """``column IN (…)`` over ``values``, bound: inline placeholders for a few, one JSON
    array for many."""
    ordered = sorted(values)
    if len(ordered) <= _MAX_INLINE:
        params.extend(ordered)
        return f"{column} IN ({', '.join('?' * len(ordered))})"
    params.append(json.dumps(ordered, ensure_ascii=False))
    return f"{column} IN (SELECT value FROM json_each(?))"


def _conditions(part: LeadFilter, order: LeadOrder | None, params: list[object]) -> list[str]:
    """Every criterion of ``part`` as SQL conditions on ``leads`` (parameters appended)."""
    where: list[str] = []
    if part.ids is not None:
        where.append(_among("id", part.ids, params))
    for column, one, many in (
        ("pool_id", part.pool_id, part.pool_ids),
        ("owner_id", part.owner_id, part.owner_ids),
    ):
        if one is not None:
            where.append(f"{column} = ?")
            params.append(one)
        if many is not None:
            where.append(_among(column, many, params))
    if part.statuses is not None:
        where.append(_among("status", [s.value for s in part.statuses], params))
    for role, user in (("c", part.collaborator_id), ("f", part.follower_id)):
        if user is not None:
            where.append(
                f"id IN (SELECT lead_id FROM lead_people WHERE role = '{role}' AND user_id = ?)"
            )
            params.append(user)
    for column, value in (("source", part.source), ("grade", part.grade)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    for condition, at in (
        ("due_at < ?", part.due_before),
        ("created_at >= ?", part.created_from),
        ("created_at < ?", part.created_before),
    ):
        if at is not None:
            where.append(condition)
            params.append(micros(at))
    if order is LeadOrder.DUE:
        where.append("due_at IS NOT NULL")
    return where


def _empty(part: LeadFilter) -> bool:
    """Whether an empty set in ``part`` means nothing can match."""
    return any(getattr(part, name) is not None and not getattr(part, name) for name in _SETS)


Part = tuple[tuple[LeadFilter, ...], LeadFilter]
"""Filters a lead must all meet, and one filter implied by them to choose where arms start."""


def _parts(query: LeadQuery) -> list[Part]:
    """The query as a disjunction of parts (those that cannot match anything left out)."""
    base = query.criteria()
    if _empty(base):
        return []
    if query.any_of is None or any(implies(base, reach) for reach in query.any_of):
        return [((base,), base)]
    parts: list[Part] = []
    for reach in dict.fromkeys(query.any_of):
        if not _empty(reach):
            parts.append(((base, reach), _hint(base, reach)))
    return parts


def _hint(base: LeadFilter, reach: LeadFilter) -> LeadFilter:
    """One filter implied by both, to choose where arms start: their conjunction when one
    filter can say it, else ``base`` (the conditions of both still apply to every arm)."""
    try:
        return conjoin(base, reach) or base
    except ValueError:  # two different followers (or collaborators): no one filter says both
        return base


def _all_conditions(
    filters: tuple[LeadFilter, ...], order: LeadOrder | None, params: list[object]
) -> list[str]:
    where: list[str] = []
    for part in filters:
        where.extend(_conditions(part, order, params))
    return where


def _starts(part: LeadFilter) -> list[tuple[str, str, str]]:
    """Where the arms of ``part`` start: ``(column, value, status)`` equality prefixes of an
    ordered index, or ``[]`` for a single arm over the whole ordering."""
    if part.ids is not None or part.collaborator_id is not None or part.follower_id is not None:
        return []
    statuses = _STATUSES if part.statuses is None else tuple(sorted(part.statuses))
    owners = part.owners_allowed()
    if owners is not None:
        owned = [s for s in statuses if s is not LeadStatus.UNASSIGNED]
        starts = [("owner_id", o, s.value) for o in sorted(owners) for s in owned]
    else:
        pools = part.pools_allowed()
        if pools is not None:
            starts = [("pool_id", p, s.value) for p in sorted(pools) for s in statuses]
        elif part.statuses is not None:
            starts = [("", "", s.value) for s in statuses]
        else:
            return []
    return starts if 1 < len(starts) <= _MAX_ARMS else []


def _direction(order: LeadOrder) -> tuple[str, str, str]:
    """The ordering's column, SQL direction and keyset comparison."""
    column = "due_at" if order is LeadOrder.DUE else "created_at"
    return (column, "DESC", "<") if order.descending else (column, "ASC", ">")


def select_sql(query: LeadQuery) -> Sql | None:
    """``SELECT body, version`` of the query's page in its order; None when nothing can
    match (an empty disjunction or a contradiction)."""
    parts = _parts(query)
    if not parts:
        return None
    column, direction, beyond = _direction(query.order)
    want = None if query.limit is None else query.offset + query.limit
    arms: list[Sql] = []
    for filters, hint in parts:
        base: list[object] = []
        where = _all_conditions(filters, query.order, base)
        if query.after is not None:
            where.append(f"({column}, id) {beyond} (?, ?)")
            base.extend((micros(query.after[0]), query.after[1]))
        starts = _starts(hint) or [("", "", "")]
        for start_column, value, status in starts:
            params: list[object] = []
            extra = []
            if start_column:
                extra.append(f"{start_column} = ?")
                params.append(value)
            if status:
                extra.append("status = ?")
                params.append(status)
            arms.append((" AND ".join([*extra, *where]) or "1", (*params, *base)))
    page = "LIMIT ? OFFSET ?"
    page_params = (-1 if query.limit is None else query.limit, query.offset)
    ordering = f"ORDER BY {column} {direction}, id {direction}"
    if len(arms) == 1:
        ((where_sql, only),) = arms
        sql = f"SELECT body, version FROM leads WHERE {where_sql} {ordering} {page}"
        return sql, (*only, *page_params)
    selects: list[str] = []
    params_all: list[object] = []
    for where_sql, arm_params in arms:
        limit = "" if want is None else " LIMIT ?"
        selects.append(
            f"SELECT * FROM (SELECT {column} AS k, id FROM leads WHERE {where_sql} "
            f"{ordering}{limit})"
        )
        params_all.extend(arm_params)
        if want is not None:
            params_all.append(want)
    union = " UNION ".join(selects)
    sql = (
        f"SELECT l.body, l.version FROM ({union}) AS u JOIN leads AS l ON l.id = u.id "
        f"ORDER BY u.k {direction}, u.id {direction} {page}"
    )
    return sql, (*params_all, *page_params)


def _matching_ids(query: LeadQuery, columns: str) -> Sql | None:
    """``SELECT columns`` of every lead the query's criteria match (ordering, paging ignored)."""
    parts = _parts(query.unpaged())
    if not parts:
        return None
    selects: list[str] = []
    params: list[object] = []
    for filters, _ in parts:
        where = _all_conditions(filters, None, params)
        selects.append(f"SELECT {columns} FROM leads WHERE {' AND '.join(where) or '1'}")
    return " UNION ".join(selects), tuple(params)


def count_sql(query: LeadQuery) -> Sql | None:
    """``SELECT COUNT(*)`` of the leads the query's criteria match; None when none can."""
    found = _matching_ids(query, "id")
    if found is None:
        return None
    sql, params = found
    return f"SELECT COUNT(*) FROM ({sql})", params


def count_by_status_sql(query: LeadQuery) -> Sql | None:
    """``SELECT status, COUNT(*)`` per status of the matching leads; None when none can."""
    found = _matching_ids(query, "id, status")
    if found is None:
        return None
    sql, params = found
    return f"SELECT status, COUNT(*) FROM ({sql}) GROUP BY status", params


def open_counts_sql(owner_ids: Iterable[str], open_statuses: Iterable[str]) -> Sql:
    """``SELECT owner_id, COUNT(*)`` of the open leads of each owner."""
    params: list[object] = []
    owners = _among("owner_id", list(owner_ids), params)
    statuses = _among("status", sorted(open_statuses), params)
    return (
        f"SELECT owner_id, COUNT(*) FROM leads WHERE {owners} AND {statuses} GROUP BY owner_id",
        tuple(params),
    )
