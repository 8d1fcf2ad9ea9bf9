"""Bulk work pauses the cyclic garbage collector and always gives it back as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadcore import FixedClock, LeadDesk, MemoryStore, OrgChart, Pool, User, counter_ids
from leadcore.collector import collector_paused
from leadcore.errors import LeadcoreError
from leadcore.testing.threads import at_once


@pytest.fixture(autouse=True)
def collector_running() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_paused_inside_and_running_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: still paused when the inner block ends
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_host_turned_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_resumes_when_the_block_raises() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_threads_keep_it_paused_until_the_last_leaves() -> None:
    first_in = threading.Event()
    second_out = threading.Event()
    seen: list[bool] = []

    def long_block() -> None:
        with collector_paused():
            first_in.set()
            assert second_out.wait(5)
            seen.append(gc.isenabled())  # the other thread left: still paused for this one

    def short_block() -> None:
        assert first_in.wait(5)
        with collector_paused():
            pass
        second_out.set()

    at_once(long_block, short_block)
    assert seen == [False]
    assert gc.isenabled()


def _desk() -> LeadDesk:
    org = OrgChart(users=[User("admin", roles={"system_admin"})])
    desk = LeadDesk(
        MemoryStore(), FixedClock(datetime(2027, 1, 1, tzinfo=UTC)), org, ids=counter_ids()
    )
    desk.create_pool("admin", Pool(id="fair", name="展会线索", admins={"admin"}))
    return desk


def test_an_import_gives_the_collector_back_whatever_happens() -> None:
    desk = _desk()
    report = desk.import_leads("admin", "fair", [{"contact_name": "王伟", "phone": "13800138000"}])
    assert report.counts["created"] == 1
    assert gc.isenabled()
    with pytest.raises(LeadcoreError):
        desk.import_leads("nobody", "fair", [{"contact_name": "李娜", "phone": "13900139000"}])
    assert gc.isenabled()
    gc.disable()
    desk.import_leads("admin", "fair", [{"contact_name": "张敏", "phone": "13700137000"}])
    assert not gc.isenabled()
