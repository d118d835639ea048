"""``search related`` on a cluster: the local reckoning, fed by the cluster.

:func:`search.keyness.related` ranks words, expressions, persons and
countries by G² from counts and texts; here the cluster gives them:

- persons and countries: ``terms`` aggregations, exact (every value a shard
  holds), over the matches and over the index: the same numbers as locally;
- a word's articles in the index: a ``filters`` aggregation, a batch of
  words per request; in the matches, for the best candidates when not every
  match was read, the same aggregation under the query: exact, as locally;
- the articles read (up to :data:`search.keyness.SAMPLE` matches, and the
  :data:`search.keyness.BACKGROUND` articles expressions are compared
  with): those of smallest ``sample_key``, a key each document carries
  from its text's signature (:func:`index.minhash.sample_keys`), as the
  local engine chooses them: the same articles, so the same result (but
  for ties between copies of one text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from search.facets import country_name
from search.keyness import BACKGROUND, Reading, cut, read_background

if TYPE_CHECKING:
    from cluster.engine import ClusterEngine

_TEXT = ["title", "lead", "body"]
_FIELDS = {"persons": "person_canonical", "countries": "country"}


class ClusterCollection:
    """The whole cluster index, as ``related`` reads it; kept by the engine
    until the index changes (the background sample is read once)."""

    def __init__(self, engine: ClusterEngine) -> None:
        self.engine = engine
        self._documents: int | None = None
        self._background: tuple[list[Any], Reading, Counter[tuple[str, str]]] | None = None
        self._frequencies: dict[str, int] = {}

    @property
    def documents(self) -> int:
        if self._documents is None:
            self._documents = self.engine.count({"match_all": {}})
        return self._documents

    def background(self) -> tuple[list[Any], Reading, Counter[tuple[str, str]]]:
        if self._background is None:
            ids, texts = self.engine.sample({"match_all": {}}, BACKGROUND)
            self._background = (ids, *read_background(texts))
        return self._background

    def doc_frequencies(self, stems: Sequence[str]) -> list[int]:
        missing = [s for s in dict.fromkeys(stems) if s not in self._frequencies]
        if missing:
            self._frequencies.update(self.engine.holding({"match_all": {}}, missing))
        return [self._frequencies[s] for s in stems]


class ClusterMatches:
    """The articles of the cluster index matching one query."""

    def __init__(self, engine: ClusterEngine, collection: ClusterCollection,
                 query: dict[str, Any]) -> None:  # fmt: skip
        self.engine, self.collection, self.query = engine, collection, query
        self.count = engine.count(query)

    def texts(self, most: int) -> list[str]:
        return self.engine.sample(self.query, most)[1]

    def among(self, docs: Sequence[Any]) -> set[Any]:
        return self.engine.among(self.query, docs)

    def holding(self, stems: Sequence[str]) -> list[tuple[int, int]] | None:
        inside = self.engine.holding(self.query, stems)
        totals = self.collection.doc_frequencies(stems)
        return [(inside[s], total - inside[s]) for s, total in zip(stems, totals, strict=True)]

    def facet(self, kind: str) -> list[tuple[str, str, int, int]]:
        field = _FIELDS[kind]
        inside = self.engine.values(self.query, field, least=2)
        if not inside:
            return []
        totals = self.engine.values({"match_all": {}}, field, only=list(inside))
        labels = (self.engine.person_names(list(inside)) if kind == "persons"
                  else {code: country_name(code) for code in inside})  # fmt: skip
        return [(key, labels.get(key, key), n, totals[key]) for key, n in inside.items()]


def texts_of(source: dict[str, Any]) -> str:
    """An article's text as ``related`` reads it."""
    return cut(" ".join(source.get(name, "") for name in _TEXT))
