"""The read side on a cluster: the local engine's interface and plain types.

:class:`ClusterEngine` answers ``query``, ``show``, ``facets`` and ``stats``
with the same :mod:`search.engine` dataclasses as the local engine, so the
CLI renders both alike. Snippets and highlights are made here from the hit's
text with the local highlighter, so they mark what the local engine marks.

Counting: totals are exact (``track_total_hits``). Facet counts come from
``terms`` aggregations whose ``shard_size`` covers every value a shard holds
(up to :data:`cluster.persons.EXACT_VALUES`), so no shard leaves a value out; the
response's ``doc_count_error_upper_bound`` is checked, and a count that may
be off is an error rather than a quietly wrong number. Relevance uses
``dfs_query_then_fetch``: the term statistics of the whole index, not of one
shard, as the local engine has them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from cluster import scroll
from cluster.connection import DEFAULT_INDEX_NAME, ClusterProblem, connect, explain
from cluster.documents import FORMAT, index_format
from cluster.persons import (
    EXACT_VALUES,
    SEPARATOR,
    TERMS_PER_QUERY,
    canonical_keys,
    display_names,
    literal,
)
from cluster.related import ClusterCollection, ClusterMatches, texts_of
from cluster.translate import matcher, positive_leaves, to_dsl
from index.articles import printable
from index.persons import person_key
from search import grammar, keyness, periods, trend
from search.config import cluster_index_url
from search.engine import (
    MOST_COPIES,
    MOST_HIT_FACETS,
    Article,
    Hit,
    IndexStats,
    SearchResults,
    explain_no_hits,
    hit_snippet,
    persons_notes,
)
from search.facets import FILE_DATE as FILE_DATE_BYTES
from search.facets import (
    FacetCounts,
    FacetValue,
    Granularity,
    UnknownCountry,
    country_name,
    resolve_country,
)
from search.filters import Filters
from search.i18n import _, number
from search.query import FilterError
from search.snippets import TermMatcher

FILE_DATE = FILE_DATE_BYTES.decode()  # an article dated only by its file's modification time
SCROLL_PAGE = 500  # hits per page of an export
_INTERVALS = {"day": "day", "week": "week", "month": "month", "year": "year"}
_SOURCE = ["article_id", "path", "title", "lead", "body", "date", "date_source", "title_source",
           "source", "url", "author", "section", "country", "person", "person_alias"]  # fmt: skip


class ClusterEngine:
    """A cluster index, searched with the query language of the local engine."""

    def __init__(self, url: str, index: str = DEFAULT_INDEX_NAME) -> None:
        self.url, self.index = url, index
        self.directory = cluster_index_url(url, index)
        self.client = connect(url)
        made = self._call(index_format, client=self.client, index=index)
        if made is None:
            missing = _("no index {index} (push articles with search index PATH --cluster {url})")
            raise ClusterProblem(url, missing.format(index=repr(index), url=url))
        if made != FORMAT:
            raise ClusterProblem(url, (
                _("index {index} was not made by search") if made == 0 else
                _("index {index} was made by a newer version of search") if made > FORMAT else
                _("index {index} was made by an older version of search: push once to bring "
                  "it up to date (search index PATH --cluster {url})")
            ).format(index=repr(index), url=url))  # fmt: skip
        self._names: dict[str, str] = {}  # person key -> name shown, as the index has it
        self._seen: tuple[int, int, int] | None = None  # what refresh() last saw
        self._collection: ClusterCollection | None = None  # related's view of the index

    def __enter__(self) -> ClusterEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def refresh(self) -> bool:
        """Whether the index changed since the last call (a push, from anywhere):
        its writes and deletions so far, as the primaries count them."""
        stats = self._call(self.client.indices.stats, index=self.index, metric="docs,indexing")
        primaries = stats["indices"][self.index]["primaries"]
        seen = (primaries["docs"]["count"], primaries["indexing"]["index_total"],
                primaries["indexing"]["delete_total"])  # fmt: skip
        changed = self._seen is not None and seen != self._seen
        self._seen = seen
        if changed:  # what was kept about the whole index may be out of date
            self._names.clear()  # a push may change the spelling most articles use
            self._collection = None
        return changed

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        """Whatever the cluster or its client raises, as the one line a user sees."""
        try:
            yield
        except Exception as error:
            raise ClusterProblem(self.url, explain(error)) from error

    def _call(self, method: Any, **kwargs: Any) -> Any:
        with self._answering():
            return method(**kwargs)

    # --- Queries ----------------------------------------------------------------------

    def _query(self, text: str, filters: Filters) -> tuple[dict[str, Any], grammar.Node | None]:
        tree = grammar.parse(text) if text.strip() else grammar.Every()
        query = to_dsl(tree)
        clauses = self._filters(filters)
        if clauses:
            query = {"bool": {"must": [query], "filter": clauses}}
        return query, tree

    def _filters(self, filters: Filters) -> list[dict[str, Any]]:
        clauses: list[dict[str, Any]] = []
        try:
            codes = [resolve_country(c) for c in filters.countries]
        except UnknownCountry as error:
            raise FilterError("country", str(error)) from None
        if codes:
            clauses.append({"terms": {"country": codes}})
        if filters.persons:
            clauses.append({"bool": {"should": [to_dsl(grammar.Word(p, "person"))
                                                for p in filters.persons],
                                     "minimum_should_match": 1}})  # fmt: skip
        if filters.since or filters.until:
            bounds = {}
            if filters.since:
                bounds["gte"] = filters.since.isoformat()
            if filters.until:
                bounds["lte"] = f"{filters.until.isoformat()}T23:59:59.999"
            clauses.append({"range": {"date": bounds}})
        return clauses

    def search(
        self, text: str, *, limit: int = 10, offset: int = 0, sort: str = "relevance",
        filters: Filters | None = None, facets: bool = False, top: int = 10,
        granularity: Granularity = "month", collapse: bool = False, unit: str = "articles",
    ) -> SearchResults:  # fmt: skip
        """Ranked hits, as the local engine's. With *collapse*, each story shows
        once (``collapse`` on ``story``: its best-ranked match), with its other
        matches as ``inner_hits``; the total counts stories exactly."""
        filters = filters or Filters()
        query, tree = self._query(text, filters)
        body: dict[str, Any] = {
            "query": query, "from": offset, "size": limit, "track_total_hits": True,
            "_source": _SOURCE,
            "sort": _order(sort),
        }  # fmt: skip
        body["aggs"] = {}
        if collapse:
            body["collapse"] = {"field": "story", "inner_hits": {
                "name": "copies", "size": MOST_COPIES + 1, "_source": ["article_id"],
                "sort": _order(sort)}}  # fmt: skip
            body["aggs"] = _story_count_aggregations()
        if facets:
            counted = self._in_unit(query, unit)
            body["aggs"]["counted"] = {"filter": counted,
                                       "aggs": _aggregations(top, granularity)}  # fmt: skip
        if not body["aggs"]:
            del body["aggs"]
        found = self._call(self.client.search, index=self.index, body=body,
                           search_type="dfs_query_then_fetch")  # fmt: skip
        marks = matcher(tree)
        aggs = found["aggregations"]["counted"] if facets else None
        names = self.person_names(
            [key for item in found["hits"]["hits"] for key in canonical_keys(item["_source"])]
            + _top_persons(aggs)
        )  # fmt: skip
        hits = [
            _with_copies(_hit(rank, item, marks, sort, names), item) if collapse
            else _hit(rank, item, marks, sort, names)
            for rank, item in enumerate(found["hits"]["hits"], offset + 1)
        ]  # fmt: skip
        articles = int(found["hits"]["total"]["value"])
        total = self._story_count(query, found["aggregations"]) if collapse else articles
        counts = _facet_counts(aggs, granularity, self.url, names, unit) if facets else None
        return SearchResults(
            text, total, float(found.get("took", 0)), hits, offset, sort, filters,  # type: ignore[arg-type]
            counts, None if total else explain_no_hits(text), collapsed=collapse,
            articles=articles, notes=persons_notes(text, self._persons_named),
        )  # fmt: skip

    # --- Stories (cluster.stories keeps each document's story up to date) --------------

    def _story_count(self, query: dict[str, Any], aggs: dict[str, Any]) -> int:
        """How many stories the matches of *query* make, from the search's
        :func:`_story_count_aggregations`: the matches alone in their story,
        plus the distinct stories of the others. Those come listed whole with
        the hits where they are few (nothing left in ``sum_other_doc_count``);
        otherwise a composite aggregation pages through them (a composite
        cannot sit under the ``filter``: the cluster ignores the filter then)."""
        stories = aggs["grouped"]["stories"]
        alone = int(aggs["alone"]["doc_count"])
        if not stories["sum_other_doc_count"]:
            return alone + len(stories["buckets"])
        grouped = {"bool": {"filter": [query, _GROUPED]}}
        with self._answering():
            found = scroll.buckets(self.client, self.index, ["story"], grouped)
            return alone + sum(1 for _ in found)

    def _in_unit(self, query: dict[str, Any], unit: str) -> dict[str, Any]:
        """*query* as it counts: every match, or with *unit* ``stories`` each
        story's first publication among the matches, as the local engine picks
        it (:meth:`search.facets.FacetTable.first_published`)."""
        if unit == "articles":
            return query
        grouped = {"bool": {"filter": [query, _GROUPED]}}
        first = {"first": {"top_hits": {"size": 1, "sort": _FIRST_PUBLISHED, "_source": False}}}
        with self._answering():
            firsts = [bucket["first"]["hits"]["hits"][0]["_id"] for bucket in scroll.buckets(
                self.client, self.index, ["story"], grouped, first)]  # fmt: skip
        chosen: list[dict[str, Any]] = [{"bool": {"filter": [query], "must_not": [_GROUPED]}}]
        chosen += [{"ids": {"values": firsts[at : at + TERMS_PER_QUERY]}}
                   for at in range(0, len(firsts), TERMS_PER_QUERY)]  # fmt: skip
        return {"bool": {"should": chosen, "minimum_should_match": 1}}

    def _persons_named(self, name: str) -> list[str]:
        """The persons ``personne:NAME`` finds, as the local engine lists them:
        every key holding the name's words, in order, and the surnames merged
        into those."""
        words = person_key(name)
        if not words:
            return []
        keys = list(self.values({"match_all": {}}, "person",
                                only=f"(.+ )?{literal(words)}( .+)?"))  # fmt: skip
        merges = [f"{key.rsplit(' ', 1)[1]}{SEPARATOR}{key}" for key in keys if " " in key]
        if merges:
            merged = self.values({"match_all": {}}, "person_alias", only=merges)
            keys += [pair.split(SEPARATOR, 1)[0] for pair in merged]
        names = self.person_names(keys)
        return [names.get(k, k) for k in keys]

    def suggest(self, text: str) -> str | None:
        return None

    def facets(
        self, text: str = "", *, filters: Filters | None = None, top: int = 10,
        granularity: Granularity = "month", unit: str = "articles",
    ) -> FacetCounts:  # fmt: skip
        query, _ = self._query(text, filters or Filters())
        body = {"query": self._in_unit(query, unit), "size": 0, "track_total_hits": True,
                "aggs": _aggregations(top, granularity)}  # fmt: skip
        aggs = self._call(self.client.search, index=self.index, body=body).get("aggregations")
        names = self.person_names(_top_persons(aggs))
        return _facet_counts(aggs, granularity, self.url, names, unit)

    def related(
        self, text: str, *, filters: Filters | None = None, top: int = 20
    ) -> keyness.Related:
        """As the local engine's (:mod:`cluster.related` says what differs)."""
        query, tree = self._query(text, filters or Filters())
        if self._collection is None:
            self._collection = ClusterCollection(self)
        matches = ClusterMatches(self, self._collection, query)
        return keyness.related(text, matcher(tree), top, self._collection, matches)

    # Counts and samples, for related.

    def count(self, query: dict[str, Any]) -> int:
        return int(self._call(self.client.count, index=self.index, body={"query": query})["count"])

    def sample(self, query: dict[str, Any], most: int) -> tuple[list[str], list[str]]:
        """Ids and texts of at most *most* matches of *query*: those of smallest
        ``sample_key``, as the local engine reads them (ties: reading order)."""
        body = {"query": query, "size": most, "_source": ["title", "lead", "body"],
                "sort": [{"sample_key": "asc"}, {"order": "asc"}]}  # fmt: skip
        found = self._call(self.client.search, index=self.index, body=body)["hits"]["hits"]
        return [item["_id"] for item in found], [texts_of(item["_source"]) for item in found]

    def among(self, query: dict[str, Any], ids: Sequence[str]) -> set[str]:
        """Which of the articles *ids* match *query*."""
        body = {"query": {"bool": {"filter": [query, {"ids": {"values": list(ids)}}]}},
                "size": len(ids), "_source": False}  # fmt: skip
        found = self._call(self.client.search, index=self.index, body=body)["hits"]["hits"]
        return {item["_id"] for item in found}

    def holding(self, query: dict[str, Any], stems: Sequence[str]) -> dict[str, int]:
        """How many matches of *query* hold each of *stems* (analysed words)."""
        filters = {str(n): {"term": {"content": stem}} for n, stem in enumerate(stems)}
        body = {"query": query, "size": 0, "aggs": {"held": {"filters": {"filters": filters}}}}
        buckets = self._call(self.client.search, index=self.index,
                             body=body)["aggregations"]["held"]["buckets"]  # fmt: skip
        return {stem: int(buckets[str(n)]["doc_count"]) for n, stem in enumerate(stems)}

    def values(
        self, query: dict[str, Any], field: str, *, least: int = 1,
        only: list[str] | str | None = None,
    ) -> dict[str, int]:  # fmt: skip
        """Each value of keyword *field* held by at least *least* matches (of
        *only*, a list or a pattern, if given), with its count: exact, or an error."""
        terms: dict[str, Any] = {"field": field, "min_doc_count": least,
                                 "size": EXACT_VALUES, "shard_size": EXACT_VALUES}
        if only is not None:
            terms["include"] = only
        body = {"query": query, "size": 0, "aggs": {"values": {"terms": terms}}}
        found = self._call(self.client.search, index=self.index, body=body)["aggregations"]
        if found["values"].get("doc_count_error_upper_bound", 0) or found["values"].get(
            "sum_other_doc_count", 0
        ):
            raise ClusterProblem(self.url, _("the {field} counts may be inexact (more than "
                                             "{most} values)").format(
                field=field, most=number(EXACT_VALUES)))  # fmt: skip
        return {b["key"]: int(b["doc_count"]) for b in found["values"]["buckets"]}

    def person_names(self, keys: list[str]) -> dict[str, str]:
        """The names shown for person *keys*, asked of the cluster once each."""
        wanted = {k for k in keys if k not in self._names}
        if wanted:
            self._names.update(self._call(display_names, client=self.client, index=self.index,
                                          keys=wanted))  # fmt: skip
        return self._names

    def trend(
        self, queries: Sequence[str], *, labels: Sequence[str] = (),
        filters: Filters | None = None, granularity: Granularity | None = None,
        base: str = "", unit: str = "articles", file_dates: bool = False,
    ) -> trend.Trend:  # fmt: skip
        """As the local engine's, from a day-by-day histogram of each query's
        matches inside the base (and of the base): the periods, gaps and shares
        are then reckoned by the local code, so they are the same numbers."""
        filters = filters or Filters()
        window = Filters(since=filters.since, until=filters.until)
        base_query, _ = self._query(base, window)
        names = [*labels, *queries[len(labels) :]]
        series = []
        for name, text in zip(names, queries, strict=True):
            query, _ = self._query(text, filters)
            inside = {"bool": {"must": [query], "filter": [base_query]}}
            series.append((name, text, self._days(self._in_unit(inside, unit), file_dates)))
        base_query = self._in_unit(base_query, unit)
        return trend.from_days(
            self._days(base_query, file_dates), series, granularity=granularity,
            since=filters.since, until=filters.until, base_query=base, unit=unit,
        )  # fmt: skip

    def _days(self, query: dict[str, Any], file_dates: bool) -> Any:
        """A day number per matching article (0: undated, or dated only by its
        file's modification time unless *file_dates*), from one histogram."""
        import numpy as np

        days_agg: dict[str, Any] = {"date_histogram": {
            "field": "date", "calendar_interval": "day", "min_doc_count": 1}}  # fmt: skip
        if not file_dates:  # date_source is kept for aggregations only (doc values)
            days_agg["aggs"] = {"by_file": {"terms": {"field": "date_source",
                                                      "include": [FILE_DATE]}}}  # fmt: skip
        body = {"query": query, "size": 0, "track_total_hits": True, "aggs": {"days": days_agg}}
        found = self._call(self.client.search, index=self.index, body=body)
        total = int(found["hits"]["total"]["value"])
        days, counts = [], []
        for bucket in found["aggregations"]["days"]["buckets"]:
            dated = int(bucket["doc_count"]) - (
                0 if file_dates else sum(int(b["doc_count"]) for b in bucket["by_file"]["buckets"])
            )
            days.append(_utc_day(bucket["key"]).toordinal())
            counts.append(dated)
        placed = np.repeat(np.asarray(days, dtype=np.int64), np.asarray(counts, dtype=np.int64))
        return np.concatenate([placed, np.zeros(total - len(placed), dtype=np.int64)])

    def text_matcher(self, text: str) -> TermMatcher:
        """What *text* marks in an article, for a concordance: its words and
        phrases. A wildcard or a fuzzy word is expanded against the index by
        the local engine; here it is refused rather than left out unsaid."""
        tree = grammar.parse(text) if text.strip() else None
        if tree is not None and any(
            isinstance(leaf, grammar.Pattern | grammar.Fuzzy) for leaf in positive_leaves(tree)
        ):
            raise FilterError("query", _("wildcards and fuzzy words are not concorded on a "
                                         "cluster yet: write the words out"))  # fmt: skip
        return matcher(tree)

    def article(self, doc_id: str, text: str | None = None) -> Article | None:
        body = {"query": {"term": {"article_id": doc_id}}, "size": 1, "_source": _SOURCE}
        found = self._call(self.client.search, index=self.index, body=body)["hits"]["hits"]
        if not found:
            return None
        source = found[0]["_source"]
        names = self.person_names(canonical_keys(source))
        return _article(source, matcher(grammar.parse(text)) if text else None, names)

    def matching_articles(
        self, text: str, *, filters: Filters | None = None, sort: str = "relevance"
    ) -> tuple[int, Iterator[tuple[Article, float | None]]]:
        """As the local engine's: the count, then the articles, streamed from a
        scroll of :data:`SCROLL_PAGE` hits at a time, in the order of ``query``."""
        query, _ = self._query(text, filters or Filters())
        total = self.count(query)
        body = {"query": query, "_source": _SOURCE, "sort": _order(sort)}

        def checked_pages() -> Iterator[list[dict[str, Any]]]:
            with self._answering():
                yield from scroll.pages(
                    self.client, self.index, body, SCROLL_PAGE,
                    search_type="dfs_query_then_fetch",
                )  # fmt: skip

        def articles() -> Iterator[tuple[Article, float | None]]:
            for page in checked_pages():
                names = self.person_names(
                    [key for item in page for key in canonical_keys(item["_source"])]
                )  # fmt: skip
                for item in page:
                    score = None if sort == "date" else float(item.get("_score") or 0.0)
                    yield _article(item["_source"], None, names), score

        return total, articles()

    def ids(self, prefix: str) -> list[str]:
        body = {"query": {"prefix": {"article_id": prefix}}, "size": 20, "_source": ["article_id"]}
        found = self._call(self.client.search, index=self.index, body=body)["hits"]["hits"]
        return [item["_source"]["article_id"] for item in found]

    def copies(self, doc_id: str) -> list[Article]:
        """The other articles of *doc_id*'s story, earliest first, as the local
        engine lists them."""
        body = {"query": {"term": {"article_id": doc_id}}, "size": 1, "_source": ["story"]}
        found = self._call(self.client.search, index=self.index, body=body)["hits"]["hits"]
        if not found:
            return []
        story = found[0]["_source"].get("story", doc_id)
        body = {"query": {"bool": {"filter": [{"term": {"story": story}}],
                                   "must_not": [{"term": {"article_id": doc_id}}]}},
                "_source": _SOURCE, "sort": _FIRST_PUBLISHED}  # fmt: skip
        with self._answering():
            members = [hit["_source"] for page in scroll.pages(self.client, self.index, body, 500)
                       for hit in page]  # fmt: skip
        names = self.person_names([k for source in members for k in canonical_keys(source)])
        return [_article(source, None, names) for source in members]

    def stats(self) -> IndexStats:
        count = self._call(self.client.count, index=self.index)["count"]
        files = self._call(self.client.search, index=self.index, body={
            "size": 0, "aggs": {"files": {"cardinality": {"field": "path"}}}})  # fmt: skip
        store = self._call(self.client.indices.stats, index=self.index, metric="store")
        size = store["indices"][self.index]["primaries"]["store"]["size_in_bytes"]
        return IndexStats(
            directory=self.directory, documents=int(count),
            files=int(files["aggregations"]["files"]["value"]), segments=0,
            size_bytes=int(size), last_update=None, roots=(),
        )  # fmt: skip

