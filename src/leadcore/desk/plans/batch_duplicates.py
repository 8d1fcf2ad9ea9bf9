"""The same person twice in a batch to distribute, and the owner who holds that person already:
copies of one person in the batch (by the keys and scope each lead's pool's duplicate policy
counts, whatever pool each copy is in), and the oldest stored open lead of the person outside
the batch with its owner. Each lead's keys are read once for the batch and handed to both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from leadcore.dedup import DedupKey, mask_key
from leadcore.model import Lead, LeadStatus
from leadcore.policy import ViewScope

from ..reads import Reads, Subject
from ..setup import Setup
from .duplicates import survivor_of

__all__ = ["Held", "copies_in", "holders_of", "key_texts_of"]


@attrs.frozen(slots=True)
class Held:
    """A stored open lead of the same person as a lead of the batch: who holds it, and the
    words naming it in reasons (the lead's id only if the actor may see it, the key masked)."""

    owner_id: str
    same: str


def key_texts_of(setup: Setup, subjects: Sequence[Subject]) -> dict[str, tuple[str, ...]]:
    """Each lead's duplicate keys as text, read once for the batch; none when no pool of the
    batch checks duplicates."""
    if not any(setup.duplicates.for_pool(p).checks for p in {s.pool.id for s in subjects}):
        return {}
    return {s.lead.id: setup.normaliser.key_texts(s.lead) for s in subjects}


def holders_of(
    reads: Reads,
    setup: Setup,
    subjects: Sequence[Subject],
    texts: Mapping[str, tuple[str, ...]],
    scope: ViewScope,
) -> dict[str, Held]:
    """For each lead whose pool's duplicate policy checks, the oldest stored open lead outside
    the batch that shares a key the policy checks, is in its scope and has an owner (a merged
    lead counts as the lead it was merged into); read with one look-up of all the keys."""
    wanted: dict[str, list[DedupKey]] = {}
    for subject in subjects:
        policy = setup.duplicates.for_pool(subject.pool.id)
        if policy.checks:
            parsed = (DedupKey.parse(t) for t in texts.get(subject.lead.id, ()))
            keys = [k for k in parsed if k.kind in policy.kinds]
            if keys:
                wanted[subject.lead.id] = keys
    if not wanted:
        return {}
    by_key = reads.uow.leads_by_key({k for keys in wanted.values() for k in keys})
    stored = reads.uow.get_leads({i for ids in by_key.values() for i in ids})
    batch = {s.lead.id for s in subjects}
    survivors: dict[str, Lead] = {}  # a merged lead → the lead it now is, looked up once
    found: dict[str, Held] = {}
    for subject in subjects:
        policy = setup.duplicates.for_pool(subject.pool.id)
        value = policy.scope_value(subject.lead)
        best: tuple[Lead, DedupKey] | None = None
        for key in wanted.get(subject.lead.id, ()):
            for lead_id in by_key.get(key, ()):
                lead = stored.get(lead_id)
                if lead is not None and lead.status is LeadStatus.MERGED:
                    if lead.id not in survivors:
                        survivors[lead.id] = survivor_of(reads, lead)
                    lead = survivors[lead.id]
                if (
                    lead is None
                    or lead.id in batch
                    or lead.owner_id is None
                    or not lead.is_open
                    or not policy.counts(lead, subject.pool.id, value)
                ):
                    continue
                if best is None or (lead.created_at, lead.id) < (best[0].created_at, best[0].id):
                    best = (lead, key)
        if best is not None:
            lead, key = best
            assert lead.owner_id is not None
            what = f"lead {lead.id}" if scope.covers(lead) else "a lead"
            same = f"the same person as {what} held by {lead.owner_id} ({key.kind.label} "
            found[subject.lead.id] = Held(lead.owner_id, f"{same}{mask_key(key)})")
    return found


def copies_in(
    setup: Setup, subjects: list[Subject], known: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, str]]:
    """Every lead of the batch that is a copy of an earlier one of the same person, whatever
    pool each is in, with the first one's id and the key they share: a batch never hands two
    copies of one person to two reps. A lead is a copy of an earlier one as it would be its
    duplicate at entry: they share a key its pool's duplicate policy checks, and the policy
    counts the earlier lead (its scope: the whole organisation, the pool, a field's value). A
    lead of a pool that checks no duplicates is no copy. ``known`` holds the key texts read
    already."""
    policies = {s.pool.id: setup.duplicates.for_pool(s.pool.id) for s in subjects}
    kinds = {
        pool_id: {f"{kind.value}:" for kind in policy.kinds}
        for pool_id, policy in policies.items()
        if policy.checks
    }
    if not kinds:
        return {}
    earlier: dict[str, list[Subject]] = {}  # key text → the batch's leads with it, in order
    first: dict[str, str] = {}  # lead id → the first lead of its person in the batch
    found: dict[str, tuple[str, str]] = {}
    for subject in subjects:
        lead, pool_id = subject.lead, subject.pool.id
        texts = known.get(lead.id)
        if texts is None:
            texts = setup.normaliser.key_texts(lead)
        checked = kinds.get(pool_id)
        if checked is not None:
            policy, value = policies[pool_id], policies[pool_id].scope_value(lead)
            copies_of = (
                (first[other.lead.id], text)
                for text in texts
                if text[: text.index(":") + 1] in checked
                for other in earlier.get(text, ())
                if policy.counts(other.lead, pool_id, value)
            )
            copy = next(copies_of, None)
            if copy is not None:
                found[lead.id] = copy
        first[lead.id] = found[lead.id][0] if lead.id in found else lead.id
        for text in texts:
            earlier.setdefault(text, []).append(subject)
    return found
