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
highlighter's cached analysis) up to :data:`SAMPLE` of them, drawn by a
key made from each text's signature (:func:`by_sample_key`: the same
articles however the index was built, and on a cluster); beyond, word
counts inside are first estimated from that sample, then the best
candidates are counted exactly from the index's postings. Counts outside
come from the index's document frequencies, so single words are exact.
Two-word expressions have no postings: they are counted in the sample of
matches against a fixed sample of the index (:data:`BACKGROUND` articles,
drawn alike), and reported as such. Persons and countries
come from the facet table, exactly.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from index.analysis import TOKEN_PATTERN
from search.facets import FacetTable, country_name
from search.snippets import TermMatcher, analyse_word

SAMPLE = 120  # matching articles read at most
BACKGROUND = 600  # articles of the whole index read once, for expressions
# Single words counted exactly before the final ranking: the more, the less
# the top 20 depends on which articles the sample read (two samples, a
# cluster's and the local one, agreed on 0.77 of it with 40; see the README).
REFINED = 100
FREQUENCY_BATCH = 200  # words whose index frequency is asked at once
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
class Reading:
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


def _read(texts: Iterable[str], skip: frozenset[str], reading: Reading) -> None:
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


def by_sample_key(docs: Sequence[int], keys: Any, most: int) -> list[int]:
    """At most *most* of *docs*: those of smallest sample key
    (:func:`index.minhash.sample_keys`), in key order (ties: document order).
    The same articles however the index was built, and those a cluster reads
    for the same archive: it sorts its matches on the same key."""
    found = np.asarray(docs, dtype=np.int64)
    return found[np.lexsort((found, keys[found]))[:most]].tolist()


class Collection(Protocol):
    """The index side of ``related``: what holds for every query."""

    @property
    def documents(self) -> int:
        """Articles in the index."""

    def background(self) -> tuple[list[Any], Reading, Counter[tuple[str, str]]]:
        """A fixed sample of :data:`BACKGROUND` articles, read once: their ids,
        what they hold, and in how many of them each pair occurs."""

    def doc_frequencies(self, stems: Sequence[str]) -> list[int]:
        """Articles of the index holding each of *stems*."""


class Matches(Protocol):
    """The query side of ``related``: the articles matching one query."""

    count: int

    def texts(self, most: int) -> list[str]:
        """The text of at most *most* matching articles (each cut to
        :data:`TEXT_CHARS`), spread over the matches, not the first ones."""

    def among(self, docs: Sequence[Any]) -> set[Any]:
        """Which of *docs* (ids the collection gave) match."""

    def holding(self, stems: Sequence[str]) -> list[tuple[int, int]] | None:
        """Exact (matching, other) article counts of each of *stems*, or
        ``None`` where the index cannot count them."""

    def facet(self, kind: str) -> list[tuple[str, str, int, int]]:
        """Persons or countries held by at least two matches: (key, label,
        matching articles, articles of the index)."""


def related(
    query: str, matcher: TermMatcher, top: int, collection: Collection, matches: Matches
) -> Related:
    """Everything over-represented in *matches*: the same reckoning whatever
    the index (the local one, a cluster), from the counts and texts it gives."""
    texts = matches.texts(SAMPLE)
    reading = Reading()
    _read(texts, query_stems(matcher), reading)
    expressions, background = _expressions(collection, matches, reading, len(texts), top)
    documents = collection.documents
    return Related(
        query=query,
        matches=matches.count,
        documents=documents,
        read=len(texts),
        background=background,
        words=_words(collection, matches, reading, len(texts), top),
        expressions=expressions,
        persons=_facet(matches.facet("persons"), matches.count, documents, top),
        countries=_facet(matches.facet("countries"), matches.count, documents, top),
    )


def cut(text: str) -> str:
    """*text* up to :data:`TEXT_CHARS`, at a space."""
    if len(text) > TEXT_CHARS:
        at = text.rfind(" ", 0, TEXT_CHARS)
        text = text[: at if at > 0 else TEXT_CHARS]
    return text


