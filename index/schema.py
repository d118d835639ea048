"""The index schema: which fields exist, how each is analysed, what is stored.

Layout, chosen by measurement (``bench/known_item.py``): ranking uses two
*combined* fields holding title + lead + body, one stemmed (``content``) and
one only folded (``exact``). Scoring the article as one field beats scoring
title and body separately, and the exact field lets a query's own word form
outrank words that merely share its stem. ``title`` and ``lead`` are also
indexed on their own for ``title:…`` queries and a title boost; the body is
stored (for snippets) but not indexed a second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from index.analysis import exact_analyzer, stemmed_analyzer

# Bumped whenever the schema or the analysis chain changes in a way that
# makes an existing index wrong; `search index` then rebuilds from scratch.
SCHEMA_VERSION = 3

# Fields a plain query word searches, and how much each counts.
DEFAULT_FIELDS = ("content", "exact", "title")
FIELD_BOOSTS = {"content": 1.0, "exact": 1.0, "title": 0.5}

# Fields whose matches are highlighted in the stored body/title/lead.
TEXT_FIELDS = ("content", "exact", "title", "lead")


class _Grouped:
    """Whoosh's formats, fed by the French chain's per-document pass.

    Whoosh collects a field's terms token object by token object; the chain
    can hand them over already grouped (``term_positions``): the same
    postings for about a tenth less CPU over a whole build.
    """

    field_boost: float

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterable[Any]:
        if not _groups(value, analyzer, kwargs):
            return super().word_values(value, analyzer, **kwargs)  # type: ignore[misc]
        boost = self.field_boost
        grouped = analyzer.term_positions(value).items()
        return ((t, len(ps), len(ps) * boost, self._encoded(ps)) for t, ps in grouped)

    def _encoded(self, positions: list[int]) -> bytes:
        raise NotImplementedError


class _ChainPositions(_Grouped, Positions):
    def _encoded(self, positions: list[int]) -> bytes:
        return self.encode(positions)  # type: ignore[no-any-return]


class _ChainFrequency(_Grouped, Frequency):
    def _encoded(self, positions: list[int]) -> bytes:
        return pack_uint(len(positions))


def _groups(value: Any, analyzer: Any, kwargs: dict[str, Any]) -> bool:
    """Whether the chain's own pass gives what Whoosh's token stream would."""
    plain = isinstance(value, str) and set(kwargs) <= {"mode"}
    return plain and hasattr(analyzer, "term_positions")


def _french_text(analyzer: Any, *, phrase: bool = True, **kwargs: Any) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=phrase, **kwargs)
    assert field.format is not None
    chained = _ChainPositions if phrase else _ChainFrequency
    field.format = chained(field_boost=field.format.field_boost)
    return field


def build_schema() -> Schema:
    stemmed = stemmed_analyzer()
    exact = exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        path=ID(stored=True),
        title=_french_text(stemmed, stored=True),
        lead=_french_text(stemmed, stored=True),
        body=STORED(),
        content=_french_text(stemmed),
        # No positions: phrases are matched on ``content`` only (see search.query).
        exact=_french_text(exact, spelling=True, phrase=False),
        date=DATETIME(stored=True, sortable=True),
        date_source=STORED(),
        source=KEYWORD(stored=True, lowercase=True, commas=True),
        author=KEYWORD(stored=True, lowercase=True, commas=True),
        section=KEYWORD(stored=True, lowercase=True, commas=True),
        url=STORED(),
        # Facets, filled by entity extraction. ``country`` holds ISO 3166-1
        # alpha-2 codes; ``person`` the folded canonical names (the keys that
        # filters match); ``facets`` packs both, with the persons' display
        # names, in a per-document column that facet counting reads without
        # touching the stored body.
        country=KEYWORD(stored=True, commas=True, lowercase=False),
        person=KEYWORD(commas=True, lowercase=False),
        person_names=STORED(),
        facets=COLUMN(VarBytesColumn()),
    )


# ``facets`` column layout: codes, then display names, each joined by UNIT.
RECORD, UNIT = "\x1e", "\x1f"


def pack_facets(countries: list[str], persons: list[str]) -> bytes:
    return (UNIT.join(countries) + RECORD + UNIT.join(persons)).encode("utf-8")


def unpack_facets(value: bytes | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not value:
        return (), ()
    countries, _, persons = value.decode("utf-8").partition(RECORD)
    return tuple(c for c in countries.split(UNIT) if c), tuple(p for p in persons.split(UNIT) if p)
