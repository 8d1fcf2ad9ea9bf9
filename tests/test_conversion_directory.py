"""The customer directory contract on the default directory."""

from __future__ import annotations

from leadcore.conversion import CustomerDirectory, MemoryCustomerDirectory
from leadcore.testing import CustomerDirectoryContract


class TestMemoryCustomerDirectory(CustomerDirectoryContract):
    """Every directory rule on ``MemoryCustomerDirectory``."""

    def make_directory(self) -> CustomerDirectory:
        return MemoryCustomerDirectory()
