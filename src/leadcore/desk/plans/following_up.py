"""Following up a lead (跟进): the follow-up record, and what it changes on the lead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar, cast

import attrs

from leadcore import checks
from leadcore.cadence import CadencePlan, DueDate
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.events import Event, EventKind
from leadcore.lifecycle import step
from leadcore.model import (
    Action,
    Attachment,
    Emotion,
    FollowUp,
    FollowUpMethod,
    Lead,
    Pool,
    Priority,
)

from ..outcome import AddFollowUp, Outcome
from ..reads import Reads, Subject
from .common import FURTHEST_AHEAD, LeadCommand, ScoredSubject, load_scored, rescored_step

__all__ = ["RecordFollowUp"]

_MAX_DURATION = timedelta(days=7)
_MOST_ATTACHMENTS = 100
"""The most attachments one follow-up carries (a call's recordings, a visit's photos)."""


@attrs.frozen(slots=True)
class FollowUpFacts:
    """A follow-up's subject with the lead's activities, and the new record."""

    scored: ScoredSubject
    record: FollowUp


@attrs.frozen(kw_only=True)
class RecordFollowUp(LeadCommand):
    """Record one contact with the prospect. Required: ``method``, ``content``, ``result``.
    The lead moves to 跟进中 and its SLA clock restarts; its next due date becomes
    ``next_follow_up_at``, else the date the pool's cadence gives; its sales ``stage`` (one of
    the pool's) is set when given. ``at`` (default: now) may not be in the future; mentioned
    users must be active users other than the author and are notified (a ``mentioned``
    event), which grants them nothing; at most 100 attachments, each file once. The
    first follow-up records the lead's response time. ``at`` may not be before the lead was
    created; a record logged late (``at`` before the lead's latest follow-up) is kept as
    history but leaves the next due date and the stage as the later follow-up set them (its
    event says so under ``late``), and one dated before the stage last changed leaves that
    stage (under ``stage_kept``)."""

    action: ClassVar[Action] = Action.FOLLOW_UP
    method: object = None
    content: object = None
    result: object = None
    at: object = None
    duration: object = None
    customer_needs: object = None
    next_step: object = None
    next_follow_up_at: object = None
    emotion: object = None
    priority: object = None
    attachments: object = ()
    mentions: object = ()
    stage: object = None

    def load(self, reads: Reads) -> FollowUpFacts:
        """The subject, its activities (to re-score) and the record, checked before it takes
        a fresh id: a refusal takes none, so a counter's ids stay without gaps (a restarted
        desk resumes past the ids in use, assuming none)."""
        scored = load_scored(self, reads)
        self.require(scored.subject)
        values = self._values(scored.subject)
        record = FollowUp(
            id=reads.new_id("follow_up"),
            lead_id=scored.subject.lead.id,
            author_id=scored.subject.actor.id,
            **values,  # type: ignore[arg-type]
        )
        return FollowUpFacts(scored, record)

    def decide(self, facts: FollowUpFacts) -> None:
        """Lifecycle and policy allow following up (checked as the facts were loaded)."""

    def plan(self, facts: FollowUpFacts) -> Outcome[FollowUp]:
        """The record, the lead moved on and re-scored, and a ``followed_up`` event."""
        s = facts.scored.subject
        record = facts.record
        lead = s.lead
        latest = lead.last_followed_at
        late = latest is not None and record.at < latest
        stage, kept = _stage_after(record, lead, late=late)
        changes: dict[str, object] = {
            "updated_at": s.now,
            "last_followed_at": max(record.at, latest or record.at),
            "stage": stage,
            "first_followed_at": min(record.at, lead.first_followed_at or record.at),
        }
        if stage != lead.stage:
            changes["stage_changed_at"] = record.at
        data: dict[str, object] = {
            "follow_up_id": record.id,
            "method": record.method.value,
            "mentions": sorted(record.mentions),
        }
        if kept is not None:
            data["stage_kept"] = kept
        if late and latest is not None:
            data["late"] = {
                "latest_at": latest.isoformat(),
                "reason": "recorded after a later follow-up, which keeps the next due date "
                "and the stage",
            }
        else:
            changes["next_due_at"] = record.next_follow_up_at
        if not late and record.at >= (lead.assigned_at or lead.created_at):
            # A new SLA period begins, even at the instant the last one did: no step of the
            # old one counts as done in it.
            changes.update(sla_period=None, sla_steps=())
        if lead.first_followed_at is None or record.at < lead.first_followed_at:
            # The lead's first follow-up, even one logged late: the response time is its.
            waited = max(record.at - lead.created_at, timedelta(0))
            data["response_seconds"] = waited // timedelta(seconds=1)
        due = _cadence_due(self.setup.sla_of(s.pool).cadence, record, lead.grade, stage)
        if not late and record.next_follow_up_at is None and due is not None:
            changes["next_due_at"] = due.at
            data["next_due"] = {"at": due.at.isoformat(), "reason": due.reason}
        done = step(
            lead,
            Action.FOLLOW_UP,
            actor_id=s.actor.id,
            at=record.at,
            changes=changes,
            data=data,
        )
        done, mql = rescored_step(self.setup, facts.scored, done)
        mentioned = _mentioned(record, lead, s.actor.id, s.now)
        saved = Outcome.of_step(
            done, lead.version, *mql, *mentioned, records=(AddFollowUp(record),)
        )
        return saved.with_value(record)

    def _values(self, s: Subject) -> dict[str, object]:
        """The follow-up record's fields, or ``ValidationError`` naming every bad argument."""
        problems: list[FieldProblem] = []

        values: dict[str, object] = {}
        for required in ("method", "content", "result"):
            if getattr(self, required) is None:
                problems.append(FieldProblem(required, "is required"))
        for name, clean in (
            ("method", lambda: checks.choice(FollowUpMethod, self.method, "method")),
            (
                "content",
                lambda: checks.text(
                    self.content, "content", max_len=checks.MAX_LONG_TEXT, long=True
                ),
            ),
            ("result", lambda: checks.text(self.result, "result", max_len=checks.MAX_TEXT)),
            ("at", lambda: s.now if self.at is None else checks.aware(self.at, "at")),
            ("duration", lambda: _duration(self.duration)),
            (
                "customer_needs",
                lambda: checks.optional_text(
                    self.customer_needs, "customer_needs", max_len=checks.MAX_LONG_TEXT, long=True
                ),
            ),
            (
                "next_step",
                lambda: checks.optional_text(self.next_step, "next_step", max_len=1000, long=True),
            ),
            (
                "next_follow_up_at",
                lambda: _next_date(self.next_follow_up_at, s.now),
            ),
            (
                "emotion",
                lambda: (
                    None
                    if self.emotion is None
                    else checks.choice(Emotion, self.emotion, "emotion")
                ),
            ),
            (
                "priority",
                lambda: (
                    None
                    if self.priority is None
                    else checks.choice(Priority, self.priority, "priority")
                ),
            ),
            ("attachments", lambda: _attachments(self.attachments)),
            ("mentions", lambda: _mentions(self.mentions)),
            ("stage", lambda: checks.optional_text(self.stage, "stage")),
        ):
            if name in ("method", "content", "result") and getattr(self, name) is None:
                continue
            try:
                values[name] = clean()
            except ValidationError as e:
                problems.extend(e.problems)
        when = values.get("at")
        if isinstance(when, datetime) and when > s.now:
            problems.append(FieldProblem("at", "must not be in the future"))
        elif isinstance(when, datetime) and when < s.lead.created_at:
            problems.append(
                FieldProblem(
                    "at",
                    "must not be before the lead was created "
                    f"({s.lead.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)",
                )
            )
        due = values.get("next_follow_up_at")
        if isinstance(due, datetime) and isinstance(when, datetime) and due < when:
            problems.append(
                FieldProblem("next_follow_up_at", "must not be before the follow-up itself")
            )
        stage = values.get("stage")
        if stage is not None and stage not in s.pool.sales_stages:
            problems.append(FieldProblem("stage", _stage_problem(s.pool)))
        mentions = values.pop("mentions", None)
        if isinstance(mentions, tuple):
            problems.extend(self._mention_problems(mentions, s.actor.id))
            values["mentions"] = frozenset(mentions)
        if problems:
            raise ValidationError(problems, subject="follow-up")
        return values

    def _mention_problems(self, mentions: tuple[str, ...], author_id: str) -> list[FieldProblem]:
        """Why each mentioned user cannot be mentioned: unknown, deactivated, or the author
        (mentioning oneself brings no one in)."""
        problems = []
        for i, user_id in enumerate(mentions):
            active = _active(self, user_id)
            if active is None:
                problems.append(FieldProblem("mentions", f"no user {user_id!r}"))
            elif not active:
                problems.append(
                    FieldProblem(
                        f"mentions[{i}]", f"{user_id!r} is deactivated; mention an active user"
                    )
                )
            elif user_id == author_id:
                problems.append(
                    FieldProblem(
                        f"mentions[{i}]",
                        f"{user_id!r} is the author; mention a colleague to bring them in",
                    )
                )
        return problems


