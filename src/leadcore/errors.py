"""The exceptions leadcore raises.

Every error is a :class:`LeadcoreError`; each child also subclasses the builtin it resembles, so
``except LookupError`` in a host keeps working. Messages name the id, field or path at fault and
what would be right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

__all__ = [
    "AlreadyClaimed",
    "AlreadyExists",
    "ArgumentError",
    "ConcurrencyConflict",
    "ConfigError",
    "DuplicateLead",
    "FieldProblem",
    "InvalidTransition",
    "LeadcoreError",
    "LimitReached",
    "NotFound",
    "PermissionDenied",
    "ValidationError",
]


class LeadcoreError(Exception):
    """Root of every error leadcore raises on purpose.

    Every one pickles whole (its message and its attributes), so an error raised in a worker
    process reaches the parent as itself; Python's default would call the subclass's
    ``__init__`` with the message alone and fail."""

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(
    cls: type[LeadcoreError], args: tuple[object, ...], state: dict[str, object]
) -> LeadcoreError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


@attrs.frozen
class FieldProblem:
    """One thing wrong with one field: ``field`` is a dotted path, ``reason`` says what is right."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ValidationError(LeadcoreError, ValueError):
    """Raised when input data is wrong; carries *every* problem found, not just the first."""

    def __init__(self, problems: Iterable[FieldProblem], *, subject: str = "input") -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        self.subject = subject
        listed = "; ".join(str(p) for p in self.problems)
        super().__init__(f"invalid {subject}: {listed}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The paths of the fields at fault, in the order found."""
        return tuple(p.field for p in self.problems)


class ArgumentError(ValidationError, TypeError):
    """Raised when a call names an argument the method does not have (a misspelt keyword),
    leaves out one it needs, or passes too many: each problem names the argument (with the
    closest one the method has, for a misspelling). It is a ``TypeError`` too, as Python's own
    refusal of such a call is."""


class ConfigError(LeadcoreError, ValueError):
    """Raised when configuration (dicts, JSON, TOML) is malformed; names the path at fault."""

    def __init__(self, path: str, reason: str, problems: Iterable[FieldProblem] = ()) -> None:
        self.path = path
        self.reason = reason
        self.problems: tuple[FieldProblem, ...] = tuple(problems) or (FieldProblem(path, reason),)
        super().__init__(f"config {path}: {reason}")

    @classmethod
    def from_problems(cls, problems: Sequence[FieldProblem]) -> ConfigError:
        """One error for every problem found: named after the first path, listing the rest."""
        first = problems[0] if problems else FieldProblem("$", "is not valid")
        reason = "; ".join(
            p.reason if p.field == first.field else f"{p.field}: {p.reason}" for p in problems
        )
        return cls(first.field, reason, problems)


class NotFound(LeadcoreError, LookupError):
    """Raised when a lead, pool, follow-up, user or other record with the given id does not exist."""

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"{kind} {id!r} not found")


class NoOwnerFound(LeadcoreError, LookupError):
    """Raised when an assignment strategy declines to choose an owner for a lead; ``reason``
    says why (everyone away, over capacity, no rule matched) and ``excluded`` why each
    candidate was passed over."""

    def __init__(
        self, lead_id: str, strategy: str, reason: str, excluded: Mapping[str, str] | None = None
    ) -> None:
        self.lead_id = lead_id
        self.strategy = strategy
        self.reason = reason
        self.excluded = dict(excluded or {})
        passed_over = "; ".join(f"{user}: {why}" for user, why in sorted(self.excluded.items()))
        detail = f" ({passed_over})" if passed_over else ""
        super().__init__(
            f"lead {lead_id!r}: strategy {strategy!r} found no owner: {reason}{detail}"
        )


class PermissionDenied(LeadcoreError, PermissionError):
    """Raised when the actor may not perform the action; ``reason`` says why (shown to users)."""

    def __init__(self, actor_id: str, action: object, subject: str, reason: str) -> None:
        self.actor_id = actor_id
        self.action = str(action)
        self.subject = subject
        self.reason = reason
        phrase = getattr(action, "phrase", None)
        what = phrase(subject) if callable(phrase) else f"{action} {subject}".strip()
        super().__init__(f"{actor_id} may not {what}: {reason}")


