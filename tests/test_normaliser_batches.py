"""The cache of recent leads' keys and batches larger than it: an import chunk of thousands of
rows reads each row's keys once (its plan reads them, the store reads them again as it writes),
and the room kept for a batch goes again afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadcore import Lead, MemoryStore, SQLiteStore, ValidationError
from leadcore.dedup import DuplicateAction, DuplicatePolicy, Normaliser
from leadcore.testing.factories import make_lead
from leadcore.testing.world import make_world

BATCH = 2_500  # more than the default cache of recent leads (2,048)


def _lead(i: int) -> Lead:
    return make_lead(f"L{i}", phone=f"1380013{i:04d}", email=f"u{i}@example.com")


def _counted(normaliser: Normaliser) -> list[int]:
    """Count each time ``normaliser`` reads a lead's keys afresh (not from its cache)."""
    calls = [0]
    read: Callable[[Any], list[str]] = normaliser._all

    def counting(record: Any) -> list[str]:
        calls[0] += 1
        return read(record)

    normaliser._all = counting
    return calls


def test_room_for_a_batch_lets_it_be_read_twice_for_the_price_of_once() -> None:
    normaliser = Normaliser()
    calls = _counted(normaliser)
    leads = [_lead(i) for i in range(BATCH)]
    normaliser.make_room(len(leads))
    first = [normaliser.key_texts(lead) for lead in leads]
    assert [normaliser.key_texts(lead) for lead in leads] == first
    assert calls[0] == BATCH


def test_without_room_a_batch_larger_than_the_cache_is_read_twice() -> None:
    normaliser = Normaliser()
    calls = _counted(normaliser)
    leads = [_lead(i) for i in range(BATCH)]
    for _ in range(2):
        for lead in leads:
            normaliser.key_texts(lead)
    assert calls[0] == 2 * BATCH


def test_the_room_goes_once_the_batch_and_as_many_more_leads_are_read() -> None:
    normaliser = Normaliser()
    normaliser.make_room(BATCH)
    for i in range(2 * BATCH + 1):
        normaliser.key_texts(_lead(i))
    assert len(normaliser._recent) <= 2_048


def test_room_is_capped_and_a_normaliser_without_a_cache_keeps_none() -> None:
    normaliser = Normaliser(cache_size=0)
    normaliser.make_room(BATCH)
    normaliser.key_texts(_lead(1))
    assert normaliser._recent == {}
    big = Normaliser()
    big.make_room(10**9)
    assert big._room == 100_000


@pytest.mark.parametrize("count", [-1, 1.5, True, "10"])
def test_make_room_refuses_anything_but_a_whole_number(count: object) -> None:
    with pytest.raises(ValidationError) as e:
        Normaliser().make_room(count)  # type: ignore[arg-type]
    assert e.value.problems[0].field == "count"


@pytest.mark.parametrize("action", [DuplicateAction.FLAG, DuplicateAction.REJECT])
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_import_chunk_larger_than_the_cache_reads_each_rows_keys_once(
    kind: str, action: DuplicateAction
) -> None:
    store = MemoryStore(normaliser=Normaliser()) if kind == "memory" else SQLiteStore()
    world = make_world(store, duplicates=DuplicatePolicy(action=action))
    calls = _counted(store.normaliser)
    rows = [{"contact_name": "王伟", "phone": f"1380013{i:04d}"} for i in range(BATCH)]
    report = world.desk.import_leads("carol", "east", rows, chunk_size=BATCH)
    assert len(report.created) == BATCH
    # The memory store reads a new lead's keys when it is next asked for keys: by this create.
    world.desk.create("carol", "east", contact_name="李娜", phone="13900139000")
    assert calls[0] <= BATCH + 1
