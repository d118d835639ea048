"""Known-item retrieval quality of analysis chains and field layouts (MRR@10, Recall@10).

Task (``../shared/README.md``): an OrangeSum article's ``heading`` is the
query, its article the one right answer; heading terms are OR-ed. Every
variant is a set of fields in *one* index built over the same documents,
queried with the same sample, so the numbers compare honestly. Each query is
also run with its accents stripped.

    python bench/known_item.py                 # whole corpus, 2,000 queries
    python bench/known_item.py --docs 5000 --queries 300   # quick look

The shipped layout is queried through the product's own parser
(``search.query.QueryCompiler`` with its words OR-ed), so what is measured is what
users get.

Issue 31's variants add one signal each to the shipped query (the body's
first words as a field, term proximity re-scoring the best hits, the
query's countries and persons, other BM25 parameters, pseudo-relevance
feedback). Each one is compared with the shipped ranking by a paired
bootstrap over the queries. Headings that are only a date cannot be
answered by any engine: the ``answerable`` column leaves them out.

    python bench/known_item.py --only shipped      # the shipped ranking and its variants
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from unidecode import unidecode
from whoosh import query as wq
from whoosh.index import create_in, exists_in, open_dir

from bench.chains import alternative_fields
from bench.corpus import known_item_sample, records
from index.articles import Article
from index.extraction import annotate, extract_text
from index.persons import person_key
from index.schema import build_schema, document_fields
from search.query import QueryCompiler

# variant name -> {field: boost}; "shipped" goes through the product parser.
VARIANTS: dict[str, dict[str, float] | None] = {
    "bare Whoosh chain, title+body fields": {"bare_title": 1.0, "bare_body": 1.0},
    "LanguageAnalyzer('fr'), combined": {"lang_fr": 1.0},
    "stem-then-fold, combined": {"stem_then_fold": 1.0},
    "fold-then-stem, no stop words, combined": {"no_stops": 1.0},
    "fold-then-stem, title+body fields": {"title": 1.0, "body_only": 1.0},
    "folded, unstemmed, combined": {"exact": 1.0},
    "fold-then-stem, combined": {"content": 1.0},
    "stemmed + exact, combined": {"content": 1.0, "exact": 1.0},
    "stemmed + title^0.5": {"content": 1.0, "title": 0.5},
    "stemmed + title^1": {"content": 1.0, "title": 1.0},
    "stemmed + title^2": {"content": 1.0, "title": 2.0},
    "stemmed + exact + title^0.5": {"content": 1.0, "exact": 1.0, "title": 0.5},
    "stemmed + exact + title^1": {"content": 1.0, "exact": 1.0, "title": 1.0},
    "stemmed + exact + title^2": {"content": 1.0, "exact": 1.0, "title": 2.0},
    "stemmed + exact^0.5 + title^1": {"content": 1.0, "exact": 0.5, "title": 1.0},
    "stemmed + exact^0.5 + title^2": {"content": 1.0, "exact": 0.5, "title": 2.0},
    "shipped (search.query parser)": None,
}

# Shipped, plus the query's stems matched again in the body's first N words
# (the lead's position, issue 31): variant name -> (field, boost).
OPENINGS = {30: "opening30", 60: "opening60"}
WITH_OPENING: dict[str, tuple[str, float]] = {
    f"shipped + first {n} words^{boost:g}": (field, boost)
    for n, field in OPENINGS.items()
    for boost in (0.5, 1.0, 2.0)
}
SHIPPED = "shipped (search.query parser)"
# Shipped, then its best RESCORED hits re-scored with a bonus for each pair
# of consecutive query stems found in that order, at most WITHIN positions
# apart, in the document (term proximity, issue 31; OpenSearch's ``rescore``
# with span queries does the same): variant name -> bonus weight.
RESCORED, WITHIN = 30, 3
# Shipped with other BM25 parameters (Whoosh's: b 0.75, k1 1.2): name -> (b, k1).
WITH_BM25: dict[str, tuple[float, float]] = {
    f"shipped, BM25 b={b:g} k1={k1:g}": (b, k1) for b, k1 in ((0.5, 1.2), (1.0, 1.2), (0.9, 1.6))
}
# Shipped, then pseudo-relevance feedback: the N stems that weigh most
# (frequency in the article x idf) in the first K hits, added at BETA x
# their weight relative to the heaviest: name -> (K, N, BETA).
WITH_FEEDBACK: dict[str, tuple[int, int, float]] = {
    f"shipped + feedback, top {k}, {n} stems^{beta:g}": (k, n, beta)
    for k, n, beta in ((3, 10, 0.2), (3, 20, 0.5))
}
# Shipped, plus the countries and persons the query names, found among the
# document's facets (weight x the value's idf): variant name -> weight.
WITH_ENTITIES: dict[str, float] = {
    f"shipped + the query's countries, persons^{weight:g}": weight for weight in (0.5, 1.0, 2.0)
}
WITH_PROXIMITY: dict[str, float] = {
    f"shipped + pairs in order^{weight:g}, top {RESCORED}": weight for weight in (0.5, 1.0, 2.0)
}


# The product's fields live in part "a", the alternatives in part "b": the
# two are built in parallel (one per core) over the same documents.
PARTS = ("a", "b")


def _part_schema(part: str) -> Any:
    schema = build_schema()
    alternatives = alternative_fields()
    if part == "a":
        schema.add("body_only", alternatives["body_only"])
        for field in OPENINGS.values():
            schema.add(field, alternatives["body_only"])
        return schema
    for name in list(schema.names()):
        if name not in ("id",):
            schema.remove(name)
    for name, fieldtype in alternatives.items():
        if name != "body_only":
            schema.add(name, fieldtype)
    return schema


def build(args: tuple[Path, int | None, str]) -> int:
    directory, limit, part = args
    schema = _part_schema(part)
    ix = create_in(str(directory), schema, indexname=part)
    writer = ix.writer(limitmb=512)
    count = 0
    for rec in records(limit):
        if not rec.get("article", "").strip():
            continue
        # The heading is the query: it is left out of the document.
        article = Article(
            id=str(rec["id"]),
            path="orangesum",
            title=rec.get("title", ""),
            body=rec.get("article", ""),
        )
        # Extracted as the product does: the facets serve one variant.
        fields = document_fields(annotate(article) if part == "a" else article)
        text = fields["content"]
        if part == "a":
            fields["body_only"] = article.body
            words = article.body.split()
            for n, field in OPENINGS.items():
                fields[field] = " ".join(words[:n])
        else:
            fields = {
                "id": article.id,
                "bare_title": article.title,
                "bare_body": article.body,
                "lang_fr": text,
                "stem_then_fold": text,
                "no_stops": text,
            }
        writer.add_document(**fields)
        count += 1
    writer.commit()
    return count


# A heading that is only a date (``30 octobre``: the automobile section's):
# it names nothing of its article, so no engine can find the article from it.
DATE_ONLY = re.compile(
    r"^\s*\d{1,2}(?:er)?\s+(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|"
    r"septembre|octobre|novembre|d[ée]cembre)(?:\s+\d{4})?\s*$",
    re.IGNORECASE,
)

_QUERY_SYNTAX = re.compile(r"[\"«»“”„'()\[\]{}:^~*?+\-\\/]|\b(?:AND|OR|NOT|ET|OU|SAUF|TO)\b")


def _or_query(schema: Any, boosts: dict[str, float], text: str) -> wq.Query:
    terms = []
    for fieldname, boost in boosts.items():
        analyzer = schema[fieldname].analyzer
        for token in {t.text for t in analyzer(text)}:
            terms.append(wq.Term(fieldname, token, boost=boost))
    return wq.Or(terms)


class BM25:
    """Whoosh's BM25F (B=0.75, K1=1.2), vectorised over the index's own postings.

    Whoosh scores long OR queries at 0.3-0.8 s each on this corpus, which
    makes 2,000 queries x 2 x a dozen variants hours; the same formula, idf
    and (quantised) field lengths over numpy arrays take milliseconds. The
    scores are checked against Whoosh's own top 10 at start (``--check``).
    """

    B, K1 = 0.75, 1.2

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.lengths: dict[str, Any] = {}
        self.postings: dict[tuple[str, str], tuple[Any, Any, float]] = {}

    def _field(self, fieldname: str) -> tuple[Any, float]:
        if fieldname not in self.lengths:
            dfl = self.reader.doc_field_length
            self.lengths[fieldname] = np.array(
                [dfl(d, fieldname, 0) for d in range(self.size)], dtype=np.float64
            )
        return self.lengths[fieldname], self.searcher.avg_field_length(fieldname) or 1

    def _postings(self, fieldname: str, text: str) -> tuple[Any, Any, float]:
        key = (fieldname, text)
        if key not in self.postings:
            try:
                matcher = self.reader.postings(fieldname, text)
                docs = np.array(list(matcher.all_ids()), dtype=np.int64)
                matcher = self.reader.postings(fieldname, text)
                weights = []
                while matcher.is_active():
                    weights.append(matcher.weight())
                    matcher.next()
                tf = np.array(weights, dtype=np.float64)
            except Exception:  # term not in the field
                docs, tf = np.array([], dtype=np.int64), np.array([], dtype=np.float64)
            idf = self.searcher.idf(fieldname, text)
            self.postings[key] = (docs, tf, idf)
        return self.postings[key]

    def scores(self, terms: list[tuple[str, str, float]]) -> Any:
        total = np.zeros(self.size)
        for fieldname, text, boost in terms:
            docs, tf, idf = self._postings(fieldname, text)
            if not len(docs):
                continue
            if fieldname in ("country", "person"):  # a facet: no length, no frequency
                np.add.at(total, docs, boost * idf)
                continue
            lengths, avg = self._field(fieldname)
            fl = lengths[docs]
            part = idf * (tf * (self.K1 + 1)) / (tf + self.K1 * ((1 - self.B) + self.B * fl / avg))
            np.add.at(total, docs, boost * part)
        return total


def flatten(q: wq.Query, boost: float = 1.0) -> list[tuple[str, str, float]]:
    """(field, term, boost) of every term a query scores, boosts multiplied down."""
    boost *= getattr(q, "boost", 1.0)
    if isinstance(q, wq.Term):
        text = q.text.decode("utf-8") if isinstance(q.text, bytes) else q.text
        return [(q.fieldname, text, boost)]
    if isinstance(q, wq.Phrase):
        return [(q.fieldname, w, boost) for w in q.words]
    terms = []
    for child in q.children():
        terms.extend(flatten(child, boost))
    return terms


def _queries_for(ix: Any, variant: str, text: str) -> wq.Query:
    boosts = VARIANTS.get(variant)
    if boosts is None:
        return QueryCompiler(ix.schema, any_word=True).parse(_QUERY_SYNTAX.sub(" ", text))
    return _or_query(ix.schema, boosts, text)


def _terms_for(ix: Any, variant: str, text: str) -> list[tuple[str, str, float]]:
    terms = flatten(_queries_for(ix, variant, text))
    if variant in WITH_ENTITIES:
        named = extract_text(text)
        terms += [("country", c.code, WITH_ENTITIES[variant]) for c in named.countries]
        terms += [("person", person_key(p.name), WITH_ENTITIES[variant]) for p in named.persons]
    if variant in WITH_OPENING:
        field, boost = WITH_OPENING[variant]
        terms += [(field, term, b * boost) for name, term, b in terms if name == "content"]
    return terms


def proximity(searcher: Any, stems: list[str], scores: Any, weight: float) -> Any:
    """*scores* with the proximity bonus added to the best :data:`RESCORED`
    documents: per consecutive pair of query stems, weight x the pair's mean
    idf x n/(n + 1.2), n the times the second follows the first within
    :data:`WITHIN` positions (saturated like BM25's term frequency)."""
    reader = searcher.reader()
    top = [int(d) for d in np.argsort(-scores, kind="stable")[:RESCORED] if scores[d] > 0]
    candidates = sorted(top)
    positions: dict[str, dict[int, set[int]]] = {}
    for stem in set(stems):
        found: dict[int, set[int]] = {}
        if (("content", stem)) in reader:
            matcher = reader.postings("content", stem)
            for doc in candidates:
                if matcher.is_active() and matcher.id() < doc:
                    matcher.skip_to(doc)
                if not matcher.is_active():
                    break
                if matcher.id() == doc:
                    found[doc] = set(matcher.value_as("positions"))
        positions[stem] = found
    adjusted = scores.copy()
    for first, second in itertools.pairwise(stems):
        idf = (searcher.idf("content", first) + searcher.idf("content", second)) / 2
        for doc in top:
            before, after = positions[first].get(doc), positions[second].get(doc)
            if before and after:
                n = sum(1 for p in before if any(p + gap in after for gap in range(1, WITHIN + 1)))
                adjusted[doc] += weight * idf * n / (n + 1.2)
    return adjusted


def feedback(
    searcher: Any, stemmed: Any, terms: list[tuple[str, str, float]], scores: Any,
    setting: tuple[int, int, float],
) -> list[tuple[str, str, float]]:  # fmt: skip
    """The stems pseudo-relevance feedback adds to *terms* (see WITH_FEEDBACK)."""
    top, count, beta = setting
    reader = searcher.reader()
    asked = {term for field, term, _ in terms if field == "content"}
    weights: dict[str, float] = {}
    for doc in np.argsort(-scores, kind="stable")[:top].tolist():
        stored = reader.stored_fields(doc)
        found: dict[str, int] = {}
        for token in stemmed(f"{stored.get('title') or ''}\n{stored.get('body') or ''}"):
            found[token.text] = found.get(token.text, 0) + 1
        total = sum(found.values()) or 1
        for stem, frequency in found.items():
            if stem not in asked:
                weight = frequency / total * searcher.idf("content", stem)
                weights[stem] = weights.get(stem, 0.0) + weight
    chosen = sorted(weights.items(), key=lambda item: -item[1])[:count]
    heaviest = chosen[0][1] if chosen else 1.0
    return [("content", stem, beta * weight / heaviest) for stem, weight in chosen]


def evaluate(args: tuple[str, list[tuple[str, str]], str]) -> dict[str, Any]:
    directory, queries, variant = args
    boosts = VARIANTS.get(variant)
    part = "a" if boosts is None or set(boosts) <= set(_part_schema("a").names()) else "b"
    ix = open_dir(directory, indexname=part)
    out: dict[str, Any] = {"variant": variant}
    stemmed = ix.schema["content"].analyzer
    with ix.searcher() as searcher:
        bm25 = BM25(searcher)
        bm25.B, bm25.K1 = WITH_BM25.get(variant, (BM25.B, BM25.K1))
        docnum = {(f["id"]): n for n, f in enumerate(searcher.reader().iter_docs()) for f in [f[1]]}
        for mode in ("accents", "stripped"):
            rr, hits1, hits10, started = 0.0, 0, 0, time.perf_counter()
            ranks: list[float] = []
            for doc_id, heading in queries:
                text = unidecode(heading) if mode == "stripped" else heading
                terms = _terms_for(ix, variant, text)
                scores = bm25.scores(terms)
                if variant in WITH_FEEDBACK:
                    more = feedback(searcher, stemmed, terms, scores, WITH_FEEDBACK[variant])
                    scores = bm25.scores(terms + more)
                if variant in WITH_PROXIMITY:
                    stems = [t.text for t in stemmed(_QUERY_SYNTAX.sub(" ", text), mode="query")]
                    scores = proximity(searcher, stems, scores, WITH_PROXIMITY[variant])
                target = docnum[doc_id]
                rank = 1 + int(np.count_nonzero(scores > scores[target]))
                rank += int(np.count_nonzero(scores[:target] == scores[target]))
                found = scores[target] > 0 and rank <= 10
                ranks.append(1.0 / rank if found else 0.0)
                if found:
                    rr += 1.0 / rank
                    hits10 += 1
                    hits1 += rank == 1
            n = len(queries)
            out[mode] = {
                "mrr10": rr / n,
                "recall1": hits1 / n,
                "recall10": hits10 / n,
                "reciprocal_ranks": ranks,
                "ms_per_query": (time.perf_counter() - started) * 1000 / n,
            }
    return out


def check(directory: Path, queries: list[tuple[str, str]], count: int) -> str:
    """How often the vectorised scores give Whoosh's own top 10, in order."""
    same = 0
    for variant in ("shipped (search.query parser)", "bare Whoosh chain, title+body fields"):
        boosts = VARIANTS[variant]
        part = "a" if boosts is None else "b"
        ix = open_dir(str(directory), indexname=part)
        with ix.searcher() as searcher:
            bm25 = BM25(searcher)
            for _, heading in queries[:count]:
                q = _queries_for(ix, variant, heading)
                ours = bm25.scores(flatten(q))
                top = [int(d) for d in np.argsort(-ours, kind="stable")[:10] if ours[d] > 0]
                theirs = [hit.docnum for hit in searcher.search(q, limit=10)]
                same += top == theirs
    return f"{same}/{2 * count}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=None, help="first N articles (default all)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--index", type=Path, help="reuse/keep the bench index here")
    parser.add_argument("--only", nargs="*", help="variants whose name contains one of these")
    parser.add_argument("--check", type=int, default=50, help="queries to check against Whoosh")
    args = parser.parse_args()

    docs = [r for r in records(args.docs) if r.get("article", "").strip()]
    sample = known_item_sample(docs, args.queries)
    queries = [(str(r["id"]), r["heading"]) for r in sample]
    directory = args.index or Path(tempfile.mkdtemp(prefix="known-item-"))
    directory.mkdir(parents=True, exist_ok=True)
    if not all(exists_in(str(directory), indexname=p) for p in PARTS):
        started = time.perf_counter()
        with multiprocessing.Pool(2) as pool:
            pool.map(build, [(directory, args.docs, p) for p in PARTS])
        seconds = time.perf_counter() - started
        print(
            f"built bench index of {len(docs):,} articles in {seconds:.0f}s at {directory}",
            file=sys.stderr,
        )

    if args.check:
        print(
            f"vectorised BM25F vs Whoosh, identical top 10: {check(directory, queries, args.check)}"
        )
    every = [*VARIANTS, *WITH_OPENING, *WITH_PROXIMITY, *WITH_ENTITIES, *WITH_BM25,
             *WITH_FEEDBACK]  # fmt: skip
    variants = [v for v in every if not args.only or any(o in v for o in args.only)]
    jobs = [(str(directory), queries, v) for v in variants]
    with multiprocessing.Pool(args.procs) as pool:
        rows = pool.map(evaluate, jobs, chunksize=1)

    print(
        f"\nKnown-item search, {len(docs):,} articles, {len(queries):,} heading queries "
        f"(terms OR-ed), seed fixed"
    )
    answerable = np.array([not DATE_ONLY.match(heading) for _, heading in queries])
    print(
        f"{len(queries) - int(answerable.sum()):,} of these headings are only a date: "
        f"no engine finds their article from them (the best MRR@10 possible is "
        f"{answerable.mean():.4f}); the column 'answerable' leaves them out"
    )
    shipped = next((r for r in rows if r["variant"] == SHIPPED), None)
    print(
        f"| {'variant':<42} | MRR@10 | answerable | R@1   | R@10  | vs shipped, 95% CI | "
        "MRR@10 no accents | loss   | ms/query |"
    )
    print(f"|{'-' * 44}|--------|------------|-------|-------|--------------------|"
          "-------------------|--------|----------|")  # fmt: skip
    for row in rows:
        a, s = row["accents"], row["stripped"]
        versus = (
            paired_bootstrap(a["reciprocal_ranks"], shipped["accents"]["reciprocal_ranks"])
            if shipped is not None and row is not shipped
            else ""
        )
        answered = np.asarray(a["reciprocal_ranks"])[answerable].mean()
        print(
            f"| {row['variant']:<42} | {a['mrr10']:.4f} | {answered:.4f}     | "
            f"{a['recall1']:.3f} | {a['recall10']:.3f} | {versus:<18} | "
            f"{s['mrr10']:.4f}            | {a['mrr10'] - s['mrr10']:+.4f} | "
            f"{a['ms_per_query']:8.1f} |"
        )


def paired_bootstrap(ours: list[float], theirs: list[float], rounds: int = 10_000) -> str:
    """The MRR@10 difference with a 95% interval from resampling the queries
    (the same resample for both: the pairs stay paired). Seed fixed."""
    differences = np.asarray(ours) - np.asarray(theirs)
    picks = np.random.default_rng(20261206).integers(0, len(differences),
                                                      (rounds, len(differences)))  # fmt: skip
    means = differences[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return f"{differences.mean():+.4f} [{low:+.4f}, {high:+.4f}]"


if __name__ == "__main__":
    main()
