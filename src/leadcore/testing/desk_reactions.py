"""What follows from any change to a lead, whichever operation made it: a pool's conditions on
later edits (Frappe's unassign and close conditions), a due date taken from a date field
(Frappe's "due date based on"), and the learned grade kept on the lead as outcomes arrive
(Odoo's predictive lead scoring)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from leadcore import (
    CustomField,
    CustomFieldSet,
    EventKind,
    FieldType,
    LeadcoreError,
    LeadStatus,
    Pool,
    ValidationError,
)
from leadcore.conditions import load_conditions
from leadcore.desk.plans.learned import STATE_KEY
from leadcore.scoring import PredictiveModel, fit_predictive, fit_scoped
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.strategies import per_store_settings
from leadcore.testing.world import World

__all__ = ["ReactionsCase"]

_per_store = per_store_settings(HealthCheck.too_slow, max_examples=15, deadline=None)

CONDITIONS = load_conditions(
    """
[moved_north]
when = { region = "华北" }
then = "return_to_pool"

[stalled]
when = { stage = "意向跟进", industry = ["教育", "培训"] }
then = "close_lost"
reason = "教育行业意向跟进阶段不再跟进"
"""
)

HISTORY = [
    *({"region": "华东", "status": "converted"} for _ in range(6)),
    *({"region": "华东", "status": "closed_lost"} for _ in range(2)),
    *({"region": "华北", "status": "converted"} for _ in range(1)),
    *({"region": "华北", "status": "invalid"} for _ in range(5)),
]
"""A history where 华东 leads mostly convert and 华北 ones mostly do not."""


class ReactionsCase(DeskCase):
    """Conditions, due dates from fields and the learned grade, on the store you make."""

    def reacting(self, **options: object) -> World:
        """A world with pool ``r`` (admin ``admin``) that reacts to the two conditions."""
        return self.world(
            Pool(id="r", name="条件池", admins={"admin"}, conditions=("moved_north", "stalled")),
            conditions=CONDITIONS,
            **options,
        )

    def held(self, w: World, owner: str = "u1", **fields: object) -> str:
        """A new lead of pool ``r`` created straight into ``owner``'s hands."""
        details: dict[str, object] = {"contact_name": "王磊", "phone": "13800138000", **fields}
        return w.desk.create("admin", "r", owner_id=owner, **details).id  # type: ignore[arg-type]

    # --- conditions on later edits -----------------------------------------------------------
    def test_an_unassign_condition_fires_once_per_transition_into_it(self) -> None:
        w = self.reacting()
        lead_id = self.held(w, region="华东")
        moved = w.desk.edit("u1", lead_id, region="华北")
        assert (moved.status, moved.owner_id, moved.region) == (LeadStatus.UNASSIGNED, None, "华北")
        edited, recycled = w.desk.history("admin", lead_id)[-2:]
        assert edited.kind is EventKind.LEAD_EDITED and edited.actor_id == "u1"
        assert recycled.kind is EventKind.RECYCLED
        assert recycled.data["condition"] == "moved_north"
        assert recycled.reason == "condition moved_north: region=华北"
        # Assigned again while it still holds, later saves leave it alone.
        w.desk.assign("admin", lead_id, "u1")
        kept = w.desk.edit("u1", lead_id, company="星河科技")
        assert kept.owner_id == "u1"
        fired = [e for e in w.desk.history("admin", lead_id) if e.data.get("condition")]
        assert len(fired) == 1
        # Out of the condition and back in: it fires again.
        w.desk.edit("u1", lead_id, region="华东")
        assert w.desk.edit("u1", lead_id, region="华北").owner_id is None
        fired = [e for e in w.desk.history("admin", lead_id) if e.data.get("condition")]
        assert len(fired) == 2

    def test_a_close_condition_closes_the_lead_with_its_reason(self) -> None:
        w = self.reacting()
        lead_id = self.held(w, industry="教育")
        w.desk.edit("u1", lead_id, stage="方案沟通")
        closed = w.desk.edit("u1", lead_id, stage="意向跟进")
        assert closed.status is LeadStatus.CLOSED_LOST
        assert closed.lost_reason == "教育行业意向跟进阶段不再跟进"
        last = w.desk.history("admin", lead_id)[-1]
        assert (last.kind, last.data["condition"]) == (EventKind.CLOSED_LOST, "stalled")

    def test_a_new_lead_matching_a_condition_does_not_fire_it(self) -> None:
        w = self.reacting()
        lead_id = self.held(w, region="华北")
        assert w.desk.get("admin", lead_id).owner_id == "u1"
        assert not [e for e in w.desk.history("admin", lead_id) if e.data.get("condition")]

    def test_a_pool_naming_an_unknown_condition_is_refused(self) -> None:
        w = self.reacting()
        with pytest.raises(ValidationError, match=r"conditions.*no condition 'nope'"):
            w.desk.update_pool("sysadmin", "r", conditions=["moved_north", "nope"])

    # --- due date from a field ---------------------------------------------------------------
    def test_the_due_date_follows_a_date_field(self) -> None:
        fields = CustomFieldSet([CustomField("visit_on", FieldType.DATE)])
        w = self.world(
            Pool(id="r", name="回访池", admins={"admin"}, due_date_field="custom.visit_on"),
            custom_fields=fields,
        )
        lead_id = self.held(w)
        assert w.desk.get("admin", lead_id).next_due_at is None
        lead = w.desk.edit("u1", lead_id, custom_fields={"visit_on": date(2026, 3, 10)})
        assert lead.next_due_at == datetime(2026, 3, 10, tzinfo=UTC)
        change = w.desk.history("admin", lead_id)[-1].change("next_due_at")
        assert change is not None and change.after == datetime(2026, 3, 10, tzinfo=UTC)
        created = w.desk.create(
            "admin",
            "r",
            contact_name="李娜",
            phone="13800138000",
            owner_id="u2",
            custom_fields={"visit_on": "2026-03-12"},
        )
        assert created.next_due_at == datetime(2026, 3, 12, tzinfo=UTC)

    def test_a_due_date_field_must_be_a_date_field(self) -> None:
        w = self.world(Pool(id="r", name="回访池", admins={"admin"}))
        for bad in ("region", "custom.visit_on", "next_due_at"):
            with pytest.raises(ValidationError, match=r"due_date_field.*not a date field"):
                w.desk.update_pool("sysadmin", "r", due_date_field=bad)
        assert w.desk.update_pool("sysadmin", "r", due_date_field="mql_at").due_date_field

    # --- the learned grade on the desk -------------------------------------------------------
    def test_the_probability_is_stored_and_kept_current_as_outcomes_arrive(self) -> None:
        seed = fit_predictive(HISTORY, fields=["region"])
        w = self.reacting(predictor=seed)
        east, north, other = (self.held(w, region=r) for r in ("华东", "华北", "华东"))
        p_east = w.desk.get("admin", east).probability
        p_north = w.desk.get("admin", north).probability
        assert p_east is not None and p_north is not None and 0 < p_north < 0.5 < p_east < 1
        assert w.desk.convert("u1", east).lead.probability == 1.0
        assert w.desk.invalidate("u1", north, "空号").probability == 0.0
        live = self.live(w)
        assert (live.converted, live.lost) == (seed.converted + 1, seed.lost + 1)
        assert live == seed.observed({"region": "华东"}, True).observed({"region": "华北"}, False)
        # Other leads' outcomes move the live model; repredict brings stored values along.
        stale = w.desk.get("admin", other).probability
        result = w.desk.repredict("admin", [other, east])
        fresh = result.outcomes[0].unwrap().probability
        assert fresh is not None and stale is not None and fresh > stale
        assert w.desk.history("admin", other)[-1].kind is EventKind.PROBABILITY_CHANGED
        assert result.outcomes[1].ok  # a converted lead's probability stays 1: nothing written
        # Reopened, the lead is taken back out of the counts.
        reopened = w.desk.reopen("admin", north)
        assert reopened.probability is not None and 0 < reopened.probability < 1
        assert self.live(w).lost == seed.lost

    def test_models_per_pool_learn_in_their_pool_and_a_refit_starts_afresh(self) -> None:
        history = [{**row, "pool_id": "r"} for row in HISTORY]
        seed = fit_scoped(history, fields=["region"])
        w = self.reacting(predictor=seed)
        lead_id = self.held(w, region="华北")
        w.desk.close_lost("u1", lead_id, "预算不足")
        with w.store.unit_of_work() as uow:
            stored = uow.get_state(STATE_KEY)
        assert isinstance(stored, dict) and isinstance(stored["model"], dict)
        scopes = stored["model"]["scopes"]
        assert isinstance(scopes, dict) and isinstance(scopes["r"], dict)
        assert scopes["r"]["lost"] == seed.scopes["r"].lost + 1

    def test_a_desk_without_a_predictor_refuses_repredict(self) -> None:
        w = self.reacting()
        with pytest.raises(ValidationError, match="predictor"):
            w.desk.repredict("admin", [self.held(w)])

    @_per_store
    @given(
        st.lists(
            st.tuples(
                st.integers(0, 2), st.sampled_from(["edit", "convert", "lose", "reopen", "assign"])
            ),
            max_size=14,
        ),
        st.sampled_from(["华东", "华北", "华南"]),
    )
    def test_a_pending_leads_probability_is_always_strictly_between_0_and_1(
        self, moves: list[tuple[int, str]], region: str
    ) -> None:
        seed = fit_predictive(HISTORY, fields=["region"])
        w = self.reacting(predictor=seed)
        ids = [self.held(w, region=region) for _ in range(3)]
        regions = ["华东", "华北", "华南"]
        for n, (index, move) in enumerate(moves):
            lead_id = ids[index]
            try:
                if move == "edit":
                    w.desk.edit("admin", lead_id, region=regions[n % 3])
                elif move == "convert":
                    w.desk.convert("admin", lead_id)
                elif move == "lose":
                    w.desk.close_lost("admin", lead_id, "无预算")
                elif move == "reopen":
                    w.desk.reopen("admin", lead_id)
                else:
                    w.desk.assign("admin", lead_id, "u1")
            except LeadcoreError:
                continue  # a move the lead's status does not allow
            for lead in w.desk.get_many("admin", ids):
                p = lead.probability
                assert p is not None
                if lead.status is LeadStatus.CONVERTED:
                    assert p == 1.0
                elif lead.status in (LeadStatus.CLOSED_LOST, LeadStatus.INVALID):
                    assert p == 0.0
                else:
                    assert 0.0 < p < 1.0
        decided = [
            {"region": lead.region, "status": lead.status.value}
            for lead in w.desk.get_many("admin", ids)
        ]
        refit = fit_predictive([*HISTORY, *decided], fields=["region"])
        assert self.live(w, seed) == refit

    def live(self, w: World, seed: PredictiveModel | None = None) -> PredictiveModel:
        """The live learned-grade model the desk keeps in the store (``seed`` before any)."""
        with w.store.unit_of_work() as uow:
            stored = uow.get_state(STATE_KEY)
        if stored is None and seed is not None:
            return seed
        assert isinstance(stored, dict)
        return PredictiveModel.from_dict(stored["model"])