def _stage_problem(pool: Pool) -> str:
    """What to give as ``stage`` in ``pool``: one of its sales stages, or none at all."""
    if not pool.sales_stages:
        return f"pool {pool.name} has no sales stages; leave stage out"
    return f"must be one of the pool's stages: {', '.join(pool.sales_stages)}"


def _stage_after(
    record: FollowUp, lead: Lead, *, late: bool
) -> tuple[str | None, dict[str, object] | None]:
    """The lead's stage after ``record``, and why a stage the record names was not taken
    when it changed since: a record logged late keeps the stage the later follow-up left, and
    one dated before the stage last changed (an edit, another follow-up) keeps that stage."""
    if record.stage is None or late:
        return lead.stage, None
    changed = lead.stage_changed_at
    if changed is None or record.at >= changed or record.stage == lead.stage:
        return record.stage, None
    return lead.stage, {
        "stage": lead.stage,
        "changed_at": changed.isoformat(),
        "reason": "the stage changed after this follow-up, which keeps it",
    }


def _cadence_due(
    plan: CadencePlan | None, record: FollowUp, grade: str | None, stage: str | None
) -> DueDate | None:
    """The pool's cadence for the next follow-up (a stage the plan does not list counts as
    none)."""
    if plan is None:
        return None
    known = stage if stage is None or not plan.stages or stage in plan.stages else None
    return plan.due_after(record, grade=grade, stage=known)


