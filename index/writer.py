"""Bringing an index up to date with folders of article files.

An update compares the files on disk with what the index holds: new files
are added, changed files re-indexed, vanished files removed, and unchanged
files (same size and modification time, or same content hash when those
differ) are not even read. Which paths are indexed is read from the index
itself, so a lost or stale manifest costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.codec.base import Segment
from whoosh.index import FileIndex, LockError
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from index.articles import Article, Problem
from index.readers import discover, read_articles, sidecar_path
from index.schema import SCHEMA_VERSION
from index.segment import GroupedSegmentWriter
from index.store import (
    COMMIT_EVERY,
    LOCK_TIMEOUT_S,
    FileState,
    IndexLocked,
    Manifest,
    create_index,
    index_exists,
    open_index,
    update_lock,
)
from index.workers import SegmentWorkers, index_article, worker_count

# Memory Whoosh may use for its in-memory segment before spilling to disk.
WRITER_LIMIT_MB = 256
# Small segments tolerated before they are merged into one.
MERGE_AT = 4


@dataclass
class Progress:
    files_done: int
    files_total: int
    articles: int
    current: str


ProgressCallback = Callable[[Progress], None]


@dataclass
class IndexReport:
    """What an update did, for the summary line and ``--json``."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    rebuilt: bool = False

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.skipped]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.skipped]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)


def within(path: str, roots: Sequence[Path]) -> bool:
    """Whether *path* is one of *roots* or lies under one."""
    return any(path == str(r) or path.startswith(str(r) + os.sep) for r in roots)


