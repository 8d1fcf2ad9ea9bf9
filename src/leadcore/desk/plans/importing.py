"""Importing leads (批量导入) in chunks, each chunk one plan and one unit of work.

A chunk plan converts and cleans every row (a bad row is *rejected* with every problem and
nothing else happens to it), reads its duplicate keys, and looks for matches: first among the
rows of this chunk that will be created, then through the store's key index (which holds the
rows of earlier chunks too). By the pool's duplicate policy a matching row is a *duplicate*
(reject, attach: its details become an activity on the match) or is created and flagged. The
rows created get their first owner by the pool's rule for a batch: the creator when the pool
is off, its default owner when it has one (while they stay eligible), otherwise they wait
unassigned for ``distribute``. Only the rows created take a lead id, so a file of duplicates
leaves the desk's id sequence without gaps. The per-row cost is a fraction of a single create's: the actor,
pool, permission and owner are read once per chunk. ``leadcore.desk.plans.import_runs``
runs an import chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from leadcore.conversion import CustomerMatch
from leadcore.dedup import DedupKey, DuplicateAction, DuplicatePolicy, mask_key
from leadcore.errors import FieldProblem, PermissionDenied, ValidationError
from leadcore.events import Event, EventKind
from leadcore.frozen import frozen_mapping, replace
from leadcore.importing import (
    ColumnMapping,
    RowResult,
    RowStatus,
)
from leadcore.importing.source import LongRow, SourceRow
from leadcore.intake import clean_lead_fields
from leadcore.model import Action, Lead, Pool
from leadcore.org import User
from leadcore.policy import OwnerFacts, ViewScope
from leadcore.records import OwnershipChange

from ..outcome import AddLead, Outcome, RecordWrite
from ..reads import Reads
from ..setup import Setup
from .common import RULE_DATA, arrival_events, received, rescored
from .duplicates import (
    DuplicateMatch,
    StoredKeys,
    activity_for,
    find_matches,
    flag_event,
    stored_keys,
)
from .import_owners import ChunkOwners, first_ownership, would_be_owner

__all__ = ["ImportChunk"]

_PENDING: Final = ""
"""The id of a row's lead until the row is known to be created."""


@attrs.frozen(slots=True)
class _Match:
    """A row's match: a stored lead (``lead``) or an earlier row of this chunk (``row``)."""

    key: DedupKey
    lead_id: str
    visible: bool
    owner_id: str | None
    pool_id: str
    in_file_row: int | None
    lead: Lead | None = None


@attrs.frozen(slots=True)
class _Row:
    """One row as loaded: rejected (``problems``), or a lead to create, with its matches."""

    row: int
    values: Mapping[str, object]
    problems: tuple[FieldProblem, ...] = ()
    lead: Lead | None = None
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    matches: tuple[_Match, ...] = ()
    texts: tuple[str, ...] = ()
    keys: tuple[DedupKey, ...] = ()  # the keys of ``texts``, read once
    customers: tuple[CustomerMatch, ...] = ()


@attrs.frozen(slots=True)
class _Context:
    """What loading one row needs besides the row."""

    reads: Reads
    actor: User
    pool: Pool
    policy: DuplicatePolicy
    ownership: Mapping[str, Any] = attrs.field(factory=dict)
    seen: list[ViewScope] = attrs.field(factory=list)

    @property
    def deferred(self) -> bool:
        """Whether a row's lead takes its id only once it is known to be created: when the
        policy may keep a row out (``reject``, ``attach``)."""
        return self.policy.checks and self.policy.action is not DuplicateAction.FLAG

    def scope(self) -> ViewScope:
        """The importer's view scope over every pool, read once per chunk."""
        if not self.seen:
            self.seen.append(self.reads.view_scope(self.actor))
        return self.seen[0]


@attrs.frozen(slots=True)
class ChunkFacts:
    """The importer, the pool and its policy, the would-be owner, and every row as loaded."""

    actor: User
    pool: Pool
    now: datetime
    policy: DuplicatePolicy
    owner_id: str | None
    owner: OwnerFacts | None
    rows: tuple[_Row, ...]


