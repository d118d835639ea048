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
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any, Literal

import numpy as np

from index.analysis import fold
from index.countries import Country, find_countries, table
from index.persons import person_key
from index.schema import unpack_facets

Granularity = Literal["year", "month", "day"]


@dataclass(frozen=True)
class Filters:
    """Drill-down: AND across facets, OR within one (``countries=("FI", "SE")``)."""

    countries: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def __bool__(self) -> bool:
        return bool(self.countries or self.persons or self.since or self.until)


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
        raise UnknownCountry(f"unknown country {text!r} (use an ISO code like FI or a name)")
    return code


def country_name(code: str) -> str:
    country: Country | None = table()[0].get(code)
    return country.name if country else code


# How much of an ISO date names a year, a month or a day.
_ISO_WIDTH = {"year": 4, "month": 7, "day": 10}


def _top(counts: Counter[str], top: int) -> list[tuple[str, int]]:
    """Most frequent first; ties in a stable, alphabetical order."""
    return heapq.nsmallest(top, counts.items(), key=lambda item: (-item[1], item[0]))


FACET_CACHE_PREFIX = ".facets-"
SEGMENT_CACHE = ".facets-segments"
# Bumped when the layout of the cached JSON changes: older caches are rebuilt.
CACHE_FORMAT = 2


def _day(value: Any) -> int:
    """A date column value as a day number (``date.toordinal``), 0 when there is none."""
    return value.toordinal() if isinstance(value, datetime) else 0


@dataclass
class _SegmentFacets:
    """One segment's facet values, read once: a segment never changes once written
    (deletions aside, and deleted documents never reach a count)."""

    countries: list[tuple[str, ...]]
    persons: list[tuple[str, ...]]
    keys: list[tuple[str, ...]]
    days: list[int]

    @classmethod
    def read(cls, reader: Any) -> _SegmentFacets:
        size = reader.doc_count_all()
        countries: list[tuple[str, ...]] = [()] * size
        persons: list[tuple[str, ...]] = [()] * size
        days = [0] * size
        if reader.has_column("facets"):
            column = reader.column_reader("facets")
            for docnum in range(size):
                countries[docnum], persons[docnum] = unpack_facets(column[docnum])
        if reader.has_column("date"):
            column = reader.column_reader("date", translate=True)
            days = [_day(column[docnum]) for docnum in range(size)]
        keys = [tuple(map(person_key, names)) if names else () for names in persons]
        return cls(countries, persons, keys, days)

    @classmethod
    def for_segment(cls, reader: Any, cache: Path | None) -> _SegmentFacets:
        segment = reader.segment() if cache is not None else None
        if segment is None or cache is None:
            return cls.read(reader)
        path = cache / f"{segment.segment_id()}.json"
        data = _load_json(path)
        if data is not None and len(data["days"]) == reader.doc_count_all():
            countries, persons, keys = (_tuples(data[k]) for k in ("countries", "persons", "keys"))
            return cls(countries, persons, keys, list(data["days"]))
        found = cls.read(reader)
        _save_json(
            {"format": CACHE_FORMAT, **{k: getattr(found, k) for k in _SEGMENT_KEYS}}, path
        )
        return found


_SEGMENT_KEYS = ("countries", "persons", "keys", "days")


def _tuples(rows: list[list[str]]) -> list[tuple[str, ...]]:
    return list(map(tuple, rows))


def _load_json(path: Path) -> dict[str, Any] | None:
    """A cache written by :func:`_save_json`, or ``None`` (missing, damaged, other format).

    Caches are JSON, never pickles: opening an index must not run code that a
    file beside it says to run (Whoosh's own schema is the one pickle left).
    """
    try:
        with path.open("rb") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return None
    return data


