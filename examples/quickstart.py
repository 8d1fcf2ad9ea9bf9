"""A day in a lead pool with leadcore, in memory: what ``make demo`` runs.

A system admin sets up a pool with admins; several users create leads; the pool admin assigns;
reps follow up; one releases a lead and a colleague claims it; the admin hands a lead to another
rep; a refused action explains itself; and the audit trail shows who did what, when and why.
"""

from __future__ import annotations

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
    User,
    counter_ids,
)


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
    return LeadDesk(MemoryStore(), clock, org, ids=counter_ids()), clock


def main() -> None:
    """Run the day and print what happened."""
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
    print(f"created {wang.id}, {ann.id}, {chen.id}: all {wang.status.label} (the pool is on)")

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
    buttons = ", ".join(a.label for a in desk.allowed_actions("mia", wang.id))
    print(f"mia (marketing co-owner) may: {buttons}")
    print(f"can dave convert {wang.id}? {bool(desk.can('dave', Action.CONVERT, wang.id))}")

    # The views and the pool's counts.
    print("dave's leads:", desk.leads("dave", view="mine").ids)
    print("mgr's team:", desk.leads("mgr", view="subordinates").ids)
    print(desk.pool_summary("carol", "east"))

    # The audit trail of one lead.
    print(f"\naudit trail of {wang.id}:")
    for event in desk.history("carol", wang.id):
        moved_status = event.status_change
        status = f" {moved_status[0].label}→{moved_status[1].label}" if moved_status else ""
        why = f" ({event.reason})" if event.reason else ""
        print(f"  {event.at:%H:%M} {event.actor_id:<6} {event.kind.label}{status}{why}")


if __name__ == "__main__":
    main()
