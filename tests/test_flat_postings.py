"""Each segment's flat postings (index/flat_postings.py) hold Whoosh's own postings.

Every term of every field, in segments written from new documents (in memory
and spilled to runs) and in a segment merged from others, against what
Whoosh's matcher decodes from the same segment; and an index written without
them (by Whoosh's own writer, as before they existed) ranks the same.
"""

from __future__ import annotations

import io
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import query as wq
from whoosh.formats import Positions
from whoosh.index import FileIndex
from whoosh.writing import SegmentWriter

from index.flat_postings import MIN_POSTINGS, FlatPostings, FlatPostingsWriter
from index.segment import GroupedSegmentWriter
from index.store import create_index, open_index
from search.ranking import Ranker
from tests.test_segment import TEXT_FIELDS, real_documents


def documents(tmp_path: Path) -> list[dict[str, Any]]:
    """The real documents four times over: enough terms with MIN_POSTINGS postings
    in every segment, with or without the shared corpus."""
    return real_documents(tmp_path) * 4


def write(directory: Path, writer: type[SegmentWriter], parts: list[list[dict[str, Any]]],
          *, optimize: bool = False, **kw: Any) -> FileIndex:  # fmt: skip
    ix = create_index(directory)
    for n, docs in enumerate(parts):
        w = writer(ix, **kw)
        for doc in docs:
            w.add_document(**doc)
        w.commit(merge=False, optimize=optimize and n == len(parts) - 1)
    return open_index(directory)


def check_segments(ix: FileIndex) -> int:
    """Compare every term's flat postings (and positions, in positional fields) with
    Whoosh's; the number of terms checked."""
    checked = positioned = 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            flat = FlatPostings.of(leaf)
            assert flat is not None, "a segment without flat postings"
            for field in TEXT_FIELDS:
                for term in leaf.lexicon(field):
                    matcher = leaf.postings(field, term)
                    positional = matcher.supports("positions")
                    ids, weights, positions = [], [], []
                    while matcher.is_active():
                        ids.append(matcher.id())
                        weights.append(matcher.weight())
                        if positional:
                            positions.append(matcher.value_as("positions"))
                        matcher.next()
                    info = leaf.term_info(field, term)
                    if info.is_inlined():
                        continue
                    found = flat.postings(info.extent()[0])
                    if len(ids) < MIN_POSTINGS:  # left to Whoosh's blocks
                        assert found is None and flat.positions(info.extent()[0]) is None
                        continue
                    assert found is not None, (field, term)
                    assert found[0].tolist() == ids, (field, term)
                    assert found[1].tolist() == weights, (field, term)
                    stored = flat.positions(info.extent()[0])
                    if positional:
                        assert stored is not None, (field, term)
                        ends, flat_positions = stored
                        starts = [0, *ends[:-1].tolist()]
                        pairs = zip(starts, ends, strict=True)
                        split = [flat_positions[a:b].tolist() for a, b in pairs]
                        assert split == positions, (field, term)
                        positioned += 1
                    else:
                        assert stored is None, (field, term)
                    checked += 1
    assert positioned > 100
    return checked


class _Sink(io.BytesIO):
    def close(self) -> None:
        self.written = self.getvalue()
        super().close()