def _facet(
    values: list[tuple[str, str, int, int]], size_in: int, documents: int, top: int
) -> list[Keyword]:
    """Facet values (persons, countries) by G², from exact document counts."""
    found: list[Scored] = []
    labels = {}
    for key, label, inside, total in values:
        score = keyness(inside, size_in, total - inside, documents - size_in)
        if score is not None:
            found.append((score, key, inside, total - inside))
            labels[key] = label
    return [
        Keyword(labels[key], key, round(score, 1), int(a), int(b))
        for score, key, a, b in ranked(found)[:top]
    ]


def _words(
    collection: Collection, matches: Matches, reading: Reading, read: int, top: int
) -> list[Keyword]:
    """Single words by G²: estimated from the articles read, then, when not
    every match was read, counted exactly for the best :data:`REFINED`."""
    size_in = matches.count
    size_out = collection.documents - size_in
    scale = size_in / read if read else 0.0
    sample_df = Counter(stem for stems in reading.stems for stem in stems)
    least = 2 if read < 50 else 3
    scored: list[Scored] = []
    tops: list[float] = []  # a min-heap of the REFINED best scores so far
    # Most frequent first (then A to Z: the same order whatever order the
    # articles were read in): a word's G² is at most what it would be if no
    # other article held it, and that bound falls with its count, so the
    # scan stops once the bound is below the best. Frequencies are asked
    # for a batch at a time (one request to a cluster).
    ordered = [(stem, n) for stem, n in sorted(sample_df.items(), key=lambda i: (-i[1], i[0]))
               if n >= least]  # fmt: skip
    for stem, n, frequency in _with_frequencies(collection, ordered):
        inside = n * scale
        if len(tops) == REFINED and g2(inside, size_in, 0, size_out) < tops[0]:
            break
        outside = max(0.0, frequency - inside)
        score = keyness(inside, size_in, outside, size_out)
        if score is not None:
            scored.append((score, stem, inside, outside))
            if len(tops) < REFINED:
                heapq.heappush(tops, score)
            elif score > tops[0]:
                heapq.heapreplace(tops, score)
    candidates = ranked(scored)[:REFINED]
    if read < size_in:
        exact = matches.holding([stem for _, stem, _, _ in candidates])
        if exact is not None:
            refined = []
            for (_, stem, _, _), (inside, outside) in zip(candidates, exact, strict=True):
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


def _with_frequencies(
    collection: Collection, words: list[tuple[str, int]]
) -> Iterator[tuple[str, int, int]]:
    """(stem, count, articles of the index holding it) for *words*, the
    frequencies asked a batch at a time, only as far as they are read."""
    for at in range(0, len(words), FREQUENCY_BATCH):
        batch = words[at : at + FREQUENCY_BATCH]
        frequencies = collection.doc_frequencies([stem for stem, _ in batch])
        for (stem, n), frequency in zip(batch, frequencies, strict=True):
            yield stem, n, frequency


def _expressions(
    collection: Collection, matches: Matches, reading: Reading, read: int, top: int
) -> tuple[list[Keyword], int]:
    """Two-word expressions by G², in the articles read against the fixed
    sample of the index (less the matches it holds)."""
    docs, background, pair_df = collection.background()
    inside_set = matches.among(docs)
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


def read_background(texts: Iterable[str]) -> tuple[Reading, Counter[tuple[str, str]]]:
    """The background sample read: what each article holds, and in how many
    of them each pair occurs."""
    reading = Reading()
    _read(texts, frozenset(), reading)
    return reading, Counter(pair for pairs in reading.pairs for pair in pairs)


