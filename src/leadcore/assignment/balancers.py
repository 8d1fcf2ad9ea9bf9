"""Strategies that pick one member of a team: round robin (轮流), weighted round robin, least
loaded (负载均衡) with capacity caps, and performance-based (by past conversion rate).

Every one of them first drops unavailable candidates (unknown, deactivated, away) and those at
their capacity cap, recording why in ``Choice.excluded``; ties are settled by a
:class:`~leadcore.assignment.core.TieBreak`, never by list order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, Final

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, ValidationError
from leadcore.jsonvalue import JSONValue
from leadcore.model import Lead, Pool
from leadcore.signatures import checked_constructor

from .choice import Choice, Team, decline, state_key, user_list, whole_numbers
from .context import AssignmentContext
from .core import (
    Needs,
    Strategy,
    TieBreak,
    apply_caps,
    break_tie,
    check_among,
    check_context,
    check_lead,
    check_name,
    checked_strategy,
    chosen,
    default_team,
    needed,
    no_candidates,
    screen,
    served_update,
    team_for,
)
from .fields import LEAD_FIELDS, lead_values

__all__ = ["LeastLoaded", "PerformanceBased", "RoundRobin", "WeightedRoundRobin"]

_NO_INTS: Final[Mapping[str, int]] = MappingProxyType({})


def _users(users: Sequence[str]) -> tuple[str, ...]:
    return user_list(users, "users")


def _capacity(value: Mapping[str, int]) -> Mapping[str, int]:
    return whole_numbers(value, "capacity")


def _weights(value: Mapping[str, int]) -> Mapping[str, int]:
    return whole_numbers(value, "weights")


def _tie_break(value: TieBreak | str) -> TieBreak:
    return checks.choice(TieBreak, value, "tie_break")


def _not_whole(value: object, least: int) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or value < least


def _check_common(
    name: str,
    users: Sequence[str],
    capacity: Mapping[str, int],
    default_capacity: int | None,
) -> list[FieldProblem]:
    problems = check_name(name)
    problems.extend(
        FieldProblem(f"users[{i}]", "must be a non-empty user id")
        for i, u in enumerate(users)
        if not isinstance(u, str) or not u.strip()
    )
    problems.extend(
        FieldProblem(f"capacity[{u}]", f"must be a whole number >= 0, not {cap!r}")
        for u, cap in capacity.items()
        if _not_whole(cap, 0)
    )
    if default_capacity is not None and _not_whole(default_capacity, 0):
        problems.append(
            FieldProblem(
                "default_capacity", f"must be a whole number >= 0, not {default_capacity!r}"
            )
        )
    return problems


@attrs.frozen(slots=True)
class _Screened:
    """A team after screening: who may be picked (never empty), who may not and why, and the
    open-lead counts read on the way."""

    eligible: list[str]
    excluded: dict[str, str]
    loads: dict[str, int]


class _Leaf:
    """Shared ``choose``: pick among the strategy's own users, else the lead's pool members;
    shared ``choose_among``: screen the team, then let the strategy pick (``_pick``)."""

    __slots__ = ()
    name: str
    users: tuple[str, ...]
    capacity: Mapping[str, int]
    default_capacity: int | None
    label: ClassVar[str]
    """How reasons name the strategy."""
    needs_loads: ClassVar[bool] = False
    """Whether :meth:`_pick` reads every eligible member's open-lead count."""
    nobody: ClassVar[str] = "is available"
    """What the decline names as missing when nobody is eligible."""

    def __attrs_post_init__(self) -> None:
        problems = _check_common(self.name, self.users, self.capacity, self.default_capacity)
        problems.extend(self._own_problems())
        if problems:
            raise ValidationError(problems, subject=f"strategy {self.name!r}")

    def _own_problems(self) -> list[FieldProblem]:
        """What is wrong with the settings only this kind of strategy has."""
        return []

    def _pick(self, lead: Lead, ctx: AssignmentContext, team: Team, seen: _Screened) -> Choice:
        """Choose among ``seen.eligible`` (available and under their cap)."""
        raise NotImplementedError  # pragma: no cover

    def _usable(self, available: list[str], excluded: dict[str, str]) -> list[str]:
        """Drop (recording why in ``excluded``) members this kind of strategy never picks."""
        return available

    def choose_among(self, lead: Lead, ctx: AssignmentContext, team: Team) -> Choice:
        """Choose a member of ``team``: drop the unavailable and those at their cap, then pick
        by this strategy's rule (see ``Strategy``)."""
        check_among(lead, None, team)
        check_context(ctx)
        if not team.users:
            return no_candidates(self.name, self.label, team)
        available, excluded = screen(team.users, ctx, lead.pool_id)
        eligible, loads = apply_caps(
            self._usable(available, excluded),
            ctx,
            self.capacity,
            self.default_capacity,
            excluded,
            need_loads=self.needs_loads,
        )
        if not eligible:
            return decline(
                self.name, f"{self.label}: nobody in {team.label} {self.nobody}", team, excluded
            )
        return self._pick(lead, ctx, team, _Screened(eligible, excluded, loads))

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        raise NotImplementedError  # pragma: no cover

    def choose(self, lead: Lead, ctx: AssignmentContext) -> Choice:
        """Choose an owner for ``lead`` among the default candidates (see ``Strategy``)."""
        check_lead(lead)
        return self.choose_among(lead, ctx, team_for(lead, ctx, self.users))

    def needs(self, lead: Lead, pool: Pool | None) -> Needs:
        """What :meth:`choose` reads for ``lead`` (see ``Strategy``)."""
        return self.needs_among(lead, pool, default_team(lead, pool, self.users))


