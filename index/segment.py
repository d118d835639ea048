"""Writing a segment's postings grouped by term instead of one posting at a time.

Whoosh's writer keeps one tuple per posting in a pool, sorts them all when the
segment is written and hands them one by one to the codec, which rebuilds
blocks of 128 postings from them. Every word of an article is a posting in
up to four of our fields, and that per-posting Python was about half of a
build. Here a document's postings are appended to their term's group as the
document arrives (document numbers only grow, so each group is sorted by
construction), only the terms are sorted, and whole blocks are handed to the
codec's own block writer. The postings, block bounds and term statistics are
Whoosh's, checked against Whoosh's own writer in ``tests/test_segment.py``.

Memory stays bounded as with Whoosh's pool: past ``limitmb``, the groups are
written to a sorted run in the writer's temporary folder and merged back,
term by term, when the segment is written.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import pickle
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, groupby
from operator import itemgetter
from typing import Any

import numpy as np
from whoosh.codec.base import Segment
from whoosh.codec.whoosh3 import (
    COMPRESSION_MIN_SIZE,
    WHOOSH3_HEADER_MAGIC,
    W3TermsReader,
)
from whoosh.reading import SegmentReader
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from index import flat_postings
from index.flat_postings import FlatPostingsWriter
from index.timing import stage_seconds

# One term's postings: document numbers, weights (doubles, as Whoosh compares
# them before storing them as floats), encoded values.
Group = tuple[array, array, list[bytes]]
# A term with its postings, in the order segments are written.
TermPostings = tuple[str, bytes, array, array, list[bytes]]
# A term as the pool keeps it: text in fields analysed by the French chain
# (whose terms are held as str already, their hash computed once), UTF-8
# bytes otherwise. Both sort as their UTF-8 bytes do.
Term = str | bytes

# Approximate bytes held per posting and per new term (arrays, list slot,
# value object; key, arrays and dict entry), for the spill threshold.
_POSTING_BYTES = 64
_TERM_BYTES = 480


class GroupedPostings:
    """A segment's postings, grouped by field and term, spilled to sorted runs past *limitmb*.

    Stands in for Whoosh's ``PostingPool`` (``add``, ``cleanup``): ``add``
    takes Whoosh's posting tuples (how merged segments arrive), ``add_terms``
    a document's terms for one field at once (how new documents arrive).
    Terms of *text_fields* are given as str, all others as bytes.
    """

    def __init__(self, folder: str, limitmb: float, text_fields: Iterable[str] = ()) -> None:
        self._folder = folder
        self._limit = int(limitmb * 1024 * 1024)
        self._size = 0
        self._fields: dict[str, dict[Term, Group]] = {}
        self._runs: list[str] = []
        self.text_fields = frozenset(text_fields)

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        term = tbytes.decode("utf-8") if fieldname in self.text_fields else tbytes
        self.add_terms(fieldname, docnum, [(term, 0, weight, vbytes or b"")])

    def add_terms(
        self, fieldname: str, docnum: int, items: Iterable[tuple[Term, int, float, bytes]]
    ) -> int:
        """Add one document's postings in *fieldname*; returns the sum of their frequencies."""
        groups = self._groups(fieldname)
        length = added = 0
        for term, freq, weight, vbytes in items:
            group = groups.get(term)
            if group is None:
                group = groups[term] = (array("I"), array("d"), [])
                added += _TERM_BYTES + len(term)
            group[0].append(docnum)
            group[1].append(weight)
            group[2].append(vbytes)
            length += freq
            added += _POSTING_BYTES + len(vbytes)
        self._grew(added)
        return length

    def add_group(
        self, fieldname: str, term: Term, ids: array, weights: array, values: list[bytes]
    ) -> None:
        """Add a term's postings of documents numbered after all those added before."""
        groups = self._groups(fieldname)
        added = _POSTING_BYTES * len(ids) + sum(map(len, values))
        group = groups.get(term)
        if group is None:
            groups[term] = (ids, weights, values)
            added += _TERM_BYTES + len(term)
        else:
            group[0].extend(ids)
            group[1].extend(weights)
            group[2].extend(values)
        self._grew(added)

    def _groups(self, fieldname: str) -> dict[Term, Group]:
        groups = self._fields.get(fieldname)
        if groups is None:
            groups = self._fields[fieldname] = {}
        return groups

    def _grew(self, added: int) -> None:
        """Count *added* bytes held; past the limit, everything held goes to a run."""
        self._size += added
        if self._size > self._limit:
            self._spill()

    def _sorted(self) -> Iterator[tuple[str, Term, array, array, list[bytes]]]:
        for fieldname, groups in sorted(self._fields.items()):
            for term, (ids, weights, values) in sorted(groups.items()):
                yield fieldname, term, ids, weights, values

    def _spill(self) -> None:
        path = os.path.join(self._folder, f"{os.getpid()}-{id(self)}-{len(self._runs)}.postings")
        with open(path, "wb") as stream:
            for entry in self._sorted():
                pickle.dump(entry, stream, protocol=5)
        self._runs.append(path)
        self._fields = {}
        self._size = 0

    def terms(self) -> Iterator[TermPostings]:
        """Every term with all its postings, in (field, term) order."""
        if not self._runs:
            merged: Iterator[tuple[str, Term, array, array, list[bytes]]] = self._sorted()
        else:
            merged = _merged_runs([_read_run(path) for path in self._runs] + [self._sorted()])
        for fieldname, term, ids, weights, values in merged:
            tbytes = term.encode("utf-8") if isinstance(term, str) else term
            yield fieldname, tbytes, ids, weights, values

    def cleanup(self) -> None:
        for path in self._runs:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        self._runs = []
        self._fields = {}


