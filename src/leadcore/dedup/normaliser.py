"""The :class:`Normaliser`: every duplicate key of a value or a whole record, from one set of
rules."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from itertools import islice
from operator import attrgetter
from typing import Any

import attrs

from leadcore import checks
from leadcore.dedup.companies import CompanyNormaliser, NormalisedCompany
from leadcore.dedup.emails import EmailNormaliser, NormalisedEmail
from leadcore.dedup.keys import DedupKey, KeyKind, key_kinds
from leadcore.dedup.phones import NormalisedPhone, PhoneNormaliser
from leadcore.dedup.rules import CUSTOM_PREFIX, DedupRules
from leadcore.dedup.rules_base import FromConfig
from leadcore.dedup.wechat import NormalisedWechat, WechatNormaliser
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead
from leadcore.signatures import checked_constructor

__all__ = ["Normaliser", "Record", "RecordKeys"]

Record = Lead | Mapping[str, object]
"""What keys are read from: a ``Lead``, or a plain mapping of field name to value (an import
row). A mapping may hold a custom field as ``"custom_fields.x"`` or nest ``{"custom_fields":
{"x": ...}}``."""

Normalised = NormalisedPhone | NormalisedEmail | NormalisedCompany | NormalisedWechat
"""What one value normalises to."""


@attrs.frozen(slots=True)
class RecordKeys:
    """Every key of a record, and a problem for each filled-in field that gave none (so an
    import can say "phone: is not a number in use in CN (+86)")."""

    keys: tuple[DedupKey, ...]
    problems: tuple[FieldProblem, ...] = ()


def _lead_getter(path: str) -> Callable[[Lead], object]:
    if path.startswith(CUSTOM_PREFIX):
        name = path[len(CUSTOM_PREFIX) :]
        return lambda lead: lead.custom_fields.get(name)
    getter: Callable[[Lead], object] = attrgetter(path)
    return getter


def _mapping_getter(path: str) -> Callable[[Mapping[str, object]], object]:
    if not path.startswith(CUSTOM_PREFIX):
        return lambda record: record.get(path)
    name = path[len(CUSTOM_PREFIX) :]

    def custom(record: Mapping[str, object]) -> object:
        if path in record:
            return record[path]
        nested = record.get("custom_fields")
        return nested.get(name) if isinstance(nested, Mapping) else None

    return custom


def _source_reader(readers: tuple[_Reader, ...]) -> Callable[[Lead], tuple[object, ...]]:
    """One function reading every field keys are read from, as a tuple: a single
    ``attrgetter`` when no custom field is among them (it runs twice for every imported row)."""
    paths = [path for _, path, _, _ in readers]
    if len(paths) > 1 and not any(p.startswith(CUSTOM_PREFIX) for p in paths):
        together: Callable[[Lead], tuple[object, ...]] = attrgetter(*paths)
        return together
    getters = [get for _, _, get, _ in readers]
    return lambda lead: tuple([get(lead) for get in getters])


_ALL_KINDS = frozenset(KeyKind)

_MOST_ROOM = 100_000
"""The most leads :meth:`Normaliser.make_room` keeps room for (an import's largest chunk)."""

_MOST_CACHE = 10_000_000
"""The largest ``cache_size``: enough for every value of a very large store."""

_Reader = tuple[KeyKind, str, Callable[[Lead], object], Callable[[Mapping[str, object]], object]]


@checked_constructor
class Normaliser(FromConfig):
    """Turns phones, emails, company names and WeChat ids into :class:`DedupKey` values.

    Build it once from :class:`DedupRules` (or plain data with :meth:`from_dict`,
    :meth:`from_json`, :meth:`from_toml`) and reuse it: it compiles the rule lists and keeps
    bounded caches (``cache_size``, at most 10,000,000, entries each for phone numbers that needed phonenumbers and
    for company names, a quarter of that for recent leads' keys, with room for a batch on
    request: :meth:`make_room`). It is safe to share between threads.

    Values are never an error: each method returns a result that either has a ``key`` or says
    in ``reason`` why not (``None``, blank text, another type, over-long text or a lone
    surrogate included). Only a record that is neither a ``Lead`` nor a mapping raises
    ``ValidationError``.
    """

    __slots__ = (
        "_all",
        "_lease",
        "_lock",
        "_readers",
        "_recent",
        "_recent_size",
        "_room",
        "_source",
        "companies",
        "emails",
        "phones",
        "rules",
        "wechats",
    )

    def __init__(self, rules: DedupRules | None = None, *, cache_size: int = 8192) -> None:
        if rules is not None and not isinstance(rules, DedupRules):
            raise ValidationError([FieldProblem("rules", "must be DedupRules (or None)")])
        checks.whole(cache_size, "cache_size", most=_MOST_CACHE)
        self.rules = rules or DedupRules()
        self.phones = PhoneNormaliser(self.rules.phone, cache_size=cache_size)
        self.emails = EmailNormaliser(self.rules.email)
        self.companies = CompanyNormaliser(self.rules.company, cache_size=cache_size)
        self.wechats = WechatNormaliser(self.rules.wechat)
        self._readers: tuple[_Reader, ...] = tuple(
            (kind, path, _lead_getter(path), _mapping_getter(path))
            for kind in KeyKind
            for path in self.rules.fields.get(kind, ())
        )
        self._all = self.key_reader(KeyKind)
        self._source = _source_reader(self._readers)
        self._recent: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._recent_size = max(cache_size // 4, 0)
        self._room = 0  # extra entries kept for a batch (``make_room``) …
        self._lease = 0  # … until this many more leads' keys have been read afresh
        self._lock = threading.Lock()

    # --- construction ---------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Normaliser:
        """The normaliser with the default rules (one shared instance)."""
        return _default()

    @classmethod
    def given(cls, value: object, *, subject: str = "input") -> Normaliser:
        """``value`` as the ``normaliser`` argument of a store, directory or search: itself
        when it is a ``Normaliser``, the default one for None, else ``ValidationError``
        naming ``normaliser`` (about ``subject``)."""
        if value is None:
            return _default()
        if isinstance(value, Normaliser):
            return value
        shown = type(value).__name__
        raise ValidationError(
            [FieldProblem("normaliser", f"must be a Normaliser or None, not {shown}")],
            subject=subject,
        )

    @classmethod
    def from_dict(cls, data: object) -> Normaliser:
        """Build from plain rules data (see :meth:`DedupRules.from_dict`)."""
        return cls(DedupRules.from_dict(data))

    # --- one value ------------------------------------------------------------------------------
    def phone(self, value: object) -> NormalisedPhone:
        """A phone number as E.164 with its extension apart, or why it has no key."""
        return self.phones.normalise(value)

    def email(self, value: object) -> NormalisedEmail:
        """An email address with case, spaces and provider spellings undone, or why not."""
        return self.emails.normalise(value)

    def company(self, value: object) -> NormalisedCompany:
        """A company name as region and name, or why it has no key."""
        return self.companies.normalise(value)

    def wechat(self, value: object) -> NormalisedWechat:
        """A WeChat id with case and spaces undone, or why it has no key."""
        return self.wechats.normalise(value)

    def normalise(self, kind: KeyKind | str, value: object) -> Normalised:
        """``value`` read as a ``kind`` of contact detail (a ``KeyKind``, or its value, name or
        label: ``"phone"``, ``"电话"``); an unknown kind raises ``ValidationError``."""
        if not isinstance(kind, KeyKind):
            kind = _parse_kind(kind)
        if kind is KeyKind.PHONE:
            return self.phone(value)
        if kind is KeyKind.EMAIL:
            return self.email(value)
        if kind is KeyKind.COMPANY:
            return self.company(value)
        if kind is KeyKind.WECHAT:
            return self.wechat(value)
        raise ValidationError([FieldProblem("kind", "must be a KeyKind")])

    def key(self, kind: KeyKind | str, value: object) -> DedupKey | None:
        """The key of ``value`` read as a ``kind``, or ``None``."""
        return self.normalise(kind, value).key

    # --- whole records --------------------------------------------------------------------------
    def keys(self, record: Record) -> tuple[DedupKey, ...]:
        """Every key of a ``Lead`` or a plain mapping, in kind order, without repeats."""
        return tuple(DedupKey.parse(text) for text in self.key_texts(record))

    def examine(self, record: Record) -> RecordKeys:
        """Every key of the record, with a problem for each filled-in field that gave none."""
        found: dict[DedupKey, None] = {}
        problems: list[FieldProblem] = []
        for kind, path, value in self._values(record, _ALL_KINDS):
            result = self.normalise(kind, value)
            key = result.key
            if key is not None:
                found.setdefault(key)
            elif not result.empty:
                problems.append(FieldProblem(path, result.reason))
        return RecordKeys(tuple(found), tuple(problems))

    def key_texts(self, record: Record) -> tuple[str, ...]:
        """The keys of a record as their text form (``phone:+8613800138000``), which a store
        can index as one column; the fast path behind :meth:`keys`. A lead's keys are kept
        for its recently seen field values, so reading them again (a plan, then the store) is
        almost free."""
        if isinstance(record, Lead) and self._recent_size:
            source = self.key_source(record)
            try:
                found = self._recent.get(source)
            except TypeError:  # an unhashable custom value: read it afresh
                return tuple(self._all(record))
            if found is None:
                found = tuple(self._all(record))
                self._remember(source, found)
            return found
        return tuple(self._all(record))

    def make_room(self, count: int) -> None:
        """Keep room for ``count`` more leads' keys (at most 100,000) in the cache of recent
        leads, for a batch whose plan reads its leads' keys and whose store reads them again
        as it writes them: without it a batch larger than the cache reads every lead's keys
        twice. The room goes again once twice ``count`` leads' keys have been read afresh
        (the batch's, then whatever follows), so the cache shrinks back to its own size."""
        wanted = min(checks.whole(count, "count"), _MOST_ROOM)
        if not self._recent_size or not wanted:
            return
        with self._lock:
            self._room = max(self._room, wanted)
            self._lease = max(self._lease, 2 * wanted)

    def _remember(self, source: tuple[object, ...], texts: tuple[str, ...]) -> None:
        """Keep a lead's key texts by their source, the oldest going first when full."""
        with self._lock:
            if self._lease:
                self._lease -= 1
                if not self._lease:
                    self._room = 0
            recent, size = self._recent, self._recent_size + self._room
            if (excess := len(recent) + 1 - size) > 0:
                # The oldest quarter goes at once: a dict deleted from the front one entry at
                # a time walks past every removed slot to find the next oldest.
                for old in list(islice(recent, max(excess, size // 4))):
                    del recent[old]
            recent[source] = texts

    def key_source(self, lead: Record) -> tuple[object, ...]:
        """The values of the lead fields keys are read from, in one tuple: two versions of a
        lead with equal sources have equal keys (a store re-reads keys only when it changed).
        A plain mapping of lead fields is read the same way."""
        if type(lead) is Lead or isinstance(lead, Lead):
            return self._source(lead)
        if isinstance(lead, Mapping):
            return tuple([plain(lead) for _, _, _, plain in self._readers])
        raise _not_a_record(lead)

    def key_reader(
        self, kinds: Iterable[KeyKind | str] | None = None
    ) -> Callable[[Record], list[str]]:
        """A fast function giving a record's key texts, only of the given ``kinds`` (each the
        kind, its value or a label; None for all) for reading many records;
        :func:`~leadcore.dedup.groups.find_duplicate_groups` uses it."""
        wanted = key_kinds(kinds)
        functions: dict[KeyKind, Callable[[object], str | None]] = {
            KeyKind.PHONE: self.phones.key_value,
            KeyKind.EMAIL: self.emails.key_value,
            KeyKind.COMPANY: self.companies.key_value,
            KeyKind.WECHAT: self.wechats.key_value,
        }
        readers = [
            (f"{kind.value}:", lead, plain, functions[kind])
            for kind, _, lead, plain in self._readers
            if kind in wanted
        ]

        lead_readers = [(prefix, lead, key_value) for prefix, lead, _, key_value in readers]
        plain_readers = [(prefix, plain, key_value) for prefix, _, plain, key_value in readers]

        def read(record: Record) -> list[str]:
            chosen: list[tuple[str, Callable[[Any], object], Callable[[object], str | None]]]
            if isinstance(record, Lead):
                chosen = lead_readers
            elif isinstance(record, Mapping):
                chosen = plain_readers
            else:
                raise _not_a_record(record)
            out: list[str] = []
            for prefix, get, key_value in chosen:
                value = get(record)
                if value is not None and (found := key_value(value)) is not None:
                    text = prefix + found
                    if text not in out:
                        out.append(text)
            return out

        return read

    def _values(
        self, record: Record, kinds: Iterable[KeyKind]
    ) -> list[tuple[KeyKind, str, object]]:
        if isinstance(record, Lead):
            return [(k, p, lead(record)) for k, p, lead, _ in self._readers if k in kinds]
        if isinstance(record, Mapping):
            return [(k, p, plain(record)) for k, p, _, plain in self._readers if k in kinds]
        raise _not_a_record(record)


def _parse_kind(kind: object) -> KeyKind:
    try:
        if isinstance(kind, str):
            return KeyKind.parse(kind)
    except ValueError:
        pass
    choices = ", ".join(k.value for k in KeyKind)
    raise ValidationError([FieldProblem("kind", f"{kind!r} is not a key kind ({choices})")])


def _not_a_record(record: object) -> ValidationError:
    return ValidationError(
        [
            FieldProblem(
                "record",
                f"must be a Lead or a mapping of field name to value, not {type(record).__name__}",
            )
        ]
    )


@cache
def _default() -> Normaliser:
    return Normaliser()
