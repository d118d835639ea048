"""Write the fixed query sets under ``bench/queries/`` from the shared corpus.

Run once; the files are committed so that every benchmark run uses the same
queries. Words are drawn from article titles (what people search for), with a
fixed seed; stop words and very short words are left out.

    python bench/make_queries.py
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import records
from index.analysis import FRENCH_STOP_WORDS, fold

OUT = Path(__file__).resolve().parent / "queries"
SEED = 20261121
PER_SET = 250


def main() -> None:
    rng = random.Random(SEED)
    titles = [r["title"] for r in records() if r.get("article", "").strip()]
    words = [
        w
        for t in titles
        for w in re.findall(r"[^\W\d_]{4,}", t)
        if fold(w) not in FRENCH_STOP_WORDS
    ]
    rng.shuffle(titles)
    sets = {
        "one_word": [rng.choice(words) for _ in range(PER_SET)],
        "two_word_and": [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(PER_SET)],
        "phrase": [],
        "or_3_5_words": [
            " OR ".join(rng.choice(words) for _ in range(rng.randint(3, 5))) for _ in range(PER_SET)
        ],
    }
    for title in titles:
        title_words = re.findall(r"[^\W\d_]{3,}", title)
        if len(title_words) >= 3:
            start = rng.randrange(len(title_words) - 1)
            sets["phrase"].append('"' + " ".join(title_words[start : start + 2]) + '"')
        if len(sets["phrase"]) == PER_SET:
            break
    OUT.mkdir(exist_ok=True)
    for name, queries in sets.items():
        (OUT / f"{name}.txt").write_text("\n".join(queries) + "\n", encoding="utf-8")
        print(f"{name}: {len(queries)} queries")


if __name__ == "__main__":
    main()