class Keyness:
    """The local index as ``related`` reads it, per index version: the
    background sample (read once), the facet values' document counts over the
    whole index (counted once), words' document frequencies (kept)."""

    def __init__(self, reader: Any, ranker: Any, live: Sequence[int], table: FacetTable) -> None:
        self.reader, self.ranker, self.table = reader, ranker, table
        self.live = list(live)
        self._background: tuple[list[Any], Reading, Counter[tuple[str, str]]] | None = None
        self._frequencies: dict[str, int] = {}
        everything = np.asarray(self.live, dtype=np.int64)
        self.person_totals = table.persons.counts(everything)
        self.country_totals = table.countries.counts(everything)

    def related(self, query: str, matches: Sequence[int], matcher: TermMatcher,
                top: int) -> Related:  # fmt: skip
        """Everything over-represented in *matches* (document numbers, sorted)."""
        return related(query, matcher, top, self, _LocalMatches(self, matches))

    @property
    def documents(self) -> int:
        return len(self.live)

    @cached_property
    def names(self) -> dict[str, str]:
        return {code: country_name(code) for code in self.table.countries.vocab}

    def texts(self, docs: Iterable[int]) -> Iterable[str]:
        stored = self.reader.stored_fields
        for doc in docs:
            fields = stored(doc)
            yield cut(" ".join(fields.get(name, "") for name in ("title", "lead", "body")))

    def background(self) -> tuple[list[Any], Reading, Counter[tuple[str, str]]]:
        if self._background is None:
            docs = by_sample_key(self.live, self.table.sample_keys, BACKGROUND)
            self._background = (docs, *read_background(self.texts(docs)))
        return self._background

    def doc_frequencies(self, stems: Sequence[str]) -> list[int]:
        found = []
        for stem in stems:  # kept: the same words come back
            frequency = self._frequencies.get(stem)
            if frequency is None:
                frequency = self._frequencies[stem] = self.reader.doc_frequency("content", stem)
            found.append(frequency)
        return found


class _LocalMatches:
    """The matches of one query in the local index: document numbers, sorted."""

    def __init__(self, keyness: Keyness, docs: Sequence[int]) -> None:
        self.keyness, self.docs, self.count = keyness, docs, len(docs)

    def texts(self, most: int) -> list[str]:
        return list(self.keyness.texts(by_sample_key(self.docs, self.keyness.table.sample_keys,
                                                     most)))  # fmt: skip

    def among(self, docs: Sequence[Any]) -> set[Any]:
        return set(docs) & set(self.docs)

    def holding(self, stems: Sequence[str]) -> list[tuple[int, int]] | None:
        ranker = self.keyness.ranker
        if ranker is None:
            return None
        mask = np.zeros(ranker.size, dtype=bool)
        mask[np.asarray(self.docs, dtype=np.int64)] = True
        found = []
        for stem in stems:
            docs, _ = ranker.postings("content", stem)
            held = docs[ranker.alive[docs]]
            inside = int(np.count_nonzero(mask[held]))
            found.append((inside, len(held) - inside))
        return found

    def facet(self, kind: str) -> list[tuple[str, str, int, int]]:
        table, keyness = self.keyness.table, self.keyness
        values, totals, labels = (
            (table.persons, keyness.person_totals, table.display) if kind == "persons"
            else (table.countries, keyness.country_totals, keyness.names)
        )  # fmt: skip
        inside = values.counts(np.asarray(self.docs, dtype=np.int64))
        return [
            (values.vocab[i], str(labels.get(values.vocab[i], values.vocab[i])),
             int(inside[i]), int(totals[i]))
            for i in np.flatnonzero(inside >= 2).tolist()
        ]  # fmt: skip


def query_stems(matcher: TermMatcher) -> frozenset[str]:
    """The query's own words, left out of what it talks about."""
    return (
        frozenset(matcher.stems)
        | frozenset(stem for phrase, _ in matcher.phrases for stem in phrase)
        | frozenset(analysed[2] for word in matcher.words if (analysed := analyse_word(word)))
    )
