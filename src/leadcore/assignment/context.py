"""What a strategy reads: the ``AssignmentContext`` protocol and ``MemoryContext``, plain facts
handed in before the decision.

A strategy never reaches into a store. Whoever asks it to choose (the desk, a notebook, a
test) first gathers what the strategy says it ``needs`` — candidate users, their open-lead
counts and away periods, its cursors, past outcomes — into a ``MemoryContext``, asks, and then
writes the ``Choice``'s state updates itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final, Protocol, TypeVar, runtime_checkable

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, LeadcoreError, ValidationError
from leadcore.jsonvalue import JSONValue, dump_json
from leadcore.model import Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy.quotas import QuotaUse
from leadcore.records import Away, away_at
from leadcore.signatures import checked_constructor

from .choice import Choice
from .fields import lead_values

__all__ = [
    "DECIDED_STATUSES",
    "AssignmentContext",
    "LeavingOut",
    "MemoryContext",
    "TrackRecord",
    "track_record_of",
]

K = TypeVar("K")
V = TypeVar("V")

DECIDED_STATUSES: Final = frozenset({LeadStatus.CONVERTED, LeadStatus.CLOSED_LOST})
"""Statuses that count as a decided outcome in a user's track record (won or lost).

Invalid leads (bad data) and merged ones say nothing about the rep, so they are left out."""


@attrs.frozen(slots=True)
class TrackRecord:
    """How a user's decided leads with one field value turned out: ``converted`` of ``decided``."""

    converted: int
    decided: int

    @property
    def rate(self) -> float:
        """The conversion rate, 0.0 with no decided leads."""
        return self.converted / self.decided if self.decided else 0.0


def track_record_of(history: Iterable[Lead], field: str, value: str) -> TrackRecord:
    """Count converted and decided leads among ``history`` whose ``field`` has ``value``."""
    converted = decided = 0
    for lead in history:
        if lead.status in DECIDED_STATUSES and value in lead_values(lead, field):
            decided += 1
            converted += lead.status is LeadStatus.CONVERTED
    return TrackRecord(converted, decided)


@runtime_checkable
class AssignmentContext(Protocol):
    """Everything a strategy may read: users, loads, stored state, pools, away periods, history.

    ``now`` is the instant of the decision and ``rng`` the injected random source for fair
    tie-breaks (seed it to replay a run exactly)."""

    @property
    def now(self) -> datetime:
        """The instant the assignment happens."""
        ...

    @property
    def rng(self) -> random.Random:
        """The random source for tie-breaks."""
        ...

    def user(self, user_id: str) -> User | None:
        """The user, or None if the directory does not know them."""
        ...

    def open_count(self, user_id: str) -> int:
        """How many open (assigned or following) leads the user holds, across all pools."""
        ...

    def state(self, key: str) -> JSONValue:
        """The strategy state stored under ``key``, or None."""
        ...

    def pool(self, pool_id: str) -> Pool | None:
        """The pool, or None if there is none with this id."""
        ...

    def members(self, pool_id: str) -> tuple[str, ...]:
        """The default candidates for the pool's leads, in a stable order."""
        ...

    def away(self, user_id: str) -> Away | None:
        """The away period covering ``now`` for the user, or None if they are not away."""
        ...

    def track_record(self, user_id: str, field: str, value: str) -> TrackRecord:
        """The user's past outcomes on decided leads whose ``field`` has ``value``."""
        ...

    def quota(self, user_id: str, pool_id: str) -> tuple[QuotaUse, ...]:
        """Where the user stands against the quotas of the pool's quota policy (none without
        one)."""
        ...


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def _mapping(value: Mapping[K, V] | None, field: str) -> Mapping[K, V]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid(field, f"must be a mapping, not {type(value).__name__}")
    return value


def _users(value: object) -> list[User]:
    """``users`` as ``User`` records (a bare id is an active user), each once: the same user
    may be given twice, two different records for one id are refused."""
    given = checks.instances(value, User | str, "users", "User records or user ids")
    first: dict[str, tuple[int, User]] = {}
    for i, item in enumerate(given):
        user = User(item) if isinstance(item, str) else item
        seen = first.setdefault(user.id, (i, user))
        if seen[1] != user:
            raise _invalid(
                f"users[{i}]",
                f"gives user {user.id!r} again, unlike users[{seen[0]}]: one record per user",
            )
    return [user for _, user in first.values()]