_term_key = itemgetter(0, 1)


def _merged_runs(
    streams: list[Iterator[tuple[str, Term, array, array, list[bytes]]]],
) -> Iterator[tuple[str, Term, array, array, list[bytes]]]:
    # Runs are in the order documents arrived: concatenating a term's pieces
    # in run order keeps its document numbers sorted.
    for (fieldname, term), pieces in groupby(heapq.merge(*streams, key=_term_key), key=_term_key):
        first, *rest = pieces
        ids, weights, values = first[2], first[3], first[4]
        for piece in rest:
            ids.extend(piece[2])
            weights.extend(piece[3])
            values.extend(piece[4])
        yield fieldname, term, ids, weights, values


def _read_run(path: str) -> Iterator[tuple[str, Term, array, array, list[bytes]]]:
    with open(path, "rb") as stream:
        while True:
            try:
                yield pickle.load(stream)
            except EOFError:
                return


def write_terms(
    fieldwriter: Any,
    schema: Any,
    lengths: Any,
    terms: Iterable[TermPostings],
    flat: FlatPostingsWriter | None = None,
) -> None:
    """Write grouped postings with Whoosh's field writer, a block at a time
    (and to *flat*, the segment's flat postings, keyed as its readers find them).

    Does what ``FieldWriter.add_postings`` does posting by posting: each block
    gets the statistics ``W3PostingsWriter.add_posting`` would have gathered
    and is written as the codec writes it (see :func:`_write_block`).
    """
    fieldname_now = None
    lengths_of: Callable[[int], int] | None = None
    positional = False
    for fieldname, tbytes, ids, weights, values in terms:
        if fieldname != fieldname_now:
            if fieldname_now is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            fieldname_now = fieldname
            lengths_of = lengths.doc_field_length_reader(fieldname) if lengths else None
            format_ = schema[fieldname].format
            positional = bool(format_ and format_.supports("positions"))
        fieldwriter.start_term(tbytes)
        if flat is not None:
            # Where the term's postings start: its term info's extent offset.
            key = fieldwriter._postwriter._startoffset
            flat.add(key, ids, weights, values if positional else None)
        _fill_blocks(fieldwriter._postwriter, ids, weights, values, lengths_of)
        fieldwriter.finish_term()
    if fieldname_now is not None:
        fieldwriter.finish_field()