def _hit(rank: int, item: dict[str, Any], marks: Any, sort: str, names: dict[str, str]) -> Hit:
    source = item["_source"]
    title = printable(source.get("title", ""))
    countries = tuple(source.get("country", ()))
    persons = _persons(source, names)
    return Hit(
        rank=rank, id=source["article_id"], path=source["path"], title=title,
        date=_date(source.get("date")), date_source=source.get("date_source", ""),
        title_source=source.get("title_source", "metadata"),
        source=source.get("source", ""), url=source.get("url", ""),
        score=None if sort == "date" else float(item["_score"] or 0.0),
        snippet=hit_snippet(source.get("body", ""), source.get("lead", ""), marks),
        title_highlights=tuple(marks.spans(title)),
        countries=countries[:MOST_HIT_FACETS], persons=persons[:MOST_HIT_FACETS],
        country_count=len(countries), person_count=len(persons),
    )  # fmt: skip


# Documents in a story of two or more articles (cluster.stories).
_GROUPED = {"range": {"story_size": {"gte": 2}}}


# A story's articles earliest first (then by text, then by id): the local
# engine's FacetTable.first_published, and its order of copies.
_FIRST_PUBLISHED = [
    {"date": {"order": "asc", "missing": "_last"}},
    {"sample_key": {"order": "asc", "missing": "_last"}},
    {"article_id": {"order": "asc"}},
]


