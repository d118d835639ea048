"""The product's speed on the shared corpus, as users meet it.

Builds the index of the first N OrangeSum articles (default: all) through the
real CLI, with and without entity extraction, then measures queries through
the engine API on the fixed query sets in ``bench/queries/``:

- build: wall time, articles/s, index size, peak RSS;
- query latency p50/p95 per set (top 10 with highlighted snippets);
- the interactive response (top 10 + snippets + country/person/month counts),
  without and with a facet filter;
- CLI cold start: ``search query Finlande --limit 5`` as a fresh process.

    python bench/run.py                  # whole corpus (~15 min here)
    python bench/run.py --docs 5000      # quicker look
    python bench/run.py --index /tmp/b   # keep (and reuse) the built indexes
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import require_corpus  # noqa: E402
from search.api import Engine, Filters  # noqa: E402

QUERIES = Path(__file__).resolve().parent / "queries"


def corpus_file(docs: int | None, work: Path) -> Path:
    source = require_corpus()
    if docs is None:
        return source
    subset = work / f"orangesum-{docs}.jsonl"
    if not subset.exists():
        with gzip.open(source, "rt", encoding="utf-8") as stream, subset.open("w") as out:
            for n, line in enumerate(stream):
                if n >= docs:
                    break
                out.write(line)
    return subset


def build(corpus: Path, index_dir: Path, entities: bool) -> dict[str, float]:
    if (index_dir / "manifest.json").exists():
        return {}
    args = [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)]
    args += ["--json"] + ([] if entities else ["--no-entities"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(done.stdout)
    size = sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())
    return {
        "articles": report["added"],
        "seconds": seconds,
        "per_s": report["added"] / seconds,
        "size_mb": size / 1e6,
        "peak_rss_mb": max(peak_kb, before) / 1024,
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def time_queries(engine: Engine, queries: list[str], **kwargs: object) -> tuple[float, float]:
    samples = []
    for text in queries:
        started = time.perf_counter()
        engine.search(text, limit=10, **kwargs)  # type: ignore[arg-type]
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def cold_start(index_dir: Path) -> float:
    env = {**os.environ, "SEARCH_INDEX": str(index_dir)}
    args = [sys.executable, "-m", "search.cli", "query", "Finlande", "--limit", "5"]
    subprocess.run(args, capture_output=True, env=env, cwd=ROOT)  # warm the OS cache
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, env=env, cwd=ROOT)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=None)
    parser.add_argument("--index", type=Path, help="where to keep the indexes (reused if built)")
    args = parser.parse_args()
    work = args.index or Path(tempfile.mkdtemp(prefix="bench-run-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = corpus_file(args.docs, work)

    print(
        f"bench/run.py, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, corpus {corpus.name}"
    )
    with_entities = build(corpus, work / "with-entities", entities=True)
    without = build(corpus, work / "without-entities", entities=False)
    if with_entities and without:
        print("\n| build               | articles | seconds | articles/s | size MB | peak RSS MB |")
        print("|---------------------|----------|---------|------------|---------|-------------|")
        for label, row in (("with extraction", with_entities), ("without extraction", without)):
            print(
                f"| {label:<19} | {row['articles']:>8,.0f} | {row['seconds']:>7.1f} | "
                f"{row['per_s']:>10.1f} | {row['size_mb']:>7.1f} | {row['peak_rss_mb']:>11.0f} |"
            )
        print(f"extraction slows indexing by {without['per_s'] / with_entities['per_s']:.2f}x")

    sets = {
        p.stem: p.read_text(encoding="utf-8").splitlines() for p in sorted(QUERIES.glob("*.txt"))
    }
    print("\n| query set (top 10 + snippets)        | p50 ms | p95 ms |")
    print("|--------------------------------------|--------|--------|")
    with Engine(work / "with-entities") as engine:
        engine.search("warm up", facets=True)
        for name, queries in sets.items():
            p50, p95 = time_queries(engine, queries)
            print(f"| {name:<36} | {p50:6.1f} | {p95:6.1f} |")
        everything = [q for queries in sets.values() for q in queries]
        p50, p95 = time_queries(engine, everything, facets=True)
        print(f"| {'interactive: + 3 facets, all sets':<36} | {p50:6.1f} | {p95:6.1f} |")
        france = Filters(countries=("FR",))
        p50, p95 = time_queries(engine, everything, facets=True, filters=france)
        print(f"| {'interactive, filtered --country FR':<36} | {p50:6.1f} | {p95:6.1f} |")
    print(
        f"\nCLI cold start (search query Finlande --limit 5, fresh process): "
        f"{cold_start(work / 'with-entities'):.2f} s median of 5"
    )


if __name__ == "__main__":
    main()
