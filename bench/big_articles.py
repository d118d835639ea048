"""Cost per MB of one huge article: indexing, a one-word query and a phrase query.

Every stage must be linear in an article's size, so the seconds per MB must
stay flat from 0.1 to 20 MB. Each size gets a fresh index in a temporary
folder holding that one article (plain text made of real OrangeSum bodies
end to end, so it is full of names and places) and a few small ones.

    python bench/big_articles.py                 # 0.1 1 10 20 MB
    python bench/big_articles.py --sizes 0.1 1 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.api import Engine, Indexer

ROOT = Path(__file__).resolve().parent.parent
QUERIES = {"one word": "gouvernement", "phrase": '"sécurité des frontières"'}


def source_text() -> str:
    """About 20 MB of real French news text, from OrangeSum if present, else the seeds."""
    from bench.corpus import CORPUS, records

    parts: list[str] = []
    size = 0
    if CORPUS.exists():
        for record in records():
            parts.append(record.get("article", ""))
            size += len(parts[-1])
            if size > 21_000_000:
                break
    else:
        print(f"note: {CORPUS} is absent; repeating the seeds instead", file=sys.stderr)
        seeds = [p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt")]
        while size < 21_000_000:
            parts.extend(seeds)
            size += sum(map(len, seeds))
    # The phrase must occur: once in every 40 kB or so.
    text = "\n\n".join(parts)
    marker = " La sécurité des frontières reste une priorité, a dit le ministre. "
    step = 40_000
    return "".join(text[i : i + step] + marker for i in range(0, len(text), step))


def measure(size_mb: float, text: str, rounds: int) -> dict[str, float]:
    body = text[: int(size_mb * 1_000_000)]
    with tempfile.TemporaryDirectory(prefix="big-article-") as tmp:
        corpus = Path(tmp, "corpus")
        corpus.mkdir()
        for name in ("2020-07-02_orangesum-9174.txt", "2018-08-27_orangesum-20803.md"):
            (corpus / name).write_bytes((ROOT / "seeds" / name).read_bytes())
        index_dir = Path(tmp, "index")
        indexer = Indexer(index_dir, workers=0)
        indexer.update([corpus])  # the small articles first: only the big one is timed
        (corpus / "enorme.txt").write_text("Un très long article\n\n" + body, encoding="utf-8")
        started = time.perf_counter()
        indexer.update([corpus])
        result = {"index": time.perf_counter() - started}
        with Engine(index_dir) as engine:
            engine.search("Finlande", facets=True)  # open caches outside the timing
            for label, query in QUERIES.items():
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    found = engine.search(query, limit=10, facets=True)
                    times.append(time.perf_counter() - started)
                    assert found.total >= 1, (query, found.total)
                result[label] = min(times)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[0.1, 1, 10, 20])
    parser.add_argument("--rounds", type=int, default=3, help="query repetitions (best kept)")
    args = parser.parse_args()
    text = source_text()
    # "marginal": the cost of the MBs this size adds to the previous one, which
    # is what stays flat when a stage is linear (a fixed cost per article or
    # per query makes the plain s/MB fall as articles grow).
    print(
        "| size MB | index s | s/MB | marginal s/MB | one-word query s | marginal s/MB "
        "| phrase query s | marginal s/MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    previous: tuple[float, dict[str, float]] | None = None
    for size in args.sizes:
        r = measure(size, text, args.rounds)
        cells = [f"{size:g}", f"{r['index']:.2f}", f"{r['index'] / size:.2f}"]
        for key in ("index", "one word", "phrase"):
            if key != "index":
                cells.append(f"{r[key]:.3f}")
            if previous is None:
                cells.append("–")
            else:
                cells.append(f"{(r[key] - previous[1][key]) / (size - previous[0]):.3f}")
        print("| " + " | ".join(cells) + " |", flush=True)
        previous = (size, r)


if __name__ == "__main__":
    main()
