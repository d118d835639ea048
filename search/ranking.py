"""Whoosh's own ranking (BM25F), computed over whole posting lists with numpy.

Whoosh scores a query by walking its matchers one posting at a time in
Python: ~100 ms for one common word over the three default fields, 0.3 s for
a 5-word OR on the whole OrangeSum corpus. Users type queries live, so the
plain queries people type most (words, AND, OR, NOT, field terms) are scored
here instead, with the same formula and statistics as Whoosh
(``tests/test_ranking.py`` checks the top hits and scores against Whoosh's).
Equal scores are not left in document-number order, which depends on how the
index was built, but put in the order the engine gives (newest first, then
by text: :meth:`search.facets.FacetTable.tie_order`).
One pass gives the ranked page, the total and the documents to count facets
over. Exact phrases are matched here too, on positions stored as arrays
(:meth:`Ranker.phrase`). Anything else (phrases with slop, phrases on an
index without flat postings, wildcards, fuzzy terms, ranges) goes to Whoosh.

Posting lists are read from each segment's flat postings
(:mod:`index.flat_postings`, arrays in the memory map) or, for segments
written before those existed, decoded from Whoosh's blocks; either way once per
index version, kept in a small cache: typing a query re-uses the words typed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from index.flat_postings import FlatPostings

Mask = npt.NDArray[np.bool_]
Scores = npt.NDArray[np.float64]

# Postings kept decoded (about 12 bytes each): enough for a session's words.
CACHE_POSTINGS = 4_000_000

# Field length bytes → lengths, as Whoosh decodes them.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class Unsupported(Exception):
    """A query this module does not score; the caller asks Whoosh."""


class Ranker:
    """Scores queries against one searcher (one committed version of the index)."""

    def __init__(self, searcher: Any) -> None:
        weighting = searcher.weighting
        if type(weighting) is not BM25F or weighting._field_B:
            raise Unsupported("only Whoosh's default BM25F is reproduced")
        self.B, self.K1 = weighting.B, weighting.K1
        self.searcher = searcher
        self.schema = searcher.schema
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        self._segments: list[tuple[Any, int]] = reader.leaf_readers()
        # Each segment's postings as arrays in the memory map (None: decode them).
        self._flat = [FlatPostings.of(leaf) for leaf, _ in self._segments]
        self.alive: Mask = np.ones(self.size, dtype=bool)
        if reader.has_deletions():
            self.alive[:] = False
            self.alive[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        self._lengths: dict[str, Any] = {}  # field -> each document's length code
        self._postings: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()
        self._cached = 0

    # --- Reading the index ------------------------------------------------------

    def lengths(self, fieldname: str, docs: Any) -> Scores:
        """The (quantised) length of *fieldname* in each of *docs*.

        Every document's one-byte length code is kept (a byte per document,
        not a float), and only the codes of *docs* are decoded.
        """
        codes = self._lengths.get(fieldname)
        if codes is None:
            codes = np.zeros(self.size, dtype=np.uint8)  # code 0: length 0
            for reader, offset in self._segments:
                count = reader.doc_count_all()
                column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if column is None:
                    continue
                raw = column._dbfile.get(column._basepos, min(column._count, count))
                codes[offset : offset + len(raw)] = np.frombuffer(raw, dtype=np.uint8)
            self._lengths[fieldname] = codes
        return _LENGTHS[codes[docs]]

    def postings(self, fieldname: str, text: str) -> tuple[Any, Any]:
        """(document numbers, term frequencies) of a term, over all segments."""
        key = (fieldname, text)
        hit = self._postings.get(key)
        if hit is not None:
            self._postings.move_to_end(key)
            return hit
        docs, freqs = [], []
        for (reader, offset), flat in zip(self._segments, self._flat, strict=True):
            key = _flat_key(reader, fieldname, text)
            if key is _ABSENT:
                continue
            found = flat.postings(key) if flat is not None and key is not None else None
            d, f = found if found is not None else _decode(reader.postings(fieldname, text))
            docs.append(d.astype(np.int64) + offset)
            freqs.append(f.astype(np.float64))
        found = (
            (np.concatenate(docs), np.concatenate(freqs))
            if docs
            else (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        )
        self._postings[key] = found
        self._cached += len(found[0])
        while self._cached > CACHE_POSTINGS and len(self._postings) > 1:
            _, (old, _) = self._postings.popitem(last=False)
            self._cached -= len(old)
        return found

    def phrase_matches(self, fieldname: str, words: list[str], candidates: Any) -> Any:
        """Which of *candidates* (sorted document numbers holding every word) have
        *words* at consecutive positions of *fieldname*.

        Per segment and word, the positions of the candidates only are gathered
        from the flat postings as ``candidate << 32 | position - i`` (sorted,
        since postings and positions are), and the phrase is where every word's
        keys meet: binary searches of one sorted array in the other, n log n in
        the positions gathered.
        """
        matched = []
        bounds = np.searchsorted(candidates, [offset for _, offset in self._segments] + [self.size])
        for n, ((reader, offset), flat) in enumerate(zip(self._segments, self._flat, strict=True)):
            local = candidates[bounds[n] : bounds[n + 1]] - offset
            if not len(local):
                continue
            keys = None
            if flat is None:
                raise Unsupported("positions not stored as arrays")
            for i, word in enumerate(words):
                key = _flat_key(reader, fieldname, word)
                stored = flat.positions(key) if isinstance(key, int) else None
                if stored is not None:
                    found = flat.postings(key)
                    assert found is not None  # stored under the same key
                    docs, ends, positions = found[0], *stored
                else:  # a rare word, left to Whoosh's blocks
                    docs, ends, positions = _decode_positions(reader.postings(fieldname, word))
                keys_i = _position_keys(docs, ends, positions, local, i)
                keys = keys_i if keys is None else keys[_sorted_isin(keys, keys_i)]
                if not len(keys):
                    break
            if keys is not None and len(keys):
                matched.append(local[np.unique(keys >> 32)] + offset)
        return np.concatenate(matched) if matched else np.empty(0, dtype=np.int64)

    def phrase(self, q: wq.Phrase) -> tuple[Mask, Scores]:
        """An exact phrase, scored as Whoosh scores it: its words' scores summed
        (by the binary tree Whoosh intersects them in), where the phrase occurs."""
        if q.slop != 1 or q.fieldname not in self.schema or not q.words:
            raise Unsupported("a phrase with slop")
        parts = [self.term(q.fieldname, word, 1.0) for word in q.words]
        mask = np.logical_and.reduce([m for m, _ in parts]) & self.alive
        candidates = np.flatnonzero(mask)
        mask = np.zeros(self.size, dtype=bool)
        if len(candidates):
            mask[self.phrase_matches(q.fieldname, list(q.words), candidates)] = True
        scores = _tree_sum([np.where(mask, scores, 0.0) for _, scores in parts])
        return mask, scores * q.boost if q.boost != 1.0 else scores

    # --- Scoring ----------------------------------------------------------------

    def term(self, fieldname: str, text: str, boost: float) -> tuple[Mask, Scores]:
        docs, part = self.term_scores(fieldname, text, boost)
        mask = np.zeros(self.size, dtype=bool)
        scores = np.zeros(self.size, dtype=np.float64)
        mask[docs] = True
        scores[docs] = part
        return mask, scores

    def term_scores(self, fieldname: str, text: str, boost: float) -> tuple[Any, Any]:
        """The documents holding a term, and its BM25 score in each (sparse)."""
        if fieldname not in self.schema:
            raise Unsupported(f"unknown field {fieldname}")
        docs, freqs = self.postings(fieldname, text)
        if not len(docs):
            return docs, freqs
        if self.schema[fieldname].scorable:
            searcher = self.searcher
            idf = searcher.idf(fieldname, text)
            average = searcher.avg_field_length(fieldname) or 1
            lengths = self.lengths(fieldname, docs)
            k1, b = self.K1, self.B
            part = idf * ((freqs * (k1 + 1)) / (freqs + k1 * ((1 - b) + b * lengths / average)))
        else:
            part = freqs
        return docs, part * boost if boost != 1.0 else part

    def evaluate(self, q: wq.Query) -> tuple[Mask, Scores]:
        """Which documents match *q*, and their scores (raises :class:`Unsupported`)."""
        mask, scores = self._evaluate(q)
        return mask & self.alive, scores

    def _evaluate(self, q: wq.Query) -> tuple[Mask, Scores]:
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, _text(q), q.boost)
        if isinstance(q, wq.Phrase):
            return self.phrase(q)
        if isinstance(q, wq.ConstantScoreQuery):
            mask, _ = self._evaluate(q.child)
            return mask, np.where(mask, q.score, 0.0)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.size, dtype=bool), np.zeros(self.size)
        if isinstance(q, wq.AndNot):
            mask, scores = self._evaluate(q.a)
            excluded, _ = self._evaluate(q.b)
            return mask & ~excluded, scores
        if isinstance(q, wq.AndMaybe):
            mask, scores = self._evaluate(q.a)
            extra_mask, extra = self._evaluate(q.b)
            return mask, scores + np.where(extra_mask, extra, 0.0)
        if isinstance(q, wq.And | wq.Or) and type(q) in (wq.And, wq.Or) and q.subqueries:
            is_and = isinstance(q, wq.And)
            children = [c for c in q.subqueries if not isinstance(c, wq.Not)]
            negated = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
            if not children or (negated and not is_and):
                raise Unsupported("a NOT on its own")
            if getattr(q, "scale", None) or getattr(q, "minmatch", 0):
                raise Unsupported("scaled or min-match OR")
            mask, scores = self._evaluate(children[0])
            scores = np.where(mask, scores, 0.0)
            for child in children[1:]:
                if not is_and and isinstance(child, wq.Term):
                    # A term of an OR adds its scores where it occurs: the
                    # same additions, in the same order, without two arrays
                    # the size of the index per term.
                    docs, part = self.term_scores(child.fieldname, _text(child), child.boost)
                    mask[docs] = True
                    scores[docs] += part
                    continue
                child_mask, child_scores = self._evaluate(child)
                if is_and:
                    mask &= child_mask
                else:
                    mask |= child_mask
                # In place, and only where the child matches: x + 0.0 is x.
                np.add(scores, child_scores, out=scores, where=child_mask)
            for child in negated:
                mask &= ~self._evaluate(child)[0]
            # Whoosh matches a NOT inside an AND with an inverse matcher that
            # scores 1.0 for every document it lets through.
            scores += float(len(negated))
            return mask, scores * q.boost if q.boost != 1.0 else scores
        raise Unsupported(type(q).__name__)

    def ordered(self, mask: Mask, scores: Scores, ties: Any) -> tuple[Any, Scores]:
        """Every matching document and its score, best first, as arrays; equal
        scores in the order of *ties* (each document's place: see
        :meth:`search.facets.FacetTable.tie_order`)."""
        docs = np.flatnonzero(mask)
        values = scores[docs]
        order = np.lexsort((ties[docs], -values))
        return docs[order], values[order]

    def top(self, mask: Mask, scores: Scores, count: int, ties: Any) -> list[tuple[int, float]]:
        """The *count* best documents, in the order of :meth:`ordered`."""
        docs = np.flatnonzero(mask)
        if not len(docs) or count <= 0:
            return []
        values = scores[docs]
        if len(docs) > count:
            # Keep everything tied with the last place, then order exactly.
            threshold = np.partition(values, len(values) - count)[len(values) - count]
            keep = values >= threshold
            docs, values = docs[keep], values[keep]
        order = np.lexsort((ties[docs], -values))[:count]
        return [(int(d), float(s)) for d, s in zip(docs[order], values[order], strict=True)]


# A term no segment reader knows (``_flat_key``).
_ABSENT = object()


def _text(q: wq.Term) -> str:
    return q.text.decode("utf-8") if isinstance(q.text, bytes) else str(q.text)


def _flat_key(reader: Any, fieldname: str, text: str) -> Any:
    """Where the term's postings start in the segment (its flat postings' key),
    ``None`` if they are inlined in its term info, ``_ABSENT`` if it is not there."""
    try:
        info = reader.term_info(fieldname, text)
    except TermNotFound:
        return _ABSENT
    return None if info.is_inlined() else info.extent()[0]


def _decode_positions(matcher: Any) -> tuple[Any, Any, Any]:
    """A (short) posting list's documents, running count of positions, positions."""
    if not matcher.supports("positions"):
        raise Unsupported("a field without positions")
    docs, lists = [], []
    while matcher.is_active():
        docs.append(matcher.id())
        lists.append(matcher.value_as("positions"))
        matcher.next()
    ends = np.cumsum([len(ps) for ps in lists], dtype=np.int64)
    total = int(ends[-1]) if len(ends) else 0
    flat = np.fromiter((p for ps in lists for p in ps), dtype=np.int64, count=total)
    return np.array(docs, dtype=np.int64), ends, flat


