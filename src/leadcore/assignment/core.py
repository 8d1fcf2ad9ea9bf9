"""The pieces every assignment strategy shares: the ``Choice`` it returns, the context it reads
state from, the team it picks among, availability (inactive / away users) and fair tie-breaks.

Strategies are pure: they read what they need through an :class:`AssignmentContext` and return a
:class:`Choice` whose ``state_updates`` the caller writes back (the desk does so with
``uow.set_state`` in the same unit of work as the assignment). A strategy never writes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Final, Protocol, runtime_checkable

import attrs

from leadcore.errors import ConfigError, FieldProblem, NotFound, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.labels import LabelledEnum
from leadcore.model import OPEN_STATUSES, Lead, LeadStatus, Pool
from leadcore.org import OrgDirectory, User
from leadcore.storage.protocol import JSONValue, LeadQuery, UnitOfWork

__all__ = [
    "DECIDED_STATUSES",
    "LEAD_FIELDS",
    "AssignmentContext",
    "Away",
    "Choice",
    "MemoryContext",
    "StoreContext",
    "Strategy",
    "Team",
    "TieBreak",
    "TrackRecord",
    "away_key",
    "away_state",
    "lead_values",
    "parse_away",
    "state_key",
]

_OPEN: Final = tuple(OPEN_STATUSES)
_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})
_EMPTY_STATE: Final[Mapping[str, JSONValue]] = MappingProxyType({})

DECIDED_STATUSES: Final = frozenset({LeadStatus.CONVERTED, LeadStatus.CLOSED_LOST})
"""Statuses that count as a decided outcome in a user's track record (won or lost).

Invalid leads (bad data) and merged ones say nothing about the rep, so they are left out."""

LEAD_FIELDS: Final = (
    "region",
    "source",
    "industry",
    "grade",
    "company_size",
    "product_line",
    "department_id",
    "decision_maker_title",
    "pool_id",
)
"""Lead fields rules and performance records may look at, besides ``score`` and
``custom.<name>`` (a host-declared custom field). ``product_line`` reads the custom field
``product_line``."""


def _freeze_str_map(value: Mapping[str, str]) -> Mapping[str, str]:
    return frozen_mapping(value)


def _freeze_state(value: Mapping[str, JSONValue]) -> Mapping[str, JSONValue]:
    return frozen_mapping(value)


def _str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return values if isinstance(values, tuple) else tuple(values)


def _unique(users: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(users))


def state_key(strategy: str, scope: str, part: str) -> str:
    """The store state key a strategy keeps ``part`` under: ``assign:{strategy}:{scope}:{part}``.

    ``scope`` is the pool id, or ``{pool}/{team}`` for a team picked by a router, so each team
    has its own cursor."""
    return f"assign:{strategy}:{scope}:{part}"


def lead_values(lead: Lead, field: str) -> tuple[str, ...]:
    """The lead's value(s) of ``field`` as strings; ``()`` when it has none.

    ``field`` is one of :data:`LEAD_FIELDS` or ``custom.<name>``; a multi-choice custom field
    gives several values. Raises ``ValueError`` for any other field name."""
    if field.startswith("custom.") or field == "product_line":
        name = "product_line" if field == "product_line" else field.removeprefix("custom.")
        raw = lead.custom_fields.get(name)
        if raw is None:
            return ()
        if isinstance(raw, tuple):
            return tuple(str(v) for v in raw)
        return (str(raw),)
    if field not in LEAD_FIELDS:
        known = ", ".join((*LEAD_FIELDS, "custom.<name>"))
        raise ValueError(f"unknown lead field {field!r}; use one of: {known}")
    value = getattr(lead, field)
    return () if value is None else (str(value),)


# --- the result ---------------------------------------------------------------------------------


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
    excluded: Mapping[str, str] = attrs.field(
        default=_EMPTY, converter=_freeze_str_map, kw_only=True
    )
    tie_break: str | None = attrs.field(default=None, kw_only=True)
    candidates: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple, kw_only=True)

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


# --- availability -------------------------------------------------------------------------------


def _aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


@attrs.frozen(slots=True)
class Away:
    """A period a user is away (休假/外出): from ``start`` (inclusive) to ``end`` (exclusive).

    Raises ``ValidationError`` unless both are timezone-aware and ``end`` is after ``start``."""

    user_id: str
    start: datetime
    end: datetime
    note: str = ""

    def __attrs_post_init__(self) -> None:
        problems = [
            FieldProblem(name, "needs a timezone, e.g. 2026-03-02T09:00:00+08:00")
            for name in ("start", "end")
            if not _aware(getattr(self, name))
        ]
        if not problems and not self.end > self.start:
            problems.append(FieldProblem("end", "must be after start"))
        if problems:
            raise ValidationError(problems, subject=f"away period of {self.user_id!r}")

    def covers(self, at: datetime) -> bool:
        """Whether ``at`` falls within the period."""
        return self.start <= at < self.end


def away_key(user_id: str) -> str:
    """The store state key holding ``user_id``'s away periods (``away:{user_id}``)."""
    return f"away:{user_id}"


