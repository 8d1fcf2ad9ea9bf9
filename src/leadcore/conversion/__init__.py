"""Conversion (转化): leads become the host's customers, contacts and deals.

* :class:`CustomerDirectory` — the protocol over the host's customer tables; every write is
  idempotent by the conversion key (the lead's id), so a conversion that failed midway is run
  again safely. :class:`MemoryCustomerDirectory` is the default and the reference; a host's
  own is checked with ``leadcore.testing.CustomerDirectoryContract``.
* :class:`ConversionMapping` — one :class:`TargetMapping` per target (customer, contact, deal)
  of :class:`FieldRule` values: copy, value map, budget band or named transform, and required
  target fields; from dict, JSON or TOML.
* :func:`build_request` → :class:`ConversionRequest`, :func:`execute` →
  :class:`ConversionReceipt` — a conversion as data, and run against a directory.
* :func:`gate_refusal`, :class:`ConversionReadiness` — the pool's rule on which leads convert.

The desk's ``convert``, ``convert_batch``, ``conversion_readiness``, ``customer_matches`` and
``reopen`` use these; the ``docs/conversion.md`` page walks through them.
"""

from leadcore.conversion.directory import CustomerDirectory
from leadcore.conversion.errors import (
    DirectoryConflict,
    DirectoryFailed,
    DuplicateCustomer,
    ExistingCustomer,
)
from leadcore.conversion.execute import STEPS, execute
from leadcore.conversion.gate import ConversionReadiness, gate_refusal
from leadcore.conversion.loading import ConversionMapping
from leadcore.conversion.mapping import SOURCE_FIELDS, Band, FieldRule, TargetMapping
from leadcore.conversion.memory import MemoryCustomerDirectory
from leadcore.conversion.records import (
    CarriedFollowUp,
    Contact,
    ContactDraft,
    Customer,
    CustomerDraft,
    CustomerMatch,
    Deal,
    DealDraft,
    FieldValue,
    carried,
)
from leadcore.conversion.request import (
    ConversionReceipt,
    ConversionRequest,
    build_request,
    conversion_key,
)
from leadcore.conversion.setup import ConversionResult, ConversionSetup
from leadcore.conversion.transforms import BUILT_IN_TRANSFORMS, Transform

__all__ = [
    "BUILT_IN_TRANSFORMS",
    "SOURCE_FIELDS",
    "STEPS",
    "Band",
    "CarriedFollowUp",
    "Contact",
    "ContactDraft",
    "ConversionMapping",
    "ConversionReadiness",
    "ConversionReceipt",
    "ConversionRequest",
    "ConversionResult",
    "ConversionSetup",
    "Customer",
    "CustomerDirectory",
    "CustomerDraft",
    "CustomerMatch",
    "Deal",
    "DealDraft",
    "DirectoryConflict",
    "DirectoryFailed",
    "DuplicateCustomer",
    "ExistingCustomer",
    "FieldRule",
    "FieldValue",
    "MemoryCustomerDirectory",
    "TargetMapping",
    "Transform",
    "build_request",
    "carried",
    "conversion_key",
    "execute",
    "gate_refusal",
]
