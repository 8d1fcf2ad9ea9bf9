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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import attrs

from leadcore import checks
from leadcore.errors import (
    FieldProblem,
    InvalidTransition,
    LeadcoreError,
    ValidationError,
)
from leadcore.events import Event, EventKind, FieldChange, diff_fields
from leadcore.frozen import replace
from leadcore.intake import DETAIL_FIELDS
from leadcore.lifecycle import TRANSITIONS, step
from leadcore.model import Action, FollowUp, Lead, Pool

from ..outcome import MoveFollowUp, Outcome, RecordWrite, SaveLead
from ..reads import Reads, Subject
from ..setup import Setup

__all__ = ["LatestFollowUp", "Merge", "MergeFacts", "SurvivorRule", "Unmerge"]

FILLED: tuple[str, ...] = DETAIL_FIELDS
"""The fields a merge fills on the survivor when they are empty there."""

_MAX_LEADS = 50


@runtime_checkable
class SurvivorRule(Protocol):
    """Ranks the leads of a merge: the first one survives, the others give their details in
    this order."""

    def rank(
        self, leads: Sequence[Lead], follow_ups: Mapping[str, Sequence[FollowUp]]
    ) -> list[Lead]:
        """``leads`` best first."""
        ...


@attrs.frozen(slots=True)
class LatestFollowUp:
    """The lead followed up most recently survives (its newest follow-up, else its
    ``last_followed_at``); a lead never followed up ranks after those that were; ties go to
    the lead created first, then the smaller id."""

    def rank(
        self, leads: Sequence[Lead], follow_ups: Mapping[str, Sequence[FollowUp]]
    ) -> list[Lead]:
        """See :class:`SurvivorRule`."""

        def latest(lead: Lead) -> datetime | None:
            times = [f.at for f in follow_ups.get(lead.id, ())]
            if lead.last_followed_at is not None:
                times.append(lead.last_followed_at)
            return max(times) if times else None

        def key(lead: Lead) -> tuple[int, float, datetime, str]:
            when = latest(lead)
            return (
                0 if when else 1,
                -(when.timestamp() if when else 0.0),
                lead.created_at,
                lead.id,
            )

        return sorted(leads, key=key)


@attrs.frozen(slots=True)
class MergeFacts:
    """The actor's subjects on every lead of the merge, best first, with their follow-ups."""

    ranked: tuple[Subject, ...]
    follow_ups: Mapping[str, tuple[FollowUp, ...]]
    now: datetime


def _empty(value: object) -> bool:
    return value is None or value == ""


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
        ranked = _ranked_ids(rule, [s.lead for s in subjects.values()], follow_ups)
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
        filled: dict[str, str] = {}
        changes: dict[str, Any] = {}
        for name in FILLED:
            if not _empty(getattr(survivor, name)):
                continue
            for other in others:
                value = getattr(other.lead, name)
                if not _empty(value):
                    changes[name], filled[name] = value, other.lead.id
                    break
        custom = dict(survivor.custom_fields)
        for other in others:
            for name, value in other.lead.custom_fields.items():
                if name not in custom:
                    custom[name] = value
                    filled[f"custom_fields.{name}"] = other.lead.id
        if len(custom) != len(survivor.custom_fields):
            changes["custom_fields"] = custom
        collaborators = set(survivor.collaborators)
        roles = dict(survivor.collaborator_roles)
        followers = set(survivor.followers)
        for other in others:
            for user in other.lead.collaborators:
                if user != survivor.owner_id and user not in collaborators:
                    collaborators.add(user)
                    if user in other.lead.collaborator_roles:
                        roles[user] = other.lead.collaborator_roles[user]
            followers |= other.lead.followers
        added_collaborators = sorted(collaborators - survivor.collaborators)
        added_followers = sorted(followers - survivor.followers)
        if added_collaborators:
            changes.update(collaborators=frozenset(collaborators), collaborator_roles=roles)
        if added_followers:
            changes["followers"] = frozenset(followers)
        moved = {f.id: other.lead.id for other in others for f in facts.follow_ups[other.lead.id]}
        last = [
            x for x in (survivor.last_followed_at, *(o.lead.last_followed_at for o in others)) if x
        ]
        if last and max(last) != survivor.last_followed_at:
            changes["last_followed_at"] = max(last)
        sooner = _sooner_due(survivor, [o.lead for o in others])
        if sooner is not None:
            changes["next_due_at"], filled["next_due_at"] = sooner.next_due_at, sooner.id
        merged_ids = [o.lead.id for o in others]
        after = attrs.evolve(survivor, **changes, updated_at=now, version=survivor.version + 1)
        plan: dict[str, object] = {
            "merge_id": f"{survivor.id}@{survivor.version}",
            "merged": merged_ids,
            "filled": filled,
            "follow_ups": moved,
            "collaborators_added": added_collaborators,
            "followers_added": added_followers,
        }
        reason = f"merged {', '.join(merged_ids)} into this lead"
        save, event = _saved(
            survivor, after, EventKind.MERGED, now, actor, reason=reason, data=plan
        )
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


