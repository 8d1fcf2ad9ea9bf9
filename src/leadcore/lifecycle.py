"""The lead status machine as two tables, and the pure ``step`` that applies them.

``TRANSITIONS[status][action]`` is the status a lead moves to when ``action`` is taken from
``status``; an action missing from a status's row is refused with ``InvalidTransition``.
Merged leads allow nothing but viewing; converted ones only viewing and reopening. ``EVENT_OF[action]`` is the event the
action writes: ``step`` returns the lead after the action together with that event, so the
domain, not the caller, decides what is recorded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, TypedDict, Unpack

import attrs

from leadcore import checks
from leadcore.checks import MAX_ID, MAX_TEXT, text_problem
from leadcore.errors import FieldProblem, InvalidTransition, ValidationError
from leadcore.events import Event, EventKind, FieldChange, diff_fields
from leadcore.frozen import replace
from leadcore.model import Action, Lead, LeadStatus

__all__ = [
    "EVENT_OF",
    "TRANSITIONS",
    "Step",
    "allowed_actions",
    "next_status",
    "step",
    "transition",
    "transitions_markdown",
    "unheld",
]

_S = LeadStatus
_A = Action

# Status-changing moves every open (assigned or following) lead allows.
_OPEN_MOVES: Final[dict[Action, LeadStatus]] = {
    _A.FOLLOW_UP: _S.FOLLOWING,
    _A.RELEASE: _S.UNASSIGNED,
    _A.RETURN: _S.UNASSIGNED,
    _A.RECLAIM: _S.UNASSIGNED,
    _A.RECYCLE: _S.UNASSIGNED,
    _A.TRANSFER: _S.UNASSIGNED,
    _A.CONVERT: _S.CONVERTED,
    _A.INVALIDATE: _S.INVALID,
    _A.CLOSE_LOST: _S.CLOSED_LOST,
    _A.MERGE: _S.MERGED,
}
# Actions that leave an open lead in the status it has.
_OPEN_STAYS: Final = (
    _A.VIEW,
    _A.EDIT,
    _A.FOLLOW,
    _A.MANAGE_COLLABORATORS,
    _A.CHANGE_OWNER,
    _A.RECORD_ACTIVITY,
    _A.ACCEPT_SQL,
)


def _open_row(status: LeadStatus) -> dict[Action, LeadStatus]:
    return {**dict.fromkeys(_OPEN_STAYS, status), **_OPEN_MOVES}


def _closed_row(status: LeadStatus) -> dict[Action, LeadStatus]:
    return {
        _A.VIEW: status,
        _A.EDIT: status,
        _A.FOLLOW: status,
        _A.DELETE: status,
        _A.REOPEN: _S.UNASSIGNED,
        _A.MERGE: _S.MERGED,
    }


TRANSITIONS: Final[Mapping[LeadStatus, Mapping[Action, LeadStatus]]] = MappingProxyType(
    {
        _S.UNASSIGNED: MappingProxyType(
            {
                _A.VIEW: _S.UNASSIGNED,
                _A.EDIT: _S.UNASSIGNED,
                _A.FOLLOW: _S.UNASSIGNED,
                _A.RECORD_ACTIVITY: _S.UNASSIGNED,
                _A.DELETE: _S.UNASSIGNED,
                _A.TRANSFER: _S.UNASSIGNED,
                _A.ASSIGN: _S.ASSIGNED,
                _A.CLAIM: _S.ASSIGNED,
                _A.INVALIDATE: _S.INVALID,
                _A.MERGE: _S.MERGED,
            }
        ),
        _S.ASSIGNED: MappingProxyType(_open_row(_S.ASSIGNED)),
        _S.FOLLOWING: MappingProxyType(_open_row(_S.FOLLOWING)),
        _S.INVALID: MappingProxyType(_closed_row(_S.INVALID)),
        _S.CLOSED_LOST: MappingProxyType(_closed_row(_S.CLOSED_LOST)),
        # A conversion made by mistake is reopened back to following up (or to what it was:
        # the reopen plan restores "to follow up" when the lead had not been followed up).
        _S.CONVERTED: MappingProxyType({_A.VIEW: _S.CONVERTED, _A.REOPEN: _S.FOLLOWING}),
        _S.MERGED: MappingProxyType({_A.VIEW: _S.MERGED}),
    }
)

_K = EventKind

EVENT_OF: Final[Mapping[Action, EventKind]] = MappingProxyType(
    {
        _A.CREATE: _K.LEAD_CREATED,
        _A.EDIT: _K.LEAD_EDITED,
        _A.DELETE: _K.LEAD_DELETED,
        _A.ASSIGN: _K.ASSIGNED,
        _A.CLAIM: _K.CLAIMED,
        _A.RECLAIM: _K.RECLAIMED,
        _A.RELEASE: _K.RELEASED,
        _A.RETURN: _K.RETURNED,
        _A.RECYCLE: _K.RECYCLED,
        _A.CHANGE_OWNER: _K.OWNER_CHANGED,
        _A.TRANSFER: _K.TRANSFERRED,
        _A.FOLLOW_UP: _K.FOLLOWED_UP,
        _A.CONVERT: _K.CONVERTED,
        _A.INVALIDATE: _K.INVALIDATED,
        _A.CLOSE_LOST: _K.CLOSED_LOST,
        _A.REOPEN: _K.REOPENED,
        _A.MERGE: _K.MERGED,
        _A.MANAGE_COLLABORATORS: _K.COLLABORATORS_CHANGED,
        _A.FOLLOW: _K.FOLLOWERS_CHANGED,
        _A.RECORD_ACTIVITY: _K.ACTIVITY_RECORDED,
        _A.ACCEPT_SQL: _K.SQL_ACCEPTED,
        _A.CONFIGURE_POOL: _K.POOL_CHANGED,
    }
)
"""The event each action writes (viewing writes none)."""

_NEEDS_OWNER: Final = frozenset({_A.ASSIGN, _A.CLAIM, _A.CHANGE_OWNER})
_NEEDS_REASON: Final = frozenset({_A.RETURN, _A.INVALIDATE, _A.CLOSE_LOST})


def allowed_actions(status: LeadStatus) -> frozenset[Action]:
    """The actions the lifecycle allows from ``status`` (a member, its value or a label;
    permissions are a separate question)."""
    if type(status) is not LeadStatus:
        status = checks.choice(LeadStatus, status, "status")
    return frozenset(TRANSITIONS[status])


def next_status(lead: Lead, action: Action) -> LeadStatus:
    """The status ``lead`` moves to under ``action``; raises ``InvalidTransition`` if not allowed
    (and ``ValidationError`` for what is not a lead or not an action)."""
    if type(action) is not Action:
        action = _action(action)
    if not isinstance(lead, Lead):
        raise ValidationError([FieldProblem("lead", f"must be a Lead, not {_kind(lead)}")])
    row = TRANSITIONS[lead.status]
    try:
        return row[action]
    except KeyError:
        raise InvalidTransition(
            lead.id, lead.status.value, action, (a.value for a in row)
        ) from None


class Move(TypedDict, total=False):
    """What an action needs beyond the lead and the time: the new owner (assign, claim, change
    owner), a reason (return, invalidate, close as lost), the target pool (transfer), the
    surviving lead (merge), the customer (convert), and any further field ``changes`` the
    caller makes in the same step."""

    owner_id: str | None
    department_id: str | None
    reason: str | None
    pool_id: str | None
    merged_into: str | None
    customer_id: str | None
    changes: Mapping[str, Any] | None


def transition(lead: Lead, action: Action, *, at: datetime, **move: Unpack[Move]) -> Lead:
    """Return the lead as it is after ``action`` at time ``at``, with any further field
    ``changes`` the caller makes in the same step (one new version). Pure: the input is
    unchanged.

    Raises ``InvalidTransition`` if the lifecycle forbids the action from the lead's status, and
    ``ValidationError`` naming the missing argument: ``owner_id`` for assign/claim/change owner,
    ``reason`` for return/invalidate/close-lost, ``pool_id`` for transfer, ``merged_into`` for
    merge, ``customer_id`` for convert; or naming a bad one: a lead that is not a ``Lead``, an
    action that is not an ``Action``, a zone-less ``at``, an id that is not one, an argument
    no move takes, a change to a field a lead does not have.
    """
    action, at = _checked_call(lead, action, at)
    return _moved(lead, action, at, move)


def unheld(lead: Lead) -> dict[str, Any]:
    """The fields that change when ``lead`` goes back to its pool and nobody holds it: no
    owner, department, due date, stage or closing reason; its protection from recycling ends
    with the hold, and the people its owner worked with on it lose their access with the owner
    (access ends when its reason ends)."""
    fields: dict[str, Any] = {
        "status": _S.UNASSIGNED,
        "owner_id": None,
        "department_id": None,
        "assigned_at": None,
        "next_due_at": None,
        "stage": None,
        "lost_reason": None,
        "invalid_reason": None,
        "protected_until": None,
    }
    if lead.collaborators or lead.collaborator_roles:
        fields.update(collaborators=frozenset(), collaborator_roles={})
    return fields


def _moved(lead: Lead, action: Action, at: datetime, move: Move) -> Lead:
    """:func:`transition` of a checked lead, action and time."""
    row = TRANSITIONS[lead.status]
    target = row.get(action)
    if target is None:
        raise InvalidTransition(lead.id, lead.status.value, action, (a.value for a in row))
    problems = [*_argument_problems(action, move), *_missing_arguments(lead, action, move)]
    if problems:
        raise ValidationError(problems, subject=f"{action.value} of lead {lead.id!r}")
    moved: dict[str, Any] = {"updated_at": at}
    if target is not lead.status:
        moved["status"] = target
    if target is _S.UNASSIGNED and lead.status is not _S.UNASSIGNED:
        moved.update(unheld(lead))
    if action in _NEEDS_OWNER:
        moved.update(
            owner_id=move.get("owner_id"), department_id=move.get("department_id"), assigned_at=at
        )
    if (lead.sla_period is not None or lead.sla_steps) and (
        action in _NEEDS_OWNER or "owner_id" in moved
    ):
        # A hand-out, or a lead going back unassigned, ends its SLA period: the next one
        # starts with no steps done, even at the very instant the last one began.
        moved.update(sla_period=None, sla_steps=())
    match action:
        case _A.FOLLOW_UP:
            moved["last_followed_at"] = at
        case _A.TRANSFER:
            moved["pool_id"] = move.get("pool_id")
        case _A.INVALIDATE:
            # A decided lead is due for no follow-up: it leaves every "due" list and export.
            moved.update(invalid_reason=move.get("reason"), next_due_at=None)
        case _A.CLOSE_LOST:
            moved.update(lost_reason=move.get("reason"), next_due_at=None)
        case _A.MERGE:
            # Its follow-ups go on in the survivor (the event keeps the date for an unmerge).
            moved.update(merged_into=move.get("merged_into"), next_due_at=None)
        case _A.CONVERT:
            # Its follow-ups go on with the customer (the event keeps the date for a reopen).
            moved.update(converted_customer_id=move.get("customer_id"), next_due_at=None)
        case _A.REOPEN if lead.status is _S.CONVERTED:
            moved["converted_customer_id"] = None
        case _:
            pass
    changes = move.get("changes")
    if changes:
        moved.update(changes)
    return replace(lead, **moved)


@attrs.frozen(slots=True)
class Step:
    """A lead after an action (at its next version) and the event that records the action."""

    lead: Lead
    event: Event


def step(
    lead: Lead,
    action: Action,
    *,
    actor_id: str,
    at: datetime,
    data: Mapping[str, object] | None = None,
    audited: tuple[FieldChange, ...] | None = None,
    **move: Unpack[Move],
) -> Step:
    """Take ``action`` on ``lead`` at ``at`` by ``actor_id``: the lead at its next version with
    the lifecycle's move and the caller's further ``changes``, and the ``EVENT_OF[action]``
    event with every changed field (or the ``audited`` changes given), the reason and ``data``.

    Raises like :func:`transition`, and ``ValidationError`` for an ``actor_id`` that is not an
    id."""
    action, at = _checked_call(lead, action, at)
    assert isinstance(lead, Lead)
    actor_id = checks.identifier(actor_id, "actor_id")
    extra = move.get("changes")
    versioned: Move = {
        **move,
        "changes": {"version": lead.version + 1, **(extra or {})}
        if extra is None or isinstance(extra, Mapping)
        else extra,  # refused by ``transition``, naming it
    }
    after = _moved(lead, action, at, versioned)
    event = Event.about(
        after,
        EVENT_OF[action],
        at,
        actor_id,
        changes=diff_fields(lead, after) if audited is None else audited,
        reason=move.get("reason"),
        data=data or {},
    )
    return Step(after, event)


_MOVE_ARGUMENTS: Final = frozenset(Move.__optional_keys__)
_LEAD_FIELDS: Final = frozenset(attrs.fields_dict(Lead))
_ID_ARGUMENTS: Final[Mapping[str, frozenset[Action]]] = MappingProxyType(
    {
        "owner_id": _NEEDS_OWNER,
        "department_id": _NEEDS_OWNER,
        "pool_id": frozenset({_A.TRANSFER}),
        "merged_into": frozenset({_A.MERGE}),
        "customer_id": frozenset({_A.CONVERT}),
    }
)
"""Each id a move may carry, and the actions that use it."""


def _kind(value: object) -> str:
    return type(value).__name__


def _action(value: object) -> Action:
    return checks.choice(Action, value, "action")


def _checked_call(lead: object, action: object, at: object) -> tuple[Action, datetime]:
    """The action as a member and ``at`` in UTC; ``ValidationError`` naming a lead that is not
    a ``Lead``, an action that is not an ``Action``, an ``at`` that is not an aware datetime."""
    problems = []
    if not isinstance(lead, Lead):
        problems.append(FieldProblem("lead", f"must be a Lead, not {_kind(lead)}"))
    if type(action) is not Action:
        try:
            action = _action(action)
        except ValidationError as e:
            problems.extend(e.problems)
    if not (type(at) is datetime and at.tzinfo is UTC):
        try:
            at = checks.aware(at, "at")
        except ValidationError as e:
            problems.extend(e.problems)
    if problems:
        raise ValidationError(problems, subject="transition")
    assert isinstance(action, Action) and isinstance(at, datetime)
    return action, at


def _argument_problems(action: Action, move: Mapping[str, object]) -> list[FieldProblem]:
    """Arguments no move takes, ids ``action`` uses that are not ids, and changes to fields a
    lead does not have (read in one pass: every step comes here)."""
    problems: list[FieldProblem] = []
    for name, value in move.items():
        if name == "changes":
            problems += _change_problems(value)
        elif name in _ID_ARGUMENTS:
            # An id the action uses is checked when given (a missing one is said elsewhere, but
            # the department is optional: "" is a bad one); one it does not use is left alone,
            # as every argument a move does not use is.
            given = value is not None if name == "department_id" else bool(value)
            if given and action in _ID_ARGUMENTS[name] and (problem := _id_problem(value)):
                problems.append(FieldProblem(name, problem))
        elif name not in _MOVE_ARGUMENTS:
            known = ", ".join(sorted(_MOVE_ARGUMENTS))
            problems.append(FieldProblem(name, f"is not an argument of a move; known: {known}"))
    return problems


def _change_problems(changes: object) -> list[FieldProblem]:
    if changes is None:
        return []
    if not isinstance(changes, Mapping):
        reason = f"must be a mapping of lead fields to values, not {_kind(changes)}"
        return [FieldProblem("changes", reason)]
    if _LEAD_FIELDS.issuperset(changes):
        return []
    return [
        FieldProblem(f"changes.{name}", "is not a field of a lead")
        for name in changes
        if name not in _LEAD_FIELDS
    ]


def _id_problem(value: object) -> str | None:
    if (
        type(value) is str
        and 0 < len(value) <= MAX_ID
        and value.isascii()
        and value.isprintable()
        and value.strip() == value
    ):
        return None  # the common case: a plain id, as counters and UUIDs make
    return checks.id_problem(value)


def _missing_arguments(lead: Lead, action: Action, move: Move) -> list[FieldProblem]:
    problems = []
    if action in _NEEDS_OWNER and not move.get("owner_id"):
        problems.append(FieldProblem("owner_id", f"{action.value} needs the new owner"))
    reason = move.get("reason")
    if reason is not None and not isinstance(reason, str):
        problems.append(FieldProblem("reason", f"must be text, not {type(reason).__name__}"))
        reason = None
    elif reason is not None and (problem := _reason_problem(reason)) is not None:
        problems.append(FieldProblem("reason", problem))
    if action in _NEEDS_REASON and _blank(reason):
        problems.append(FieldProblem("reason", f"{action.value} needs a reason"))
    pool_id = move.get("pool_id")
    if action is _A.TRANSFER and (not pool_id or pool_id == lead.pool_id):
        problems.append(FieldProblem("pool_id", "transfer needs a different target pool"))
    if action is _A.MERGE and not move.get("merged_into"):
        problems.append(FieldProblem("merged_into", "merge needs the surviving lead's id"))
    if action is _A.CONVERT and not move.get("customer_id"):
        problems.append(FieldProblem("customer_id", "convert needs the customer's id"))
    return problems


def _blank(reason: str | None) -> bool:
    """Whether ``reason`` says nothing: none, or only spaces and invisible format characters
    (a zero-width space is no reason to return a lead)."""
    return not reason or all(c.isspace() or unicodedata.category(c) == "Cf" for c in reason)


def _reason_problem(reason: str) -> str | None:
    if len(reason) > MAX_TEXT:
        return f"must be at most {MAX_TEXT} characters, not {len(reason)}"
    return text_problem(reason, long=True)


def transitions_markdown() -> str:
    """The status machine as a Markdown table: each status, what keeps it, where it can move."""
    lines = [
        "| status | 中文 | actions that keep the status | moves (action → new status) |",
        "|---|---|---|---|",
    ]
    for status, row in TRANSITIONS.items():
        stays = ", ".join(a.value for a, to in row.items() if to is status)
        moves = ", ".join(f"{a.value} → {to.value}" for a, to in row.items() if to is not status)
        lines.append(f"| {status.value} | {status.label} | {stays} | {moves or '—'} |")
    return "\n".join(lines)