def _order(sort: str) -> list[Any]:
    """The local engine's order (:meth:`search.facets.FacetTable.tie_order`):
    equal scores newest first, then by sample key (from the text), then copies
    of one text by id (the local engine compares its own ids, the same order
    for an archive pushed from the folders it indexed)."""
    ties = [
        {"date": {"order": "desc", "missing": "_last"}},
        {"sample_key": {"order": "asc", "missing": "_last"}},
        {"article_id": {"order": "asc"}},
    ]
    return ties if sort == "date" else ["_score", *ties]


def _persons(source: dict[str, Any], names: dict[str, str]) -> tuple[str, ...]:
    """An article's persons as the local engine shows them: merged across the
    index, under the name most articles use."""
    return tuple(dict.fromkeys(names.get(k, k) for k in canonical_keys(source)))


def _article(
    source: dict[str, Any], marks: TermMatcher | None, names: dict[str, str]
) -> Article:
    """An article from its cluster document; *marks*: what to highlight in it."""
    parts = {name: printable(source.get(name, "")) for name in ("title", "lead", "body")}
    return Article(
        id=source["article_id"], path=source["path"], **parts, date=_date(source.get("date")),
        date_source=source.get("date_source", ""),
        title_source=source.get("title_source", "metadata"),
        source=source.get("source", ""), url=source.get("url", ""),
        author=source.get("author", ""), section=source.get("section", ""),
        countries=tuple(source.get("country", ())),
        persons=_persons(source, names),
        highlights={name: tuple(marks.spans(value)) if marks else ()
                    for name, value in parts.items()},
    )  # fmt: skip


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)


