"""Persons on a cluster, merged as the local index merges them.

Two rules of the local facet table look at the whole corpus, not at one
article: a lone surname joins the one full name that ends with it
(:func:`index.persons.surname_aliases`), and a person is shown under the
spelling most articles use (:func:`index.persons.best_spellings`). A document
is built before the corpus is known, so a cluster document carries:

- ``person``: its persons' keys, as the article names them;
- ``person_canonical`` and ``person_words``: the keys after the merge, what
  facets count and ``personne:`` matches;
- ``person_alias``: the merges applied (``philippe\\tedouard philippe``);
- ``person_spelling``: each key with the article's spelling of it.

After every push, :func:`reconcile` compares the merges the index now calls
for with those its documents carry (two aggregations, counts only) and
rewrites the ``person_*`` fields of the documents that differ, and only
those. Between a push's last document and the end of that step a reader may
see a few surnames not merged yet; a push killed there is finished by the
next one, which always reconciles.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from itertools import chain
from typing import Any

from cluster import scroll
from cluster.updates import update
from index.persons import best_spellings, surname_aliases

SEPARATOR = "\t"  # between a key and what follows it in person_alias and person_spelling
TERMS_PER_QUERY = 10_000  # well under the cluster's 65,536 terms of a terms query
EXACT_VALUES = 100_000  # shard_size of a terms aggregation: every value a shard holds
# Characters of one include pattern: the cluster refuses a regular expression
# over 1,000 (index.max_regex_length).
PATTERN_CHARS = 900


def person_fields(keys: Iterable[str], aliases: Mapping[str, str]) -> dict[str, list[str]]:
    """The merged fields of a document whose persons have *keys*."""
    keys = list(dict.fromkeys(keys))
    canonical = list(dict.fromkeys(aliases.get(k, k) for k in keys))
    return {
        "person_canonical": canonical,
        "person_words": canonical,
        "person_alias": [f"{k}{SEPARATOR}{aliases[k]}" for k in keys if k in aliases],
    }


def canonical_keys(source: Mapping[str, Any]) -> list[str]:
    """A document's person keys after the merge, in the article's order."""
    merged = dict(pair.split(SEPARATOR, 1) for pair in source.get("person_alias", ()))
    return list(dict.fromkeys(merged.get(k, k) for k in source.get("person", ())))


def all_values(client: Any, index: str, field: str) -> dict[str, int]:
    """Every value of keyword *field* in the index, with its number of documents."""
    return {b["key"][field]: int(b["doc_count"]) for b in scroll.buckets(client, index, [field])}


# Documents pushed before persons were merged (cluster.documents.FORMAT 1):
# persons, but no spellings.
_FIRST_LAYOUT = {
    "bool": {
        "filter": [{"exists": {"field": "person"}}],
        "must_not": [{"exists": {"field": "person_spelling"}}],
    }
}


def spellings(keys: Iterable[str], names: Iterable[str]) -> list[str]:
    """``person_spelling``: each key with the article's spelling of it."""
    return [f"{k}{SEPARATOR}{name}" for k, name in zip(keys, names, strict=True)]


def _merged(source: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, list[str]]:
    keys = source.get("person", ())
    fields = person_fields(keys, aliases)
    if not source.get("person_spelling"):
        fields["person_spelling"] = spellings(keys, source.get("person_names", ()))
    return fields


def reconcile(client: Any, index: str) -> int:
    """Bring every document's merged persons in line with the whole index;
    the number of documents rewritten. Raises what the client raises."""
    client.indices.refresh(index=index)
    counts = all_values(client, index, "person")
    aliases = surname_aliases(counts)
    applied = all_values(client, index, "person_alias")
    wanted = {f"{s}{SEPARATOR}{f}" for s, f in aliases.items()}
    # Merges that no longer hold (a second "Philippe" came, or the first went) ...
    stale = [pair for pair in applied if pair not in wanted]
    # ... and surnames some of whose documents lack their merge (new ones).
    missing = [s for s, f in aliases.items() if applied.get(f"{s}{SEPARATOR}{f}", 0) != counts[s]]
    queries: list[dict[str, Any]] = [
        {"terms": {"person_alias": stale[at : at + TERMS_PER_QUERY]}}
        for at in range(0, len(stale), TERMS_PER_QUERY)
    ]
    queries += [
        {"terms": {"person": missing[at : at + TERMS_PER_QUERY]}}
        for at in range(0, len(missing), TERMS_PER_QUERY)
    ]
    if client.count(index=index, body={"query": _FIRST_LAYOUT})["count"]:
        queries.append(_FIRST_LAYOUT)
    rewritten = 0
    for query in queries:
        body = {"query": query, "_source": ["person", "person_names", "person_spelling"]}
        found = chain.from_iterable(scroll.pages(client, index, body, 1000))
        changes = ((item["_id"], _merged(item["_source"], aliases)) for item in found)
        rewritten += update(client, index, changes, "persons merged")
    if queries:
        client.indices.refresh(index=index)
    return rewritten


def display_names(client: Any, index: str, keys: Collection[str]) -> dict[str, str]:
    """The name shown for each of *keys*: the spelling most documents of the
    whole index use, as the local facet table chooses it. One request: a
    ``terms`` aggregation of the spellings per group of keys, each group's
    pattern within the cluster's limit on a regular expression's length."""
    if not keys:
        return {}
    aggs = {}
    for n, group in enumerate(_groups(sorted(keys))):
        pattern = "|".join(map(literal, group))
        aggs[str(n)] = {
            "filter": {"terms": {"person": group}},
            "aggs": {"names": {"terms": {
                "field": "person_spelling", "include": f"({pattern})\\{SEPARATOR}.*",
                "size": EXACT_VALUES, "shard_size": EXACT_VALUES}}},
        }  # fmt: skip
    found = client.search(index=index, body={"size": 0, "aggs": aggs})["aggregations"]
    counts = []
    for part in found.values():
        for bucket in part["names"]["buckets"]:
            key, name = bucket["key"].split(SEPARATOR, 1)
            counts.append((key, name, int(bucket["doc_count"])))
    return best_spellings(counts)


def literal(text: str) -> str:
    """*text* matched as written in a cluster's regular expression (an
    ``include`` pattern): every character but letters and digits escaped."""
    return "".join(c if c.isalnum() else f"\\{c}" for c in text)


def _groups(keys: list[str]) -> list[list[str]]:
    """*keys* in groups whose patterns stay under :data:`PATTERN_CHARS`."""
    groups: list[list[str]] = [[]]
    length = 0
    for key in keys:
        size = 2 * len(key) + 1  # every character escaped, at worst, and a "|"
        if groups[-1] and length + size > PATTERN_CHARS:
            groups.append([])
            length = 0
        groups[-1].append(key)
        length += size
    return groups
