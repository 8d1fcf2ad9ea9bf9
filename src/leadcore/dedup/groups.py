"""Finding groups of duplicates in a batch of records: pure, no store.

Two records are duplicates when they share a key; groups are closed under that (A shares a
phone with B, B a company with C: A, B and C are one group). Each group names the keys that
link it and which records share each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from leadcore.dedup.keys import DedupKey, KeyKind, key_kinds
from leadcore.dedup.normaliser import Normaliser, Record
from leadcore.errors import FieldProblem, ValidationError
from leadcore.frozen import frozen_mapping
from leadcore.model import Lead
from leadcore.signatures import checked_constructor

__all__ = ["DuplicateGroup", "find_duplicate_groups"]

_MAX_PROBLEMS = 20
_KIND_ORDER = {kind: i for i, kind in enumerate(KeyKind)}


def _freeze_links(
    links: Mapping[DedupKey, tuple[str, ...]],
) -> Mapping[DedupKey, tuple[str, ...]]:
    if not isinstance(links, Mapping):
        shown = type(links).__name__
        raise ValidationError(
            [FieldProblem("links", f"must map each shared key to the ids sharing it, not {shown}")]
        )
    return frozen_mapping(links)


@checked_constructor
@attrs.frozen(slots=True)
class DuplicateGroup:
    """Records that are duplicates of each other: ``ids`` in input order, and ``links``, each
    shared key with the ids that share it (in kind order: phone, email, company, WeChat)."""

    ids: tuple[str, ...]
    links: Mapping[DedupKey, tuple[str, ...]] = attrs.field(converter=_freeze_links)

    @property
    def keys(self) -> tuple[DedupKey, ...]:
        """The keys that link the group."""
        return tuple(self.links)

    def describe(self) -> str:
        """The group in words: ``a, b share phone:+8613800138000; b, c share company:…``."""
        return "; ".join(f"{', '.join(ids)} share {key}" for key, ids in self.links.items())


def _records(records: object) -> list[tuple[str, Record]]:
    """The (id, record) pairs, or one ``ValidationError`` naming each bad entry."""
    if isinstance(records, str | bytes) or not isinstance(records, Iterable):
        raise ValidationError(
            [FieldProblem("records", "must be a collection of leads or mappings (or id → record)")]
        )
    problems: list[FieldProblem] = []
    pairs: list[tuple[str, Record]] = []
    seen: dict[str, int] = {}
    items: Iterable[tuple[object, object]] = (
        records.items() if isinstance(records, Mapping) else enumerate(records)
    )
    by_id = isinstance(records, Mapping)
    for position, record in items:
        if len(problems) >= _MAX_PROBLEMS:
            problems.append(FieldProblem("records", "more problems were not listed"))
            break
        where = f"records[{position!r}]" if by_id else f"records[{position}]"
        if isinstance(record, Lead):
            record_id: object = record.id if not by_id else position
        elif isinstance(record, Mapping):
            record_id = position if by_id else record.get("id")
        else:
            problems.append(FieldProblem(where, "must be a Lead or a mapping of field to value"))
            continue
        if not isinstance(record_id, str) or not record_id:
            problems.append(
                FieldProblem(f"{where}.id" if not by_id else where, "needs an id (text)")
            )
            continue
        if record_id in seen:
            problems.append(
                FieldProblem(f"{where}.id", f"{record_id!r} is also record {seen[record_id]}")
            )
            continue
        seen[record_id] = len(pairs)
        pairs.append((record_id, record))
    if problems:
        raise ValidationError(problems, subject="records")
    return pairs


def find_duplicate_groups(
    records: Iterable[Record] | Mapping[str, Record],
    normaliser: Normaliser | None = None,
    *,
    kinds: Iterable[KeyKind | str] | None = None,
) -> tuple[DuplicateGroup, ...]:
    """The groups of records that share a duplicate key, in order of their first record.

    ``records`` are leads or plain mappings with an ``"id"``, or a mapping of id to record.
    ``kinds`` limits which keys link records (default: all; e.g. ``[KeyKind.PHONE]``, or the
    kinds' values or labels: ``["phone", "公司"]``).
    Records in no group are left out. Raises ``ValidationError`` naming every bad entry (not a
    record, no id, an id twice) and for a bad ``normaliser`` or ``kinds``.
    """
    read = Normaliser.given(normaliser).key_reader(key_kinds(kinds))
    pairs = _records(records)
    parent = list(range(len(pairs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    for i, (_, record) in enumerate(pairs):
        for text in read(record):
            j = first.setdefault(text, i)
            if j == i:
                continue
            members = shared.get(text)
            if members is None:
                shared[text] = [j, i]
            else:
                members.append(i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    by_root: dict[int, list[tuple[str, list[int]]]] = {}
    for text, members in shared.items():
        by_root.setdefault(root(members[0]), []).append((text, members))
    groups = []
    for top in sorted(by_root):
        links = by_root[top]
        members = sorted({i for _, group in links for i in group})
        keyed = sorted(
            ((DedupKey.parse(text), group) for text, group in links),
            key=lambda link: (_KIND_ORDER[link[0].kind], link[1][0]),
        )
        shared_by: dict[DedupKey, tuple[str, ...]] = {
            key: tuple(pairs[i][0] for i in group) for key, group in keyed
        }
        groups.append(DuplicateGroup(tuple(pairs[i][0] for i in members), shared_by))
    return tuple(groups)