def _fill_blocks(
    writer: Any,
    ids: array,
    weights: array,
    values: list[bytes],
    lengths_of: Callable[[int], int] | None,
) -> None:
    limit = writer._blocklimit
    count = len(ids)
    for start in range(0, count, limit):
        end = start + limit
        block_ids = ids[start:end]
        block_weights = weights[start:end]
        writer._ids = block_ids
        writer._weights = array("f", block_weights)
        writer._values = [v for v in values[start:end] if v]
        # As add_posting: the running maximum starts at 0, lengths of 0 are ignored.
        writer._maxweight = max(0, max(block_weights))
        known = [n for n in map(lengths_of, block_ids) if n] if lengths_of else []
        writer._minlength = min(known) if known else None
        writer._maxlength = max(known) if known else 0
        last = end >= count
        # A term short enough to be inlined in its term info is left to
        # ``finish_term``, as Whoosh leaves it.
        if not last or count >= writer._inlinelimit:
            _write_block(writer, last=last)


def _write_block(writer: Any, *, last: bool) -> None:
    """``W3PostingsWriter._write_block``, with the block's data pickled with protocol 5.

    Whoosh pickles a block's data with protocol 2, which stores each encoded
    position list (bytes) as a call to ``codecs.encode`` on a str: 4 times
    slower to write than protocol 5's plain bytes, and a third larger
    (stored, after compression: 44% smaller, measured on 1,000 OrangeSum
    articles). Whoosh's reader unpickles any protocol; everything else,
    including the block header, is written as Whoosh writes it.
    """
    if not writer._blockcount:
        writer._postfile.write(WHOOSH3_HEADER_MAGIC)
    writer._terminfo.add_block(writer)
    data = pickle.dumps((writer._mini_ids(), writer._mini_weights(), writer._mini_values()), 5)
    compression = writer._compression if len(data) >= COMPRESSION_MIN_SIZE else 0
    if compression:
        data = zlib.compress(data, compression)
    ids = writer._ids
    info = pickle.dumps(
        (
            len(ids),
            ids[-1],
            writer._maxweight,
            compression,
            length_to_byte(writer._minlength),
            length_to_byte(writer._maxlength),
        ),
        2,
    )
    length = len(info) + len(data)
    postfile = writer._postfile
    # A negative length marks a term's last block.
    postfile.write_int(-length if last else length)
    postfile.write(info)
    postfile.write(data)
    writer._blockcount += 1
    writer._new_block()


class PrefetchedLengths:
    """A segment's per-document reader whose field lengths are read once per field.

    Writing postings asks for the field length of the document of every
    posting (Whoosh keeps per-block length bounds), one column read at a
    time: about a tenth of a build. Read once per document into a list, the
    same values cost a list index.
    """

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    def doc_field_length_reader(self, fieldname: str, default: int = 0) -> Callable[[int], Any]:
        length = self._reader.doc_field_length_reader(fieldname, default)
        return [length(n) for n in range(self._reader.doc_count_all())].__getitem__


