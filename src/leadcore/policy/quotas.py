"""Quotas over time windows (配额): how many leads a user may *receive* in a pool per day, week
or month, on top of the open-lead cap — as data, decided from counts handed in.

A :class:`QuotaPolicy` holds the quotas of every member of the pools that name it
(``Pool.quota_policy``) and, per user, quotas of their own: a user's own quota for a period
replaces the pool-wide one for that period. Windows are calendar windows read in the policy's
``calendar`` time zone: the day from local midnight, the week from Monday, the month from the
1st. A week or month quota may be **pro-rated** to working days (Odoo spreads its monthly
``assignment_max`` the same way): by the end of the k-th of the window's n working days a user
may have received ``ceil(limit × k / n)`` leads.

Leads received are ownership records (assigned or claimed) in the pool since the window began;
the desk counts them in the unit of work that hands the next lead out, so the count and the
hand-out are one serialisable step. The rule itself — "refuse when a quota is reached" — is part
of the one owner-eligibility rule (:func:`leadcore.policy.owner_refusal`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import attrs

from leadcore import checks
from leadcore.cadence import WorkingCalendar
from leadcore.cadence.zones import zone
from leadcore.config import parse_source, structure, unstructure
from leadcore.errors import ConfigError, FieldProblem, ValidationError
from leadcore.labels import LabelledEnum
from leadcore.signatures import checked_constructor

__all__ = [
    "Quota",
    "QuotaPeriod",
    "QuotaPolicy",
    "QuotaUse",
    "load_quota_policies",
]

_MAX_LIMIT: Final = 1_000_000
_ROUND_THE_CLOCK: Final = WorkingCalendar.always("UTC")


class QuotaPeriod(LabelledEnum):
    """The window a quota counts over."""

    DAY = "day", "每日", "Per day"
    WEEK = "week", "每周", "Per week"
    MONTH = "month", "每月", "Per month"


def _period(value: QuotaPeriod | str) -> QuotaPeriod:
    return checks.choice(QuotaPeriod, value, "period")


@checked_constructor
@attrs.frozen(slots=True)
class Quota:
    """At most ``limit`` leads received per ``period`` (day, week or month); ``prorate`` spreads
    a week or month quota over the window's working days. ``limit`` 0 means none at all."""

    limit: int
    period: QuotaPeriod = attrs.field(converter=_period)
    prorate: bool = False

    def __attrs_post_init__(self) -> None:
        problems = []
        limit = self.limit
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _MAX_LIMIT:
            problems.append(
                FieldProblem(
                    "limit", f"must be a whole number from 0 to {_MAX_LIMIT}, not {limit!r}"
                )
            )
        if not isinstance(self.prorate, bool):
            problems.append(FieldProblem("prorate", f"must be true or false, not {self.prorate!r}"))
        elif self.prorate and self.period is QuotaPeriod.DAY:
            problems.append(
                FieldProblem(
                    "prorate",
                    "pro-rating spreads a week or month quota over its working days; "
                    "a day quota has nothing to spread",
                )
            )
        if problems:
            raise ValidationError(problems, subject="quota")

    def describe(self) -> str:
        """The quota in words: ``20 a day``, ``300 a month, pro-rated to working days``."""
        text = f"{self.limit} a {self.period.value}"
        return f"{text}, pro-rated to working days" if self.prorate else text


@checked_constructor
@attrs.frozen(slots=True)
class QuotaUse:
    """Where a user stands against one quota now: ``received`` leads since ``since`` (the
    window's start, UTC), ``allowed`` by now (the limit, or its pro-rated share)."""

    quota: Quota
    received: int
    allowed: int
    since: datetime

    def __attrs_post_init__(self) -> None:
        if (
            type(self.received) is int
            and type(self.allowed) is int
            and isinstance(self.quota, Quota)
            and 0 <= self.received <= checks.MAX_STORED_NUMBER
            and 0 <= self.allowed <= self.quota.limit
            and isinstance(self.since, datetime)
            and self.since.utcoffset() is not None
        ):
            return  # the common case, as the desk and the planner make them
        raise ValidationError(self._problems(), subject="quota use")

    def _problems(self) -> list[FieldProblem]:
        if not isinstance(self.quota, Quota):
            return [FieldProblem("quota", f"must be a Quota, not {type(self.quota).__name__}")]
        problems: list[FieldProblem] = []
        for name, most in (
            ("received", checks.MAX_STORED_NUMBER),
            ("allowed", self.quota.limit),
        ):
            try:
                checks.whole(getattr(self, name), name, most=most)
            except ValidationError as e:
                problems.extend(e.problems)
        try:
            checks.aware(self.since, "since")
        except ValidationError as e:
            problems.extend(e.problems)
        return problems

    @property
    def reached(self) -> bool:
        """Whether one more lead would break the quota."""
        return self.received >= self.allowed

    def plus(self, count: int) -> QuotaUse:
        """The standing after ``count`` more leads (negative: fewer)."""
        return attrs.evolve(self, received=self.received + count)

    def refusal(self) -> str:
        """Why the quota refuses one more lead, e.g. ``quota reached: 5 of 5 leads received
        this day (20 a day, since 2026-03-02 00:00 UTC)``."""
        share = "" if self.allowed == self.quota.limit else f" so far of {self.quota.limit}"
        return (
            f"quota reached: {self.received} of {self.allowed}{share} leads received this "
            f"{self.quota.period.value} ({self.quota.describe()}, since "
            f"{self.since.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
        )


