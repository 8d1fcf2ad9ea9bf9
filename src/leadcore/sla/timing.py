"""When each step of a lead's SLA period comes due, what is due now, and how much time is left.

A lead's SLA period begins at its hand-out or its last follow-up, whichever is later; a
follow-up begins a new one, so every clock restarts. In a period each ladder step, each
rule's warning and each rule comes due once, at an instant computed from the lead and the
pool's clock alone. Held leads only: an unassigned, closed, invalid or converted lead has no
SLA. Recycling and reassigning wait while an exemption lasts — an admin's protection
(``protected_until``) or a next follow-up scheduled and not yet due (``next_due_at``);
reminders and warnings do not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from leadcore.labels import LabelledEnum
from leadcore.model import Lead, Pool
from leadcore.signatures import checked_constructor
from leadcore.sla.conditions import period_start
from leadcore.sla.policy import Audience, PoolSla, StepAction

__all__ = [
    "Due",
    "StepKind",
    "TimeLeft",
    "due_now",
    "exempt_until",
    "next_check",
    "recipients",
    "response_time",
    "schedule",
    "time_left",
]


class StepKind(LabelledEnum):
    """What a due step does."""

    REMINDER = "reminder", "超时提醒", "Reminder"
    WARNING = "warning", "回收预警", "Warning before recycling"
    RECYCLE = "recycle", "自动回收", "Recycle"
    REASSIGN = "reassign", "重新分配", "Reassign"

    @property
    def acts(self) -> bool:
        """Whether the step takes the lead from its owner (recycle or reassign)."""
        return self in (StepKind.RECYCLE, StepKind.REASSIGN)


_ACTS = {StepAction.RECYCLE: StepKind.RECYCLE, StepAction.REASSIGN: StepKind.REASSIGN}


# Not @checked_constructor: the library builds one or more of these for every lead it
# handles, where the check would cost up to 0.8 µs a construction.
@attrs.frozen(slots=True)
class Due:
    """One step of a lead's SLA period: its ``key`` (``step:<name>``, ``warn:<name>``,
    ``rule:<name>``: what ``Lead.sla_steps`` records once it is emitted), the step or rule
    ``name``, its ``kind``, when it is due (``at``, UTC), who hears of it, and why. A warning
    names when its rule will act (``acts_at``)."""

    key: str
    name: str
    kind: StepKind
    at: datetime
    audience: frozenset[Audience]
    reason: str
    acts_at: datetime | None = None


def exempt_until(lead: Lead) -> datetime | None:
    """Until when recycling and reassigning wait: the later of an admin's protection and a
    next follow-up scheduled (None when neither applies)."""
    times = [t for t in (lead.protected_until, lead.next_due_at) if t is not None]
    return max(times) if times else None


def protection(lead: Lead, now: datetime) -> str | None:
    """While an admin's protection holds recycling off at ``now``, the note "protected until
    <UTC time>" (it ends at that instant: a rule may act then); None when it does not."""
    until = lead.protected_until
    return None if until is None or until <= now else f"protected until {_utc(until)}"


def _later(at: datetime, bound: datetime | None) -> datetime:
    return at if bound is None or bound <= at else bound


def schedule(lead: Lead, sla: PoolSla) -> tuple[Due, ...]:
    """Every step of the lead's current SLA period not emitted yet, in the order they come
    due (ties: ladder order, then rules). Empty for a lead nobody holds."""
    if not lead.is_open or not sla.active:
        return ()
    start = period_start(lead)
    done = frozenset(lead.sla_steps) if lead.sla_period == start else frozenset()
    exempt = exempt_until(lead)
    clock = sla.clock
    found: list[tuple[datetime, int, Due]] = []
    for step in sla.ladder:
        key = f"step:{step.name}"
        if key in done:
            continue
        at = clock.deadline(start, step.hours)
        kind = _ACTS.get(step.action, StepKind.REMINDER)
        if kind.acts:
            at = _later(at, exempt)
        why = f"no follow-up for {step.hours:g} h ({clock.describe()}) since {_utc(start)}"
        found.append((at, len(found), Due(key, step.name, kind, at, step.notify, why)))
    for rule in sla.rules:
        fires = rule.when.holds_from(lead, clock)
        if fires is None:
            continue
        acts_at = _later(_later(fires, start), exempt)
        kind = _ACTS[rule.action]
        if rule.warn_hours is not None and f"warn:{rule.name}" not in done:
            warned = rule.when.holds_from(lead, clock, shorter=rule.warn_hours)
            if warned is not None:
                at = _later(warned, start)
                if at < acts_at:
                    why = f"{kind.value} at {_utc(acts_at)}: {rule.describe()}"
                    due = Due(
                        f"warn:{rule.name}", rule.name, StepKind.WARNING, at, rule.notify, why
                    )
                    found.append((at, len(found), attrs.evolve(due, acts_at=acts_at)))
        if f"rule:{rule.name}" not in done:
            due = Due(f"rule:{rule.name}", rule.name, kind, acts_at, rule.notify, rule.describe())
            found.append((acts_at, len(found), due))
    found.sort(key=lambda item: (item[0], item[1]))
    return tuple(due for _, _, due in found)


