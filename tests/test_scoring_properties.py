"""Invariants of scoring, over generated models, leads and activity histories."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from leadcore import CompanySize, Lead, Money
from leadcore.scoring import Activity, Band, BehaviourRule, Decay, Dimension, ScoreModel
from leadcore.testing import EPOCH, make_lead

NOW = EPOCH + timedelta(days=100)
TEXT_VALUES = ("v0", "v1", "v2", "v3")
FIELDS: dict[str, tuple[str, ...]] = {
    "industry": TEXT_VALUES,
    "region": TEXT_VALUES,
    "company_size": tuple(m.value for m in CompanySize),
    "custom_fields.urgency": TEXT_VALUES,
    "custom_fields.fit": TEXT_VALUES,
}
KINDS = ("a", "b", "c")
points = st.floats(min_value=0, max_value=10, allow_nan=False)


@st.composite
def dimensions(draw: st.DrawFn) -> tuple[Dimension, ...]:
    fields = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=4, unique=True))
    shares = draw(st.lists(st.integers(1, 9), min_size=len(fields), max_size=len(fields)))
    out = []
    for field, share in zip(fields, shares, strict=True):
        keys = draw(st.lists(st.sampled_from(FIELDS[field]), min_size=1, unique=True))
        values = {k: draw(points) for k in keys}
        out.append(Dimension(field, share / sum(shares), values=values, default=draw(points)))
    return tuple(out)


decays = st.one_of(
    st.none(),
    st.builds(Decay, half_life=st.integers(1, 60).map(lambda d: timedelta(days=d))),
    st.builds(
        Decay,
        lose=st.floats(min_value=0.1, max_value=5),
        every=st.integers(1, 30).map(lambda d: timedelta(days=d)),
    ),
)


@st.composite
def rules(draw: st.DrawFn) -> tuple[BehaviourRule, ...]:
    kinds = draw(st.lists(st.sampled_from(KINDS), max_size=3, unique=True))
    return tuple(
        BehaviourRule(
            k, draw(points), cap=draw(st.floats(min_value=0.5, max_value=30)), decay=draw(decays)
        )
        for k in kinds
    )


@st.composite
def models(draw: st.DrawFn) -> ScoreModel:
    dims, behaviour, decay = draw(dimensions()), draw(rules()), draw(decays)
    top = sum(d.weight * d.max_points for d in dims) + sum(r.cap for r in behaviour)
    assume(top > 1e-3)
    return ScoreModel(dimensions=dims, behaviour=behaviour, decay=decay)


def lead_values() -> st.SearchStrategy[dict[str, str | None]]:
    return st.fixed_dictionaries(
        {f: st.one_of(st.none(), st.sampled_from(vs)) for f, vs in FIELDS.items()}
    )


def build_lead(values: dict[str, str | None]) -> Lead:
    custom = {
        f.removeprefix("custom_fields."): v
        for f, v in values.items()
        if f.startswith("custom_fields.") and v is not None
    }
    size = values["company_size"]
    return make_lead(
        "L1",
        industry=values["industry"],
        region=values["region"],
        company_size=None if size is None else CompanySize.parse(size),
        custom_fields=custom,
    )


activities = st.lists(
    st.builds(
        lambda kind, hours: Activity(kind, NOW - timedelta(hours=hours)),
        st.sampled_from((*KINDS, "unscored")),
        st.integers(-48, 24 * 90),
    ),
    max_size=8,
)


@given(models(), lead_values(), activities)
def test_scores_stay_within_zero_and_max_and_parts_add_up(
    model: ScoreModel, values: dict[str, str | None], history: list[Activity]
) -> None:
    score = model.compile().score(build_lead(values), history, now=NOW)
    assert 0 <= score.total <= score.max == model.max_score
    assert 0 <= score.profile <= model.max_profile
    assert 0 <= score.behaviour <= model.max_behaviour
    parts = score.breakdown.parts
    assert math.isclose(sum(p.points for p in parts), score.total, abs_tol=1e-5)
    profile_parts = sum(p.points for p in parts if p.section == "profile")
    assert math.isclose(profile_parts, score.profile, abs_tol=1e-5)
    for part in parts:
        assert part.decay >= -1e-9 and part.capped >= -1e-9
        if part.section == "profile":
            assert part.points == part.weight * part.raw
    assert score.grade == model.grade_for(score.total)
    assert score.mql is (score.total >= (model.mql_at_least or 0))


@given(models(), lead_values(), activities, st.data())
def test_scores_are_monotone_in_each_dimensions_points(
    model: ScoreModel, values: dict[str, str | None], history: list[Activity], data: st.DataObject
) -> None:
    scorer = model.compile()
    before = scorer.score(build_lead(values), history, now=NOW)
    dimension = data.draw(st.sampled_from(model.dimensions))
    current = values[dimension.field]
    assert dimension.values is not None
    now_points = dimension.values.get(current or "", dimension.default)
    better = [k for k, p in dimension.values.items() if p >= now_points]
    if dimension.default >= now_points:
        better.append("")
    choice = data.draw(st.sampled_from(better))
    changed = {**values, dimension.field: choice or None}
    after = scorer.score(build_lead(changed), history, now=NOW)
    assert after.total >= before.total


@given(
    st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=5),
    st.integers(0, 2_000_000),
    st.integers(0, 2_000_000),
)
def test_banded_scores_are_monotone_when_the_bands_ascend(
    bands: list[tuple[int, int]], low: int, high: int
) -> None:
    starts = sorted({s * 100_000 for s, _ in bands})
    rising = sorted(p + 1 for _, p in bands)[: len(starts)]
    model = ScoreModel(
        dimensions=(
            Dimension(
                "budget", 1.0, bands=[Band(s, p) for s, p in zip(starts, rising, strict=True)]
            ),
        )
    )
    scorer = model.compile()
    low, high = sorted((low, high))
    cheap = scorer.score(make_lead("L1", budget=Money(Decimal(low))), now=NOW)
    dear = scorer.score(make_lead("L1", budget=Money(Decimal(high))), now=NOW)
    assert cheap.total <= dear.total


@given(models(), lead_values(), activities, st.integers(0, 24 * 365))
def test_decay_never_increases_a_score_over_time(
    model: ScoreModel, values: dict[str, str | None], history: list[Activity], later: int
) -> None:
    past = [a for a in history if a.at <= NOW]
    scorer = model.compile()
    lead = build_lead(values)
    now_score = scorer.score(lead, past, now=NOW)
    later_score = scorer.score(lead, past, now=NOW + timedelta(hours=later))
    assert later_score.total <= now_score.total
    assert later_score.profile == now_score.profile


@given(models(), lead_values(), activities, activities)
def test_more_activity_never_lowers_a_score(
    model: ScoreModel, values: dict[str, str | None], first: list[Activity], more: list[Activity]
) -> None:
    scorer = model.compile()
    lead = build_lead(values)
    assert (
        scorer.score(lead, first + more, now=NOW).total >= scorer.score(lead, first, now=NOW).total
    )


@given(models())
def test_models_round_trip_through_plain_data(model: ScoreModel) -> None:
    data: dict[str, Any] = model.to_dict()
    assert ScoreModel.from_dict(data) == model
