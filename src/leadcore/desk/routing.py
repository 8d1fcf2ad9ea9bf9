"""Assignment by strategy on the desk: auto-assign, batch distribution, availability."""

from __future__ import annotations

from collections.abc import Iterable

from leadcore.assignment import (
    Away,
    Strategy,
    away_key,
    away_state,
    parse_away,
)
from leadcore.desk.base import DeskBase
from leadcore.desk.results import BatchResult
from leadcore.errors import (
    FieldProblem,
    NoOwnerFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event, EventKind, FieldChange
from leadcore.lifecycle import transition
from leadcore.model import (
    Action,
    Lead,
    Pool,
)

__all__ = ["RoutingOps"]


class RoutingOps(DeskBase):
    """Assignment by strategy (分配规则) and users' availability."""

    def auto_assign(
        self, actor_id: str, lead_id: str, strategy: Strategy | str | None = None
    ) -> Lead:
        """Assign an unassigned lead by a strategy (by name, or the pool's own when None).

        The choice's reason, the candidates it excluded and the tie-break go into the
        ``assigned`` event. Raises ``NoOwnerFound`` when the strategy declines (nothing is
        written, not even a cursor move), ``PermissionDenied`` unless the actor may assign.
        """
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.ASSIGN)
            chosen = self._strategy_named(op.pool, strategy)
            choice = self._choose(op, chosen)
            if choice.owner_id is None:
                raise NoOwnerFound(op.lead.id, choice.strategy, choice.reason, choice.excluded)
            owner = self._owner(choice.owner_id, op.pool)
            new = transition(
                op.lead,
                Action.ASSIGN,
                at=op.now,
                owner_id=owner.id,
                department_id=owner.department_id,
            )
            saved = uow.save_lead(new, expected_version=op.lead.version)
            data = {"rule": "strategy", **choice.as_event_data()}
            uow.append_events(
                [self._event(op, EventKind.ASSIGNED, saved, reason=choice.reason, data=data)]
            )
            uow.commit()
            return saved

    def distribute(
        self, actor_id: str, lead_ids: Iterable[str], strategy: Strategy | str | None = None
    ) -> BatchResult:
        """Distribute a batch (e.g. an import) across a team, fair by ``strategy``: each lead
        is assigned at most once, in its own unit of work, with a result per lead. Running it
        again is harmless: leads already assigned come back as ``InvalidTransition`` results."""
        return self._batch(lead_ids, lambda lead_id: self.auto_assign(actor_id, lead_id, strategy))

    def _strategy_named(self, pool: Pool, strategy: Strategy | str | None) -> Strategy:
        if strategy is None:
            if pool.auto_assign is None:
                raise ValidationError(
                    [
                        FieldProblem(
                            "strategy", f"pool {pool.name} has no auto-assign strategy; name one"
                        )
                    ]
                )
            return self._pool_strategy(pool)
        if isinstance(strategy, str):
            found = self.strategies.get(strategy)
            if found is None:
                known = ", ".join(self.strategies) or "none"
                raise ValidationError(
                    [FieldProblem("strategy", f"no strategy {strategy!r} (known: {known})")]
                )
            return found
        return strategy

    def set_away(self, actor_id: str, user_id: str, periods: Iterable[Away]) -> list[Away]:
        """Record when ``user_id`` is away (休假); strategies skip them during those periods.

        The user themself or a system admin may; the new periods replace the old ones.
        """
        wanted = list(periods)
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            self._user(user_id)
            decision = self.policy.may_manage_availability(actor, user_id)
            if not decision:
                raise PermissionDenied(
                    actor.id, "set availability of", f"user {user_id!r}", decision.reason
                )
            problems = [
                FieldProblem(f"periods[{i}].user_id", f"is {p.user_id!r}, expected {user_id!r}")
                for i, p in enumerate(wanted)
                if p.user_id != user_id
            ]
            if problems:
                raise ValidationError(problems, subject="away periods")
            before = parse_away(user_id, uow.get_state(away_key(user_id)))
            uow.set_state(away_key(user_id), away_state(wanted) if wanted else None)
            uow.append_events(
                [
                    Event(
                        EventKind.AVAILABILITY_CHANGED,
                        now,
                        actor.id,
                        changes=(
                            FieldChange(f"away:{user_id}", away_state(before), away_state(wanted)),
                        ),
                        data={"user_id": user_id},
                    )
                ]
            )
            uow.commit()
            return wanted
