"""The read side's public API: search an index, read an article, describe the index.

The CLI and the TUI use only this module (and :mod:`search.library` for the
write side); neither touches Whoosh. Results are plain frozen dataclasses
that are cheap to render and to turn into JSON.
"""

from __future__ import annotations

import functools
import pickle
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.reading import CorruptIndexError
from whoosh.searching import Searcher

from index.analysis import FRENCH_STOP_WORDS, fold
from index.articles import printable
from index.manifest import Manifest
from index.schema import TEXT_FIELDS
from index.store import (
    INDEX_NAME,
    IndexOutdated,
    IndexUnreadable,
    index_outdated,
    open_index,
    shortlist,
)
from search import grammar, stories, trend
from search.facets import (
    FACET_CACHE_PREFIX,
    SEGMENT_CACHE,
    FacetCounts,
    FacetTable,
    Granularity,
    UnknownCountry,
    resolve_country,
    segment_ids,
)
from search.filters import Filters
from search.i18n import _, ngettext
from search.keyness import Keyness, Related
from search.query import (
    FIELD_HELP,
    OPERATORS,
    FilterError,
    QueryCompiler,
    QuerySyntaxError,
    has_patterns,
    normalize_query,
    only_stop_words,
    unknown_fields,
)
from search.ranking import Mask, Ranker, Unsupported
from search.snippets import Snippet, Span, TermMatcher, make_snippet
from search.trend import Trend

Sort = Literal["relevance", "date"]
Unit = Literal["articles", "stories"]
MOST_COPIES = 20  # copy ids listed per collapsed hit
MOST_HIT_FACETS = 20  # countries, and persons, listed per hit
MOST_NAMED_PERSONS = 10  # persons a note names for a personne: that fits several

__all__ = [
    "Article",
    "Engine",
    "FacetCounts",
    "Filters",
    "Hit",
    "IndexStats",
    "QuerySyntaxError",
    "SearchResults",
    "Sort",
]


@dataclass(frozen=True)
class Hit:
    """One ranked result, with a highlighted snippet of its body."""

    rank: int
    id: str
    path: str
    title: str
    date: datetime | None
    date_source: str
    title_source: str
    source: str
    url: str
    score: float | None  # None when sorted by date: relevance was not computed
    snippet: Snippet
    title_highlights: tuple[Span, ...] = ()
    countries: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    # Collapsed results: the ids of the other matching articles of its story
    # (the same wire copy), at most MOST_COPIES of them, and how many there are.
    copies: tuple[str, ...] = ()
    copy_count: int = 0
    # How many countries and persons the article names: a hit lists the first
    # MOST_HIT_FACETS of each (a 20 MB article names thousands).
    country_count: int = 0
    person_count: int = 0


