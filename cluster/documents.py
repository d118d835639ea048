"""What a cluster index holds for an article: its text, and our analysis of it.

OpenSearch's analyzers are not our French chain (its ``french`` analyzer
keeps accents and stems otherwise; a custom chain still splits ``jeudi.Le``
and one-letter tokens differently). So each document carries the terms our
chain (:mod:`index.analysis`) made, as space-separated strings indexed by the
``whitespace`` analyzer: positions and all, the same terms as the local
index, parity by construction. The text itself is kept too, under the
cluster's ``french`` analyzer, for what a user of OpenSearch Dashboards types.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cluster.persons import person_fields, spellings
from cluster.stories import story_fields
from index.analysis import exact_analyzer, stemmed_analyzer
from index.articles import Article
from index.minhash import signature
from index.persons import person_key

_STEMMED = stemmed_analyzer()
_EXACT = exact_analyzer()

# Fields a query's words are matched on, as the local index's fields.
TERM_FIELDS = {
    "content": "content",  # title + lead + body, stemmed
    "exact": "exact",  # the same, folded only
    "title": "title_terms",
    "lead": "lead_terms",
    "source": "source_terms",
    "author": "author_terms",
    "section": "section_terms",
}
_TERMS = {"type": "text", "analyzer": "whitespace", "similarity": "BM25"}
# The layout of a document; an index of another is pushed again (``--rebuild``).
# 2: persons merged across the index; 3: stories (cluster.stories).
FORMAT = 3


def index_body(shards: int = 2, replicas: int = 1) -> dict[str, Any]:
    """Settings and mapping of a new index."""
    return {
        "settings": {"number_of_shards": shards, "number_of_replicas": replicas},
        "mappings": {
            "_meta": {"search_format": FORMAT},
            "dynamic": "strict",
            "properties": {
                "article_id": {"type": "keyword"},
                "path": {"type": "keyword"},
                "title": {"type": "text", "analyzer": "french"},
                "lead": {"type": "text", "analyzer": "french"},
                "body": {"type": "text", "analyzer": "french"},
                "date": {"type": "date", "format": "strict_date_optional_time"},
                "date_source": {"type": "keyword", "index": False},
                "title_source": {"type": "keyword", "index": False},
                "url": {"type": "keyword", "index": False},
                "source": {"type": "keyword"},
                "author": {"type": "keyword"},
                "section": {"type": "keyword"},
                "country": {"type": "keyword"},
                # Persons: the keys, merged across the index (cluster.persons).
                "person": {"type": "keyword"},
                "person_canonical": {"type": "keyword"},
                "person_alias": {"type": "keyword"},
                "person_spelling": {"type": "keyword"},
                # The merged keys as words, for ``personne:Macron``: every
                # person whose name holds the words, in order.
                "person_words": {"type": "text", "analyzer": "whitespace",
                                 "position_increment_gap": 100},
                "person_names": {"type": "keyword"},
                # Stories (cluster.stories): the signature is only read back.
                "signature": {"type": "binary"},
                "story_band": {"type": "keyword", "doc_values": False},
                "order": {"type": "keyword"},
                "story": {"type": "keyword"},
                "story_size": {"type": "integer"},
                "sample_key": {"type": "long"},  # related's sample (index.minhash)
                "pushed": {"type": "integer"},
                **{name: _TERMS for name in TERM_FIELDS.values()},
            },
        },
    }  # fmt: skip


def index_format(client: Any, index: str) -> int | None:
    """The :data:`FORMAT` of *index*: ``None`` when there is none, ``0`` when
    it was not made by this program (its documents are not ours to touch)."""
    answer = client.indices.get_mapping(index=index, ignore=404)  # a 404 is not logged
    if answer.get("status") == 404:
        return None
    mappings = next(iter(answer.values()))["mappings"]
    meta = mappings.get("_meta") or {}
    if "search_format" in meta:
        return int(meta["search_format"])
    # The first layout had no _meta; these fields are ours alone.
    ours = {"article_id", "content", "person_words"}
    return 1 if ours <= mappings.get("properties", {}).keys() else 0


def upgrade_mapping(client: Any, index: str) -> None:
    """Give an index of an older layout this one's fields (a mapping only
    grows); :func:`cluster.persons.reconcile` then fills them in."""
    mappings = index_body()["mappings"]
    body = {"_meta": mappings["_meta"], "properties": mappings["properties"]}
    client.indices.put_mapping(index=index, body=body)


def terms(analyzer: Any, text: str) -> str:
    """*text* through one of our analyzers, as the whitespace-separated terms, in order."""
    return " ".join(token.text for token in analyzer(text, mode="index")) if text else ""


def shown_path(path: str, roots: Sequence[Path | str]) -> str:
    """A file as the cluster shows it: under the name of the folder pushed
    (``seeds/000_….txt``), never this machine's absolute path. A relative
    path is one a cluster gave: shown already."""
    if not os.path.isabs(path):
        return path
    for root in map(str, roots):
        if path == root:
            return os.path.basename(path)
        if path.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.join(
                os.path.basename(root.rstrip(os.sep)), path[len(root.rstrip(os.sep)) + 1 :]
            )
    return os.path.basename(path)


def document_id(shown_id: str) -> str:
    """An article's id on the cluster: its file's path under the folder pushed
    and its record (``seeds/000_….txt``, ``dumps/afp.jsonl#123``), hashed. The
    same wherever that folder lies (a moved archive is not pushed twice) and
    however long the path; two copies of a file in different folders stay two
    articles, as in the local index."""
    return hashlib.blake2b(shown_id.encode("utf-8"), digest_size=16).hexdigest()


def document(
    article: Article, shown_path: str, shown_id: str, position: int = 0, pushed: int = 1
) -> dict[str, Any]:
    """The cluster document of an annotated *article*, the *position*-th of its
    file, sent by the push numbered *pushed* (:func:`cluster.stories.generation`);
    *shown_path* and *shown_id* are what hits show (relative to the folder
    pushed: no local path leaks)."""
    text = "\n".join(part for part in (article.title, article.lead, article.body) if part)
    keys = [person_key(p) for p in article.persons]
    doc: dict[str, Any] = {
        "article_id": shown_id,
        "path": shown_path,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "date_source": article.date_source,
        "title_source": article.title_source,
        "url": article.url or None,
        # Absent rather than "": an empty string is a bucket in an aggregation.
        "source": article.source or None,
        "author": article.author or None,
        "section": article.section or None,
        "country": list(article.countries),
        "person": keys,
        # Unmerged: cluster.persons.reconcile merges them once the index is known.
        **person_fields(keys, {}),
        "person_spelling": spellings(keys, article.persons),
        "person_names": list(article.persons),
        "content": terms(_STEMMED, text),
        "exact": terms(_EXACT, text),
        "title_terms": terms(_STEMMED, article.title),
        "lead_terms": terms(_STEMMED, article.lead),
        "source_terms": terms(_EXACT, article.source),
        "author_terms": terms(_EXACT, article.author),
        "section_terms": terms(_EXACT, article.section),
        # As the local index signs it (index.schema).
        **story_fields(
            signature(article.body or article.lead), shown_id, shown_path, position, pushed
        ),
    }
    if article.date is not None:
        doc["date"] = article.date.isoformat()
    return {k: v for k, v in doc.items() if v is not None}
