"""The query language's tree (:mod:`search.grammar`) as OpenSearch query DSL.

Words go through our own analysis chain and are matched on the terms the
documents carry (:mod:`cluster.documents`), with the local engine's shapes: a
plain word is its stem in the combined text, its folded form, or its stem in
the title (weight 0.5), a split word or a phrase is a phrase of stems, a
person is every person whose name holds the words. What the local engine
refuses (:class:`search.grammar.QuerySyntaxError`), this refuses alike.
"""

from __future__ import annotations

from typing import Any

from cluster.documents import TERM_FIELDS
from index.analysis import exact_analyzer, stemmed_analyzer
from index.persons import person_key
from search import grammar
from search.facets import UnknownCountry, resolve_country
from search.grammar import QuerySyntaxError
from search.snippets import TermMatcher

_STEMMED = stemmed_analyzer()
_EXACT = exact_analyzer()
# Fields whose words are analysed like the exact field (not stemmed).
_EXACT_FIELDS = {"source", "author", "section"}


def _analyser(field: str) -> Any:
    return _EXACT if field in _EXACT_FIELDS or field == "exact" else _STEMMED


def _query_terms(field: str, text: str) -> list[str]:
    return [t.text for t in _analyser(field)(text, mode="query")]


def to_dsl(tree: grammar.Node | None) -> dict[str, Any]:
    """The DSL query of *tree* (``None``, nothing to search: matches nothing)."""
    if tree is None:
        return {"match_none": {}}
    return _node(tree)


def _node(node: grammar.Node) -> dict[str, Any]:
    if isinstance(node, grammar.And):
        parts = [n for n in node.nodes if not isinstance(n, grammar.Every)]
        if not parts:
            return {"match_all": {}}
        must = [_node(n) for n in parts if not isinstance(n, grammar.Not)]
        must_not = [_node(n.node) for n in parts if isinstance(n, grammar.Not)]
        return {"bool": {"must": must or [{"match_all": {}}], "must_not": must_not}}
    if isinstance(node, grammar.Or):
        if any(isinstance(n, grammar.Every) for n in node.nodes):
            return {"match_all": {}}
        return {"bool": {"should": [_node(n) for n in node.nodes], "minimum_should_match": 1}}
    if isinstance(node, grammar.Not):
        return {"bool": {"must": [{"match_all": {}}], "must_not": [_node(node.node)]}}
    if isinstance(node, grammar.Every):
        return {"match_all": {}}
    if isinstance(node, grammar.DateRange):
        bounds: dict[str, str] = {}
        if node.start:
            bounds["gte"] = node.start.isoformat()
        if node.end:
            bounds["lte"] = f"{node.end.isoformat()}T23:59:59.999"
        return {"range": {"date": bounds}}
    if isinstance(node, grammar.Word | grammar.Phrase) and node.field in ("country", "person"):
        return _facet(node.field, node.text, node.boost)
    if isinstance(node, grammar.Word):
        return _word(node)
    if isinstance(node, grammar.Phrase):
        return _phrase(node.text, node.field, node.slop, node.boost)
    if isinstance(node, grammar.Pattern):
        return _pattern(node)
    if isinstance(node, grammar.Fuzzy):
        return _fuzzy(node)
    raise AssertionError(node)


def _targets(field: str | None) -> list[tuple[str, float]]:
    if field is None:
        return [("content", 1.0), ("exact", 1.0), ("title", 0.5)]
    return [(field, 1.0)]


def _term(field: str, text: str, boost: float) -> dict[str, Any]:
    return {"term": {TERM_FIELDS[field]: {"value": text, "boost": boost}}}


def _any(parts: list[dict[str, Any]]) -> dict[str, Any]:
    if len(parts) == 1:
        return parts[0]
    return {"bool": {"should": parts, "minimum_should_match": 1}}


