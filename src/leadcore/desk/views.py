"""Views (查看范围): which leads a list shows, and cursors that page through it safely."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.model import Lead
from leadcore.storage.protocol import LeadOrder, LeadQuery, SortKey, UnitOfWork

__all__ = ["View", "decode_cursor", "encode_cursor", "visible_page"]


class View(LabelledEnum):
    """The lists a user can open (SPEC §5.5)."""

    MINE = "mine", "我的线索", "My leads"
    FOLLOWED = "followed", "我关注的线索", "Leads I follow"
    COLLABORATING = "collaborating", "我协作的线索", "Leads I collaborate on"
    SUBORDINATES = "subordinates", "我下属的线索", "My subordinates' leads"
    ALL = "all", "全部线索", "All leads"
    POOL = "pool", "线索池", "A pool's leads"


def encode_cursor(key: SortKey) -> str:
    """An opaque cursor for the position just after ``key``."""
    raw = json.dumps([key[0].isoformat(), key[1]], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """The position a cursor from :func:`encode_cursor` stands for; ValidationError otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, lead_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = (datetime.fromisoformat(when), str(lead_id))
    except (ValueError, TypeError) as e:
        raise ValidationError(
            [FieldProblem("cursor", "is not a cursor this desk handed out; start from None")]
        ) from e
    if key[0].tzinfo is None:
        raise ValidationError([FieldProblem("cursor", "is not a cursor this desk handed out")])
    return key


def visible_page(
    uow: UnitOfWork,
    query: LeadQuery,
    may_view: Callable[[Lead], bool],
    *,
    limit: int,
    offset: int = 0,
) -> tuple[list[Lead], SortKey | None]:
    """Up to ``limit`` leads matching ``query`` that ``may_view`` accepts, after skipping
    ``offset`` of them, and the key to continue from (None when nothing is left).

    The store is asked in batches from a keyset position, so leads the actor may not see never
    shorten a page and never leak, and pages stay correct while leads are added or moved.
    """
    found: list[Lead] = []
    to_skip = offset
    batch = max(limit + offset, 16)
    position = query.after
    while True:
        chunk = uow.find_leads(attrs.evolve(query, after=position, offset=0, limit=batch))
        for lead in chunk:
            position = query.order.key(lead)
            if not may_view(lead):
                continue
            if to_skip:
                to_skip -= 1
                continue
            found.append(lead)
            if len(found) == limit:
                return found, position
        if len(chunk) < batch:
            return found, None
        batch = min(batch * 2, 4096)


def base_query(
    view: View, actor_id: str, *, pool_id: str | None, team: frozenset[str]
) -> LeadQuery:
    """The store query behind a view, before filters (``team`` is the actor's subordinates)."""
    match view:
        case View.MINE:
            return LeadQuery(owner_id=actor_id)
        case View.FOLLOWED:
            return LeadQuery(follower_id=actor_id)
        case View.COLLABORATING:
            return LeadQuery(collaborator_id=actor_id)
        case View.SUBORDINATES:
            return LeadQuery(owner_ids=team)
        case View.POOL:
            if pool_id is None:
                raise ValidationError([FieldProblem("pool_id", "the pool view needs a pool id")])
            return LeadQuery(pool_id=pool_id)
        case View.ALL:
            return LeadQuery(pool_id=pool_id)
    raise AssertionError(view)  # pragma: no cover - the enum is exhaustive


def order_of(order: LeadOrder | str) -> LeadOrder:
    """Accept an ordering by enum or by its value."""
    return order if isinstance(order, LeadOrder) else LeadOrder.parse(order)