@checked_constructor
@attrs.frozen(slots=True)
class RoundRobin(_Leaf):
    """Round robin (轮流): each lead goes to the next available member after the last one served.

    The cursor (the last user served) lives in the store under
    ``assign:{name}:{scope}:cursor``, so it survives restarts and is shared by every process.
    Unavailable or capped members are skipped and lose that turn. Optional caps as in
    :class:`LeastLoaded`.
    """

    name: str = "round_robin"
    users: tuple[str, ...] = attrs.field(default=(), converter=_users)
    capacity: Mapping[str, int] = attrs.field(default=_NO_INTS, converter=_capacity)
    default_capacity: int | None = None
    kind: ClassVar[str] = "round_robin"
    label: ClassVar[str] = "round robin"

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """The team and its cursor."""
        check_among(lead, pool, team)
        return Needs(team.users, {state_key(self.name, team.scope, "cursor")})

    def _pick(self, lead: Lead, ctx: AssignmentContext, team: Team, seen: _Screened) -> Choice:
        """The next eligible member of ``team`` after the stored cursor."""
        key = state_key(self.name, team.scope, "cursor")
        last = ctx.state(key)
        order = team.users
        start = order.index(last) + 1 if isinstance(last, str) and last in order else 0
        wanted = set(seen.eligible)
        skipped: list[str] = []
        pick = order[start % len(order)]
        for step in range(len(order)):
            pick = order[(start + step) % len(order)]
            if pick in wanted:
                break
            skipped.append(pick)
        reason = (
            f"round robin: next after {last}"
            if isinstance(last, str)
            else "round robin: first turn"
        )
        if skipped:
            reason += f" (skipped {', '.join(skipped)})"
        return Choice(
            pick,
            f"{reason}: {pick}",
            strategy=self.name,
            state_updates={key: pick},
            excluded=seen.excluded,
            candidates=team.users,
        )


