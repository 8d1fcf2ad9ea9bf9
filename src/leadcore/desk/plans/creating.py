"""Creating a lead (新建线索): clean its fields, give it its first owner by the pool's rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from leadcore import checks
from leadcore.conversion import CustomerMatch, ExistingCustomer
from leadcore.dedup import DuplicateAction, DuplicatePolicy
from leadcore.errors import FieldProblem, PermissionDenied, ValidationError
from leadcore.intake import clean_lead_fields
from leadcore.model import Action, Lead, LeadStatus, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, owner_problem
from leadcore.records import OwnershipChange

from ..outcome import AddLead, Outcome
from ..reads import Reads
from ..setup import Setup
from .common import (
    RULE_DATA,
    Entry,
    EntryFacts,
    arrival_events,
    load_entry,
    plan_entry,
    received,
    rescored,
)
from .duplicates import Attached, Found, activity_for, duplicate_error, find_matches, flag_event

__all__ = ["Create"]


@attrs.frozen(slots=True)
class CreateFacts:
    """The creator, the pool, the new lead's id and clean fields, and the pool's entry facts."""

    actor: User
    pool: Pool
    now: datetime
    lead_id: str
    fields: Mapping[str, Any]
    entry: EntryFacts | None
    policy: DuplicatePolicy = attrs.field(factory=DuplicatePolicy)
    found: tuple[Found, ...] = ()
    owner: OwnerFacts | None = None
    customers: tuple[CustomerMatch, ...] = ()


def _optional_owner_id(value: object) -> str | None:
    return None if value is None else checks.identifier(value, "owner_id")


@attrs.frozen(kw_only=True)
class Create:
    """Create a lead in a pool from host-given ``fields`` and ``custom_fields``; with
    ``owner_id``, assigned straight to that user (by someone who may assign the pool's leads)."""

    setup: Setup
    actor_id: str
    pool_id: str
    fields: Mapping[str, object]
    custom_fields: Mapping[str, object] | None = None
    owner_id: str | None = attrs.field(default=None, converter=_optional_owner_id)

    def load(self, reads: Reads) -> CreateFacts:
        """The creator and pool, the fields cleaned (every bad one reported at once), and what
        the pool's rules for a new lead need."""
        actor = reads.actor(self.actor_id)
        pool = reads.pool(self.pool_id)
        clean = clean_lead_fields(
            self.fields,
            rules=self.setup.rules,
            pool=pool,
            custom_fields=self.setup.custom_fields,
            normaliser=self.setup.normaliser,
            custom_values=self.custom_fields if self.custom_fields is not None else {},
        )
        if clean.get("stage") is not None:
            raise ValidationError([FieldProblem("stage", "a new lead has no sales stage yet")])
        clean.pop("stage", None)
        policy = self.setup.duplicates.for_pool(pool.id)
        found: tuple[Found, ...] = ()
        if policy.checks:
            found = find_matches(
                reads,
                actor,
                self.setup.normaliser.keys(clean),
                policy,
                pool_id=pool.id,
                scope_value=policy.scope_value(clean),
            )
        customers: tuple[CustomerMatch, ...] = ()
        if policy.checks and not found:
            # With no lead to match, the details may belong to a customer already.
            customers = tuple(self.setup.conversion.matches(clean))
        if (found or customers) and policy.action is not DuplicateAction.FLAG:
            return CreateFacts(
                actor, pool, reads.now, "", clean, None, policy, found, customers=customers
            )
        lead_id = reads.new_id("lead")
        if self.owner_id is not None:
            owner = reads.owner_facts(self.owner_id, pool)
            return CreateFacts(
                actor,
                pool,
                reads.now,
                lead_id,
                clean,
                EntryFacts(pool),
                policy,
                found,
                owner,
                customers,
            )
        entry = load_entry(
            reads, actor, lambda: _new_lead(lead_id, pool, actor, reads.now, clean), pool
        )
        return CreateFacts(
            actor, pool, reads.now, lead_id, clean, entry, policy, found, customers=customers
        )

    def decide(self, facts: CreateFacts) -> None:
        """Anyone may create, unless the pool forbids free creation (its admins always may).
        Under a ``reject`` duplicate policy a match raises ``DuplicateLead`` naming it (masked
        when the creator may not view it)."""
        decision = self.setup.policy.decide(
            facts.actor, Action.CREATE, None, facts.pool, org=self.setup.org, now=facts.now
        )
        if not decision.allowed:
            raise PermissionDenied(
                facts.actor.id, Action.CREATE, f"pool {facts.pool.id!r}", decision.reason
            )
        if facts.found and facts.policy.action is DuplicateAction.REJECT:
            raise duplicate_error(facts.found[0].match)
        if facts.customers and facts.policy.action is not DuplicateAction.FLAG:
            raise ExistingCustomer(facts.customers)
        if self.owner_id is not None and facts.owner is not None:
            self._require_assign(facts, self.owner_id, facts.owner)

    def _require_assign(self, facts: CreateFacts, owner_id: str, owner: OwnerFacts) -> None:
        """The creator may assign the new lead (as a pool admin may an unassigned one), and
        the owner may receive it."""
        waiting = _new_lead(facts.lead_id, facts.pool, facts.actor, facts.now, facts.fields)
        decision = self.setup.policy.decide(
            facts.actor, Action.ASSIGN, waiting, facts.pool, org=self.setup.org, now=facts.now
        )
        if not decision.allowed:
            raise PermissionDenied(
                facts.actor.id,
                Action.ASSIGN,
                f"a new lead of pool {facts.pool.id!r}",
                decision.reason,
            )
        refusal = owner_problem(owner_id, owner, facts.pool)
        if refusal is not None:
            raise ValidationError([FieldProblem("owner_id", refusal)])

    def plan(self, facts: CreateFacts) -> Outcome[Lead | Attached]:
        """The lead, owned by whoever the pool's rules give it to (or waiting unassigned), with
        a creation event and an assignment event, or one saying why nobody got it. Under a
        ``flag`` policy a match adds a ``duplicate_suspected`` event; under ``attach`` no lead
        is made and the details become an activity on the oldest match."""
        if facts.found and facts.policy.action is DuplicateAction.ATTACH:
            first = facts.found[0]
            event = activity_for(
                first.lead, facts.fields, first.match.key, actor_id=facts.actor.id, now=facts.now
            )
            return Outcome(Attached(first.match), events=(event,))
        assert facts.entry is not None
        if facts.owner is not None and self.owner_id is not None:
            entry = Entry(
                self.owner_id, f"created assigned by {facts.actor.id}", RULE_DATA["manual"]
            )
        else:
            entry = plan_entry(facts.entry, facts.actor)
        if entry.owner_id is None:
            lead = facts.entry.lead or _new_lead(
                facts.lead_id, facts.pool, facts.actor, facts.now, facts.fields
            )
        else:
            owner = self.setup.org.user(entry.owner_id)
            lead = _new_lead(
                facts.lead_id,
                facts.pool,
                facts.actor,
                facts.now,
                facts.fields,
                status=LeadStatus.ASSIGNED,
                owner_id=owner.id,
                department_id=owner.department_id,
                assigned_at=facts.now,
            )
        lead, scored_events = rescored(self.setup, lead, (), actor_id=facts.actor.id, now=facts.now)
        events = arrival_events(
            lead, facts.now, facts.actor.id, reason=entry.reason, data=entry.data
        )
        records = list(entry.records)
        if entry.owner_id is not None:
            if entry.data.get("rule") != "creator":
                records.append(received(entry.owner_id, lead, facts.now, OwnershipChange.ASSIGNED))
        else:
            events.extend(entry.waiting_events(lead, facts.now, facts.actor.id))
        if facts.found or facts.customers:
            matches = [f.match for f in facts.found]
            events.append(
                flag_event(
                    lead,
                    matches,
                    actor_id=facts.actor.id,
                    now=facts.now,
                    customers=facts.customers,
                )
            )
        return Outcome(lead, (AddLead(lead),), (*events, *scored_events), tuple(records))


def _new_lead(
    lead_id: str,
    pool: Pool,
    actor: User,
    now: datetime,
    fields: Mapping[str, Any],
    **ownership: Any,
) -> Lead:
    return Lead(
        id=lead_id,
        pool_id=pool.id,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
        version=1,
        **fields,
        **ownership,
    )
