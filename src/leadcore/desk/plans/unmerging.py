"""Undoing a merge (取消合并): the survivor's latest merge not yet undone is read back from
its ``merged`` event, which carries the merge plan, and the merged leads, the survivor's filled
fields and joined people, its own due date and the follow-ups are restored exactly — a field or
follow-up changed since the merge keeps the change. Merges in a chain are undone from the last
one back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from leadcore.errors import FieldProblem, InvalidTransition, ValidationError
from leadcore.events import Event, EventKind
from leadcore.frozen import replace
from leadcore.model import Action, FollowUp, Lead, Pool

from ..outcome import MoveFollowUp, Outcome, RecordWrite
from ..reads import Reads, Subject
from ..setup import Setup
from .merge_filling import FILLED, saved

__all__ = ["Unmerge", "UnmergeFacts"]


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
        try:
            facts.subject.require(self.setup, Action.MERGE)
        except InvalidTransition as e:  # the lifecycle's words would name a merge
            raise InvalidTransition(e.lead_id, e.status, "unmerge", e.allowed) from None
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
            taken = facts.merge.change(name)
            if taken is not None and getattr(survivor, name) == taken.after:
                changes[name] = taken.before
        after = attrs.evolve(survivor, **changes, updated_at=now, version=survivor.version + 1)
        merge_id = data["merge_id"]
        restored_ids = [lead.id for lead in facts.merged]
        save, event = saved(
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
            save, event = saved(
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


def _restored(lead: Lead, merged: Event) -> Lead:
    """``lead`` as it was before the merge event ``merged`` changed it."""
    values: dict[str, Any] = {c.field: c.before for c in merged.changes}
    values.setdefault("merged_into", None)
    return replace(lead, **values)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}
