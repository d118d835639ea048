"""Writing an update's new segments in several processes at once.

One process analysing and writing every article leaves the other cores idle,
and Whoosh is pure Python: the writer is what limits a build. Here each
worker process takes batches of articles, extracts their entities, analyses
them and writes a segment of its own; the updating process only reads the
files, deletes the articles they replace and commits the workers' segments
together with its own deletions, so a file's articles still become visible
all at once. The workers' segments are not merged as each commit ends (what
made Whoosh's own multiprocessing writer slower than one process on two
cores): once an update is written, ten segments of one size become one (see
``index.writer.merge_groups``), and merges due at once are written by the
workers side by side (``merge``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

from whoosh.codec.base import Segment

from index.articles import Article
from index.extraction import annotate
from index.schema import document_fields
from index.segment import GroupedSegmentWriter, add_segments
from index.store import IndexProblem, open_index
from index.timing import WRITER_STAGES, add, stage_seconds
from search.i18n import _

# Batches a worker may hold: its pipe never fills, so sending never blocks.
_QUEUED_PER_WORKER = 1
BATCH = 64


def index_article(
    writer: Any, article: Article, *, entities: bool, seconds: dict[str, float]
) -> None:
    """Add *article* to *writer*, with its countries and persons if *entities*;
    the time extraction takes is added to *seconds* (the writer keeps the rest)."""
    started = extracted = time.perf_counter()
    if entities:  # (without, no extraction ran: its stage stays at zero)
        annotate(article)
        extracted = time.perf_counter()
        seconds["extract"] += extracted - started
    fields = document_fields(article)
    # Making the stored fields is writing, as adding them is (the writer times that).
    writer.seconds["write"] += time.perf_counter() - extracted
    writer.add_document(**fields)


def worker_count() -> int:
    """Workers for a large update: one per core, at most four (each holds a pool)."""
    return max(1, min(os.cpu_count() or 1, 4))


class WorkerFailed(IndexProblem):
    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(
            directory,
            _(
                "indexing stopped: {reason}; the index at {index} keeps every article "
                "committed so far, run `search index` again to finish"
            ).format(reason=reason, index=directory),
        )


class SegmentWorkers:
    """Worker processes, each writing a segment of the articles it is given.

    ``add`` hands articles out in batches to whichever worker has room;
    ``finish`` returns the segments written since the last ``finish``, ready
    to be committed. Use as a context manager: leaving it stops the workers
    (and discards unfinished segments, whose files the next commit removes).
    """

    def __init__(self, directory: Path, *, count: int, entities: bool, limitmb: float) -> None:
        self._directory = directory
        self._connections: list[Connection] = []
        self._processes: list[subprocess.Popen[bytes]] = []
        self._room: dict[Connection, int] = {}
        self._batch: list[Article] = []
        # What the workers' segments took (index.timing), summed over them,
        # as each reports it with its segment.
        self.seconds = stage_seconds(WRITER_STAGES)
        for _worker in range(count):
            parent_end, child_end = socket.socketpair()
            self._processes.append(_start_worker(child_end, directory, entities, limitmb / count))
            child_end.close()
            connection = Connection(parent_end.detach())
            self._connections.append(connection)
            self._room[connection] = _QUEUED_PER_WORKER

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
        self._send(free[0], "add", self._batch)
        self._room[free[0]] -= 1
        self._batch = []

    def _send(self, connection: Connection, kind: str, payload: Any) -> None:
        try:
            connection.send((kind, payload))
        except OSError:
            raise self._died() from None

    def _died(self) -> WorkerFailed:
        return WorkerFailed(self._directory, _("an indexing worker process died"))

    def _receive(self, connection: Connection, expected: str) -> Any:
        """The next reply of *expected* kind; acknowledgements on the way free a worker."""
        while True:
            try:
                kind, payload = connection.recv()
            except EOFError:
                raise self._died() from None
            if kind == "error":
                failed = _("an indexing worker failed ({reason})").format(reason=payload)
                raise WorkerFailed(self._directory, failed)
            if kind == "done":
                self._room[connection] += 1
                if expected == "done":
                    return None
                continue
            if kind == "seconds":
                add(self.seconds, payload)
                continue
            return payload

    def finish(self) -> list[Segment]:
        """The segments of every article added so far (none for an idle worker)."""
        self._send_batch()
        segments = []
        for connection in self._connections:
            self._send(connection, "finish", None)
        for connection in self._connections:
            segment = self._receive(connection, "segment")
            if segment is not None:
                segments.append(segment)
        return segments

    def merge(self, groups: list[list[Segment]]) -> list[Segment]:
        """Each group of committed segments merged into one segment, by the
        workers side by side; the merged segments are ready to be committed
        in place of the groups (``GroupedSegmentWriter.replace``). Not
        between ``add`` and ``finish``: a worker merges with no segment open."""
        waiting = list(enumerate(groups))
        merged: list[Segment | None] = [None] * len(groups)
        busy: dict[Connection, int] = {}
        while waiting or busy:
            for connection in self._connections:
                if waiting and connection not in busy:
                    number, group = waiting.pop(0)
                    self._send(connection, "merge", group)
                    busy[connection] = number
            for ready in wait(list(busy)):
                connection = cast(Connection, ready)
                merged[busy.pop(connection)] = self._receive(connection, "segment")
        return [segment for segment in merged if segment is not None]

    def close(self) -> None:
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.send(("stop", None))
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for connection in self._connections:
            connection.close()


# What a worker process runs: this module's loop, on the socket it inherited,
# with the updating process's import path (which may have been changed at
# run time, as scripts and test runners do).
_WORKER_MAIN = (
    "import json, sys; settings = json.loads(sys.argv[1]); sys.path[:] = settings['path']; "
    "from index.workers import _main; _main(settings)"
)


def _start_worker(
    end: socket.socket, directory: Path, entities: bool, limitmb: float
) -> subprocess.Popen[bytes]:
    """Start a fresh interpreter serving batches on *end*.

    Not ``multiprocessing``: a forked worker would inherit the update lock
    and the other workers' sockets, and outlive a killed indexer holding
    both; a spawned one re-runs the caller's main script first, which a
    script without an ``if __name__ == "__main__"`` guard does not survive.
    Its own session keeps a terminal's Ctrl-C for the updating process,
    which cancels and then stops the workers.
    """
    settings = {
        "fd": end.fileno(),
        "directory": str(directory),
        "entities": entities,
        "limitmb": limitmb,
        "path": sys.path,
    }
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER_MAIN, json.dumps(settings)],
        pass_fds=[end.fileno()],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _main(settings: dict[str, Any]) -> None:
    _serve(
        Connection(settings["fd"]),
        Path(settings["directory"]),
        settings["entities"],
        settings["limitmb"],
    )


def _serve(connection: Connection, directory: Path, entities: bool, limitmb: float) -> None:
    """A worker's loop: add batches to a segment, hand the segment over on ``finish``."""
    writer: GroupedSegmentWriter | None = None
    extracting = stage_seconds(("extract",))
    try:
        ix = open_index(directory)
        while True:
            kind, payload = connection.recv()
            if kind == "add":
                if writer is None:
                    writer = GroupedSegmentWriter(ix, limitmb=limitmb, _lk=False)
                for article in payload:
                    index_article(writer, article, entities=entities, seconds=extracting)
                connection.send(("done", None))
            elif kind == "merge" and writer is None:
                # Held as the writer, so that a failure discards its files.
                writer = GroupedSegmentWriter(ix, limitmb=limitmb, _lk=False)
                add_segments(writer, payload)
                merged, writer = writer.finish_segment(), None
                connection.send(("segment", merged))
            elif kind == "finish":
                segment = None
                if writer is not None:
                    segment = writer.finish_segment()
                    connection.send(("seconds", {**extracting, **writer.seconds}))
                    extracting = stage_seconds(("extract",))
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
            # Closing writes the segment's last data: on a full disk that fails
            # too, and the updating process has the error to report already.
            with contextlib.suppress(Exception):
                writer.discard_segment()
        connection.close()