@attrs.frozen(slots=True)
class UnmergeFacts:
    """The survivor, its latest merge not yet undone, and the leads that merge merged."""

    subject: Subject
    merge: Event
    merged: tuple[Lead, ...]
    merged_events: Mapping[str, Event]
    follow_ups: Mapping[str, FollowUp]
    pools: Mapping[str, Pool]


@attrs.frozen(kw_only=True)
class Unmerge:
    """Undo the latest merge into ``lead_id`` (the survivor, or one of the leads it merged).
    A survivor that is itself merged into another lead is refused until that merge is undone
    (merges in a chain are undone from the last one back)."""

    setup: Setup
    actor_id: str
    lead_id: str

    def load(self, reads: Reads) -> UnmergeFacts:
        """The survivor, the merge's plan, the merged leads and the moved follow-ups."""
        subject = reads.subject(self.actor_id, self.lead_id, action=Action.MERGE)
        asked: object = None  # the merge that merged the lead asked for, when it is merged
        if subject.lead.merged_into is not None:
            asked = next(
                (
                    e.data.get("merge_id")
                    for e in reversed(reads.events_of(subject.lead.id))
                    if e.kind is EventKind.MERGED and e.lead_id == subject.lead.id
                ),
                None,
            )
            subject = reads.subject(self.actor_id, subject.lead.merged_into, action=Action.MERGE)
        onward = subject.lead.merged_into
        if onward is not None:
            raise ValidationError(
                [
                    FieldProblem(
                        "lead_id",
                        f"lead {subject.lead.id!r} is merged into {onward!r}; "
                        f"unmerge {subject.lead.id} first",
                    )
                ]
            )
        events = reads.events_of(subject.lead.id)
        undone = {e.data.get("merge_id") for e in events if e.kind is EventKind.UNMERGED}
        merges = [
            e
            for e in events
            if e.kind is EventKind.MERGED
            and e.data.get("merge_id") not in undone
            and "merged" in e.data
        ]
        if not merges:
            raise ValidationError(
                [FieldProblem("lead_id", f"lead {subject.lead.id!r} has no merge to undo")]
            )
        merge = merges[-1]
        ids = [str(i) for i in _list(merge.data.get("merged"))]
        if asked is not None and merge.data.get("merge_id") != asked:
            later = ", ".join(ids)
            raise ValidationError(
                [
                    FieldProblem(
                        "lead_id",
                        f"lead {self.lead_id!r} was merged into {subject.lead.id!r} before "
                        f"{later}; unmerge {later} first (merges are undone from the last back)",
                    )
                ]
            )
        merged = reads.uow.get_leads(ids)
        merged_events: dict[str, Event] = {}
        for lead_id in ids:
            for event in reversed(reads.events_of(lead_id)):
                if (
                    event.kind is EventKind.MERGED
                    and event.data.get("merge_id") == merge.data["merge_id"]
                ):
                    merged_events[lead_id] = event
                    break
        moved = _mapping(merge.data.get("follow_ups"))
        follow_ups = {f.id: f for f in reads.follow_ups(subject.lead.id) if f.id in moved}
        found = tuple(merged[i] for i in ids if i in merged)
        pools = {lead.pool_id: reads.pool(lead.pool_id) for lead in found}
        return UnmergeFacts(subject, merge, found, merged_events, follow_ups, pools)

    def decide(self, facts: UnmergeFacts) -> None:
        """The actor may merge the survivor and each merged lead as it was; each merged lead
        still points at the survivor."""
        facts.subject.require(self.setup, Action.MERGE)
        survivor = facts.subject.lead
        for lead in facts.merged:
            if lead.merged_into != survivor.id or lead.id not in facts.merged_events:
                raise ValidationError(
                    [
                        FieldProblem(
                            "lead_id", f"lead {lead.id!r} is no longer merged into {survivor.id!r}"
                        )
                    ]
                )
            before = _restored(lead, facts.merged_events[lead.id])
            self.setup.require(
                facts.subject.actor,
                Action.MERGE,
                before,
                facts.pools[before.pool_id],
                now=facts.subject.now,
                what=f"lead {lead.id!r}",
            )

    def plan(self, facts: UnmergeFacts) -> Outcome[Lead]:
        """The survivor's filled fields and joined people taken back (where unchanged since),
        the follow-ups moved back, the merged leads restored, an ``unmerged`` event each."""
        s = facts.subject
        survivor, now, actor = s.lead, s.now, s.actor.id
        data = facts.merge.data
        changes: dict[str, Any] = {}
        for change in facts.merge.changes:
            if change.field in FILLED and getattr(survivor, change.field) == change.after:
                changes[change.field] = change.before
        filled = _mapping(data.get("filled"))
        custom = dict(survivor.custom_fields)
        custom_change = facts.merge.change("custom_fields")
        merged_custom = custom_change.after if custom_change is not None else {}
        assert isinstance(merged_custom, Mapping)
        for path in filled:
            if path.startswith("custom_fields."):
                name = path[len("custom_fields.") :]
                # Taken back only while it still holds what the merge filled in: an edit
                # since the merge keeps the change, as for the lead's own fields.
                if name in custom and custom[name] == merged_custom.get(name):
                    del custom[name]
        if custom != dict(survivor.custom_fields):
            changes["custom_fields"] = custom
        joined = {str(u) for u in _list(data.get("collaborators_added"))}
        if joined & survivor.collaborators:
            changes["collaborators"] = survivor.collaborators - joined
            changes["collaborator_roles"] = {
                u: r for u, r in survivor.collaborator_roles.items() if u not in joined
            }
        watching = {str(u) for u in _list(data.get("followers_added"))}
        if watching & survivor.followers:
            changes["followers"] = survivor.followers - watching
        for name in ("last_followed_at", "next_due_at"):
            taken = _change(facts.merge.changes, name)
            if taken is not None and getattr(survivor, name) == taken.after:
                changes[name] = taken.before
        after = attrs.evolve(survivor, **changes, updated_at=now, version=survivor.version + 1)
        merge_id = data["merge_id"]
        restored_ids = [lead.id for lead in facts.merged]
        save, event = _saved(
            survivor,
            after,
            EventKind.UNMERGED,
            now,
            actor,
            reason=f"undid the merge of {', '.join(restored_ids)} into this lead",
            data={"merge_id": merge_id, "restored": restored_ids},
        )
        saves, events = [save], [event]
        for lead in facts.merged:
            back = attrs.evolve(
                _restored(lead, facts.merged_events[lead.id]),
                updated_at=now,
                version=lead.version + 1,
            )
            save, event = _saved(
                lead,
                back,
                EventKind.UNMERGED,
                now,
                actor,
                reason=f"no longer merged into {survivor.id}",
                data={"merge_id": merge_id, "survivor": survivor.id},
            )
            saves.append(save)
            events.append(event)
        moved = _mapping(data.get("follow_ups"))
        records: list[RecordWrite] = [
            MoveFollowUp(fid, str(moved[fid]))
            for fid in facts.follow_ups
            if str(moved[fid]) in restored_ids
        ]
        return Outcome(after, tuple(saves), tuple(events), tuple(records))


