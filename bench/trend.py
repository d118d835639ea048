"""`search trend` on the whole OrangeSum index: cold and warm, per granularity.

The issue's target: 3 queries by day, warm, p95 under 150 ms. "Cold" is the
first trend of a freshly opened engine (the facet table is read from its
cache on disk, the query terms' postings from the index files); "warm" is the
same call repeated. The CLI's fresh-process time (imports, chart) is quoted
too. Builds the index through the real CLI unless --index holds one.

    python bench/trend.py                        # builds /tmp/bench-trend-index once
    python bench/trend.py --index /tmp/osidx     # an existing OrangeSum index
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import require_corpus  # noqa: E402
from search.api import Engine, index_exists  # noqa: E402

QUERY_SETS = {
    "3 single words": ["Macron", "Trump", "Covid"],
    "3 mixed (phrase, OR, field)": ['"Le Pen"', "grève OU manifestation", "pays:CN"],
}


def timed(call, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/bench-trend-index"))
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    env = {**os.environ, "SEARCH_INDEX": str(args.index)}
    if not index_exists(args.index):
        corpus = require_corpus()
        print(f"building {args.index} from {corpus} …", flush=True)
        subprocess.run(["search", "index", str(corpus)], env=env, check=True,
                       stderr=subprocess.DEVNULL)  # fmt: skip

    with Engine(args.index) as engine:
        documents = engine.stats().documents
    print(f"index: {args.index} ({documents:,} articles), warm = the same call "
          f"repeated {args.repeat} times\n")  # fmt: skip
    print("| queries | by | periods | cold (ms) | warm p50 (ms) | warm p95 (ms) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, queries in QUERY_SETS.items():
        for granularity in ("day", "week", "month", "year"):
            with Engine(args.index) as engine:
                cold = timed(lambda: engine.trend(queries, granularity=granularity), 1)[0]  # noqa: B023
                warm = timed(
                    lambda: engine.trend(queries, granularity=granularity),  # noqa: B023
                    args.repeat,
                )
                periods = len(engine.trend(queries, granularity=granularity).periods)
            print(f"| {name} | {granularity} | {periods:,} | {cold:.0f} | "
                  f"{statistics.median(warm):.1f} | {p95(warm):.1f} |")  # fmt: skip

    print("\nCLI, fresh process (imports, index, chart), best of 3:")
    for args_ in (["Macron", "Trump", "Covid", "--by", "day"],
                  ["Macron", "Trump", "Covid", "--by", "day", "--csv"]):  # fmt: skip
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(["search", "trend", *args_], env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            runs.append(time.perf_counter() - started)
        print(f"  search trend {' '.join(args_)}: {min(runs):.2f} s")


if __name__ == "__main__":
    main()
