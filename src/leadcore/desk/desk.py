"""``LeadDesk``: the application service a host calls, one method per lead operation. Each
write method hands its plan (``leadcore.desk.plans``) to the runner; each read method asks
``reading`` through it. Follow any call from its method to its plan to the store."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar, Unpack

from leadcore import checks
from leadcore.assignment import Strategy
from leadcore.clock import Clock
from leadcore.conditions import LeadCondition
from leadcore.conversion import ConversionMapping, ConversionSetup, CustomerDirectory
from leadcore.custom_fields import CustomFieldSet
from leadcore.dedup import DuplicatePolicies, DuplicatePolicy
from leadcore.errors import FieldProblem, ValidationError
from leadcore.events import EventKind
from leadcore.ids import IdFactory
from leadcore.intake import LeadRules
from leadcore.model import Action, FollowUp, IdCollection, Lead, Pool
from leadcore.org import OrgDirectory
from leadcore.policy import Decision, Policy, QuotaPolicy
from leadcore.records import Away, Grant
from leadcore.scoring import Predictor, Readiness, ReadinessSignal, Score, Scorer
from leadcore.signatures import checked_arguments
from leadcore.sla import SlaPolicy
from leadcore.storage.protocol import LeadStore

from . import reading
from .arguments import FollowUpFields, LeadFields, PoolSettings, ViewOptions, refuse_unknown
from .converting import ConversionMethods
from .directory import read_as_promised
from .intake import IntakeMethods, policies
from .moves import MoveMethods
from .plans.access import ChangeGrant, RequestAccess
from .plans.availability import SetAvailability
from .plans.distributing import AutoAssign, Distribute
from .plans.editing import Delete, Edit
from .plans.following_up import RecordFollowUp
from .plans.learned import Repredict
from .plans.ownership import Assign, Claim, require_department
from .plans.pools import CreatePool, UpdatePool
from .plans.scoring import AcceptSql, RecordActivity, Rescore
from .plans.team import AddCollaborators, Follow, RemoveCollaborators
from .reads import Reads
from .results import BatchResult, FollowUps, History, Page, PoolSummary
from .runner import Operation, Runner
from .setup import (
    Setup,
    checked,
    checked_clock,
    checked_ids,
    checked_mapping,
    checked_predictor,
    checked_rng,
)
from .timekeeping import TimeKeeping

__all__ = ["LeadDesk"]

T = TypeVar("T")


@checked_arguments
class LeadDesk(IntakeMethods, ConversionMethods, MoveMethods, TimeKeeping):
    """Every lead operation, checked against the policy, atomic, and recorded as events.

    ``store`` holds the data, ``clock`` tells the time, ``org`` knows users and departments.
    ``policy`` decides who may do what (``Policy.default()`` unless given). ``ids`` makes record
    ids (random UUIDs unless a replayable factory such as ``counter_ids()`` is given).
    ``rules`` and ``custom_fields`` validate lead input. ``strategies`` are the auto-assign
    strategies pools name in ``Pool.auto_assign``; ``rng`` is their random source. ``scorer``
    (a compiled ``ScoreModel``) keeps each lead's score, grade and MQL mark current on create,
    edit, follow-up and recorded activity. ``duplicates`` is what each pool does with a new
    lead that matches an existing one (a ``DuplicatePolicy`` for every pool, or
    ``DuplicatePolicies`` per pool; no check unless given); keys are read with the store's
    ``normaliser``. ``directory`` holds the host's customers (a ``MemoryCustomerDirectory``
    unless given) and ``mapping`` says how leads convert into them.
    ``sla_policies`` are the SLA policies pools name in ``Pool.sla_policy``; pools name
    ``quota_policies`` and ``conditions``; ``predictor`` (a fitted learned grade) keeps each
    lead's ``probability`` current, learning from every decided lead without a refit.
    """

    def __init__(
        self,
        store: LeadStore,
        clock: Clock,
        org: OrgDirectory,
        *,
        policy: Policy | None = None,
        ids: IdFactory | None = None,
        rules: LeadRules | None = None,
        custom_fields: CustomFieldSet | None = None,
        strategies: Mapping[str, Strategy] | None = None,
        rng: random.Random | None = None,
        scorer: Scorer | None = None,
        directory: CustomerDirectory | None = None,
        mapping: ConversionMapping | None = None,
        duplicates: DuplicatePolicies | DuplicatePolicy | None = None,
        sla_policies: Mapping[str, SlaPolicy] | None = None,
        quota_policies: Mapping[str, QuotaPolicy] | None = None,
        conditions: Mapping[str, LeadCondition] | None = None,
        predictor: Predictor | None = None,
    ) -> None:
        self.store = checked(store, LeadStore, "store", "MemoryStore(), SQLiteStore(path)…")  # type: ignore[type-abstract]
        self.clock = checked_clock(clock)
        self.setup = Setup(
            org=read_as_promised(
                checked(org, OrgDirectory, "org", "OrgChart(users=[...]) or your own")  # type: ignore[type-abstract]
            ),
            policy=checked(policy, Policy, "policy", "Policy.default()", Policy.default),
            rules=checked(rules, LeadRules, "rules", "LeadRules(...)", LeadRules),
            custom_fields=checked(
                custom_fields, CustomFieldSet, "custom_fields", "…", CustomFieldSet
            ),
            strategies=checked_mapping(strategies, Strategy, "strategies"),  # type: ignore[type-abstract]
            scorer=scorer,
            conversion=ConversionSetup.of(directory, mapping),
            normaliser=store.normaliser,
            duplicates=policies(duplicates),
            sla_policies=checked_mapping(sla_policies, SlaPolicy, "sla_policies"),
            quota_policies=checked_mapping(quota_policies, QuotaPolicy, "quota_policies"),
            conditions=checked_mapping(conditions, LeadCondition, "conditions"),
            predictor=checked_predictor(predictor),
        )
        self._runner = Runner(
            store, self.clock, self.setup, ids=checked_ids(ids), rng=checked_rng(rng)
        )

    def _run(self, command: Callable[..., Operation[Any, T]], **arguments: Any) -> T:
        """Build ``command`` with the desk's setup and run it through the runner."""
        return self._runner.run(command(setup=self.setup, **arguments))

    def _read(self, question: Callable[[Reads], T]) -> T:
        return self._runner.read(question)  # a read-only unit of work

    def run(self, operation: Operation[Any, T]) -> T:
        """Run an operation of your own (see the Design page) through the desk's runner: load,
        decide, plan and write in one unit of work, like every built-in operation."""
        if not isinstance(operation, Operation):
            raise ValidationError(
                [FieldProblem("operation", "must have load(reads), decide(facts), plan(facts)")]
            )
        return self._runner.run(operation)

    def _each(
        self,
        command: Callable[..., Operation[Any, Lead]],
        lead_ids: Iterable[str],
        **arguments: Any,
    ) -> BatchResult:
        """Run ``command`` for each lead, each in its own unit of work; a result per lead
        (a lead listed twice is run, and answered, once)."""
        wanted = dict.fromkeys(checks.identifier_list(lead_ids, "lead_ids"))
        if not wanted:  # nothing to run, yet a bad option is refused as it is with leads
            command(setup=self.setup, lead_id="-", **arguments)
        return self._runner.run_each(
            (lead_id, command(setup=self.setup, lead_id=lead_id, **arguments)) for lead_id in wanted
        )

    # --- pools -------------------------------------------------------------------------------
    def create_pool(self, actor_id: str, pool: Pool) -> Pool:
        """Add a pool (system admins only); its admins, members, default owner and strategy must
        exist. Raises ``AlreadyExists`` if the id is taken."""
        return self._run(CreatePool, actor_id=actor_id, pool=pool)

    def update_pool(self, actor_id: str, pool_id: str, **settings: Unpack[PoolSettings]) -> Pool:
        """Change a pool's settings (system admins only), audited field by field. Unknown
        settings and bad values raise ``ValidationError`` naming them; nothing changes."""
        return self._run(UpdatePool, actor_id=actor_id, pool_id=pool_id, settings=settings)

    def pool_summary(self, actor_id: str, pool_id: str) -> PoolSummary:
        """The pool's lead counts by status (线索数量), of the leads the actor may see; for the
        pool's members and admins."""
        return self._read(lambda reads: reading.pool_summary(reads, actor_id, pool_id))

    # --- records -----------------------------------------------------------------------------
    def edit(
        self,
        actor_id: str,
        lead_id: str,
        *,
        expected_version: int | None = None,
        custom_fields: Mapping[str, object] | None = None,
        **fields: Unpack[LeadFields],
    ) -> Lead:
        """Change a lead's details: only the fields given change; a custom field given an empty
        value (None, blank text, an empty list) is cleared, unless it is required, and one the
        desk does not declare is refused. Editing to the same values writes nothing and returns
        the lead as it is."""
        return self._run(
            Edit,
            actor_id=actor_id,
            lead_id=lead_id,
            expected_version=expected_version,
            fields=dict(fields),
            custom_fields=custom_fields,
        )

    def delete(self, actor_id: str, lead_id: str, *, expected_version: int | None = None) -> None:
        """Delete a lead and its follow-ups; the event keeps every field's last value. A lead
        other leads are merged into is refused (``ValidationError`` on ``lead_id``): unmerge
        them first."""
        self._run(Delete, actor_id=actor_id, lead_id=lead_id, expected_version=expected_version)

    def get(self, actor_id: str, lead_id: str, *, follow_merge: bool = False) -> Lead:
        """The lead, if the actor may see it; ``NotFound`` otherwise, exactly as for a missing
        one. With ``follow_merge`` a merged lead's id gives the lead it was merged into."""
        return self._read(
            lambda reads: reading.get(reads, actor_id, lead_id, follow_merge=follow_merge)
        )

    def get_many(self, actor_id: str, lead_ids: IdCollection) -> list[Lead]:
        """The leads among ``lead_ids`` the actor may see, in the order asked (missing ones and
        ones they may not see are left out alike)."""
        return self._read(lambda reads: reading.get_many(reads, actor_id, lead_ids))

    # --- follow-ups --------------------------------------------------------------------------
    def follow_up(self, actor_id: str, lead_id: str, **record: Unpack[FollowUpFields]) -> FollowUp:
        """Record a contact with the prospect (跟进): ``method``, ``content`` and ``result`` are
        required. The lead moves to 跟进中, its next due date becomes ``next_follow_up_at`` and
        ``stage`` (one of the pool's sales stages) is set. ``at`` defaults to now and may not be
        in the future. Mentioned users must exist."""
        refuse_unknown(record, FollowUpFields, "a follow-up field")
        return self._run(RecordFollowUp, actor_id=actor_id, lead_id=lead_id, **record)

    def follow_ups(self, actor_id: str, lead_id: str) -> FollowUps:
        """The lead's follow-up records, oldest first (for those who may see the lead): a
        sequence that exports (``to_records()``) and prints as a table."""
        records = self._read(lambda reads: reading.follow_ups(reads, actor_id, lead_id))
        return FollowUps(records, lead_id=checks.identifier(lead_id, "lead_id"))

    # --- collaborators and followers ----------------------------------------------------------
    def add_collaborators(
        self, actor_id: str, lead_id: str, user_ids: IdCollection, *, role: str | None = None
    ) -> Lead:
        """Add several collaborators at once (协作人), optionally with a named role such as
        ``"marketing_owner"`` whose rights the policy defines."""
        return self._run(
            AddCollaborators, actor_id=actor_id, lead_id=lead_id, user_ids=user_ids, role=role
        )

    def remove_collaborators(self, actor_id: str, lead_id: str, user_ids: IdCollection) -> Lead:
        """Remove several collaborators at once; their access to the lead ends with it."""
        return self._run(RemoveCollaborators, actor_id=actor_id, lead_id=lead_id, user_ids=user_ids)

    def follow(self, actor_id: str, lead_id: str) -> Lead:
        """Watch a lead (关注): it shows in "leads I follow" while the actor may see it."""
        return self._run(Follow, actor_id=actor_id, lead_id=lead_id)

    def unfollow(self, actor_id: str, lead_id: str) -> Lead:
        """Stop watching a lead."""
        return self._run(Follow, actor_id=actor_id, lead_id=lead_id, on=False)

    # --- ownership (give-backs, changes of owner, transfers: ``moves``) ----------------------
    def assign(
        self,
        actor_id: str,
        lead_id: str,
        owner_id: str,
        *,
        department_id: str | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Give an unassigned lead an owner (pool admins); the owner must be eligible. The lead's
        ``department_id`` is the owner's department unless given (an id the org directory
        knows, when it can tell); ``reason`` goes into the ``assigned`` event."""
        return self._run(
            Assign,
            actor_id=actor_id,
            lead_id=lead_id,
            owner_id=owner_id,
            department_id=department_id,
            reason=reason,
            expected_version=expected_version,
        )

    def batch_assign(
        self,
        actor_id: str,
        lead_ids: IdCollection,
        owner_id: str,
        *,
        department_id: str | None = None,
        reason: str | None = None,
    ) -> BatchResult:
        """Assign several leads to one owner, each with ``department_id`` and ``reason`` as
        :meth:`assign` takes them; a result per lead, each lead's change atomic. A bad
        ``department_id`` or ``reason`` refuses the whole call, writing nothing."""
        require_department(self.setup, department_id)
        return self._each(
            Assign,
            lead_ids,
            actor_id=actor_id,
            owner_id=owner_id,
            department_id=department_id,
            reason=reason,
        )

    def claim(self, actor_id: str, lead_id: str) -> Lead:
        """Take an unassigned lead from a pool that allows claiming (抢单), within the pool's
        caps: open leads held, claims a day, and the cool-down on re-claiming a lead one gave
        back. Too late, it raises ``AlreadyClaimed``."""
        return self._run(Claim, actor_id=actor_id, lead_id=lead_id)

    # --- by strategy ---------------------------------------------------------------------------
    def auto_assign(
        self, actor_id: str, lead_id: str, strategy: Strategy | str | None = None
    ) -> Lead:
        """Assign an unassigned lead by a strategy (given, by name, or the pool's own); the
        choice's reason, exclusions and tie-break go into the ``assigned`` event. A decline is
        ``NoOwnerFound`` and writes nothing, not even a cursor move."""
        return self._run(AutoAssign, actor_id=actor_id, lead_id=lead_id, strategy=strategy)

    def distribute(
        self, actor_id: str, lead_ids: IdCollection, strategy: Strategy | str | None = None
    ) -> BatchResult:
        """Distribute a batch (e.g. an import) across a team, fair by ``strategy``, in one unit
        of work, with a result per lead. Running it again is harmless: leads already assigned
        come back with a refusal."""
        return self._run(
            Distribute,
            actor_id=actor_id,
            lead_ids=tuple(checks.identifier_list(lead_ids, "lead_ids")),
            strategy=strategy,
        )

    def set_away(
        self,
        actor_id: str,
        user_id: str,
        periods: Iterable[Away | tuple[datetime, datetime] | tuple[datetime, datetime, str]],
    ) -> list[Away]:
        """Record when ``user_id`` is away (休假) as ``(start, end[, note])`` periods; every
        hand-out skips them then. The user themself or a system admin may; the new periods
        replace the old ones."""
        return self._run(SetAvailability, actor_id=actor_id, user_id=user_id, periods=periods)

    # --- scoring -------------------------------------------------------------------------------
    def record_activity(
        self,
        actor_id: str,
        lead_id: str,
        kind: str,
        *,
        at: datetime | None = None,
        details: Mapping[str, object] | None = None,
    ) -> Lead:
        """Record a prospect's behaviour (pricing-page visit, whitepaper download, …) and
        re-score the lead. ``at`` defaults to now and may not be in the future. Reaching the
        MQL threshold appends ``mql_reached`` after ``activity_recorded``."""
        return self._run(
            RecordActivity, actor_id=actor_id, lead_id=lead_id, kind=kind, at=at, details=details
        )

    def accept_sql(self, actor_id: str, lead_id: str) -> Lead:
        """Sales accepts the lead (销售认可, SQL): ``sql_at`` is set once, and only once."""
        return self._run(AcceptSql, actor_id=actor_id, lead_id=lead_id)

    def score(self, actor_id: str, lead_id: str) -> Score:
        """The lead's score now, with its breakdown (``str()`` renders the explain table)."""
        return self._read(lambda reads: reading.lead_score(reads, actor_id, lead_id))

    def rescore(self, actor_id: str, lead_ids: IdCollection) -> BatchResult:
        """Bring stored scores up to date (behaviour decays with time); a result per lead."""
        self.setup.require_scorer()
        return self._each(Rescore, lead_ids, actor_id=actor_id)

    def repredict(self, actor_id: str, lead_ids: IdCollection) -> BatchResult:
        """Bring stored learned probabilities up to date with the live model (other leads'
        outcomes move them), e.g. nightly; a result per lead."""
        self.setup.require_predictor()
        return self._each(Repredict, lead_ids, actor_id=actor_id)

    def readiness(
        self, actor_id: str, lead_id: str, *, signals: Iterable[ReadinessSignal | str] = ()
    ) -> Readiness:
        """Whether to suggest converting the lead: 3 or more of the 5 signals, from its data,
        activities and follow-ups plus ``signals`` the host found itself."""
        return self._read(lambda reads: reading.lead_readiness(reads, actor_id, lead_id, signals))

    # --- permissions -------------------------------------------------------------------------
    def can(self, actor_id: str, action: Action | str, lead_id: str) -> Decision:
        """Whether the actor may take ``action`` on the lead now, and why (or why not)."""
        return self._read(lambda reads: reading.can(reads, actor_id, action, lead_id))

    def allowed_actions(self, actor_id: str, lead_id: str) -> tuple[Action, ...]:
        """Every action the actor may take on the lead now: the buttons a UI should show."""
        return self._read(lambda reads: reading.allowed_actions(reads, actor_id, lead_id))

    def request_access(
        self,
        actor_id: str,
        lead_id: str,
        *,
        reason: str,
        hours: float = 24,
        actions: Iterable[Action] = (Action.VIEW,),
    ) -> Grant:
        """Ask for temporary access to a lead one cannot otherwise see; an approver must agree."""
        return self._run(
            RequestAccess,
            actor_id=actor_id,
            lead_id=lead_id,
            reason=reason,
            hours=hours,
            actions=actions,
        )

    def _change_grant(
        self, actor_id: str, grantee_id: str, grant_id: str, kind: EventKind
    ) -> Grant:
        return self._run(
            ChangeGrant, actor_id=actor_id, grantee_id=grantee_id, grant_id=grant_id, kind=kind
        )

    def approve_access(self, actor_id: str, grantee_id: str, grant_id: str) -> Grant:
        """Approve a pending grant (who may approve is policy: by default the lead's owner, a
        pool admin or a system admin). Raises ``PermissionDenied`` with the reason otherwise."""
        return self._change_grant(actor_id, grantee_id, grant_id, EventKind.GRANT_APPROVED)

    def revoke_access(self, actor_id: str, grantee_id: str, grant_id: str) -> Grant:
        """End a grant before it expires (its grantee, or anyone who may approve it)."""
        return self._change_grant(actor_id, grantee_id, grant_id, EventKind.GRANT_REVOKED)

    def grants(self, actor_id: str) -> list[Grant]:
        """The grants the actor holds or asked for, approved or not, expired or not."""
        return self._read(lambda reads: reading.grants(reads, actor_id))

    # --- reading -------------------------------------------------------------------------------
    def leads(self, actor_id: str, **options: Unpack[ViewOptions]) -> Page:
        """One page of a view (``view``: 我的线索 ``mine`` by default, 我关注的线索, 我协作的线索,
        我下属的线索, 全部线索, a pool's leads), filtered, ordered and paged. Only leads the actor
        may see are returned.

        Filters take an enum member, its value or its label (``statuses=["待跟进"]``).
        ``order`` is ``created_desc`` (the default), ``created`` or ``due``, which lists only
        the leads that have a next due date, the soonest first. Page
        with ``cursor`` (the previous page's ``next_cursor``) to stay correct while leads
        change (in the ``due`` order a lead whose due date changes moves: it may appear again
        or be passed over), or with ``offset`` (at most 100,000); ``limit`` is 50 unless given.
        The all-leads view is for those who see all leads.
        """
        refuse_unknown(options, ViewOptions, "a view option")
        return self._read(lambda reads: reading.page(reads, actor_id, **options))

    def history(self, actor_id: str, lead_id: str) -> History:
        """The lead's audit trail, oldest first (for those who may see the lead): a sequence of
        events that exports (``to_records()``) and prints as a table."""
        events = self._read(lambda reads: reading.history(reads, actor_id, lead_id))
        return History(events, lead_id=checks.identifier(lead_id, "lead_id"))