def away_state(periods: Iterable[Away]) -> JSONValue:
    """Away periods as the JSON value stored under :func:`away_key` (host or desk writes it)."""
    return [
        {"start": p.start.isoformat(), "end": p.end.isoformat(), "note": p.note} for p in periods
    ]


def parse_away(user_id: str, value: JSONValue) -> list[Away]:
    """Read the away periods stored for ``user_id``; ``[]`` for None.

    Raises ``ConfigError`` naming the state key when the stored value is malformed."""
    if value is None:
        return []
    where = f"state[{away_key(user_id)}]"
    if not isinstance(value, list):
        raise ConfigError(where, "must be a list of {start, end, note} periods")
    periods = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}[{i}]", "must be an object with start and end")
        try:
            start, end = item["start"], item["end"]
            if not isinstance(start, str) or not isinstance(end, str):
                raise ValueError("start and end must be ISO 8601 strings")
            note = item.get("note", "")
            periods.append(
                Away(
                    user_id,
                    datetime.fromisoformat(start),
                    datetime.fromisoformat(end),
                    note if isinstance(note, str) else "",
                )
            )
        except KeyError as e:
            raise ConfigError(f"{where}[{i}].{e.args[0]}", "is required") from None
        except (ValueError, ValidationError) as e:
            raise ConfigError(f"{where}[{i}]", str(e)) from None
    return periods


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


# --- the context --------------------------------------------------------------------------------


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


class StoreContext:
    """An :class:`AssignmentContext` reading from a unit of work and an org directory.

    ``open_count`` uses the store's per-owner status counts (index-backed in ``MemoryStore``, no
    scan). ``members`` are the pool's ``members``, sorted (an empty list means "everyone" in the
    pool settings, which no directory can enumerate, so a strategy then needs its own ``users``).
    Away periods are read from state key ``away:{user_id}`` (see :func:`away_state`). A track
    record comes from the user's converted and closed-lost leads (one owner query per user,
    cached for the life of the context). ``pool`` may be given to spare a lookup.
    """

    __slots__ = ("_away", "_history", "_org", "_pool", "_uow", "now", "rng")

    def __init__(
        self,
        uow: UnitOfWork,
        org: OrgDirectory,
        *,
        now: datetime,
        rng: random.Random,
        pool: Pool | None = None,
    ) -> None:
        self._uow = uow
        self._org = org
        self.now = now
        self.rng = rng
        self._pool = pool
        self._away: dict[str, Away | None] = {}
        self._history: dict[str, list[Lead]] = {}

    def user(self, user_id: str) -> User | None:
        """See ``AssignmentContext.user``."""
        try:
            return self._org.user(user_id)
        except NotFound:
            return None

    def open_count(self, user_id: str) -> int:
        """See ``AssignmentContext.open_count``."""
        counts = self._uow.count_by_status(owner_id=user_id)
        return sum(counts.get(s, 0) for s in _OPEN)

    def state(self, key: str) -> JSONValue:
        """See ``AssignmentContext.state``."""
        return self._uow.get_state(key)

    def pool(self, pool_id: str) -> Pool | None:
        """See ``AssignmentContext.pool``."""
        if self._pool is not None and self._pool.id == pool_id:
            return self._pool
        try:
            self._pool = self._uow.get_pool(pool_id)
        except NotFound:
            return None
        return self._pool

    def members(self, pool_id: str) -> tuple[str, ...]:
        """See ``AssignmentContext.members``: the pool's listed members, sorted."""
        pool = self.pool(pool_id)
        return () if pool is None else tuple(sorted(pool.members))

    def away(self, user_id: str) -> Away | None:
        """See ``AssignmentContext.away``; raises ``ConfigError`` for malformed stored periods."""
        if user_id in self._away:
            return self._away[user_id]
        raw = self._uow.get_state(away_key(user_id))
        found = None
        if raw is not None:
            found = next((p for p in parse_away(user_id, raw) if p.covers(self.now)), None)
        self._away[user_id] = found
        return found

    def track_record(self, user_id: str, field: str, value: str) -> TrackRecord:
        """See ``AssignmentContext.track_record``."""
        history = self._history.get(user_id)
        if history is None:
            query = LeadQuery(owner_id=user_id, statuses=DECIDED_STATUSES)
            history = self._history[user_id] = self._uow.find_leads(query)
        return track_record_of(history, field, value)


