"""Facet counts and filters: country, person and date.

Counting must stay interactive on the whole corpus, so it does not use
Whoosh's generic ``groupedby`` (hundreds of ms per query for multi-valued
fields). Instead, once per index version, :class:`FacetTable` reads every
document's facet values from the ``facets`` and ``date`` columns into plain
tuples indexed by document number; counting a query is then a loop over its
matching document numbers.

The table also merges persons across the corpus: a surname-only value
(``Stoltenberg``, from an article that never gives the first name) joins the
one full name that ends with it anywhere in the corpus (``Jens
Stoltenberg``), and accent or case variants of a name are one person.
"""

from __future__ import annotations

import heapq
import io
import math
import mmap
import struct
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from itertools import chain, pairwise
from pathlib import Path
from typing import Any

import numpy as np

from index import minhash
from index.analysis import fold
from index.countries import find_countries, names, table
from index.minhash import PERMUTATIONS, sample_keys
from index.persons import best_spellings, person_key, surname_aliases
from index.schema import unpack_facets
from index.store import write_atomically
from search import periods, stories
from search.i18n import _
from search.periods import Granularity


@dataclass(frozen=True)
class FacetValue:
    value: str  # what a filter takes: an ISO code, a person's name, a date prefix
    label: str  # what a reader sees: "Finlande", "Jens Stoltenberg", "2022-03"
    count: int


@dataclass(frozen=True)
class FacetCounts:
    countries: list[FacetValue] = field(default_factory=list)
    persons: list[FacetValue] = field(default_factory=list)
    dates: list[FacetValue] = field(default_factory=list)
    granularity: Granularity = "month"
    unit: str = "articles"  # or "stories": the copies of one dispatch count once


class UnknownCountry(ValueError):
    pass


@cache
def _country_lookup() -> dict[str, str]:
    """Folded code, name, variant or adjective → ISO code."""
    countries, gazetteer = table()
    lookup = {code.lower(): code for code in countries}
    for key, entry in gazetteer.items():
        if entry.code:
            lookup[" ".join(key)] = entry.code
    return lookup


def resolve_country(text: str) -> str:
    """``FI``, ``fi``, ``Finlande``, ``finlandais``, ``Etats-Unis`` → an ISO code."""
    folded = " ".join(fold(text).replace("'", " ").replace("’", " ").split())
    code = _country_lookup().get(folded) or _country_lookup().get(folded.replace("-", " "))
    if code is None:
        found = find_countries(text)
        if len(found) == 1:
            return found[0].code
        raise UnknownCountry(
            _("unknown country {name} (use an ISO code like FI or a name)").format(name=repr(text))
        )
    return code


def country_name(code: str) -> str:
    return names().get(code, code)


FACET_CACHE_PREFIX = ".facets-"
SEGMENT_CACHE = ".facets-segments"
# Bumped when the layout of the cached arrays changes: older caches are rebuilt.
# 6: ties between spellings of a name broken by code point; 7: related's sample keys;
# 8: the time of day, for the tie order
CACHE_FORMAT = 8
# ``dated_by`` of an article whose only date is its file's modification time.
FILE_DATE = b"mtime"


def _places(order: Any) -> Any:
    """Each document's place in *order* (the permutation that sorts them)."""
    places = np.empty(len(order), dtype=np.int64)
    places[order] = np.arange(len(order), dtype=np.int64)
    return places


def _day(value: Any) -> int:
    """A date column value as a day number (``date.toordinal``), 0 when there is none."""
    return value.toordinal() if isinstance(value, datetime) else 0


def _second(value: Any) -> int:
    """A date column value's time of day in seconds, 0 when there is none."""
    if not isinstance(value, datetime):
        return 0
    return value.hour * 3600 + value.minute * 60 + value.second


