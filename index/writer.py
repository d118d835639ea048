"""Bringing an index up to date with folders of article files.

An update compares the files on disk with what the index holds: new files
are added, changed files re-indexed, vanished files removed, and unchanged
files (same size and modification time, or same content hash when those
differ) are not even read. Which paths are indexed is read from the index
itself, so a lost or stale manifest costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.codec.base import Segment
from whoosh.index import FileIndex, LockError
from whoosh.query import Term as WhooshTerm
from whoosh.reading import IndexReader
from whoosh.writing import SegmentWriter

from index import readers
from index.articles import Article, Problem
from index.manifest import FileState, Manifest
from index.readers import discover, file_format, read_articles, root_path, sidecar_path
from index.schema import SCHEMA_VERSION
from index.segment import GroupedSegmentWriter, add_segments
from index.store import (
    COMMIT_EVERY,
    LOCK_TIMEOUT_S,
    IndexLocked,
    IndexReadOnly,
    claim_directory,
    create_index,
    discard_leftovers,
    index_exists,
    open_index,
    update_lock,
)
from index.timing import add, stage_seconds, timed
from index.workers import SegmentWorkers, index_article, worker_count
from search.i18n import _

# A file to read: its path, size and mtime, and the digest of the version indexed.
ToRead = tuple[Path, tuple[int, int], str | None]

# Memory Whoosh may use for its in-memory segment before spilling to disk.
WRITER_LIMIT_MB = 256
# Small segments of like size merged at once...
MERGE_AT = 4
# ..."like size": the largest at most this many times the others together.
# Merging every small segment into one rewrote the largest of them every few
# batches until it reached a tenth of the index (beside a million articles,
# each article added in batches of 100 rewritten ~180 times); merging like
# sizes rewrites it ~8 times, with at most ~7 small segments
# (bench/merge_policy.py).
LIKE_SIZE = 3
# Segments of one size tier (a power of ten of articles) merged at once: a
# full build's worker segments of ~5,000 articles become segments of ~50,000
# (the per-segment cost of every query term falls tenfold), and each article
# is rewritten once per tier it climbs, so log10(archive) times at most.
TIER_WIDTH = 10


@dataclass
class Progress:
    files_done: int
    files_total: int
    articles: int
    current: str
    # The files' sizes, done and in all: the remaining time of an archive
    # whose files differ in size (one dump among small files) follows bytes.
    bytes_done: int = 0
    bytes_total: int = 0


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
    # Segments merged into larger ones (by this update, or by Indexer.compact).
    segments_merged: int = 0
    # Where the time went (index.timing): filled by a local update.
    stages: dict[str, float] = field(default_factory=dict)

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
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.entities = entities
        self.commit_every = max(1, commit_every)
        # None: worker processes for updates big enough to repay them (see
        # index.workers); 0: everything in this process.
        self.workers = workers
        # Told once, with a message, when another writer makes this one wait.
        self.on_wait = on_wait

    def update(
        self,
        paths: Sequence[Path],
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Make the index hold exactly the articles under *paths* (folders or files)."""
        roots = [root_path(p) for p in paths]
        files, problems = discover(roots)
        on_disk = {str(f) for f in files}
        # Never prune under a root that is missing (an unmounted disk must not
        # empty the index).
        prunable = [r for r in roots if r.exists()]

        def vanished(indexed_under: PathsUnder) -> list[str]:
            return [p for p in indexed_under(prunable) if p not in on_disk]

        return self._run(roots, files, problems, vanished, rebuild, progress)

    def apply_changes(
        self,
        changed: Iterable[Path],
        *,
        progress: ProgressCallback | None = None,
        merge: bool = True,
    ) -> IndexReport:
        """Bring only *changed* paths up to date (what a file watcher reports).

        A path that exists is (re)indexed if it changed (a folder: every file
        under it); a path that is gone removes its articles (a folder: every
        article under it). Nothing else is scanned, so a batch costs the same
        on a small corpus and a huge one. With *merge* false, the batch is
        searchable as soon as its segment is committed, and the merges it
        makes due wait for :meth:`compact` (a watcher calls it when idle).
        """
        changed = sorted({Path(os.path.abspath(p)) for p in changed})
        present = [p for p in changed if p.exists()]
        gone = [p for p in changed if not p.exists()]
        files, problems = discover(present)
        # A watcher reports every file it sees; a stray PDF is not an error.
        problems = [p for p in problems if not not_an_article(Path(p.path))]

        def vanished(indexed_under: PathsUnder) -> list[str]:
            return list(indexed_under(gone))

        return self._run([], files, problems, vanished, False, progress, merge)

    def compact(self, progress: ProgressCallback | None = None) -> IndexReport:
        """Run the merges due now (see :func:`merge_groups`); nothing if none is.

        The report's ``merge`` stage says how long they took.
        """
        started = time.perf_counter()
        report = IndexReport(stages=stage_seconds())
        claim_directory(self.directory)
        with update_lock(self.directory, on_wait=self.on_wait):
            if index_exists(self.directory):
                ix = open_index(self.directory)
                try:
                    self._compact(ix, report, progress)
                finally:
                    ix.close()
        report.stages["merge"] += time.perf_counter() - started
        report.seconds = time.perf_counter() - started
        return report

    def _run(
        self,
        roots: list[Path],
        files: list[Path],
        problems: list[Problem],
        vanished: Vanished,
        rebuild: bool,
        progress: ProgressCallback | None,
        merge: bool = True,
    ) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport(stages=stage_seconds())
        report.problems.extend(problems)
        # Before anything is written there (even the lock file): a folder that
        # is not an index of ours is refused whole.
        claim_directory(self.directory)
        try:
            with update_lock(self.directory, on_wait=self.on_wait):
                self._update_locked(roots, files, vanished, rebuild, report, progress, merge)
        except IndexReadOnly:
            # Nothing to write is no reason to fail: check, and say so only if
            # something would have to be written.
            if rebuild or not index_exists(self.directory) or self._has_work(files, vanished):
                raise
            report.files_unchanged = len(files)
        report.seconds = time.perf_counter() - started
        return report

    def _update_locked(
        self,
        roots: list[Path],
        files: list[Path],
        vanished: Vanished,
        rebuild: bool,
        report: IndexReport,
        progress: ProgressCallback | None,
        merge: bool,
    ) -> None:
        discard_leftovers(self.directory)
        manifest = Manifest.load(self.directory)
        outdated = manifest.schema_version != SCHEMA_VERSION
        if rebuild or outdated or not index_exists(self.directory):
            ix = create_index(self.directory)
            manifest.reset()
            report.rebuilt = True
        else:
            ix = open_index(self.directory)
        # A root that does not exist (a typo) is not remembered as a corpus.
        manifest.roots = sorted({*manifest.roots, *(str(r) for r in roots if r.exists())})
        try:
            self._apply(ix, files, vanished, manifest, report, progress)
            if report.changed or report.files_read:
                manifest.updated = time.time()
            manifest.save()
            if merge or report.rebuilt:  # (a rebuild's worker segments are merged at once)
                started = time.perf_counter()
                self._compact(ix, report, progress)
                report.stages["merge"] += time.perf_counter() - started
        finally:
            ix.close()
            manifest.close()

    def _has_work(self, files: list[Path], vanished: Vanished) -> bool:
        """Whether an update would change anything (read only: nothing is written)."""
        ix = open_index(self.directory)
        try:
            with Manifest.load(self.directory) as manifest:
                to_read, gone, _ = self._plan(ix, files, vanished, manifest)
        finally:
            ix.close()
        return bool(gone) or any(
            content_digest(path) != digest for path, _, digest in to_read if path.exists()
        )

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
        vanished: Vanished,
        manifest: Manifest,
        report: IndexReport,
        progress: ProgressCallback | None,
    ) -> None:
        to_read, gone, indexed = self._plan(ix, files, vanished, manifest, report)
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
            try:
                self._write(ix, running, to_read, indexed, gone, manifest, report, progress)
            finally:
                if running:
                    add(report.stages, running.seconds)

    @staticmethod
    def _plan(
        ix: FileIndex,
        files: list[Path],
        vanished: Vanished,
        manifest: Manifest,
        report: IndexReport | None = None,
    ) -> tuple[list[ToRead], list[str], set[str]]:
        """The files to read (unless their content turns out unchanged), the indexed
        paths to remove, and which of the files to read the index holds.

        Each costs what the update touches, not what the archive holds: a
        watcher's batch of ten files looks up ten paths and ten manifest entries.
        """
        to_read: list[ToRead] = []
        held: set[str] = set()
        if len(files) >= _IndexedPaths.WHOLE_LEXICON_FROM:
            manifest.prefetch()  # (one read, not a query per file)
        with ix.reader() as reader:
            indexed = _IndexedPaths(reader, len(files))
            for path in files:
                key = str(path)
                known = manifest.get(key)
                try:
                    size, mtime = file_signature(path)
                except OSError as error:
                    if report:
                        report.problems.append(
                            Problem(key, _("cannot read: {reason}").format(reason=error.strerror))
                        )
                    continue
                in_index = key in indexed
                present = in_index or (known is not None and known.articles == 0)
                if known and present and (known.size, known.mtime_ns) == (size, mtime):
                    if report:
                        report.files_unchanged += 1
                    continue
                digest = known.digest if known and present else None
                to_read.append((path, (size, mtime), digest))
                if in_index:
                    held.add(key)
            return to_read, vanished(indexed.under), held

    def _write(
        self,
        ix: FileIndex,
        workers: SegmentWorkers | None,
        to_read: list[ToRead],
        indexed: set[str],
        gone: list[str],
        manifest: Manifest,
        report: IndexReport,
        progress: ProgressCallback | None,
    ) -> None:
        writer = self._writer(ix)
        sizes = {str(path): size for path, (size, _), _ in to_read}
        bytes_total, bytes_done = sum(sizes.values()), 0
        # Files whose articles are all in the writer: their manifest entries
        # are saved with the commit that makes those articles durable.
        completed: dict[str, FileState] = {}
        since_commit = 0
        current: FileState | None = None  # the file being read, and how far
        cut_short = False  # the current file ends early (a truncated dump)
        resumed_at = 0  # articles of the current file committed by an earlier run
        in_file_committed = 0  # its articles committed so far

        stages = report.stages
        extracting = stage_seconds(("extract",))  # by this process, without workers

        def finish_writer() -> None:
            """Commit the writer's segment (and the workers'), timed."""
            if workers:
                writer.adopt(workers.finish())
            started, wrote = time.perf_counter(), writer.seconds["write"]
            writer.commit(merge=False)  # merging waits for the end
            # Flushing this process's own segment is writing, not committing.
            stages["commit"] += time.perf_counter() - started - (writer.seconds["write"] - wrote)
            add(stages, writer.seconds)
            add(stages, extracting)
            extracting.update(extract=0.0)

        def commit(inside: str | None = None) -> None:
            nonlocal writer, since_commit
            finish_writer()
            manifest.update(completed.items())
            completed.clear()
            if inside is not None and current is not None:
                # Inside a file (a large dump): its records so far are
                # committed, and the next run goes on from there.
                manifest.set(inside, current.unfinished())
            manifest.save()
            since_commit = 0
            writer = self._writer(ix)

        try:
            for gone_path in gone:
                report.removed += writer.delete_by_term("path", gone_path)
                manifest.remove(gone_path)
            articles = count = files_done = 0
            events = _read_events(to_read, manifest, report, self._committed_articles)
            cleaned_before = readers.cleaning_seconds
            for kind, path, payload in timed(events, stages, "read"):
                key = str(path)
                if kind == "begin":
                    assert isinstance(payload, FileState)
                    current, count = payload, payload.articles
                    resumed_at = in_file_committed = payload.articles
                    if key in indexed and not payload.partial:
                        writer.delete_by_term("path", key)
                        # Committed from here on without the old articles:
                        # a crash must make the next run read the file again.
                        manifest.remove(key)
                elif kind == "end":
                    assert current is not None
                    files_done += 1
                    if key in indexed and not resumed_at:
                        report.updated += count
                    else:
                        report.added += count - resumed_at
                    current.articles, current.partial = count, False
                    # A file that ends early is kept unfinished: the next run
                    # reads on from its last article, and says so again.
                    completed[key] = current.unfinished() if cut_short else current
                    current, cut_short = None, False
                    bytes_done += sizes.get(key, 0)
                    if progress:
                        progress(Progress(files_done, len(to_read), articles, key,
                                          bytes_done, bytes_total))  # fmt: skip
                    if since_commit >= self.commit_every:
                        commit()
                else:
                    assert current is not None
                    if isinstance(payload, Article):
                        if workers:
                            workers.add(payload)
                        else:
                            index_article(
                                writer, payload, entities=self.entities, seconds=extracting
                            )
                        count += 1
                        current.articles = count
                        articles += 1
                        since_commit += 1
                        if progress and articles % 1000 == 0:
                            progress(Progress(files_done, len(to_read), articles, key,
                                              bytes_done, bytes_total))  # fmt: skip
                        # Records of one file are independent: a dump that
                        # alone holds a commit's worth commits as it goes (its
                        # old articles were deleted at its start, in the same
                        # commit or before). Smaller files commit whole.
                        if count - in_file_committed >= self.commit_every:
                            commit(inside=key)
                            in_file_committed = count
                    elif isinstance(payload, Problem):
                        report.problems.append(payload)
                        cut_short = cut_short or payload.truncated
            # Cleaning happens while reading: told apart, not counted twice.
            cleaned = readers.cleaning_seconds - cleaned_before
            stages["clean"] += cleaned
            stages["read"] = max(0.0, stages["read"] - cleaned)
            # New articles become visible first; merging is a second commit.
            finish_writer()
            manifest.update(completed.items())
        except BaseException:
            writer.cancel()
            raise

    def _committed_articles(self, path: str) -> int:
        """How many articles of the file *path* the committed index holds."""
        ix = open_index(self.directory)
        try:
            with ix.searcher() as searcher:
                return sum(1 for _ in searcher.docs_for_query(WhooshTerm("path", path)))
        finally:
            ix.close()

    def _compact(
        self, ix: FileIndex, report: IndexReport, progress: ProgressCallback | None
    ) -> None:
        """Merge segments until :func:`merge_groups` finds nothing more to merge.

        Several merges due at once (a full build's worker segments, tier
        after tier) run side by side in worker processes, each writing one
        segment, committed together; a single merge runs here. Each round is
        one commit, durable alone.
        """
        while groups := merge_groups(ix._segments()):
            if progress:
                merging = sum(len(group) for group in groups)
                done, articles = report.files_read, report.added + report.updated
                merging_into = _("merging {count} segments into {merged}").format(
                    count=merging, merged=len(groups)
                )
                progress(Progress(done, done, articles, merging_into))
            if len(groups) == 1 or self.workers == 0 or worker_count() == 1:
                self._writer(ix).commit(mergetype=merge_tiers)  # the first group
                report.segments_merged += len(groups[0])
                continue
            count = min(len(groups), worker_count() if self.workers is None else self.workers)
            with SegmentWorkers(
                self.directory, count=count, entities=False, limitmb=WRITER_LIMIT_MB
            ) as workers:
                merged = workers.merge(groups)
            writer = self._writer(ix)
            if not writer.replace([s for group in groups for s in group], merged):
                # Some merged segment lost a deletion since (nothing of ours
                # deletes while the update lock is held): merge here instead.
                writer.commit(mergetype=merge_tiers)
                report.segments_merged += len(groups[0])
                continue
            writer.commit(merge=False)
            report.segments_merged += sum(len(group) for group in groups)


