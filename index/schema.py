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
from index.articles import Article
from index.minhash import signature
from index.persons import person_key

# Bumped whenever the schema or the analysis chain changes in a way that
# makes an existing index wrong; `search index` then rebuilds from scratch.
SCHEMA_VERSION = 6

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
        items = self.index_terms(value, analyzer) if set(kwargs) <= {"mode"} else None
        if items is None:
            return super().word_values(value, analyzer, **kwargs)  # type: ignore[misc]
        return items

    def index_terms(self, value: Any, analyzer: Any) -> list[tuple[str, int, float, bytes]] | None:
        """What ``word_values`` gives (str terms, frequency, weight, encoded value), in one pass.

        Also for writers that take a document's terms at once (:mod:`index.segment`);
        ``None`` where only Whoosh's token stream gives the right postings.
        """
        if not (isinstance(value, str) and hasattr(analyzer, "term_positions")):
            return None
        boost = self.field_boost
        encoded = self._encoded
        grouped = analyzer.term_positions(value).items()
        return [(t, len(ps), len(ps) * boost, encoded(ps)) for t, ps in grouped]

    def _encoded(self, positions: list[int]) -> bytes:
        raise NotImplementedError


# Encoded single positions: most postings are one occurrence, and Whoosh
# pickles each position list.
_SINGLE_POSITIONS: dict[int, bytes] = {}


class _ChainPositions(_Grouped, Positions):
    def _encoded(self, positions: list[int]) -> bytes:
        if len(positions) > 1:
            return self.encode(positions)  # type: ignore[no-any-return]
        position = positions[0]
        encoded = _SINGLE_POSITIONS.get(position)
        if encoded is None:
            encoded = self.encode(positions)
            if len(_SINGLE_POSITIONS) < 1 << 16:
                _SINGLE_POSITIONS[position] = encoded
        return encoded  # type: ignore[no-any-return]


class _ChainFrequency(_Grouped, Frequency):
    def _encoded(self, positions: list[int]) -> bytes:
        return pack_uint(len(positions))


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
        # No positions: phrases are matched on ``content`` (see search.query).
        exact=_french_text(exact, spelling=True, phrase=False),
        date=DATETIME(stored=True, sortable=True),
        date_source=STORED(),
        title_source=STORED(),
        # Matched on their words as users type them, case and accents aside:
        # ``source:orangesum`` finds "orange.fr (OrangeSum)". With positions,
        # so that ``auteur:"Jean Dupont"`` is the phrase it says (a few bytes
        # an article: these fields are short).
        source=_french_text(exact, stored=True),
        author=_french_text(exact, stored=True),
        section=_french_text(exact, stored=True),
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
        # The text's MinHash signature (index.minhash), grouped into stories
        # (the same dispatch republished) on the read side.
        story=COLUMN(VarBytesColumn()),
        # Where the date came from, readable per document without the stored
        # fields: a date taken from the file's modification time is no
        # evidence of when the article appeared (trends leave it out).
        dated_by=COLUMN(VarBytesColumn()),
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


def document_fields(article: Article) -> dict[str, Any]:
    """The Whoosh document for an article: stored fields plus the ranking fields."""
    text = "\n".join(part for part in (article.title, article.lead, article.body) if part)
    fields: dict[str, Any] = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "content": text,
        "exact": text,
        "date_source": article.date_source,
        "title_source": article.title_source,
        "url": article.url,
    }
    if article.date is not None:
        fields["date"] = article.date
    for name in ("source", "author", "section"):
        # Stored as written ("Anna Lind, Erik Berg"): text fields, where a comma
        # is punctuation, not a separator.
        value = getattr(article, name)
        if value:
            fields[name] = value
    if article.countries:
        fields["country"] = ",".join(article.countries)
    if article.persons:
        names = [p.replace(",", " ") for p in article.persons]
        fields["person"] = ",".join(person_key(name) for name in names)
        fields["person_names"] = ",".join(names)
    fields["facets"] = pack_facets(article.countries, article.persons)
    # The body, the dispatch itself: republished copies retitle, and rewrite
    # or drop the lead (OrangeSum's identical bodies have their own summaries).
    fields["story"] = signature(article.body or article.lead)
    fields["dated_by"] = article.date_source.encode("utf-8")
    return fields