def test_every_width_reads_back() -> None:
    """Gaps, weights, counts and positions past 1 and 2 bytes, fractional and large
    weights, 16 postings or thousands: what is written is read back (a term with
    fewer is not written)."""
    rng = np.random.default_rng(7)
    encode = Positions().encode
    terms = []
    for n, (size, spread, weight_kind, positional) in enumerate(
        [(20, 10, "int", False), (3000, 3, "int", True), (500, 5000, "float", False),
         (40, 200_000, "big", True), (16, 1, "int", True), (15, 1, "int", True)]
    ):  # fmt: skip
        docs = np.cumsum(rng.integers(1, spread + 1, size)) - 1
        lists = [sorted(set(rng.integers(0, 70_000 if n == 3 else 50, rng.integers(1, 6)).tolist()))
                 for _ in range(size)] if positional else None  # fmt: skip
        if positional:
            weights = [float(len(ps)) for ps in lists]  # type: ignore[union-attr]
        elif weight_kind == "float":
            weights = rng.random(size).astype(np.float32).tolist()
        else:
            top = 300 if weight_kind == "big" else 9
            weights = rng.integers(1, top, size).astype(float).tolist()
        terms.append((1000 * (6 - n), docs.tolist(), weights, lists))
    sink = _Sink()
    writer = FlatPostingsWriter(sink)
    for key, docs, weights, lists in terms:
        writer.add(key, array("I", docs), array("d", weights),
                   [encode(ps) for ps in lists] if lists else None)  # fmt: skip
    writer.close()
    flat = FlatPostings(memoryview(sink.written))
    *kept, (rare, *_) = terms
    assert flat.postings(rare) is None and flat.positions(rare) is None  # too few postings
    for key, docs, weights, lists in kept:
        found = flat.postings(key)
        assert found is not None
        assert found[0].tolist() == docs and found[1].tolist() == weights
        stored = flat.positions(key)
        if lists is None:
            assert stored is None
            continue
        assert stored is not None
        ends, positions = stored
        assert ends.tolist() == np.cumsum([len(ps) for ps in lists]).tolist()
        assert positions.tolist() == [p for ps in lists for p in ps]
    assert flat.postings(1) is None and flat.positions(1) is None


def test_a_file_of_another_layout_is_not_read() -> None:
    """A damaged or differently laid out file is refused (the segment is then read
    with Whoosh's decoder), never read past its table."""
    sink = _Sink()
    writer = FlatPostingsWriter(sink)
    writer.add(8, array("I", range(0, 40, 2)), array("d", [1.0] * 20))
    writer.close()
    good = sink.written
    assert FlatPostings(memoryview(good)).postings(8) is not None
    for bad in (good[:-30] + good[-20:], good[:8] + b"\0" * 8 + good[8:], b"FLP1", good[:-1]):
        with pytest.raises(ValueError):
            FlatPostings(memoryview(bad))


# Spilling to runs is the same code on more of them: corpus-scale, run by CI.
@pytest.mark.parametrize(
    "limitmb",
    [128, pytest.param(0.05, marks=pytest.mark.slow)],
    ids=["in-memory", "spilled-to-runs"],
)
def test_new_segments_hold_whooshs_postings(tmp_path: Path, limitmb: float) -> None:
    docs = documents(tmp_path)
    ix = write(tmp_path / "index", GroupedSegmentWriter, [docs[:100], docs[100:]], limitmb=limitmb)
    assert len(ix._segments()) == 2
    assert check_segments(ix) > 200


def test_a_merged_segment_holds_whooshs_postings(tmp_path: Path) -> None:
    docs = documents(tmp_path)
    parts = [docs[:60], docs[60:120], docs[120:]]
    ix = write(tmp_path / "index", GroupedSegmentWriter, parts, optimize=True)
    assert len(ix._segments()) == 1
    assert check_segments(ix) > 200


@pytest.mark.slow
def test_segments_without_flat_postings_rank_the_same(tmp_path: Path) -> None:
    """An index written before flat postings existed: Whoosh's blocks are decoded."""
    docs = documents(tmp_path)
    parts = [docs[:100], docs[100:]]
    old = write(tmp_path / "old", SegmentWriter, parts)
    new = write(tmp_path / "new", GroupedSegmentWriter, parts)
    queries = [
        wq.Term("content", "finland"),
        wq.Or([wq.Term("content", "otan"), wq.Term("title", "otan"), wq.Term("content", "russ")]),
        wq.And([wq.Term("content", "ministr"), wq.Term("content", "guerr")]),
    ]
    with old.searcher() as old_searcher, new.searcher() as new_searcher:
        old_ranker, new_ranker = Ranker(old_searcher), Ranker(new_searcher)
        assert all(flat is None for flat in old_ranker._flat)
        assert all(flat is not None for flat in new_ranker._flat)
        for q in queries:
            old_mask, old_scores = old_ranker.evaluate(q)
            new_mask, new_scores = new_ranker.evaluate(q)
            assert old_mask.any(), q
            assert np.array_equal(old_mask, new_mask), q
            assert np.array_equal(old_scores, new_scores), q