class MemoryContext:
    """An in-memory :class:`AssignmentContext` for tests, notebooks and what-if runs.

    ``users`` are ``User`` records or bare ids (active users). ``loads`` gives open-lead counts
    (0 if absent), ``state`` the stored strategy state. ``members`` of a pool are its listed
    members when the pool is given and lists some, else every user here, sorted. ``history`` is
    past leads for track records. :meth:`apply` records a choice (its state updates, one more
    open lead for its owner), so a run of choices behaves as the store would.
    """

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
    ) -> None:
        self.users: dict[str, User] = {
            u.id: u for u in (User(x) if isinstance(x, str) else x for x in users)
        }
        self.loads: dict[str, int] = dict(loads or {})
        self.data: dict[str, JSONValue] = dict(state or {})
        self.now = now
        self.rng = rng
        self.pools: dict[str, Pool] = {p.id: p for p in pools}
        self.away_periods: list[Away] = list(away)
        self.history: dict[str, list[Lead]] = {}
        for lead in history:
            if lead.owner_id is not None:
                self.history.setdefault(lead.owner_id, []).append(lead)

    def user(self, user_id: str) -> User | None:
        """See ``AssignmentContext.user``."""
        return self.users.get(user_id)

    def open_count(self, user_id: str) -> int:
        """See ``AssignmentContext.open_count``."""
        return self.loads.get(user_id, 0)

    def state(self, key: str) -> JSONValue:
        """See ``AssignmentContext.state``."""
        return self.data.get(key)

    def pool(self, pool_id: str) -> Pool | None:
        """See ``AssignmentContext.pool``."""
        return self.pools.get(pool_id)

    def members(self, pool_id: str) -> tuple[str, ...]:
        """The pool's listed members if known, else every user of this context; sorted."""
        pool = self.pools.get(pool_id)
        if pool is not None and pool.members:
            return tuple(sorted(pool.members))
        return tuple(sorted(self.users))

    def away(self, user_id: str) -> Away | None:
        """See ``AssignmentContext.away``."""
        return next(
            (p for p in self.away_periods if p.user_id == user_id and p.covers(self.now)), None
        )

    def track_record(self, user_id: str, field: str, value: str) -> TrackRecord:
        """See ``AssignmentContext.track_record``."""
        return track_record_of(self.history.get(user_id, ()), field, value)

    def apply(self, choice: Choice) -> None:
        """Record ``choice`` as the desk would: write its state, count the lead to its owner."""
        for key, value in choice.state_updates.items():
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        if choice.owner_id is not None:
            self.loads[choice.owner_id] = self.loads.get(choice.owner_id, 0) + 1


# --- teams, screening, ties ---------------------------------------------------------------------


@attrs.frozen(slots=True)
class Team:
    """The users a strategy picks among, in a stable order, and where its state lives.

    ``scope`` namespaces state keys (a pool id, or ``pool/team`` under a router); ``label`` names
    the team in reasons."""

    users: tuple[str, ...] = attrs.field(converter=_unique)
    scope: str
    label: str


def team_for(lead: Lead, ctx: AssignmentContext, users: Sequence[str]) -> Team:
    """The team a strategy uses when called on its own: its own ``users`` if it has some, else
    the members of the lead's pool."""
    if users:
        return Team(tuple(users), lead.pool_id, "configured users")
    return Team(ctx.members(lead.pool_id), lead.pool_id, f"pool {lead.pool_id}")


def no_candidates(strategy: str, label: str, team: Team) -> Choice:
    """Decline because the team is empty."""
    return decline(
        strategy,
        f"{label}: no candidates ({team.label} lists no members and the strategy names no users)",
        team,
    )