def _save_json(value: dict[str, Any], path: Path) -> None:
    """Write a cache so that readers see the old file or the new, never half;
    a read-only index directory just means no cache."""
    try:
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(value, out, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        pass


class FacetTable:
    """Every document's facet values, by document number, for one index version."""

    countries: list[tuple[str, ...]]
    keys_by_doc: list[tuple[str, ...]]
    days: Any  # numpy int64 day numbers, 0 for no date
    segments: list[str]
    display: dict[str, str]
    by_surname: dict[str, set[str]]
    alias: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> FacetTable | None:
        """The table saved for this index version, or ``None`` (missing or unreadable)."""
        data = _load_json(path)
        if data is None:
            return None
        table = cls.__new__(cls)
        try:
            table.countries = _tuples(data["countries"])
            table.keys_by_doc = _tuples(data["keys_by_doc"])
            table.days = np.array(data["days"], dtype=np.int64)
            table.segments = list(data["segments"])
            table.display = dict(data["display"])
            table.by_surname = {k: set(v) for k, v in data["by_surname"].items()}
            table.alias = dict(data["alias"])
        except (KeyError, TypeError, ValueError):
            return None
        return table

    def save(self, path: Path) -> None:
        """Keep this version's table, and drop older versions' tables and the
        caches of segments this version no longer has."""
        data = {
            "format": CACHE_FORMAT,
            "countries": self.countries,
            "keys_by_doc": self.keys_by_doc,
            "days": self.days.tolist(),
            "segments": self.segments,
            "display": self.display,
            "by_surname": {k: sorted(v) for k, v in self.by_surname.items()},
            "alias": self.alias,
        }
        _save_json(data, path)
        for old in path.parent.glob(f"{FACET_CACHE_PREFIX}*"):
            if old != path and old.is_file():
                old.unlink(missing_ok=True)
        keep = {f"{s}.json" for s in self.segments}
        for old in (path.parent / SEGMENT_CACHE).glob("*"):
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def __init__(self, reader: Any, segment_cache: Path | None = None) -> None:
        self.countries = []
        persons: list[tuple[str, ...]] = []
        keys: list[tuple[str, ...]] = []
        days: list[int] = []
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        self.segments = [leaf.segment().segment_id() for leaf in leaves if leaf.segment()]
        for leaf in leaves:
            part = _SegmentFacets.for_segment(leaf, segment_cache)
            self.countries += part.countries
            persons += part.persons
            keys += part.keys
            days += part.days
        self.days = np.array(days, dtype=np.int64)
        self._merge_persons(persons, keys)
        # Counting reads canonical keys: computed once here, not per query.
        alias = self.alias
        if alias:
            aliased = alias.keys()
            self.keys_by_doc = [
                tuple(dict.fromkeys(alias.get(k, k) for k in ks)) if aliased & set(ks) else ks
                for ks in keys
            ]
        else:
            self.keys_by_doc = keys

    def _merge_persons(self, persons: list[tuple[str, ...]], keys: list[tuple[str, ...]]) -> None:
        """One display name per person key; surnames join their unique full name."""
        spellings = Counter(
            zip(chain.from_iterable(keys), chain.from_iterable(persons), strict=True)
        )
        best: dict[str, tuple[int, str]] = {}
        for (key, name), count in spellings.items():
            if key not in best or count > best[key][0]:
                best[key] = (count, name)
        self.display = {key: name for key, (_, name) in best.items()}
        self.by_surname: dict[str, set[str]] = {}
        for key in best:
            if " " in key:
                self.by_surname.setdefault(key.rsplit(" ", 1)[1], set()).add(key)
        self.alias: dict[str, str] = {}
        for key in best:
            if " " not in key and len(self.by_surname.get(key, ())) == 1:
                self.alias[key] = next(iter(self.by_surname[key]))

    def person_keys(self, name: str) -> list[str]:
        """Index keys that mean the person *name* (itself and merged surnames)."""
        key = person_key(name)
        full_names = self.by_surname.get(key, set())
        if key not in self.display and len(full_names) == 1:
            key = next(iter(full_names))  # ``person:Stoltenberg`` means the only one
        key = self.alias.get(key, key)
        return [key, *(k for k, target in self.alias.items() if target == key)]

    def canonical(self, name: str) -> str:
        key = person_key(name)
        return self.display.get(self.alias.get(key, key), name)

    def day_numbers(self) -> Any:
        """Each document's date as a day number (``date.toordinal``), 0 when it has none."""
        return self.days

    def _date_counts(self, docnums: list[int], granularity: Granularity) -> Counter[str]:
        """Matches per year, month or day: counted per distinct day, then labelled,
        so that no date of the whole index has to be formatted first."""
        days, counts = np.unique(self.day_numbers()[docnums], return_counts=True)
        width = _ISO_WIDTH[granularity]
        found: Counter[str] = Counter()
        for day, count in zip(days.tolist(), counts.tolist(), strict=True):
            if day:
                found[date.fromordinal(day).isoformat()[:width]] += count
        return found

    def count(
        self, docnums: Iterable[int], *, top: int = 10, granularity: Granularity = "month"
    ) -> FacetCounts:
        # Counter counts an iterable in C: no Python loop per document.
        docnums = docnums if isinstance(docnums, list) else list(docnums)
        display = self.display
        countries = Counter(chain.from_iterable(map(self.countries.__getitem__, docnums)))
        # Keys are unique within a document: a person counts once per article.
        persons = Counter(chain.from_iterable(map(self.keys_by_doc.__getitem__, docnums)))
        dates = self._date_counts(docnums, granularity)
        return FacetCounts(
            countries=[FacetValue(c, country_name(c), n) for c, n in _top(countries, top)],
            persons=[FacetValue(display[k], display[k], n) for k, n in _top(persons, top)],
            # Dates in calendar order: a timeline reads better than a ranking.
            dates=[FacetValue(d, d, n) for d, n in sorted(dates.items())],
            granularity=granularity,
        )
