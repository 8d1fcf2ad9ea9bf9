"""Reading through the desk: one lead or many, pages of a view, audit trails, follow-ups,
scores, what an actor may do, pool summaries. Every answer goes through the one view rule:
a lead the reader may not see is never shown, and reads as if it did not exist."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import attrs

from leadcore import checks
from leadcore.errors import (
    AlreadyClaimed,
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event
from leadcore.model import Action, FollowUp, Lead, LeadStatus, SourceChannel
from leadcore.policy import POOL_ACTIONS, Decision, ViewScope
from leadcore.query import LeadFilter, LeadOrder, LeadQuery, SortKey
from leadcore.records import Grant
from leadcore.scoring import Readiness, ReadinessSignal, Score

from .plans.browsing import as_shown, history_as_shown
from .plans.duplicates import merged_into_it, survivor_of
from .reads import Reads, Subject
from .results import Page, PoolSummary
from .views import (
    View,
    base_query,
    decode_cursor,
    encode_cursor,
    list_print,
    read_cursor,
    require_pool,
)

T = TypeVar("T")

__all__ = [
    "Collected",
    "allowed_actions",
    "can",
    "follow_ups",
    "get",
    "get_many",
    "grants",
    "history",
    "lead_readiness",
    "lead_score",
    "page",
    "pool_summary",
]


def get(reads: Reads, actor_id: str, lead_id: str, *, follow_merge: bool = False) -> Lead:
    """The lead, if the actor may see it (else ``NotFound``, as for a missing one); with
    ``follow_merge``, the lead a merged one now lives on in (the end of its ``merged_into``
    chain), which the actor must be able to see."""
    subject = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    if checks.flag(follow_merge, "follow_merge") and subject.lead.merged_into is not None:
        subject = reads.subject(actor_id, survivor_of(reads, subject.lead).id)
    return as_shown(reads, subject.actor, [subject.lead], {subject.pool.id: subject.pool})[0]


def get_many(reads: Reads, actor_id: str, lead_ids: object) -> list[Lead]:
    """The leads among ``lead_ids`` the actor may see, in the order asked (ids that do not
    exist and leads they may not see are left out alike)."""
    wanted = list(dict.fromkeys(checks.identifier_list(lead_ids, "lead_ids")))
    actor = reads.actor(actor_id)
    found = reads.uow.get_leads(wanted)
    pools = {p.id: p for p in reads.uow.list_pools()} if found else {}
    scope = reads.view_scope(actor, pools.values())
    seen = [found[i] for i in wanted if i in found and scope.covers(found[i])]
    return as_shown(reads, actor, seen, pools)


def history(reads: Reads, actor_id: str, lead_id: str) -> list[Event]:
    """The lead's audit trail, oldest first, with the trails of every lead merged into it
    while they stay merged, through the whole chain (a lead merged into one that was merged
    into this one too): a merge moves the history onto the survivor, as it moves the
    follow-ups."""
    subject = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    found: dict[int, Event] = {}
    seen = {subject.lead.id}
    todo = [subject.lead.id]
    while todo:
        current = todo.pop()
        events = reads.events_of(current)
        found.update((e.position, e) for e in events)
        for lead in merged_into_it(reads, current, events):
            if lead.id not in seen:
                seen.add(lead.id)
                todo.append(lead.id)
    trail = [found[p] for p in sorted(found)]
    return history_as_shown(reads, subject.actor, subject.lead, subject.pool, trail)


def follow_ups(reads: Reads, actor_id: str, lead_id: str) -> list[FollowUp]:
    """The lead's follow-up records, oldest first."""
    subject = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    return reads.follow_ups(subject.lead.id)


def lead_score(reads: Reads, actor_id: str, lead_id: str) -> Score:
    """The lead's score now, with its breakdown."""
    scorer = reads.setup.require_scorer()
    subject = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    return scorer.score(subject.lead, reads.activities(subject.lead), now=reads.now)


def lead_readiness(reads: Reads, actor_id: str, lead_id: str, signals: object) -> Readiness:
    """Whether to suggest converting the lead (3 or more of the 5 signals)."""
    given = checks.choices(ReadinessSignal, signals, "signals")
    subject = reads.subject(actor_id, checks.identifier(lead_id, "lead_id"))
    return reads.readiness(subject, given)


def _decide(reads: Reads, subject: Subject, action: Action) -> Decision:
    claim = reads.claim_facts(subject.actor, subject.lead) if action is Action.CLAIM else None
    return subject.decide(reads.setup, action, claim=claim)