@attrs.frozen(kw_only=True)
class ImportChunk:
    """Import one chunk of rows into a pool (see the module docstring). ``earlier`` maps the
    leads earlier chunks of the same import created to their row numbers."""

    setup: Setup
    actor_id: str
    pool_id: str
    rows: tuple[SourceRow, ...]
    mapping: ColumnMapping
    earlier: Mapping[str, int] = attrs.field(factory=dict)

    def load(self, reads: Reads) -> ChunkFacts:
        """The importer and pool, each row converted, cleaned and matched. Only the rows to
        be created take an id, once it is known which they are, so a duplicate uses none."""
        actor = reads.actor(self.actor_id)
        pool = reads.pool(self.pool_id)
        self._permit(actor, pool, reads.now)
        policy = self.setup.duplicates.for_pool(pool.id)
        owner_id, owner = would_be_owner(reads, actor, pool)
        ownership = first_ownership(owner_id, owner, pool, reads.now)
        context = _Context(reads, actor, pool, policy, ownership)
        if policy.checks:  # the store reads the keys read here again: keep them all till then
            self.setup.normaliser.make_room(len(self.rows))
        loaded = [self._row(context, number, raw) for number, raw in self.rows]
        if policy.checks:
            loaded = self._with_matches(context, loaded)
            # The created rows by key text, in file order, for the later rows to match: the
            # first one the policy's scope counts is the match (see ``_placed``).
            local: dict[str, list[_Row]] = {}
            loaded = [
                _placed(context, local, row) if row.lead else row
                for row in self._with_customers(loaded)
            ]
        return ChunkFacts(actor, pool, reads.now, policy, owner_id, owner, tuple(loaded))

    def _with_customers(self, rows: list[_Row]) -> list[_Row]:
        """``rows`` with the existing customers holding the details of each row that matched
        no stored lead, found with one directory call for the chunk (a row matching an
        earlier row of the file needs them too when that row turns out not to be created)."""
        unmatched = [(i, row) for i, row in enumerate(rows) if row.lead and not row.matches]
        conversion = self.setup.conversion
        found = conversion.matches_each(
            [row.lead for _, row in unmatched if row.lead],
            [row.keys for _, row in unmatched]
            if conversion.normaliser is self.setup.normaliser
            else None,
        )
        for (i, _), customers in zip(unmatched, found, strict=True):
            if customers:
                rows[i] = attrs.evolve(rows[i], customers=tuple(customers))
        return rows

    def _row(self, context: _Context, number: int, raw: object) -> _Row:
        reads, actor, pool, policy = context.reads, context.actor, context.pool, context.policy
        if type(raw) is not dict and not isinstance(raw, Mapping):  # dict first: no ABC check
            shown = type(raw).__name__
            problem = FieldProblem("row", f"must be a mapping of column to value, not {shown}")
            return _Row(number, {"value": raw}, (problem,))
        values: Mapping[str, object] = raw  # a report keeps a copy of the rows it gives back
        if isinstance(raw, LongRow):
            return _Row(number, values, (_long(raw),))
        for value in values.values():  # a loop, not all(): most rows stop at their first cell
            if value is not None and (not isinstance(value, str) or value.strip()):
                break
        else:
            return _Row(number, values, (FieldProblem("row", "is empty"),))
        converted = self.mapping.convert(raw, self.setup.custom_fields)
        try:
            clean = clean_lead_fields(
                converted.fields,
                rules=self.setup.rules,
                pool=pool,
                custom_fields=self.setup.custom_fields,
                normaliser=self.setup.normaliser,
                custom_values=converted.custom,
            )
        except ValidationError as e:
            # A field whose cell could not be converted is not missing: say why once.
            named = {p.field for p in converted.problems}
            later = (p for p in e.problems if p.field not in named)
            return _Row(number, values, (*converted.problems, *later))
        if converted.problems:
            return _Row(number, values, converted.problems)
        try:
            lead = Lead(
                # Without a check, or under ``flag``, every row is created; otherwise a row
                # gets its id once it is known to be (``_placed``).
                id=_PENDING if context.deferred else reads.new_id("lead"),
                pool_id=pool.id,
                created_by=actor.id,
                created_at=reads.now,
                updated_at=reads.now,
                version=1,
                **clean,
                **context.ownership,
            )
        except ValidationError as e:
            return _Row(number, values, e.problems)
        if not policy.checks:
            return _Row(number, values, lead=lead, fields=clean)
        texts = self.setup.normaliser.key_texts(lead)
        keys = tuple([DedupKey.parse(text) for text in texts])
        # Its matches come once every row is read (``_with_matches``); with no lead to match,
        # the details may belong to a customer already (``_with_customers``).
        return _Row(number, values, lead=lead, fields=clean, texts=texts, keys=keys)

    def _with_matches(self, context: _Context, rows: list[_Row]) -> list[_Row]:
        """``rows`` with the stored leads each matches, the store asked once for the keys of
        every row."""
        kinds = context.policy.kinds
        # By text, whose hash Python keeps: most rows share no key with a stored lead.
        wanted = {
            text: key
            for row in rows
            for text, key in zip(row.texts, row.keys, strict=True)
            if key.kind in kinds
        }
        known = stored_keys(context.reads, list(wanted.values()))
        if not known.by_key:
            return rows
        held = {str(key) for key in known.by_key}
        return [
            attrs.evolve(row, matches=found)
            if row.lead
            and not held.isdisjoint(row.texts)
            and (found := self._matches(context, row.lead, row.keys, known))
            else row
            for row in rows
        ]

    def _matches(
        self, context: _Context, lead: Lead, keys: tuple[DedupKey, ...], known: StoredKeys
    ) -> tuple[_Match, ...]:
        """The stored leads ``lead`` matches (the leads of earlier chunks among them)."""
        stored = find_matches(
            context.reads,
            context.actor,
            keys,
            context.policy,
            pool_id=lead.pool_id,
            scope_value=context.policy.scope_value(lead),
            scope=context.scope,
            known=known,
        )
        found: dict[str, _Match] = {}
        for hit in stored:
            lead, row = hit.lead, self.earlier.get(hit.lead.id)
            visible = hit.match.visible or row is not None
            match = _Match(hit.match.key, lead.id, visible, lead.owner_id, lead.pool_id, row, lead)
            found.setdefault(lead.id, match)
        return tuple(found.values())

    def _permit(self, actor: User, pool: Pool, now: datetime) -> None:
        """``PermissionDenied`` unless ``actor`` may create leads in ``pool``."""
        decision = self.setup.policy.decide(
            actor, Action.CREATE, None, pool, org=self.setup.org, now=now
        )
        if not decision.allowed:
            raise PermissionDenied(actor.id, Action.CREATE, f"pool {pool.id!r}", decision.reason)

    def decide(self, facts: ChunkFacts) -> None:
        """The importer may create leads in the pool (as for a single create; checked as the
        chunk loads, before any row takes an id)."""
        self._permit(facts.actor, facts.pool, facts.now)

    def plan(self, facts: ChunkFacts) -> Outcome[list[RowResult]]:
        """The leads to add with their events, the activities attached, and a result per row."""
        results: list[RowResult] = []
        writes: list[AddLead] = []
        events: list[Event] = []
        records: list[RecordWrite] = []
        owners = ChunkOwners(facts.owner_id, facts.owner, facts.pool)
        attach = facts.policy.action is DuplicateAction.ATTACH
        for row in facts.rows:
            if row.lead is None:
                results.append(
                    RowResult(row.row, RowStatus.REJECTED, problems=row.problems, values=row.values)
                )
                continue
            if row.matches and facts.policy.action is not DuplicateAction.FLAG:
                first = row.matches[0]
                if attach:
                    events.append(_attached(first, row, facts))
                results.append(_duplicate(row, first, attached=attach))
                continue
            if row.customers and facts.policy.action is not DuplicateAction.FLAG:
                results.append(_customer_duplicate(row, row.customers[0]))
                continue
            lead = owners.give(row.lead)
            lead, scored = rescored(self.setup, lead, (), actor_id=facts.actor.id, now=facts.now)
            writes.append(AddLead(lead))
            events.extend(_created(lead, facts, owners))
            events.extend(scored)
            if lead.owner_id is not None and owners.records:
                records.append(received(lead.owner_id, lead, facts.now, OwnershipChange.ASSIGNED))
            suspected: tuple[str, ...] = ()
            if row.matches or row.customers:
                suspected = (
                    *(m.lead_id if m.visible else mask_key(m.key) for m in row.matches),
                    *(f"customer {c.customer_id}" for c in row.customers),
                )
                events.append(
                    flag_event(
                        lead,
                        [_shown(m) for m in row.matches],
                        actor_id=facts.actor.id,
                        now=facts.now,
                        customers=row.customers,
                    )
                )
            results.append(
                RowResult(row.row, RowStatus.CREATED, lead_id=lead.id, suspected=suspected)
            )
        events.append(_summary(facts, results))
        return Outcome(results, tuple(writes), tuple(events), tuple(records))


