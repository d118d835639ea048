"""A segment's postings as flat arrays (``.flp``), read by numpy in place.

Whoosh stores a posting list as pickled, compressed blocks of 128 postings,
and reading one costs Python per block: 0.6 s for «plus» on OrangeSum ×10
(3,851 blocks over 72 segments) before the first score is computed. So every
segment also gets a ``.flp`` file, written with its postings
(:func:`index.segment.write_terms`, for new and merged segments alike) and
assembled into the segment's compound file with Whoosh's own files, so that
Whoosh's clean-up removes it with its segment. It holds each term's document
numbers (uint32) and weights (float32, as Whoosh stores them), found by where
the term's postings start in the segment's postings file, which the term's
Whoosh term info gives: the term dictionary stays Whoosh's.

Fields with positions (the text a phrase is matched in) also keep each
posting's positions, so that :mod:`search.ranking` matches phrases with numpy
too: a phrase was Whoosh's slowest query (1.4 s at p95 on OrangeSum ×10, one
posting at a time in Python).

Layout: ``FLP1`` and 4 zero bytes; then per term its document numbers as gaps,
its weights and, in a positional field, each posting's count of positions and
the positions themselves, every part in the narrowest unsigned integers that
hold it (1, 2 or 4 bytes; weights as float32 unless they are small whole
numbers, and not at all where they are the counts of positions): the index
stays about the size Whoosh's compressed blocks make it. Then the table (keys,
record offsets, postings, positions, and the widths: five uint64 arrays sorted
by key); then the term count, the table's offset and ``FLP1``. Written as a
stream: a merge of large segments never holds its postings twice.

Terms with fewer than :data:`MIN_POSTINGS` postings are not in the file, and a
segment without the file (an index built before it existed) has none: those
are read with Whoosh's decoder, same numbers, slower.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from pickle import loads
from typing import Any

import numpy as np
import numpy.typing as npt

from index.mapped import MappedFile

EXT = ".flp"
MAGIC = b"FLP1"
_HEADER = MAGIC + b"\0\0\0\0"
_FOOTER = 8 + 8 + len(MAGIC)
_COLUMNS = 5
# Terms with fewer postings are left out: most terms of a segment are rare, a
# table row each cost more than their postings, and Whoosh decodes a short
# posting list (one block) in microseconds.
MIN_POSTINGS = 16
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32}
# Weights: the counts of positions (stored once), small whole numbers, float32.
_WEIGHTS_ARE_COUNTS, _WEIGHTS_BYTE, _WEIGHTS_FLOAT = 0, 1, 4

Positions = tuple[npt.NDArray[np.int64], npt.NDArray[Any]]

# Whoosh's encoded position lists (a count, then the pickled gaps): most are
# one or two positions, and the same few bytes recur all over a segment.
_GAPS: dict[bytes, list[int]] = {}


def _gaps(value: bytes) -> list[int]:
    found = _GAPS.get(value)
    if found is None:
        found = loads(value[4:])
        if len(value) <= 24 and len(_GAPS) < 1 << 18:
            _GAPS[value] = found
    return found


def decode_positions(
    values: Sequence[bytes],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Whoosh-encoded position lists as (count of each list, all positions in order)."""
    counts = np.empty(len(values), dtype=np.int64)
    flat: list[int] = []
    for n, value in enumerate(values):
        gaps = _gaps(value)
        counts[n] = len(gaps)
        flat.extend(gaps)
    # Gaps to positions, restarting at each list: the running sum of all gaps
    # minus the running sum before the list's first gap.
    running = np.concatenate(([0], np.cumsum(np.asarray(flat, dtype=np.int64))))
    starts = np.cumsum(counts) - counts
    return counts, running[1:] - np.repeat(running[starts], counts)