@checked_constructor
@attrs.frozen(slots=True)
class WeightedRoundRobin(_Leaf):
    """Weighted round robin: over every ``sum(weights)`` leads, each member gets their weight's
    share, spread out evenly (smooth weighted round robin).

    ``weights`` maps users to whole-number weights (``default_weight`` for others; 0 = never).
    Each member's running credit lives in the store under ``assign:{name}:{scope}:credit``.
    """

    weights: Mapping[str, int] = attrs.field(default=_NO_INTS, converter=_weights)
    name: str = "weighted_round_robin"
    users: tuple[str, ...] = attrs.field(default=(), converter=_users)
    default_weight: int = 1
    capacity: Mapping[str, int] = attrs.field(default=_NO_INTS, converter=_capacity)
    default_capacity: int | None = None
    tie_break: TieBreak = attrs.field(default=TieBreak.RANDOM, converter=_tie_break)
    kind: ClassVar[str] = "weighted_round_robin"
    label: ClassVar[str] = "weighted round robin"

    def _own_problems(self) -> list[FieldProblem]:
        problems = [
            FieldProblem(f"weights[{u}]", f"must be a whole number >= 0, not {w!r}")
            for u, w in self.weights.items()
            if _not_whole(w, 0)
        ]
        if _not_whole(self.default_weight, 0):
            problems.append(FieldProblem("default_weight", "must be a whole number >= 0"))
        return problems

    def weight(self, user_id: str) -> int:
        """The user's weight."""
        try:
            return self.weights.get(user_id, self.default_weight)
        except TypeError:
            raise checks.not_an_id("user_id", user_id) from None

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """The team, its credits and its tie-break bookkeeping."""
        check_among(lead, pool, team)
        keys = {state_key(self.name, team.scope, part) for part in ("credit", "served")}
        return Needs(team.users, keys)

    def _usable(self, available: list[str], excluded: dict[str, str]) -> list[str]:
        """Members of weight 0 never get a lead."""
        for uid in available:
            if self.weight(uid) == 0:
                excluded[uid] = "weight 0"
        return [u for u in available if u not in excluded]

    def _pick(self, lead: Lead, ctx: AssignmentContext, team: Team, seen: _Screened) -> Choice:
        """The member with the most credit after adding each one's weight."""
        key = state_key(self.name, team.scope, "credit")
        raw = ctx.state(key)
        stored: dict[str, JSONValue] = raw if isinstance(raw, dict) else {}
        credit = {u: v for u, v in stored.items() if isinstance(v, int)}
        total = sum(self.weight(u) for u in seen.eligible)
        for uid in seen.eligible:
            credit[uid] = credit.get(uid, 0) + self.weight(uid)
        best = max(credit[u] for u in seen.eligible)
        served_key = state_key(self.name, team.scope, "served")
        pick, tie = break_tie(
            [u for u in seen.eligible if credit[u] == best], ctx, self.tie_break, served_key
        )
        credit[pick] -= total
        updates: dict[str, JSONValue] = {key: dict(sorted(credit.items()))}
        updates.update(served_update(ctx, served_key, pick, self.tie_break))
        return Choice(
            pick,
            f"weighted round robin: {pick} (weight {self.weight(pick)} of {total}, credit {best})",
            strategy=self.name,
            state_updates=updates,
            excluded=seen.excluded,
            tie_break=tie,
            candidates=team.users,
        )


@checked_constructor
@attrs.frozen(slots=True)
class LeastLoaded(_Leaf):
    """Load balancing (负载均衡): the available member holding the fewest open leads.

    ``capacity`` caps a user's open leads (``default_capacity`` for everyone else; None = no
    cap): a user at the cap is excluded. Equal loads are settled by ``tie_break``.
    """

    name: str = "least_loaded"
    users: tuple[str, ...] = attrs.field(default=(), converter=_users)
    capacity: Mapping[str, int] = attrs.field(default=_NO_INTS, converter=_capacity)
    default_capacity: int | None = None
    tie_break: TieBreak = attrs.field(default=TieBreak.RANDOM, converter=_tie_break)
    kind: ClassVar[str] = "least_loaded"
    label: ClassVar[str] = "least loaded"
    needs_loads: ClassVar[bool] = True
    nobody: ClassVar[str] = "is available and under their cap"

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """The team (with loads) and its tie-break bookkeeping."""
        check_among(lead, pool, team)
        return Needs(team.users, {state_key(self.name, team.scope, "served")})

    def _pick(self, lead: Lead, ctx: AssignmentContext, team: Team, seen: _Screened) -> Choice:
        """The eligible member with the fewest open leads."""
        eligible, loads = seen.eligible, seen.loads
        low = min([loads[u] for u in eligible])
        served_key = state_key(self.name, team.scope, "served")
        pick, tie = break_tie(
            [u for u in eligible if loads[u] == low], ctx, self.tie_break, served_key
        )
        return Choice(
            pick,
            f"least loaded: {pick} with {low} open",
            strategy=self.name,
            state_updates=served_update(ctx, served_key, pick, self.tie_break),
            excluded=seen.excluded,
            tie_break=tie,
            candidates=team.users,
        )


