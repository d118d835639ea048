"""Bringing an index up to date with folders of article files.

An update compares the files on disk with what the index holds: new files
are added, changed files re-indexed, vanished files removed, and unchanged
files (same size and modification time, or same content hash when those
differ) are not even read. Which paths are indexed is read from the index
itself, so a lost or stale manifest costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex, LockError

from index.articles import Article, Problem
from index.extraction import annotate
from index.persons import person_key
from index.readers import discover, read_articles, sidecar_path
from index.schema import SCHEMA_VERSION, pack_facets
from index.store import FileState, IndexProblem, Manifest, create_index, index_exists, open_index

# How long a second writer waits for the first before giving up.
LOCK_TIMEOUT_S = 30.0
# Memory Whoosh may use for its in-memory segment before spilling to disk.
WRITER_LIMIT_MB = 256


class IndexLocked(IndexProblem):
    def __init__(self, directory: Path) -> None:
        super().__init__(
            f"another process is writing the index at {directory}; "
            f"waited {LOCK_TIMEOUT_S:.0f}s, try again when it has finished"
        )


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


def _within(path: str, roots: Sequence[Path]) -> bool:
    return any(path == str(r) or path.startswith(str(r) + os.sep) for r in roots)


def _digest(path: Path) -> str:
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


def _signature(path: Path) -> tuple[int, int]:
    """Size and mtime of the file and its sidecar, which both make the article."""
    stat = path.stat()
    size, mtime = stat.st_size, stat.st_mtime_ns
    try:
        side = sidecar_path(path).stat()
        size, mtime = size + side.st_size, max(mtime, side.st_mtime_ns)
    except OSError:
        pass
    return size, mtime


def document_fields(article: Article) -> dict[str, Any]:
    """The Whoosh document for an article: stored fields plus the ranking fields."""
    text = "\n".join(part for part in (article.title, article.lead, article.body) if part)
    fields: dict[str, Any] = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "content": text,
        "exact": text,
        "date_source": article.date_source,
        "url": article.url,
    }
    if article.date is not None:
        fields["date"] = article.date
    for name in ("source", "author", "section"):
        value = getattr(article, name).replace(",", " ")
        if value:
            fields[name] = value
    if article.countries:
        fields["country"] = ",".join(article.countries)
    if article.persons:
        names = [p.replace(",", " ") for p in article.persons]
        fields["person"] = ",".join(person_key(name) for name in names)
        fields["person_names"] = ",".join(names)
    fields["facets"] = pack_facets(article.countries, article.persons)
    return fields


class Indexer:
    """Updates the index in *directory* from article files."""

    def __init__(self, directory: Path, *, entities: bool = True) -> None:
        self.directory = Path(directory)
        self.entities = entities

    def update(
        self,
        paths: Sequence[Path],
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport()
        roots = [Path(os.path.abspath(p)) for p in paths]
        files, problems = discover(roots)
        report.problems.extend(problems)
        # Never prune under a root that is missing (an unmounted disk must not
        # empty the index).
        prunable = [r for r in roots if r.exists()]

        manifest = Manifest.load(self.directory)
        if rebuild or not index_exists(self.directory) or manifest.schema_version != SCHEMA_VERSION:
            ix = create_index(self.directory)
            manifest = Manifest()
            report.rebuilt = True
        else:
            ix = open_index(self.directory)

        try:
            self._apply(ix, files, prunable, manifest, report, progress)
        finally:
            ix.close()
        manifest.roots = sorted({*manifest.roots, *(str(r) for r in roots)})
        if report.changed or report.files_read:
            manifest.updated = time.time()
        manifest.save(self.directory)
        report.seconds = time.perf_counter() - started
        return report

    def _apply(
        self,
        ix: FileIndex,
        files: list[Path],
        roots: Sequence[Path],
        manifest: Manifest,
        report: IndexReport,
        progress: ProgressCallback | None,
    ) -> None:
        with ix.reader() as reader:
            indexed = {
                p.decode("utf-8") if isinstance(p, bytes) else p for p in reader.lexicon("path")
            }
        to_read: list[tuple[Path, tuple[int, int], str | None]] = []
        on_disk = set()
        for path in files:
            key = str(path)
            on_disk.add(key)
            known = manifest.files.get(key)
            try:
                size, mtime = _signature(path)
            except OSError as error:
                report.problems.append(Problem(key, f"cannot read: {error.strerror}"))
                continue
            present = key in indexed or (known is not None and known.articles == 0)
            if known and present and (known.size, known.mtime_ns) == (size, mtime):
                report.files_unchanged += 1
                continue
            to_read.append((path, (size, mtime), known.digest if known and present else None))

        vanished = [p for p in indexed if p not in on_disk and _within(p, roots)]
        if not to_read and not vanished:
            return

        try:
            writer = ix.writer(timeout=LOCK_TIMEOUT_S, delay=0.25, limitmb=WRITER_LIMIT_MB)
        except LockError as error:
            raise IndexLocked(self.directory) from error
        workers = 1 if sum(size for _, (size, _), _ in to_read) > PARALLEL_MIN_BYTES else 0
        try:
            for gone in vanished:
                report.removed += writer.delete_by_term("path", gone)
                manifest.files.pop(gone, None)
            events = _read_events(to_read, manifest, report)
            if self.entities:
                events = annotated(events, workers=workers)
            articles = count = files_done = 0
            for kind, path, payload in events:
                key = str(path)
                if kind == "begin":
                    count = 0
                    if key in indexed:
                        writer.delete_by_term("path", key)
                elif isinstance(payload, Article):
                    writer.add_document(**document_fields(payload))
                    count += 1
                    articles += 1
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
                    manifest.files[key] = payload
                    if progress:
                        progress(Progress(files_done, len(to_read), articles, key))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise


# Below this many bytes to read, a second process for extraction costs more than it saves.
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
            digest = _digest(path)
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


def _annotate_events(events: list[Event]) -> list[Event]:
    for _, _, payload in events:
        if isinstance(payload, Article):
            annotate(payload)
    return events


def annotated(events: Iterator[Event], *, workers: int, batch: int = 64) -> Iterator[Event]:
    """Fill in the articles' countries and persons, in order.

    With *workers*, extraction runs in other processes while this one keeps
    writing the index: on two cores, extraction then costs almost nothing.
    At most a few batches are in flight, so memory stays bounded.
    """
    if not workers:
        for event in events:
            if isinstance(event[2], Article):
                annotate(event[2])
            yield event
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[Event]]] = deque()
        while chunk := list(itertools.islice(events, batch)):
            pending.append(pool.submit(_annotate_events, chunk))
            if len(pending) > 4 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