def _state(value: Mapping[str, JSONValue] | None) -> dict[str, JSONValue]:
    """``state`` checked: text keys to values JSON can hold, as every store keeps them."""
    state: dict[str, JSONValue] = {}
    for key, item in _mapping(value, "state").items():
        checks.kept_text(key, "state")
        dump_json(item, f"state[{key!r}]")
        state[key] = item
    return state


def _quotas(
    value: Mapping[tuple[str, str], Iterable[QuotaUse]] | None,
) -> dict[tuple[str, str], tuple[QuotaUse, ...]]:
    """``quotas`` checked: ``(user id, pool id)`` pairs to ``QuotaUse`` values (a key of
    another shape could never be read: the quotas would silently not bind)."""
    found: dict[tuple[str, str], tuple[QuotaUse, ...]] = {}
    for key, uses in _mapping(value, "quotas").items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(type(k) is str for k in key)):
            raise _invalid(
                "quotas",
                f"keys are (user id, pool id) pairs like ('wang', 'east'), not {key!r:.60}",
            )
        checks.kept_identifier(key[0], f"quotas[{key!r}]")
        checks.kept_identifier(key[1], f"quotas[{key!r}]")
        found[key] = checks.instances(uses, QuotaUse, f"quotas[{key!r}]", "QuotaUse values")
    return found


def _away(value: object) -> list[Away]:
    """``away`` periods, kept in UTC as the desk keeps them (a reason then says the same
    time whichever zone a period was given in)."""
    return [
        p
        if p.start.tzinfo is UTC and p.end.tzinfo is UTC
        else Away(p.user_id, p.start.astimezone(UTC), p.end.astimezone(UTC), p.note)
        for p in checks.instances(value, Away, "away", "Away periods")
    ]


def _unknown(value: object, users: list[User]) -> frozenset[str]:
    """``unknown_users`` checked: ids, none of them also given in ``users``."""
    unknown = checks.identifiers(value, "unknown_users")
    both = sorted(unknown & {u.id for u in users})
    if both:
        raise _invalid(
            "unknown_users", f"{both[0]!r:.60} is also given in users: a user is known or not"
        )
    return unknown


def _loads(value: Mapping[str, int] | None) -> dict[str, int]:
    """``loads`` checked: user ids to whole numbers of open leads, 0 … 10**9."""
    loads: dict[str, int] = {}
    for user_id, count in _mapping(value, "loads").items():
        checks.kept_identifier(user_id, "loads")
        loads[user_id] = checks.whole(count, f"loads.{user_id}")
    return loads