def _customer_duplicate(row: _Row, match: CustomerMatch) -> RowResult:
    """A row whose details already belong to a customer: not created, reported with it."""
    return RowResult(
        row.row,
        RowStatus.DUPLICATE,
        duplicate_of=f"customer {match.customer_id}",
        key=str(match.key),
        masked=mask_key(match.key),
        owner_id=match.owner_id,
        values=row.values,
    )


def _placed(context: _Context, local: dict[str, list[_Row]], row: _Row) -> _Row:
    """``row`` (one with a lead) with its matches: among the earlier rows to be created
    (``local``; an earlier row out of scope must not hide a later one), then the stored leads;
    its customers count only when it has none. A row to be created gets its lead's id, and
    ``local`` holds it then."""
    assert row.lead is not None
    found = _local_matches(local, context.policy, row)
    matches = (*found.values(), *(m for m in row.matches if m.lead_id not in found))
    customers = () if matches else row.customers
    if (matches or customers) and context.policy.action is not DuplicateAction.FLAG:
        return attrs.evolve(row, matches=matches, customers=customers) if found else row
    if row.lead.id == _PENDING:
        lead = replace(row.lead, id=context.reads.new_id("lead"))
        row = attrs.evolve(row, lead=lead, matches=matches, customers=customers)
    elif found:
        row = attrs.evolve(row, matches=matches, customers=customers)
    for text in row.texts:
        local.setdefault(text, []).append(row)
    return row


