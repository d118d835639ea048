"""Every hit of a query, or every bucket of an aggregation, page by page.

Hits come from a scroll, checked so that a lost shard is an error rather
than a quietly short list:

opensearch-py's ``helpers.scan`` checks a page's shard failures only after
handing its hits out, and stops at the first empty page without checking it.
A node that stops mid-scroll takes its shards' scroll contexts with it; the
next page comes back empty with ``_shards.failed`` set, and the scan ends as
if it were done (CI saw an export of 500 of 720 matches exit 0). Here every
page's shards are checked before its hits are used, and the hits read are
counted against the scroll's total, which is fixed when the scroll opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from search.i18n import _, number

PAGE = 10_000  # buckets per page of a composite aggregation
KEEP_ALIVE = "5m"  # between two pages; a reader paused longer than this fails in one line


class IncompleteScroll(Exception):
    """The cluster lost part of a scroll: what was read is not every match."""


def pages(
    client: Any, index: str, body: dict[str, Any], size: int, **search: Any
) -> Iterator[list[dict[str, Any]]]:
    """The hits of *body* on *index*, *size* at a time, in its ``sort`` order.

    Raises :class:`IncompleteScroll` as soon as a page misses a shard or the
    pages end before the total."""
    from opensearchpy.exceptions import NotFoundError

    response = client.search(
        index=index, body={**body, "track_total_hits": True}, size=size, scroll=KEEP_ALIVE,
        **search,
    )  # fmt: skip
    total = response["hits"]["total"]["value"]
    scroll_id = response.get("_scroll_id")
    read = 0
    try:
        while True:
            _check_shards(response, read, total)
            hits = response["hits"]["hits"]
            if not hits:
                break
            read += len(hits)
            yield hits
            if read >= total:
                break
            try:
                response = client.scroll(body={"scroll_id": scroll_id, "scroll": KEEP_ALIVE})
            except NotFoundError as error:  # every shard's context is gone
                raise IncompleteScroll(_lost(read, total)) from error
            scroll_id = response.get("_scroll_id", scroll_id)
        if read != total:
            raise IncompleteScroll(_lost(read, total))
    finally:
        if scroll_id:
            client.clear_scroll(body={"scroll_id": [scroll_id]}, ignore=(404,))


def _check_shards(response: dict[str, Any], read: int, total: int) -> None:
    shards = response.get("_shards", {})
    if shards.get("successful", 0) + shards.get("skipped", 0) < shards.get("total", 0):
        raise IncompleteScroll(_lost(read, total))


def _lost(read: int, total: int) -> str:
    return _(
        "a shard became unreachable after {read} of {total} matches were read; "
        "nothing past them is complete: run it again once the cluster is green"
    ).format(read=number(read), total=number(total))


def buckets(
    client: Any, index: str, sources: list[str], query: dict[str, Any] | None = None,
    aggs: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every combination of the keyword *sources* fields among the documents
    matching *query* (all of them by default): a composite aggregation,
    :data:`PAGE` buckets per request, each bucket with its ``key`` (a dict),
    ``doc_count`` and the sub-aggregations *aggs*. (Only at the top of a
    request: under a ``filter`` aggregation, OpenSearch 2.19 ignores the
    filter.)"""
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {
            "size": PAGE,
            "sources": [{name: {"terms": {"field": name}}} for name in sources],
        }
        if after:
            composite["after"] = after
        wanted: dict[str, Any] = {"composite": composite}
        if aggs:
            wanted["aggs"] = aggs
        body: dict[str, Any] = {"size": 0, "aggs": {"all": wanted}}
        if query is not None:
            body["query"] = query
        part = client.search(index=index, body=body)["aggregations"]["all"]
        yield from part["buckets"]
        after = part.get("after_key")
        if not part["buckets"] or after is None:
            return
