"""Test support for leadcore and for hosts: the store and customer directory contract suites,
the desk's application test case, a directory that fails on purpose, hypothesis strategies,
factories and a shared world (``leadcore.testing.world``).

Needs the ``testing`` extra (hypothesis, pytest). No library module imports this package.
"""

import pkgutil

import pytest

# The suites' asserts print the values they compared, in a host's test run too (each module
# is named before it is first imported, which is when pytest can rewrite it).
pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))

from leadcore.testing.agreement import StoreAgreement  # noqa: E402
from leadcore.testing.application import DeskApplicationCase  # noqa: E402
from leadcore.testing.contract import LeadStoreContract  # noqa: E402
from leadcore.testing.contract_directory import CustomerDirectoryContract  # noqa: E402
from leadcore.testing.contract_records import FAULT_POINTS, FaultPoints, InjectedFault  # noqa: E402
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead, make_pool  # noqa: E402
from leadcore.testing.faults import DirectoryFault, FaultyDirectory  # noqa: E402

__all__ = [
    "EPOCH",
    "FAULT_POINTS",
    "CustomerDirectoryContract",
    "DeskApplicationCase",
    "DirectoryFault",
    "FaultPoints",
    "FaultyDirectory",
    "InjectedFault",
    "LeadStoreContract",
    "StoreAgreement",
    "make_follow_up",
    "make_lead",
    "make_pool",
]
