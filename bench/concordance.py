"""`search kwic` on the whole OrangeSum index: time to the first line (streamed
orders) and to the last, per order, for queries from rare to frequent.

    python bench/concordance.py --index /tmp/osidx
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.api import Engine, concordance  # noqa: E402

QUERIES = ["Stoltenberg", "Finlande", "grève", "Macron"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    with Engine(args.index) as engine:
        engine.trend(["Finlande"])  # the facet table and the ranker, read once
        print(f"index: {args.index} ({engine.stats().documents:,} articles)\n")
        print("| query | matches | occurrences | order | first line (ms) | all lines (s) |")
        print("| --- | --- | --- | --- | --- | --- |")
        for query in QUERIES:
            matches = engine.search(query, limit=0).total
            for order in ("article", "date", "left"):
                started = time.perf_counter()
                first = None
                count = 0
                for _ in concordance(engine, query, order=order):  # type: ignore[arg-type]
                    if first is None:
                        first = (time.perf_counter() - started) * 1000
                    count += 1
                total = time.perf_counter() - started
                print(f"| {query} | {matches:,} | {count:,} | {order} | {first or 0:.0f} | "
                      f"{total:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