def _mentioned(record: FollowUp, lead: Lead, actor_id: str, now: datetime) -> tuple[Event, ...]:
    """The notice to the users @-mentioned in the record (it grants them nothing)."""
    if not record.mentions:
        return ()
    event = Event(
        EventKind.MENTIONED,
        now,
        actor_id,
        lead_id=lead.id,
        pool_id=lead.pool_id,
        data={"follow_up_id": record.id, "recipients": sorted(record.mentions)},
    )
    return (event,)


def _mentions(value: object) -> tuple[str, ...]:
    """The mentioned user ids in the order given (a list, tuple…, never one ``str``)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        checks.identifiers(value, "mentions")  # refuses it, saying what would be right
    return tuple(checks.each_item(checks.identifier, cast("Iterable[object]", value), "mentions"))


def _active(command: RecordFollowUp, user_id: str) -> bool | None:
    """Whether the user is active (None: there is no such user)."""
    try:
        return command.setup.org.user(user_id).active
    except NotFound:
        return None


def _duration(value: object) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise ValidationError(
            [FieldProblem("duration", f"must be a timedelta, not {type(value).__name__}")]
        )
    if not timedelta(0) <= value <= _MAX_DURATION:
        raise ValidationError(
            [FieldProblem("duration", "must be between 0 and 7 days (e.g. timedelta(minutes=15))")]
        )
    return value


def _attachments(value: object) -> tuple[Attachment, ...]:
    """At most ``_MOST_ATTACHMENTS`` attachments, in order, each file (``ref``) once."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | tuple | list):
        raise ValidationError(
            [FieldProblem("attachments", "must be a list of Attachment(kind, ref, name)")]
        )
    if len(value) > _MOST_ATTACHMENTS:
        raise ValidationError(
            [
                FieldProblem(
                    "attachments",
                    f"must be at most {_MOST_ATTACHMENTS} attachments, not {len(value)}",
                )
            ]
        )
    found: dict[str, int] = {}
    for i, item in enumerate(value):
        if not isinstance(item, Attachment):
            raise ValidationError(
                [FieldProblem(f"attachments[{i}]", "must be an Attachment(kind, ref, name)")]
            )
        first = found.setdefault(item.ref, i)
        if first != i:
            raise ValidationError(
                [
                    FieldProblem(
                        f"attachments[{i}]",
                        f"repeats attachments[{first}] ({item.ref!r:.60}); attach a file once",
                    )
                ]
            )
    return tuple(cast("Sequence[Attachment]", value))


def _next_date(value: object, now: datetime) -> datetime | None:
    """The next follow-up's date: a timezone-aware moment at most five years ahead (a pool's
    clocks and lists reckon from it, and a date centuries away is a typo)."""
    at = checks.optional_aware(value, "next_follow_up_at")
    if at is not None and at > now + FURTHEST_AHEAD:
        raise ValidationError(
            [
                FieldProblem(
                    "next_follow_up_at", f"must be at most five years ahead, not {at:%Y-%m-%d}"
                )
            ]
        )
    return at