def _word(node: grammar.Word) -> dict[str, Any]:
    parts = []
    for field, boost in _targets(node.field):
        found = _query_terms("exact" if field == "exact" else field, node.text)
        if len(found) > 1:  # a split word: the phrase of its parts
            return _phrase(node.text, node.field, 0, node.boost)
        if found:
            parts.append(_term(field, found[0], boost * node.boost))
    return _any(parts) if parts else {"match_none": {}}


def _phrase(text: str, field: str | None, slop: int, boost: float) -> dict[str, Any]:
    field = field or "content"
    found = _query_terms(field, text)
    if not found:
        return {"match_none": {}}
    if len(found) == 1:
        return _term(field, found[0], boost)
    name = TERM_FIELDS[field]
    if slop == 0:
        return {"match_phrase": {name: {"query": " ".join(found), "boost": boost}}}
    # In this order, at most *slop* words between each: a phrase query with slop
    # would also take the words reversed; the local engine does not.
    return {"span_near": {"clauses": [{"span_term": {name: t}} for t in found],
                          "slop": slop, "in_order": True, "boost": boost}}  # fmt: skip


def _facet(field: str, text: str, boost: float) -> dict[str, Any]:
    """A country or a person: a match scores *boost*, once, as locally (a facet
    filters, it does not rank; a name held by several persons counts once)."""
    if field == "country":
        try:
            clause = {"term": {"country": resolve_country(text)}}
        except UnknownCountry as error:
            raise QuerySyntaxError(str(error)) from None
    else:
        # Every person whose key holds the words, in order (as the local engine).
        clause = {"match_phrase": {"person_words": person_key(text)}}
    return {"constant_score": {"filter": clause, "boost": boost}}


def _pattern(node: grammar.Pattern) -> dict[str, Any]:
    text = grammar.pattern_text(node)
    parts = []
    for field, boost in _targets(node.field):
        name = TERM_FIELDS[field]
        if text.endswith("*") and not set(text[:-1]) & {"*", "?"}:
            parts.append({"prefix": {name: {"value": text[:-1], "boost": boost * node.boost}}})
        else:
            parts.append({"wildcard": {name: {"value": text, "boost": boost * node.boost}}})
    return _any(parts)


def _fuzzy(node: grammar.Fuzzy) -> dict[str, Any]:
    text = grammar.pattern_text(node)
    return _any([
        {"fuzzy": {TERM_FIELDS[field]: {"value": text, "fuzziness": node.edits,
                                        "prefix_length": 0, "transpositions": False,
                                        "boost": boost * node.boost}}}
        for field, boost in _targets(node.field)
    ])  # fmt: skip


def matcher(tree: grammar.Node | None) -> TermMatcher:
    """What to mark in a hit's text, from the query alone (wildcards and fuzzy
    words, which the local engine expands against its index, are not marked)."""
    words: list[tuple[str, str]] = []
    phrases: list[tuple[tuple[str, ...], int]] = []
    for leaf in positive_leaves(tree):
        if isinstance(leaf, grammar.Word) and leaf.field in (None, "title", "lead", "content"):
            stems = _query_terms("content", leaf.text)
            if len(stems) > 1:
                phrases.append((tuple(stems), 1))
            else:
                words += [("content", s) for s in stems]
                words += [("exact", w) for w in _query_terms("exact", leaf.text)]
        elif isinstance(leaf, grammar.Phrase) and leaf.field in (None, "title", "lead", "content"):
            stems = _query_terms("content", leaf.text)
            if len(stems) > 1:
                phrases.append((tuple(stems), leaf.slop + 1))
            else:
                words += [("content", s) for s in stems]
    return TermMatcher.from_terms(words, phrases)


def positive_leaves(tree: grammar.Node | None) -> list[grammar.Node]:
    if tree is None or isinstance(tree, grammar.Not):
        return []
    if isinstance(tree, grammar.And | grammar.Or):
        return [leaf for child in tree.nodes for leaf in positive_leaves(child)]
    return [tree]


__all__ = ["matcher", "to_dsl"]
