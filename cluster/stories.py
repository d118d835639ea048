"""Stories on a cluster: wire copy grouped as the local index groups it.

The local engine groups every signature of the index at once when it opens a
new version (:func:`search.stories.group`). A cluster may hold tens of
millions, so its documents carry their grouping, kept up to date push by
push:

- ``signature``: the MinHash signature (:mod:`index.minhash`), made at push time;
- ``story_band``: its :data:`search.stories.BANDS` band keys, indexed, so that
  the candidates of a new article are one ``terms`` query away;
- ``order``: the article's place in the order a build reads the archive
  (folders walked as :func:`index.readers.discover` walks them, records in
  file order), which the local index's document numbers follow;
- ``story``: the ``article_id`` of the story's first article in that order
  (what ``collapse`` groups on), and, for a story of two articles or more,
  ``story_size``: its number of articles. A document is pushed alone in a
  story of its own, with ``pushed``: the number of its push (:func:`generation`).

After every push, :func:`reconcile` regroups only what the push touched. The
documents it sent and the stories that lost an article
(``story_size`` no longer their count) are *affected*, as is every story one
of the new documents is a copy of. A story none of these touches cannot have
changed (no article left it, none joined it), so grouping the affected
articles by the local code gives the components the local index finds, and
only documents whose ``story`` or ``story_size`` changed are rewritten (the
first push of an archive rewrites only its copies). A push killed before
this step leaves its number unrecorded: the next push carries the same
number and groups what both sent.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterator, Mapping
from itertools import chain
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from cluster import scroll
from cluster.updates import update
from index.minhash import PERMUTATIONS, sample_keys, signature, unpack
from search import stories

TERMS_PER_QUERY = 10_000  # well under the cluster's 65,536 terms of a terms query
_READ = ["article_id", "signature", "order", "story", "story_size"]


def story_fields(
    text_signature: bytes, shown_id: str, shown_path: str, position: int, pushed: int
) -> dict[str, Any]:
    """What a document carries for :func:`reconcile`, pushed with the number
    *pushed* (:func:`generation`): alone in a story of its own until then,
    so that a reader's ``collapse`` never lumps the ungrouped together."""
    return {
        "signature": base64.b64encode(text_signature).decode("ascii"),
        "story_band": bands(text_signature),
        "order": reading_order(shown_path, position),
        "story": shown_id,
        "pushed": pushed,
        # Not a story's: related reads the matches of smallest key, as locally.
        "sample_key": int(sample_keys(unpack(text_signature))[0]),
    }


def bands(text_signature: bytes) -> list[str]:
    """The band keys of a signature, as indexed (none for a text without words,
    which joins no story, as locally)."""
    if len(text_signature) != 4 * PERMUTATIONS:
        return []
    keys = stories.band_keys(unpack(text_signature)[None, :])[0]
    return [f"{band}:{int(key):016x}" for band, key in enumerate(keys)]


def reading_order(shown_path: str, position: int) -> str:
    """A key that sorts articles as a build reads them: in each folder its
    files by name, then its subfolders by name (``os.walk``, sorted), and a
    file's records in order. Compared as code points, as ``sorted`` does."""
    parts = PurePosixPath(shown_path).parts
    folders = "".join(f"\x02{name}" for name in parts[:-1])
    return f"{folders}\x01{parts[-1] if parts else ''}\x00{position:010d}"


def generation(client: Any, index: str) -> int:
    """What the documents of a push carry as ``pushed``: one more than the last
    push whose stories were grouped (``_meta.stories_grouped``). A push killed
    before grouping leaves that number as it was, so the next push's
    documents carry the same one and its grouping takes in both."""
    return int(_meta(client, index).get("stories_grouped", 0)) + 1


def reconcile(client: Any, index: str, pushed: int) -> int:
    """Bring every document's ``story`` in line with the whole index after the
    push whose documents carry *pushed*; the number of documents rewritten.
    Raises what the client raises."""
    rewritten = _sign_older(client, index, pushed)
    if rewritten:
        client.indices.refresh(index=index)
    body = {"query": {"range": {"pushed": {"gte": pushed}}}, "_source": _READ}
    new = list(chain.from_iterable(scroll.pages(client, index, body, 1000)))
    affected = set(_shrunk(client, index))
    earlier = {"bool": {"must_not": [{"range": {"pushed": {"gte": pushed}}}]}}
    if new and client.count(index=index, body={"query": earlier})["count"]:
        affected |= _joined(client, index, new)  # (an archive's first push has nothing to join)
    members = {hit["_id"]: hit for hit in new}
    keys = sorted(affected)
    for at in range(0, len(keys), TERMS_PER_QUERY):
        body = {"query": {"terms": {"story": keys[at : at + TERMS_PER_QUERY]}}, "_source": _READ}
        for hit in chain.from_iterable(scroll.pages(client, index, body, 1000)):
            members[hit["_id"]] = hit
    regrouped = update(client, index, _regrouped(list(members.values())), "stories regrouped")
    if regrouped:
        client.indices.refresh(index=index)
    meta = {**_meta(client, index), "stories_grouped": pushed}
    client.indices.put_mapping(index=index, body={"_meta": meta})
    return rewritten + regrouped


