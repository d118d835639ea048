"""``search index PATH --cluster URL``: push articles with the bulk API, incrementally.

Files are found, read, cleaned and annotated by the same code as a local
build. A manifest on this machine (one per cluster URL and index) remembers
each file pushed (size, time, the ids of its articles): a
second run reads only new and changed files, and deletes the articles of
files that vanished or changed. Ids come from the file's path under the folder pushed and the
record's key (:func:`cluster.documents.document_id`), so a push killed
halfway and run again overwrites what it had sent, never duplicates it, and
an archive moved elsewhere keeps its ids. Deletions come after the new articles are in,
and spare every id the run pushed: nothing is lost between the two.

A document the cluster rejects is a problem reported with its file and the
cluster's reason (the bulk API answers 200 with ``"errors": true``: each item
is checked); 429 and 5xx answers are retried with back-off.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cluster.connection import ClusterProblem, explain
from cluster.documents import document, document_id, index_body, shown_path
from index.articles import Article, Problem
from index.extraction import annotate
from index.readers import discover, read_articles, root_path
from index.writer import IndexReport, Progress, file_signature

CHUNK = 500  # documents per bulk request
SAVE_EVERY_S = 2.0  # the manifest, during a push
RETRIES = 5


def manifest_path(state_dir: Path, url: str, index: str) -> Path:
    key = hashlib.blake2b(f"{url.rstrip('/')}|{index}".encode(), digest_size=8).hexdigest()
    return state_dir / f"cluster-{key}.json"


class PushManifest:
    """What was pushed: ``path -> [size, mtime_ns, [ids…]]``, saved atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.files: dict[str, list[Any]] = json.loads(path.read_text("utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError):
            self.files = {}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.tmp")
        partial.write_text(json.dumps({"files": self.files}), "utf-8")
        os.replace(partial, self.path)


class Pusher:
    def __init__(self, client: Any, url: str, index: str, state_dir: Path, *,
                 entities: bool = True) -> None:  # fmt: skip
        self.client, self.url, self.index = client, url, index
        self.manifest = PushManifest(manifest_path(state_dir, url, index))
        self.entities = entities

    def ensure_index(self, shards: int = 2, replicas: int = 1) -> None:
        if not self.client.indices.exists(index=self.index):
            self.client.indices.create(index=self.index, body=index_body(shards, replicas))

    def push(
        self, paths: list[Path], progress: Callable[[Progress], None] | None = None
    ) -> IndexReport:
        """Make the cluster index hold exactly the articles under *paths*."""
        started = time.perf_counter()
        report = IndexReport()
        self.ensure_index()
        roots = [root_path(p) for p in paths]
        files, problems = discover(roots)
        report.problems += problems
        on_disk = {str(f) for f in files}
        known = self.manifest.files
        stale: set[str] = set()  # ids of articles that may have to go
        pushed: set[str] = set()
        to_read = []
        for path in files:
            state = known.get(str(path))
            # Taken before reading: a file that changes while it is read is read again.
            size, mtime = file_signature(path)
            if state is not None and state[0] == size and state[1] == mtime:
                report.files_unchanged += 1
                continue
            to_read.append((path, size, mtime))
        saved = time.monotonic()
        for number, (path, size, mtime) in enumerate(to_read, 1):
            key = str(path)
            old = known.get(key)
            if old is not None:
                stale.update(old[2])
            ids = self._push_file(path, roots, report)
            pushed.update(ids)
            if old is not None:  # a changed file: its articles overwritten in place
                again = len(ids & set(old[2]))
                report.updated += again
                report.added -= again
            known[key] = [size, mtime, sorted(ids)]
            # Saved after the first file, then every few seconds: saving after
            # each would rewrite the whole manifest a million times for a
            # million small files. A kill re-pushes what came since (same ids).
            if number == 1 or time.monotonic() - saved > SAVE_EVERY_S:
                self.manifest.save()
                saved = time.monotonic()
            report.files_read += 1
            if progress:
                progress(Progress(number, len(to_read), report.added, key))
        # Files gone from under the roots pushed: their articles go too.
        for key in [k for k in known if k not in on_disk and _within(k, roots)]:
            if not Path(key).exists():
                stale.update(known.pop(key)[2])
        gone = sorted(stale - pushed)
        if gone:
            report.removed = self._delete(gone)
        self.manifest.save()
        self.client.indices.refresh(index=self.index)
        report.seconds = time.perf_counter() - started
        return report

    def _push_file(self, path: Path, roots: list[Path], report: IndexReport) -> set[str]:
        shown = shown_path(str(path), roots)
        ids: set[str] = set()
        actions: list[dict[str, Any]] = []
        where: dict[str, str] = {}
        for item in read_articles(path):
            if isinstance(item, Problem):
                report.problems.append(item)
                continue
            article: Article = item
            if self.entities:
                annotate(article)
            record = article.id[len(article.path) :]  # "" or "#record"
            doc_id = document_id(shown + record)
            ids.add(doc_id)
            where[doc_id] = shown + record
            actions.append({"_index": self.index, "_id": doc_id,
                            "_source": document(article, shown, shown + record)})  # fmt: skip
            if len(actions) >= CHUNK:
                report.added += self._bulk(actions, where, report)
                actions = []
        if actions:
            report.added += self._bulk(actions, where, report)
        return ids

    def _bulk(
        self, actions: list[dict[str, Any]], where: dict[str, str], report: IndexReport
    ) -> int:
        """Send *actions*; every item the cluster refuses becomes a problem."""
        from opensearchpy import helpers

        done = 0
        try:
            for ok, item in helpers.streaming_bulk(
                self.client, actions, chunk_size=CHUNK, max_retries=RETRIES,
                initial_backoff=1, max_backoff=30, raise_on_error=False, raise_on_exception=True,
            ):  # fmt: skip
                if ok:
                    done += 1
                    continue
                info = next(iter(item.values()))
                error = info.get("error", {})
                reason = error.get("reason", error) if isinstance(error, dict) else error
                report.problems.append(
                    Problem(
                        where.get(info.get("_id", ""), "?"), f"refused by the cluster: {reason}"
                    )
                )
        except Exception as error:
            raise ClusterProblem(self.url, explain(error)) from error
        return done

    def _delete(self, ids: list[str]) -> int:
        from opensearchpy import helpers

        actions = ({"_op_type": "delete", "_index": self.index, "_id": i} for i in ids)
        removed = 0
        for ok, _ in helpers.streaming_bulk(self.client, actions, raise_on_error=False,
                                            max_retries=RETRIES):  # fmt: skip
            removed += bool(ok)
        return removed


def _within(path: str, roots: list[Path]) -> bool:
    return any(path == str(r) or path.startswith(str(r) + os.sep) for r in roots)