def not_an_article(path: Path) -> bool:
    return path.is_file() and file_format(path) is None


def merge_groups(segments: Sequence[Segment]) -> list[list[Segment]]:
    """The merges due now, each a list of segments to become one.

    Small segments (under a tenth of the largest: MERGE_AT of like size, see
    :func:`_like_sizes`) and sparse ones (a third of their documents deleted)
    become one; then every TIER_WIDTH segments of one size tier (a power of
    ten of live articles) become one of the next tier, as Lucene's tiered
    policy does.
    """
    if len(segments) < 2:
        return []
    largest = max(s.doc_count_all() for s in segments)
    small = [s for s in segments if s.doc_count_all() < largest / 10]
    sparse = [s for s in segments if s.deleted_count() * 3 > s.doc_count_all() > 0]
    first = {id(s): s for s in [*_like_sizes(small), *sparse]}
    groups = [list(first.values())] if first else []
    tiers: dict[int, list[Segment]] = {}
    for segment in segments:
        if id(segment) not in first:
            tiers.setdefault(_tier(segment.doc_count()), []).append(segment)
    for tier in sorted(tiers):
        members = sorted(tiers[tier], key=lambda s: s.doc_count())
        full = len(members) - len(members) % TIER_WIDTH
        groups += [members[i : i + TIER_WIDTH] for i in range(0, full, TIER_WIDTH)]
    return groups


