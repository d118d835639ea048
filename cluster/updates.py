"""Documents changed in place after a push: persons merged across the index,
stories regrouped (:mod:`cluster.persons`, :mod:`cluster.stories`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def update(
    client: Any, index: str, changes: Iterable[tuple[str, dict[str, Any]]], what: str
) -> int:
    """Write each ``(document id, fields)`` of *changes* as a partial update; the
    number written. A document deleted since it was read has nothing left to
    change (skipped); any other refusal raises, naming *what* was being done."""
    from opensearchpy import helpers

    actions = (
        {"_op_type": "update", "_index": index, "_id": doc_id, "doc": fields}
        for doc_id, fields in changes
    )
    done = 0
    for ok, item in helpers.streaming_bulk(client, actions, raise_on_error=False, max_retries=5):
        if not ok and next(iter(item.values())).get("status") != 404:
            raise RuntimeError(f"a document was not updated ({what}): {item}")
        done += bool(ok)
    return done
