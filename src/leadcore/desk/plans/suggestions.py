"""Merge suggestions (合并建议): the open leads of a pool sharing a company, phone, email or
WeChat id, grouped with the reason. The host lists them, then merges or dismisses each; a
dismissal is remembered, so the same leads are not suggested again (a group that gains a new
lead is suggested again, with it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from leadcore import checks
from leadcore.dedup import DedupKey, find_duplicate_groups
from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import Event, EventKind
from leadcore.jsonvalue import JSONValue
from leadcore.model import OPEN_STATUSES, Action, LeadStatus
from leadcore.query import LeadQuery

from ..outcome import Outcome, SetState
from ..reads import Reads, Subject
from ..setup import Setup

__all__ = ["DismissSuggestion", "MergeSuggestion", "merge_suggestions"]

_SUGGESTED = frozenset({LeadStatus.UNASSIGNED, *OPEN_STATUSES})


def _state_key(pool_id: str) -> str:
    return f"dedup:dismissed:{pool_id}"


@attrs.frozen(slots=True)
class MergeSuggestion:
    """Leads that look like one person or company: ``lead_ids`` oldest first, the ``keys``
    they share, and the ``reason`` in words (``L1, L2 share phone:+8613800138000``)."""

    pool_id: str
    lead_ids: tuple[str, ...]
    keys: tuple[DedupKey, ...]
    reason: str


def _dismissed(reads: Reads, pool_id: str) -> list[frozenset[str]]:
    stored = reads.uow.get_state(_state_key(pool_id))
    if not isinstance(stored, list):
        return []
    return [frozenset(str(i) for i in group) for group in stored if isinstance(group, list)]


def merge_suggestions(reads: Reads, actor_id: str, pool_id: str) -> list[MergeSuggestion]:
    """The pool's open (and unassigned) leads the actor may see and merge, grouped by shared
    keys, less the groups dismissed (empty for someone who may merge none of them)."""
    actor = reads.actor(actor_id)
    pool = reads.pool(pool_id)
    scope = reads.view_scope(actor, [pool])
    policy, org = reads.setup.policy, reads.setup.org
    leads = [
        lead
        for lead in reads.uow.iter_leads(LeadQuery(pool_id=pool.id, statuses=_SUGGESTED))
        if scope.covers(lead)
        and policy.decide(actor, Action.MERGE, lead, pool, org=org, now=reads.now).allowed
    ]
    dismissed = _dismissed(reads, pool.id)
    found = []
    for group in find_duplicate_groups({lead.id: lead for lead in leads}, reads.setup.normaliser):
        ids = frozenset(group.ids)
        if any(ids <= gone for gone in dismissed):
            continue
        found.append(MergeSuggestion(pool.id, group.ids, group.keys, group.describe()))
    return found


@attrs.frozen(slots=True)
class DismissFacts:
    """The named leads as the actor sees them, and the groups dismissed so far."""

    subjects: tuple[Subject, ...]
    dismissed: list[frozenset[str]]
    now: datetime


@attrs.frozen(kw_only=True)
class DismissSuggestion:
    """Remember that ``lead_ids`` in ``pool_id`` are not duplicates of each other."""

    setup: Setup
    actor_id: str
    pool_id: str
    lead_ids: Sequence[str]

    def load(self, reads: Reads) -> DismissFacts:
        """Each named lead (one the actor may see, in the pool) and the groups dismissed."""
        pool_id = checks.identifier(self.pool_id, "pool_id")
        ids = sorted(set(checks.identifier_list(self.lead_ids, "lead_ids")))
        if len(ids) < 2:
            raise ValidationError([FieldProblem("lead_ids", "name at least two leads")])
        subjects = tuple(reads.subject(self.actor_id, i, action=Action.MERGE) for i in ids)
        for subject in subjects:
            if subject.pool.id != pool_id:
                raise ValidationError(
                    [FieldProblem("lead_ids", f"lead {subject.lead.id!r} is not in {pool_id!r}")]
                )
        return DismissFacts(subjects, _dismissed(reads, pool_id), reads.now)

    def decide(self, facts: DismissFacts) -> None:
        """The actor may merge every named lead (the same right as merging them)."""
        for subject in facts.subjects:
            subject.require(self.setup, Action.MERGE)

    def plan(self, facts: DismissFacts) -> Outcome[None]:
        """The dismissal stored, and an event saying who dismissed which leads."""
        dismissed = facts.dismissed
        ids = sorted(s.lead.id for s in facts.subjects)
        groups = [sorted(g) for g in dismissed if not g <= set(ids)] + [ids]
        event = Event(
            EventKind.MERGE_SUGGESTION_DISMISSED,
            facts.now,
            self.actor_id,
            pool_id=self.pool_id,
            reason=f"{', '.join(ids)} are not duplicates",
            data={"lead_ids": ids},
        )
        value: JSONValue = [list(g) for g in groups]
        return Outcome(None, events=(event,), records=(SetState(_state_key(self.pool_id), value),))
