"""Writing an update's new segments in several processes at once.

One process analysing and writing every article leaves the other cores idle,
and Whoosh is pure Python: the writer is what limits a build. Here each
worker process takes batches of articles, extracts their entities, analyses
them and writes a segment of its own; the updating process only reads the
files, deletes the articles they replace and commits the workers' segments
together with its own deletions, so a file's articles still become visible
all at once. The workers' segments are not merged afterwards: a merge
re-writes every posting, which is what made Whoosh's own multiprocessing
writer slower than one process on two cores.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from whoosh.codec.base import Segment

from index.articles import Article
from index.extraction import annotate
from index.schema import document_fields
from index.segment import GroupedSegmentWriter
from index.store import IndexProblem, open_index

# Batches a worker may hold: its pipe never fills, so sending never blocks.
_QUEUED_PER_WORKER = 1
BATCH = 64


def index_article(writer: Any, article: Article, *, entities: bool) -> None:
    """Add *article* to *writer*, with its countries and persons if *entities*."""
    if entities:
        annotate(article)
    writer.add_document(**document_fields(article))


def worker_count() -> int:
    """Workers for a large update: one per core, at most four (each holds a pool)."""
    return max(1, min(os.cpu_count() or 1, 4))


class WorkerFailed(IndexProblem):
    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(
            directory,
            f"indexing stopped: {reason}; the index at {directory} keeps every article "
            f"committed so far, run `search index` again to finish",
        )


class SegmentWorkers:
    """Worker processes, each writing a segment of the articles it is given.

    ``add`` hands articles out in batches to whichever worker has room;
    ``finish`` returns the segments written since the last ``finish``, ready
    to be committed. Use as a context manager: leaving it stops the workers
    (and discards unfinished segments, whose files the next commit removes).
    """

    def __init__(self, directory: Path, *, count: int, entities: bool, limitmb: float) -> None:
        # Spawned, not forked: a forked worker would inherit the update lock and
        # the other workers' pipes, and outlive a killed indexer holding both.
        context = multiprocessing.get_context("spawn")
        self._directory = directory
        self._connections: list[Connection] = []
        self._processes: list[Any] = []
        self._room: dict[Connection, int] = {}
        self._batch: list[Article] = []
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_serve,
                args=(child_end, directory, entities, limitmb / count),
                daemon=True,
            )
            process.start()
            child_end.close()
            self._connections.append(parent_end)
            self._processes.append(process)
            self._room[parent_end] = _QUEUED_PER_WORKER

    def __enter__(self) -> SegmentWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, article: Article) -> None:
        self._batch.append(article)
        if len(self._batch) >= BATCH:
            self._send_batch()

    def _send_batch(self) -> None:
        if not self._batch:
            return
        # The batch is ready before waiting, so a worker that frees up gets
        # its next batch at once; one batch each keeps sends from blocking.
        while not (free := [c for c in self._connections if self._room[c]]):
            for ready in wait(self._connections):
                self._receive(cast(Connection, ready), "done")
        try:
            free[0].send(("add", self._batch))
        except OSError:
            raise WorkerFailed(self._directory, "an indexing worker process died") from None
        self._room[free[0]] -= 1
        self._batch = []

    def _receive(self, connection: Connection, expected: str) -> Any:
        """The next reply of *expected* kind; acknowledgements on the way free a worker."""
        while True:
            try:
                kind, payload = connection.recv()
            except EOFError:
                raise WorkerFailed(self._directory, "an indexing worker process died") from None
            if kind == "error":
                raise WorkerFailed(self._directory, f"an indexing worker failed ({payload})")
            if kind == "done":
                self._room[connection] += 1
                if expected == "done":
                    return None
                continue
            return payload

    def finish(self) -> list[Segment]:
        """The segments of every article added so far (none for an idle worker)."""
        self._send_batch()
        segments = []
        for connection in self._connections:
            connection.send(("finish", None))
        for connection in self._connections:
            segment = self._receive(connection, "segment")
            if segment is not None:
                segments.append(segment)
        return segments

    def close(self) -> None:
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.send(("stop", None))
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in self._connections:
            connection.close()


def _serve(connection: Connection, directory: Path, entities: bool, limitmb: float) -> None:
    """A worker's loop: add batches to a segment, hand the segment over on ``finish``."""
    # Ctrl-C is the updating process's to handle: it cancels, then stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    writer: GroupedSegmentWriter | None = None
    try:
        ix = open_index(directory)
        while True:
            kind, payload = connection.recv()
            if kind == "add":
                if writer is None:
                    writer = GroupedSegmentWriter(ix, limitmb=limitmb, _lk=False)
                for article in payload:
                    index_article(writer, article, entities=entities)
                connection.send(("done", None))
            elif kind == "finish":
                segment = writer.finish_segment() if writer is not None else None
                writer = None
                connection.send(("segment", segment))
            else:
                break
    except BaseException:
        # The updating process may be gone already (killed): nobody to tell.
        with contextlib.suppress(OSError):
            connection.send(("error", traceback.format_exc().strip().splitlines()[-1]))
    finally:
        if writer is not None:
            writer.discard_segment()
        connection.close()
