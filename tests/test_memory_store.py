"""MemoryStore passes the store contract walking its orderings and failing inside its writes,
and agrees with the reference model (the plain contract runs in ``test_every_store``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from unittest.mock import patch

from leadcore import LeadStore, MemoryStore
from leadcore.storage import memory_follow_ups, memory_index, memory_records
from leadcore.testing import LeadStoreContract, StoreAgreement
from leadcore.testing.contract_records import FaultPoints, InjectedFault


class TestMemoryStoreWalkingContract(LeadStoreContract):
    """The contract again, with every query walking the ordering instead of an index."""

    def make_store(self) -> LeadStore:
        return MemoryStore(walk_only=True)


class MemoryStoreAgreement(StoreAgreement):
    """An index-planning and a walking MemoryStore agree with the reference on random histories."""

    def make_stores(self) -> list[LeadStore]:
        return [MemoryStore(), MemoryStore(walk_only=True)]


TestMemoryStoreAgreement = MemoryStoreAgreement.TestCase


class TestMemoryStoreFailingInside(LeadStoreContract):
    """The contract's fault points on MemoryStore: each write fails midway, after it began."""

    def make_store(self) -> LeadStore:
        return MemoryStore()

    def fault_points(self) -> FaultPoints:
        def after_calls(target: Any, name: str, n: int) -> AbstractContextManager[None]:
            original = getattr(target, name)
            calls = [0]

            def failing(*args: Any, **kwargs: Any) -> Any:
                calls[0] += 1
                result = original(*args, **kwargs)
                if calls[0] == n:
                    raise InjectedFault(name)
                return result

            return patch.object(target, name, failing)  # type: ignore[arg-type]

        class FailingDict(dict[str, dict[str, None]]):
            def setdefault(self, key: str, default: Any = None) -> Any:
                raise InjectedFault("setdefault")

        @contextmanager
        def follow_up_index(store: LeadStore) -> Iterator[None]:
            assert isinstance(store, MemoryStore)
            real = store._follow_ups_by_lead
            store._follow_ups_by_lead = FailingDict(real)
            try:
                yield
            finally:
                real.clear()
                real.update(store._follow_ups_by_lead)
                store._follow_ups_by_lead = real

        return {
            "add_lead": lambda store: after_calls(memory_index, "_insert", 2),
            "save_lead": lambda store: after_calls(memory_index, "_insert", 2),
            "delete_lead": lambda store: after_calls(memory_index, "_remove", 3),
            "append_events": lambda store: after_calls(store._positions, "note", 2),  # type: ignore[attr-defined,unused-ignore]
            "put_grant": lambda store: after_calls(store.records, "index_grant", 1),  # type: ignore[attr-defined,unused-ignore]
            "add_ownership_record": lambda store: after_calls(memory_records, "insort", 1),
            "add_follow_up": follow_up_index,
            "move_follow_up": lambda store: after_calls(memory_follow_ups, "_unfile", 1),
            "set_sweep_at": lambda store: after_calls(store.sweeps, "_put", 1),
            "save_follow_up": lambda store: after_calls(store.follow_up_times, "_index", 1),
        }