def _local_matches(
    local: Mapping[str, list[_Row]], policy: DuplicatePolicy, row: _Row
) -> dict[str, _Match]:
    """The earlier rows to be created that ``row`` matches, by their leads' ids: for each of
    its keys the policy counts, the first such row in the policy's scope."""
    assert row.lead is not None
    scope_value = policy.scope_value(row.lead)
    found: dict[str, _Match] = {}
    for text, key in zip(row.texts, row.keys, strict=True):
        if key.kind not in policy.kinds:
            continue
        for earlier in local.get(text, ()):
            lead = earlier.lead
            if lead is not None and policy.counts(lead, row.lead.pool_id, scope_value):
                if lead.id not in found:
                    found[lead.id] = _Match(
                        key, lead.id, True, None, lead.pool_id, earlier.row, lead
                    )
                break
    return found


def _long(row: LongRow) -> FieldProblem:
    return FieldProblem(
        "row",
        f"has {row.cells} cells but the header has {row.columns} columns: a value that "
        "holds a comma needs quotes",
    )


def _shown(match: _Match) -> DuplicateMatch:
    masked = mask_key(match.key)
    if match.visible:
        return DuplicateMatch(match.key, masked, match.owner_id, True, match.lead_id, match.pool_id)
    return DuplicateMatch(match.key, masked, match.owner_id, False)


def _attached(match: _Match, row: _Row, facts: ChunkFacts) -> Event:
    assert match.lead is not None
    return activity_for(
        match.lead, row.fields, match.key, actor_id=facts.actor.id, now=facts.now, origin="import"
    )


def _duplicate(row: _Row, match: _Match, *, attached: bool) -> RowResult:
    return RowResult(
        row.row,
        RowStatus.DUPLICATE,
        duplicate_of=match.lead_id if match.visible else None,
        key=str(match.key) if match.visible else None,
        masked=mask_key(match.key),
        owner_id=match.owner_id,
        in_file_row=match.in_file_row,
        attached=attached,
        values=row.values,
    )


_IMPORTED: Final = frozen_mapping({"origin": "import"})
# Every row's events share these read-only mappings rather than each holding its own copy.


def _created(lead: Lead, facts: ChunkFacts, owners: ChunkOwners) -> list[Event]:
    return arrival_events(
        lead,
        facts.now,
        facts.actor.id,
        reason=owners.reason,
        data=RULE_DATA[owners.rule],
        origin=_IMPORTED,
    )


def _summary(facts: ChunkFacts, results: list[RowResult]) -> Event:
    by_status = dict.fromkeys(RowStatus, 0)
    for r in results:
        by_status[r.status] += 1
    counts = {status.value: n for status, n in by_status.items()}
    first = results[0].row if results else 0
    last = results[-1].row if results else 0
    return Event(
        EventKind.LEADS_IMPORTED,
        facts.now,
        facts.actor.id,
        pool_id=facts.pool.id,
        reason=f"rows {first}–{last}: {counts['created']} created, "
        f"{counts['duplicate']} duplicates, {counts['rejected']} rejected",
        data={"rows": len(results), **counts},
    )
