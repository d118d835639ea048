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
"""

from __future__ import annotations

import argparse
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


# The product's fields live in part "a", the alternatives in part "b": the
# two are built in parallel (one per core) over the same documents.
PARTS = ("a", "b")


def _part_schema(part: str) -> Any:
    schema = build_schema()
    alternatives = alternative_fields()
    if part == "a":
        schema.add("body_only", alternatives["body_only"])
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
        fields = document_fields(article)
        text = fields["content"]
        if part == "a":
            fields["body_only"] = article.body
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


_QUERY_SYNTAX = re.compile(r"[\"'()\[\]{}:^~*?+\-\\/]|\b(?:AND|OR|NOT|ET|OU|SAUF|TO)\b")


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
    boosts = VARIANTS[variant]
    if boosts is None:
        return QueryCompiler(ix.schema, any_word=True).parse(_QUERY_SYNTAX.sub(" ", text))
    return _or_query(ix.schema, boosts, text)


def evaluate(args: tuple[str, list[tuple[str, str]], str]) -> dict[str, Any]:
    directory, queries, variant = args
    boosts = VARIANTS[variant]
    part = "a" if boosts is None or set(boosts) <= set(_part_schema("a").names()) else "b"
    ix = open_dir(directory, indexname=part)
    out: dict[str, Any] = {"variant": variant}
    with ix.searcher() as searcher:
        bm25 = BM25(searcher)
        docnum = {(f["id"]): n for n, f in enumerate(searcher.reader().iter_docs()) for f in [f[1]]}
        for mode in ("accents", "stripped"):
            rr, hits10, started = 0.0, 0, time.perf_counter()
            for doc_id, heading in queries:
                text = unidecode(heading) if mode == "stripped" else heading
                scores = bm25.scores(flatten(_queries_for(ix, variant, text)))
                target = docnum[doc_id]
                rank = 1 + int(np.count_nonzero(scores > scores[target]))
                rank += int(np.count_nonzero(scores[:target] == scores[target]))
                if scores[target] > 0 and rank <= 10:
                    rr += 1.0 / rank
                    hits10 += 1
            n = len(queries)
            out[mode] = {
                "mrr10": rr / n,
                "recall10": hits10 / n,
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
    variants = [v for v in VARIANTS if not args.only or any(o in v for o in args.only)]
    jobs = [(str(directory), queries, v) for v in variants]
    with multiprocessing.Pool(args.procs) as pool:
        rows = pool.map(evaluate, jobs, chunksize=1)

    print(
        f"\nKnown-item search, {len(docs):,} articles, {len(queries):,} heading queries "
        f"(terms OR-ed), seed fixed"
    )
    print(f"| {'variant':<42} | MRR@10 | R@10  | MRR@10 no accents | loss   | ms/query |")
    print(f"|{'-' * 44}|--------|-------|-------------------|--------|----------|")
    for row in rows:
        a, s = row["accents"], row["stripped"]
        print(
            f"| {row['variant']:<42} | {a['mrr10']:.4f} | {a['recall10']:.3f} | "
            f"{s['mrr10']:.4f}            | {a['mrr10'] - s['mrr10']:+.4f} | "
            f"{a['ms_per_query']:8.1f} |"
        )


if __name__ == "__main__":
    main()
