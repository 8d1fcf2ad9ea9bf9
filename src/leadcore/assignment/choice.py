"""What a strategy decides (``Choice``) and the team it picks among (``Team``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Self

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.jsonvalue import JSONValue
from leadcore.signatures import checked_constructor

__all__ = ["Choice", "Team", "TeamUsers", "decline", "state_key", "user_list", "whole_numbers"]

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})
_EMPTY_STATE: Final[Mapping[str, JSONValue]] = MappingProxyType({})


def _reasons(value: Any) -> Mapping[str, str]:
    """A read-only map of user id to why it was left out (``excluded``). Its entries go into
    the assignment event as they are (each one tested here would cost more than the choice
    itself, on every assignment of a large team)."""
    if type(value) in _MAPPINGS or isinstance(value, Mapping):
        return frozen_mapping(value)
    raise _not_a_mapping("excluded", value)


def _freeze_state(value: Any) -> Mapping[str, JSONValue]:
    """A read-only map of state key to JSON value (the values are checked as they are
    written)."""
    if type(value) not in _MAPPINGS and not isinstance(value, Mapping):
        raise _not_a_mapping("state_updates", value)
    found: Mapping[Any, JSONValue] = frozen_mapping(value)
    if checks.all_text(found):
        return found
    bad = [k for k in found if not isinstance(k, str)]
    raise _wrong(f"state_updates[{checks.shown(bad[0])}]", "a state key must be text")


# Both converters test the type in place rather than through one helper: a Choice is made for
# every lead assigned, twice under a router, and each call saved shows in the assignment rate.
_MAPPINGS: Final = frozenset({dict, MappingProxyType})


def _not_a_mapping(field: str, value: object) -> ValidationError:
    return _wrong(field, f"must be a mapping, not {type(value).__name__}")


def _wrong(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)], subject="choice")


def _candidates(value: object) -> tuple[str, ...]:
    if type(value) is TeamUsers or (type(value) is tuple and checks.all_text(value)):
        return value
    return tuple(checks.identifier_list(value, "candidates"))


class TeamUsers(tuple[str, ...]):
    """User ids checked and each kept once, in the order given (a ``Team``'s users): a
    ``Choice`` or ``Needs`` given them takes them without reading each id again (a strategy
    passes its team on every lead, often a new team for each). ``ValidationError`` at
    ``users`` for what is not a list of ids."""

    __slots__ = ()

    def __new__(cls, users: object = ()) -> Self:
        return super().__new__(cls, user_list(users, "users"))


def _unique(users: object) -> TeamUsers:
    return users if type(users) is TeamUsers else TeamUsers(users)


def user_list(value: object, field: str) -> tuple[str, ...]:
    """User ids in the order given, each once (a list or tuple of ids, never a single ``str``);
    ``ValidationError`` naming ``field`` otherwise."""
    if isinstance(value, tuple) and all(type(u) is str and u.strip() for u in value):
        return tuple(dict.fromkeys(value))
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        shown = f"the string {value!r:.40}" if isinstance(value, str) else type(value).__name__
        raise ValidationError(
            [FieldProblem(field, f'must be a list of user ids like ["u1", "u2"], not {shown}')]
        )
    return tuple(dict.fromkeys(checks.identifier(u, f"{field}[{i}]") for i, u in enumerate(value)))


def whole_numbers(value: object, field: str) -> Mapping[str, int]:
    """A read-only map of user id → whole number; ``ValidationError`` naming ``field`` for
    what is not a mapping (the numbers themselves are checked by the strategy)."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            [
                FieldProblem(
                    field,
                    'must map user ids to whole numbers, like {"u1": 30}, not '
                    f"{type(value).__name__}",
                )
            ]
        )
    return frozen_mapping(value)


def state_key(strategy: str, scope: str, part: str) -> str:
    """The store state key a strategy keeps ``part`` under: ``assign:{strategy}:{scope}:{part}``.

    ``scope`` is the pool id, or ``{pool}/{team}`` for a team picked by a router, so each team
    has its own cursor. Besides these, the store's key-value state holds only the desk's live
    learned grade (``learned:model``)."""
    return f"assign:{strategy}:{scope}:{part}"


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class Choice:
    """What a strategy decided for one lead: an owner, or None to decline, and why.

    ``state_updates`` are the state keys to write back (cursors, counters) in the same unit of
    work as the assignment; ``excluded`` maps each candidate left out to the reason (away, over
    cap, rule did not match); ``tie_break`` says how a tie was settled, if there was one.
    """

    owner_id: str | None
    reason: str
    strategy: str = attrs.field(kw_only=True)
    state_updates: Mapping[str, JSONValue] = attrs.field(
        default=_EMPTY_STATE, converter=_freeze_state, kw_only=True
    )
    excluded: Mapping[str, str] = attrs.field(default=_EMPTY, converter=_reasons, kw_only=True)
    tie_break: str | None = attrs.field(default=None, kw_only=True)
    candidates: tuple[str, ...] = attrs.field(default=(), converter=_candidates, kw_only=True)

    def __attrs_post_init__(self) -> None:
        owner, tie = self.owner_id, self.tie_break
        if (
            (owner is None or type(owner) is str)
            and type(self.reason) is str
            and type(self.strategy) is str
            and (tie is None or type(tie) is str)
        ):
            return  # what every strategy gives: one test of each, no more
        if owner is not None:
            checks.identifier(owner, "owner_id")
        for field, value in (("reason", self.reason), ("strategy", self.strategy)):
            if not isinstance(value, str):
                raise _wrong(field, f"must be text, not {type(value).__name__}")
        if tie is not None and not isinstance(tie, str):
            raise _wrong("tie_break", f"must be text or None, not {type(tie).__name__}")

    @property
    def declined(self) -> bool:
        """True when the strategy chose nobody."""
        return self.owner_id is None

    def as_event_data(self) -> dict[str, object]:
        """The choice as JSON-friendly data for the assignment event."""
        return {
            "strategy": self.strategy,
            "owner_id": self.owner_id,
            "reason": self.reason,
            "candidates": list(self.candidates),
            "excluded": dict(self.excluded),
            "tie_break": self.tie_break,
        }


def decline(
    strategy: str,
    reason: str,
    team: Team | None = None,
    excluded: Mapping[str, str] | None = None,
) -> Choice:
    """A ``Choice`` that picks nobody (a helper for strategies)."""
    return Choice(
        None,
        reason,
        strategy=strategy,
        excluded=excluded or _EMPTY,
        candidates=team.users if team is not None else (),
    )


# --- teams, screening, ties ---------------------------------------------------------------------


@checked_constructor
@attrs.frozen(slots=True)
class Team:
    """The users a strategy picks among, in a stable order, and where its state lives.

    ``scope`` namespaces state keys (a pool id, or ``pool/team`` under a router); ``label`` names
    the team in reasons."""

    users: tuple[str, ...] = attrs.field(converter=_unique)
    scope: str
    label: str

    def __attrs_post_init__(self) -> None:
        if type(self.scope) is not str or type(self.label) is not str:
            checks.identifier(self.scope, "scope")
            checks.text(self.label, "label")