@dataclass
class _SegmentFacets:
    """One segment's facet values, read once: a segment never changes once written
    (deletions aside, and deleted documents never reach a count)."""

    countries: list[tuple[str, ...]]
    persons: list[tuple[str, ...]]
    keys: list[tuple[str, ...]]
    days: list[int]
    signatures: Any  # uint32 (documents × PERMUTATIONS): MinHash, zeros for none
    file_dated: Any  # bool: the date is the file's modification time
    seconds: list[int]  # the time of day of the date (0 for none or midnight)

    @classmethod
    def read(cls, reader: Any) -> _SegmentFacets:
        size = reader.doc_count_all()
        countries: list[tuple[str, ...]] = [()] * size
        persons: list[tuple[str, ...]] = [()] * size
        days, seconds = [0] * size, [0] * size
        if reader.has_column("facets"):
            column = reader.column_reader("facets")
            for docnum in range(size):
                countries[docnum], persons[docnum] = unpack_facets(column[docnum])
        if reader.has_column("date"):
            column = reader.column_reader("date", translate=True)
            dates = [column[docnum] for docnum in range(size)]
            days, seconds = [_day(d) for d in dates], [_second(d) for d in dates]
        keys = [tuple(map(person_key, names)) if names else () for names in persons]
        signatures = np.zeros((size, PERMUTATIONS), dtype=np.uint32)
        if reader.has_column("story"):
            column = reader.column_reader("story")
            for docnum in range(size):
                signatures[docnum] = minhash.unpack(column[docnum])
        file_dated = np.zeros(size, dtype=bool)
        if reader.has_column("dated_by"):
            column = reader.column_reader("dated_by")
            for docnum in range(size):
                file_dated[docnum] = column[docnum] == FILE_DATE
        return cls(countries, persons, keys, days, signatures, file_dated, seconds)

    @classmethod
    def for_segment(cls, reader: Any, cache: Path | None) -> _SegmentFacets:
        segment = reader.segment() if cache is not None else None
        if segment is None or cache is None:
            return cls.read(reader)
        path = cache / f"{segment.segment_id()}.npz"
        arrays = _load_arrays(path)
        size = reader.doc_count_all()
        try:
            if arrays is not None and len(arrays["days"]) == len(arrays["file_dated"]) == size:
                countries, persons, keys = (
                    _ValueLists.from_arrays(arrays, k).rows() for k in _ROWS
                )
                seconds = arrays["seconds"].tolist()
                if len(countries) == len(persons) == len(keys) == len(seconds) == size:
                    days = arrays["days"].tolist()
                    signatures, file_dated = arrays["signatures"], arrays["file_dated"]
                    return cls(countries, persons, keys, days, signatures, file_dated, seconds)
        except _DAMAGED_CACHE:
            pass  # read again from the index, and saved anew
        found = cls.read(reader)
        arrays = {
            "days": np.array(found.days, dtype=np.int64),
            "seconds": np.array(found.seconds, dtype=np.int32),
            "signatures": found.signatures,
            "file_dated": found.file_dated,
        }
        for name in _ROWS:
            arrays.update(_ValueLists.build(getattr(found, name)).arrays(name))
        _save_arrays(path, **arrays)
        return found


_ROWS = ("countries", "persons", "keys")
# Counting takes one pass over every value once more than one document in
# this many is counted.
_MANY_DOCS = 8
# What reading a cache of the right format but wrong content raises.
_DAMAGED_CACHE = (KeyError, IndexError, ValueError, UnicodeDecodeError)


def _load_arrays(path: Path) -> dict[str, Any] | None:
    """A cache written by :func:`_save_arrays`, or ``None`` (missing, damaged, another
    format). Plain numpy arrays, no pickles: opening an index runs no code from
    its folder but Whoosh's own schema.

    The arrays are memory-mapped from the file rather than read: an open index
    then holds them as pages the OS shares and can drop, not as anonymous
    memory, and a one-liner does not copy the whole table (19 MB at 10x
    OrangeSum, 40 ms) to count the facets of a few hundred matches.
    """
    try:
        with path.open("rb") as file:
            with zipfile.ZipFile(file) as archive:
                members = archive.infolist()
            buffer: mmap.mmap | bytes
            try:
                buffer = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except OSError:  # a file system that cannot map files: read it instead
                file.seek(0)
                buffer = file.read()
        arrays = _npz_members(buffer, members)
        if int(arrays["format"]) != CACHE_FORMAT:
            return None
        return arrays
    except (OSError, KeyError, TypeError, ValueError, EOFError, struct.error,
            zipfile.BadZipFile):  # fmt: skip
        return None


# A zip member's local header (APPNOTE 4.3.7): signature, five 2-byte fields,
# three 4-byte ones, then the lengths of the name and the extra field.
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _npz_members(buffer: mmap.mmap | bytes, members: list[zipfile.ZipInfo]) -> dict[str, Any]:
    """Each array of an uncompressed ``.npz`` (what :func:`numpy.savez` writes) held
    in *buffer*, as a read-only view of it: ``np.load`` can only copy a zip's
    members. Raises ``ValueError`` for anything else (compressed, pickled)."""
    # numpy's own header readers, on a file over the buffer (a map is one).
    stream = buffer if isinstance(buffer, mmap.mmap) else io.BytesIO(buffer)
    arrays = {}
    for member in members:
        if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
            raise ValueError(f"not an uncompressed array: {member.filename}")
        # The data follows the member's local header, whose name and extra
        # field lengths may differ from the central directory's.
        local = _LOCAL_HEADER.unpack_from(buffer, member.header_offset)
        if local[0] != _LOCAL_SIGNATURE:
            raise ValueError(f"no local header: {member.filename}")
        stream.seek(member.header_offset + _LOCAL_HEADER.size + local[-2] + local[-1])
        read_header = _NPY_HEADERS.get(np.lib.format.read_magic(stream))
        if read_header is None:
            raise ValueError(f"not a version 1 or 2 array: {member.filename}")
        shape, fortran_order, dtype = read_header(stream)
        if dtype.hasobject or fortran_order:
            raise ValueError(f"not a plain array: {member.filename}")
        array = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape), offset=stream.tell())
        arrays[member.filename.removesuffix(".npy")] = array.reshape(shape)
    return arrays