def due_now(lead: Lead, sla: PoolSla, now: datetime) -> tuple[Due, ...]:
    """The steps due at ``now``, in order, up to and including the first that recycles or
    reassigns the lead (nothing after it applies: the lead leaves its owner)."""
    found = []
    for due in schedule(lead, sla):
        if due.at > now:
            break
        found.append(due)
        if due.kind.acts:
            break
    return tuple(found)


def next_check(lead: Lead, sla: PoolSla) -> datetime | None:
    """When the sweep should next look at the lead: the earliest step of its period not
    emitted yet (None: never, until the lead changes). This keys the store's due-time index."""
    steps = schedule(lead, sla)
    return steps[0].at if steps else None


@checked_constructor
@attrs.frozen(slots=True)
class TimeLeft:
    """A lead's time left (剩余时间) at ``now``: the step that will take it from its owner
    (``action``: recycle or reassign) and when (``at``), the ``hours`` left on the pool's clock
    (negative once overdue: the next sweep acts), the nearest step of any kind (``next``), and
    the exemption holding recycling off, if any. ``at`` is None when no rule will act."""

    lead_id: str
    now: datetime
    at: datetime | None = None
    rule: str | None = None
    action: StepKind | None = None
    hours: float | None = None
    reason: str = ""
    next: Due | None = None
    exempt: str | None = None

    @property
    def days(self) -> float | None:
        """Calendar days until ``at`` (剩余天数; negative once overdue), rounded to 0.1."""
        if self.at is None:
            return None
        return round((self.at - self.now) / timedelta(days=1), 1)

    def sort_key(self) -> tuple[int, datetime, str]:
        """Soonest first; leads no rule will act on last (by id among themselves)."""
        if self.at is None:
            return (1, self.now, self.lead_id)
        return (0, self.at, self.lead_id)


def time_left(lead: Lead, sla: PoolSla, now: datetime) -> TimeLeft:
    """Which rule will next take the lead from its owner, when, and what comes first."""
    steps = schedule(lead, sla)
    acting = next((s for s in steps if s.kind.acts), None)
    exempt = protection(lead, now)
    if exempt is None and lead.next_due_at is not None and lead.next_due_at > now:
        exempt = f"next follow-up scheduled for {_utc(lead.next_due_at)}"
    nearest = steps[0] if steps else None
    if acting is None:
        return TimeLeft(lead.id, now, next=nearest, exempt=exempt, reason="no rule applies")
    if acting.at > now:
        hours = sla.clock.elapsed(now, acting.at)
    else:
        hours = -sla.clock.elapsed(acting.at, now)
    return TimeLeft(
        lead.id,
        now,
        acting.at,
        acting.name,
        acting.kind,
        hours,
        acting.reason,
        nearest,
        exempt,
    )


def recipients(
    due: Due, lead: Lead, pool: Pool, manager_id: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who hears of ``due``: the user ids (sorted, no repeats) and the audiences that named
    nobody (an owner without a manager, a pool without admins)."""
    users: set[str] = set()
    missing: list[str] = []
    for audience in Audience:
        if audience not in due.audience:
            continue
        match audience:
            case Audience.OWNER:
                named = {lead.owner_id} if lead.owner_id else set()
            case Audience.MANAGER:
                named = {manager_id} if manager_id else set()
            case Audience.POOL_ADMINS:
                named = set(pool.admins)
        if not named:
            missing.append(audience.value)
        users |= named
    return tuple(sorted(users)), tuple(missing)


def response_time(lead: Lead) -> timedelta | None:
    """How long the lead waited for its first follow-up (from creation); None before it."""
    if lead.first_followed_at is None:
        return None
    return max(lead.first_followed_at - lead.created_at, timedelta(0))


def _utc(at: datetime) -> str:
    """``at`` as UTC wall time with its label, for reasons and exemptions."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