def _aggregations(top: int, granularity: Granularity) -> dict[str, Any]:
    def terms(field: str) -> dict[str, Any]:
        return {"terms": {"field": field, "size": top, "shard_size": EXACT_VALUES,
                          "order": [{"_count": "desc"}, {"_key": "asc"}]}}  # fmt: skip

    return {
        "countries": terms("country"),
        "persons": terms("person_canonical"),
        "dates": {"date_histogram": {"field": "date",
                                     "calendar_interval": _INTERVALS[granularity],
                                     "min_doc_count": 1}},
    }  # fmt: skip


def _top_persons(aggs: dict[str, Any] | None) -> list[str]:
    return [b["key"] for b in aggs["persons"]["buckets"]] if aggs else []


def _story_count_aggregations() -> dict[str, Any]:
    """What :meth:`ClusterEngine._story_count` reads, asked with the hits."""
    return {
        "alone": {"filter": {"bool": {"must_not": [_GROUPED]}}},
        "grouped": {"filter": _GROUPED, "aggs": {"stories": {"terms": {
            "field": "story", "size": scroll.PAGE, "shard_size": scroll.PAGE}}}},
    }  # fmt: skip


def _with_copies(hit: Hit, item: dict[str, Any]) -> Hit:
    """A collapsed hit with the ids of its story's other matches."""
    inner = item["inner_hits"]["copies"]["hits"]
    others = [h["_source"]["article_id"] for h in inner["hits"]
              if h["_source"]["article_id"] != hit.id]  # fmt: skip
    return replace(hit, copies=tuple(others[:MOST_COPIES]),
                   copy_count=int(inner["total"]["value"]) - 1)  # fmt: skip