def can(reads: Reads, actor_id: str, action: object, lead_id: str) -> Decision:
    """Whether the actor may take ``action`` on the lead now, and why (or why not). For a lead
    the actor may not see the answer is the same as for one that does not exist."""
    chosen = checks.choice(Action, action, "action")
    if chosen in POOL_ACTIONS:
        raise ValidationError(
            [FieldProblem("action", f"{chosen.value} is a pool action; ask about a lead action")]
        )
    wanted = checks.identifier(lead_id, "lead_id")
    reads.actor(actor_id)  # unknown: NotFound; deactivated: PermissionDenied, as for every call
    try:
        subject = reads.subject(actor_id, wanted, action=chosen)
    except NotFound as e:
        if e.kind == "user":
            raise
        return Decision(False, chosen, f"there is no lead {lead_id!r} you may see")
    if chosen is Action.CLAIM and subject.lead.owner_id is not None:
        return Decision(
            False,
            chosen,
            str(
                AlreadyClaimed(subject.lead.id, subject.lead.owner_id if subject.visible else None)
            ),
        )
    if not subject.visible:
        return Decision(False, chosen, f"there is no lead {lead_id!r} you may see")
    return _decide(reads, subject, chosen)


def allowed_actions(reads: Reads, actor_id: str, lead_id: str) -> tuple[Action, ...]:
    """Every action the actor may take on the lead now: the buttons a UI should show (none
    for a lead they may not see)."""
    wanted = checks.identifier(lead_id, "lead_id")
    reads.actor(actor_id)  # unknown: NotFound; deactivated: PermissionDenied, as for every call
    try:
        subject = reads.subject(actor_id, wanted)
    except NotFound as e:
        if e.kind == "user":
            raise
        return ()
    return tuple(a for a in Action if a not in POOL_ACTIONS and _decide(reads, subject, a).allowed)


def grants(reads: Reads, actor_id: str) -> list[Grant]:
    """The grants the actor holds or asked for, approved or not, expired or not."""
    actor = reads.actor(actor_id)
    return reads.uow.grants_of(actor.id)


def page(
    reads: Reads,
    actor_id: str,
    *,
    view: object = View.MINE,
    pool_id: object = None,
    statuses: object = None,
    source: object = None,
    grade: object = None,
    created_from: object = None,
    created_before: object = None,
    order: object = LeadOrder.CREATED_DESC,
    cursor: object = None,
    offset: object = 0,
    limit: object = 50,
) -> Page:
    """One page of a view, filtered, ordered and paged; only leads the actor may see. Every
    bad argument is named at once, in one ``ValidationError``."""
    took = Collected()
    who = took(lambda: checks.identifier(actor_id, "actor_id"), "")
    chosen = took(lambda: checks.choice(View, view, "view"), View.MINE)
    ordering = took(lambda: checks.choice(LeadOrder, order, "order"), LeadOrder.CREATED)
    size = took(lambda: checks.whole(limit, "limit", least=1, most=1000), 1)
    skip = took(lambda: checks.whole(offset, "offset", least=0, most=100_000), 0)
    pool = took(lambda: None if pool_id is None else checks.identifier(pool_id, "pool_id"), None)
    took(lambda: require_pool(chosen, pool_id), None)
    wanted = took(
        lambda: None if statuses is None else checks.choices(LeadStatus, statuses, "statuses"),
        None,
    )
    src = took(lambda: None if source is None else _source(reads, source), None)
    grd = took(lambda: None if grade is None else _grade(reads, grade), None)
    since = took(lambda: checks.optional_aware(created_from, "created_from"), None)
    until = took(lambda: checks.optional_aware(created_before, "created_before"), None)
    took(lambda: LeadFilter(created_from=since, created_before=until), None)  # reversed?
    listed = list_print(who, chosen, pool, wanted, src, grd, since, until)
    # A cursor's list is judged only against a list read whole.
    sound = all(p.field in _NOT_LISTED for p in took.problems)
    after = took(lambda: _position(cursor, ordering, listed if sound else None), None)
    took.raise_any("view")
    actor = reads.actor(actor_id)
    scope = reads.view_scope(actor)
    exact = _exact(scope)
    if chosen is View.ALL and not scope.all_leads:
        raise PermissionDenied(
            actor.id, Action.VIEW, "all leads", "the all-leads view is for admins"
        )
    if pool is not None:
        reads.pool(pool)  # an unknown pool is NotFound, not an empty page
    team = reads.setup.org.subordinates(actor.id) if chosen is View.SUBORDINATES else frozenset()
    query = attrs.evolve(
        base_query(chosen, actor.id, pool_id=pool, team=team),
        pool_id=pool,
        statuses=wanted,
        source=src,
        grade=grd,
        created_from=since,
        created_before=until,
        any_of=scope.filters(),
        order=ordering,
        after=after,
        # When the store's filters are wider than what the actor may see (a collaborator-role
        # reach), the offset counts only leads they see, so it is applied here, after the check.
        offset=skip if exact else 0,
        limit=size + 1 if exact else None,
    )
    found: list[Lead] = []
    unseen_skip = 0 if exact else skip
    for lead in reads.uow.iter_leads(query):
        if exact or scope.covers(lead):
            if unseen_skip:
                unseen_skip -= 1
                continue
            found.append(lead)
            if len(found) > size:
                break
    more = len(found) > size
    shown = found[:size]
    key = ordering.key(shown[-1]) if more and shown else None
    cursor_out = None if key is None else encode_cursor(ordering, key, listed)
    return Page(tuple(as_shown(reads, actor, shown)), cursor_out)


