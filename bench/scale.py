"""How the product scales: OrangeSum repeated 1x, 10x, 30x (new ids each copy).

For each factor, the write side: full build time and articles/s through the
real CLI (with entity extraction, as users run it), peak memory of the
indexing processes, index size, incremental add of 100 new article files.
Then the read side, from fresh processes (:mod:`bench.reading`): open time,
anonymous and file-backed memory after opening and after the query sets,
p50 / p95 / max of each fixed query set, the cold one-liner's wall time and
peak memory, and the TUI's time to its first results.

    python bench/scale.py --factors 1 10 --work /big/disk --keep
    python bench/scale.py --factors 10 --work /big/disk --reuse   # read side only

Disk: the repeated corpus is 40 MB gzipped per copy (0.4 GB at 10x, 1.2 GB at
30x) and the index about 8.5 MB per 1,000 articles before its tiered merges
and 6 MB after (3.0 and 2.2 GB at 10x, about 9 and 6.5 GB at 30x); sorted
runs and merges need several times the index while a build runs, so give
30x 60 GB on --work. Time: about an hour per 10x here, and 25 minutes more
for the merges at 10x in one process (two merge side by side).

``--perturb 0.1`` builds a corpus whose copies are not identical: in copy c
(c > 0), a tenth of the word types (the same tenth for every article of the
copy, another tenth for the next copy) get a suffix of their own, so the term
dictionary grows with the archive as a real archive's does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import reading  # noqa: E402
from bench.corpus import require_corpus  # noqa: E402
from bench.incremental import tail_records, write_articles  # noqa: E402
from bench.run import _measured  # noqa: E402
from index.writer import Indexer  # noqa: E402

WORD = re.compile(r"\w+")


def perturbed(text: str, copy: int, fraction: float, cache: dict[str, str]) -> str:
    """*text* with the word types chosen for *copy* given the copy's own suffix."""

    def replace(match: re.Match[str]) -> str:
        word = match.group()
        found = cache.get(word)
        if found is None:
            # A stable choice per (word, copy): crc32, not hash(), which varies by process.
            chosen = zlib.crc32(f"{copy}:{word}".encode()) % 10_000 < fraction * 10_000
            # Short words (de, la, est) are left alone: new words are names and rarities.
            chosen = chosen and len(word) > 3 and word.isalpha()
            found = f"{word}{_suffix(copy)}" if chosen else word
            cache[word] = found
        return found

    return WORD.sub(replace, text)


def _suffix(copy: int) -> str:
    letters = ""
    while copy:
        copy, rest = divmod(copy, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[rest]
    return "q" + letters


def repeated_corpus(factor: int, work: Path, perturb: float = 0.0) -> Path:
    """OrangeSum *factor* times, each copy with its own ids (``id-copy``)."""
    name = f"orangesum-x{factor}" + (f"-p{perturb:g}" if perturb else "")
    target = work / f"{name}.jsonl.gz"
    if target.exists():
        return target
    with gzip.open(require_corpus(), "rt", encoding="utf-8") as stream:
        lines = stream.readlines()
    partial = target.with_suffix(".partial")
    with gzip.open(partial, "wt", encoding="utf-8", compresslevel=1) as out:
        for copy in range(factor):
            cache: dict[str, str] = {}
            for line in lines:
                record = json.loads(line)
                record["id"] = f"{record['id']}-{copy}"
                if perturb and copy:
                    for field in ("title", "heading", "article"):
                        if isinstance(record.get(field), str):
                            record[field] = perturbed(record[field], copy, perturb, cache)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    partial.rename(target)
    return target


def build(factor: int, work: Path, perturb: float) -> tuple[Path, dict[str, Any]]:
    corpus = repeated_corpus(factor, work, perturb)
    index_dir = work / corpus.name.replace("orangesum", "index").replace(".jsonl.gz", "")
    shutil.rmtree(index_dir, ignore_errors=True)
    args = [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)]
    row = _measured([*args, "--json"], index_dir)

    folder = work / f"added-x{factor}"
    shutil.rmtree(folder, ignore_errors=True)
    write_articles(folder, tail_records(100), "scale")
    started = time.perf_counter()
    Indexer(index_dir).update([folder])
    row["add_100_s"] = time.perf_counter() - started
    return index_dir, row


def read_in_fresh_process(index_dir: Path) -> dict[str, Any]:
    """:func:`bench.reading.measure` from a process of its own.

    The kernel's peak RSS of a child started from this process counts this
    process's own peak (the memory it had when the child was exec'd): after a
    build, every one-liner "peaked" at this process's 200 MB. A fresh, small
    reading process gives the children's own figures."""
    args = [sys.executable, str(ROOT / "bench" / "reading.py"), "--index", str(index_dir), "--json"]
    done = subprocess.run(args, check=True, capture_output=True, cwd=ROOT, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "scale")
    parser.add_argument("--keep", action="store_true", help="keep the indexes")
    parser.add_argument("--reuse", action="store_true", help="measure kept indexes, no build")
    parser.add_argument("--perturb", type=float, default=0.0, metavar="FRACTION",
                        help="suffix this fraction of word types in each copy")  # fmt: skip
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    builds, reads = [], []
    for factor in args.factors:
        name = f"{factor}x" + (f", {args.perturb:g} perturbed" if args.perturb else "")
        if args.reuse:
            suffix = f"-p{args.perturb:g}" if args.perturb else ""
            index_dir = args.work / f"index-x{factor}{suffix}"
        else:
            index_dir, row = build(factor, args.work, args.perturb)
            builds.append(
                f"| {name} | {row['articles']:,.0f} | {row['seconds']:.0f} s | "
                f"{row['per_s']:.0f} | {row['peak_rss_mb']:.0f} MB | {row['size_mb']:,.0f} MB | "
                f"{row['add_100_s']:.2f} s |"
            )
            print(builds[-1], flush=True)
        figures = read_in_fresh_process(index_dir)
        print(json.dumps(figures), flush=True)
        reads.append(reading.markdown(name, figures))
        if not args.keep and not args.reuse:
            shutil.rmtree(index_dir, ignore_errors=True)
    if builds:
        print("\n| corpus | articles | build | articles/s | peak memory | index | add 100 |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        print("\n".join(builds))
    print("\n| " + " | ".join(reading.MEMORY_COLUMNS) + " |")
    print("|" + " --- |" * len(reading.MEMORY_COLUMNS))
    print("\n".join(lines[0] for lines in reads))
    print("\n| corpus | " + " | ".join(reading.SETS.values()) + " |")
    print("| --- |" + " --- |" * len(reading.SETS))
    print("\n".join(lines[1] for lines in reads))


if __name__ == "__main__":
    main()