def _facet_counts(
    aggs: dict[str, Any] | None, granularity: Granularity, url: str, names: dict[str, str],
    unit: str = "articles",
) -> FacetCounts:  # fmt: skip
    if not aggs:
        return FacetCounts(granularity=granularity, unit=unit)
    for name in ("countries", "persons"):
        if aggs[name].get("doc_count_error_upper_bound", 0):
            raise ClusterProblem(url, _("the {field} counts may be inexact (a shard holds more "
                                        "than {most} values)").format(
                field=name, most=number(EXACT_VALUES)))  # fmt: skip
    dates = []
    for bucket in aggs["dates"]["buckets"]:
        day = _utc_day(bucket["key"])
        label = periods.label(periods.period_of(day, granularity), granularity)
        dates.append(FacetValue(label, label, int(bucket["doc_count"])))
    return FacetCounts(
        countries=[FacetValue(b["key"], country_name(b["key"]), int(b["doc_count"]))
                   for b in aggs["countries"]["buckets"]],
        persons=[FacetValue(names.get(b["key"], b["key"]), names.get(b["key"], b["key"]),
                            int(b["doc_count"])) for b in aggs["persons"]["buckets"]],
        dates=dates, granularity=granularity, unit=unit,
    )  # fmt: skip


def _utc_day(millis: int) -> date:
    return datetime.fromtimestamp(millis / 1000, UTC).date()


__all__ = ["ClusterEngine"]
