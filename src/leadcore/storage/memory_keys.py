"""``MemoryStore``'s duplicate-key index: lead ids by key, and each lead's keys.

A lead's keys are read with the store's ``Normaliser`` whenever the lead is indexed; a save
that leaves every field keys are read from as it was keeps them without reading again. Every
change tolerates a half-done earlier one (unlinking what is not linked is a no-op, and indexing
a lead first unlinks whatever its id had), so an undo always puts the index back exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadcore.checks import identifier_list
from leadcore.dedup import DedupKey, Normaliser
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead

__all__ = ["KeyIndex", "key_list"]


class KeyIndex:
    """Lead ids by duplicate key text (``phone:+8613800138000``) and key texts by lead id.
    Not thread-safe on its own: ``MemoryStore`` holds its lock around every use."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self._read = normaliser.key_texts
        self._source = normaliser.key_source
        self.by_key: dict[str, dict[str, None]] = {}
        self.by_lead: dict[str, tuple[str, ...]] = {}

    def add(self, lead: Lead) -> None:
        """Index ``lead``'s keys (replacing whatever its id had)."""
        self.discard(lead.id)
        texts = self._read(lead)
        if not texts:
            return
        self.by_lead[lead.id] = texts
        for text in texts:
            _link(self.by_key, text, lead.id)

    def discard(self, lead_id: str) -> None:
        """Forget the keys of ``lead_id`` (nothing to forget is fine)."""
        texts = self.by_lead.pop(lead_id, ())
        for text in texts:
            _unlink(self.by_key, text, lead_id)

    def unchanged(self, old: Lead, new: Lead) -> bool:
        """Whether ``new`` reads its keys from exactly the values ``old`` had."""
        return old.id == new.id and self._source(old) == self._source(new)

    def leads_by_key(self, keys: object) -> dict[DedupKey, tuple[str, ...]]:
        """The ids having each key, in id order; keys nobody has are absent."""
        found: dict[DedupKey, tuple[str, ...]] = {}
        for key in key_list(keys):
            ids = self.by_key.get(str(key))
            if ids:
                found[key] = tuple(sorted(ids))
        return found

    def keys_of(self, lead_ids: object) -> dict[str, tuple[DedupKey, ...]]:
        """The indexed keys of each lead that has some."""
        found: dict[str, tuple[DedupKey, ...]] = {}
        for lead_id in _ids(lead_ids):
            texts = self.by_lead.get(lead_id)
            if texts:
                found[lead_id] = tuple(DedupKey.parse(t) for t in texts)
        return found


def key_list(keys: object) -> list[DedupKey]:
    """``keys`` as a list of keys, or ``ValidationError`` naming the argument (a store's
    ``leads_by_key`` checks its argument with it)."""
    if isinstance(keys, str | bytes | DedupKey) or not isinstance(keys, Iterable):
        raise ValidationError([FieldProblem("keys", "must be a collection of DedupKey")])
    found = list(keys)
    if not all(isinstance(k, DedupKey) for k in found):
        raise ValidationError([FieldProblem("keys", "must hold only DedupKey values")])
    return found


def _ids(lead_ids: object) -> list[str]:
    return identifier_list(lead_ids, "lead_ids")


def _link(index: dict[str, dict[str, None]], text: str, lead_id: str) -> None:
    index.setdefault(text, {})[lead_id] = None


def _unlink(index: dict[str, dict[str, None]], text: str, lead_id: str) -> None:
    ids = index.get(text)
    if ids is None:
        return
    ids.pop(lead_id, None)
    if not ids:
        del index[text]
