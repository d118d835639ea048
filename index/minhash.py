"""MinHash signatures of article texts, to find wire copy: the same dispatch
republished with a sentence, a title or a byline changed.

An article's text becomes the set of its 4-word shingles (folded words); two
articles' signatures agree on a share of their :data:`PERMUTATIONS` values
that estimates the Jaccard similarity of those sets. The signature is
computed at index time, stored in a per-document column, and grouped into
stories on the read side (:mod:`search.stories`), so that a new article
joins its story without any rebuild.

Hand-written with numpy rather than datasketch's ``MinHash``: that one
hashes each shingle with SHA-1 in Python, about ten times the cost of this
whole function per article; the scheme is the same (universal hashing per
permutation, minimum over the shingles).
"""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np

from index.analysis import TOKEN_PATTERN, fold

PERMUTATIONS = 64
SHINGLE = 4  # words per shingle
_SHIFT = np.uint64(32)
_BLOCK = 16_384  # shingles hashed at once: 8 MB of intermediate values
_BASE, _LOW32 = np.uint64(1_000_003), np.uint64(0xFFFFFFFF)
_WORD_HASHES: dict[str, int] = {}


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """Multiply-shift hashing (Dietzfelbinger et al.): (a·x + b) mod 2**64, top 32
    bits; a odd. No modulo by a prime: a third of the cost.

    Drawn from a fixed seed (signatures must not change), on first use:
    importing ``numpy.random`` cost every fresh process ~60 ms, and reading
    an index never hashes.
    """
    random = np.random.default_rng(20_221_201)
    a = random.integers(0, 1 << 63, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = random.integers(0, 1 << 63, PERMUTATIONS, dtype=np.uint64)
    return a, b


def _word_hash(word: str) -> int:
    found = _WORD_HASHES.get(word)
    if found is None:
        found = zlib.crc32(fold(word).encode("utf-8"))
        if len(_WORD_HASHES) < 500_000:
            _WORD_HASHES[word] = found
    return found


def signature(text: str) -> bytes:
    """The article's MinHash signature (:data:`PERMUTATIONS` uint32, little-endian);
    empty for a text without words."""
    cache = _WORD_HASHES
    words = np.array(
        [cache[w] if w in cache else _word_hash(w) for w in TOKEN_PATTERN.findall(text)],
        dtype=np.uint64,
    )
    if not len(words):
        return b""
    if len(words) < SHINGLE:
        shingles = np.array([zlib.crc32(words.tobytes())], dtype=np.uint64)
    else:
        # A shingle's hash from its words' hashes: a polynomial, wrapped at 2**32.
        count = len(words) - SHINGLE + 1
        shingles = np.zeros(count, dtype=np.uint64)
        for offset in range(SHINGLE):
            shingles = (shingles * _BASE + words[offset : count + offset]) & _LOW32
        shingles = np.unique(shingles)
    # Every shingle under every permutation (numpy's uint64 arithmetic wraps),
    # a block of shingles at a time: memory stays bounded on a 20 MB article.
    lowest = np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    a, b = _permutations()
    for start in range(0, len(shingles), _BLOCK):
        block = shingles[start : start + _BLOCK, None]
        np.minimum(lowest, ((block * a[None, :] + b[None, :]) >> _SHIFT).min(axis=0), out=lowest)
    return lowest.astype("<u4").tobytes()


def unpack(value: bytes | None) -> np.ndarray:
    """A stored signature as uint32 values; zeros when there is none."""
    if not value or len(value) != 4 * PERMUTATIONS:
        return np.zeros(PERMUTATIONS, dtype=np.uint32)
    return np.frombuffer(value, dtype="<u4").astype(np.uint32)


NO_WORDS_KEY = np.iinfo(np.int64).max  # a text without words: read last


def sample_keys(signatures: np.ndarray) -> np.ndarray:
    """A key per article (int64) from its first two signature values: the
    articles of smallest key are ``related``'s sample. Pseudo-random across
    different texts, fixed by the text alone: the same articles whatever the
    order an index was built in (a build with two workers numbers its
    documents otherwise than one), and the ones a cluster reads, which sorts
    on the same key (``cluster.stories``). Copies of one text share a key."""
    signatures = np.asarray(signatures, dtype=np.uint32).reshape(-1, PERMUTATIONS)
    keys = (signatures[:, 0].astype(np.int64) << 31) | (signatures[:, 1].astype(np.int64) >> 1)
    keys[~signatures.any(axis=1)] = NO_WORDS_KEY
    return keys
