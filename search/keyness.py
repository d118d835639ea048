"""What the matches talk about: words, two-word expressions, persons and
countries over-represented in the articles matching a query, compared with
the rest of the index.

The statistic is Dunning's log-likelihood ratio G² (as TXM's and AntConc's
keyword lists, and Elasticsearch's significant terms, compare a foreground
with a background), computed on **document** counts: how many matching
articles use a word against how many of the others do. Counting articles,
not occurrences, keeps one article that repeats a word thirty times from
passing for a trend. Only over-represented items are kept.

Cost. Matching articles are read (stored text, tokenised with the
highlighter's cached analysis) up to :data:`SAMPLE` of them, evenly spread
over the matches; beyond, word counts inside are first estimated from that
sample, then the best candidates are counted exactly from the index's
postings. Counts outside come from the index's document frequencies, so
single words are exact. Two-word expressions have no postings: they are
counted in the sample of matches against a fixed sample of the index
(:data:`BACKGROUND` articles), and reported as such. Persons and countries
come from the facet table, exactly.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from index.analysis import TOKEN_PATTERN
from search.facets import FacetTable, country_name
from search.snippets import TermMatcher, analyse_word

SAMPLE = 120  # matching articles read at most
BACKGROUND = 600  # articles of the whole index read once, for expressions
REFINED = 40  # single words counted exactly before the final ranking
# Characters of each article read (title and lead first): the cost per
# article stays bounded, whatever its length; news puts its substance first.
TEXT_CHARS = 3_000
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def g2(inside: float, size_in: float, outside: float, size_out: float) -> float:
    """Dunning's G² for a 2×2 table of documents: *inside* of *size_in* matching
    articles hold the item, *outside* of *size_out* others do."""
    cells = [
        (inside, size_in, inside + outside),
        (size_in - inside, size_in, size_in + size_out - inside - outside),
        (outside, size_out, inside + outside),
        (size_out - outside, size_out, size_in + size_out - inside - outside),
    ]
    total = size_in + size_out
    found = 0.0
    for observed, row, column in cells:
        expected = row * column / total if total else 0.0
        if observed > 0 and expected > 0:
            found += observed * math.log(observed / expected)
    return 2 * found


# G² above this is significant at p < 0.05 (χ² with one degree of freedom):
# below it, an item's surplus in the matches could be chance.
SIGNIFICANT = 3.84


def keyness(inside: float, size_in: float, outside: float, size_out: float) -> float | None:
    """G² when the item is significantly more frequent in the matches than
    elsewhere; ``None`` otherwise (under-represented, or possibly chance)."""
    if size_in <= 0 or (size_out and inside / size_in <= outside / size_out):
        return None
    score = g2(inside, size_in, outside, size_out)
    return score if score >= SIGNIFICANT else None


Scored = tuple[float, Any, float, float]  # (G², key, inside, outside)


def ranked(items: Iterable[Scored]) -> list[Scored]:
    """Highest G² first; among equals the most frequent in the matches, then A to Z."""
    return sorted(items, key=lambda item: (-item[0], -item[2], str(item[1])))


@dataclass(frozen=True)
class Keyword:
    text: str  # as the articles write it (the most frequent form)
    key: str  # what it was counted as: a stem, two stems, a person key, an ISO code
    g2: float
    inside: int  # matching articles that hold it
    outside: int  # other articles that do


@dataclass(frozen=True)
class Related:
    query: str
    matches: int
    documents: int
    read: int  # matching articles read (all of them up to SAMPLE)
    background: int  # other articles the expressions were compared with
    words: list[Keyword] = field(default_factory=list)
    expressions: list[Keyword] = field(default_factory=list)
    persons: list[Keyword] = field(default_factory=list)
    countries: list[Keyword] = field(default_factory=list)


@dataclass
class _Reading:
    """Which stems and stem pairs each article read holds, and how they are written."""

    stems: list[set[str]] = field(default_factory=list)
    pairs: list[set[tuple[str, str]]] = field(default_factory=list)
    forms: Counter[tuple[str, str]] = field(default_factory=Counter)  # (stem, form)
    pair_forms: Counter[tuple[tuple[str, str], str]] = field(default_factory=Counter)

    def spellings(self, keys: Iterable[Any]) -> dict[Any, str]:
        """The most frequent spelling of each of *keys* (stems and pairs); among
        equals the lowercase one (a word capitalised at the start of a sentence
        is the same word)."""
        wanted = set(keys)
        best: dict[Any, tuple[int, bool, str]] = {}
        for table in (self.forms, self.pair_forms):
            for (key, spelling), n in table.items():
                if key in wanted:
                    rank = (n, spelling.islower(), spelling)
                    if key not in best or rank > best[key]:
                        best[key] = rank
        return {key: rank[2] for key, rank in best.items()}


# The word after a hyphen: part of a compound, it pairs with nothing.
_HYPHENATED = ("", "", False)
_WORDS: dict[str, tuple[str, str, bool] | None] = {}


def _word(raw: str) -> tuple[str, str, bool] | None:
    """(stem, form as written without its elided article, elided?) of a token;
    ``None`` for stop words and tokens without a letter. Cached per form."""
    found = _WORDS.get(raw, False)
    if found is False:
        analysed = analyse_word(raw)
        found = None
        if analysed is not None and _LETTER.search(raw) and len(analysed[2]) > 1:
            found = (analysed[2], raw[analysed[0] :], analysed[0] > 0)
        if len(_WORDS) < 500_000:
            _WORDS[raw] = found
    return found  # type: ignore[return-value]


def _read(texts: Iterable[str], skip: frozenset[str], reading: _Reading) -> None:
    """Tokenise each text as the index does. Two words make a pair when only
    spaces separate them: no punctuation, no stop word, no elision between,
    and neither is part of a hyphenated word (``Jean-Luc Mélenchon`` makes
    no ``Luc Mélenchon``)."""
    forms: list[tuple[str, str]] = []
    pair_forms: list[tuple[tuple[str, str], str]] = []
    add_form, add_pair_form = forms.append, pair_forms.append
    cache, tokens = _WORDS, TOKEN_PATTERN.finditer
    for text in texts:
        stems: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        previous: tuple[str, str, bool] | None = None
        pending: tuple[tuple[str, str], str] | None = None  # a pair, until what follows
        end = 0
        for match in tokens(text):
            start = match.start()
            gap = text[end:start]
            end = match.end()
            joined = not gap or gap.isspace()
            if pending is not None:
                if joined or "-" not in gap:  # no hyphen after its second word
                    pairs.add(pending[0])
                    add_pair_form(pending)
                pending = None
            if not joined:
                # Punctuation: no pair across it; a hyphen also takes the next word.
                previous = _HYPHENATED if "-" in gap else None
            raw = match.group()
            word = cache[raw] if raw in cache else _word(raw)
            if word is None or word[0] in skip:
                previous = None
                continue
            stems.add(word[0])
            add_form(word[:2])
            if previous is not None and previous is not _HYPHENATED and not word[2]:
                pending = ((previous[0], word[0]), f"{previous[1]} {word[1]}")
            previous = None if previous is _HYPHENATED else word
        if pending is not None:
            pairs.add(pending[0])
            add_pair_form(pending)
        reading.stems.append(stems)
        reading.pairs.append(pairs)
    reading.forms.update(forms)
    reading.pair_forms.update(pair_forms)


def _spread(docs: Sequence[int], most: int) -> list[int]:
    """At most *most* of *docs*, evenly spaced over them: deterministic, and not
    bunched in one part of the archive (document order follows indexing order)."""
    if len(docs) <= most:
        return list(docs)
    step = len(docs) / most
    return [docs[int(i * step)] for i in range(most)]


class Keyness:
    """Per index version: the background sample for expressions (read once), the
    facet values' document counts over the whole index (counted once)."""

    def __init__(self, reader: Any, ranker: Any, live: Sequence[int], table: FacetTable) -> None:
        self.reader, self.ranker, self.table = reader, ranker, table
        self.live = list(live)
        self._background: tuple[list[int], _Reading, Counter[tuple[str, str]]] | None = None
        self._frequencies: dict[str, int] = {}
        everything = np.asarray(self.live, dtype=np.int64)
        self.person_totals = table.persons.counts(everything)
        self.country_totals = table.countries.counts(everything)

    def related(self, query: str, matches: Sequence[int], matcher: TermMatcher,
                top: int) -> Related:  # fmt: skip
        """Everything over-represented in *matches* (document numbers, sorted)."""
        read_docs = _spread(matches, SAMPLE)
        reading = _Reading()
        _read(self.texts(read_docs), query_stems(matcher), reading)
        expressions, background = self.expressions(matches, reading, len(read_docs), top)
        docs = np.asarray(matches, dtype=np.int64)
        documents, table = len(self.live), self.table
        return Related(
            query=query,
            matches=len(matches),
            documents=documents,
            read=len(read_docs),
            background=background,
            words=self.words(matches, reading, len(read_docs), top),
            expressions=expressions,
            persons=self.facet(table.persons, self.person_totals, docs, table.display, top),
            countries=self.facet(table.countries, self.country_totals, docs, self.names, top),
        )

    @cached_property
    def names(self) -> dict[str, str]:
        return {code: country_name(code) for code in self.table.countries.vocab}

    def facet(
        self, values: Any, totals: Any, docs: Any, labels: dict[str, str], top: int
    ) -> list[Keyword]:
        """Facet values (persons, countries) by G², from exact document counts."""
        documents, size_in = len(self.live), len(docs)
        inside = values.counts(docs)
        found: list[Scored] = []
        for i in np.flatnonzero(inside >= 2).tolist():
            a, b = int(inside[i]), int(totals[i] - inside[i])
            score = keyness(a, size_in, b, documents - size_in)
            if score is not None:
                found.append((score, values.vocab[i], a, b))
        return [
            Keyword(str(labels.get(value, value)), value, round(score, 1), int(a), int(b))
            for score, value, a, b in ranked(found)[:top]
        ]

    def texts(self, docs: Iterable[int]) -> Iterable[str]:
        stored = self.reader.stored_fields
        for doc in docs:
            fields = stored(doc)
            text = " ".join(fields.get(name, "") for name in ("title", "lead", "body"))
            if len(text) > TEXT_CHARS:
                cut = text.rfind(" ", 0, TEXT_CHARS)
                text = text[: cut if cut > 0 else TEXT_CHARS]
            yield text

    def background(self) -> tuple[list[int], _Reading, Counter[tuple[str, str]]]:
        """The fixed sample of the index, read once: its articles, what they hold,
        and in how many of them each pair occurs."""
        if self._background is None:
            docs = _spread(self.live, BACKGROUND)
            reading = _Reading()
            _read(self.texts(docs), frozenset(), reading)
            pair_df = Counter(pair for pairs in reading.pairs for pair in pairs)
            self._background = (docs, reading, pair_df)
        return self._background

    def doc_frequency(self, stem: str) -> int:
        """Articles of the index holding *stem* (kept: the same words come back)."""
        found = self._frequencies.get(stem)
        if found is None:
            found = self._frequencies[stem] = self.reader.doc_frequency("content", stem)
        return found

    def words(
        self, matches: Sequence[int], reading: _Reading, read: int, top: int
    ) -> list[Keyword]:
        """Single words by G²: estimated from the articles read, then, when not
        every match was read, counted exactly for the best :data:`REFINED`."""
        documents, size_in = len(self.live), len(matches)
        size_out = documents - size_in
        scale = size_in / read if read else 0.0
        sample_df = Counter(stem for stems in reading.stems for stem in stems)
        least = 2 if read < 50 else 3
        best: list[tuple[float, str, float, float]] = []  # a min-heap of REFINED
        # Most frequent first: a word's G² is at most what it would be if no
        # other article held it, and that bound falls with its count, so the
        # scan stops once the bound cannot enter the best.
        for stem, n in sorted(sample_df.items(), key=lambda item: -item[1]):
            if n < least:
                break
            inside = n * scale
            if len(best) == REFINED and g2(inside, size_in, 0, size_out) <= best[0][0]:
                break
            outside = max(0.0, self.doc_frequency(stem) - inside)
            score = keyness(inside, size_in, outside, size_out)
            if score is not None:
                item = (score, stem, inside, outside)
                if len(best) < REFINED:
                    heapq.heappush(best, item)
                elif item > best[0]:
                    heapq.heapreplace(best, item)
        candidates = ranked(best)
        if read < size_in and self.ranker is not None:
            mask = np.zeros(self.ranker.size, dtype=bool)
            mask[np.asarray(matches, dtype=np.int64)] = True
            alive = self.ranker.alive
            refined = []
            for _, stem, _, _ in candidates:
                docs, _ = self.ranker.postings("content", stem)
                held = docs[alive[docs]]
                inside = int(np.count_nonzero(mask[held]))
                outside = len(held) - inside
                score = keyness(inside, size_in, outside, size_out)
                if score is not None:
                    refined.append((score, stem, inside, outside))
            candidates = ranked(refined)
        candidates = candidates[:top]
        spelling = reading.spellings(stem for _, stem, _, _ in candidates)
        return [
            Keyword(str(spelling.get(stem, stem)), stem, round(score, 1), round(a), round(b))
            for score, stem, a, b in candidates
        ]

    def expressions(
        self, matches: Sequence[int], reading: _Reading, read: int, top: int
    ) -> tuple[list[Keyword], int]:
        """Two-word expressions by G², in the articles read against the fixed
        sample of the index (less the matches it holds)."""
        docs, background, pair_df = self.background()
        inside_set = set(matches)
        matched = [i for i, doc in enumerate(docs) if doc in inside_set]
        in_matched = Counter(p for i in matched for p in background.pairs[i])
        size_out = len(docs) - len(matched)
        sample_df = Counter(pair for pairs in reading.pairs for pair in pairs)
        least = 2 if read < 50 else 3
        found: list[Scored] = []
        for pair, inside in sample_df.items():
            if inside < least:
                continue
            outside = pair_df.get(pair, 0) - in_matched.get(pair, 0)
            score = keyness(inside, read, outside, size_out)
            if score is not None:
                found.append((score, pair, inside, outside))
        best = ranked(found)[:top]
        spelling = reading.spellings(pair for _, pair, _, _ in best)
        keywords = [
            Keyword(
                spelling.get(pair, " ".join(pair)), " ".join(pair), round(score, 1), int(a), int(b)
            )
            for score, pair, a, b in best
        ]
        return keywords, size_out


def query_stems(matcher: TermMatcher) -> frozenset[str]:
    """The query's own words, left out of what it talks about."""
    return (
        frozenset(matcher.stems)
        | frozenset(stem for phrase, _ in matcher.phrases for stem in phrase)
        | frozenset(analysed[2] for word in matcher.words if (analysed := analyse_word(word)))
    )