def _near_the_limits() -> ValidationError:
    return ValidationError([FieldProblem("now", "is too close to the limits of the calendar")])


def _quota_list(value: Iterable[Quota | Mapping[str, Any]]) -> tuple[Quota, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            [FieldProblem("", 'must be a list of quotas like [{limit = 20, period = "day"}]')],
            subject="quota policy",
        )
    found: list[Quota] = []
    problems: list[FieldProblem] = []
    for i, item in enumerate(value):
        if isinstance(item, Quota):
            found.append(item)
            continue
        if not isinstance(item, Mapping):
            problems.append(FieldProblem(f"[{i}]", f"must be a quota table, not {item!r}"))
            continue
        try:
            found.append(structure(item, Quota, path=f"[{i}]"))
        except ConfigError as e:
            problems.extend(FieldProblem(p.field.removeprefix("$"), p.reason) for p in e.problems)
    seen: set[QuotaPeriod] = set()
    for i, quota in enumerate(found):
        if quota.period in seen:
            problems.append(
                FieldProblem(f"[{i}].period", f"a second {quota.period.value} quota; keep one")
            )
        seen.add(quota.period)
    if problems:
        raise ValidationError(problems, subject="quota policy")
    return tuple(found)


def _quotas(value: Iterable[Quota | Mapping[str, Any]]) -> tuple[Quota, ...]:
    try:
        return _quota_list(value)
    except ValidationError as e:
        raise ValidationError(
            [attrs.evolve(p, field=f"quotas{p.field}") for p in e.problems], subject="quota policy"
        ) from None


def _users(
    value: Mapping[str, Iterable[Quota | Mapping[str, Any]]],
) -> Mapping[str, tuple[Quota, ...]]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            [FieldProblem("users", "must map a user id to that user's list of quotas")],
            subject="quota policy",
        )
    found: dict[str, tuple[Quota, ...]] = {}
    problems: list[FieldProblem] = []
    for user_id, quotas in value.items():
        why = checks.id_problem(user_id)
        if why is not None:
            # An id no user has (" wang", too long) would silently never bind anyone.
            problems.append(
                FieldProblem("users", f"{checks.shown(user_id)} is not a user id: {why}")
            )
            continue
        try:
            found[user_id] = _quota_list(quotas)
        except ValidationError as e:
            problems.extend(attrs.evolve(p, field=f"users.{user_id}{p.field}") for p in e.problems)
    if problems:
        raise ValidationError(problems, subject="quota policy")
    return MappingProxyType(found)


def _calendar(value: WorkingCalendar | Mapping[str, Any]) -> WorkingCalendar:
    if isinstance(value, WorkingCalendar):
        return value
    try:
        return structure(value, WorkingCalendar, path="calendar")
    except ConfigError as e:
        raise ValidationError(list(e.problems), subject="quota policy") from None


