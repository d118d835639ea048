"""`search watch`: a real watching process follows a real folder of French articles."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from index.writer import Indexer
from search.engine import Engine
from tests.conftest import FIXTURES, ROOT

ARTICLE = """Le Parlement estonien adopte la réforme des retraites

Tallinn, 12 octobre 2022. Le Parlement estonien a adopté jeudi la réforme des retraites
défendue par la Première ministre Kaja Kallas, après un débat de deux jours.
"""


class WatchProcess:
    """``search watch --json`` in a child process; its batch reports read as they come."""

    def __init__(self, corpus: Path, index_dir: Path, extra: dict[str, str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
        env["SEARCH_INDEX"] = str(index_dir)
        env.update(extra or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "search.cli", "watch", str(corpus), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.reports: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        self._watching = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        assert self._watching.wait(180), f"watch did not start: {self.stderr}"

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.reports.put(json.loads(line))

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            if line.startswith("watching "):
                self._watching.set()

    def collect(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 180) -> list:
        """Batch reports until *done* says enough were seen (the bound is generous:
        only a watcher that never reports fails it, not a slow machine)."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not done(seen):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; reports so far: {seen}; stderr: {self.stderr}"
            try:
                seen.append(self.reports.get(timeout=remaining))
            except queue.Empty:
                continue
        return seen

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=180)


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[tuple[Path, Path, WatchProcess]]:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(FIXTURES / "otan-helsinki.txt", corpus)
    Indexer(index_dir).update([corpus])
    # Added while nobody watches: the watcher's start-up must pick it up.
    shutil.copy(FIXTURES / "securite-frontiere.md", corpus)
    watcher = WatchProcess(corpus, index_dir)
    yield corpus, index_dir, watcher
    if watcher.process.poll() is None:
        watcher.process.kill()
        watcher.process.wait()


def ids(index_dir: Path, query: str) -> list[str]:
    with Engine(index_dir) as engine:
        return [h.id for h in engine.search(query, limit=100).hits]


def added(reports: list[dict[str, Any]]) -> int:
    return sum(r["added"] for r in reports if r["batch"] == "batch")


def test_startup_reconciles_then_follows_adds_changes_moves_and_deletes(watching: Any) -> None:
    corpus, index_dir, watcher = watching
    startup = watcher.collect(lambda seen: len(seen) >= 1)[0]
    assert startup["batch"] == "startup" and startup["added"] == 1
    assert len(ids(index_dir, "baltes")) == 1

    # A file written in two parts, with a pause, is indexed once, complete.
    path = corpus / "estonie.txt"
    with path.open("w", encoding="utf-8") as out:
        out.write(ARTICLE[:60])
        out.flush()
        time.sleep(0.2)
        out.write(ARTICLE[60:])
    reports = watcher.collect(lambda seen: added(seen) >= 1)
    assert added(reports) == 1
    assert ids(index_dir, "retraites Kallas") == [str(path)]

    # Changed: updated in place, still one document.
    path.write_text(ARTICLE.replace("deux jours", "trois semaines"), encoding="utf-8")
    watcher.collect(lambda seen: sum(r["updated"] for r in seen) >= 1)
    assert ids(index_dir, '"trois semaines"') == [str(path)]
    assert ids(index_dir, '"deux jours"') == []

    # Moved into a new sub-folder: found under its new path only.
    (corpus / "archives").mkdir()
    moved = corpus / "archives" / "estonie.txt"
    path.rename(moved)
    watcher.collect(lambda seen: sum(r["removed"] for r in seen) >= 1 and added(seen) >= 1)
    assert ids(index_dir, "retraites Kallas") == [str(moved)]

    # Deleted: gone from the index.
    moved.unlink()
    watcher.collect(lambda seen: sum(r["removed"] for r in seen) >= 1)
    assert ids(index_dir, "retraites Kallas") == []

    assert watcher.stop() == 0
    assert any("stopped" in line for line in watcher.stderr)


def test_a_burst_of_files_is_indexed_once_in_few_batches(watching: Any) -> None:
    corpus, index_dir, watcher = watching
    watcher.collect(lambda seen: len(seen) >= 1)  # start-up
    burst = corpus / "depeches"
    burst.mkdir()
    for n in range(200):
        (burst / f"depeche-{n:03}.txt").write_text(
            f"Dépêche numéro {n}\n\nLe ministre a annoncé la mesure {n} lors d'un point presse "
            f"à Paris, selon l'agence.\n",
            encoding="utf-8",
        )
    reports = watcher.collect(lambda seen: added(seen) >= 200, timeout=600)
    assert added(reports) == 200
    assert len(reports) <= 25, f"{len(reports)} batches for 200 files"
    with Engine(index_dir) as engine:
        assert engine.search("dépêche ministre").total == 200
    assert watcher.stop() == 0


def test_watch_refuses_a_missing_folder(run: Any, tmp_path: Path) -> None:
    result = run("watch", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "no such file or directory" in result.output
