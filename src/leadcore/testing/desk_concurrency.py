"""Concurrent use of one desk: two users claiming one lead must never both win."""

from __future__ import annotations

import random
from collections import Counter
from functools import partial

from leadcore import (
    AlreadyClaimed,
    EventKind,
    LeadcoreError,
    LeadQuery,
    LeadStatus,
    PermissionDenied,
    Pool,
)
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.threads import at_once
from leadcore.testing.world import CLAIMERS as REPS

__all__ = ["ConcurrencyCase"]

CAP = 10


class ConcurrencyCase(DeskCase):
    """Many threads on one desk: no lead has two owners, no cap is broken."""

    def test_eight_threads_claiming_the_same_hundred_leads(self) -> None:
        world = self.world(
            Pool(
                id="p",
                name="抢单池",
                admins={"admin"},
                members=set(REPS),
                claim_enabled=True,
                max_open_per_user=CAP,
            )
        )
        desk, store = world.desk, world.store
        lead_ids = [
            desk.create("admin", "p", contact_name=f"客户{i}", phone="13800138000").id
            for i in range(100)
        ]
        wins: dict[str, list[str]] = {rep: [] for rep in REPS}
        losses: dict[str, list[LeadcoreError]] = {rep: [] for rep in REPS}
        unexpected: list[BaseException] = []

        def claim_all(rep: str, seed: int) -> None:
            order = list(lead_ids)
            random.Random(seed).shuffle(order)
            for lead_id in order:
                try:
                    desk.claim(rep, lead_id)
                    wins[rep].append(lead_id)
                except (PermissionDenied, AlreadyClaimed) as e:
                    losses[rep].append(e)
                except BaseException as e:  # anything else is a bug
                    unexpected.append(e)

        at_once(*(partial(claim_all, rep, i) for i, rep in enumerate(REPS)))

        assert not unexpected
        won = [lead_id for rep in REPS for lead_id in wins[rep]]
        assert len(won) == len(set(won)), "a lead was won twice"
        assert len(won) == min(100, CAP * len(REPS))
        assert all(len(wins[rep]) <= CAP for rep in REPS), "a rep exceeded the cap"
        with store.unit_of_work() as uow:
            for rep in REPS:
                held = uow.find_leads(LeadQuery(owner_id=rep))
                assert sorted(lead.id for lead in held) == sorted(wins[rep])
                assert all(lead.status is LeadStatus.ASSIGNED for lead in held)
            claimed = Counter(e.lead_id for e in uow.events_since(0) if e.kind is EventKind.CLAIMED)
        assert claimed == Counter(won), "exactly one claim event per won lead"
        for rep in REPS:
            assert len(wins[rep]) + len(losses[rep]) == 100
            for error in losses[rep]:
                text = str(error)
                # Either someone else got there first, or the rep's own cap was reached.
                assert "already owned" in text or f"allows {CAP}" in text, text