def _meta(client: Any, index: str) -> dict[str, Any]:
    mappings = next(iter(client.indices.get_mapping(index=index).values()))["mappings"]
    return dict(mappings.get("_meta") or {})


def _sign_older(client: Any, index: str, pushed: int) -> int:
    """Documents pushed before stories were kept (no ``order``) get their
    signature from their text, as a push would make it, and join this push."""
    body = {
        "query": {"bool": {"must_not": [{"exists": {"field": "order"}}]}},
        "_source": ["article_id", "path", "body", "lead"],
    }

    def signed(source: Mapping[str, Any]) -> dict[str, Any]:
        text = source.get("body") or source.get("lead") or ""
        fields = story_fields(signature(text), source["article_id"], source["path"], 0, pushed)
        # Older documents have no record position: the record id orders them.
        fields["order"] = reading_order(source["path"], 0) + source["article_id"]
        return fields

    hits = chain.from_iterable(scroll.pages(client, index, body, 1000))
    changes = ((hit["_id"], signed(hit["_source"])) for hit in hits)
    return update(client, index, changes, "older documents signed")


def _shrunk(client: Any, index: str) -> Iterator[str]:
    """Stories with fewer articles than they had (one deleted, or pushed again
    and not grouped yet): an article that linked two others may be gone."""
    grouped = {"bool": {"filter": [{"range": {"story_size": {"gte": 2}}}]}}
    for bucket in scroll.buckets(client, index, ["story", "story_size"], grouped):
        if bucket["doc_count"] != bucket["key"]["story_size"]:
            yield bucket["key"]["story"]


def _joined(client: Any, index: str, new: list[dict[str, Any]]) -> set[str]:
    """The stories one of *new* is a copy of: an article pushed before that
    shares a band with it and agrees on :data:`search.stories.THRESHOLD`."""
    pushed = {hit["_id"] for hit in new}
    by_band: dict[str, list[np.ndarray]] = defaultdict(list)
    for hit in new:
        values = _values(hit["_source"])
        for key in bands(_raw(hit["_source"])):
            by_band[key].append(values)
    found: set[str] = set()
    keys = sorted(by_band)
    for at in range(0, len(keys), TERMS_PER_QUERY):
        part = keys[at : at + TERMS_PER_QUERY]
        body = {"query": {"terms": {"story_band": part}}, "_source": [*_READ, "story_band"]}
        for hit in chain.from_iterable(scroll.pages(client, index, body, 1000)):
            source = hit["_source"]
            if hit["_id"] in pushed or source["story"] in found:
                continue
            values = _values(source)
            candidates = [v for key in source.get("story_band", ()) for v in by_band.get(key, ())]
            if candidates and stories.agreement(values, np.stack(candidates)).max() >= (
                stories.THRESHOLD
            ):
                found.add(source["story"])
    return found


def _regrouped(members: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The new ``story`` and ``story_size`` of each of *members* whose grouping
    changed: the local grouping, over the members in reading order."""
    members.sort(key=lambda hit: hit["_source"]["order"])
    if not members:
        return
    signatures = np.stack([_values(hit["_source"]) for hit in members])
    labels = stories.group(signatures, np.ones(len(members), dtype=bool))
    sizes = np.bincount(labels, minlength=len(members))
    for hit, label in zip(members, labels.tolist(), strict=True):
        source = hit["_source"]
        # Alone: its own story, and no size (only stories of copies have one).
        grouped = sizes[label] > 1
        wanted = {
            "story": members[label]["_source"]["article_id"],
            "story_size": int(sizes[label]) if grouped else None,
        }
        if any(source.get(name) != value for name, value in wanted.items()):
            yield hit["_id"], wanted


def _raw(source: Mapping[str, Any]) -> bytes:
    return base64.b64decode(source.get("signature") or "")


def _values(source: Mapping[str, Any]) -> np.ndarray:
    return unpack(_raw(source))


