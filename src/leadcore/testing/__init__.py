"""Test support for leadcore and for hosts: the store contract suite, the desk's application
test case, hypothesis strategies, factories and a shared world (``leadcore.testing.world``).

Needs the ``testing`` extra (hypothesis, pytest). No library module imports this package.
"""

from leadcore.testing.agreement import StoreAgreement
from leadcore.testing.application import DeskApplicationCase
from leadcore.testing.contract import LeadStoreContract
from leadcore.testing.factories import EPOCH, make_follow_up, make_lead, make_pool

__all__ = [
    "EPOCH",
    "DeskApplicationCase",
    "LeadStoreContract",
    "StoreAgreement",
    "make_follow_up",
    "make_lead",
    "make_pool",
]
