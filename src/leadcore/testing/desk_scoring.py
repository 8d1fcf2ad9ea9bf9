"""The desk keeps scores current: on create, edit, follow-up and recorded activity;
MQL crossings are announced once; sales acceptance is a recorded step; grades are queryable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadcore import (
    EventKind,
    FollowUpMethod,
    Lead,
    LeadDesk,
    NotFound,
    Pool,
    ValidationError,
)
from leadcore.clock import FixedClock
from leadcore.scoring import ScoreModel
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.world import T0

__all__ = ["ScoringCase"]

MODEL = ScoreModel.from_dict(
    {
        "dimensions": [
            {
                "field": "company_size",
                "weight": 0.5,
                "values": {"large": 10, "medium": 8},
                "default": 0,
            },
            {"field": "industry", "weight": 0.5, "values": {"制造业": 10}, "default": 5},
        ],
        "behaviour": [
            {"kind": "pricing_page_visit", "points": 4, "cap": 8},
            {"kind": "whitepaper_download", "points": 3, "cap": 6},
        ],
        "decay": {"half_life": 7 * 24 * 3600},
        "grades": [
            {"name": "A", "at_least": 15},
            {"name": "B", "at_least": 10},
            {"name": "C", "at_least": 5},
            {"name": "D", "at_least": 0},
        ],
        "mql_at_least": 15,
    }
)


def _large_manufacturer(desk: LeadDesk) -> Lead:
    return desk.create(
        "admin",
        "p",
        contact_name="王磊",
        phone="13800138000",
        company_size="large",
        industry="制造业",
    )


class ScoringCase(DeskCase):
    """The desk keeps scores current: on create, edit, follow-up and recorded activity."""

    def scoring_desk(self) -> tuple[LeadDesk, FixedClock]:
        """A scoring desk with a pool ``p`` run by ``admin`` whose leads go to ``bob``."""
        world = self.world(
            Pool(id="p", name="市场线索池", admins={"admin"}, default_owner_id="bob"),
            scorer=MODEL.compile(),
        )
        return world.desk, world.clock

    def test_a_new_lead_is_scored_and_graded(self) -> None:
        desk, _ = self.scoring_desk()
        lead = _large_manufacturer(desk)
        assert (lead.score, lead.grade, lead.mql_at) == (10.0, "B", None)
        created = desk.history("bob", lead.id)[0]
        assert created.change("grade") is not None

    def test_activity_raises_the_score_and_mql_is_announced_once(self) -> None:
        desk, clock = self.scoring_desk()
        lead = _large_manufacturer(desk)
        after_one = desk.record_activity("bob", lead.id, "pricing_page_visit")
        assert after_one.score == 14.0 and after_one.mql_at is None
        clock.advance(minutes=5)
        after_two = desk.record_activity("bob", lead.id, "whitepaper_download")
        assert after_two.score == pytest.approx(17.0, abs=0.01)  # the first visit decayed a little
        assert after_two.grade == "A" and after_two.mql_at == clock.now()
        desk.record_activity("bob", lead.id, "pricing_page_visit")
        kinds = [e.kind for e in desk.history("bob", lead.id)]
        assert kinds.count(EventKind.MQL_REACHED) == 1
        assert kinds.index(EventKind.MQL_REACHED) == kinds.index(EventKind.ACTIVITY_RECORDED) + 2
        assert desk.leads("bob", grade="A").ids == [lead.id]

    def test_behaviour_decays_and_rescore_brings_the_stored_score_down(self) -> None:
        desk, clock = self.scoring_desk()
        lead = desk.create("admin", "p", contact_name="王磊", phone="13800138000")
        scored = desk.record_activity("bob", lead.id, "pricing_page_visit")
        clock.advance(days=7)
        explained = desk.score("bob", lead.id)
        assert scored.score is not None
        assert explained.total == pytest.approx(scored.score - 2.0)
        result = desk.rescore("sysadmin", [lead.id])
        assert result.outcomes[0].unwrap().score == pytest.approx(explained.total)
        assert desk.history("bob", lead.id)[-1].kind is EventKind.SCORE_CHANGED
        assert str(explained)  # the explain table renders

    def test_edit_and_follow_up_rescore(self) -> None:
        desk, _ = self.scoring_desk()
        lead = desk.create("admin", "p", contact_name="王磊", phone="13800138000")
        edited = desk.edit("bob", lead.id, company_size="medium")
        assert edited.score == pytest.approx(6.5)
        followed = desk.follow_up(
            "bob", lead.id, method=FollowUpMethod.PHONE, content="介绍", result="有兴趣"
        )
        assert followed.lead_id == lead.id

    def test_activity_in_the_future_or_by_an_outsider_is_refused(self) -> None:
        desk, clock = self.scoring_desk()
        lead = desk.create("admin", "p", contact_name="王磊", phone="13800138000")
        with pytest.raises(ValidationError, match="at"):
            desk.record_activity(
                "bob", lead.id, "pricing_page_visit", at=clock.now() + timedelta(hours=1)
            )
        with pytest.raises(NotFound):  # erin may not even see the lead
            desk.record_activity("erin", lead.id, "pricing_page_visit")

    def test_sales_accepts_once(self) -> None:
        desk, clock = self.scoring_desk()
        lead = desk.create("admin", "p", contact_name="王磊", phone="13800138000")
        accepted = desk.accept_sql("bob", lead.id)
        assert accepted.sql_at == T0
        clock.advance(hours=1)
        assert desk.accept_sql("bob", lead.id).sql_at == T0
        kinds = [e.kind for e in desk.history("bob", lead.id)]
        assert kinds.count(EventKind.SQL_ACCEPTED) == 1
        with pytest.raises(NotFound):
            desk.accept_sql("erin", lead.id)

    def test_readiness_suggests_converting_at_three_signals(self) -> None:
        desk, _ = self.scoring_desk()
        lead = desk.create("admin", "p", contact_name="王磊", phone="13800138000", budget="500000")
        desk.record_activity("bob", lead.id, "demo_requested")
        two = desk.readiness("bob", lead.id)
        assert not two.suggest_convert and len(two.held) == 2
        three = desk.readiness("bob", lead.id, signals=["referral_made"])
        assert three.suggest_convert and len(three.held) == 3
        with pytest.raises(ValidationError, match=r"signals\[0\]"):
            desk.readiness("bob", lead.id, signals=["not-a-signal"])
