"""Incremental indexing on a full index: adds, watch latency, segments over time.

Works on a *copy* of an index built by ``bench/run.py`` (the original is left
untouched) and writes new article files from the end of the OrangeSum corpus
(records the first N-article builds did not include are preferred; with the
whole corpus they are re-added under new file names, so they are new
documents either way):

- incremental add of 10 and 100 articles (``Indexer.update`` on a folder);
- file-write-to-searchable latency under ``search watch``: a file is written
  and closed, then this process polls a search for it (median of 20 files);
- 100 incremental batches as a watcher makes them: segment count and query
  p50 before and after, to check that merging keeps queries fast.

    python bench/incremental.py --index /tmp/bench/with-entities

With ``--adds N``, only N successive adds of 100 articles, twice from the
same start: as ``search index`` makes them (the time of each, merges
included: what a user who adds a day's articles at a time waits), then as
``search watch`` does (each batch searchable without waiting for a merge;
the merges run apart, timed apart); and the segments and query p50 after:

    python bench/incremental.py --index bench/out/scale/index-x10 --adds 30

``--manifest-files 1000000`` first gives the copy's manifest a million
entries more, as an archive of a million article files has: an add must
cost what it costs beside a few dump files.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import query_sets, require_corpus  # noqa: E402
from index.manifest import FileState, Manifest  # noqa: E402
from index.writer import Indexer  # noqa: E402
from search.api import Engine  # noqa: E402


def tail_records(count: int) -> list[dict[str, Any]]:
    """The last *count* non-empty OrangeSum records."""
    with gzip.open(require_corpus(), "rt", encoding="utf-8") as stream:
        records = [json.loads(line) for line in stream]
    return [r for r in records if r.get("article", "").strip()][-count:]


def article_text(record: dict[str, Any]) -> str:
    return f"{record['title']}\n\n{record.get('heading', '')}\n\n{record['article']}\n"


def write_articles(folder: Path, records: list[dict[str, Any]], tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in records:
        path = folder / f"{record['date']}_{tag}-{record['id']}.txt"
        path.write_text(article_text(record), encoding="utf-8")
        paths.append(path)
    return paths


def query_p50(engine: Engine) -> float:
    queries = [q for qs in query_sets().values() for q in qs]
    samples = []
    for text in queries[::4]:
        started = time.perf_counter()
        engine.search(text, limit=10, facets=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def timed_adds(index_dir: Path, drop: Path, records: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for count, tag in ((10, "add10"), (100, "add100")):
        folder = drop / tag
        write_articles(folder, records[:count], tag)
        started = time.perf_counter()
        report = Indexer(index_dir).update([folder])
        out[f"add_{count}_s"] = time.perf_counter() - started
        assert report.added == count, report
    return out


def found(engine: Engine, path: Path, title: str) -> bool:
    engine.refresh()
    return any(hit.id == str(path) for hit in engine.search(title, limit=50).hits)


def watch_latency(index_dir: Path, drop: Path, records: list[dict[str, Any]]) -> list[float]:
    folder = drop / "watched"
    folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    args = [sys.executable, "-m", "search.cli", "watch", str(folder), "--index", str(index_dir)]
    process = subprocess.Popen(
        args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT, env=env
    )
    ready = threading.Event()

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("watching"):
                ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    latencies = []
    try:
        assert ready.wait(120), "search watch did not start"
        with Engine(index_dir) as engine:
            for record in records:
                (path,) = write_articles(folder, [record], "watch")
                written = time.perf_counter()
                while not found(engine, path, record["title"]):
                    if time.perf_counter() - written > 30:
                        raise TimeoutError(f"{path} not searchable after 30 s")
                    time.sleep(0.02)
                latencies.append(time.perf_counter() - written)
                time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=60)
    return latencies


def batches(index_dir: Path, drop: Path, records: list[dict[str, Any]]) -> dict[str, float]:
    with Engine(index_dir) as engine:
        before = engine.stats().segments, query_p50(engine)
    indexer = Indexer(index_dir)
    started = time.perf_counter()
    for n, chunk in enumerate(_chunks(records, 10)):
        paths = write_articles(drop / "batches" / f"{n:03}", chunk, f"batch{n}")
        indexer.apply_changes(paths)
    seconds = time.perf_counter() - started
    with Engine(index_dir) as engine:
        after = engine.stats().segments, query_p50(engine)
    return {
        "segments_before": before[0],
        "p50_before_ms": before[1],
        "segments_after": after[0],
        "p50_after_ms": after[1],
        "batches_s": seconds,
    }


def repeated_adds(
    index_dir: Path, count: int, deferred: bool = False, manifest_files: int = 0
) -> dict[str, Any]:
    """*count* adds of 100 articles to a throw-away copy of *index_dir*, one
    ``Indexer.update`` each, as ``search index`` runs them; *deferred*: as
    ``search watch`` does, each batch committed without merging (its time is
    the time until the articles are searchable), then the merges due run
    apart, as the watcher runs them when nothing waits (``merge_seconds``).

    *manifest_files*: the copy's manifest first gets that many more entries,
    as an archive of one file per article has (``bench/replicate.py`` copies
    keep the source's few dump files)."""
    work = Path(tempfile.mkdtemp(prefix="bench-adds-"))
    try:
        copy = work / "index"
        shutil.copytree(index_dir, copy)
        if manifest_files:
            with Manifest.load(copy) as manifest:
                manifest.update(archive_entries(manifest_files))
                manifest.save()
        records = tail_records(100 * count)
        seconds, merging = [], []
        for n, chunk in enumerate(_chunks(records, 100)):
            folder = work / "drop" / f"{n:03}"
            write_articles(folder, chunk, f"add{n}")
            started = time.perf_counter()
            if deferred:
                Indexer(copy).apply_changes([folder], merge=False)
                seconds.append(time.perf_counter() - started)
                merging.append(Indexer(copy).compact().seconds)
                continue
            report = Indexer(copy).update([folder])
            seconds.append(time.perf_counter() - started)
            merging.append(report.stages["merge"])
        with Engine(copy) as engine:
            after = engine.stats().segments, query_p50(engine)
        return {"seconds": seconds, "merge_seconds": merging,
                "segments_after": after[0], "p50_after_ms": after[1]}  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def archive_entries(count: int) -> Iterator[tuple[str, FileState]]:
    """Manifest entries of *count* article files of an archive, as a build of
    ``~/presse/<year>/<month>/<n>.txt`` would leave them (none of them changes)."""
    for n in range(count):
        path = f"/home/user/presse/{2000 + n % 25}/{n % 12 + 1:02}/article-{n:07}.txt"
        yield path, FileState(3_000 + n % 5_000, 1_700_000_000_000_000_000 + n, f"{n:032x}", 1)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def measure(index_dir: Path) -> dict[str, Any]:
    """Every incremental figure, on a throw-away copy of *index_dir*."""
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    try:
        copy = work / "index"
        shutil.copytree(index_dir, copy)
        records = tail_records(1130)
        drop = work / "drop"
        result: dict[str, Any] = timed_adds(copy, drop, records[:110])
        latencies = watch_latency(copy, drop, records[110:130])
        result["watch_median_s"] = statistics.median(latencies)
        result["watch_max_s"] = max(latencies)
        result.update(batches(copy, drop, records[130:1130]))
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a built index (not modified)")
    parser.add_argument("--adds", type=int, help="only N successive adds of 100 articles")
    parser.add_argument(
        "--manifest-files", type=int, default=0,
        help="with --adds: first give the copy's manifest N more files (an archive of files)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.adds:
        # Both ways from the same start, one after the other in one run.
        for deferred in (False, True):
            adds = repeated_adds(args.index, args.adds, deferred, args.manifest_files)
            times, merging = adds["seconds"], adds["merge_seconds"]
            how = ("as search watch: merges apart, when idle" if deferred
                   else "as search index: merges included")  # fmt: skip
            print(
                f"{len(times)} adds of 100 articles ({how}): mean "
                f"{statistics.mean(times):.2f} s, median {statistics.median(times):.2f} s, "
                f"max {max(times):.2f} s; merging {sum(merging):.1f} s in all (max "
                f"{max(merging):.1f} s); then {adds['segments_after']} segments, interactive "
                f"query p50 {adds['p50_after_ms']:.1f} ms"
            )
            print("each add (s): " + " ".join(f"{t:.1f}" for t in times))
        return
    result = measure(args.index)
    print(
        f"incremental add: 10 articles {result['add_10_s']:.2f} s, "
        f"100 articles {result['add_100_s']:.2f} s"
    )
    print(
        f"search watch, file written -> found by a search: median "
        f"{result['watch_median_s']:.2f} s, max {result['watch_max_s']:.2f} s (20 files)"
    )
    print(
        f"100 batches of 10 articles ({result['batches_s']:.0f} s): segments "
        f"{result['segments_before']} -> {result['segments_after']}, interactive query p50 "
        f"{result['p50_before_ms']:.1f} -> {result['p50_after_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
