"""Stories (near-duplicate wire copy) on the whole OrangeSum index.

- Recall: every pair of articles whose bodies are identical
  (``../shared/corpora/orangesum_duplicates.txt``, whose other pairs share
  only a summary or a title, reported apart) must share a story.
- Precision: a fixed random sample of pairs grouped together whose bodies
  differ, written out for a human to judge (``--sample FILE``); the verdicts
  live in ``bench/near_duplicates_judged.tsv`` (id, id, agreement, verdict,
  what differs) and are summarised with ``--judged``.
- Cost: the signatures over every article (one core), and grouping the whole
  index (what a new index version pays once).

    python bench/near_duplicates.py --index /tmp/osidx
    python bench/near_duplicates.py --index /tmp/osidx --sample /tmp/pairs.txt
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import DUPLICATES, records  # noqa: E402
from index.minhash import signature, unpack  # noqa: E402
from search import stories  # noqa: E402
from search.api import Engine  # noqa: E402
from search.facets import SEGMENT_CACHE, _SegmentFacets  # noqa: E402

JUDGED = Path(__file__).resolve().parent / "near_duplicates_judged.tsv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--sample", type=Path, help="Write 100 differing pairs to judge here.")
    args = parser.parse_args()

    started = time.perf_counter()
    bodies = {}
    texts = []
    for record in records():
        bodies[record["id"]] = record["article"]
        texts.append(record["article"])
    read = time.perf_counter() - started
    started = time.perf_counter()
    for text in texts:
        signature(text)
    signing = time.perf_counter() - started
    print(f"signatures of {len(texts):,} articles: {signing:.1f} s on one core "
          f"({signing / len(texts) * 1000:.2f} ms each; corpus read in {read:.1f} s)")  # fmt: skip

    with Engine(args.index) as engine:
        reader = engine._searcher.reader()
        ids = {}
        for docnum in reader.all_doc_ids():
            ids[reader.stored_fields(docnum)["id"].rsplit("#", 1)[-1]] = docnum
        table = engine.facet_table
        labels = table.stories
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        signatures = np.concatenate(
            [_SegmentFacets.for_segment(leaf, args.index / SEGMENT_CACHE).signatures
             for leaf in leaves]
        )  # fmt: skip
        live = np.zeros(len(labels), dtype=bool)
        live[list(ids.values())] = True
        started = time.perf_counter()
        regrouped = stories.group(signatures, live)
        print(f"grouping the whole index into stories: {time.perf_counter() - started:.2f} s")
        assert (regrouped == labels).all()

    sizes = Counter(labels[list(ids.values())].tolist())
    grouped = [s for s, n in sizes.items() if n > 1]
    print(f"stories with copies: {len(grouped):,}, holding {sum(sizes[s] for s in grouped):,} "
          f"articles; largest {max(sizes.values())}")  # fmt: skip

    # The shared file's groups are pairs with an identical body, summary or
    # title (measured: most pairs of its two largest groups share only a
    # live-blog title); only identical bodies are copies by definition.
    summaries = {r["id"]: r.get("heading", "") for r in records()}
    found: dict[str, list[int]] = {}
    for line in DUPLICATES.read_text().splitlines():
        members = [m.removesuffix(".json") for m in line.split(",")]
        for a, b in itertools.combinations([m for m in members if m in ids], 2):
            kind = ("identical body" if bodies[a] == bodies[b] else
                    "same summary, body differs" if summaries[a] == summaries[b] else
                    "same title only")  # fmt: skip
            counts = found.setdefault(kind, [0, 0])
            counts[0] += int(labels[ids[a]] == labels[ids[b]])
            counts[1] += 1
    for kind, (same, total) in found.items():
        print(f"{kind}: {same:,} of {total:,} pairs share a story ({same / total:.4f})")

    if args.sample:
        by_doc = {d: i for i, d in ids.items()}
        candidates = []
        for story in grouped:
            docs: list[int] = np.flatnonzero(labels == story).tolist()
            for first, second in itertools.combinations(docs, 2):
                if bodies[by_doc[first]].strip() != bodies[by_doc[second]].strip():
                    candidates.append((by_doc[first], by_doc[second]))
        random.Random(20221201).shuffle(candidates)
        print(f"pairs grouped whose bodies differ: {len(candidates):,}; sample of 100 "
              f"written to {args.sample}")  # fmt: skip
        with args.sample.open("w", encoding="utf-8") as out:
            for a, b in candidates[:100]:
                diff = stories.difference("", bodies[a], "", bodies[b])
                agree = (unpack(signature(bodies[a])) == unpack(signature(bodies[b]))).mean()
                out.write(f"=== {a} {b} agreement {agree:.2f} lengths {len(bodies[a])} "
                          f"{len(bodies[b])}\n")  # fmt: skip
                for s in diff.only_here:
                    out.write(f"  < {s}\n")
                for s in diff.only_there:
                    out.write(f"  > {s}\n")

    if JUDGED.exists():
        verdicts = Counter(
            line.split("\t")[3] for line in JUDGED.read_text(encoding="utf-8").splitlines()[1:]
        )
        judged = sum(verdicts.values())
        print(f"judged pairs: {judged}, same story: {verdicts['same']}, "
              f"precision {verdicts['same'] / judged:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