def _like_sizes(small: Sequence[Segment]) -> list[Segment]:
    """The first MERGE_AT small segments, smallest first, whose largest is at
    most LIKE_SIZE times the others together; none if no such run."""
    ordered = sorted(small, key=lambda s: s.doc_count_all())
    for start in range(len(ordered) - MERGE_AT + 1):
        run = ordered[start : start + MERGE_AT]
        sizes = [s.doc_count_all() for s in run]
        if sizes[-1] <= LIKE_SIZE * sum(sizes[:-1]):
            return run
    return []


def _tier(articles: int) -> int:
    return len(str(max(articles, 1))) - 1  # floor(log10), exact on integers


def merge_tiers(writer: SegmentWriter, segments: list[Segment]) -> list[Segment]:
    """Whoosh merge policy: the first of :func:`merge_groups`, merged in this writer.

    Every incremental batch writes a small segment, and a full build with
    worker processes writes one per commit; each segment costs every query
    term a lookup and an array. A merge costs in proportion to the segments
    it merges, and an article is rewritten once per tier it climbs.
    """
    groups = merge_groups(segments)
    plan = groups[0] if groups else []
    add_segments(writer, plan)
    return [s for s in segments if s not in plan]


# Which indexed source paths lie under some paths (a watcher's deleted
# folder, the folders a whole update walks).
PathsUnder = Callable[[Sequence[Path]], Iterator[str]]
# The indexed paths an update removes, given a way to list those under paths.
Vanished = Callable[[PathsUnder], list[str]]


