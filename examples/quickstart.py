"""A first look at leadcore: a pool, leads, their lifecycle and the audit trail, in memory."""

from __future__ import annotations

from datetime import UTC, datetime

from leadcore import (
    Action,
    CompanySize,
    Event,
    EventKind,
    FixedClock,
    Lead,
    LeadQuery,
    MemoryStore,
    Money,
    Pool,
    counter_ids,
    diff_fields,
    transition,
)


def main() -> None:
    """Create a pool and leads, move them through the lifecycle, print what happened."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    new_id = counter_ids("L")
    store = MemoryStore()
    pool = Pool(id="east", name="华东线索池", admins={"carol"}, reminder_hours=24)
    with store.unit_of_work() as uow:
        uow.add_pool(pool)
        for name, company in [("王磊", "星河科技"), ("Ann Lee", "Acme Ltd"), ("陈静", "远航物流")]:
            lead = Lead(
                id=new_id(),
                pool_id=pool.id,
                created_by="alice",
                created_at=clock.now(),
                contact_name=name,
                company=company,
                company_size=CompanySize.MEDIUM,
                budget=Money("200000"),
            )
            uow.add_lead(lead)
            uow.append_events(
                [
                    Event(
                        EventKind.LEAD_CREATED,
                        clock.now(),
                        "alice",
                        lead_id=lead.id,
                        changes=diff_fields(None, lead),
                    )
                ]
            )
        uow.commit()

    def act(lead_id: str, actor: str, action: Action, kind: EventKind, **args: str) -> None:
        with store.unit_of_work() as uow:
            before = uow.get_lead(lead_id)
            after = transition(before, action, at=clock.advance(minutes=30), **args)
            uow.save_lead(after, expected_version=before.version)
            uow.append_events(
                [
                    Event(
                        kind,
                        clock.now(),
                        actor,
                        lead_id=lead_id,
                        changes=diff_fields(before, after),
                        reason=args.get("reason"),
                    )
                ]
            )
            uow.commit()

    act("L1", "carol", Action.ASSIGN, EventKind.ASSIGNED, owner_id="bob")
    act("L2", "carol", Action.ASSIGN, EventKind.ASSIGNED, owner_id="bob")
    act("L1", "bob", Action.FOLLOW_UP, EventKind.FOLLOWED_UP)
    act("L2", "bob", Action.RETURN, EventKind.RETURNED, reason="号码空号")

    with store.unit_of_work() as uow:
        print("Leads by status in", pool.name)
        for status, count in uow.count_by_status(pool_id=pool.id).items():
            print(f"  {status.label} ({status.label_en}): {count}")
        print("Bob's leads:", [lead.id for lead in uow.find_leads(LeadQuery(owner_id="bob"))])
        print("Audit trail:")
        for event in uow.events_since(0):
            moved = event.status_change
            move = f" {moved[0].label} → {moved[1].label}" if moved else ""
            why = f" ({event.reason})" if event.reason else ""
            print(
                f"  #{event.position} {event.at:%H:%M} {event.actor_id}: "
                f"{event.kind.label} {event.lead_id}{move}{why}"
            )


if __name__ == "__main__":
    main()