@checked_constructor
@attrs.frozen(slots=True)
class QuotaPolicy:
    """The quotas of the pools naming this policy: ``quotas`` for every member, ``users`` for
    one user each (replacing the pool-wide quota of the same period), windows and working days
    read in ``calendar`` (round the clock in UTC unless given)."""

    quotas: tuple[Quota, ...] = attrs.field(default=(), converter=_quotas)
    users: Mapping[str, tuple[Quota, ...]] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_users
    )
    calendar: WorkingCalendar = attrs.field(default=_ROUND_THE_CLOCK, converter=_calendar)

    def quotas_for(self, user_id: str) -> tuple[Quota, ...]:
        """The quotas binding ``user_id``: their own, and the pool-wide ones for the periods
        they have none of their own for."""
        try:
            own = self.users.get(user_id, ())
        except TypeError:
            raise checks.not_an_id("user_id", user_id) from None
        if not own:
            return self.quotas
        periods = {q.period for q in own}
        return (*own, *(q for q in self.quotas if q.period not in periods))

    def window_start(self, period: QuotaPeriod | str, now: datetime) -> datetime:
        """When the window of ``period`` (a ``QuotaPeriod`` or its name, ``"day"``) holding
        ``now`` (aware) began (local midnight of its first day in the calendar's zone), in UTC.
        ``ValidationError`` names a bad ``period`` or ``now``."""
        kind = _period(period)
        instant = checks.aware(now, "now")
        try:
            first = self._first_day(kind, self._local_day(instant))
            local = datetime(first.year, first.month, first.day, tzinfo=self._zone())
            return local.astimezone(UTC)
        except (OverflowError, ValueError):
            raise _near_the_limits() from None

    def allowance(self, quota: Quota, now: datetime) -> int:
        """How many leads ``quota`` allows by ``now`` (aware): its limit, or (pro-rated) the
        share of the window's working days begun so far, rounded up. A window without working
        days allows the whole limit. ``ValidationError`` names a bad ``quota`` or ``now``."""
        if not isinstance(quota, Quota):
            raise ValidationError(
                [
                    FieldProblem(
                        "quota",
                        f'must be a Quota (e.g. Quota(20, "day")), not {type(quota).__name__}',
                    )
                ]
            )
        instant = checks.aware(now, "now")
        if not quota.prorate:
            return quota.limit
        try:
            today = self._local_day(instant)
            first = self._first_day(quota.period, today)
            last = self._last_day(quota.period, first)
        except (OverflowError, ValueError):
            raise _near_the_limits() from None
        working = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if self.calendar.is_working_day(first + timedelta(days=n))
        ]
        if not working:
            return quota.limit
        begun = sum(1 for day in working if day <= today)
        return math.ceil(quota.limit * begun / len(working))

    def standing(
        self, user_id: str, now: datetime, received: Callable[[datetime], int]
    ) -> tuple[QuotaUse, ...]:
        """Where ``user_id`` stands against each quota binding them, given ``received(since)``:
        how many leads they received in the pool since an instant (the desk's store count)."""
        return tuple(
            QuotaUse(quota, received(since), self.allowance(quota, now), since)
            for quota in self.quotas_for(user_id)
            for since in (self.window_start(quota.period, now),)
        )

    def _zone(self) -> tzinfo:
        return zone(self.calendar.timezone)

    def _local_day(self, now: datetime) -> date:
        return now.astimezone(self._zone()).date()

    @staticmethod
    def _first_day(period: QuotaPeriod, day: date) -> date:
        if period is QuotaPeriod.DAY:
            return day
        if period is QuotaPeriod.WEEK:
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    @staticmethod
    def _last_day(period: QuotaPeriod, first: date) -> date:
        if period is QuotaPeriod.DAY:
            return first
        if period is QuotaPeriod.WEEK:
            return first + timedelta(days=6)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)

    @classmethod
    def from_dict(cls, data: object) -> QuotaPolicy:
        """Build from plain data; ``ConfigError`` names every path at fault."""
        return _structured(data, "$")

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal policy."""
        data: dict[str, Any] = unstructure(self)
        return data


def load_quota_policies(source: str | Path | Mapping[str, object]) -> dict[str, QuotaPolicy]:
    """Build a named set of quota policies (pools name one in ``Pool.quota_policy``) from a
    mapping, JSON text (starting with ``{``), TOML text, or a ``.json`` / ``.toml`` file.
    Raises ``ConfigError`` naming every path at fault (``$.telesales.users.wang[0].limit``)."""
    data = parse_source(source)
    if not isinstance(data, Mapping):
        raise ConfigError("$", "must map a policy name to its quotas")
    built: dict[str, QuotaPolicy] = {}
    problems: list[FieldProblem] = []
    for name, spec in data.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(FieldProblem("$", f"{name!r} is not a policy name"))
            continue
        if not isinstance(spec, Mapping):
            problems.append(
                FieldProblem(
                    f"$.{name}", "must be a table of quota settings: quotas, users, calendar"
                )
            )
            continue
        try:
            built[name] = _structured(spec, f"$.{name}")
        except ConfigError as e:
            problems.extend(e.problems)
    if problems:
        raise ConfigError.from_problems(problems)
    return built


def _structured(data: object, path: str) -> QuotaPolicy:
    """A policy from plain data at ``path``; ``users`` that is not a table is named as such
    (the converter would only say that a list has no ``items``), and each user's quotas are
    read under ``users.<id>``, as the policy names them."""
    if not isinstance(data, Mapping) or "users" not in data:
        return structure(data, QuotaPolicy, path=path)
    users = data["users"]
    if not isinstance(users, Mapping):
        raise ConfigError(
            f"{path}.users",
            "must map a user id to that user's list of quotas, like "
            f'{{wang = [{{limit = 5, period = "day"}}]}}, not {type(users).__name__}',
        )
    problems: list[FieldProblem] = []
    own: dict[str, tuple[Quota, ...]] = {}
    for user_id, quotas in users.items():
        at = f"{path}.users.{user_id}"
        try:
            own[user_id] = _quota_list(structure(quotas, tuple[Quota, ...], path=at))
        except ConfigError as e:
            problems.extend(e.problems)
        except ValidationError as e:
            problems.extend(attrs.evolve(p, field=f"{at}{p.field}") for p in e.problems)
    try:
        policy = structure({**data, "users": {}}, QuotaPolicy, path=path)
    except ConfigError as e:
        problems[:0] = e.problems
    if problems:
        raise ConfigError.from_problems(problems)
    try:
        return attrs.evolve(policy, users=own)
    except ValidationError as e:
        raise ConfigError.from_problems(
            [attrs.evolve(p, field=f"{path}.{p.field}") for p in e.problems]
        ) from None