class _IndexedPaths:
    """Which source paths the index holds, from its ``path`` lexicon.

    A few paths are looked up one by one (a watcher's batch must not read the
    path of every article of a large archive); past :data:`WHOLE_LEXICON_FROM`
    files, as in an update that walks the archive, the lexicon is read once.
    """

    WHOLE_LEXICON_FROM = 1_000

    def __init__(self, reader: IndexReader, lookups: int) -> None:
        self._reader = reader
        self._all: set[str] | None = None
        if lookups >= self.WHOLE_LEXICON_FROM:
            self._all = {_text(p) for p in reader.lexicon("path")}

    def __contains__(self, path: str) -> bool:
        if self._all is not None:
            return path in self._all
        return ("path", path.encode("utf-8")) in self._reader

    def under(self, paths: Sequence[Path]) -> Iterator[str]:
        """The indexed paths that are one of *paths* or lie under one."""
        for root in paths:
            for term in self._reader.expand_prefix("path", str(root)):
                if within(text := _text(term), [root]):
                    yield text


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


# Below this many bytes to read, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024

Event = tuple[str, Path, Article | Problem | FileState | None]


def _read_events(
    to_read: list[ToRead],
    manifest: Manifest,
    report: IndexReport,
    committed: Callable[[str], int],
) -> Iterator[Event]:
    """``begin`` (with the file's new state), an ``item`` per article or problem, then
    ``end``, for every file whose content really changed.

    A file whose reading was committed part way (:meth:`FileState.unfinished`)
    and has not changed since is read on after the articles the index holds
    (*committed* counts them: the index, not the manifest, is the truth when
    a kill fell between a commit and its manifest).
    """
    for path, (size, mtime), old_digest in to_read:
        key = str(path)
        try:
            digest = content_digest(path)
        except OSError as error:
            report.problems.append(
                Problem(key, _("cannot read: {reason}").format(reason=error.strerror))
            )
            continue
        known = manifest.get(key)
        resume = bool(known and known.partial and known.digest == digest)
        if digest == old_digest and not resume:
            if known is not None:  # touched, not changed: its new size and time are noted
                manifest.set(key, dataclasses.replace(known, size=size, mtime_ns=mtime))
            report.files_unchanged += 1
            continue
        report.files_read += 1
        skip = committed(key) if resume else 0
        yield "begin", path, FileState(size, mtime, digest, skip, partial=resume)
        for item in read_articles(path):
            if skip:  # read and committed by an earlier run, its problems reported
                skip -= isinstance(item, Article)
                continue
            yield "item", path, item
        yield "end", path, None
