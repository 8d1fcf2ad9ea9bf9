"""The desk's moves of a held lead, mixed into ``LeadDesk``: giving it back to its pool —
release (释放), return (退回), reclaim (收回), recycle (回收) —, changing its owner (更换负责人),
transferring it to another pool (转移), and deciding its fate: invalid (无效) or lost (关闭).

Each method only builds its plan and hands it to the runner. A single-lead move takes
``expected_version``: given, a lead changed since (another version) raises
``ConcurrencyConflict`` and nothing is written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from leadcore import checks
from leadcore.model import Action, IdCollection, Lead

from .plans.closing import Move
from .plans.ownership import ChangeOwner, GiveBack
from .plans.transferring import Transfer
from .results import BatchResult
from .runner import Operation

__all__ = ["MoveMethods"]

T = TypeVar("T")


class MoveMethods:
    """Give-backs, change of owner, transfers and the fate-deciding moves (see ``LeadDesk``)."""

    def _run(self, command: Callable[..., Operation[Any, T]], **arguments: Any) -> T:
        raise NotImplementedError  # pragma: no cover - LeadDesk defines it

    def _each(
        self,
        command: Callable[..., Operation[Any, Lead]],
        lead_ids: Iterable[str],
        **arguments: Any,
    ) -> BatchResult:
        raise NotImplementedError  # pragma: no cover - LeadDesk defines it

    def _give_back(
        self,
        actor_id: str,
        lead_id: str,
        move: Action,
        reason: str | None,
        expected_version: int | None,
    ) -> Lead:
        return self._run(
            GiveBack,
            actor_id=actor_id,
            lead_id=lead_id,
            move=move,
            reason=reason,
            expected_version=expected_version,
        )

    def _decide(
        self, actor_id: str, lead_id: str, move: Action, reason: str, expected_version: int | None
    ) -> Lead:
        return self._run(
            Move,
            actor_id=actor_id,
            lead_id=lead_id,
            move=move,
            reason=reason,
            expected_version=expected_version,
        )

    # --- back to the pool --------------------------------------------------------------------
    def release(
        self,
        actor_id: str,
        lead_id: str,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Give a lead back to the pool (释放; its owner or a pool admin). Any protection from
        recycling ends with the hold, here and for every give-back and transfer."""
        return self._give_back(actor_id, lead_id, Action.RELEASE, reason, expected_version)

    def return_lead(
        self, actor_id: str, lead_id: str, reason: str, *, expected_version: int | None = None
    ) -> Lead:
        """Return a lead to the pool with a reason (退回; its owner). History is kept."""
        return self._give_back(actor_id, lead_id, Action.RETURN, reason, expected_version)

    def reclaim(
        self,
        actor_id: str,
        lead_id: str,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Take an assigned lead back into the pool (收回; pool admins)."""
        return self._give_back(actor_id, lead_id, Action.RECLAIM, reason, expected_version)

    def batch_recycle(
        self, actor_id: str, lead_ids: IdCollection, *, reason: str | None = None
    ) -> BatchResult:
        """Take several held leads back into their pools (回收); a result per lead. A lead an
        admin protects is refused (``PermissionDenied`` saying until when), as the sweep waits."""
        return self._each(GiveBack, lead_ids, actor_id=actor_id, move=Action.RECYCLE, reason=reason)

    # --- to another owner or pool ------------------------------------------------------------
    def change_owner(
        self,
        actor_id: str,
        lead_id: str,
        new_owner_id: str,
        *,
        department_id: str | None = None,
        move_follow_ups: bool = False,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Hand a lead to another owner (调整/更换负责人). The old owner becomes a collaborator,
        unless deactivated or no longer a user; with ``move_follow_ups`` the old owner's
        follow-up records move to the new owner. The lead's ``department_id`` is the new
        owner's department unless given (as for :meth:`assign`)."""
        return self._run(
            ChangeOwner,
            actor_id=actor_id,
            lead_id=lead_id,
            owner_id=new_owner_id,
            department_id=department_id,
            move_follow_ups=checks.flag(move_follow_ups, "move_follow_ups"),
            reason=reason,
            expected_version=expected_version,
        )

    def transfer(
        self,
        actor_id: str,
        lead_id: str,
        to_pool_id: str,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Move a lead to another pool (转移; admin of both pools). It arrives unassigned and
        the new pool's rules (default owner, auto-assign) apply as for a new lead."""
        return self._run(
            Transfer,
            actor_id=actor_id,
            lead_id=lead_id,
            to_pool_id=to_pool_id,
            reason=reason,
            expected_version=expected_version,
        )

    def batch_transfer(
        self, actor_id: str, lead_ids: IdCollection, to_pool_id: str, *, reason: str | None = None
    ) -> BatchResult:
        """Transfer several leads to another pool, each with ``reason``; a result per lead."""
        return self._each(
            Transfer, lead_ids, actor_id=actor_id, to_pool_id=to_pool_id, reason=reason
        )

    # --- deciding its fate -------------------------------------------------------------------
    def invalidate(
        self, actor_id: str, lead_id: str, reason: str, *, expected_version: int | None = None
    ) -> Lead:
        """Mark the lead invalid (无效) with a reason."""
        return self._decide(actor_id, lead_id, Action.INVALIDATE, reason, expected_version)

    def close_lost(
        self, actor_id: str, lead_id: str, reason: str, *, expected_version: int | None = None
    ) -> Lead:
        """Close the lead as lost (关闭) with the lost reason (丢失原因)."""
        return self._decide(actor_id, lead_id, Action.CLOSE_LOST, reason, expected_version)
