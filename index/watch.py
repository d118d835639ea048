"""Keeping an index current while article files come, change and go.

:class:`Watcher` first reconciles the index with its folders (files added
while nobody watched are picked up), then follows the file system through
``watchfiles`` (inotify on Linux). Changes are gathered into batches: a file
is indexed once it has *settled* (same size and modification time for
``settle_s``), so a file still being written, or a burst of hundreds of
files, is indexed once, completely, in as few commits as possible.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import watchfiles

from index.readers import SIDECAR_SUFFIX, file_format, root_path
from index.store import IndexLocked
from index.writer import IndexReport, ProgressCallback, file_signature

Signature = tuple[int, int] | None  # (size, mtime_ns), or None for a missing path


def _signature(path: Path) -> Signature:
    """What "still changing" is judged by; ``None`` once the path is gone."""
    try:
        return file_signature(path)
    except OSError:
        return None


class Target(Protocol):
    """What a watcher keeps current: the local index's :class:`~index.writer.Indexer`,
    or a cluster's :class:`~cluster.push.Pusher`."""

    @property
    def directory(self) -> Path: ...

    def update(
        self, paths: Sequence[Path], *, progress: ProgressCallback | None = None
    ) -> IndexReport: ...

    def apply_changes(
        self,
        changed: Iterable[Path],
        *,
        progress: ProgressCallback | None = None,
        merge: bool = True,
    ) -> IndexReport: ...

    def compact(self, progress: ProgressCallback | None = None) -> IndexReport | None: ...


@dataclass
class _Pending:
    signature: Signature
    since: float  # monotonic time the signature was last seen to change


class Watcher:
    """Follows *roots* and applies their changes to the index of *indexer*."""

    def __init__(
        self,
        indexer: Target,
        roots: Sequence[Path],
        *,
        settle_s: float = 0.4,
        poll_ms: int = 200,
    ) -> None:
        self.indexer = indexer
        self.roots = [root_path(r) for r in roots]
        self.settle_s = settle_s
        self.poll_ms = poll_ms
        self._pending: dict[Path, _Pending] = {}
        self._index_dir = Path(os.path.abspath(indexer.directory))
        self._folders: set[Path] = set()
        # A batch commits without merging, so that its articles are searchable
        # at once; the merges it made due run when no change is waiting.
        self._merge_due = False

    def _learn_folders(self) -> None:
        for root in self.roots:
            for folder, dirs, _ in os.walk(root):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                self._folders.add(Path(folder))

    def reconcile(self, progress: ProgressCallback | None = None) -> IndexReport:
        """Index what changed while nobody watched (the same as ``search index``)."""
        self._learn_folders()
        return self.indexer.update(self.roots, progress=progress)

    def relevant(self, _change: watchfiles.Change, raw: str) -> bool:
        """Article files, their sidecars, and what may be a folder; never the index."""
        path = Path(raw)
        if path == self._index_dir or self._index_dir in path.parents:
            return False
        root = next((r for r in self.roots if r == path or r in path.parents), None)
        inside = path.relative_to(root).parts if root else (path.name,)
        if any(part.startswith(".") for part in inside):
            return False  # hidden files and folders, like a full scan skips them
        name = path.name
        return file_format(path) is not None or name.endswith(SIDECAR_SUFFIX) or "." not in name

    @staticmethod
    def article_path(path: Path) -> Path:
        """A sidecar's change is its article's change."""
        name = path.name
        if name.endswith(SIDECAR_SUFFIX):
            return path.with_name(name[: -len(SIDECAR_SUFFIX)])
        return path

    def note(self, paths: Sequence[Path]) -> None:
        """Record changed paths; each waits until it has settled.

        inotify only watches a new folder once it has seen it created, so
        files written into it right away can go unreported: a folder not
        seen before is scanned as a whole (unchanged files cost a stat).
        """
        now = time.monotonic()
        for path in paths:
            path = self.article_path(path)
            self._pending[path] = _Pending(_signature(path), now)
            folder = path if path.is_dir() else path.parent
            if folder not in self._folders and folder.is_dir():
                self._folders.add(folder)
                self._pending[folder] = _Pending(_signature(folder), now)

    def settled(self) -> list[Path]:
        """Pending paths that stopped changing, removed from the pending set."""
        now = time.monotonic()
        ready = []
        for path, state in list(self._pending.items()):
            current = _signature(path)
            if current != state.signature:
                state.signature, state.since = current, now
            elif now - state.since >= self.settle_s:
                ready.append(path)
                del self._pending[path]
        return ready

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def batches(
        self,
        stop: threading.Event,
        on_ready: Callable[[int], None] | None = None,
        on_busy: Callable[[int], None] | None = None,
        on_watching: Callable[[], None] | None = None,
    ) -> Iterator[IndexReport]:
        """One report per batch of settled changes, until *stop* is set.

        The index is committed once per batch; *stop* is only looked at
        between batches, so stopping never interrupts a commit.
        *on_watching* is called once the file system is watched: from then
        on no change is missed. A batch is committed without merging
        segments; once nothing is waiting, the merges due run, and their
        report (no article changed, ``segments_merged`` set) is yielded too.
        A merge stopped by *stop* is left for the next update.
        """
        changes_seen = watchfiles.watch(
            *self.roots,
            watch_filter=self.relevant,
            stop_event=stop,
            debounce=1000,
            step=50,
            rust_timeout=self.poll_ms,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        watching = False
        for changes in changes_seen:
            if not watching:
                # watchfiles yields once its watch is set up. A file written
                # between the start-up reconcile and now was seen by neither:
                # a second pass (a stat per unchanged file) catches it.
                watching = True
                try:
                    caught_up = self.indexer.update(self.roots)
                except IndexLocked:
                    caught_up = None
                if on_watching:
                    on_watching()
                if caught_up is not None and caught_up.changed:
                    yield caught_up
            self.note([Path(raw) for _, raw in changes])
            ready = self.settled()
            if ready:
                if on_ready:
                    on_ready(len(ready))
                try:
                    report = self.indexer.apply_changes(ready, merge=False)
                except IndexLocked:
                    # Another writer (a long `search index`) holds the index:
                    # keep the batch and try again once it is done.
                    self.note(ready)
                    if on_busy:
                        on_busy(len(ready))
                else:
                    self._merge_due = self._merge_due or report.changed
                    yield report
            elif self._merge_due and not changes and not self._pending and not stop.is_set():
                merged = self._merge()
                if merged is not None and merged.segments_merged:
                    yield merged
            if stop.is_set():
                return

    def _merge(self) -> IndexReport | None:
        """The merges due, if the index is free (else they wait for the next idle moment)."""
        try:
            report = self.indexer.compact()
        except IndexLocked:
            return None
        self._merge_due = False
        return report
