"""Hypothesis strategies for leadcore values, for the contract suite and for hosts' own tests.

Values are drawn from small vocabularies (a few pools, users, sources, grades and minutes) so
that generated data collides often: ties in orderings, shared owners, repeated sources.
``per_store_settings`` gives the settings the suites' property tests share.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from leadcore.model import FollowUp, FollowUpMethod, Lead, LeadStatus, Pool
from leadcore.query import LeadFilter, LeadOrder, LeadQuery

__all__ = [
    "GRADES",
    "POOL_IDS",
    "SOURCES",
    "USER_IDS",
    "follow_ups",
    "instants",
    "lead_filters",
    "lead_lists",
    "lead_queries",
    "leads",
    "per_store_settings",
    "pools",
]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
POOL_IDS = ("pool-a", "pool-b", "pool-c")
USER_IDS = ("u1", "u2", "u3", "u4", "u5")
SOURCES = ("web_form", "event", "referral")
GRADES = ("A", "B", "C", "D")


def instants(span_minutes: int = 60) -> st.SearchStrategy[datetime]:
    """Aware UTC datetimes on whole minutes within ``span_minutes`` of 2026-01-01 (collide often)."""
    return st.integers(0, span_minutes).map(lambda m: EPOCH + timedelta(minutes=m))


def per_store_settings(*checks: HealthCheck, **options: Any) -> settings:
    """Settings for a property test of a case that each store's subclass runs again: the
    ``differing_executors`` health check is off (the subclasses are the differing executors), and
    so are ``checks``; ``options`` are further ``hypothesis.settings`` keywords."""
    return settings(suppress_health_check=[HealthCheck.differing_executors, *checks], **options)


_STATUS = st.sampled_from(tuple(LeadStatus))
_USER = st.sampled_from(USER_IDS)
_LEAD_ID = st.text("abcdef0123", min_size=1, max_size=6)
_POOL = st.sampled_from(POOL_IDS)
_MINUTE = instants()
_LATER = st.none() | instants(120)
_NAME = st.sampled_from(("张三", "李四", "Ann Lee", ""))
_COMPANY = st.sampled_from(("星河科技", "Acme Ltd", ""))
_SOURCE = st.none() | st.sampled_from(SOURCES)
_GRADE = st.none() | st.sampled_from(GRADES)
_TWO_USERS = st.frozensets(_USER, max_size=2)
_THREE_USERS = st.frozensets(_USER, max_size=3)


@st.composite
def leads(draw: st.DrawFn, *, lead_id: str | None = None) -> Lead:
    """A valid lead in any status, with owner, followers and due date consistent with it."""
    status = draw(_STATUS)
    lid = lead_id if lead_id is not None else draw(_LEAD_ID)
    owner = None if status is LeadStatus.UNASSIGNED else draw(_USER)
    collaborators = draw(_TWO_USERS) if owner else frozenset()
    return Lead(
        id=lid,
        pool_id=draw(_POOL),
        created_by=draw(_USER),
        created_at=draw(_MINUTE),
        contact_name=draw(_NAME),
        company=draw(_COMPANY),
        source=draw(_SOURCE),
        grade=draw(_GRADE),
        status=status,
        owner_id=owner,
        collaborators=collaborators,
        followers=draw(_THREE_USERS),
        next_due_at=draw(_LATER),
        merged_into=f"{lid}-survivor" if status is LeadStatus.MERGED else None,
        converted_customer_id="cust-1" if status is LeadStatus.CONVERTED else None,
    )


@st.composite
def lead_lists(draw: st.DrawFn, *, max_size: int = 30) -> list[Lead]:
    """Leads with distinct ids ``L0``, ``L1``, …"""
    size = draw(st.integers(0, max_size))
    return [draw(leads(lead_id=f"L{i}")) for i in range(size)]


_USERS = st.sampled_from(USER_IDS)
_STATUS_SETS = st.none() | st.frozensets(st.sampled_from(tuple(LeadStatus)), min_size=1)
_POOL_SETS = st.frozensets(st.sampled_from(POOL_IDS), min_size=1)
_ID_SETS = st.frozensets(st.sampled_from([f"L{i}" for i in range(12)]))
_REACHES = st.one_of(
    st.builds(lambda p, s: LeadFilter(pool_ids=p, statuses=s), _POOL_SETS, _STATUS_SETS),
    st.builds(lambda u, s: LeadFilter(owner_id=u, statuses=s), _USERS, _STATUS_SETS),
    st.builds(
        lambda u, s: LeadFilter(owner_ids=u, statuses=s),
        st.frozensets(_USERS, max_size=3),
        _STATUS_SETS,
    ),
    st.builds(lambda u, s: LeadFilter(collaborator_id=u, statuses=s), _USERS, _STATUS_SETS),
    st.builds(lambda u: LeadFilter(follower_id=u), _USERS),
    st.builds(lambda i: LeadFilter(ids=i), _ID_SETS),
    st.builds(lambda s: LeadFilter(statuses=s), _STATUS_SETS),
)


_REACH_LISTS = st.lists(_REACHES, max_size=3)


def lead_filters() -> st.SearchStrategy[LeadFilter]:
    """A reach as views build them: some pools, an owner or team, a collaborator, a follower
    or single ids, with or without statuses."""
    return _REACHES


_CRITERIA: dict[str, st.SearchStrategy[Any]] = {
    "any_of": _REACH_LISTS.map(tuple),
    "pool_ids": _POOL_SETS,
    "ids": st.frozensets(st.sampled_from([f"L{i}" for i in range(40)])),
    "pool_id": _POOL,
    "statuses": st.frozensets(_STATUS, min_size=1),
    "owner_id": _USER,
    "owner_ids": st.frozensets(_USER),
    "follower_id": _USER,
    "collaborator_id": _USER,
    "source": st.sampled_from(SOURCES),
    "grade": st.sampled_from(GRADES),
    "due_before": instants(120),
    "created_from": instants(),
    "created_before": instants(),
}
"""Every criterion a query can carry, with the values :func:`lead_queries` draws for it."""

_CRITERIA_CHOSEN = st.lists(st.sampled_from(tuple(_CRITERIA)), max_size=3, unique=True)


def _in_order(criteria: dict[str, Any]) -> dict[str, Any]:
    """``criteria`` with a reversed creation range turned round (a reversed one is refused)."""
    since, until = criteria.get("created_from"), criteria.get("created_before")
    if since is not None and until is not None and until < since:
        criteria["created_from"], criteria["created_before"] = until, since
    return criteria


@st.composite
def lead_queries(draw: st.DrawFn) -> LeadQuery:
    """Any query over the vocabulary used by :func:`leads`, including ordering and paging.
    Each carries 0 to 3 criteria (any of them, ``any_of`` reaches too), so that every
    criterion is often tested alone or with one or two others, not always lost in a crowd."""
    criteria = {name: draw(_CRITERIA[name]) for name in draw(_CRITERIA_CHOSEN)}
    order = draw(st.sampled_from(tuple(LeadOrder)))
    after = None
    if draw(st.booleans()):
        after = (draw(instants(120)), draw(st.sampled_from(("L0", "L3", "L7", "L15", "zz"))))
    return LeadQuery(
        **_in_order(criteria),
        order=order,
        after=after,
        offset=draw(st.integers(0, 3)),
        limit=draw(st.none() | st.integers(0, 10)),
    )


@st.composite
def pools(draw: st.DrawFn, *, pool_id: str | None = None) -> Pool:
    """A valid pool with arbitrary settings."""
    users = st.sampled_from(USER_IDS)
    return Pool(
        id=pool_id if pool_id is not None else draw(st.sampled_from(POOL_IDS)),
        name=draw(st.sampled_from(("华东线索池", "华北线索池", "Online"))),
        enabled=draw(st.booleans()),
        admins=draw(st.frozensets(users, max_size=2)),
        members=draw(st.frozensets(users, max_size=3)),
        default_owner_id=draw(st.none() | users),
        reminder_hours=draw(st.none() | st.integers(1, 72).map(float)),
        recycle_hours=draw(st.none() | st.integers(1, 240).map(float)),
        claim_enabled=draw(st.booleans()),
        max_open_per_user=draw(st.none() | st.integers(1, 50)),
        free_create=draw(st.booleans()),
    )


@st.composite
def follow_ups(draw: st.DrawFn, *, lead_id: str, follow_up_id: str) -> FollowUp:
    """A valid follow-up record of ``lead_id``."""
    at = draw(instants())
    return FollowUp(
        id=follow_up_id,
        lead_id=lead_id,
        author_id=draw(st.sampled_from(USER_IDS)),
        at=at,
        method=draw(st.sampled_from(tuple(FollowUpMethod))),
        content=draw(st.sampled_from(("电话沟通需求", "Sent the brochure", "上门拜访"))),
        result=draw(st.sampled_from(("有意向", "No answer", "约了演示"))),
        next_follow_up_at=draw(st.none() | st.just(at + timedelta(days=3))),
    )
