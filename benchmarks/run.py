"""Run leadcore's benchmarks: ``python benchmarks/run.py [--quick] [NAME ...]``.

Each ``benchmarks/bench_*.py`` module exposes ``BENCHMARKS``, a mapping of name to a function
taking ``quick: bool`` and returning a dict with at least ``value`` and ``unit`` (plus whatever
context helps: sizes, the two timings behind a ratio). One JSON object is printed per line:
``{"bench": NAME, "value": ..., "unit": ..., ...}``. ``--quick`` finishes in under 2 minutes on
a 2-core machine. Figures are ratios measured within one run, so machines compare fairly.

Each benchmark runs in a process of its own, forked from this one once the modules are
imported (where the platform can fork), one after another: what one benchmark leaves alive (a
100k-lead store, pandas, caches) never slows the next one's allocations and garbage
collections, so a figure does not depend on which benchmarks ran before it.

Before the first benchmark and after the last, ``machine_reference`` times a fixed plain-Python
loop (``machine.py``): the machine's speed drifts, and an absolute rate means something only
beside the reference measured with it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from machine import machine_reference

Bench = Callable[[bool], dict[str, object]]


def discover() -> dict[str, Bench]:
    """Every benchmark by name, from the ``bench_*.py`` modules beside this file."""
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    found: dict[str, Bench] = {}
    for path in sorted(here.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        benches: dict[str, Bench] = module.BENCHMARKS
        for name, bench in benches.items():
            if name in found:
                raise SystemExit(f"benchmark {name!r} is defined twice")
            found[name] = bench
    return found


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen benchmarks, print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 2 minutes")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args(argv)
    benches = discover()
    unknown = [n for n in args.names if n not in benches]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benches)}")
    _print("machine_reference", {**isolated(machine_reference, args.quick), "when": "start"})
    for name in args.names or list(benches):
        _print(name, isolated(benches[name], args.quick))
    _print("machine_reference", {**isolated(machine_reference, args.quick), "when": "end"})
    return 0


def _print(name: str, result: dict[str, object]) -> None:
    print(json.dumps({"bench": name, **result}, ensure_ascii=False, default=str), flush=True)


def isolated(bench: Bench, quick: bool) -> dict[str, object]:
    """``bench(quick)`` run in a forked process of its own, or here where there is no fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return bench(quick)
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_run_and_send, args=(bench, quick, sending))
    child.start()
    sending.close()
    try:
        outcome = receiving.recv()
    except EOFError:
        outcome = ("error", "the benchmark's process ended without a result")
    child.join()
    kind, value = outcome
    if kind == "error":
        raise SystemExit(f"benchmark failed: {value}")
    result: dict[str, object] = value
    return result


def _run_and_send(bench: Bench, quick: bool, sending: Connection) -> None:
    try:
        sending.send(("result", bench(quick)))
    except BaseException as e:  # reported by the parent, which stops the run
        sending.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        sending.close()


if __name__ == "__main__":
    raise SystemExit(main())
