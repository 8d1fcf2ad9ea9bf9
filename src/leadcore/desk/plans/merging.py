"""Merging duplicates (合并) and undoing a merge, each in one unit of work, audited.

A merge keeps one **survivor**, chosen by a pluggable rule (by default the lead followed up
most recently). The survivor's empty fields are filled from the others (the next-ranked lead
first), their collaborators and followers join it, and their follow-ups move to it; an open
survivor takes the soonest next due date of the open leads merged when its own is later or
missing (the soonest promise to the customer is kept). The others are marked merged, point at
the survivor, are read-only and due for nothing. The survivor's ``merged`` event carries the
merge plan: where every filled field (and the due date) came from, which follow-ups moved from
where, who joined. **Unmerge** reads that plan back and restores the merged leads, the
survivor's filled fields, its own due date and the follow-ups exactly (a field or follow-up
changed since the merge keeps the change).

Which lead survives is in ``merge_survivor``, what it takes from the others in
``merge_filling``, and undoing a merge in ``unmerging``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, InvalidTransition, ValidationError
from leadcore.events import EventKind
from leadcore.lifecycle import TRANSITIONS, step
from leadcore.model import Action, FollowUp, Lead

from ..outcome import MoveFollowUp, Outcome, RecordWrite, SaveLead
from ..reads import Reads, Subject
from ..setup import Setup
from .merge_filling import FILLED, filling, saved
from .merge_survivor import LatestFollowUp, SurvivorRule, ranked_ids
from .unmerging import Unmerge

__all__ = ["FILLED", "LatestFollowUp", "Merge", "MergeFacts", "SurvivorRule", "Unmerge"]

_MAX_LEADS = 50


@attrs.frozen(slots=True)
class MergeFacts:
    """The actor's subjects on every lead of the merge, best first, with their follow-ups."""

    ranked: tuple[Subject, ...]
    follow_ups: Mapping[str, tuple[FollowUp, ...]]
    now: datetime


@attrs.frozen(kw_only=True)
class Merge:
    """Merge ``lead_ids`` into one survivor (``survivor_id`` if given, else the desk's
    survivor rule's choice). Pool admins (and system admins) of every lead's pool may."""

    setup: Setup
    actor_id: str
    lead_ids: Sequence[str]
    survivor_id: str | None = None
    rule: SurvivorRule | None = None

    def load(self, reads: Reads) -> MergeFacts:
        """Every lead (each one the actor may see) and its follow-ups, ranked."""
        wanted = list(dict.fromkeys(checks.identifier_list(self.lead_ids, "lead_ids")))
        if not 2 <= len(wanted) <= _MAX_LEADS:
            raise ValidationError(
                [FieldProblem("lead_ids", f"name 2 to {_MAX_LEADS} different leads to merge")]
            )
        if self.survivor_id is not None and self.survivor_id not in wanted:
            raise ValidationError(
                [FieldProblem("survivor_id", "must be one of the leads being merged")]
            )
        rule = self.rule if self.rule is not None else LatestFollowUp()
        if not isinstance(rule, SurvivorRule):
            raise ValidationError([FieldProblem("rule", "must have rank(leads, follow_ups)")])
        subjects = {i: reads.subject(self.actor_id, i, action=Action.MERGE) for i in wanted}
        follow_ups = {i: tuple(reads.follow_ups(i)) for i in wanted}
        ranked = ranked_ids(rule, [s.lead for s in subjects.values()], follow_ups)
        if sorted(ranked) != sorted(wanted):
            raise ValidationError(
                [FieldProblem("rule", "must rank exactly the leads given, each once")]
            )
        if self.survivor_id is not None:
            ranked.sort(key=lambda lead_id: lead_id != self.survivor_id)
        return MergeFacts(tuple(subjects[i] for i in ranked), follow_ups, reads.now)

    def decide(self, facts: MergeFacts) -> None:
        """Every lead may be merged by the actor; the survivor must not be read-only."""
        survivor = facts.ranked[0].lead
        if survivor.is_read_only:
            allowed = (a.value for a in TRANSITIONS[survivor.status])
            raise InvalidTransition(survivor.id, survivor.status.value, Action.MERGE, allowed)
        for subject in facts.ranked:
            subject.require(self.setup, Action.MERGE)

    def plan(self, facts: MergeFacts) -> Outcome[Lead]:
        """The survivor filled in, the others merged, the follow-ups moved, the plan in the
        survivor's ``merged`` event."""
        first, *others = facts.ranked
        survivor = first.lead
        actor, now = first.actor.id, facts.now
        fill = filling(survivor, [o.lead for o in others])
        moved = {f.id: other.lead.id for other in others for f in facts.follow_ups[other.lead.id]}
        merged_ids = [o.lead.id for o in others]
        after = attrs.evolve(survivor, **fill.changes, updated_at=now, version=survivor.version + 1)
        plan: dict[str, object] = {
            "merge_id": f"{survivor.id}@{survivor.version}",
            "merged": merged_ids,
            "filled": dict(fill.filled),
            "follow_ups": moved,
            "collaborators_added": fill.collaborators_added,
            "followers_added": fill.followers_added,
        }
        reason = f"merged {', '.join(merged_ids)} into this lead"
        save, event = saved(survivor, after, EventKind.MERGED, now, actor, reason=reason, data=plan)
        saves, events = [save], [event]
        for other in others:
            done = step(
                other.lead,
                Action.MERGE,
                actor_id=actor,
                at=now,
                merged_into=survivor.id,
                reason=f"merged into {survivor.id}",
                data={"merge_id": plan["merge_id"], "survivor": survivor.id},
            )
            saves.append(SaveLead(done.lead, other.lead.version))
            events.append(done.event)
        records: list[RecordWrite] = [MoveFollowUp(f, survivor.id) for f in moved]
        return Outcome(after, tuple(saves), tuple(events), tuple(records))
