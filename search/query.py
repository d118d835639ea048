"""The query language on the local index: :mod:`search.grammar`'s tree as Whoosh queries.

A plain word is looked up in the stemmed and the exact combined fields and in
the title, as ``Or([content, exact, title^0.5])``: the shapes Whoosh's own
parser built, so the ranking (and :mod:`search.ranking`, which reproduces it)
is unchanged. Everything is analysed by the field's own chain, the one the
index was written with. What a field cannot answer as written (a phrase in a
field without positions, a wildcard on a country) is an error, not a query
that quietly matches something else.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema

from index.analysis import FRENCH_STOP_WORDS, fold
from index.schema import DEFAULT_FIELDS, FIELD_BOOSTS
from search import grammar
from search.grammar import (
    FIELD_ALIASES,
    FIELD_HELP,
    OPERATORS,
    QuerySyntaxError,
    normalize_query,
)
from search.i18n import _

__all__ = [
    "FIELD_ALIASES",
    "FIELD_HELP",
    "OPERATORS",
    "FilterError",
    "QueryCompiler",
    "QuerySyntaxError",
    "has_patterns",
    "normalize_query",
    "only_stop_words",
    "unknown_fields",
]

# Fields whose value is matched whole, not analysed into words.
FACET_FIELDS = ("country", "person")


class FilterError(QuerySyntaxError):
    """A drill-down filter (``Filters``) that names nothing, such as an unknown country:
    the fault is in the filter, not in the query text."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def unknown_fields(text: str) -> list[str]:
    """``name:`` prefixes in *text* that name no field (their words are searched)."""
    try:
        tree = grammar.parse(text)
    except QuerySyntaxError:
        return []
    found = []
    for leaf in grammar.leaves(tree):
        if isinstance(leaf, grammar.Word) and leaf.field is None and leaf.unknown_field:
            found.append(leaf.unknown_field)
    return found


def only_stop_words(text: str) -> list[str]:
    """The words of *text* if every one is a stop word (never indexed), else ``[]``."""
    try:
        tree = grammar.parse(text)
    except QuerySyntaxError:
        return []
    leaves = grammar.leaves(tree)
    words = [leaf.text for leaf in leaves if isinstance(leaf, grammar.Word | grammar.Phrase)]
    if not words or len(words) != len(leaves):
        return []
    typed = [w for text in words for w in text.split()]
    folded = [fold(grammar.unelided(w)) for w in typed]
    return typed if folded and all(f in FRENCH_STOP_WORDS for f in folded) else []


def has_patterns(q: wq.Query) -> bool:
    """Wildcards or fuzzy terms: their matches differ from field to field."""
    leaves = [q] if q.is_leaf() else q.leaves()
    return any(isinstance(leaf, wq.PatternQuery | wq.FuzzyTerm) for leaf in leaves)


def _utc(day: Any, at: time) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=UTC)


