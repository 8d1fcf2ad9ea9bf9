"""Properties of the sweep over random histories with a fixed clock: idempotent, never twice
per step and period, never a recycle of a lead followed up in time, the same events from two
sweeping threads as from one; and cadences never due before the follow-up."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import EventKind, LeadStatus, MemoryStore
from leadcore.cadence import Cadence, CadencePlan
from leadcore.model import FollowUpMethod, Pool
from leadcore.sla import SlaPolicy
from leadcore.testing.desk_sla import SLA_POOL, sla_events, sweep_in_threads
from leadcore.testing.world import T0, World, make_world, new_lead

few = settings(max_examples=25, deadline=None)

# A history: per lead, the hour it is handed out; then follow-ups (lead, hour) and sweeps (hour).
HISTORIES = st.tuples(
    st.lists(st.integers(0, 40), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 200)), max_size=8),
    st.lists(st.integers(0, 260), min_size=1, max_size=10),
)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def play(
    world: World, handouts: list[int], follow_ups: list[tuple[int, int]], sweeps: list[int]
) -> tuple[list[str], dict[str, list[datetime]]]:
    """Run the history in time order (re-assigning a recycled lead at its next follow-up); the
    leads, and when each was followed up or handed out again."""
    leads: list[str] = []
    touched: dict[str, list[datetime]] = {}
    plan: list[tuple[int, int, int, int]] = [(h, 0, i, 0) for i, h in enumerate(handouts)]
    plan += [(h, 1, i % len(handouts), 0) for i, h in follow_ups]
    plan += [(h, 2, 0, 0) for h in sweeps]
    for hour, kind, index, _ in sorted(plan):
        world.clock.set(at(hour))
        if kind == 0:
            lead_id = new_lead(world, "carol", pool="sla")
            world.desk.assign("carol", lead_id, "bob")
            leads.append(lead_id)
            touched[lead_id] = [at(hour)]
        elif kind == 1 and index < len(leads):
            lead_id = leads[index]
            if world.desk.get("carol", lead_id).status is LeadStatus.UNASSIGNED:
                world.desk.assign("carol", lead_id, "dave")
            else:
                world.desk.follow_up("carol", lead_id, method="phone", content="c", result="r")
            touched[lead_id].append(at(hour))
        elif kind == 2:
            before = len(sla_events(world))
            world.desk.sweep()
            middle = len(sla_events(world))
            again = world.desk.sweep()
            assert again.emitted == 0 and len(sla_events(world)) == middle >= before
    return leads, touched


@few
@given(HISTORIES)
def test_sweeps_are_idempotent_and_emit_each_step_once_per_period(
    history: tuple[list[int], list[tuple[int, int]], list[int]],
) -> None:
    world = make_world(MemoryStore(), SLA_POOL)
    play(world, *history)
    keys = [(e.lead_id, e.data["period_start"], e.data["key"]) for e in sla_events(world)]
    assert len(keys) == len(set(keys)), "a step was emitted twice in one period"


@few
@given(HISTORIES)
def test_no_lead_followed_up_in_time_is_recycled(
    history: tuple[list[int], list[tuple[int, int]], list[int]],
) -> None:
    world = make_world(MemoryStore(), SLA_POOL)
    _, touched = play(world, *history)
    for event in sla_events(world):
        if event.kind is not EventKind.RECYCLED:
            continue
        due = datetime.fromisoformat(str(event.data["due_at"]))
        assert event.lead_id is not None and due <= event.at
        recent = [t for t in touched[event.lead_id] if due - timedelta(hours=72) < t <= due]
        assert not recent, f"{event.lead_id} was followed up at {recent} yet recycled at {due}"


@settings(max_examples=10, deadline=None)
@given(
    st.lists(st.integers(0, 60), min_size=2, max_size=8),
    st.lists(st.integers(0, 160), min_size=1, max_size=6),
)
def test_two_threads_sweeping_emit_what_one_does(handouts: list[int], sweeps: list[int]) -> None:
    def run(threads: int) -> Counter[tuple[str, str | None, str, str]]:
        world = make_world(MemoryStore(), SLA_POOL)
        play(world, handouts, [], [])
        return sweep_in_threads(world, [at(h) for h in sorted(sweeps)], threads)

    assert run(2) == run(1)


PLAN = CadencePlan(
    by_method={
        "phone": "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "wechat": Cadence.gap(days=3),
        "email": Cadence.monthly(1, 15),
        "visit": Cadence.gap(months=3),
    },
    default=Cadence.gap(hours=1),
    calendar={"timezone": "Asia/Shanghai", "weekly": {"mon-fri": ["09:00-18:00"]}},
)


@few
@given(
    st.lists(
        st.tuples(st.sampled_from(list(FollowUpMethod)), st.integers(0, 30 * 24 * 60)),
        min_size=1,
        max_size=5,
    )
)
def test_cadences_never_give_a_date_before_the_follow_up(
    contacts: list[tuple[FollowUpMethod, int]],
) -> None:
    world = make_world(
        MemoryStore(),
        Pool(id="c", name="节奏", admins={"carol"}, sla_policy="cadence"),
        sla_policies={"cadence": SlaPolicy(cadence=PLAN)},
    )
    lead_id = new_lead(world, "carol", pool="c")
    world.desk.assign("carol", lead_id, "bob")
    world.clock.set(at(31 * 24))
    for method, minutes in contacts:
        when = at(minutes / 60)
        record = world.desk.follow_up(
            "bob", lead_id, method=method, content="c", result="r", at=when
        )
        lead = world.desk.get("bob", lead_id)
        assert lead.next_due_at is not None and lead.next_due_at > record.at
