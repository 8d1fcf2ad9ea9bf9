"""Work run in threads released together: how the concurrency tests make calls race."""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["at_once"]


def at_once(*works: Callable[[], object]) -> None:
    """Run each of ``works`` in a thread of its own, all released together by one barrier, and
    return when every one has ended. Fails, in the caller's thread, with what any of them
    raised."""
    gate = threading.Barrier(len(works))
    failures: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        try:
            gate.wait()
            work()
        except BaseException as e:  # reported below, where the test can see it
            failures.append(e)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