def content_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (path, sidecar_path(path)):
        try:
            with open(part, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except FileNotFoundError:
            if part == path:
                raise
    return digest.hexdigest()


def file_signature(path: Path) -> tuple[int, int]:
    """Size and mtime of the file and its sidecar, which both make the article."""
    stat = path.stat()
    size, mtime = stat.st_size, stat.st_mtime_ns
    try:
        side = sidecar_path(path).stat()
        size, mtime = size + side.st_size, max(mtime, side.st_mtime_ns)
    except OSError:
        pass
    return size, mtime


class Indexer:
    """Updates the index in *directory* from article files.

    Work is committed after every file that brings the count since the last
    commit to *commit_every* articles, and at the end, each commit with the
    manifest of the files it completed: a crash or a kill loses at most the
    work since the last commit, and the next run redoes exactly that.
    """

    def __init__(
        self,
        directory: Path,
        *,
        entities: bool = True,
        commit_every: int = COMMIT_EVERY,
        workers: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.entities = entities
        self.commit_every = max(1, commit_every)
        # None: worker processes for updates big enough to repay them (see
        # index.workers); 0: everything in this process.
        self.workers = workers

    def update(
        self,
        paths: Sequence[Path],
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Make the index hold exactly the articles under *paths* (folders or files)."""
        roots = [Path(os.path.abspath(p)) for p in paths]
        files, problems = discover(roots)
        on_disk = {str(f) for f in files}
        # Never prune under a root that is missing (an unmounted disk must not
        # empty the index).
        prunable = [r for r in roots if r.exists()]

        def vanished(indexed: set[str]) -> list[str]:
            return [p for p in indexed if p not in on_disk and within(p, prunable)]

        return self._run(roots, files, problems, vanished, rebuild, progress)

    def apply_changes(
        self, changed: Iterable[Path], *, progress: ProgressCallback | None = None
    ) -> IndexReport:
        """Bring only *changed* paths up to date (what a file watcher reports).

        A path that exists is (re)indexed if it changed (a folder: every file
        under it); a path that is gone removes its articles (a folder: every
        article under it). Nothing else is scanned, so a batch costs the same
        on a small corpus and a huge one.
        """
        changed = sorted({Path(os.path.abspath(p)) for p in changed})
        present = [p for p in changed if p.exists()]
        gone = [p for p in changed if not p.exists()]
        files, problems = discover(present)
        # A watcher reports every file it sees; a stray PDF is not an error.
        problems = [p for p in problems if not p.reason.startswith("not an article file")]

        def vanished(indexed: set[str]) -> list[str]:
            return [p for p in indexed if within(p, gone)]

        return self._run([], files, problems, vanished, False, progress)

    def _run(
        self,
        roots: list[Path],
        files: list[Path],
        problems: list[Problem],
        vanished: Callable[[set[str]], list[str]],
        rebuild: bool,
        progress: ProgressCallback | None,
    ) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport()
        report.problems.extend(problems)
        with update_lock(self.directory):
            Manifest.discard_leftovers(self.directory)
            manifest = Manifest.load(self.directory)
            outdated = manifest.schema_version != SCHEMA_VERSION
            if rebuild or outdated or not index_exists(self.directory):
                ix = create_index(self.directory)
                manifest = Manifest()
                report.rebuilt = True
            else:
                ix = open_index(self.directory)
            manifest.roots = sorted({*manifest.roots, *(str(r) for r in roots)})
            try:
                self._apply(ix, files, vanished, manifest, report, progress)
                if report.changed or report.files_read:
                    manifest.updated = time.time()
                manifest.save(self.directory)
                self._compact(ix)
            finally:
                ix.close()
        report.seconds = time.perf_counter() - started
        return report

    def _writer(self, ix: FileIndex) -> GroupedSegmentWriter:
        try:
            return GroupedSegmentWriter(
                ix, timeout=LOCK_TIMEOUT_S, delay=0.25, limitmb=WRITER_LIMIT_MB
            )
        except LockError as error:
            raise IndexLocked(self.directory, LOCK_TIMEOUT_S) from error

    def _apply(
        self,
        ix: FileIndex,
        files: list[Path],
        vanished: Callable[[set[str]], list[str]],
        manifest: Manifest,
        report: IndexReport,
        progress: ProgressCallback | None,
    ) -> None:
        with ix.reader() as reader:
            indexed = {
                p.decode("utf-8") if isinstance(p, bytes) else p for p in reader.lexicon("path")
            }
        to_read: list[tuple[Path, tuple[int, int], str | None]] = []
        for path in files:
            key = str(path)
            known = manifest.files.get(key)
            try:
                size, mtime = file_signature(path)
            except OSError as error:
                report.problems.append(Problem(key, f"cannot read: {error.strerror}"))
                continue
            present = key in indexed or (known is not None and known.articles == 0)
            if known and present and (known.size, known.mtime_ns) == (size, mtime):
                report.files_unchanged += 1
                continue
            to_read.append((path, (size, mtime), known.digest if known and present else None))

        gone = vanished(indexed)
        if not to_read and not gone:
            return

        count = self.workers
        if count is None:
            large = sum(size for _, (size, _), _ in to_read) > PARALLEL_MIN_BYTES
            count = worker_count() if large else 0
        workers = (
            SegmentWorkers(
                self.directory, count=count, entities=self.entities, limitmb=WRITER_LIMIT_MB
            )
            if count
            else contextlib.nullcontext()
        )
        with workers as running:
            self._write(ix, running, to_read, indexed, gone, manifest, report, progress)

    def _write(
        self,
        ix: FileIndex,
        workers: SegmentWorkers | None,
        to_read: list[tuple[Path, tuple[int, int], str | None]],
        indexed: set[str],
        gone: list[str],
        manifest: Manifest,
        report: IndexReport,
        progress: ProgressCallback | None,
    ) -> None:
        writer = self._writer(ix)
        # Files whose articles are all in the writer: their manifest entries
        # are saved with the commit that makes those articles durable.
        completed: dict[str, FileState] = {}
        since_commit = 0
        try:
            for gone_path in gone:
                report.removed += writer.delete_by_term("path", gone_path)
                manifest.files.pop(gone_path, None)
            articles = count = files_done = 0
            for kind, path, payload in _read_events(to_read, manifest, report):
                key = str(path)
                if kind == "begin":
                    count = 0
                    if key in indexed:
                        writer.delete_by_term("path", key)
                        # Committed from here on without the old articles:
                        # a crash must make the next run read the file again.
                        manifest.files.pop(key, None)
                elif isinstance(payload, Article):
                    if workers:
                        workers.add(payload)
                    else:
                        index_article(writer, payload, entities=self.entities)
                    count += 1
                    articles += 1
                    since_commit += 1
                    if progress and articles % 1000 == 0:
                        progress(Progress(files_done, len(to_read), articles, key))
                elif isinstance(payload, Problem):
                    report.problems.append(payload)
                elif kind == "end":
                    assert isinstance(payload, FileState)
                    files_done += 1
                    if key in indexed:
                        report.updated += count
                    else:
                        report.added += count
                    payload.articles = count
                    completed[key] = payload
                    if progress:
                        progress(Progress(files_done, len(to_read), articles, key))
                    # Commits fall between files, so that a file's old articles
                    # and its new ones are never both, or neither, committed.
                    if since_commit >= self.commit_every:
                        if workers:
                            writer.adopt(workers.finish())
                        writer.commit(merge=False)  # merging waits for the end
                        manifest.files.update(completed)
                        completed.clear()
                        manifest.save(self.directory)
                        since_commit = 0
                        writer = self._writer(ix)
            # New articles become visible first; merging is a second commit.
            if workers:
                writer.adopt(workers.finish())
            writer.commit(merge=False)
            manifest.files.update(completed)
        except BaseException:
            writer.cancel()
            raise

    def _compact(self, ix: FileIndex) -> None:
        if _merge_plan(ix._segments()):
            self._writer(ix).commit(mergetype=merge_tiers)


def _merge_plan(segments: Sequence[Segment]) -> list[Segment]:
    """The segments worth merging now (see :func:`merge_tiers`)."""
    if len(segments) < 2:
        return []
    largest = max(s.doc_count_all() for s in segments)
    small = [s for s in segments if s.doc_count_all() < largest / 10]
    sparse = [s for s in segments if s.deleted_count() * 3 > s.doc_count_all() > 0]
    plan = {id(s): s for s in [*(small if len(small) >= MERGE_AT else []), *sparse]}
    return list(plan.values())


def merge_tiers(writer: SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """Whoosh merge policy: small segments are merged together, big ones kept.

    Every incremental batch writes a small segment, and Whoosh's default
    policy leaves a big index followed by many small ones (each costs every
    query a little). Here, once there are MERGE_AT or more segments smaller
    than a tenth of the largest, they become one; a segment with a third of
    its documents deleted (an updated dump file) is rewritten without them.
    A merge costs in proportion to the small segments, never the whole index.
    """
    plan = _merge_plan(segments)
    for segment in plan:
        with SegmentReader(writer.storage, writer.schema, segment) as reader:
            writer.add_reader(reader)
    return [s for s in segments if s not in plan]


# Below this many bytes to read, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024

Event = tuple[str, Path, Article | Problem | FileState | None]


def _read_events(
    to_read: list[tuple[Path, tuple[int, int], str | None]],
    manifest: Manifest,
    report: IndexReport,
) -> Iterator[Event]:
    """``begin``, then an ``item`` per article or problem, then ``end`` (with the
    file's new state) for every file whose content really changed."""
    for path, (size, mtime), old_digest in to_read:
        key = str(path)
        try:
            digest = content_digest(path)
        except OSError as error:
            report.problems.append(Problem(key, f"cannot read: {error.strerror}"))
            continue
        if digest == old_digest:
            manifest.files[key].size, manifest.files[key].mtime_ns = size, mtime
            report.files_unchanged += 1
            continue
        report.files_read += 1
        yield "begin", path, None
        for item in read_articles(path):
            yield "item", path, item
        yield "end", path, FileState(size, mtime, digest, 0)
