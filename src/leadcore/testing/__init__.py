"""Test support for leadcore and for hosts: the store and customer directory contract suites,
the desk's application test case, a directory that fails on purpose, hypothesis strategies,
factories and a shared world (``leadcore.testing.world``).

Needs the ``testing`` extra (hypothesis, pytest). No library module imports this package.
"""

from leadcore.testing.agreement import StoreAgreement
from leadcore.testing.application import DeskApplicationCase
from leadcore.testing.contract import LeadStoreContract
from leadcore.testing.contract_directory import CustomerDirectoryContract
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead, make_pool
from leadcore.testing.faults import DirectoryFault, FaultyDirectory

__all__ = [
    "EPOCH",
    "CustomerDirectoryContract",
    "DeskApplicationCase",
    "DirectoryFault",
    "FaultyDirectory",
    "LeadStoreContract",
    "StoreAgreement",
    "make_follow_up",
    "make_lead",
    "make_pool",
]
