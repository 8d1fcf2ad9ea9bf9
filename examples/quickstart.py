"""A day in a lead pool with leadcore, in memory: what ``make demo`` runs.

A system admin sets up a pool with admins; several users create leads; the pool admin assigns;
reps follow up; one releases a lead and a colleague claims it; the admin hands a lead to another
rep; a refused action explains itself; web leads land in a second pool that hands them out in
turn (round robin) and scores them, one becomes a marketing-qualified lead (MQL) and its score
explains itself; and the audit trail shows who did what, when and why.

``python examples/quickstart.py --labels en`` prints the English labels (``make demo
LABELS=en``); the default is Chinese.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from leadcore import (
    Action,
    Department,
    FixedClock,
    LeadDesk,
    MemoryStore,
    OrgChart,
    PermissionDenied,
    Pool,
    RoundRobin,
    ScoreModel,
    User,
    counter_ids,
)
from leadcore.labels import LabelledEnum

SCORING = ScoreModel.from_toml(
    """
    mql_at_least = 110

    [[dimensions]]
    field = "company_size"
    weight = 0.6
    default = 20
    values = { large = 100, medium = 70, small = 40 }

    [[dimensions]]
    field = "industry"
    weight = 0.4
    default = 30
    values = { "制造业" = 100, "软件" = 80 }

    [[behaviour]]
    kind = "pricing_page_visit"
    points = 15
    cap = 30

    [[behaviour]]
    kind = "demo_requested"  # a built-in ActivityKind: conversion readiness counts it too
    points = 25
    cap = 25

    [decay]
    half_life = 604800  # a week, in seconds

    [[grades]]
    name = "A"
    at_least = 80
    [[grades]]
    name = "B"
    at_least = 60
    [[grades]]
    name = "C"
    at_least = 30
    [[grades]]
    name = "D"
    at_least = 0
    """
)
"""How web leads are scored: who they are (profile) and what they do (behaviour)."""


def labeller(english: bool) -> Callable[[LabelledEnum], str]:
    """How statuses, actions and event kinds are shown: in English or in Chinese."""
    return (lambda member: member.label_en) if english else (lambda member: member.label)


def build_desk() -> tuple[LeadDesk, FixedClock]:
    """An organisation, a store, a replayable clock and ids, and the desk over them."""
    org = OrgChart(
        users=[
            User("root", "系统管理员", department_id="hq", roles={"system_admin"}),
            User("carol", "Carol（线索池管理员）", department_id="east"),
            User("mgr", "华东经理", department_id="east"),
            User("bob", "Bob", department_id="east_sales"),
            User("dave", "Dave", department_id="east_sales"),
            User("mia", "Mia（市场）", department_id="marketing"),
        ],
        departments=[
            Department("hq", "总部"),
            Department("east", "华东大区", parent_id="hq", manager_id="mgr"),
            Department("east_sales", "华东销售", parent_id="east"),
            Department("marketing", "市场部", parent_id="hq"),
        ],
    )
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    desk = LeadDesk(
        MemoryStore(),
        clock,
        org,
        ids=counter_ids(),
        strategies={"web_turns": RoundRobin(name="web_turns", users=("bob", "dave"))},
        scorer=SCORING.compile(),
    )
    return desk, clock


def main(argv: list[str] | None = None) -> None:
    """Run the day and print what happened."""
    parser = argparse.ArgumentParser(description="A day in a lead pool.")
    parser.add_argument("--labels", choices=("zh", "en"), default="zh", help="label language")
    label = labeller(parser.parse_args(argv).labels == "en")
    desk, clock = build_desk()
    desk.create_pool(
        "root",
        Pool(
            id="east",
            name="华东线索池",
            admins={"carol"},
            claim_enabled=True,
            max_open_per_user=20,
            reminder_hours=24,
            recycle_hours=72,
        ),
    )

    # 09:00 — leads arrive from several people.
    wang = desk.create(
        "mia",
        "east",
        contact_name="王磊",
        company="星河科技",
        phone="138 0013 8000",
        source="web_form",
    )
    ann = desk.create(
        "bob",
        "east",
        contact_name="Ann Lee",
        company="Acme Ltd",
        email="Ann@Acme.com",
        source="event",
    )
    chen = desk.create("dave", "east", contact_name="陈静", company="远航物流", wechat="chen_jing")
    print(f"created {wang.id}, {ann.id}, {chen.id}: all {label(wang.status)} (the pool is on)")

    # 09:30 — the pool admin assigns; reps follow up.
    clock.advance(minutes=30)
    desk.batch_assign("carol", [wang.id, ann.id], "bob")
    desk.assign("carol", chen.id, "dave")
    clock.advance(minutes=5)
    desk.follow_up(
        "bob",
        wang.id,
        method="电话",
        content="确认采购需求：100 台设备",
        result="需要报价",
        next_follow_up_at=clock.now() + timedelta(days=2),
        stage="需求确认",
    )
    desk.add_collaborators("bob", wang.id, ["mia"], role="marketing_owner")

    # 11:00 — Bob releases a lead he cannot work; Dave claims it from the pool (抢单).
    clock.advance(hours=1, minutes=25)
    desk.release("bob", ann.id, reason="客户在华北")
    claimed = desk.claim("dave", ann.id)
    print(f"{ann.id} released by bob, claimed by {claimed.owner_id}")

    # 14:00 — the admin hands 王磊 to Dave; Bob stays on as collaborator.
    clock.advance(hours=3)
    moved = desk.change_owner("carol", wang.id, "dave", move_follow_ups=True, reason="Bob 休假")
    print(f"{wang.id} now owned by {moved.owner_id}; collaborators {sorted(moved.collaborators)}")

    # A refused action explains itself, and the UI shows only the allowed buttons.
    try:
        desk.reclaim("bob", wang.id)
    except PermissionDenied as refused:
        print(f"bob may not reclaim {wang.id}: {refused.reason}")
    buttons = ", ".join(label(a) for a in desk.allowed_actions("mia", wang.id))
    print(f"mia (marketing co-owner) may: {buttons}")
    print(f"can dave convert {wang.id}? {bool(desk.can('dave', Action.CONVERT, wang.id))}")

    # 15:00 — web leads land in a pool that hands them out in turn and scores them.
    clock.advance(hours=1)
    desk.create_pool(
        "root", Pool(id="web", name="官网线索池", admins={"carol"}, auto_assign="web_turns")
    )
    big = desk.create(
        "mia",
        "web",
        contact_name="赵强",
        company="宏达制造",
        phone="13900139000",
        company_size="large",
        industry="制造业",
        source="web_form",
    )
    small = desk.create(
        "mia",
        "web",
        contact_name="Li Na",
        company="Tiny Apps",
        email="li@tiny.example",
        company_size="small",
        industry="软件",
        source="web_form",
    )
    for lead in (big, small):
        print(
            f"{lead.id} {lead.contact_name} → {lead.owner_id} ({label(lead.status)}), "
            f"score {lead.score:g}, grade {lead.grade}"
        )
    clock.advance(minutes=20)
    hot = desk.record_activity(big.owner_id or "bob", big.id, "demo_requested")
    print(
        f"{big.id} asked for a demo: score {hot.score:g}, grade {hot.grade}, "
        f"MQL since {hot.mql_at:%H:%M}"
        if hot.mql_at
        else f"{big.id} is not an MQL yet"
    )
    print(desk.score(hot.owner_id or "bob", big.id))

    # The views and the pool's counts.
    print("dave's leads:", desk.leads("dave", view="mine").ids)
    print("mgr's team:", desk.leads("mgr", view="subordinates").ids)
    summary = desk.pool_summary("carol", "east")
    counts = ", ".join(f"{label(status)} {n}" for status, n in summary.by_status.items() if n)
    print(f"{summary.name}: {summary.total} leads ({counts})")

    # The audit trail of one lead.
    print(f"\naudit trail of {wang.id}:")
    for event in desk.history("carol", wang.id):
        moved_status = event.status_change
        status = f" {label(moved_status[0])}→{label(moved_status[1])}" if moved_status else ""
        why = f" ({event.reason})" if event.reason else ""
        print(f"  {event.at:%H:%M} {event.actor_id:<6} {label(event.kind)}{status}{why}")


if __name__ == "__main__":
    main()
