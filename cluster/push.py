"""``search index PATH --cluster URL``: push articles with the bulk API, incrementally.

Files are found, read, cleaned and annotated by the same code as a local
build. A manifest on this machine (one per cluster URL and index, in SQLite:
:class:`PushManifest`) remembers each file pushed (size, time, the ids of its articles): a
second run reads only new and changed files, and deletes the articles of
files that vanished or changed. Ids come from the file's path under the folder pushed and the
record's key (:func:`cluster.documents.document_id`), so a push killed
halfway and run again overwrites what it had sent, never duplicates it, and
an archive moved elsewhere keeps its ids. Deletions come after the new articles are in,
and spare every id the run pushed: nothing is lost between the two.

A document the cluster rejects is a problem reported with its file and the
cluster's reason (the bulk API answers 200 with ``"errors": true``: each item
is checked); 429 and 5xx answers are retried with back-off.

The work is a pipeline: this process reads the files (streaming, as a local
build does: a dump is never held whole); for a large push, worker processes
extract the entities and run our French chain on batches of articles (the
costly part, which a cluster elsewhere leaves to this machine's cores); the
documents are sent in chunks of :data:`CHUNK`, :data:`SENDERS` at a time. A
file enters the manifest only once every one of its documents is
acknowledged, so the manifest never names an article the cluster lacks.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster import persons, stories
from cluster.connection import ClusterProblem, explain
from cluster.documents import (
    FORMAT,
    document,
    document_id,
    index_body,
    index_format,
    shown_path,
    upgrade_mapping,
)
from index.articles import Article, Problem
from index.extraction import annotate
from index.fresh_pool import FreshProcessPool, WorkerDied
from index.manifest import connect, write_replacing_damage
from index.readers import discover, read_articles, root_path
from index.store import IndexLocked
from index.workers import worker_count
from index.writer import (
    PARALLEL_MIN_BYTES,
    IndexReport,
    Progress,
    file_signature,
    not_an_article,
    within,
)
from search.config import cluster_index_url
from search.i18n import N_, _

CHUNK = 500  # documents per bulk request
SENDERS = 2  # bulk requests in flight at once
BATCH = 64  # articles per task of a worker process
AHEAD = 4  # tasks in flight per worker: enough to keep it busy, memory stays flat
SAVE_EVERY_S = 2.0  # the manifest, during a push
RETRIES = 5


def manifest_path(state_dir: Path, url: str, index: str) -> Path:
    key = hashlib.blake2b(f"{url.rstrip('/')}|{index}".encode(), digest_size=8).hexdigest()
    return state_dir / f"cluster-{key}.sqlite"


# An entry: the file's size, its mtime in ns, the ids of its articles.
Pushed = tuple[int, int, list[str]]


class PushManifest:
    """What was pushed: ``path -> (size, mtime_ns, [ids…])``, in SQLite.

    As the local index's manifest (:mod:`index.manifest`), a push reads the
    entries of the files it looks at and writes those it completed, in one
    transaction per save: a push of ten files beside a million pushed costs
    what it costs beside ten. (It was one JSON file, read whole by every push
    and written whole every :data:`SAVE_EVERY_S`.) A JSON manifest of an
    earlier version beside it is read, then replaced by the first save.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._legacy: dict[str, Pushed] = {}
        self._changed: dict[str, Pushed | None] = {}  # None: the entry goes
        if path.is_file():
            try:
                self._db = connect(path, read_only=False)
                self._db.execute("SELECT 1 FROM files LIMIT 1").fetchone()
            except sqlite3.Error:
                # Empty (killed before its first save) or damaged: it costs pushing
                # the files again, under the same ids; save() makes it anew.
                self.close()
        else:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                raw = json.loads(self._legacy_path.read_text("utf-8"))["files"]
                self._legacy = {k: (int(v[0]), int(v[1]), list(v[2])) for k, v in raw.items()}

    @property
    def _legacy_path(self) -> Path:
        return self.path.with_suffix(".json")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get(self, key: str) -> Pushed | None:
        if key in self._changed:
            return self._changed[key]
        if self._db is None:
            return self._legacy.get(key)
        row = self._db.execute(
            "SELECT size, mtime_ns, ids FROM files WHERE path = ?", (key,)
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]), json.loads(row[2]))

    def set(self, key: str, entry: Pushed) -> None:
        self._changed[key] = entry

    def pop(self, key: str) -> Pushed | None:
        entry = self.get(key)
        self._changed[key] = None
        return entry

    def under(self, roots: Sequence[Path]) -> list[str]:
        """The paths pushed that are one of *roots* or lie under one."""
        keys: set[str] = {k for k in self._legacy if within(k, roots)}
        if self._db is not None:
            for root in map(str, roots):
                # Under ``/a/b``: from ``/a/b/`` up to, not including, ``/a/b0``.
                rows = self._db.execute(
                    "SELECT path FROM files WHERE path = ? OR (path >= ? AND path < ?)",
                    (root, root + os.sep, root + chr(ord(os.sep) + 1)),
                )
                keys.update(path for (path,) in rows)
        keys.update(k for k in self._changed if within(k, roots))
        return sorted(k for k in keys if self._changed.get(k, True) is not None)

    def save(self) -> None:
        """Write what changed since the last save, in one transaction (a damaged
        database is replaced: its entries are lost, which costs a push again)."""
        write_replacing_damage(self.path, self._write, self.close)
        self._changed.clear()
        if self._legacy or self._legacy_path.exists():
            self._legacy = {}
            self._legacy_path.unlink(missing_ok=True)  # this program's own, now in the database

    def _write(self) -> None:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect(self.path, read_only=False)
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER,"
                " mtime_ns INTEGER, ids TEXT) WITHOUT ROWID"
            )
            self._db.executemany(
                "DELETE FROM files WHERE path = ?",
                [(k,) for k, e in self._changed.items() if e is None],
            )
            # An earlier version's entries that no change replaces or removes,
            # then the changes.
            unchanged = ((k, e) for k, e in self._legacy.items() if k not in self._changed)
            entries = itertools.chain(unchanged, self._changed.items())
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                ((k, e[0], e[1], json.dumps(e[2])) for k, e in entries if e is not None),
            )


