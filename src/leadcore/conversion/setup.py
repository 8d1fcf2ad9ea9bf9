"""What a desk converts with: the customer directory, the field mapping and the normaliser
that makes the keys customers are found by; and what one conversion returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from leadcore.dedup import DedupKey, Normaliser, Record
from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead
from leadcore.signatures import checked_constructor

from .directory import CustomerDirectory
from .execute import directory_call
from .loading import ConversionMapping
from .memory import MemoryCustomerDirectory
from .records import CustomerMatch
from .request import ConversionReceipt

__all__ = ["ConversionResult", "ConversionSetup"]


@attrs.frozen(slots=True)
class ConversionSetup:
    """The desk's ``directory`` (a ``MemoryCustomerDirectory`` unless given), its ``mapping``
    (copying nothing unless given) and the ``normaliser`` of the duplicate keys (the
    directory's own when it has one, else the default rules)."""

    directory: CustomerDirectory = attrs.field(factory=MemoryCustomerDirectory)
    mapping: ConversionMapping = attrs.field(factory=ConversionMapping)
    normaliser: Normaliser = attrs.field(factory=Normaliser.default)

    @classmethod
    def of(
        cls, directory: CustomerDirectory | None, mapping: ConversionMapping | None
    ) -> ConversionSetup:
        """The setup for ``LeadDesk(directory=..., mapping=...)``, both checked."""
        problems: list[FieldProblem] = []
        if directory is not None and not isinstance(directory, CustomerDirectory):
            problems.append(
                FieldProblem("directory", "must implement CustomerDirectory (or be None)")
            )
        if mapping is not None and not isinstance(mapping, ConversionMapping):
            problems.append(FieldProblem("mapping", "must be a ConversionMapping (or None)"))
        if problems:
            raise ValidationError(problems)
        chosen = directory if directory is not None else MemoryCustomerDirectory()
        own = getattr(chosen, "normaliser", None)
        return cls(
            chosen,
            mapping if mapping is not None else ConversionMapping(),
            own if isinstance(own, Normaliser) else Normaliser.default(),
        )

    def matches(self, record: Record) -> list[CustomerMatch]:
        """The existing customers holding one of ``record``'s duplicate keys (a ``Lead`` or a
        mapping of lead fields, as intake reads them): "this phone already belongs to customer
        X, owned by Y". ``DirectoryFailed`` if the directory fails, or answers with anything
        but matches of the keys asked about."""
        return self.matches_each([record])[0]

    def matches_each(
        self,
        records: Sequence[Record],
        keys: Sequence[tuple[DedupKey, ...]] | None = None,
    ) -> list[list[CustomerMatch]]:
        """:meth:`matches` for each of ``records``, in order, asking the directory once for
        all of them (an import's chunk). ``keys``, when given, are each record's keys as this
        setup's ``normaliser`` reads them, read already by the caller."""
        if isinstance(records, str | bytes | Mapping | Lead) or not isinstance(records, Sequence):
            raise ValidationError([FieldProblem("records", "must be a list of leads or mappings")])
        if keys is not None and (not isinstance(keys, Sequence) or len(keys) != len(records)):
            raise ValidationError([FieldProblem("keys", "must give one tuple of keys per record")])
        keys_of = [self.normaliser.keys(record) for record in records] if keys is None else keys
        asked = list(dict.fromkeys(key for keys in keys_of for key in keys))
        if not asked:
            return [[] for _ in records]
        found = directory_call(
            "looking for customers",
            "find",
            list,
            lambda: self.directory.find(asked),
            lambda answer: _match_problem(answer, asked),
        )
        if not found:  # the common case: none of these details belongs to a customer yet
            return [[] for _ in records]
        by_key: dict[DedupKey, list[tuple[int, CustomerMatch]]] = {}
        for rank, match in enumerate(found):
            by_key.setdefault(match.key, []).append((rank, match))
        # Each record's matches in the directory's own order.
        return [
            [m for _, m in sorted(hit for key in keys for hit in by_key.get(key, ()))]
            for keys in keys_of
        ]


def _match_problem(found: list[object], keys: Sequence[DedupKey]) -> str | None:
    """What is wrong with ``find``'s answer to ``keys``, or None."""
    if not found:
        return None  # the common answer; the set of keys asked about is not needed then
    asked = set(keys)
    for i, match in enumerate(found):
        if not isinstance(match, CustomerMatch):
            return f"returned {type(match).__name__} at [{i}], not CustomerMatch"
        if not isinstance(match.customer_id, str) or not match.customer_id.strip():
            return f"returned a match at [{i}] whose customer_id is {match.customer_id!r}"
        if not isinstance(match.key, DedupKey) or match.key not in asked:
            return f"returned a match at [{i}] for {match.key}, a key not asked about"
    return None


@checked_constructor
@attrs.frozen(slots=True)
class ConversionResult:
    """A converted lead (read-only now, pointing at its customer) and the ``receipt`` of what
    the directory made or linked."""

    lead: Lead
    receipt: ConversionReceipt

    @property
    def customer_id(self) -> str:
        """The customer the lead converted into."""
        return self.receipt.customer.id

    @property
    def contact_id(self) -> str | None:
        """The contact created or associated (None when the lead names no person)."""
        return self.receipt.contact_id

    @property
    def deal_id(self) -> str | None:
        """The deal created, if one was asked for."""
        return None if self.receipt.deal is None else self.receipt.deal.id