@checked_constructor
class MemoryContext:
    """An in-memory :class:`AssignmentContext`: the facts a decision reads, handed in.

    ``users`` are ``User`` records or bare ids (active users), each id once (or the same record
    again); ``unknown_users`` are ids known to have no user. ``loads`` gives open-lead counts
    (whole numbers from 0 to 10**9; 0 if absent), ``state`` the stored
    strategy state. ``members`` of a pool are its listed members when the pool is given, else
    every user here, sorted. ``history`` is past leads for track records. :meth:`apply`
    records a choice (its state updates, one more open lead for its owner), so a run of choices
    behaves as the store would.

    ``quotas`` gives, per ``(user id, pool id)``, where the user stands against that pool's
    quotas (:class:`~leadcore.policy.QuotaUse`, as the desk loads them); :meth:`apply` with the
    lead's pool counts the lead toward them.

    ``strict`` (what the desk uses) makes reading a user or a state key that was not handed in
    an error instead of "unknown": a strategy whose ``needs`` missed something fails loudly.
    """

    users: dict[str, User]
    unknown_users: frozenset[str]
    loads: dict[str, int]
    data: dict[str, JSONValue]
    now: datetime
    rng: random.Random
    pools: dict[str, Pool]
    away_periods: list[Away]
    _away_of: dict[str, list[Away]]
    history: dict[str, list[Lead]]
    quotas: dict[tuple[str, str], tuple[QuotaUse, ...]]
    strict: bool

    def __init__(
        self,
        users: Iterable[User | str],
        loads: Mapping[str, int] | None = None,
        state: Mapping[str, JSONValue] | None = None,
        *,
        now: datetime,
        rng: random.Random,
        pools: Iterable[Pool] = (),
        away: Iterable[Away] = (),
        history: Iterable[Lead] = (),
        unknown_users: Iterable[str] = (),
        quotas: Mapping[tuple[str, str], Iterable[QuotaUse]] | None = None,
        strict: bool = False,
    ) -> None:
        if not isinstance(rng, random.Random):
            raise _invalid("rng", f"must be a random.Random, not {type(rng).__name__}")
        known = _users(users)
        checked = MemoryContext.loaded(
            known,
            _unknown(unknown_users, known),
            _loads(loads),
            _state(state),
            now=checks.aware(now, "now"),
            rng=rng,
            pools=checks.instances(pools, Pool, "pools", "Pool records"),
            away=_away(away),
            history=checks.instances(history, Lead, "history", "Lead records"),
            quotas=_quotas(quotas),
            strict=checks.flag(strict, "strict"),
        )
        self.__dict__.update(checked.__dict__)

    @classmethod
    def loaded(
        cls,
        users: list[User],
        unknown_users: Iterable[str],
        loads: dict[str, int],
        state: dict[str, JSONValue],
        *,
        now: datetime,
        rng: random.Random,
        pools: Iterable[Pool],
        away: Iterable[Away],
        history: Iterable[Lead],
        quotas: dict[tuple[str, str], tuple[QuotaUse, ...]],
        strict: bool = True,
    ) -> MemoryContext:
        """A context of facts read from a store (every value already of its type, as
        ``leadcore.desk.context_for`` reads them), built without checking each again: the
        desk builds one for every lead it assigns. Strict unless told otherwise."""
        context = cls.__new__(cls)
        context.users = {u.id: u for u in users}
        context.unknown_users = frozenset(unknown_users)
        context.loads = loads
        context.data = state
        context.now = now
        context.rng = rng
        context.pools = {p.id: p for p in pools}
        context.away_periods = list(away)
        context._away_of = {}
        for period in context.away_periods:
            context._away_of.setdefault(period.user_id, []).append(period)
        context.history = {}
        for lead in history:
            if lead.owner_id is not None:
                context.history.setdefault(lead.owner_id, []).append(lead)
        context.quotas = quotas
        context.strict = strict
        return context

    def _undeclared(self, what: str) -> LeadcoreError:
        return LeadcoreError(
            f"the strategy read {what}, which its needs() did not ask for; "
            "declare it there so the facts are loaded before the decision"
        )

    def user(self, user_id: str) -> User | None:
        """See ``AssignmentContext.user``."""
        found = self.users.get(user_id)
        if found is None and self.strict and user_id not in self.unknown_users:
            raise self._undeclared(f"user {user_id!r}")
        return found

    def open_count(self, user_id: str) -> int:
        """See ``AssignmentContext.open_count``."""
        if self.strict and user_id not in self.users and user_id not in self.unknown_users:
            raise self._undeclared(f"the load of {user_id!r}")
        return self.loads.get(user_id, 0)

    def state(self, key: str) -> JSONValue:
        """See ``AssignmentContext.state``."""
        if self.strict and key not in self.data:
            raise self._undeclared(f"state key {key!r}")
        return self.data.get(key)

    def pool(self, pool_id: str) -> Pool | None:
        """See ``AssignmentContext.pool``."""
        return self.pools.get(pool_id)

    def members(self, pool_id: str) -> tuple[str, ...]:
        """The pool's listed members if the pool is known and lists some, else every user of
        this context (none in ``strict`` mode: an empty list means "everyone", which cannot be
        enumerated); sorted."""
        pool = self.pools.get(pool_id)
        if pool is not None and (pool.members or self.strict):
            return tuple(sorted(pool.members))
        return tuple(sorted(self.users))

    def away(self, user_id: str) -> Away | None:
        """See ``AssignmentContext.away``: of the periods covering ``now``, the one ending
        last, its end moved on past every period overlapping or adjoining it, so "away until"
        says when the user is back."""
        periods = self._away_of.get(user_id)
        return away_at(periods, self.now) if periods else None

    def track_record(self, user_id: str, field: str, value: str) -> TrackRecord:
        """See ``AssignmentContext.track_record``."""
        return track_record_of(self.history.get(user_id, ()), field, value)

    def quota(self, user_id: str, pool_id: str) -> tuple[QuotaUse, ...]:
        """See ``AssignmentContext.quota``."""
        found = self.quotas.get((user_id, pool_id))
        if found is not None:
            return found
        pool = self.pools.get(pool_id)
        if self.strict and pool is not None and pool.quota_policy is not None:
            raise self._undeclared(f"the quotas of {user_id!r} in pool {pool_id!r}")
        return ()

    def apply(self, choice: Choice, pool_id: str | None = None) -> None:
        """Record ``choice`` as the desk would: write its state, count the lead to its owner
        (and, given the lead's ``pool_id``, toward their quotas there). Without ``pool_id``,
        a choice whose owner has quotas here is refused: the lead would not count toward
        them."""
        if not isinstance(choice, Choice):
            raise _invalid("choice", f"must be a Choice, not {type(choice).__name__}")
        owner = choice.owner_id
        if pool_id is not None:
            checks.identifier(pool_id, "pool_id")
        elif owner is not None:
            self._require_pool(owner)
        for key, value in choice.state_updates.items():
            self.data[key] = value
        if owner is not None:
            self.loads[owner] = self.loads.get(owner, 0) + 1
            uses = self.quotas.get((owner, pool_id)) if pool_id is not None else None
            if uses and pool_id is not None:
                self.quotas[owner, pool_id] = tuple(use.plus(1) for use in uses)

    def _require_pool(self, owner: str) -> None:
        pools = sorted(
            pool for user, pool in self.quotas if user == owner and self.quotas[user, pool]
        )
        if pools:
            raise _invalid(
                "pool_id",
                f"give the lead's pool id: {owner} has quotas in pool {', '.join(pools)}, "
                "which the lead may count toward",
            )