def _ranked_ids(
    rule: SurvivorRule, leads: list[Lead], follow_ups: Mapping[str, Sequence[FollowUp]]
) -> list[str]:
    """The ids of ``leads`` in the order ``rule`` ranks them; ``ValidationError`` on ``rule``
    when the host's rule fails or answers with anything but a list of those leads."""
    try:
        # Copies: whatever the host's rule does to what it is handed, the merge reads its own.
        given = rule.rank(list(leads), MappingProxyType(dict(follow_ups)))
        if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
            shown = type(given).__name__
            raise ValidationError(
                [FieldProblem("rule", f"rank() must return a list of the leads given, not {shown}")]
            )
        answer = list(given)
    except LeadcoreError:
        raise
    except Exception as e:  # the host's rule: any failure refuses the merge, naming it
        raise ValidationError(
            [FieldProblem("rule", f"rank() failed: {type(e).__name__}: {e}")]
        ) from e
    if not all(isinstance(lead, Lead) for lead in answer):
        shown = next(type(x).__name__ for x in answer if not isinstance(x, Lead))
        raise ValidationError(
            [FieldProblem("rule", f"rank() must return the leads given (Lead), not {shown}")]
        )
    return [lead.id for lead in answer]


def _saved(
    lead: Lead,
    after: Lead,
    kind: EventKind,
    at: datetime,
    actor_id: str,
    *,
    reason: str,
    data: Mapping[str, object],
) -> tuple[SaveLead, Event]:
    """``after`` saved over ``lead`` (at the version it was read), and the ``kind`` event
    about ``lead`` naming each field that changed."""
    changes = diff_fields(lead, after)
    event = Event.about(lead, kind, at, actor_id, changes=changes, reason=reason, data=data)
    return SaveLead(after, lead.version), event


def _restored(lead: Lead, merged: Event) -> Lead:
    """``lead`` as it was before the merge event ``merged`` changed it."""
    values: dict[str, Any] = {c.field: c.before for c in merged.changes}
    values.setdefault("merged_into", None)
    return replace(lead, **values)


def _sooner_due(survivor: Lead, others: Sequence[Lead]) -> Lead | None:
    """The open lead among ``others`` due soonest (the first ranked on a tie), when it is due
    before an open ``survivor`` (or the survivor is due for nothing): the soonest promise to
    the customer is kept. A survivor nobody holds is due for nothing, like any such lead."""
    if not survivor.is_open:
        return None
    dates = [(o.next_due_at, o) for o in others if o.is_open and o.next_due_at is not None]
    if not dates:
        return None
    at, first = min(dates, key=lambda d: d[0])
    own = survivor.next_due_at
    return first if own is None or at < own else None


def _change(changes: Sequence[FieldChange], name: str) -> FieldChange | None:
    return next((c for c in changes if c.field == name), None)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}