def screen(users: Sequence[str], ctx: AssignmentContext) -> tuple[list[str], dict[str, str]]:
    """Split candidates into the available ones and the excluded ones with why (unknown,
    inactive, away)."""
    kept: list[str] = []
    excluded: dict[str, str] = {}
    for uid in users:
        user = ctx.user(uid)
        if user is None:
            excluded[uid] = "unknown user"
        elif not user.active:
            excluded[uid] = "inactive (deactivated)"
        else:
            away = ctx.away(uid)
            if away is not None:
                note = f" ({away.note})" if away.note else ""
                excluded[uid] = f"away until {away.end:%Y-%m-%d %H:%M}{note}"
            else:
                kept.append(uid)
    return kept, excluded


def apply_caps(
    users: Sequence[str],
    ctx: AssignmentContext,
    capacity: Mapping[str, int],
    default_capacity: int | None,
    excluded: dict[str, str],
    *,
    need_loads: bool = False,
) -> tuple[list[str], dict[str, int]]:
    """Drop users at or over their cap (recording why in ``excluded``); return the rest and the
    loads read. Loads are read only when a cap applies or ``need_loads`` is set."""
    kept: list[str] = []
    loads: dict[str, int] = {}
    for uid in users:
        cap = capacity.get(uid, default_capacity)
        if cap is None and not need_loads:
            kept.append(uid)
            continue
        load = loads[uid] = ctx.open_count(uid)
        if cap is not None and load >= cap:
            excluded[uid] = f"over cap: {load} open, cap {cap}"
        else:
            kept.append(uid)
    return kept, loads


class TieBreak(LabelledEnum):
    """How a strategy settles a tie (equal load, equal credit, equal rate) — never list order."""

    RANDOM = "random", "随机（可复现）", "Seeded random"
    LONGEST_WAIT = "longest_wait", "等待最久", "Longest waiting"


def served_state(ctx: AssignmentContext, key: str) -> tuple[int, dict[str, int]]:
    """The ``longest_wait`` bookkeeping at ``key``: (sequence number, user → last served)."""
    raw = ctx.state(key)
    if isinstance(raw, dict):
        seq, last = raw.get("seq"), raw.get("last")
        if isinstance(seq, int) and isinstance(last, dict):
            return seq, {u: v for u, v in last.items() if isinstance(v, int)}
    return 0, {}


def served_update(
    ctx: AssignmentContext, key: str, chosen: str, how: TieBreak
) -> dict[str, JSONValue]:
    """The state update recording that ``chosen`` was served (only kept for ``longest_wait``)."""
    if how is not TieBreak.LONGEST_WAIT:
        return {}
    seq, last = served_state(ctx, key)
    last[chosen] = seq + 1
    return {key: {"seq": seq + 1, "last": dict(last)}}


def break_tie(
    tied: Sequence[str], ctx: AssignmentContext, how: TieBreak, served_key: str
) -> tuple[str, str | None]:
    """Pick one of ``tied`` fairly and describe how; the description is None without a tie.

    ``random`` draws from the injected ``ctx.rng`` over the sorted ids (replayable);
    ``longest_wait`` prefers whoever this strategy served least recently (never served first),
    then draws at random among any still tied."""
    if len(tied) == 1:
        return tied[0], None
    pool = sorted(tied)
    if how is TieBreak.LONGEST_WAIT:
        _, last = served_state(ctx, served_key)
        oldest = min(last.get(u, 0) for u in pool)
        waiting = [u for u in pool if last.get(u, 0) == oldest]
        when = f"last served #{oldest}" if oldest else "never served"
        if len(waiting) == 1:
            return waiting[0], f"longest wait among {', '.join(pool)}: {waiting[0]} ({when})"
        pick = ctx.rng.choice(waiting)
        return pick, (
            f"longest wait among {', '.join(pool)}, then random among {', '.join(waiting)} "
            f"({when}): {pick}"
        )
    pick = ctx.rng.choice(pool)
    return pick, f"random among {', '.join(pool)}: {pick}"


# --- the protocol -------------------------------------------------------------------------------


@runtime_checkable
class Strategy(Protocol):
    """An assignment strategy: given a lead and a context, choose an owner or decline, with why.

    ``choose`` picks among the strategy's default candidates (its own ``users`` or the lead's
    pool members); ``choose_among`` picks within a given team, which is how a router hands a
    team to a balancer. Neither writes anything: state changes come back in the ``Choice``."""

    @property
    def name(self) -> str:
        """The strategy's name: in events and in its state keys."""
        ...

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """Choose an owner for ``lead`` among the default candidates."""
        ...

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """Choose an owner for ``lead`` among ``team``."""
        ...
