"""Stories: articles grouped when they are the same wire copy (near-identical
texts), from the MinHash signatures stored at index time (:mod:`index.minhash`).

Locality-sensitive hashing: the 64 signature values are cut into
:data:`BANDS` bands of :data:`ROWS`; articles that agree on a whole band
become candidates (sorting each band's keys: n log n, no pair of articles is
compared otherwise), and a candidate pair is kept when the signatures agree
on at least :data:`THRESHOLD` of their values (the estimated Jaccard
similarity of their 4-word shingles). Stories are the connected components
of the kept pairs. With 16 bands of 4, pairs at Jaccard 0.5 become candidates
with probability 0.65, at 0.7 with 0.98, at 0.8 with 0.9998.

Groups are recomputed for each index version when its facet table is built
(about a second for the whole OrangeSum): adding articles never rebuilds
anything, a new copy simply joins its story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.minhash import PERMUTATIONS

BANDS, ROWS = 16, 4
assert BANDS * ROWS == PERMUTATIONS
# Estimated Jaccard similarity of the shingle sets at which two articles are
# one story: chosen on OrangeSum (bench/near_duplicates.py, judged sample in
# bench/near_duplicates_judged.tsv).
THRESHOLD = 0.7
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                dtype=np.uint64)  # fmt: skip


def group(signatures: Any, live: Any) -> Any:
    """A story id per document (the smallest document number of its story; its
    own number when it has no copy). *live* masks out deleted documents and
    documents without a signature, which join nothing."""
    size = len(signatures)
    valid = np.asarray(live, dtype=bool) & signatures.any(axis=1)
    docs = np.flatnonzero(valid)
    # Articles of one band key are chained in the order of their whole
    # signature, not of their document numbers: which pairs are compared, and
    # so the stories, must not depend on how the index was built (nor differ
    # on a cluster, which groups in reading order).
    whole = np.zeros(len(docs), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            rows = signatures[docs, band * ROWS : (band + 1) * ROWS]
            whole = whole * np.uint64(0x100000001B3) + band_key(rows)
    firsts, seconds = [], []
    for band in range(BANDS):
        # One band's columns at a time: a copy of every signature would be
        # 512 bytes an article (half a gigabyte at a million).
        keys = band_key(signatures[docs, band * ROWS : (band + 1) * ROWS])
        order = np.lexsort((whole, keys))
        same = keys[order[1:]] == keys[order[:-1]]
        # Neighbours in sorted order: a run of equal keys becomes a chain.
        firsts.append(docs[order[:-1][same]])
        seconds.append(docs[order[1:][same]])
    labels = np.arange(size, dtype=np.int64)
    if not firsts or not sum(len(f) for f in firsts):
        return labels
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    a, b = pairs[:, 0], pairs[:, 1]
    agree = (signatures[a] == signatures[b]).mean(axis=1)
    a, b = a[agree >= THRESHOLD], b[agree >= THRESHOLD]
    # Connected components: every article takes the smallest label it is
    # linked to, until nothing changes (as many rounds as the longest chain).
    while True:
        low = np.minimum(labels[a], labels[b])
        changed = (labels[a] != low) | (labels[b] != low)
        if not changed.any():
            break
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        labels = labels[labels]
    return labels


def band_key(rows: Any) -> Any:
    """The key (uint64) of one band: its :data:`ROWS` signature values per article."""
    with np.errstate(over="ignore"):
        return (rows.astype(np.uint64) * _MIX[None, :]).sum(axis=1)


def band_keys(signatures: Any) -> Any:
    """Each signature's :data:`BANDS` band keys: two articles whose keys agree
    in a band are candidates to be one story."""
    return np.stack(
        [band_key(signatures[:, band * ROWS : (band + 1) * ROWS]) for band in range(BANDS)],
        axis=1,
    )


def agreement(signature: Any, others: Any) -> Any:
    """The share of values on which *signature* agrees with each of *others*:
    the estimated Jaccard similarity that :data:`THRESHOLD` is compared with."""
    return (others == signature[None, :]).mean(axis=1)


def first_positions(story_of: Any) -> Any:
    """The positions, in order, of the first entry of each story in *story_of*."""
    _, first = np.unique(story_of, return_index=True)
    return np.sort(first)


def first_of_each(docs: Any, stories: Any) -> Any:
    """The first of *docs* (in their order) of each story they hold."""
    docs = np.asarray(docs, dtype=np.int64)
    return docs[first_positions(stories[docs])]


@dataclass(frozen=True)
class Difference:
    """How a copy differs from the article shown: what each has that the other has not."""

    title_differs: bool
    only_here: list[str]  # sentences of the article shown that the copy lacks
    only_there: list[str]  # sentences of the copy that the article shown lacks


_SENTENCE = re.compile(r"(?<=[.!?…»])\s+|\n+|(?<=[a-zà-ÿ]\.)(?=[A-ZÀ-Ý])")


def sentences(text: str) -> list[str]:
    """Sentences, including those glued without a space (``jeudi.Le``)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def difference(title: str, text: str, other_title: str, other_text: str) -> Difference:
    mine, theirs = sentences(text), sentences(other_text)
    mine_set, theirs_set = set(mine), set(theirs)
    return Difference(
        title_differs=title.strip() != other_title.strip(),
        only_here=[s for s in mine if s not in theirs_set],
        only_there=[s for s in theirs if s not in mine_set],
    )


def copies_of(story: int, stories: Any) -> list[int]:
    """The documents of *story*, in document order (deleted documents are alone
    in stories of their own, so never among another's)."""
    return [int(d) for d in np.flatnonzero(stories == story)]
