"""The product's speed on the shared corpus, side by side with plain setups.

Builds the index of the first N OrangeSum articles (default: all) through the
real CLI, with and without entity extraction, and the baselines of
``bench/baselines.py`` (bare Whoosh French chain; tantivy when installed) on
the same articles, then measures, in one run:

- build: wall time, articles/s, index size, peak RSS, as a ratio to bare Whoosh;
- query latency p50/p95 per fixed query set of ``bench/queries/`` (1-word,
  2-word AND, phrase, 3-5-word OR): ours with highlighted snippets, the
  baselines top 10 only;
- the interactive response (top 10 + snippets + country/person/month counts),
  without and with a facet filter;
- CLI cold start: ``search query Finlande --limit 5`` as a fresh process;
- incremental add of 10 and 100 articles, file-write-to-searchable latency
  under ``search watch``, and 100 watcher batches (``bench/incremental.py``).

    python bench/run.py                     # whole corpus (~30 min here)
    python bench/run.py --docs 5000         # quicker look
    python bench/run.py --index /tmp/b      # keep (and reuse) the built indexes
    python bench/run.py --queries bench/queries/phrase.txt
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.baselines import TantivyBaseline, WhooshBaseline, tantivy_available  # noqa: E402
from bench.corpus import query_sets, require_corpus  # noqa: E402
from bench.incremental import measure as measure_incremental  # noqa: E402
from index.manifest import MANIFEST  # noqa: E402
from search.api import Engine, Filters  # noqa: E402


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


def tree_memory_kb(pid: int) -> int:
    """Memory of *pid* and all its descendants (Linux ``/proc``), in KiB.

    Proportional set sizes: pages processes share (libraries, the
    interpreter) count once, not once per process.
    """
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            pss = next(line for line in rollup.splitlines() if line.startswith("Pss:"))
            total += int(pss.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except (OSError, StopIteration):
            continue
        pending.extend(int(child) for child in children.split())
    return total


def _measured(args: list[str], index_dir: Path) -> dict[str, float]:
    """Run a build command in a child process: wall time, size and peak RSS.

    The peak is of the whole process tree (the indexer and its worker
    processes together, sampled every 0.2 s), or of the largest process
    from the kernel (``wait4``) if that is higher: the memory the build needs.
    """
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        peak_kb = 0
        finished = threading.Event()

        def sample() -> None:
            nonlocal peak_kb
            while not finished.wait(0.2):
                peak_kb = max(peak_kb, tree_memory_kb(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)  # the rusage of this child alone
        seconds = time.perf_counter() - started
        finished.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"build failed ({child.returncode}): {' '.join(args)}")
        out.seek(0)
        report = json.loads(out.read())
    size = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    articles = report.get("added", report.get("articles", 0))
    return {
        "articles": articles,
        "seconds": seconds,
        "per_s": articles / seconds,
        "size_mb": size / 1e6,
        "peak_rss_mb": max(usage.ru_maxrss, peak_kb) / 1024,
        # Ours only: where the time went, as `search index --json` reports it.
        "stages": report.get("stages", {}),
    }


def build(corpus: Path, index_dir: Path, entities: bool) -> dict[str, float]:
    if (index_dir / MANIFEST).exists():
        return {}
    args = [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)]
    args += ["--json"] + ([] if entities else ["--no-entities"])
    return _measured(args, index_dir)


def build_baseline(kind: str, corpus: Path, index_dir: Path) -> dict[str, float]:
    if index_dir.exists() and any(index_dir.iterdir()):
        return {}
    args = [sys.executable, str(ROOT / "bench" / "baselines.py"), "build", kind]
    return _measured([*args, str(corpus), str(index_dir)], index_dir)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def time_queries(search: Callable[[str], object], queries: list[str]) -> tuple[float, float]:
    samples = []
    for text in queries:
        started = time.perf_counter()
        search(text)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def cold_start(index_dir: Path) -> float:
    """Median wall time of ``search query Finlande --limit 5`` as a fresh process.

    Python may keep its compiled modules (``__pycache__``), as on any machine
    the package is installed on, even where ``PYTHONDONTWRITEBYTECODE`` is set
    (as in our sandbox, where every run would otherwise compile our modules).
    """
    env = {**os.environ, "SEARCH_INDEX": str(index_dir)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [sys.executable, "-m", "search.cli", "query", "Finlande", "--limit", "5"]
    subprocess.run(args, capture_output=True, env=env, cwd=ROOT)  # warm the OS cache
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, env=env, cwd=ROOT)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _row(label: str, cells: list[str]) -> str:
    return f"| {label:<34} | " + " | ".join(f"{c:>15}" for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=None)
    parser.add_argument("--index", type=Path, help="where to keep the indexes (reused if built)")
    parser.add_argument("--queries", type=Path, nargs="*", help="query files (default: all sets)")
    parser.add_argument("--no-incremental", action="store_true", help="skip bench/incremental.py")
    args = parser.parse_args()
    work = args.index or Path(tempfile.mkdtemp(prefix="bench-run-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = corpus_file(args.docs, work)
    tantivy = tantivy_available()

    print(
        f"bench/run.py, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, corpus {corpus.name}"
        + ("" if tantivy else " (tantivy not installed: its columns are left out)")
    )
    builds = {
        "bare Whoosh French chain": build_baseline("whoosh", corpus, work / "bare-whoosh"),
        "ours, with extraction": build(corpus, work / "with-entities", entities=True),
        "ours, without extraction": build(corpus, work / "without-entities", entities=False),
    }
    if tantivy:
        builds["tantivy"] = build_baseline("tantivy", corpus, work / "tantivy")
    base = builds["bare Whoosh French chain"]
    if all(builds.values()):
        print("\n| build                    | articles | seconds | articles/s | vs bare | size MB "
              "| peak RSS MB |")  # fmt: skip
        print("|--------------------------|----------|---------|------------|---------|---------"
              "|-------------|")  # fmt: skip
        for label, row in builds.items():
            print(
                f"| {label:<24} | {row['articles']:>8,.0f} | {row['seconds']:>7.1f} | "
                f"{row['per_s']:>10.1f} | {row['per_s'] / base['per_s']:>6.2f}x | "
                f"{row['size_mb']:>7.1f} | {row['peak_rss_mb']:>11.0f} |"
            )
        plain, full = builds["ours, without extraction"], builds["ours, with extraction"]
        slowdown = plain["per_s"] / full["per_s"]
        print(f"extraction slows indexing by {slowdown:.2f}x")

    sets = query_sets(args.queries)
    everything = [q for queries in sets.values() for q in queries]
    columns = ["ours p50/p95", "bare p50/p95", "bare/ours p95"] + (
        ["tantivy p50/p95"] if tantivy else []
    )
    print("\nQuery latency in ms (ours: top 10 with snippets; baselines: top 10 only)\n")
    print(_row("query set", columns))
    print("|" + "|".join("-" * (w + 2) for w in [34] + [15] * len(columns)) + "|")
    bare = WhooshBaseline(work / "bare-whoosh")
    tv = TantivyBaseline(work / "tantivy") if tantivy else None
    with Engine(work / "with-entities") as engine:
        engine.search("warm up", facets=True)

        def ours(text: str) -> object:
            return engine.search(text, limit=10)

        for name, queries in [*sets.items(), ("all sets", everything)]:
            p50, p95 = time_queries(ours, queries)
            b50, b95 = time_queries(bare.search, queries)
            cells = [f"{p50:.1f} / {p95:.1f}", f"{b50:.1f} / {b95:.1f}", f"{b95 / p95:.2f}x"]
            if tv is not None:
                t50, t95 = time_queries(tv.search, queries)
                cells.append(f"{t50:.2f} / {t95:.2f}")
            print(_row(name, cells))
        for label, filters in (
            ("interactive: + 3 facets", Filters()),
            ("interactive, --country FR", Filters(countries=("FR",))),
        ):
            def interactive(text: str, filters: Filters = filters) -> object:
                return engine.search(text, limit=10, facets=True, filters=filters)

            p50, p95 = time_queries(interactive, everything)
            print(_row(label, [f"{p50:.1f} / {p95:.1f}"] + [""] * (len(columns) - 1)))
    bare.close()
    print(
        f"\nCLI cold start (search query Finlande --limit 5, fresh process): "
        f"{cold_start(work / 'with-entities'):.2f} s median of 5"
    )
    if not args.no_incremental:
        result = measure_incremental(work / "with-entities")
        print(
            f"incremental add to the full index: 10 articles {result['add_10_s']:.2f} s, "
            f"100 articles {result['add_100_s']:.2f} s\n"
            f"search watch, file written -> found by a search: median "
            f"{result['watch_median_s']:.2f} s, max {result['watch_max_s']:.2f} s (20 files)\n"
            f"100 watcher batches of 10 articles ({result['batches_s']:.0f} s): segments "
            f"{result['segments_before']} -> {result['segments_after']}, interactive p50 "
            f"{result['p50_before_ms']:.1f} -> {result['p50_after_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
