"""How the product scales: OrangeSum repeated 1x, 2x, 5x, 10x (new ids each copy).

For each factor: full build time and articles/s through the real CLI (with
entity extraction, as users run it), peak RSS of the indexing process, index
size, incremental add of 100 new article files, and the interactive query
p50/p95 (top 10 + snippets + facets) over the fixed query sets.

    python bench/scale.py --factors 1 2            # ~25 min here
    python bench/scale.py --factors 10 --work /big/disk
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import query_sets, require_corpus  # noqa: E402
from bench.incremental import tail_records, write_articles  # noqa: E402
from bench.run import _measured, time_queries  # noqa: E402
from index.writer import Indexer  # noqa: E402
from search.api import Engine  # noqa: E402


def repeated_corpus(factor: int, work: Path) -> Path:
    """OrangeSum *factor* times, each copy with its own ids (``id-copy``)."""
    target = work / f"orangesum-x{factor}.jsonl.gz"
    if target.exists():
        return target
    with gzip.open(require_corpus(), "rt", encoding="utf-8") as stream:
        lines = stream.readlines()
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=1) as out:
        for copy in range(factor):
            for line in lines:
                record = json.loads(line)
                record["id"] = f"{record['id']}-{copy}"
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def measure(factor: int, work: Path) -> dict[str, float]:
    corpus = repeated_corpus(factor, work)
    index_dir = work / f"index-x{factor}"
    shutil.rmtree(index_dir, ignore_errors=True)
    args = [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)]
    row = _measured([*args, "--json"], index_dir)

    folder = work / f"added-x{factor}"
    shutil.rmtree(folder, ignore_errors=True)
    write_articles(folder, tail_records(100), "scale")
    started = time.perf_counter()
    Indexer(index_dir).update([folder])
    row["add_100_s"] = time.perf_counter() - started

    queries = [q for qs in query_sets().values() for q in qs]
    with Engine(index_dir) as engine:
        engine.search("warm up", facets=True)
        row["p50"], row["p95"] = time_queries(
            lambda t: engine.search(t, limit=10, facets=True), queries
        )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 2, 5, 10])
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "scale")
    parser.add_argument("--keep", action="store_true", help="keep the indexes")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print("| corpus | articles | build s | articles/s | peak RSS MB | size MB | add 100 s "
          "| query p50 / p95 ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for factor in args.factors:
        row = measure(factor, args.work)
        print(
            f"| {factor}x | {row['articles']:,.0f} | {row['seconds']:.0f} | {row['per_s']:.0f} | "
            f"{row['peak_rss_mb']:.0f} | {row['size_mb']:.0f} | {row['add_100_s']:.2f} | "
            f"{row['p50']:.1f} / {row['p95']:.1f} |",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(args.work / f"index-x{factor}", ignore_errors=True)


if __name__ == "__main__":
    main()