class _PositionedFile:
    """A file being written that knows its position without asking the kernel.

    ``BufferedWriter.tell()`` is an ``lseek`` system call each time, and
    Whoosh's codec asks the postings and terms files for their position three
    times per term: about a tenth of a build. Counting the bytes written
    gives the same answer.
    """

    def __init__(self, file: Any) -> None:
        self._file = file
        self._position: int = file.tell()

    def write(self, data: Any) -> int:
        written: int = self._file.write(data)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._position = self._file.seek(offset, whence)
        return self._position

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class GroupedSegmentWriter(SegmentWriter):  # type: ignore[misc]
    """Whoosh's segment writer with postings grouped by term (see the module's docstring)."""

    def __init__(self, ix: Any, *, limitmb: float = 128, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        for written in (self.fieldwriter._postfile, self.fieldwriter._tindex.dbfile):
            written.file = _PositionedFile(written.file)
        self.postings = GroupedPostings(
            self._tempstorage.folder,
            limitmb,
            text_fields=[
                name
                for name, field in self.schema.items()
                if field.indexed and hasattr(field.format, "index_terms")
            ],
        )
        # Whoosh's own paths (merging segments, cleaning up) use ``pool``.
        self.pool = self.postings  # type: ignore[assignment]
        self._adopted: list[Segment] = []
        self._retired: set[str] = set()
        # Seconds spent analysing text and writing it (``index.timing``).
        self.seconds = stage_seconds(("analyse", "write"))
        # Term vectors and separate spelling words take Whoosh's own path.
        self._grouped = not any(
            field.vector or field.separate_spelling() for _, field in self.schema.items()
        )

    def add_document(self, **fields: Any) -> None:
        started = time.perf_counter()
        analysed = 0.0
        try:
            analysed = self._add_document(fields)
        finally:
            self.seconds["analyse"] += analysed
            self.seconds["write"] += time.perf_counter() - started - analysed

    def _add_document(self, fields: dict[str, Any]) -> float:
        """Add one document; the seconds its analysis took (the rest is writing)."""
        if not self._grouped or any(name.startswith("_") for name in fields):
            super().add_document(**fields)
            return 0.0
        analysed = 0.0
        self._check_state()
        schema = self.schema
        names = sorted(fields)
        self._check_fields(schema, names)
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    began = time.perf_counter()
                    if name in self.postings.text_fields:
                        items = field.format.index_terms(value, field.analyzer)
                        if items is None:
                            items = [(t.decode("utf-8"), *r) for t, *r in field.index(value)]
                    else:
                        items = field.index(value)
                    analysed += time.perf_counter() - began
                    length = self.postings.add_terms(name, docnum, items)
                    if not field.scorable:
                        length = 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except ValueError:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        return analysed

    def adopt(self, segments: list[Segment]) -> None:
        """Commit *segments*, written by other writers (:mod:`index.workers`), with this one."""
        self._adopted.extend(segments)

    def replace(self, retired: list[Segment], merged: list[Segment]) -> bool:
        """Commit *merged* (written from *retired* by other writers) in their place.

        False, and nothing is changed, if a retired segment has lost
        documents since it was merged: the merged copy would bring them back.
        """
        now = {s.segment_id(): s.deleted_count() for s in self.segments}
        if any(now.get(s.segment_id()) != s.deleted_count() for s in retired):
            return False
        self._retired = {s.segment_id() for s in retired}
        self._adopted.extend(merged)
        return True

    def _merge_segments(self, mergetype: Any, optimize: Any, merge: Any) -> list[Segment]:
        kept = super()._merge_segments(mergetype, optimize, merge)
        return [*(s for s in kept if s.segment_id() not in self._retired), *self._adopted]

    def _finalize_segment(self) -> Segment:
        started = time.perf_counter()
        try:
            return super()._finalize_segment()
        finally:
            self.seconds["write"] += time.perf_counter() - started

    def finish_segment(self) -> Segment | None:
        """Write this writer's segment out for another writer to adopt.

        Neither a commit nor the end of the temporary folder, which the
        committing writer shares: ``None`` when no document was added.
        """
        if not self._added:
            self.discard_segment()
            return None
        segment = self._finalize_segment()
        self.is_closed = True
        return segment

    def discard_segment(self) -> None:
        """Close without committing; the next commit removes the segment's files."""
        if not self.is_closed:
            self._close_segment()
            self.is_closed = True

    def add_reader(self, reader: Any) -> None:
        """Merge a segment's live documents into this one.

        Whoosh re-adds each document's length as read back from its one-byte
        column, so a merged segment's total length per field (BM25's average
        length) drifted by the rounding, and every merge changed scores a
        little. The segment's exact totals are carried over instead, less the
        (rounded) lengths of its deleted documents.
        """
        totals = self.perdocwriter._fieldlengths
        before = dict(totals)
        super().add_reader(reader)
        deleted = reader.deleted_docs_set if reader.has_deletions() else ()
        for name in self.schema.scorable_names():
            exact = reader.field_length(name) - sum(
                reader.doc_field_length(docnum, name) or 0 for docnum in deleted
            )
            totals[name] = before.get(name, 0) + exact

    def add_postings_to_pool(
        self, reader: Any, startdoc: int, docmap: dict[int, int] | None
    ) -> None:
        """A merged segment's postings, a term at a time.

        Whoosh's own path hands every posting to the pool as a tuple, through
        a matcher call per posting: about two thirds of a merge's time. Here
        each block is decoded once and its documents renumbered with numpy;
        the postings are the same (``tests/test_segment.py`` compares them).
        """
        terms = getattr(reader, "_terms", None)
        if not self._grouped or not isinstance(terms, W3TermsReader):
            super().add_postings_to_pool(reader, startdoc, docmap)
            return
        if docmap is None:
            renumber = np.arange(startdoc, startdoc + reader.doc_count_all(), dtype=np.int64)
        else:  # documents deleted from the segment are left out (-1)
            renumber = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            renumber[np.fromiter(docmap.keys(), np.int64, len(docmap))] = np.fromiter(
                docmap.values(), np.int64, len(docmap)
            )
        schema = self.schema
        text_fields = self.postings.text_fields
        for (fieldname, tbytes), terminfo in terms.items():
            if fieldname not in schema:
                continue
            ids, weights, values = _term_postings(terms, terminfo, schema[fieldname].format)
            new = renumber[ids]
            if docmap is not None:
                kept = new >= 0
                if not kept.all():
                    new, weights = new[kept], weights[kept]
                    values = list(compress(values, kept))
                    if not len(new):
                        continue
            self.postings.add_group(
                fieldname,
                tbytes.decode("utf-8") if fieldname in text_fields else tbytes,
                array("I", new.astype(np.uint32).tobytes()),
                array("d", weights.tobytes()),
                values,
            )

    def per_document_reader(self) -> Any:
        return PrefetchedLengths(super().per_document_reader())

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        flat = FlatPostingsWriter(self.newsegment.create_file(self.storage, flat_postings.EXT))
        write_terms(self.fieldwriter, self.schema, lengths, self.postings.terms(), flat)
        flat.close()
        self.fieldwriter.close()
        if lengths:
            lengths.close()


def _term_postings(terms: Any, terminfo: Any, format_: Any) -> tuple[Any, Any, list[bytes]]:
    """A term's postings in a segment, deleted documents included: document
    numbers, weights (float64, from Whoosh's float32) and encoded values
    (``b""`` where a format has none, as the pool stores them)."""
    if terminfo.is_inlined():
        ids, weights, values = terminfo.inlined_postings()
        count = len(ids)
        # As Whoosh's ListMatcher reads them: no weights are 1.0, no values "".
        weights = weights or [1.0] * count
        values = values or [b""] * count
    else:
        ids, weights, values = [], [], []
        matcher: Any = terms._codec.postings_reader(terms._postfile, terminfo, format_)
        while not matcher._atend:
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            values.extend(matcher._values)
            matcher._next_block()
    return (
        np.asarray(ids, dtype=np.int64),
        np.asarray(weights, dtype=np.float64),
        [value or b"" for value in values],
    )


def add_segments(writer: Any, segments: Iterable[Segment]) -> None:
    """Merge *segments*' live documents into *writer*'s new segment."""
    for segment in segments:
        with SegmentReader(writer.storage, writer.schema, segment) as reader:
            writer.add_reader(reader)