class LimitReached(PermissionDenied):
    """Raised when a daily limit is used up (e.g. pool leads opened in detail): ``count`` of
    ``limit`` used, and when it resets (``resets_at``)."""

    def __init__(
        self,
        actor_id: str,
        action: object,
        subject: str,
        *,
        count: int,
        limit: int,
        resets_at: datetime,
    ) -> None:
        self.count = count
        self.limit = limit
        self.resets_at = resets_at
        reason = (
            f"{actor_id} has used {count} of {limit} today; the limit resets at "
            f"{resets_at:%Y-%m-%d %H:%M} UTC"
        )
        super().__init__(actor_id, action, subject, reason)


class InvalidTransition(LeadcoreError, ValueError):
    """Raised when an action is not allowed from the lead's current status (see lifecycle)."""

    def __init__(self, lead_id: str, status: str, action: object, allowed: Iterable[str]) -> None:
        self.lead_id = lead_id
        self.status = str(status)
        self.action = str(action)
        self.allowed = tuple(allowed)
        hint = ", ".join(self.allowed) if self.allowed else "none (the lead is read-only)"
        past = getattr(action, "past", None)
        what = f"be {past}" if isinstance(past, str) else f"take {self.action!r}"
        super().__init__(
            f"lead {lead_id!r} is in status {self.status!r}: it cannot {what}; allowed actions: {hint}"
        )


class ConcurrencyConflict(LeadcoreError, RuntimeError):
    """Raised when a save carries a stale version: someone else changed the record first."""

    def __init__(self, kind: str, id: str, expected: int, actual: int | None) -> None:
        self.kind = kind
        self.id = id
        self.expected = expected
        self.actual = actual
        now = "it was deleted" if actual is None else f"it is now at version {actual}"
        super().__init__(
            f"{kind} {id!r} changed concurrently: expected version {expected}, but {now}; "
            "reload and retry"
        )


class AlreadyClaimed(ConcurrencyConflict):
    """Raised when a claim (抢单) comes too late: the lead already has an owner. ``owner_id``
    names them only when the claimer may see the lead; otherwise nothing about it is said."""

    def __init__(self, lead_id: str, owner_id: str | None = None) -> None:
        self.kind = "lead"
        self.id = lead_id
        self.lead_id = lead_id
        self.owner_id = owner_id
        self.expected = 0
        self.actual = None
        by = f" by {owner_id}" if owner_id else ""
        LeadcoreError.__init__(
            self, f"lead {lead_id!r} is already owned{by}; it is no longer waiting in the pool"
        )


class AlreadyExists(LeadcoreError, ValueError):
    """Raised when a record is added with an id that another record of its kind already has."""

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"{kind} {id!r} already exists; use a fresh id")


class DuplicateLead(AlreadyExists):
    """Raised when a lead with the same id, or (on dedup checks) the same phone, email,
    company or WeChat id, already exists; ``existing_id`` names the lead that is already there.

    When the actor may not view that lead, ``existing_id`` is None and the error says only
    whose it is (``owner_id``) and the matching detail masked (``value``: ``138****8000``).
    ``attached`` is True when the pool's duplicate policy added the new details to the
    existing lead as an activity instead of creating a lead (that write has landed).
    ``match`` carries the full match description when a dedup check raised it."""

    def __init__(
        self,
        field: str,
        value: str,
        existing_id: str | None,
        *,
        owner_id: str | None = None,
        attached: bool = False,
        match: object = None,
    ) -> None:
        self.field = field
        self.value = value
        self.existing_id = existing_id
        self.owner_id = owner_id
        self.attached = attached
        self.match = match
        if existing_id is None:
            whose = f"owned by {owner_id}" if owner_id else "unassigned"
            found = f"a lead with {field} {value} already exists ({whose}; you may not view it)"
        else:
            found = f"a lead with {field} {value!r} already exists: {existing_id!r}"
        done = "; the new details were added to it as an activity" if attached else ""
        LeadcoreError.__init__(self, found + done)
        self.kind = "lead"
        self.id = existing_id or ""