class LeavingOut:
    """``context`` with some users left out of every choice: ``left_out`` maps each to why.

    Every built-in strategy screens its candidates through it, so a left-out user is skipped
    (listed under ``excluded`` with the reason) and the strategy picks among the rest — how a
    reassignment never hands a lead back to the owner it was just taken from."""

    def __init__(self, context: AssignmentContext, left_out: Mapping[str, str]) -> None:
        self.context = context
        self.left_out: Mapping[str, str] = dict(left_out)

    @property
    def now(self) -> datetime:
        """The instant the assignment happens."""
        return self.context.now

    @property
    def rng(self) -> random.Random:
        """The random source for tie-breaks."""
        return self.context.rng

    def user(self, user_id: str) -> User | None:
        """The user, or None if the directory does not know them."""
        return self.context.user(user_id)

    def open_count(self, user_id: str) -> int:
        """How many open leads the user holds."""
        return self.context.open_count(user_id)

    def state(self, key: str) -> JSONValue:
        """The strategy state stored under ``key``, or None."""
        return self.context.state(key)

    def pool(self, pool_id: str) -> Pool | None:
        """The pool, or None."""
        return self.context.pool(pool_id)

    def members(self, pool_id: str) -> tuple[str, ...]:
        """The default candidates for the pool's leads (the left-out users among them: they are
        screened out, with why)."""
        return self.context.members(pool_id)

    def away(self, user_id: str) -> Away | None:
        """The away period covering ``now`` for the user, or None."""
        return self.context.away(user_id)

    def track_record(self, user_id: str, field: str, value: str) -> TrackRecord:
        """The user's past outcomes on decided leads whose ``field`` has ``value``."""
        return self.context.track_record(user_id, field, value)

    def quota(self, user_id: str, pool_id: str) -> tuple[QuotaUse, ...]:
        """Where the user stands against the pool's quotas."""
        return self.context.quota(user_id, pool_id)