class QueryCompiler:
    """Turns query text into a Whoosh query for one schema.

    *fields* are what a word without a field searches; *any_word* makes the
    words of a query alternatives (OR) rather than all required, for
    known-item benchmarks that use a whole heading as the query.
    """

    def __init__(
        self, schema: Schema, *, fields: tuple[str, ...] = DEFAULT_FIELDS, any_word: bool = False
    ) -> None:
        self.schema = schema
        self.fields = fields
        self.any_word = any_word

    def parse(self, text: str) -> wq.Query:
        """The Whoosh query for *text*; :class:`QuerySyntaxError` when it cannot be run
        as written. Nothing to search (only stop words) gives ``NullQuery``."""
        tree = grammar.parse(text)
        if tree is None:
            return wq.NullQuery
        if self.any_word and isinstance(tree, grammar.And):
            tree = grammar.Or(tree.nodes)
        q = self._compile(tree)
        q = q.normalize()
        if isinstance(q, wq.Not):
            q = wq.AndNot(wq.Every(), q.query)
        return q

    # --- One node at a time ---------------------------------------------------------

    def _compile(self, node: grammar.Node) -> wq.Query:
        if isinstance(node, grammar.And):
            # ``*`` beside words adds nothing to them (a pasted "… !*").
            parts = [
                self._compile(child) for child in node.nodes if not isinstance(child, grammar.Every)
            ] or [wq.Every()]
            if all(isinstance(p, wq.Not) for p in parts):
                # Only exclusions: every article but those.
                excluded = [p.query for p in parts if isinstance(p, wq.Not)]
                return wq.AndNot(wq.Every(), wq.Or(excluded))
            return wq.And(parts)
        if isinstance(node, grammar.Or):
            if any(isinstance(child, grammar.Every) for child in node.nodes):
                return wq.Every()
            return wq.Or([self._compile(child) for child in node.nodes])
        if isinstance(node, grammar.Not):
            return wq.Not(self._compile(node.node))
        if isinstance(node, grammar.Every):
            return wq.Every()
        if isinstance(node, grammar.DateRange):
            start = _utc(node.start, time.min) if node.start else None
            end = _utc(node.end, time.max) if node.end else None
            return wq.DateRange("date", start, end)
        if isinstance(node, grammar.Word):
            return self._word(node)
        if isinstance(node, grammar.Phrase):
            return self._phrase(node)
        if isinstance(node, grammar.Pattern):
            return self._pattern(node)
        if isinstance(node, grammar.Fuzzy):
            return self._fuzzy(node)
        raise AssertionError(node)

    def _targets(self, field: str | None) -> list[tuple[str, float]]:
        if field is None:
            return [(f, FIELD_BOOSTS[f]) for f in self.fields]
        return [(field, 1.0)]

    def _terms(self, fieldname: str, text: str) -> list[str]:
        """*text* through *fieldname*'s own analysis chain, as the index holds it."""
        return list(self.schema[fieldname].process_text(text, mode="query"))

    def _word(self, node: grammar.Word) -> wq.Query:
        if node.field in FACET_FIELDS:
            # Resolved against the index's own names by the engine.
            return wq.Term(node.field, node.text, boost=node.boost)
        parts: list[wq.Query] = []
        for fieldname, boost in self._targets(node.field):
            terms = self._terms(fieldname, node.text)
            if len(terms) > 1:
                # A word the analysis splits (``États-Unis``, ``covid-19``) means
                # its parts together, in order: a phrase.
                return self._phrase(grammar.Phrase(node.text, node.field, 0, node.boost))
            if terms:
                parts.append(wq.Term(fieldname, terms[0], boost=boost * node.boost))
        if not parts:
            return wq.NullQuery
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def _phrase(self, node: grammar.Phrase) -> wq.Query:
        """A phrase is matched on one positional field: the stemmed combined field
        for the default fields (the title and the exact forms are in it), or the
        field named. One word is a word of that field."""
        if node.field in FACET_FIELDS:
            return wq.Term(node.field, node.text, boost=node.boost)
        fieldname = "content" if node.field is None else node.field
        if fieldname not in self.schema:
            raise QuerySyntaxError(
                _("{field}: is not a field of this index (fields: {fields})").format(
                    field=fieldname, fields=FIELD_HELP
                )
            )
        terms = self._terms(fieldname, node.text)
        if not terms:
            return wq.NullQuery
        if len(terms) == 1:
            return wq.Term(fieldname, terms[0], boost=node.boost)
        field_format = self.schema[fieldname].format
        if field_format is None or not field_format.supports("positions"):
            raise QuerySyntaxError(
                _(
                    "{field} keeps no word positions, so a phrase cannot be matched in it: "
                    "search --index again to rebuild it with this version"
                ).format(field=fieldname)
            )
        return wq.Phrase(fieldname, terms, slop=node.slop + 1, boost=node.boost)

    def _pattern(self, node: grammar.Pattern) -> wq.Query:
        """Wildcards skip analysis (a stem of ``sécur*`` means nothing): folded like
        the index, and matched on the stems and the exact forms alike.

        A match scores its field's boost, whatever word of the pattern it holds
        (as OpenSearch scores ``prefix`` and ``wildcard``). Whoosh's own pattern
        scores depend on the segments: BM25 where a segment holds one word of
        the pattern, a constant where it holds several, so the order of the
        hits changed with how the index was built."""
        text = grammar.pattern_text(node)
        parts: list[wq.Query] = []
        for fieldname, boost in self._targets(node.field):
            if text.endswith("*") and not set(text[:-1]) & {"*", "?"}:
                pattern: wq.Query = wq.Prefix(fieldname, text[:-1])
            else:
                pattern = wq.Wildcard(fieldname, text)
            parts.append(wq.ConstantScoreQuery(pattern, boost * node.boost))
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    def _fuzzy(self, node: grammar.Fuzzy) -> wq.Query:
        text = grammar.pattern_text(node)
        parts: list[wq.Query] = [
            wq.FuzzyTerm(fieldname, text, boost=boost * node.boost, maxdist=node.edits)
            for fieldname, boost in self._targets(node.field)
        ]
        return parts[0] if len(parts) == 1 else wq.Or(parts)
