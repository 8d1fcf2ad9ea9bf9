"""Lead records on the desk: create, edit, delete, follow-ups, collaborators and followers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from leadcore.clock import ensure_aware
from leadcore.desk.base import DeskBase, Loaded, contact_fields
from leadcore.errors import (
    FieldProblem,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import EventKind, FieldChange, diff_fields
from leadcore.intake import clean_lead_fields
from leadcore.lifecycle import transition
from leadcore.model import (
    Action,
    Attachment,
    Emotion,
    FollowUp,
    FollowUpMethod,
    Lead,
    Priority,
)

__all__ = ["RecordOps"]


class RecordOps(DeskBase):
    """Creating, editing and deleting leads; follow-ups; collaborators and followers."""

    def create(
        self,
        actor_id: str,
        pool_id: str,
        *,
        custom_fields: Mapping[str, object] | None = None,
        **fields: Any,
    ) -> Lead:
        """Create a lead in a pool and give it its first owner by the pool's rules (SPEC §2.1).

        Pool off: the creator owns it. On: the pool's default owner, else its auto-assign
        strategy's choice, else nobody (unassigned) until a pool admin assigns it.
        Raises ``ValidationError`` (every bad field at once), ``PermissionDenied``, ``NotFound``.
        """
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            pool = uow.get_pool(pool_id)
            decision = self.policy.decide(actor, Action.CREATE, None, pool, org=self.org, now=now)
            if not decision.allowed:
                raise PermissionDenied(
                    actor.id, "create", f"a lead in pool {pool_id!r}", decision.reason
                )
            clean = clean_lead_fields(
                fields,
                rules=self.rules,
                pool=pool,
                custom_fields=self.custom_fields,
                custom_values=custom_fields if custom_fields is not None else {},
            )
            if "stage" in clean:
                raise ValidationError([FieldProblem("stage", "a new lead has no sales stage yet")])
            lead = Lead(
                id=self._ids(),
                pool_id=pool.id,
                created_by=actor.id,
                created_at=now,
                updated_at=now,
                **clean,
            )
            op = Loaded(uow, actor, lead, pool, now)
            lead = op.lead = self._scored(op, lead)
            events = [
                self._event(op, EventKind.LEAD_CREATED, lead, changes=diff_fields(None, lead))
            ]
            first_owner = self._first_owner(op)
            stored_lead = lead
            if first_owner is not None:
                owner_id, how = first_owner
                stored_lead = self._hand_to(op, owner_id)
                events.append(
                    self._event(op, EventKind.ASSIGNED, stored_lead, reason=how[0], data=how[1])
                )
            saved = uow.add_lead(stored_lead)
            uow.append_events([*events, *op.extra_events])
            uow.commit()
            return saved

    def edit(
        self,
        actor_id: str,
        lead_id: str,
        *,
        expected_version: int | None = None,
        custom_fields: Mapping[str, object] | None = None,
        **fields: Any,
    ) -> Lead:
        """Change a lead's details. Only the fields given change; a custom field set to None is
        removed. Editing to the same values writes nothing and returns the lead as it is."""

        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, expected_version)
            self._require(op, Action.EDIT)
            lead = op.lead
            current = {name: getattr(lead, name) for name in fields if hasattr(lead, name)}
            clean = clean_lead_fields(
                fields,
                rules=self.rules,
                pool=op.pool,
                custom_fields=self.custom_fields,
                custom_values=None
                if custom_fields is None
                else {k: v for k, v in custom_fields.items() if v is not None},
                current={**contact_fields(lead), **current},
            )
            if clean.get("stage") is not None and clean["stage"] not in op.pool.sales_stages:
                raise ValidationError(
                    [
                        FieldProblem(
                            "stage",
                            f"must be one of the pool's stages: {', '.join(op.pool.sales_stages)}",
                        )
                    ]
                )
            if custom_fields is not None:
                merged = {**lead.custom_fields, **clean.get("custom_fields", {})}
                for name, value in custom_fields.items():
                    if value is None:
                        merged.pop(name, None)
                clean["custom_fields"] = merged
            new = attrs.evolve(lead, **clean)
            if not diff_fields(lead, new):
                return lead
            new = self._scored(op, attrs.evolve(new, updated_at=op.now))
            saved = uow.save_lead(new, expected_version=lead.version)
            uow.append_events([self._event(op, EventKind.LEAD_EDITED, saved), *op.extra_events])
            uow.commit()
            return saved

    def delete(self, actor_id: str, lead_id: str, *, expected_version: int | None = None) -> None:
        """Delete a lead and its follow-ups; the event keeps every field's last value."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, expected_version)
            self._require(op, Action.DELETE)
            uow.delete_lead(lead_id, expected_version=op.lead.version)
            gone = tuple(FieldChange(c.field, c.after, None) for c in diff_fields(None, op.lead))
            uow.append_events([self._event(op, EventKind.LEAD_DELETED, op.lead, changes=gone)])
            uow.commit()

    def follow_up(
        self,
        actor_id: str,
        lead_id: str,
        *,
        method: FollowUpMethod | str,
        content: str,
        result: str,
        at: datetime | None = None,
        duration: timedelta | None = None,
        customer_needs: str | None = None,
        next_step: str | None = None,
        next_follow_up_at: datetime | None = None,
        emotion: Emotion | None = None,
        priority: Priority | None = None,
        attachments: Sequence[Attachment] = (),
        mentions: Iterable[str] = (),
        stage: str | None = None,
    ) -> FollowUp:
        """Record a contact with the prospect (跟进). The lead moves to 跟进中, its next due date
        becomes ``next_follow_up_at``, and ``stage`` (one of the pool's sales stages) is set.
        ``at`` defaults to now and may not be in the future. Mentioned users must exist."""
        record_id = self._ids()
        saved_record: list[FollowUp] = []

        def change(op: Loaded) -> Lead:
            when = op.now if at is None else ensure_aware(at, "at")
            problems = []
            if when > op.now:
                problems.append(FieldProblem("at", "must not be in the future"))
            if stage is not None and stage not in op.pool.sales_stages:
                problems.append(
                    FieldProblem("stage", f"must be one of: {', '.join(op.pool.sales_stages)}")
                )
            for user_id in mentions:
                try:
                    self._user(user_id)
                except NotFound:
                    problems.append(FieldProblem("mentions", f"no user {user_id!r}"))
            kind = FollowUpMethod.PHONE
            try:
                kind = (
                    method if isinstance(method, FollowUpMethod) else FollowUpMethod.parse(method)
                )
            except ValueError as e:
                problems.append(FieldProblem("method", str(e)))
            if problems:
                raise ValidationError(problems, subject="follow-up")
            record = FollowUp(
                id=record_id,
                lead_id=op.lead.id,
                author_id=op.actor.id,
                at=when,
                method=kind,
                content=content,
                result=result,
                duration=duration,
                customer_needs=customer_needs,
                next_step=next_step,
                next_follow_up_at=None
                if next_follow_up_at is None
                else ensure_aware(next_follow_up_at, "next_follow_up_at"),
                emotion=emotion,
                priority=priority,
                attachments=tuple(attachments),
                mentions=frozenset(mentions),
                stage=stage,
            )
            saved_record.append(op.uow.add_follow_up(record))
            new = transition(op.lead, Action.FOLLOW_UP, at=when)
            return self._scored(
                op,
                attrs.evolve(
                    new,
                    updated_at=op.now,
                    last_followed_at=max(when, op.lead.last_followed_at or when),
                    next_due_at=record.next_follow_up_at,
                    stage=stage if stage is not None else op.lead.stage,
                ),
            )

        self._act(
            actor_id,
            lead_id,
            Action.FOLLOW_UP,
            change,
            kind=EventKind.FOLLOWED_UP,
            data=lambda op, lead: {
                "follow_up_id": record_id,
                "method": saved_record[0].method.value,
                "mentions": sorted(saved_record[0].mentions),
            },
        )
        return saved_record[0]

    def follow_ups(self, actor_id: str, lead_id: str) -> list[FollowUp]:
        """The lead's follow-up records, oldest first (needs view access)."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            return uow.follow_ups(lead_id)

    def add_collaborators(
        self, actor_id: str, lead_id: str, user_ids: Iterable[str], *, role: str | None = None
    ) -> Lead:
        """Add several collaborators at once (协作人), optionally with a named role such as
        ``"marketing_owner"`` whose rights the policy defines."""
        wanted = frozenset(user_ids)

        def change(op: Loaded) -> Lead:
            problems = []
            for user_id in sorted(wanted):
                try:
                    if not self._user(user_id).active:
                        problems.append(FieldProblem("user_ids", f"user {user_id!r} is inactive"))
                except NotFound:
                    problems.append(FieldProblem("user_ids", f"no user {user_id!r}"))
            if op.lead.owner_id in wanted:
                problems.append(FieldProblem("user_ids", f"{op.lead.owner_id!r} owns the lead"))
            if not wanted:
                problems.append(FieldProblem("user_ids", "name at least one user"))
            if problems:
                raise ValidationError(problems, subject="collaborators")
            roles = dict(op.lead.collaborator_roles)
            for user_id in wanted:
                if role is None:
                    roles.pop(user_id, None)
                else:
                    roles[user_id] = role
            return attrs.evolve(
                op.lead,
                collaborators=op.lead.collaborators | wanted,
                collaborator_roles=roles,
                updated_at=op.now,
            )

        return self._act(
            actor_id,
            lead_id,
            Action.MANAGE_COLLABORATORS,
            change,
            kind=EventKind.COLLABORATORS_CHANGED,
        )

    def remove_collaborators(self, actor_id: str, lead_id: str, user_ids: Iterable[str]) -> Lead:
        """Remove several collaborators at once; their rights on the lead end with it."""
        gone = frozenset(user_ids)

        def change(op: Loaded) -> Lead:
            roles = {u: r for u, r in op.lead.collaborator_roles.items() if u not in gone}
            return attrs.evolve(
                op.lead,
                collaborators=op.lead.collaborators - gone,
                collaborator_roles=roles,
                updated_at=op.now,
            )

        return self._act(
            actor_id,
            lead_id,
            Action.MANAGE_COLLABORATORS,
            change,
            kind=EventKind.COLLABORATORS_CHANGED,
        )

    def follow(self, actor_id: str, lead_id: str) -> Lead:
        """Watch a lead (关注); it then shows in the actor's "leads I follow"."""
        return self._act(
            actor_id,
            lead_id,
            Action.FOLLOW,
            lambda op: attrs.evolve(op.lead, followers=op.lead.followers | {op.actor.id}),
            kind=EventKind.FOLLOWERS_CHANGED,
        )

    def unfollow(self, actor_id: str, lead_id: str) -> Lead:
        """Stop watching a lead."""
        return self._act(
            actor_id,
            lead_id,
            Action.FOLLOW,
            lambda op: attrs.evolve(op.lead, followers=op.lead.followers - {op.actor.id}),
            kind=EventKind.FOLLOWERS_CHANGED,
        )
