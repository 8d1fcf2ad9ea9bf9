"""Run leadcore's benchmarks: ``python benchmarks/run.py [--quick] [NAME ...]``.

Each ``benchmarks/bench_*.py`` module exposes ``BENCHMARKS``, a mapping of name to a function
taking ``quick: bool`` and returning a dict with at least ``value`` and ``unit`` (plus whatever
context helps: sizes, the two timings behind a ratio). One JSON object is printed per line:
``{"bench": NAME, "value": ..., "unit": ..., ...}``. ``--quick`` finishes in under 2 minutes on
a 2-core machine. Figures are ratios measured within one run, so machines compare fairly.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

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
    for name in args.names or list(benches):
        result = benches[name](args.quick)
        print(json.dumps({"bench": name, **result}, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
