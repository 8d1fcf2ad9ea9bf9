"""The pieces every assignment strategy shares: the ``Strategy`` protocol and what it
``needs``, its default team, screening candidates by the one owner-eligibility rule, capacity
caps and fair tie-breaks.

Strategies are pure: they read the facts handed to them through an
:class:`~leadcore.assignment.context.AssignmentContext` and return a
:class:`~leadcore.assignment.choice.Choice` whose ``state_updates`` the caller writes back in
the same unit of work as the assignment. A strategy never writes, and never reads a store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from leadcore import checks
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.jsonvalue import JSONValue
from leadcore.labels import LabelledEnum
from leadcore.model import Lead, Pool
from leadcore.policy.ownership import refusal_of

from .choice import Choice, Team, TeamUsers, decline
from .context import AssignmentContext, LeavingOut, MemoryContext

__all__ = [
    "Needs",
    "Strategy",
    "TieBreak",
    "apply_caps",
    "break_tie",
    "check_lead",
    "check_name",
    "checked_strategy",
    "chosen",
    "default_team",
    "needed",
    "no_candidates",
    "screen",
    "served_state",
    "served_update",
]


def _ids(field: str, values: Any) -> frozenset[str]:
    """``values`` as a set of ids (a team's users, or a collection of text, are taken at once;
    anything else is checked, naming ``field``)."""
    if type(values) is TeamUsers or (type(values) in _PLAIN and checks.all_text(values)):
        return values if type(values) is frozenset else frozenset(values)
    return checks.identifiers(values, field)


_PLAIN: Final = frozenset({frozenset, set, tuple, list})


def _history(value: object) -> bool:
    return value if value is False or value is True else checks.flag(value, "history")


def _users(values: object) -> frozenset[str]:
    return _ids("users", values)


def _state_keys(values: object) -> frozenset[str]:
    return _ids("state_keys", values)


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class Needs:
    """What a strategy will read to decide for one lead, so the caller can load it first:
    the candidate ``users`` (their records, open-lead counts and away periods), the
    ``state_keys`` of its cursors, and whether it reads the candidates' decided ``history``."""

    users: frozenset[str] = attrs.field(default=frozenset(), converter=_users)
    state_keys: frozenset[str] = attrs.field(default=frozenset(), converter=_state_keys)
    history: bool = attrs.field(default=False, converter=_history)

    def __or__(self, other: Needs) -> Needs:
        return Needs(
            self.users | other.users,
            self.state_keys | other.state_keys,
            self.history or other.history,
        )


def check_lead(lead: object) -> None:
    """Refuse what is not a ``Lead`` with ``ValidationError`` at ``lead`` (a cheap check run
    on every choice)."""
    if not isinstance(lead, Lead):
        raise ValidationError([FieldProblem("lead", f"must be a Lead, not {type(lead).__name__}")])


def check_among(lead: object, pool: object, team: object) -> None:
    """Refuse, with ``ValidationError``, a ``lead`` that is not a ``Lead``, a ``pool`` that is
    neither a ``Pool`` nor None, or a ``team`` that is not a ``Team`` (the arguments of
    ``needs_among``; cheap, run on every call)."""
    if type(lead) is Lead and type(team) is Team and (pool is None or type(pool) is Pool):
        return
    check_lead(lead)
    _check_pool(pool)
    if type(team) is not Team and not isinstance(team, Team):
        raise ValidationError([FieldProblem("team", f"must be a Team, not {type(team).__name__}")])


def _check_pool(pool: object) -> None:
    if pool is not None and type(pool) is not Pool and not isinstance(pool, Pool):
        raise ValidationError(
            [FieldProblem("pool", f"must be a Pool or None, not {type(pool).__name__}")]
        )


def check_context(ctx: object) -> None:
    """Refuse what is not an ``AssignmentContext`` with ``ValidationError`` at ``ctx``."""
    if type(ctx) not in _CONTEXTS and not checks.conforms(ctx, AssignmentContext):
        raise ValidationError(
            [FieldProblem("ctx", f"must be an AssignmentContext, not {type(ctx).__name__}")]
        )


_CONTEXTS: Final = frozenset({MemoryContext, LeavingOut})
"""The contexts of this package, known without a protocol check (which reads every method)."""


def check_name(name: object) -> list[FieldProblem]:
    """What is wrong with a strategy's ``name``: it must be non-empty text without ':'."""
    if not isinstance(name, str) or not name.strip() or ":" in name:
        return [FieldProblem("name", f"must be a non-empty name without ':', not {name!r:.40}")]
    return []


def checked_strategy(value: object, field: str, *, optional: bool = False) -> list[FieldProblem]:
    """What is wrong with ``value`` as a strategy at ``field`` (None allowed if ``optional``)."""
    if (optional and value is None) or isinstance(value, Strategy):
        return []
    shown = f"the string {value!r:.40}" if isinstance(value, str) else type(value).__name__
    return [FieldProblem(field, f"must be a strategy (RoundRobin(), LeastLoaded()…), not {shown}")]


