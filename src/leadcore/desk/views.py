"""Views (查看范围): which leads a list shows, and cursors that page through it safely.

A view's page is one store query: the view's own criteria (mine, a pool, …), the filters
asked for, and the actor's reaches as ``any_of`` — so only visible leads are read, and a page
costs what the page holds, not what the store holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime

from leadcore.checks import aware, text_problem
from leadcore.errors import FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.query import LeadOrder, LeadQuery, SortKey

__all__ = [
    "View",
    "base_query",
    "decode_cursor",
    "encode_cursor",
    "list_print",
    "read_cursor",
    "require_pool",
]

_MAX_CURSOR = 600


class View(LabelledEnum):
    """The lists a user can open."""

    MINE = "mine", "我的线索", "My leads"
    FOLLOWED = "followed", "我关注的线索", "Leads I follow"
    COLLABORATING = "collaborating", "我协作的线索", "Leads I collaborate on"
    SUBORDINATES = "subordinates", "我下属的线索", "My subordinates' leads"
    ALL = "all", "全部线索", "All leads"
    POOL = "pool", "线索池", "A pool's leads"


def list_print(*criteria: object) -> str:
    """A short fingerprint of what a list shows (who asks, the view, its filters), kept in its
    cursors so that a cursor pages only the list it came from."""
    plain = [sorted(map(str, c)) if isinstance(c, frozenset) else str(c) for c in criteria]
    text = json.dumps(plain, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def encode_cursor(order: LeadOrder, key: SortKey, listed: str = "") -> str:
    """An opaque cursor for the position just after ``key`` in ``order``, in the list whose
    :func:`list_print` is ``listed``."""
    raw = json.dumps([order.value, key[0].isoformat(), key[1], listed], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _not_ours(reason: str) -> ValidationError:
    return ValidationError(
        [
            FieldProblem(
                "cursor", f"is not a cursor this desk handed out ({reason}); start from None"
            )
        ]
    )


def read_cursor(cursor: object) -> tuple[str, SortKey, str]:
    """What a cursor from :func:`encode_cursor` holds: the order's value, the position, and the
    :func:`list_print` of its list. Parsed strictly and bounded in size: anything else is a
    ``ValidationError`` on ``cursor``."""
    if not isinstance(cursor, str):
        raise _not_ours(f"a cursor is a string, not {type(cursor).__name__}")
    if len(cursor) > _MAX_CURSOR:
        raise _not_ours("too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise _not_ours("unreadable") from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 4
        or not all(isinstance(part, str) for part in decoded)
    ):
        raise _not_ours("wrong shape")
    order_value, when, lead_id, made_for = decoded
    return order_value, (_position(when, lead_id), lead_id), made_for


def _position(when: str, lead_id: str) -> datetime:
    """The instant of a cursor's position (in UTC), its lead id checked too."""
    try:
        at = aware(datetime.fromisoformat(when), "cursor")
    except ValueError:  # unreadable, naive or past the calendar's limits once in UTC
        raise _not_ours("bad position") from None
    if not lead_id or len(lead_id) > 200 or text_problem(lead_id):
        raise _not_ours("bad position")
    return at


def decode_cursor(cursor: object, order: LeadOrder, listed: str = "") -> SortKey:
    """The position a cursor from :func:`encode_cursor` stands for, for the list whose
    :func:`list_print` is ``listed``: as :func:`read_cursor` reads it, and a cursor of another
    list (another user's, view, filters or order) is a ``ValidationError`` on ``cursor`` too."""
    order_value, key, made_for = read_cursor(cursor)
    if order_value != order.value:
        raise _not_ours(f"it pages the {order_value!r} order, not {order.value!r}")
    if made_for != listed:
        raise _not_ours("it pages another list: another user's, view or filters")
    return key


def require_pool(view: View, pool_id: object) -> None:
    """Refuse the pool view without the pool to open (``pool_id`` None)."""
    if view is View.POOL and pool_id is None:
        raise ValidationError([FieldProblem("pool_id", "the pool view needs a pool id")])


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
            require_pool(view, pool_id)
            return LeadQuery(pool_id=pool_id)
        case View.ALL:
            return LeadQuery(pool_id=pool_id)
    raise AssertionError(view)  # pragma: no cover - the enum is exhaustive
