"""``MemoryStore``'s duplicate-key index: lead ids by key, and each lead's keys.

A lead's keys are read with the store's ``Normaliser`` the first time the index is asked after
the lead was added or changed (so a store nobody asks about duplicates never pays for reading
them); a save that leaves every field keys are read from as it was keeps them as they are. Every
change tolerates a half-done earlier one (unlinking what is not linked is a no-op, and indexing
a lead first unlinks whatever its id had), so an undo always puts the index back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from leadcore.checks import identifier_list
from leadcore.dedup import DedupKey, Normaliser
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead

__all__ = ["KeyIndex", "key_list"]

_ONLY_KEYS: Final = {DedupKey}


class KeyIndex:
    """Lead ids by duplicate key text (``phone:+8613800138000``) and key texts by lead id.
    Not thread-safe on its own: ``MemoryStore`` holds its lock around every use."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self._read = normaliser.key_texts
        self._source = normaliser.key_source
        self.by_key: dict[str, dict[str, None]] = {}
        self._by_lead: dict[str, tuple[str, ...]] = {}
        self._pending: dict[str, Lead] = {}

    def add(self, lead: Lead) -> None:
        """Index ``lead``'s keys (replacing whatever its id had), when next asked."""
        self.discard(lead.id)
        self._pending[lead.id] = lead

    def discard(self, lead_id: str) -> None:
        """Forget the keys of ``lead_id`` (nothing to forget is fine)."""
        self._pending.pop(lead_id, None)
        self._unlink_all(lead_id)

    @property
    def by_lead(self) -> dict[str, tuple[str, ...]]:
        """Each indexed lead's key texts (every pending lead read first)."""
        self._flush()
        return self._by_lead

    def _unlink_all(self, lead_id: str) -> None:
        for text in self._by_lead.pop(lead_id, ()):
            _unlink(self.by_key, text, lead_id)

    def _flush(self) -> None:
        """Read and link the keys of every lead added or changed since the index was last
        asked; a failure midway leaves the rest pending, to be read again next time."""
        pending = self._pending
        # A copy to walk: taking the first entry again after each delete would walk past
        # every removed slot of the dict each time.
        for lead_id, lead in list(pending.items()):
            self._unlink_all(lead_id)
            texts = self._read(lead)
            if texts:
                self._by_lead[lead_id] = texts
                for text in texts:
                    _link(self.by_key, text, lead_id)
            del pending[lead_id]

    def unchanged(self, old: Lead, new: Lead) -> bool:
        """Whether ``new`` reads its keys from exactly the values ``old`` had."""
        return old.id == new.id and self._source(old) == self._source(new)

    def leads_by_key(self, keys: object) -> dict[DedupKey, tuple[str, ...]]:
        """The ids having each key, in id order; keys nobody has are absent."""
        found: dict[DedupKey, tuple[str, ...]] = {}
        wanted = key_list(keys)
        self._flush()
        for key in wanted:
            ids = self.by_key.get(str(key))
            if ids:
                found[key] = tuple(sorted(ids))
        return found

    def keys_of(self, lead_ids: object) -> dict[str, tuple[DedupKey, ...]]:
        """The indexed keys of each lead that has some."""
        found: dict[str, tuple[DedupKey, ...]] = {}
        wanted = _ids(lead_ids)
        by_lead = self.by_lead
        for lead_id in wanted:
            texts = by_lead.get(lead_id)
            if texts:
                found[lead_id] = tuple(DedupKey.parse(t) for t in texts)
        return found


def key_list(keys: object) -> list[DedupKey]:
    """``keys`` as a list of keys, or ``ValidationError`` naming the argument (a store's
    ``leads_by_key`` checks its argument with it)."""
    if type(keys) is tuple or type(keys) is list:  # the common case, without an ABC check
        found = list(keys)
        if not found or set(map(type, found)) == _ONLY_KEYS:
            return found
    if isinstance(keys, str | bytes | DedupKey) or not isinstance(keys, Iterable):
        raise ValidationError([FieldProblem("keys", "must be a collection of DedupKey")])
    found = list(keys)
    if not all(isinstance(k, DedupKey) for k in found):
        raise ValidationError([FieldProblem("keys", "must hold only DedupKey values")])
    return found


def _ids(lead_ids: object) -> list[str]:
    return identifier_list(lead_ids, "lead_ids")


def _link(index: dict[str, dict[str, None]], text: str, lead_id: str) -> None:
    ids = index.get(text)
    if ids is None:  # not setdefault: it would build a dict for every key already held
        index[text] = {lead_id: None}
    else:
        ids[lead_id] = None


def _unlink(index: dict[str, dict[str, None]], text: str, lead_id: str) -> None:
    ids = index.get(text)
    if ids is None:
        return
    ids.pop(lead_id, None)
    if not ids:
        del index[text]