def default_team(lead: Lead, pool: Pool | None, users: Sequence[str]) -> Team:
    """The team a strategy uses when called on its own: its own ``users`` if it has some, else
    the listed members of the lead's pool (sorted)."""
    check_lead(lead)
    _check_pool(pool)
    if users:
        return Team(tuple(users), lead.pool_id, "configured users")
    members = () if pool is None else tuple(sorted(pool.members))
    return Team(members, lead.pool_id, f"pool {lead.pool_id}")


def team_for(lead: Lead, ctx: AssignmentContext, users: Sequence[str]) -> Team:
    """:func:`default_team` with the pool's members as the context knows them."""
    check_context(ctx)
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


def screen(
    users: Sequence[str], ctx: AssignmentContext, pool_id: str
) -> tuple[list[str], dict[str, str]]:
    """Split candidates into those who may own a lead of the pool and those who may not, with
    why (unknown, inactive, not a member, away, at the pool's open-lead cap or at a quota, or
    left out by a ``LeavingOut`` context): the one owner-eligibility rule every hand-out obeys."""
    pool = ctx.pool(pool_id) or Pool(id=pool_id, name=pool_id)
    count_loads = pool.max_open_per_user is not None
    quotas = pool.quota_policy is not None
    left_out = ctx.left_out if isinstance(ctx, LeavingOut) else None
    user_of, away_of = ctx.user, ctx.away  # looked up once: this loop runs for every hand-out
    kept: list[str] = []
    excluded: dict[str, str] = {}
    for uid in users:
        user = user_of(uid)
        refusal = (left_out.get(uid) if left_out else None) or refusal_of(
            uid,
            user,
            ctx.open_count(uid) if count_loads and user is not None else None,
            away_of(uid) if user is not None else None,
            pool,
            quotas=ctx.quota(uid, pool_id) if quotas and user is not None else (),
        )
        if refusal is None:
            kept.append(uid)
        else:
            excluded[uid] = refusal
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
    if not capacity and default_capacity is None and not need_loads:
        return list(users), {}
    kept: list[str] = []
    loads: dict[str, int] = {}
    open_count = ctx.open_count
    for uid in users:
        cap = capacity.get(uid, default_capacity)
        if cap is None and not need_loads:
            kept.append(uid)
            continue
        load = loads[uid] = _load(open_count(uid), uid)
        if cap is not None and load >= cap:
            excluded[uid] = f"over cap: {load} open, cap {cap}"
        else:
            kept.append(uid)
    return kept, loads


def _load(value: object, user_id: str) -> int:
    """A context's open-lead count for ``user_id``: a whole number (a host's own context may
    hand in anything), or a ``ValidationError`` naming ``open_count(<id>)``."""
    if type(value) is int and value >= 0:
        return value
    return checks.whole(value, f"open_count({user_id})")


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
    team to a balancer. Neither writes anything: state changes come back in the ``Choice``.
    ``needs`` / ``needs_among`` say beforehand what the choice will read."""

    @property
    def name(self) -> str:
        """The strategy's name: in events and in its state keys."""
        ...

    def needs(self, lead: Lead, pool: Pool | None) -> Needs:
        """What :meth:`choose` will read for ``lead`` in ``pool``."""
        ...

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """What :meth:`choose_among` will read for ``lead`` within ``team``."""
        ...

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """Choose an owner for ``lead`` among the default candidates."""
        ...

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """Choose an owner for ``lead`` among ``team``."""
        ...


def chosen(
    strategy: Strategy, lead: Lead, ctx: AssignmentContext, team: Team | None = None
) -> Choice:
    """``strategy.choose(lead, ctx)`` (``choose_among`` with a ``team``), refused with
    ``ConfigError`` naming the strategy when it returns anything but a ``Choice``: a host's
    strategy that returns None or a user id would otherwise break the assignment midway."""
    choice = strategy.choose(lead, ctx) if team is None else strategy.choose_among(lead, ctx, team)
    if type(choice) is not Choice and not isinstance(choice, Choice):
        method = "choose" if team is None else "choose_among"
        what = f"{method}() must return a Choice (an owner or None, with a reason)"
        raise _misbehaving(strategy, what, choice)
    return choice


def needed(strategy: Strategy, lead: Lead, pool: Pool | None, team: Team | None = None) -> Needs:
    """``strategy.needs(lead, pool)`` (``needs_among`` with a ``team``), refused with
    ``ConfigError`` naming the strategy when it returns anything but ``Needs``."""
    found = strategy.needs(lead, pool) if team is None else strategy.needs_among(lead, pool, team)
    if type(found) is not Needs and not isinstance(found, Needs):
        method = "needs" if team is None else "needs_among"
        raise _misbehaving(strategy, f"{method}() must return Needs", found)
    return found


def _misbehaving(strategy: Strategy, what: str, given: object) -> ConfigError:
    name = getattr(strategy, "name", type(strategy).__name__)
    return ConfigError(
        f"strategies.{checks.shown(name, quote=False)}", f"{what}, not {type(given).__name__}"
    )
