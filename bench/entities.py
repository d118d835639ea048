"""Quality and speed of the country and person facets against the gold annotations.

    python bench/entities.py            # gold articles + speed on 2,000 articles
    python bench/entities.py --errors   # also list every remaining error
    python bench/entities.py --spacy    # compare with spaCy fr_core_news_sm (if installed)

Gold: ``../shared/gold/orangesum_monde_40.jsonl`` (matched on OrangeSum
``id``) and ``../shared/gold/seeds.jsonl`` (matched on file name in
``seeds/``; articles not present are reported and left out). Names are
compared after case and accent folding, as the issue asks. The gold is only
read here, never by the product.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import SHARED, records
from index.analysis import fold
from index.articles import Article
from index.extraction import article_text, extract
from index.readers import read_articles

ROOT = Path(__file__).resolve().parent.parent


def gold_articles() -> list[tuple[dict[str, Any], Article]]:
    pairs: list[tuple[dict[str, Any], Article]] = []
    monde = SHARED / "gold" / "orangesum_monde_40.jsonl"
    if monde.exists():
        gold = {g["id"]: g for g in map(json.loads, monde.read_text().splitlines())}
        for rec in records():
            if rec["id"] in gold:
                article = Article(
                    id=rec["id"],
                    path="",
                    title=rec["title"],
                    lead=rec["heading"],
                    body=rec["article"],
                )
                pairs.append((gold[rec["id"]], article))
    seeds = SHARED / "gold" / "seeds.jsonl"
    if seeds.exists():
        for g in map(json.loads, seeds.read_text().splitlines()):
            path = ROOT / "seeds" / g["id"]
            if not path.exists():
                print(f"note: seed {g['id']} is not in seeds/: left out", file=sys.stderr)
                continue
            pairs += [(g, a) for a in read_articles(path) if isinstance(a, Article)]
    return pairs


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def spacy_persons(nlp: Any, text: str) -> set[str]:
    """spaCy PER entities with the obvious clean-up (titles, merging surnames)."""
    import re

    names = set()
    for ent in nlp(text).ents:
        if ent.label_ == "PER":
            name = re.sub(r"^(M\.|Mme|Mlle|président|général|sénateur)\s+", "", ent.text)
            names.add(name.strip(' "«»()'))
    folded = {fold(n) for n in names if n}
    return {n for n in folded if not any(o != n and o.endswith(" " + n) for o in folded)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--spacy", action="store_true")
    parser.add_argument("--speed-docs", type=int, default=2000)
    args = parser.parse_args()

    pairs = gold_articles()
    systems: dict[str, Any] = {"rules (shipped)": None}
    if args.spacy:
        import spacy

        nlp = spacy.load("fr_core_news_sm", exclude=["parser", "lemmatizer", "morphologizer"])
        systems["spaCy fr_core_news_sm + clean-up"] = nlp

    print(f"Gold: {len(pairs)} articles")
    for label, nlp in systems.items():
        counts = {"country": [0, 0, 0], "person": [0, 0, 0]}
        errors: list[str] = []
        for gold, article in pairs:
            entities = extract(article)
            predicted = {
                "country": {c.code for c in entities.countries},
                "person": (
                    {fold(p.name) for p in entities.persons}
                    if nlp is None
                    else spacy_persons(nlp, article_text(article))
                ),
            }
            expected = {
                "country": set(gold["countries"]),
                "person": {fold(p) for p in gold["persons"]},
            }
            for kind in counts:
                tp = predicted[kind] & expected[kind]
                counts[kind][0] += len(tp)
                counts[kind][1] += len(predicted[kind] - expected[kind])
                counts[kind][2] += len(expected[kind] - predicted[kind])
                for value in sorted(predicted[kind] - expected[kind]):
                    evidence = next((c.evidence for c in entities.countries if c.code == value), "")
                    errors.append(f"  {gold['id']}: {kind} false positive {value} {evidence}")
                for value in sorted(expected[kind] - predicted[kind]):
                    errors.append(f"  {gold['id']}: {kind} missed {value}")
        print(f"\n{label}")
        print("| facet   | precision | recall | F1    | TP  | FP | FN |")
        print("|---------|-----------|--------|-------|-----|----|----|")
        for kind, (tp, fp, fn) in counts.items():
            if nlp is not None and kind == "country":
                continue
            p, r, f = prf(tp, fp, fn)
            print(f"| {kind:<7} | {p:.3f}     | {r:.3f}  | {f:.3f} | {tp:<3} | {fp:<2} | {fn:<2} |")
        if args.errors:
            print("\n".join(errors))

    docs = [
        Article(id=r["id"], path="", title=r["title"], lead=r["heading"], body=r["article"])
        for r in records(args.speed_docs)
    ]
    words = sum(len(article_text(a).split()) for a in docs)
    started = time.perf_counter()
    for article in docs:
        extract(article)
    seconds = time.perf_counter() - started
    print(
        f"\nSpeed: {len(docs):,} articles, {words:,} words in {seconds:.1f}s: "
        f"{len(docs) / seconds:,.0f} articles/s, {words / seconds:,.0f} words/s (one core)"
    )


if __name__ == "__main__":
    main()
