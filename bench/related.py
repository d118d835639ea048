"""`search related` on the whole OrangeSum index: latency by number of matches.

Each query of the fixed sets (``bench/queries/``) runs once on an engine that
has already answered one query (its background sample and facet totals are
read: the cold cost is quoted apart), so the words of each query are new to
the analysis cache, as a user's next query is.

    python bench/related.py --index /tmp/osidx
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import query_sets  # noqa: E402
from search.api import Engine  # noqa: E402

BUCKETS = [(1, 100), (101, 1000), (1001, 5000), (5001, 10**9)]


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--per-set", type=int, default=25, help="Queries of each set.")
    args = parser.parse_args()
    with Engine(args.index) as engine:
        started = time.perf_counter()
        engine.related("Finlande")
        print(f"cold (first query of a process, background sample read): "
              f"{time.perf_counter() - started:.2f} s")  # fmt: skip
        timings: list[tuple[int, float]] = []
        for queries in query_sets().values():
            for query in queries[: args.per_set]:
                started = time.perf_counter()
                found = engine.related(query)
                timings.append((found.matches, (time.perf_counter() - started) * 1000))
    print("\n| matches | queries | p50 (ms) | p95 (ms) |")
    print("| --- | --- | --- | --- |")
    for low, high in BUCKETS:
        ms = [t for n, t in timings if low <= n <= high]
        if ms:
            label = f"{low:,}-{high:,}" if high < 10**9 else f"> {low - 1:,}"
            print(f"| {label} | {len(ms)} | {statistics.median(ms):.0f} | {p95(ms):.0f} |")
    upto = [t for n, t in timings if 0 < n <= 5000]
    print(f"\nall queries with 1-5,000 matches: {len(upto)}, p50 {statistics.median(upto):.0f} ms, "
          f"p95 {p95(upto):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