_NOT_LISTED = frozenset({"actor_id", "limit", "offset"})
"""The arguments of a page that its cursors do not depend on."""


def _position(cursor: object, order: LeadOrder, listed: str | None) -> SortKey | None:
    """Where ``cursor`` resumes the list whose print is ``listed`` (None: a list that could
    not be read, so only the cursor's own form is checked)."""
    if cursor is None:
        return None
    if listed is None:
        return read_cursor(cursor)[1]
    return decode_cursor(cursor, order, listed)


class Collected:
    """Runs checks, keeping every problem instead of stopping at the first: call it with a
    check and the value to go on with when the check fails, then ``raise_any``."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def __call__(self, run: Callable[[], T], default: T) -> T:
        try:
            return run()
        except ValidationError as e:
            self.problems.extend(e.problems)
            return default

    def raise_any(self, subject: str) -> None:
        if self.problems:
            raise ValidationError(self.problems, subject=subject)


def _exact(scope: ViewScope) -> bool:
    """Whether the scope's store filters alone decide what the actor sees: a collaborator-role
    reach narrows its filter, but adds nothing beside a plain reach with the same filter (under
    the default policy every collaborator sees the lead anyway)."""
    if scope.exact:
        return True
    plain = {r.filter for r in scope.reaches if r.collaborator_role is None}
    return all(r.collaborator_role is None or r.filter in plain for r in scope.reaches)


def _source(reads: Reads, value: object) -> str:
    """A source filter: a standard channel (value or label) or a source a pool allows."""
    text = checks.text(value, "source")
    known = {s for p in reads.uow.list_pools() for s in p.allowed_sources}
    if text in known:
        return text
    try:
        return SourceChannel.parse(text).value
    except ValueError:
        allowed = ", ".join([*(s.value for s in SourceChannel), *sorted(known)])
        raise ValidationError(
            [FieldProblem("source", f"{text!r} is not a known source; expected one of: {allowed}")]
        ) from None


def _grade(reads: Reads, value: object) -> str:
    """A grade filter: one of the desk's score model's grades."""
    text = checks.text(value, "grade", max_len=50)
    scorer = reads.setup.scorer
    if scorer is None:
        raise ValidationError(
            [FieldProblem("grade", "this desk has no scorer, so leads have no grades to filter by")]
        )
    names = [g.name for g in scorer.sheet.grades]
    if text not in names:
        raise ValidationError(
            [FieldProblem("grade", f"{text!r} is not a grade; expected one of: {', '.join(names)}")]
        )
    return text


def pool_summary(reads: Reads, actor_id: str, pool_id: object) -> PoolSummary:
    """The pool's lead counts by status (线索数量), counting only what the actor may see; for
    the pool's members and admins and those who see all leads."""
    actor = reads.actor(actor_id)
    pool = reads.pool(checks.identifier(pool_id, "pool_id"))
    scope = reads.view_scope(actor, [pool])
    if not (pool.is_member(actor.id) or scope.reaches_pool(pool.id)):
        raise PermissionDenied(
            actor.id,
            Action.VIEW,
            f"pool {pool.id!r}",
            "only the pool's members and admins see its counts",
        )
    query = LeadQuery(pool_id=pool.id, any_of=scope.filters())
    if _exact(scope):
        counts = reads.uow.count_by_status(query)
    else:  # the store's filters are wider than what the actor sees: count the leads they see
        counts = Counter(lead.status for lead in reads.uow.iter_leads(query) if scope.covers(lead))
    ordered = {status: counts.get(status, 0) for status in LeadStatus}
    return PoolSummary(pool.id, pool.name, ordered)
