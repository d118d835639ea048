"""Whole-corpus builds only, repeated and interleaved: ours next to the bare Whoosh chain.

The machine is noisy over minutes (the same build varies by a third between
runs of ``bench/run.py``); alternating the builds and comparing each of ours
with the bare build just before it gives ratios that noise moves less. Each
of our builds is also split by stage, as `search index --json` reports it.
Where tantivy is installed (``pip install tantivy``, never a dependency of
the product), each round also builds it last, and our build with
extraction is given as a multiple of its time in the same round.

    python bench/builds.py --rounds 2 [--docs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baselines import tantivy_available
from bench.run import build, build_baseline, corpus_file
from index.timing import STAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--docs", type=int, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-builds-"))
    corpus = corpus_file(args.docs, work)
    tantivy = tantivy_available()
    header = (
        "| round | bare s | ours with extraction s | ratio "
        "| ours without extraction s | ratio |"
    )
    if tantivy:
        header += " tantivy s | ours with extraction / tantivy |"
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    stages: list[tuple[int, dict[str, float], dict[str, float]]] = []
    try:
        for round_ in range(1, args.rounds + 1):
            times: list[float] = []
            splits: list[Any] = []
            runs = [
                ("bare", lambda d: build_baseline("whoosh", corpus, d)),
                ("with", lambda d: build(corpus, d, entities=True)),
                ("without", lambda d: build(corpus, d, entities=False)),
            ]
            if tantivy:
                runs.append(("tantivy", lambda d: build_baseline("tantivy", corpus, d)))
            for name, run in runs:
                index_dir = work / name
                shutil.rmtree(index_dir, ignore_errors=True)
                measured = run(index_dir)
                times.append(measured["seconds"])
                splits.append(measured["stages"])
                shutil.rmtree(index_dir, ignore_errors=True)
            bare, full, plain = times[:3]
            row = (
                f"| {round_} | {bare:.1f} | {full:.1f} | {bare / full:.2f}x | "
                f"{plain:.1f} | {bare / plain:.2f}x |"
            )
            if tantivy:
                row += f" {times[3]:.1f} | {full / times[3]:.1f}x |"
            print(row, flush=True)
            stages.append((round_, splits[1], splits[2]))
        # The split `search index --json` reports: a user sees the same.
        print("\n| round | build | " + " | ".join(STAGES) + " |")
        print("| --- | --- | " + " | ".join("---" for _ in STAGES) + " |")
        for round_, full_split, plain_split in stages:
            for label, split in (("with extraction", full_split), ("without", plain_split)):
                cells = " | ".join(f"{split.get(s, 0):.1f}" for s in STAGES)
                print(f"| {round_} | {label} | {cells} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