def _save_arrays(path: Path, **arrays: Any) -> None:
    """Write a cache that readers see whole or not at all; a read-only index
    directory just means no cache."""
    buffer = io.BytesIO()
    np.savez(buffer, format=np.array(CACHE_FORMAT), **arrays)
    try:
        path.parent.mkdir(exist_ok=True)
        write_atomically(path, buffer.getvalue(), durable=False)
    except OSError:
        pass


def _strings(values: Iterable[str]) -> Any:
    """Strings as one UTF-8 byte string, lines apart (no name holds a line break): a
    fraction of the size of numpy's fixed-width text arrays, and as fast to read."""
    return np.array("\n".join(values).encode("utf-8"))


def _from_strings(array: Any) -> list[str]:
    text = array.item().decode("utf-8")
    return text.split("\n") if text else []


def _mapping(keys: Any, values: Any) -> dict[str, str]:
    return dict(zip(_from_strings(keys), _from_strings(values), strict=True))


@dataclass
class _ValueLists:
    """Each document's values of one multi-valued facet (country codes, person keys)
    as numpy arrays: document *d* has ``vocab[ids[starts[d]:starts[d + 1]]]``.

    Loaded from disk in milliseconds without running any code (``allow_pickle``
    off), and counted with ``np.bincount`` instead of a Python loop per match.
    """

    vocab: list[str]
    starts: Any  # int64, one more than there are documents
    ids: Any  # int32 positions in vocab

    @classmethod
    def build(cls, rows: list[tuple[str, ...]]) -> _ValueLists:
        index: dict[str, int] = {}
        ids = [index.setdefault(value, len(index)) for row in rows for value in row]
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(row) for row in rows], out=starts[1:])
        return cls(list(index), starts, np.array(ids, dtype=np.int32))

    def counts(self, docs: Any) -> Any:
        """How many of *docs* (document numbers, each once) hold each value of the
        vocabulary."""
        size = len(self.starts) - 1
        if len(docs) * _MANY_DOCS > size:
            # Many documents: one pass over every value, kept if its document
            # is chosen, beats gathering each chosen document's values (10x
            # OrangeSum, persons of 200,000 of 360,000 articles: 19 → 7 ms).
            chosen = np.zeros(size, dtype=bool)
            chosen[docs] = True
            return np.bincount(self.ids[chosen[self.document_of]], minlength=len(self.vocab))
        begin = self.starts[docs]
        lengths = self.starts[docs + 1] - begin
        total = int(lengths.sum())
        if not total:
            return np.zeros(len(self.vocab), dtype=np.int64)
        # Position of each selected value: its document's first value, plus
        # its rank among that document's values.
        firsts = np.cumsum(lengths) - lengths
        offsets = np.arange(total) - np.repeat(firsts - begin, lengths)
        return np.bincount(self.ids[offsets], minlength=len(self.vocab))

    @cached_property
    def document_of(self) -> Any:
        """The document of each value in ``ids`` (computed once)."""
        size = len(self.starts) - 1
        return np.repeat(np.arange(size, dtype=np.int32), np.diff(self.starts))

    def top(self, docs: Any, top: int) -> list[tuple[str, int]]:
        """The *top* values most frequent among *docs*; ties alphabetical.

        Only values at least as frequent as the *top*-th can be shown, so only
        they are ordered by name: ranking the whole vocabulary alphabetically
        once per index cost a one-liner 20 ms at 10x OrangeSum.
        """
        counts = self.counts(docs)
        found = np.flatnonzero(counts)
        if len(found) > top:
            threshold = np.partition(counts[found], len(found) - top)[len(found) - top]
            found = found[counts[found] >= threshold]
        vocab = self.vocab
        ranked = heapq.nsmallest(
            top, zip((-counts[found]).tolist(), found.tolist(), strict=True),
            key=lambda pair: (pair[0], vocab[pair[1]]),
        )  # fmt: skip
        return [(vocab[i], -negative) for negative, i in ranked]

    def arrays(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}_vocab": _strings(self.vocab),
            f"{prefix}_starts": self.starts,
            f"{prefix}_ids": self.ids,
        }

    def rows(self) -> list[tuple[str, ...]]:
        """Each document's values, as :meth:`build` took them."""
        vocab, ids, starts = self.vocab, self.ids.tolist(), self.starts.tolist()
        return [tuple(vocab[i] for i in ids[a:b]) for a, b in pairwise(starts)]

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> _ValueLists:
        return cls(
            _from_strings(arrays[f"{prefix}_vocab"]),
            arrays[f"{prefix}_starts"],
            arrays[f"{prefix}_ids"],
        )