@checked_constructor
@attrs.frozen(slots=True)
class PerformanceBased(_Leaf):
    """By past performance: the member with the best conversion rate on leads sharing this
    lead's ``dimension`` value (e.g. its industry), among those with at least ``min_sample``
    decided (converted or closed-lost) leads of that value.

    When nobody has enough history, or the lead has no value, ``fallback`` chooses (declines
    without one). Caps and ``tie_break`` (equal rates) as in :class:`LeastLoaded`.
    """

    name: str = "performance"
    dimension: str = "industry"
    min_sample: int = 10
    fallback: Strategy | None = None
    users: tuple[str, ...] = attrs.field(default=(), converter=_users)
    capacity: Mapping[str, int] = attrs.field(default=_NO_INTS, converter=_capacity)
    default_capacity: int | None = None
    tie_break: TieBreak = attrs.field(default=TieBreak.RANDOM, converter=_tie_break)
    kind: ClassVar[str] = "performance"
    label: ClassVar[str] = "performance"

    def _own_problems(self) -> list[FieldProblem]:
        problems = checked_strategy(self.fallback, "fallback", optional=True)
        if not isinstance(self.dimension, str):
            problems.append(FieldProblem("dimension", "must name a lead field, e.g. industry"))
        elif self.dimension not in LEAD_FIELDS and not self.dimension.startswith("custom."):
            problems.append(
                FieldProblem(
                    "dimension",
                    f"{self.dimension!r} is not a lead field; use one of: "
                    f"{', '.join((*LEAD_FIELDS, 'custom.<name>'))}",
                )
            )
        if _not_whole(self.min_sample, 1):
            problems.append(FieldProblem("min_sample", "must be a whole number >= 1"))
        return problems

    def _fall_back(
        self, lead: Lead, ctx: AssignmentContext, team: Team, why: str, excluded: dict[str, str]
    ) -> Choice:
        if self.fallback is None:
            return decline(self.name, f"performance: {why}; no fallback", team, excluded)
        choice = chosen(self.fallback, lead, ctx, team)
        return attrs.evolve(
            choice,
            strategy=self.name,
            reason=f"performance: {why}; fallback {choice.reason}",
            excluded={**excluded, **choice.excluded},
        )

    def needs_among(self, lead: Lead, pool: Pool | None, team: Team) -> Needs:
        """The team with its decided history, tie-break bookkeeping, and the fallback's needs."""
        check_among(lead, pool, team)
        own = Needs(team.users, {state_key(self.name, team.scope, "served")}, history=True)
        if self.fallback is None:
            return own
        return own | needed(self.fallback, lead, pool, team)

    def _pick(self, lead: Lead, ctx: AssignmentContext, team: Team, seen: _Screened) -> Choice:
        """The eligible member with the best qualified conversion rate."""
        found = lead_values(lead, self.dimension)
        value = found[0] if found else None
        if value is None:
            return self._fall_back(
                lead, ctx, team, f"the lead has no {self.dimension}", seen.excluded
            )
        records = {u: ctx.track_record(u, self.dimension, value) for u in seen.eligible}
        qualified = [u for u in seen.eligible if records[u].decided >= self.min_sample]
        about = f"{self.dimension}={value}"
        if not qualified:
            return self._fall_back(
                lead,
                ctx,
                team,
                f"nobody has {checks.counted(self.min_sample, f'decided {about} lead')}",
                seen.excluded,
            )
        for uid in seen.eligible:
            if uid not in qualified:
                seen.excluded[uid] = (
                    f"only {checks.counted(records[uid].decided, f'decided {about} lead')} "
                    f"(< {self.min_sample})"
                )
        best = max(records[u].rate for u in qualified)
        served_key = state_key(self.name, team.scope, "served")
        pick, tie = break_tie(
            [u for u in qualified if records[u].rate == best], ctx, self.tie_break, served_key
        )
        record = records[pick]
        return Choice(
            pick,
            f"performance on {about}: {pick} converted {record.converted} of "
            f"{record.decided} ({record.rate:.0%})",
            strategy=self.name,
            state_updates=served_update(ctx, served_key, pick, self.tie_break),
            excluded=seen.excluded,
            tie_break=tie,
            candidates=team.users,
        )
