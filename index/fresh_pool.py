"""An executor whose workers are fresh interpreters, for CPU work on several cores.

``concurrent.futures.ProcessPoolExecutor`` forks (copying the locks other
threads hold: the progress bar's, the senders') or spawns, and a spawned
worker first re-runs the caller's main script, which a script without an
``if __name__ == "__main__":`` guard does not survive. Here, as for the
segment writers of :mod:`index.workers`, each worker is ``python -c`` with
the caller's import path, talking over a socket only it and the caller
hold: when the caller dies, killed or not, the worker reads the end of the
socket and stops. Its own session keeps a terminal's Ctrl+C for the caller.

Tasks are module-level functions and picklable arguments; each worker runs
its tasks in the order given, and a thread per worker hands the answers to
their futures.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection
from typing import Any

from search.i18n import _, activate, language

_WORKER_MAIN = (
    "import json, sys; settings = json.loads(sys.argv[1]); sys.path[:] = settings['path']; "
    "from index.fresh_pool import _serve; _serve(settings['fd'], settings['language'])"
)


class WorkerDied(RuntimeError):
    """A worker process ended before answering (killed, or out of memory)."""


class _Worker:
    def __init__(self) -> None:
        parent_end, child_end = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_MAIN,
             json.dumps({"fd": child_end.fileno(), "path": sys.path, "language": language()})],
            pass_fds=[child_end.fileno()], stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        child_end.close()
        self.connection = Connection(parent_end.detach())
        self.pending: deque[Future[Any]] = deque()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def submit(self, task: tuple[Callable[..., Any], tuple[Any, ...], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self.lock:
            self.pending.append(future)
        # Sent without the lock: a send may wait for the worker to read, and
        # the worker for the reader thread to take its answer, which needs it.
        try:
            self.connection.send(task)
        except OSError:
            future.set_exception(WorkerDied(_("a worker process died")))
        return future

    def _read(self) -> None:
        while True:
            try:
                ok, payload = self.connection.recv()
            except (EOFError, OSError):
                break
            with self.lock:
                future = self.pending.popleft()
            if future.done():  # its send failed
                continue
            if ok:
                future.set_result(payload)
            else:
                future.set_exception(
                    WorkerDied(_("a worker process failed: {reason}").format(reason=payload))
                )
        with self.lock:
            while self.pending:
                future = self.pending.popleft()
                if not future.done():
                    future.set_exception(WorkerDied(_("a worker process died")))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.send(None)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.connection.close()
        self.reader.join(timeout=30)


class FreshProcessPool(Executor):
    """*count* fresh worker interpreters; tasks go to them in turn."""

    def __init__(self, count: int) -> None:
        self._workers = [_Worker() for _ in range(count)]
        self._next = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        worker = self._workers[self._next % len(self._workers)]
        self._next += 1
        return worker.submit((fn, args, kwargs))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for worker in self._workers:
            worker.stop()


def _serve(fd: int, language: str = "en") -> None:
    """A worker's loop: run each task, send its result (or its error, in one line).
    Problems it finds are written in *language*, the caller's."""
    activate([language])
    connection = Connection(fd)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return  # the caller is gone: nobody to work for
        if task is None:
            return
        fn, args, kwargs = task
        try:
            answer = (True, fn(*args, **kwargs))
        except Exception:
            answer = (False, traceback.format_exc().strip().splitlines()[-1])
        try:
            connection.send(answer)
        except OSError:
            return