def _narrow(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """*values* (unsigned) in the narrowest of 1, 2 or 4 bytes that holds them."""
    top = int(values.max()) if len(values) else 0
    width = 1 if top < 1 << 8 else 2 if top < 1 << 16 else 4
    return values.astype(_UNSIGNED[width])


class FlatPostingsWriter:
    """Writes one segment's ``.flp`` as its terms are written, in any order."""

    def __init__(self, file: Any) -> None:
        self._file = file
        self._file.write(_HEADER)
        self._position = len(_HEADER)
        self._columns = [array("Q") for _ in range(_COLUMNS)]

    def add(self, key: int, ids: Any, weights: Any, values: Sequence[bytes] | None = None) -> None:
        """One term's postings (unless it has too few to be worth it); *key* is where
        its postings start in the segment's postings file; *values*, Whoosh's
        encoded positions in a positional field."""
        if len(ids) < MIN_POSTINGS:
            return
        docs = np.asarray(ids, dtype=np.int64)
        gaps = _narrow(np.diff(docs, prepend=0))
        weights32 = np.asarray(weights, dtype=np.float32)
        parts = [gaps]
        total = 0
        counts = positions = None
        if values is not None:
            counts_, positions_ = decode_positions(values)
            counts, positions = _narrow(counts_), _narrow(positions_)
            total = len(positions)
        if counts is not None and np.array_equal(weights32, counts.astype(np.float32)):
            weight_code = _WEIGHTS_ARE_COUNTS
        elif np.array_equal(weights32, weights32.astype(np.uint8)):
            weight_code = _WEIGHTS_BYTE
            parts.append(weights32.astype(np.uint8))
        else:
            weight_code = _WEIGHTS_FLOAT
            parts.append(weights32)
        if counts is not None and positions is not None:
            parts += [counts, positions]
        widths = (
            gaps.itemsize
            | weight_code << 8
            | (counts.itemsize if counts is not None else 0) << 16
            | (positions.itemsize if positions is not None else 0) << 24
        )
        for column, value in zip(self._columns, (key, self._position, len(docs), total, widths),
                                 strict=True):  # fmt: skip
            column.append(value)
        for part in parts:
            self._file.write(part.tobytes())
            self._position += part.nbytes

    def close(self) -> None:
        keys = np.frombuffer(self._columns[0], dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        for column in self._columns:
            self._file.write(np.frombuffer(column, dtype=np.uint64)[order].tobytes())
        footer = np.array([len(keys), self._position], dtype=np.uint64).tobytes()
        self._file.write(footer + MAGIC)
        self._file.close()


class FlatPostings:
    """The read side: a segment's ``.flp``, viewed from the memory map."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        size = len(view)
        if size < len(_HEADER) + _FOOTER or bytes(view[-len(MAGIC) :]) != MAGIC:
            raise ValueError("not a flat postings file")
        count, table = np.frombuffer(view, dtype=np.uint64, count=2, offset=size - _FOOTER)
        count, table = int(count), int(table)
        if table + 8 * _COLUMNS * count + _FOOTER != size:
            raise ValueError("flat postings of another layout")
        # The table as memoryviews of uint64, searched with bisect: the map's bytes
        # are not 8-byte aligned (records have any length, the file sits anywhere
        # in its compound file), and numpy copies an unaligned array to search it.
        columns = view[table : table + 8 * _COLUMNS * count].cast("Q")
        self._keys, self._offsets, self._counts, self._totals, self._widths = (
            columns[n * count : (n + 1) * count] for n in range(_COLUMNS)
        )

    @classmethod
    def of(cls, reader: Any) -> FlatPostings | None:
        """The flat postings of a Whoosh segment reader, or ``None`` when its segment
        has none, or is not read from a memory map."""
        segment, storage = reader.segment(), getattr(reader, "_storage", None)
        if segment is None or storage is None:
            return None
        name = segment.make_filename(EXT)
        if not storage.file_exists(name):
            return None
        file = storage.open_file(name)
        if not isinstance(file, MappedFile):
            file.close()
            return None
        try:
            return cls(file.view)
        except ValueError:
            return None

    def _parts(self, key: int) -> list[npt.NDArray[Any]] | None:
        """The term's stored parts: gaps, weights (unless they are the counts), and
        in a positional field counts and positions; ``None`` if no term has *key*."""
        at = bisect_left(self._keys, key)
        if at >= len(self._keys) or self._keys[at] != key:
            return None
        offset, count, total = self._offsets[at], self._counts[at], self._totals[at]
        widths = self._widths[at]
        docs_w, weights_w = widths & 0xFF, widths >> 8 & 0xFF
        counts_w, positions_w = widths >> 16 & 0xFF, widths >> 24 & 0xFF
        layout: list[tuple[Any, int]] = [(_UNSIGNED[docs_w], count)]
        if weights_w == _WEIGHTS_BYTE:
            layout.append((np.uint8, count))
        elif weights_w == _WEIGHTS_FLOAT:
            layout.append((np.float32, count))
        if counts_w:
            layout += [(_UNSIGNED[counts_w], count), (_UNSIGNED[positions_w], total)]
        parts = []
        for dtype, length in layout:
            part = np.frombuffer(self._view, dtype=dtype, count=length, offset=offset)
            parts.append(part)
            offset += part.nbytes
        if weights_w == _WEIGHTS_ARE_COUNTS:
            parts.insert(1, parts[1])  # the counts are the weights
        return parts

    def postings(self, key: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] | None:
        """Document numbers and weights of the term whose postings start at *key*
        (``None`` if no term does: the caller decodes it with Whoosh)."""
        parts = self._parts(key)
        if parts is None:
            return None
        return np.cumsum(parts[0], dtype=np.int64), parts[1].astype(np.float64)

    def positions(self, key: int) -> Positions | None:
        """The term's positions: the running count of positions after each of its
        postings, and every posting's positions one after the other (``None`` if
        the term is not here or its field has no positions)."""
        parts = self._parts(key)
        if parts is None or len(parts) < 4:
            return None
        return np.cumsum(parts[2], dtype=np.int64), parts[3]
