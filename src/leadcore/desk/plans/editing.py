"""Editing (编辑) and deleting (删除) a lead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import Event, FieldChange, diff_fields
from leadcore.intake import clean_lead_fields
from leadcore.lifecycle import EVENT_OF, step
from leadcore.model import Action, Lead

from ..outcome import DeleteLead, Outcome
from ..reads import Reads, Subject
from .common import LeadCommand, ScoredCommand, ScoredSubject, rescored_step
from .duplicates import merged_into_it

__all__ = ["Delete", "Edit"]

_CONTACT = ("contact_name", "company", "phone", "email", "wechat")


@attrs.frozen(kw_only=True)
class Edit(ScoredCommand):
    """Change a lead's details: only the fields given change; a custom field given an empty
    value (None, blank text, an empty list) is cleared, unless it is required; an undeclared
    custom field is refused, as on create. Editing to the same values writes nothing."""

    action: ClassVar[Action] = Action.EDIT
    fields: Mapping[str, object]
    custom_fields: Mapping[str, object] | None = None

    def plan(self, facts: ScoredSubject) -> Outcome[Lead]:
        """The lead with the cleaned fields, re-scored, and an edit event; nothing when no field
        changes."""
        s = facts.subject
        lead = s.lead
        current = {name: getattr(lead, name) for name in self.fields if hasattr(lead, name)}
        customs = self.custom_fields
        # Every name given is validated: an undeclared one is refused, an empty value for a
        # required field too ("is required"); an empty value clears any other field.
        clean = clean_lead_fields(
            self.fields,
            rules=self.setup.rules,
            pool=s.pool,
            custom_fields=self.setup.custom_fields,
            normaliser=self.setup.normaliser,
            custom_values=customs,
            current={**{n: getattr(lead, n) for n in _CONTACT}, **current},
        )
        stage = clean.get("stage")
        if stage is not None and stage not in s.pool.sales_stages:
            raise ValidationError(
                [
                    FieldProblem(
                        "stage",
                        f"must be one of the pool's stages: {', '.join(s.pool.sales_stages)}",
                    )
                ]
            )
        changes: dict[str, Any] = dict(clean)
        if "stage" in changes and changes["stage"] != lead.stage:
            changes["stage_changed_at"] = s.now
        if isinstance(customs, Mapping):
            merged = {**lead.custom_fields, **clean.get("custom_fields", {})}
            for name in self.setup.custom_fields.cleared(customs):
                merged.pop(name, None)
            changes["custom_fields"] = merged
        if all(getattr(lead, name) == value for name, value in changes.items()):
            return Outcome(lead)
        done, mql = rescored_step(
            self.setup,
            facts,
            step(lead, Action.EDIT, actor_id=s.actor.id, at=s.now, changes=changes),
        )
        return Outcome.of_step(done, lead.version, *mql)


@attrs.frozen(slots=True)
class DeleteFacts:
    """The lead to delete, and the leads still merged into it."""

    subject: Subject
    merged: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Delete(LeadCommand):
    """Delete a lead and its follow-ups; the event keeps every field's last value. A lead
    other leads are merged into is refused until those merges are undone (``unmerge``): the
    merged leads and the follow-ups the merge moved onto it would be lost."""

    action: ClassVar[Action] = Action.DELETE

    def load(self, reads: Reads) -> DeleteFacts:
        """The subject and the ids of the leads merged into it."""
        subject = self.subject(reads)
        merged = tuple(lead.id for lead in merged_into_it(reads, subject.lead.id))
        return DeleteFacts(subject, merged)

    def decide(self, facts: DeleteFacts) -> None:
        """See :meth:`LeadCommand.require`; no lead may still be merged into it."""
        self.require(facts.subject)
        if facts.merged:
            ids = ", ".join(facts.merged)
            shown = ", ".join(repr(i) for i in facts.merged)
            are = "is" if len(facts.merged) == 1 else "are"
            raise ValidationError(
                [
                    FieldProblem(
                        "lead_id",
                        f"lead {shown} {are} merged into {facts.subject.lead.id!r}: "
                        f"unmerge {ids} first",
                    )
                ],
                subject=f"lead {facts.subject.lead.id!r}",
            )

    def plan(self, facts: DeleteFacts) -> Outcome[None]:
        """The lead removed, and an event listing what it held."""
        lead = facts.subject.lead
        gone = tuple(FieldChange(c.field, c.after, None) for c in diff_fields(None, lead))
        event = Event.about(
            lead,
            EVENT_OF[Action.DELETE],
            facts.subject.now,
            facts.subject.actor.id,
            changes=gone,
        )
        return Outcome(None, (DeleteLead(lead.id, lead.version),), (event,))