def _position_keys(docs: Any, ends: Any, positions: Any, local: Any, shift: int) -> Any:
    """``candidate index << 32 | position - shift`` for every position of the term
    in the *local* documents (all among *docs*), in order."""
    at = np.searchsorted(docs, local)
    stop = ends[at].astype(np.int64)
    start = np.where(at > 0, ends[np.maximum(at - 1, 0)], 0).astype(np.int64)
    counts = stop - start
    total = int(counts.sum())
    # Index of each gathered position: its posting's start plus its rank in it.
    firsts = np.cumsum(counts) - counts
    index = np.repeat(start - firsts, counts) + np.arange(total)
    values = positions[index].astype(np.int64) - shift
    owners = np.repeat(np.arange(len(local), dtype=np.int64), counts)
    keep = values >= 0
    return (owners[keep] << 32) | values[keep]


def _sorted_isin(keys: Any, other: Any) -> Any:
    """Which of the sorted *keys* are in the sorted *other*."""
    if not len(other):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(other, keys), len(other) - 1)
    return other[at] == keys


def _tree_sum(parts: list[Any]) -> Any:
    """Sum as Whoosh's ``make_binary_tree`` of intersection matchers adds scores:
    the same float additions in the same order."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _decode(matcher: Any) -> tuple[Any, Any]:
    """A posting list's document numbers and weights, block by block."""
    if isinstance(matcher, W3LeafMatcher):
        ids: list[Any] = []
        weights: list[Any] = []
        while matcher.is_active():
            # A block is a pickled (ids, weights, values) tuple, as the matcher
            # would read it; the ids are stored as gaps unless they fit in a
            # byte. Decoding with numpy rather than Whoosh's per-posting
            # generators matters for the common words of a query.
            if matcher._data is None:
                matcher._read_data()
            data = matcher._data
            assert data is not None
            stored_ids, stored_weights = data[0], data[1]
            block_ids = np.array(stored_ids, dtype=np.int64)
            ids.append(block_ids if matcher._byteids else np.cumsum(block_ids))
            if stored_weights is None:
                weights.append(np.ones(len(block_ids)))
            elif isinstance(stored_weights, float):
                weights.append(np.full(len(block_ids), stored_weights))
            else:
                weights.append(np.array(stored_weights, dtype=np.float64))
            matcher._next_block()
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        return np.concatenate(ids), np.concatenate(weights)
    docs, freqs = [], []
    while matcher.is_active():  # postings stored inline in the term info
        docs.append(matcher.id())
        freqs.append(matcher.weight())
        matcher.next()
    return np.array(docs, dtype=np.int64), np.array(freqs, dtype=np.float64)