def segment_ids(reader: Any) -> list[str]:
    """The reader's segments, in document order: what a saved table was built from."""
    return [leaf.segment().segment_id() for leaf, _ in reader.leaf_readers() if leaf.segment()]


class FacetTable:
    """Every document's facet values, by document number, for one index version.

    Kept beside the index as a ``.npz`` of plain arrays, read with
    ``allow_pickle=False``: opening an index runs no code from its folder
    other than Whoosh's own schema.
    """

    countries: _ValueLists
    persons: _ValueLists  # canonical person keys
    days: Any  # numpy int64 day numbers, 0 for no date
    seconds: Any  # numpy int32: the time of day of each date, in seconds
    stories: Any  # numpy int64 story ids (search.stories): the first document of each
    sample_keys: Any  # numpy int64 (index.minhash.sample_keys): related reads the smallest
    file_dated: Any  # numpy bool: dated only by the file's modification time
    segments: list[str]
    display: dict[str, str]  # person key -> the name shown
    alias: dict[str, str]  # surname key -> the one full name's key

    @classmethod
    def load(cls, path: Path) -> FacetTable | None:
        """The table saved for this index version, or ``None`` (missing or unreadable)."""
        arrays = _load_arrays(path)
        if arrays is None:
            return None
        table = cls.__new__(cls)
        try:
            table.days = arrays["days"]
            table.seconds = arrays["seconds"]
            table.stories = arrays["stories"]
            table.sample_keys = arrays["sample_keys"]
            table.file_dated = arrays["file_dated"]
            table.countries = _ValueLists.from_arrays(arrays, "country")
            table.persons = _ValueLists.from_arrays(arrays, "person")
            table.segments = _from_strings(arrays["segments"])
            table.display = _mapping(arrays["display_keys"], arrays["display_names"])
            table.alias = _mapping(arrays["alias_keys"], arrays["alias_targets"])
        except _DAMAGED_CACHE:
            return None
        return table

    def save(self, path: Path) -> None:
        """Keep this version's table, and drop older versions' tables and the
        caches of segments this version no longer has."""
        _save_arrays(
            path,
            days=self.days,
            seconds=self.seconds,
            stories=self.stories,
            sample_keys=self.sample_keys,
            file_dated=self.file_dated,
            segments=_strings(self.segments),
            display_keys=_strings(self.display),
            display_names=_strings(self.display.values()),
            alias_keys=_strings(self.alias),
            alias_targets=_strings(self.alias.values()),
            **self.countries.arrays("country"),
            **self.persons.arrays("person"),
        )
        if not path.exists():
            return  # not written (a read-only index): nothing to tidy either
        for old in path.parent.glob(f"{FACET_CACHE_PREFIX}*"):
            if old != path and old.is_file():
                old.unlink(missing_ok=True)
        keep = {f"{s}.npz" for s in self.segments}
        for old in (path.parent / SEGMENT_CACHE).glob("*"):
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def __init__(self, reader: Any, segment_cache: Path | None = None) -> None:
        countries: list[tuple[str, ...]] = []
        persons: list[tuple[str, ...]] = []
        keys: list[tuple[str, ...]] = []
        days: list[int] = []
        seconds: list[int] = []
        signatures = []
        file_dated = []
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        self.segments = segment_ids(reader)
        for leaf in leaves:
            part = _SegmentFacets.for_segment(leaf, segment_cache)
            countries += part.countries
            persons += part.persons
            keys += part.keys
            days += part.days
            seconds += part.seconds
            signatures.append(part.signatures)
            file_dated.append(part.file_dated)
        self.days = np.array(days, dtype=np.int64)
        self.seconds = np.array(seconds, dtype=np.int32)
        self.file_dated = np.concatenate(file_dated) if file_dated else np.zeros(0, dtype=bool)
        live = np.ones(len(days), dtype=bool)
        if reader.has_deletions():
            live[:] = False
            live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        every = np.concatenate(signatures) if signatures else np.zeros((0, PERMUTATIONS), np.uint32)
        self.stories = stories.group(every, live)
        self.sample_keys = sample_keys(every)
        self.countries = _ValueLists.build(countries)
        self._merge_persons(persons, keys)
        # Counting reads canonical keys: computed once here, not per query.
        alias = self.alias
        if alias:
            aliased = alias.keys()
            keys = [
                tuple(dict.fromkeys(alias.get(k, k) for k in ks)) if aliased & set(ks) else ks
                for ks in keys
            ]
        self.persons = _ValueLists.build(keys)

    def _merge_persons(self, persons: list[tuple[str, ...]], keys: list[tuple[str, ...]]) -> None:
        """One display name per person key; surnames join their unique full name."""
        spellings = Counter(
            zip(chain.from_iterable(keys), chain.from_iterable(persons), strict=True)
        )
        self.display = best_spellings((k, n, c) for (k, n), c in spellings.items())
        self.alias = surname_aliases(self.display)

    @cached_property
    def by_word(self) -> dict[str, list[str]]:
        """Each word of a person's key -> the keys that hold it."""
        found: dict[str, list[str]] = {}
        for key in self.display:
            for word in dict.fromkeys(key.split()):
                found.setdefault(word, []).append(key)
        return found

    @cached_property
    def aliased_by(self) -> dict[str, list[str]]:
        """A full name's key -> the surname keys merged into it."""
        found: dict[str, list[str]] = {}
        for key, target in self.alias.items():
            found.setdefault(target, []).append(key)
        return found

    def person_keys(self, name: str) -> list[str]:
        """Index keys of every person whose name holds *name*'s words, in order and
        whole: ``Macron`` means Emmanuel and Brigitte Macron as well as a lone
        "Macron", ``Jens Stoltenberg`` the one person (and the surname merged into
        him). A name no one has gives its own key, which matches nothing."""
        key = person_key(name)
        words = key.split()
        if not words:
            return [key]
        padded = f" {key} "
        matched = [k for k in self.by_word.get(words[0], ()) if padded in f" {k} "]
        if not matched:
            return [key]
        merged = [k for m in matched for k in self.aliased_by.get(m, ())]
        return list(dict.fromkeys([*matched, *merged]))

    def canonical(self, name: str) -> str:
        key = person_key(name)
        return self.display.get(self.alias.get(key, key), name)

    @cached_property
    def tie_order(self) -> Any:
        """Each document's place in the order that ranks equal scores: newest
        first by day and time (no date last), then by sample key
        (:func:`index.minhash.sample_keys`, drawn from the text), then by
        document number.

        Document numbers depend on how the index was built (one process or
        several, the commits, the merges); dates and texts do not, and the
        cluster breaks its ties by the same two keys. So a query lists the same
        articles in the same order whatever built the index, locally or on a
        cluster, copies of one text on one day aside (those keep index order).
        """
        return _places(np.lexsort((self.sample_keys, -self.seconds, -self.days)))

    @cached_property
    def first_published(self) -> Any:
        """Each document's place in the order that picks the article a story
        counts by: earliest first by day and time (no date last), then by
        sample key, then by document number. A story counts once, as its first
        publication; the cluster picks the same one (``date``, ``sample_key``,
        ``article_id``), copies of one text at one time aside, which carry the
        same facets anyway."""
        days = np.where(self.days > 0, self.days, np.iinfo(np.int64).max)
        return _places(np.lexsort((self.sample_keys, self.seconds, days)))

    def day_numbers(self, file_dates: bool = True) -> Any:
        """Each document's date as a day number (``date.toordinal``), 0 when it has
        none, or (without *file_dates*) when it is only its file's modification time."""
        if file_dates or not self.file_dated.any():
            return self.days
        return np.where(self.file_dated, 0, self.days)

    def count(
        self, docnums: Iterable[int], *, top: int = 10, granularity: Granularity = "month"
    ) -> FacetCounts:
        docs = np.fromiter(docnums, dtype=np.int64)
        display = self.display
        return FacetCounts(
            countries=[FacetValue(c, country_name(c), n) for c, n in self.countries.top(docs, top)],
            persons=[FacetValue(display[k], display[k], n) for k, n in self.persons.top(docs, top)],
            # Dates in calendar order: a timeline reads better than a ranking.
            dates=[
                FacetValue(d, d, n)
                for d, n in sorted(periods.count(self.days[docs], granularity).items())
            ],
            granularity=granularity,
        )
