"""Quality and speed of the country and person facets against the gold annotations.

    python bench/entities.py            # gold articles + speed on 2,000 articles
    python bench/entities.py --errors   # also list every remaining error
    python bench/entities.py --spacy fr_core_news_md   # next to a spaCy model (if installed),
                                                       # alone and added to the rules

It also prints the persons' leave-one-set-out table: what each cue of the
rules (a first name, a title, a verb of speech…) gets right and wrong on
each set, which cues a selection tuned on one set keeps, and what that
selection scores on the other set, which it never saw. A cue that helps
only the set it was written for is fitted, not general. And what evidence
from the archive itself would add: surnames that the set's own articles
name with a first name, taken as persons when alone elsewhere.

Gold: ``../shared/gold/orangesum_monde_40.jsonl`` (matched on OrangeSum
``id``), ``../shared/gold/lemonde_2017_dev_40.jsonl`` (texts in
``../shared/corpora/``) and ``../shared/gold/seeds.jsonl`` (matched on file
name in ``seeds/``; articles not present are reported and left out), each
reported on its own. Names are
compared after case and accent folding, as the issue asks. The gold is only
read here, never by the product.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import SHARED, records
from index.analysis import fold
from index.articles import Article
from index.extraction import article_text, extract
from index.persons import french_words, known_surnames
from index.readers import read_articles

ROOT = Path(__file__).resolve().parent.parent


def gold_sets() -> dict[str, list[tuple[dict[str, Any], Article]]]:
    """Each gold set present in ``../shared/gold/`` with its articles, by name."""
    sets: dict[str, list[tuple[dict[str, Any], Article]]] = {}
    monde = SHARED / "gold" / "orangesum_monde_40.jsonl"
    if monde.exists():
        gold = {g["id"]: g for g in map(json.loads, monde.read_text().splitlines())}
        sets["OrangeSum monde 40"] = [
            (gold[rec["id"]], Article(id=rec["id"], path="", title=rec["title"],
                                      lead=rec["heading"], body=rec["article"]))
            for rec in records() if rec["id"] in gold
        ]  # fmt: skip
    lemonde = SHARED / "gold" / "lemonde_2017_dev_40.jsonl"
    texts = SHARED / "corpora" / "lemonde_2017_dev_40.jsonl"
    if lemonde.exists() and texts.exists():
        gold = {g["id"]: g for g in map(json.loads, lemonde.read_text().splitlines())}
        sets["Le Monde 2017 dev 40"] = [
            (gold[str(rec["id"])], Article(id=str(rec["id"]), path="", title=rec.get("title", ""),
                                      body=rec["text"]))
            for rec in map(json.loads, texts.read_text().splitlines()) if str(rec["id"]) in gold
        ]  # fmt: skip
    seeds = SHARED / "gold" / "seeds.jsonl"
    if seeds.exists():
        pairs = []
        for g in map(json.loads, seeds.read_text().splitlines()):
            path = ROOT / "seeds" / g["id"]
            if not path.exists():
                print(f"note: seed {g['id']} is not in seeds/: left out", file=sys.stderr)
                continue
            pairs += [(g, a) for a in read_articles(path) if isinstance(a, Article)]
        sets["seeds"] = pairs
    return sets


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


def added_to_rules(nlp: Any, article: Article, rules: set[str]) -> set[str]:
    """The rules' persons plus the model's that the rules missed, when no word of them is
    a French word (the model's own false positives are mostly capitalised common words)."""
    common = french_words()
    names = set(rules)
    for name in spacy_persons(nlp, article_text(article)):
        words = name.split()
        if len(words) <= 4 and not any(w in common for w in words):
            names.add(name)
    return {n for n in names if not any(o != n and o.endswith(" " + n) for o in names)}


def score(
    pairs: list[tuple[dict[str, Any], Article]], system: tuple[str, Any], errors: list[str]
) -> dict[str, list[int]]:
    """TP, FP and FN of each facet over *pairs*; every error appended to *errors*."""
    counts = {"country": [0, 0, 0], "person": [0, 0, 0]}
    for gold, article in pairs:
        entities = extract(article)
        persons = {fold(p.name) for p in entities.persons}
        how, nlp = system
        if how == "model":
            persons = spacy_persons(nlp, article_text(article))
        elif how == "rules + model":
            persons = added_to_rules(nlp, article, persons)
        predicted = {"country": {c.code for c in entities.countries}, "person": persons}
        expected = {
            "country": set(gold["countries"]),
            "person": {fold(p) for p in gold["persons"]},
        }
        for kind in counts:
            counts[kind][0] += len(predicted[kind] & expected[kind])
            counts[kind][1] += len(predicted[kind] - expected[kind])
            counts[kind][2] += len(expected[kind] - predicted[kind])
            for value in sorted(predicted[kind] - expected[kind]):
                evidence = next((c.evidence for c in entities.countries if c.code == value), "")
                errors.append(f"  {gold['id']}: {kind} false positive {value} {evidence}")
            for value in sorted(expected[kind] - predicted[kind]):
                errors.append(f"  {gold['id']}: {kind} missed {value}")
    return counts


# The cue that made each person (``PersonMatch.reason``, English), by family.
CUES = {
    "first name": re.compile(r"^first name"),
    "title": re.compile(r"^title"),
    "verb of speech": re.compile(r"^verb of speech"),
    "apposition": re.compile(r"^apposition"),
    "age": re.compile(r"^age after"),
    "régime, government": re.compile(r"before a surname$"),
    "surname list": re.compile(r"^well-known surname"),
    "nationality": re.compile(r"^nationality"),
    "initial": re.compile(r"^initial inside"),
    "kinship": re.compile(r"^kinship"),
}

# Per gold set, per article: (gold persons, {predicted person: its cue}).
Predictions = dict[str, list[tuple[set[str], dict[str, str]]]]


def cue_of(reason: str) -> str:
    return next((cue for cue, pattern in CUES.items() if pattern.search(reason)), "other")


def predictions(
    sets: dict[str, list[tuple[dict[str, Any], Article]]], surnames: frozenset[str] | None = None
) -> Predictions:
    return {
        name: [
            ({fold(p) for p in gold["persons"]},
             {fold(p.name): cue_of(p.reason) for p in extract(article, surnames).persons})
            for gold, article in pairs
        ]
        for name, pairs in sets.items()
    }  # fmt: skip


def persons_f1(articles: list[tuple[set[str], dict[str, str]]], cues: set[str]) -> float:
    tp = fp = fn = 0
    for gold, found in articles:
        kept = {name for name, cue in found.items() if cue in cues}
        tp, fp, fn = tp + len(kept & gold), fp + len(kept - gold), fn + len(gold - kept)
    return prf(tp, fp, fn)[2]


def tuned_on(articles: list[tuple[set[str], dict[str, str]]]) -> set[str]:
    """The cues a selection tuned on *articles* keeps: from all of them, drop
    the one whose loss helps F1 most, while one does."""
    kept = set(CUES) | {"other"}
    while True:
        best = max(kept, key=lambda cue: persons_f1(articles, kept - {cue}))
        if persons_f1(articles, kept - {best}) <= persons_f1(articles, kept):
            return kept
        kept -= {best}


def archive_surnames(
    sets: dict[str, list[tuple[dict[str, Any], Article]]], found: Predictions
) -> dict[str, frozenset[str]]:
    """Per set, the shipped surnames plus those its own articles name with a
    first name (not a French word): evidence from the archive, as a build's
    second pass would gather it from the user's whole archive."""
    common = french_words()
    learned = {}
    for name, articles in found.items():
        surnames = {
            person.split()[-1] for _, persons in articles for person, cue in persons.items()
            if cue == "first name" and len(person.split()) >= 2
        }  # fmt: skip
        learned[name] = known_surnames() | frozenset(s for s in surnames if s not in common)
    return learned


def leave_one_set_out(sets: dict[str, list[tuple[dict[str, Any], Article]]]) -> None:
    named = {k: v for k, v in sets.items() if k != "seeds"}  # two articles: no evidence
    found = predictions(named)
    every = set(CUES) | {"other"}
    print("\nPersons, cue by cue (persons each cue made: right / wrong)")
    print("| cue | " + " | ".join(named) + " |")
    print("| --- |" + " --- |" * len(named))
    for cue in [*CUES, "other"]:
        cells = []
        for articles in found.values():
            made = [n in gold for gold, found in articles for n, c in found.items() if c == cue]
            cells.append(f"{sum(made)} / {len(made) - sum(made)}")
        print(f"| {cue} | " + " | ".join(cells) + " |")
    print("\nPersons, leave one set out (F1: cues selected on one set, measured on the other)")
    print("| tuned on | cues dropped | F1 there | measured on | F1 | shipped F1 there |")
    print("| --- | --- | --- | --- | --- | --- |")
    for tuning, articles in found.items():
        kept = tuned_on(articles)
        for other, theirs in found.items():
            if other != tuning:
                dropped = ", ".join(sorted(every - kept)) or "(none)"
                there, tuned, shipped = (persons_f1(articles, kept), persons_f1(theirs, kept),
                                         persons_f1(theirs, every))  # fmt: skip
                print(f"| {tuning} | {dropped} | {there:.3f} | {other} | {tuned:.3f} "
                      f"| {shipped:.3f} |")  # fmt: skip
    print("\nPersons with the archive's own surnames (each set its own archive)")
    print("| gold set | surnames learned | F1 shipped | F1 with them |")
    print("| --- | --- | --- | --- |")
    learned = archive_surnames(named, found)
    for name in named:
        with_them = predictions({name: named[name]}, learned[name])[name]
        shipped, more = persons_f1(found[name], every), persons_f1(with_them, every)
        print(f"| {name} | {len(learned[name] - known_surnames())} | {shipped:.3f} | {more:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--spacy", metavar="MODEL", help="e.g. fr_core_news_md")
    parser.add_argument("--speed-docs", type=int, default=2000)
    args = parser.parse_args()

    systems: dict[str, tuple[str, Any]] = {"rules (shipped)": ("rules", None)}
    if args.spacy:
        import spacy

        # Only the named-entity recogniser (and what it reads): the fastest it can run.
        nlp = spacy.load(args.spacy, exclude=["parser", "lemmatizer", "morphologizer", "senter"])
        systems[f"spaCy {args.spacy} + clean-up"] = ("model", nlp)
        systems[f"rules + spaCy {args.spacy}"] = ("rules + model", nlp)

    for label, system in systems.items():
        print(f"\n{label} (micro P/R/F1, names folded)")
        print("| gold set | articles | facet | precision | recall | F1 | TP | FP | FN |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        errors: list[str] = []
        for name, pairs in gold_sets().items():
            counts = score(pairs, system, errors)
            for kind, (tp, fp, fn) in counts.items():
                if system[0] != "rules" and kind == "country":
                    continue
                p, r, f = prf(tp, fp, fn)
                print(f"| {name} | {len(pairs)} | {kind} | {p:.3f} | {r:.3f} | {f:.3f} "
                      f"| {tp} | {fp} | {fn} |")  # fmt: skip
        if args.errors:
            print("\n".join(errors))
    leave_one_set_out(gold_sets())

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
    if args.spacy:
        texts = [article_text(a) for a in docs[:300]]
        started = time.perf_counter()
        for _ in systems[f"spaCy {args.spacy} + clean-up"][1].pipe(texts, batch_size=32):
            pass
        seconds = time.perf_counter() - started
        print(
            f"spaCy {args.spacy}, named entities only: {len(texts):,} articles, "
            f"{sum(len(t.split()) for t in texts) / seconds:,.0f} words/s (one core)"
        )


if __name__ == "__main__":
    main()