@dataclass
class _File:
    """A file read whole: what its manifest entry will say once its documents are in."""

    key: str
    size: int
    mtime: int
    ids: set[str]
    old: Pushed | None


@dataclass
class _Task:
    future: Future[list[dict[str, Any]]]
    files: list[_File]  # files whose last article is in this task (or before)


def build_documents(
    items: list[tuple[Article, str, str, int]], index: str, entities: bool, pushed: int
) -> list[dict[str, Any]]:
    """Bulk actions for *items* (article, id, where it is shown, its place in
    its file), sent by the push numbered *pushed*: entities extracted, text
    analysed. Runs in a worker process for a large push."""
    actions = []
    for article, doc_id, shown_id, position in items:
        if entities:
            annotate(article)
        shown = shown_id[: len(shown_id) - (len(article.id) - len(article.path))]
        actions.append({"_index": index, "_id": doc_id,
                        "_source": document(article, shown, shown_id, position,
                                            pushed)})  # fmt: skip
    return actions


class _Now(Executor):
    """Tasks run at once in this process: a small push starts no worker."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed over as a pool would
            done.set_exception(error)
        return done


@dataclass
class _Pipeline:
    """Articles in, documents out to the cluster, files into the manifest."""

    pusher: Pusher
    report: IndexReport
    builders: Executor
    senders: ThreadPoolExecutor
    batch: list[tuple[Article, str, str, int]] = field(default_factory=list)
    ended: list[_File] = field(default_factory=list)
    tasks: deque[_Task] = field(default_factory=deque)
    actions: list[dict[str, Any]] = field(default_factory=list)
    ready: list[_File] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    ahead: int = AHEAD

    def add(self, article: Article, doc_id: str, shown_id: str, position: int) -> None:
        self.batch.append((article, doc_id, shown_id, position))
        self.where[doc_id] = shown_id
        if len(self.batch) >= BATCH:
            self._submit()

    def file_ended(self, done: _File) -> None:
        self.ended.append(done)

    def finish(self) -> None:
        self._submit()
        while self.tasks:
            self._take()
        self._flush()

    def _submit(self) -> None:
        if not self.batch and not self.ended:
            return
        future = self.builders.submit(
            build_documents, self.batch, self.pusher.index, self.pusher.entities,
            self.pusher.generation,
        )  # fmt: skip
        self.tasks.append(_Task(future, self.ended))
        self.batch, self.ended = [], []
        while len(self.tasks) > self.ahead:
            self._take()

    def _take(self) -> None:
        task = self.tasks.popleft()
        try:
            self.actions += task.future.result()
        except WorkerDied as error:
            raise ClusterProblem(self.pusher.url, _(
                "{error}; every file acknowledged so far is recorded: run the push again to finish"
            ).format(error=error)) from None  # fmt: skip
        self.ready += task.files
        if len(self.actions) >= CHUNK * SENDERS:
            self._flush()

    def _flush(self) -> None:
        """Send every action built; then the files they complete enter the manifest."""
        chunks = [self.actions[at : at + CHUNK] for at in range(0, len(self.actions), CHUNK)]
        for sent in [self.senders.submit(self.pusher.bulk, chunk, self.where, self.report)
                     for chunk in chunks]:  # fmt: skip
            self.report.added += sent.result()
        for action in self.actions:  # sent: its place is no longer needed
            self.where.pop(action["_id"], None)
        self.actions = []
        for done in self.ready:
            self.pusher.record(done, self.report)
        self.ready = []


class Pusher:
    def __init__(self, client: Any, url: str, index: str, state_dir: Path, *,
                 entities: bool = True, workers: int | None = None) -> None:  # fmt: skip
        self.client, self.url, self.index = client, url, index
        self.manifest = PushManifest(manifest_path(state_dir, url, index))
        self.entities = entities
        # Worker processes building documents; None: as many as the cores
        # for a large push, none for a small one (starting them costs more).
        self.workers = workers
        self._saved = float("-inf")  # the first file is saved at once
        self.roots: list[Path] = []  # the folders ids are made under
        # The last push's merge of persons (cluster.persons): documents rewritten, seconds.
        self.last_merge = (0, 0.0)
        # The last push's grouping of stories (cluster.stories): the same.
        self.last_grouping = (0, 0.0)
        self.generation = 1  # the number this push's documents carry (cluster.stories)

    def ensure_index(self, shards: int = 2, replicas: int = 1) -> None:
        """Create the index, or bring one an older version made up to date."""
        made = index_format(self.client, self.index)
        if made is None:
            self.client.indices.create(index=self.index, body=index_body(shards, replicas))
        elif made == 0:
            raise ClusterProblem(self.url, _("index {index} was not made by search: push to "
                                             "another (--cluster-index NAME)").format(
                index=repr(self.index)))  # fmt: skip
        elif made > FORMAT:
            raise ClusterProblem(self.url, _("index {index} was made by a newer version of "
                                             "search: upgrade it").format(
                index=repr(self.index)))  # fmt: skip
        elif made < FORMAT:
            upgrade_mapping(self.client, self.index)

    @property
    def directory(self) -> Path:
        """Where this push keeps its state (a watcher ignores changes there)."""
        return self.manifest.path.parent

    def update(
        self, paths: Sequence[Path], *, again: bool = False,
        progress: Callable[[Progress], None] | None = None,
    ) -> IndexReport:  # fmt: skip
        """Make the cluster index hold exactly the articles under *paths*;
        *again*: send every file, changed or not (after an upgrade of the
        analysis, say)."""
        roots = [root_path(p) for p in paths]
        self.roots = roots
        files, problems = discover(roots)
        on_disk = {str(f) for f in files}

        def vanished(known: PushManifest) -> list[str]:
            # Never under a root that is missing (an unmounted disk must not
            # empty the index), nor a file still there (outside the roots given).
            return [k for k in known.under(roots) if k not in on_disk
                    and not Path(k).exists()]  # fmt: skip

        return self._push(files, problems, vanished, again, progress)

    def apply_changes(
        self,
        changed: Iterable[Path],
        *,
        progress: Callable[[Progress], None] | None = None,
        merge: bool = True,
    ) -> IndexReport:
        """Bring only *changed* paths up to date (what ``search watch`` saw):
        a path that exists is pushed if it changed, a path gone takes its
        articles with it. Ids stay those of the folders of the last
        :meth:`update`. (*merge* is the local index's: OpenSearch merges its
        segments on its own, in the background.)"""
        changed = sorted({Path(os.path.abspath(p)) for p in changed})
        present = [p for p in changed if p.exists()]
        gone = [p for p in changed if not p.exists()]
        files, problems = discover(present)
        problems = [p for p in problems if not not_an_article(Path(p.path))]

        def vanished(known: PushManifest) -> list[str]:
            return known.under(gone)

        return self._push(files, problems, vanished, False, progress)

    def compact(self, progress: Callable[[Progress], None] | None = None) -> IndexReport | None:
        """Nothing to do: the cluster merges its segments itself (see apply_changes)."""
        return None

    def _push(
        self, files: list[Path], problems: list[Problem],
        vanished: Callable[[PushManifest], list[str]], again: bool,
        progress: Callable[[Progress], None] | None,
    ) -> IndexReport:  # fmt: skip
        started = time.perf_counter()
        report = IndexReport()
        report.problems += problems
        with self._lock():
            self.ensure_index()
            self.generation = stories.generation(self.client, self.index)
            self.manifest.close()
            self.manifest = PushManifest(self.manifest.path)  # as the last push left it
            known = self.manifest
            stale: set[str] = set()  # ids of articles that may have to go
            pushed = self._send(files, again, known, stale, report, progress)
            # Files gone: their articles go too, after the new ones are in.
            for key in vanished(known):
                entry = known.pop(key)
                stale.update(entry[2] if entry else ())
            gone = sorted(stale - pushed)
            if gone:
                report.removed = self._delete(gone)
            self.manifest.save()
            # Each refreshes the index, and again if it rewrote any document.
            self.last_merge = self._settle(
                N_("merging persons"), lambda: persons.reconcile(self.client, self.index)
            )
            self.last_grouping = self._settle(
                N_("grouping stories"),
                lambda: stories.reconcile(self.client, self.index, self.generation),
            )
        report.seconds = time.perf_counter() - started
        return report

    def _settle(self, what: str, step: Callable[[], int]) -> tuple[int, float]:
        """Run a step that brings the whole index in line after the documents
        are in: the documents it rewrote, and its seconds. A failure is one
        line, and the next push does the step again."""
        started = time.perf_counter()
        try:
            return step(), time.perf_counter() - started
        except Exception as error:
            problem = _("{error} (while {step}: run the push again)").format(
                error=explain(error), step=_(what)
            )
            raise ClusterProblem(self.url, problem) from error

    def _send(
        self, files: list[Path], again: bool, known: PushManifest, stale: set[str],
        report: IndexReport, progress: Callable[[Progress], None] | None,
    ) -> set[str]:  # fmt: skip
        """Push the new and changed *files*; the ids pushed."""
        pushed: set[str] = set()
        to_read = []
        for path in files:
            state = known.get(str(path))
            # Taken before reading: a file that changes while it is read is read again.
            size, mtime = file_signature(path)
            if not again and state is not None and state[0] == size and state[1] == mtime:
                report.files_unchanged += 1
                continue
            to_read.append((path, size, mtime))
        total_bytes = sum(size for _, size, _ in to_read)
        count = self.workers
        if count is None:
            count = worker_count() if total_bytes > PARALLEL_MIN_BYTES else 0
        with self._builders(count) as builders, ThreadPoolExecutor(SENDERS) as senders:
            pipeline = _Pipeline(self, report, builders, senders, ahead=AHEAD * max(count, 1))
            done_bytes = articles = 0
            for number, (path, size, mtime) in enumerate(to_read, 1):
                key = str(path)
                old = known.get(key)
                if old is not None:
                    stale.update(old[2])
                shown = shown_path(key, self.roots)
                ids: set[str] = set()
                for item in read_articles(path):
                    if isinstance(item, Problem):
                        report.problems.append(item)
                        continue
                    shown_id = shown + item.id[len(item.path) :]  # "" or "#record"
                    doc_id = document_id(shown_id)
                    pipeline.add(item, doc_id, shown_id, len(ids))
                    ids.add(doc_id)
                    articles += 1
                pipeline.file_ended(_File(key, size, mtime, ids, old))
                pushed.update(ids)
                report.files_read += 1
                done_bytes += size
                if progress:
                    progress(Progress(number, len(to_read), articles, key, done_bytes,
                                      total_bytes))  # fmt: skip
            pipeline.finish()
        return pushed

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One push to an index at a time from this machine: two would each
        save a manifest without the other's files."""
        self.manifest.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.manifest.path.with_suffix(".lock"), "a") as held:
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexLocked(cluster_index_url(self.url, self.index), 0) from None
            try:
                yield
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)

    @staticmethod
    def _builders(count: int) -> Executor:
        # Fresh interpreters (index.fresh_pool): not forked while the senders'
        # and the progress bar's threads run, and no re-run of a caller's script.
        return FreshProcessPool(count) if count else _Now()

    def record(self, done: _File, report: IndexReport) -> None:
        """*done*'s documents are all acknowledged: its manifest entry is true now."""
        if done.old is not None:  # a changed file: its articles overwritten in place
            again = len(done.ids & set(done.old[2]))
            report.updated += again
            report.added -= again
        self.manifest.set(done.key, (done.size, done.mtime, sorted(done.ids)))
        # Saved often, not after each file: a transaction per file would cost
        # a disk sync per file. A kill re-pushes what came since (the same
        # ids: nothing twice).
        if time.monotonic() - self._saved > SAVE_EVERY_S:
            self.manifest.save()
            self._saved = time.monotonic()

    def bulk(
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
                        where.get(info.get("_id", ""), "?"),
                        _("refused by the cluster: {reason}").format(reason=reason),
                    )
                )
        except Exception as error:
            raise ClusterProblem(self.url, explain(error)) from error
        return done

    def _delete(self, ids: list[str]) -> int:
        from opensearchpy import helpers

        actions = ({"_op_type": "delete", "_index": self.index, "_id": i} for i in ids)
        removed = 0
        for ok, _item in helpers.streaming_bulk(self.client, actions, raise_on_error=False,
                                            max_retries=RETRIES):  # fmt: skip
            removed += bool(ok)
        return removed