@dataclass(frozen=True)
class SearchResults:
    query: str
    total: int
    took_ms: float
    hits: list[Hit]
    offset: int = 0
    sort: Sort = "relevance"
    filters: Filters = field(default_factory=Filters)
    facets: FacetCounts | None = None
    # Why nothing was found, when the query itself says so (only stop words,
    # an unknown field name).
    hint: str | None = None
    # Collapsed into stories: ``total`` counts stories, ``articles`` articles.
    collapsed: bool = False
    articles: int = 0
    # What the query was read as, where it may surprise: which persons a
    # ``personne:`` name matched when it fits several.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """A whole stored article, with the query's matches marked in each text field."""

    id: str
    path: str
    title: str
    lead: str
    body: str
    date: datetime | None
    date_source: str
    title_source: str
    source: str
    url: str
    author: str
    section: str
    countries: tuple[str, ...]
    persons: tuple[str, ...]
    highlights: dict[str, tuple[Span, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexStats:
    directory: Path | str  # a cluster's index: its URL
    documents: int
    files: int
    segments: int
    size_bytes: int
    last_update: datetime | None
    roots: tuple[str, ...]


def _closest_word(reader: Any, word: str) -> str | None:
    """The index word nearest to *word*: fewest edits first (one, then two), then
    the most articles (``macrn`` → ``macron``, not the more frequent ``mars``)."""
    for distance in (1, 2):
        found = [
            t.decode("utf-8") if isinstance(t, bytes) else t
            for t in reader.terms_within("exact", word, distance, prefix=1)
        ]
        found = [t for t in found if t != word]
        if found:
            return max(found, key=lambda t: (reader.doc_frequency("exact", t), t))
    return None


def persons_notes(text: str, names: Callable[[str], list[str]]) -> tuple[str, ...]:
    """A note for each ``personne:`` name of *text* that fits several persons
    (*names* gives them): ``personne:Macron matches 3 persons: …``, the
    names in code-point order (the same list from any index)."""
    lowered = text.lower()
    if "person" not in lowered and "people" not in lowered:  # personne, persons too
        return ()  # most queries: not parsed again
    found = []
    for leaf in grammar.leaves(grammar.parse(text)):
        if isinstance(leaf, grammar.Word | grammar.Phrase) and leaf.field == "person":
            fitting = sorted(set(names(leaf.text)))
            if len(fitting) > 1:
                found.append(
                    ngettext(
                        "personne:{name} matches {count} person: {persons}",
                        "personne:{name} matches {count} persons: {persons}",
                        len(fitting),
                    ).format(name=leaf.text, count=len(fitting),
                             persons=shortlist(fitting, MOST_NAMED_PERSONS))
                )  # fmt: skip
    return tuple(found)


def explain_no_hits(text: str) -> str | None:
    """Why *text* found nothing, when the query itself says why."""
    if words := only_stop_words(text):
        return _(
            "only common words ({words}), which are not indexed: "
            "add a word that says what you are looking for"
        ).format(words=", ".join(words))
    if names := unknown_fields(text):
        return _("{name}: is not a field, so it was searched as a word (fields: {fields})").format(
            name=names[0], fields=FIELD_HELP
        )
    return None


def hit_snippet(body: str, lead: str, m: TermMatcher) -> Snippet:
    """A hit's snippet: the body around its matches, else the lead's, else the body's start."""
    spans = m.first_spans(body)
    if not spans and lead:
        snippet = make_snippet(lead, m.first_spans(lead))
    else:
        snippet = make_snippet(body, spans)
    # Only what is shown is made printable: a hit must not cost a pass over
    # a huge body (replacements keep lengths, so the highlights stay valid).
    return Snippet(printable(snippet.text), snippet.highlights)


def _displayable(stored: dict[str, Any]) -> dict[str, Any]:
    """Stored fields with no control character in the text a client shows (an index
    written before ingestion dropped them); ids and paths stay as they are, to
    find the article and its file again."""
    return {
        k: printable(v) if isinstance(v, str) and k not in ("id", "path") else v
        for k, v in stored.items()
    }


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


def _positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    """The leaves a query looks for, negated parts left out."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot):
        yield from _positive_leaves(q.a)
    elif q.is_leaf():
        yield q
    else:
        for child in q.children():
            yield from _positive_leaves(child)


def query_matcher(q: wq.Query, reader: Any) -> TermMatcher:
    """What to mark in an article for *q*: its index terms (wildcards expanded),
    and its phrases as phrases, so that ``"gilets jaunes"`` marks the phrase
    and never a lone ``jaune``."""
    terms: list[tuple[str, str]] = []
    phrases: list[tuple[tuple[str, ...], int]] = []
    for leaf in _positive_leaves(q):
        if isinstance(leaf, wq.Phrase):
            if leaf.fieldname in TEXT_FIELDS:
                phrases.append((tuple(leaf.words), leaf.slop))
            continue
        for fieldname, text in leaf.existing_terms(reader, phrases=True, expand=True):
            if fieldname in TEXT_FIELDS:
                terms.append((fieldname, text.decode("utf-8") if isinstance(text, bytes) else text))
    return TermMatcher.from_terms(terms, phrases)


def _preload_long_unions(q: wq.Query) -> wq.Query:
    """Score long OR queries with Whoosh's array matcher: same hits and scores,
    measured 1.5x faster on 3-5-word OR queries (slower on short ones)."""
    if isinstance(q, wq.Or) and len(q.subqueries) >= 3:
        q.matcher_type = wq.Or.ARRAY_MATCHER
    return q


# What reading a damaged index raises (truncated or overwritten files).
DAMAGED_INDEX_ERRORS = (
    CorruptIndexError,
    EOFError,
    OSError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    UnicodeDecodeError,
)

R = TypeVar("R")


def _damage_is_reported(method: Callable[..., R]) -> Callable[..., R]:
    """A damaged index fails with :class:`IndexUnreadable` (naming the fix), not a traceback."""

    @functools.wraps(method)
    def wrapper(self: Engine, *args: Any, **kwargs: Any) -> R:
        try:
            return method(self, *args, **kwargs)
        except DAMAGED_INDEX_ERRORS as error:
            raise _unreadable(self.directory, error) from error

    return wrapper


def _unreadable(directory: Path, error: Exception) -> IndexUnreadable:
    return IndexUnreadable(directory, f"{type(error).__name__}: {error}")


class Engine:
    """A searchable index. Cheap to query repeatedly; call :meth:`close` when done."""

    def __init__(self, directory: Path, *, numpy_ranking: bool = True) -> None:
        """*numpy_ranking* ``False`` sends every query through Whoosh's own matchers,
        the reference :mod:`search.ranking` reproduces (tests compare the two)."""
        self.directory = Path(directory)
        self._numpy_ranking = numpy_ranking
        if index_outdated(self.directory):
            raise IndexOutdated(self.directory, Manifest.schema_version_of(self.directory))
        self._index = open_index(self.directory)
        try:
            self._searcher: Searcher = self._index.searcher()
        except DAMAGED_INDEX_ERRORS as error:
            self._index.close()
            raise _unreadable(self.directory, error) from error
        self._stamp = self._commit_stamp()
        self._parser = QueryCompiler(self._index.schema)
        # Which articles match (for the total and the facets) only needs the
        # stemmed field: an exact or title match is always a stemmed match too,
        # and one field is several times cheaper to walk than three.
        self._match_parser = QueryCompiler(self._index.schema, fields=("content",))
        self._facet_table: FacetTable | None = None
        self._ranker: Ranker | None = None
        self._keyness: Keyness | None = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # The ranker holds arrays over the segments' memory maps: let go of them
        # first, so that closing a map does not find it still in use.
        self._ranker = None
        self._searcher.close()
        self._index.close()

    def _commit_stamp(self) -> tuple[int, int, int] | None:
        """The identity of the commit this engine reads (its table of contents file).
        Whoosh compares generation numbers only, and a rebuild starts them again."""
        toc = self.directory / f"_{INDEX_NAME}_{self._searcher.reader().generation()}.toc"
        try:
            found = toc.stat()
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def refresh(self) -> bool:
        """Pick up a newer committed state of the index; ``True`` if there was one."""
        if self._searcher.up_to_date() and self._commit_stamp() == self._stamp:
            return False
        self._ranker = None  # before the old segments' maps close (see close)
        # A new searcher, not Whoosh's ``refresh()``: that one keeps the old
        # reader's segments that the new commit no longer lists, so after a
        # merge the merged segments' articles were counted twice.
        stale, self._searcher = self._searcher, self._index.searcher()
        stale.close()
        self._stamp = self._commit_stamp()
        self._facet_table = None
        self._keyness = None
        return True

    @property
    def facet_table(self) -> FacetTable:
        """Built on first use after each index change, then kept on disk beside the index.

        Reading every article's facet values takes about a second for the
        whole OrangeSum corpus, so each segment's values are kept on disk too:
        after an incremental update only the new segment is read. Loading the
        saved table takes a few tens of milliseconds, which keeps a fresh
        ``search query`` process fast.
        """
        if self._facet_table is None:
            reader = self._searcher.reader()
            cache = self.directory / f"{FACET_CACHE_PREFIX}{reader.generation()}.npz"
            self._facet_table = FacetTable.load(cache)
            if self._facet_table is not None and self._facet_table.segments != segment_ids(reader):
                # An index rebuilt from scratch counts its generations from 0
                # again: the table of the same number may be the old index's.
                self._facet_table = None
            if self._facet_table is None:
                segments = self.directory / SEGMENT_CACHE
                self._facet_table = FacetTable(reader, segments)
                self._facet_table.save(cache)
        return self._facet_table

    # --- Queries ----------------------------------------------------------------

    def parse(self, text: str) -> wq.Query:
        """The parsed query; raises :class:`QuerySyntaxError` with a one-line reason.

        An empty query matches every article (to browse by facets).
        """
        if not text.strip():
            return wq.Every()
        return self._parser.parse(text).accept(self._resolve_facet_terms)

    def _matching(self, text: str, ranked: wq.Query) -> wq.Query:
        """A cheaper query matching exactly the articles *ranked* matches."""
        if not text.strip() or has_patterns(ranked):
            return ranked
        return self._match_parser.parse(text).accept(self._resolve_facet_terms)

    def _resolve_facet_terms(self, q: wq.Query) -> wq.Query:
        """``pays:finlande`` → ``country:FI``; ``person:Stoltenberg`` → all its keys."""
        if not isinstance(q, wq.Term) or q.fieldname not in ("country", "person"):
            return q
        text = q.text.decode("utf-8") if isinstance(q.text, bytes) else str(q.text)
        if q.fieldname == "country":
            try:
                return wq.Term("country", resolve_country(text), boost=q.boost)
            except UnknownCountry as error:
                raise QuerySyntaxError(str(error)) from None
        keys = self.facet_table.person_keys(text)
        if len(keys) == 1:
            return wq.Term("person", keys[0], boost=q.boost)
        # One person named counts once, however many keys hold the name (Emmanuel
        # and Brigitte Macron): the cluster scores ``personne:`` the same way.
        return wq.ConstantScoreQuery(wq.Or([wq.Term("person", k) for k in keys]), q.boost)

    def notes(self, text: str) -> tuple[str, ...]:
        """Which persons each ``personne:`` name of *text* matched, where it fits
        several (``personne:Macron``: Emmanuel, Brigitte and a lone "Macron")."""
        table = self.facet_table

        def names(name: str) -> list[str]:
            return [table.display[k] for k in table.person_keys(name) if k in table.display]

        return persons_notes(text, names)

    @_damage_is_reported
    def suggest(self, text: str) -> str | None:
        """A spelling correction from the index's own words (``Finlnde`` → ``finlande``).

        Only plain words are corrected; operators, phrases and fields are kept.
        Suggestions come from the unstemmed ``exact`` field, so they are words.
        """
        reader = self._searcher.reader()
        changed = False
        words = []
        for word in normalize_query(text).split():
            folded = fold(word)
            plain = word.isalpha() and word not in OPERATORS and len(word) > 2
            unknown = plain and folded not in FRENCH_STOP_WORDS
            unknown = unknown and not reader.frequency("exact", folded)
            if unknown and (found := _closest_word(reader, folded)):
                words.append(found)
                changed = True
            else:
                words.append(word)
        return " ".join(words) if changed else None

    def filter_query(self, filters: Filters) -> wq.Query | None:
        """The Whoosh query for a drill-down, or ``None`` when nothing is filtered."""
        parts = self._facet_filters(filters)
        if filters.since or filters.until:
            start = datetime.combine(filters.since, datetime.min.time()) if filters.since else None
            end = datetime.combine(filters.until, datetime.max.time()) if filters.until else None
            parts.append(wq.DateRange("date", start, end))
        return wq.And(parts) if parts else None

    def _facet_filters(self, filters: Filters) -> list[wq.Query]:
        parts: list[wq.Query] = []
        try:
            codes = [resolve_country(c) for c in filters.countries]
        except UnknownCountry as error:
            raise FilterError("country", str(error)) from None
        if codes:
            parts.append(wq.Or([wq.Term("country", c) for c in codes]))
        if filters.persons:
            keys = [k for p in filters.persons for k in self.facet_table.person_keys(p)]
            parts.append(wq.Or([wq.Term("person", k) for k in keys]))
        return parts

    def _filter_mask(self, ranker: Ranker, filters: Filters) -> Mask | None:
        """The drill-down as a mask over document numbers (dates from the facet table)."""
        if not filters:
            return None
        mask = np.ones(ranker.size, dtype=bool)
        for part in self._facet_filters(filters):
            mask &= ranker.evaluate(part)[0]
        if filters.since or filters.until:
            days = self.facet_table.day_numbers()
            mask &= days > 0
            if filters.since:
                mask &= days >= filters.since.toordinal()
            if filters.until:
                mask &= days <= filters.until.toordinal()
        return mask

    @property
    def ranker(self) -> Ranker | None:
        """The numpy scorer for this index version, or ``None`` if it cannot reproduce
        this index's weighting."""
        if self._ranker is None and self._numpy_ranking:
            try:
                self._ranker = Ranker(self._searcher)
            except Unsupported:
                return None
        return self._ranker

    def matcher(self, q: wq.Query) -> TermMatcher:
        return query_matcher(q, self._searcher.reader())

    def text_matcher(self, text: str) -> TermMatcher:
        """What *text* marks in an article (a concordance's occurrences)."""
        return self.matcher(self.parse(text))

    @_damage_is_reported
    def search(
        self,
        text: str,
        *,
        limit: int = 10,
        offset: int = 0,
        sort: Sort = "relevance",
        filters: Filters | None = None,
        facets: bool = False,
        top: int = 10,
        granularity: Granularity = "month",
        collapse: bool = False,
        unit: Unit = "articles",
    ) -> SearchResults:
        """Ranked hits with snippets; with *facets*, counts over every match too
        (of articles, or of stories with *unit*). With *collapse*, each story
        (articles that are the same wire copy) shows once, as its best-ranked
        article, with the ids of its other matching copies."""
        started = time.perf_counter()
        filters = filters or Filters()
        q = self.parse(text)
        if collapse:
            return self._collapsed(
                text, q, limit=limit, offset=offset, sort=sort, filters=filters,
                facets=facets, top=top, granularity=granularity, unit=unit, started=started,
            )  # fmt: skip
        found = self._rank(q, filters, offset + limit) if sort == "relevance" else None
        if found is not None:
            page, docnums = found
            stored = self._searcher.reader().stored_fields
            ranked: list[tuple[dict[str, Any], float | None]] = [
                (stored(n), score) for n, score in page[offset:]
            ]
        else:
            ranked, docnums = self._page(q, filters, offset, limit, sort)
        matcher = self.matcher(q)
        # Snippets only for the page shown: highlighting is the costly part.
        hits = [
            self._hit(offset + rank, fields, score, matcher)
            for rank, (fields, score) in enumerate(ranked, 1)
        ]
        counts = None
        if facets:
            counts = replace(self.facet_table.count(
                self._in_unit(docnums, unit), top=top, granularity=granularity
            ), unit=unit)  # fmt: skip
        took_ms = (time.perf_counter() - started) * 1000
        hint = None if docnums else explain_no_hits(text)
        return SearchResults(
            text, len(docnums), took_ms, hits, offset, sort, filters, counts, hint,
            articles=len(docnums), notes=self.notes(text),
        )  # fmt: skip

    def _collapsed(
        self, text: str, q: wq.Query, *, limit: int, offset: int, sort: Sort, filters: Filters,
        facets: bool, top: int, granularity: Granularity, unit: Unit, started: float,
    ) -> SearchResults:  # fmt: skip
        """One hit per story: every match in rank (or date) order, the first
        article of each story kept. Linear in the matches, plus a sort."""
        docs, scores = self._ordered(q, filters, sort)
        story_of = self.facet_table.stories[docs]
        firsts = stories.first_positions(story_of)
        shown = firsts[offset : offset + limit]
        if len(shown):
            # Ties settled up to the page's last story (whole runs: the stories
            # before it, and each one's first article, are then fixed), then
            # the stories found again in that order.
            docs = self._settle_copies(docs, scores, 0, int(shown[-1]) + 1)
            story_of = self.facet_table.stories[docs]
            firsts = stories.first_positions(story_of)
        # Each story's matches, found by bisection: n log n whatever the page size.
        by_story = np.argsort(story_of, kind="stable")
        sorted_stories = story_of[by_story]
        stored = self._searcher.reader().stored_fields
        matcher = self.matcher(q)
        hits = []
        for rank, at in enumerate(firsts[offset : offset + limit].tolist(), offset + 1):
            low, high = np.searchsorted(sorted_stories, [story_of[at], story_of[at] + 1])
            others = by_story[low:high]
            others = others[others != at]
            score = None if scores is None else float(scores[at])
            hit = self._hit(rank, stored(int(docs[at])), score, matcher)
            copies = self._settle_copies(
                docs[others], None if scores is None else scores[others], 0, MOST_COPIES
            )
            ids = tuple(stored(d)["id"] for d in copies[:MOST_COPIES].tolist())
            hits.append(replace(hit, copies=ids, copy_count=len(others)))
        counts = None
        if facets:
            counts = replace(self.facet_table.count(
                self._in_unit(docs, unit), top=top, granularity=granularity
            ), unit=unit)  # fmt: skip
        took_ms = (time.perf_counter() - started) * 1000
        hint = None if len(docs) else explain_no_hits(text)
        return SearchResults(
            text, len(firsts), took_ms, hits, offset, sort, filters, counts, hint,
            collapsed=True, articles=len(docs), notes=self.notes(text),
        )  # fmt: skip

    def _in_unit(self, docnums: Sequence[int], unit: Unit) -> Any:
        """*docnums* as they count: every article, or each story's first
        publication among them (:meth:`search.facets.FacetTable.first_published`)."""
        if unit == "articles":
            return docnums
        docs = np.asarray(docnums, dtype=np.int64)
        docs = docs[np.argsort(self.facet_table.first_published[docs], kind="stable")]
        return stories.first_of_each(docs, self.facet_table.stories)

    @_damage_is_reported
    def copies(self, doc_id: str) -> list[Article]:
        """The other articles of *doc_id*'s story (the same wire copy), earliest
        first (then by text, then by id: the cluster's order too)."""
        reader = self._searcher.reader()
        docnum = self._searcher.document_number(id=doc_id)
        if docnum is None:
            return []
        table = self.facet_table
        story = int(table.stories[docnum])
        members = [d for d in stories.copies_of(story, table.stories) if d != docnum]
        members.sort(key=lambda d: table.first_published[d])
        # Copies of one text at one time: by id, as on the cluster.
        docs = self._settle_copies(np.array(members, dtype=np.int64), None)
        return [self._article(reader.stored_fields(d), None) for d in docs.tolist()]

    def _evaluate(self, q: wq.Query, filters: Filters) -> tuple[Ranker, Mask, Any] | None:
        """Which documents match *q* and *filters*, and their scores, by
        :mod:`search.ranking`; ``None`` for queries only Whoosh can run."""
        ranker = self.ranker
        if ranker is None or isinstance(q, wq.Every):
            return None
        try:
            mask, scores = ranker.evaluate(q)
        except Unsupported:
            return None
        restrict = self._filter_mask(ranker, filters)
        if restrict is not None:
            mask &= restrict
        return ranker, mask, scores

    def _rank(
        self, q: wq.Query, filters: Filters, count: int
    ) -> tuple[list[tuple[int, float]], list[int]] | None:
        """The best *count* documents and every match, by :mod:`search.ranking`;
        ``None`` for queries only Whoosh can run."""
        found = self._evaluate(q, filters)
        if found is None:
            return None
        ranker, mask, scores = found
        table = self.facet_table
        page = ranker.top(mask, scores, count, table.tie_order)
        docs = np.array([d for d, _ in page], dtype=np.int64)
        values = np.array([v for _, v in page], dtype=np.float64)
        if len(docs) == count > 0:
            # Copies tied with the last place (same score, date and text) may lie
            # past the page: their order is settled with them.
            last = docs[-1]
            tied = np.flatnonzero(
                mask & (scores == values[-1]) & (table.days == table.days[last])
                & (table.seconds == table.seconds[last])
                & (table.sample_keys == table.sample_keys[last])
            )  # fmt: skip
            more = np.setdiff1d(tied, docs)
            docs = np.concatenate((docs, more))
            values = np.concatenate((values, np.full(len(more), values[-1])))
        docs = self._settle_copies(docs, values)[:count]
        best = [(int(d), float(v)) for d, v in zip(docs, values, strict=False)]
        return best, np.flatnonzero(mask).tolist()

    def _settle_copies(
        self, docs: Any, scores: Any, start: int = 0, stop: int | None = None
    ) -> Any:
        """*docs*, in rank (or date) order, or any order that keeps copies side
        by side, with each run of copies tied on everything (same score, date
        and text) that meets ``docs[start:stop]`` put in the order of their
        ids. The tie order leaves those in index order, which depends on how
        the index was built; their ids do not (the cluster sorts them by id
        too). Only the runs met are read."""
        table = self.facet_table
        stop = len(docs) if stop is None else min(stop, len(docs))
        if stop - start < 1 or len(docs) < 2:
            return docs
        days, seconds, keys = table.days[docs], table.seconds[docs], table.sample_keys[docs]
        same = (days[1:] == days[:-1]) & (seconds[1:] == seconds[:-1]) & (keys[1:] == keys[:-1])
        if scores is not None:
            same &= scores[1:] == scores[:-1]
        if not same.any():
            return docs
        bounds = np.concatenate(([0], np.flatnonzero(~same) + 1, [len(docs)]))
        first = int(np.searchsorted(bounds, start, side="right")) - 1
        last = int(np.searchsorted(bounds, stop - 1, side="right")) - 1
        runs = np.flatnonzero(np.diff(bounds)[first : last + 1] > 1) + first
        if not len(runs):
            return docs
        docs = docs.copy()
        stored = self._searcher.reader().stored_fields
        for run in runs.tolist():
            low, high = int(bounds[run]), int(bounds[run + 1])
            docs[low:high] = sorted(docs[low:high].tolist(), key=lambda d: stored(d)["id"])
        return docs

    def _ordered(self, q: wq.Query, filters: Filters, sort: Sort) -> tuple[Any, Any]:
        """Every match, best first (or newest first): document numbers and scores
        (``None`` by date) as arrays, never a Python object per match."""
        if sort == "date":
            found = self._evaluate(q, filters)
            if found is not None:
                docnums = np.flatnonzero(found[1])
            else:
                restrict = self.filter_query(filters)
                docnums = np.array(self._docnums(q, restrict), dtype=np.int64)
            # The tie order is newest first already (then by text).
            return docnums[np.argsort(self.facet_table.tie_order[docnums], kind="stable")], None
        found = self._evaluate(q, filters)
        if found is not None:
            ranker, mask, scores = found
            return ranker.ordered(mask, scores, self.facet_table.tie_order)
        restrict = self.filter_query(filters)
        kwargs: dict[str, Any] = {"filter": restrict} if restrict is not None else {}
        results = self._searcher.search(_preload_long_unions(q), limit=None, **kwargs)
        pairs = results.top_n
        docs = np.fromiter((d for _, d in pairs), dtype=np.int64, count=len(pairs))
        scores = np.fromiter((s for s, _ in pairs), dtype=np.float64, count=len(pairs))
        order = np.lexsort((self.facet_table.tie_order[docs], -scores))
        return docs[order], scores[order]

    def _page(
        self, q: wq.Query, filters: Filters, offset: int, limit: int, sort: Sort
    ) -> tuple[list[tuple[dict[str, Any], float | None]], list[int]]:
        """A page of every match in :meth:`_ordered`'s order, and every match:
        for what :meth:`_rank` cannot do (dates, and queries only Whoosh runs)."""
        docs, scores = self._ordered(q, filters, sort)
        docs = self._settle_copies(docs, scores, offset, offset + limit)
        stored = self._searcher.reader().stored_fields
        page = docs[offset : offset + limit].tolist()
        ranked = [
            (stored(d), None if scores is None else float(scores[at]))
            for at, d in enumerate(page, offset)
        ]
        return ranked, docs.tolist()

    @_damage_is_reported
    def all_matches(
        self, text: str, *, filters: Filters | None = None, sort: Sort = "relevance"
    ) -> list[tuple[int, float | None]]:
        """Every article matching *text* and *filters*, best first (or newest first):
        ``(document number, score)`` pairs, for :meth:`article_at`. A pair per match,
        never an article's text: exporting a million matches stays light."""
        docs, scores = self._ordered(self.parse(text), filters or Filters(), sort)
        docs = self._settle_copies(docs, scores)
        if scores is None:
            return [(d, None) for d in docs.tolist()]
        return list(zip(docs.tolist(), scores.tolist(), strict=True))

    def matching_articles(
        self, text: str, *, filters: Filters | None = None, sort: Sort = "relevance"
    ) -> tuple[int, Iterator[tuple[Article, float | None]]]:
        """How many articles match, and each of them with its score, best first
        (or newest first), read one at a time as the iterator is consumed: an
        export of a million matches stays light. The cluster engine has the same."""
        matches = self.all_matches(text, filters=filters, sort=sort)
        return len(matches), ((self.article_at(d), score) for d, score in matches)

    @_damage_is_reported
    def article_at(self, docnum: int) -> Article:
        """The stored article with document number *docnum* (from :meth:`all_matches`)."""
        return self._article(self._searcher.reader().stored_fields(docnum), None)

    @_damage_is_reported
    def facets(
        self,
        text: str = "",
        *,
        filters: Filters | None = None,
        top: int = 10,
        granularity: Granularity = "month",
        unit: Unit = "articles",
    ) -> FacetCounts:
        """Country, person and date counts over every article (or story) matching
        *text* and *filters*."""
        docnums = self._in_unit(self._matches(text, filters or Filters()), unit)
        counts = self.facet_table.count(docnums, top=top, granularity=granularity)
        return replace(counts, unit=unit)

    @_damage_is_reported
    def trend(
        self,
        queries: Sequence[str],
        *,
        labels: Sequence[str] = (),
        filters: Filters | None = None,
        granularity: Granularity | None = None,
        base: str = "",
        unit: Unit = "articles",
        file_dates: bool = False,
    ) -> Trend:
        """Matches of each query per period, and their share of all the articles
        of the period (of the articles matching *base*, when given).

        *filters* narrow the matches; only their dates narrow the base, so that
        ``--country FI`` gives the share of the whole month's news, not of the
        news about Finland. *granularity* ``None`` chooses one from the span.
        Articles dated only by their file's modification time are left out of
        the timeline (counted as undated) unless *file_dates*.
        """
        filters = filters or Filters()
        window = Filters(since=filters.since, until=filters.until)
        names = [*labels, *queries[len(labels) :]]
        return trend.count(
            self.facet_table.day_numbers(file_dates),
            self._in_unit(self._matches(base, window), unit),
            [
                (n, q, self._in_unit(self._matches(q, filters), unit))
                for n, q in zip(names, queries, strict=True)
            ],
            granularity=granularity,
            since=filters.since,
            until=filters.until,
            base_query=base,
            unit=unit,
        )

    @_damage_is_reported
    def related(self, text: str, *, filters: Filters | None = None, top: int = 20) -> Related:
        """Words, expressions, persons and countries over-represented in the
        articles matching *text* (see :mod:`search.keyness`)."""
        matches = sorted(self._matches(text, filters or Filters()))
        if self._keyness is None:
            self._keyness = Keyness(
                self._searcher.reader(), self.ranker, self._matches("", Filters()),
                self.facet_table,
            )  # fmt: skip
        return self._keyness.related(text, matches, self.text_matcher(text), top)

    def _matches(self, text: str, filters: Filters) -> list[int]:
        """The document numbers of every article matching *text* and *filters*."""
        q = self.parse(text)
        found = self._rank(q, filters, 0)
        if found is not None:
            return found[1]
        return self._docnums(self._matching(text, q), self.filter_query(filters))

    def _docnums(self, q: wq.Query, restrict: wq.Query | None) -> list[int]:
        if restrict is not None:
            q = wq.And([q, restrict])
        if isinstance(q, wq.Every):
            # Every live document: the ranker keeps them as a mask per index
            # version; Whoosh checks each document for deletion, ~1 µs apiece.
            ranker = self.ranker
            if ranker is not None:
                return np.flatnonzero(ranker.alive).tolist()
            return list(self._searcher.reader().all_doc_ids())
        return list(self._searcher.docs_for_query(q))

    def _hit(self, rank: int, stored: dict[str, Any], score: float | None, m: TermMatcher) -> Hit:
        snippet = hit_snippet(stored.get("body", ""), stored.get("lead", ""), m)
        stored = _displayable({k: v for k, v in stored.items() if k not in ("body", "lead")})
        title = stored.get("title", "")
        countries, persons = _split(stored.get("country")), self._persons(stored)
        return Hit(
            rank=rank,
            id=stored["id"],
            path=stored.get("path", ""),
            title=title,
            date=stored.get("date"),
            date_source=stored.get("date_source", ""),
            title_source=stored.get("title_source", "metadata"),
            source=stored.get("source", ""),
            url=stored.get("url", ""),
            score=None if score is None else float(score),
            snippet=snippet,
            title_highlights=tuple(m.spans(title)),
            countries=countries[:MOST_HIT_FACETS],
            persons=persons[:MOST_HIT_FACETS],
            country_count=len(countries),
            person_count=len(persons),
        )

    def _persons(self, stored: dict[str, Any]) -> tuple[str, ...]:
        """Display names, merged across the corpus like the facet counts."""
        names = _split(stored.get("person_names"))
        table = self.facet_table
        return tuple(dict.fromkeys(table.canonical(n) for n in names))

    @_damage_is_reported
    def article(self, doc_id: str, text: str | None = None) -> Article | None:
        """The stored article *doc_id*, with the matches of query *text* marked."""
        stored = self._searcher.document(id=doc_id)
        return None if stored is None else self._article(stored, text)

    def _article(self, stored: dict[str, Any], text: str | None) -> Article:
        stored = _displayable(stored)
        matcher = self.text_matcher(text) if text else TermMatcher(frozenset(), frozenset())
        highlights = {
            name: tuple(matcher.spans(stored.get(name, ""))) for name in ("title", "lead", "body")
        }
        return Article(
            id=stored["id"],
            path=stored.get("path", ""),
            title=stored.get("title", ""),
            lead=stored.get("lead", ""),
            body=stored.get("body", ""),
            date=stored.get("date"),
            date_source=stored.get("date_source", ""),
            title_source=stored.get("title_source", "metadata"),
            source=stored.get("source", ""),
            url=stored.get("url", ""),
            author=stored.get("author", ""),
            section=stored.get("section", ""),
            countries=_split(stored.get("country")),
            persons=self._persons(stored),
            highlights=highlights,
        )

    @_damage_is_reported
    def ids(self, prefix: str) -> list[str]:
        """Document ids starting with *prefix* (to resolve a shortened id)."""
        reader = self._searcher.reader()
        found: Iterable[Any] = reader.expand_prefix("id", prefix)
        return [t.decode("utf-8") if isinstance(t, bytes) else t for t in found]

    # --- The index itself -------------------------------------------------------

    @_damage_is_reported
    def stats(self) -> IndexStats:
        with Manifest.load(self.directory) as manifest:
            files, roots, stamp = manifest.files_with_articles(), manifest.roots, manifest.updated
        size = sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())
        updated = datetime.fromtimestamp(stamp) if stamp else None
        return IndexStats(
            directory=self.directory,
            documents=self._searcher.doc_count(),
            files=files,
            segments=len(self._index._segments()),
            size_bytes=size,
            last_update=updated,
            roots=tuple(roots),
        )
