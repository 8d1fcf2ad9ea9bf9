"""Reading through the desk: views of leads (filtered, ordered, paged) and audit trails."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from leadcore.desk.base import DeskBase
from leadcore.desk.results import Page
from leadcore.desk.views import (
    View,
    base_query,
    decode_cursor,
    encode_cursor,
    order_of,
    visible_page,
)
from leadcore.errors import (
    FieldProblem,
    PermissionDenied,
    ValidationError,
)
from leadcore.events import Event
from leadcore.model import (
    Action,
    Lead,
    LeadStatus,
    Pool,
)
from leadcore.storage.protocol import LeadOrder

__all__ = ["ReadOps"]


class ReadOps(DeskBase):
    """Views (我的线索 …) and a lead's audit trail."""

    def leads(
        self,
        actor_id: str,
        *,
        view: View | str = View.MINE,
        pool_id: str | None = None,
        statuses: Iterable[LeadStatus] | None = None,
        source: str | None = None,
        grade: str | None = None,
        created_from: datetime | None = None,
        created_before: datetime | None = None,
        order: LeadOrder | str = LeadOrder.CREATED_DESC,
        cursor: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """One page of a view (我的线索, 我关注的线索, 我下属的线索, 全部线索, a pool's leads),
        filtered, ordered and paged. Only leads the actor may view are ever returned.

        Page with ``cursor`` (the previous page's ``next_cursor``) to stay correct while leads
        change, or with ``offset``. The all-leads view is for those whose scope is all leads.
        """
        problems = []
        if not 1 <= limit <= 1000:
            problems.append(FieldProblem("limit", "must be between 1 and 1000"))
        if offset < 0:
            problems.append(FieldProblem("offset", "must not be negative"))
        if problems:
            raise ValidationError(problems, subject="view")
        chosen = view if isinstance(view, View) else View.parse(view)
        with self.store.unit_of_work() as uow:
            now, actor = self.clock.now(), self._user(actor_id)
            grants = self._grants(uow, actor.id)
            if chosen is View.ALL:
                scope = self.policy.view_scope(
                    actor, org=self.org, pools=uow.list_pools(), grants=grants, now=now
                )
                if not scope.all_leads:
                    raise PermissionDenied(
                        actor.id, "view", "all leads", "the all-leads view is for admins"
                    )
            team = self.org.subordinates(actor.id) if chosen is View.SUBORDINATES else frozenset()
            query = attrs.evolve(
                base_query(chosen, actor.id, pool_id=pool_id, team=team),
                pool_id=pool_id,
                statuses=None if statuses is None else frozenset(statuses),
                source=source,
                grade=grade,
                created_from=created_from,
                created_before=created_before,
                order=order_of(order),
                after=None if cursor is None else decode_cursor(cursor),
            )
            pools: dict[str, Pool] = {}

            def may_view(lead: Lead) -> bool:
                pool = pools.get(lead.pool_id)
                if pool is None:
                    pool = pools[lead.pool_id] = uow.get_pool(lead.pool_id)
                return self.policy.decide(
                    actor, Action.VIEW, lead, pool, org=self.org, grants=grants, now=now
                ).allowed

            found, last = visible_page(uow, query, may_view, limit=limit, offset=offset)
            return Page(tuple(found), None if last is None else encode_cursor(last))

    def history(self, actor_id: str, lead_id: str) -> list[Event]:
        """The lead's audit trail, oldest first (needs view access)."""
        with self.store.unit_of_work() as uow:
            op = self._load(uow, actor_id, lead_id, None)
            self._require(op, Action.VIEW)
            return uow.events_since(0, lead_id=lead_id)
