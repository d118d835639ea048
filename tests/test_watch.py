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

from index.watch import Watcher
from index.writer import TIER_WIDTH, Indexer, IndexReport
from search.engine import Engine
from tests.conftest import FIXTURES, ROOT

ARTICLE = """Le Parlement estonien adopte la réforme des retraites

Tallinn, 12 octobre 2022. Le Parlement estonien a adopté jeudi la réforme des retraites
défendue par la Première ministre Kaja Kallas, après un débat de deux jours.
"""


class WatchProcess:
    """``search watch --json`` in a child process; its batch reports read as they come."""

    def __init__(
        self,
        corpus: Path,
        index_dir: Path,
        extra: dict[str, str] | None = None,
        as_json: bool = True,
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
        env["SEARCH_INDEX"] = str(index_dir)
        env.update(extra or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "search.cli", "watch", str(corpus), *(["--json"] * as_json)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.reports: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stderr: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
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
            self.lines.put(line)
            if line.startswith("watching "):
                self._watching.set()

    def line_with(self, words: str, timeout: float = 180) -> str:
        """The first line written to stderr from now on that holds *words*."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no line with {words!r}; stderr: {self.stderr}"
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if words in line:
                return line

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


def nine_small_segments(corpus: Path, index_dir: Path) -> Indexer:
    """An index of TIER_WIDTH - 1 one-article segments: one more makes a merge due."""
    corpus.mkdir()
    indexer = Indexer(index_dir, workers=0)
    for n in range(TIER_WIDTH - 1):
        path = corpus / f"depeche-{n}.txt"
        path.write_text(f"Dépêche {n}\n\nLe ministre a annoncé la mesure {n}.\n", encoding="utf-8")
        indexer.apply_changes([path], merge=False)
    with Engine(index_dir) as engine:
        assert engine.stats().segments == TIER_WIDTH - 1
    return indexer


def test_a_batch_is_searchable_before_the_merge_it_makes_due(tmp_path: Path) -> None:
    """The watcher commits a batch without merging; the merge runs once nothing waits."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    watcher = Watcher(nine_small_segments(corpus, index_dir), [corpus])
    stop = threading.Event()
    got: queue.Queue[IndexReport] = queue.Queue()
    next_one = threading.Semaphore(0)  # the watcher goes on only once a report is checked

    def follow() -> None:
        write = lambda: (corpus / "estonie.txt").write_text(ARTICLE, encoding="utf-8")  # noqa: E731
        for report in watcher.batches(stop, on_watching=write):
            got.put(report)
            next_one.acquire()

    threading.Thread(target=follow, daemon=True).start()
    batch = got.get(timeout=180)
    assert (batch.added, batch.segments_merged) == (1, 0)
    with Engine(index_dir) as engine:
        assert engine.search("retraites Kallas").total == 1
        assert engine.stats().segments == TIER_WIDTH, "the batch waited for no merge"
    next_one.release()
    merged = got.get(timeout=180)
    assert merged.segments_merged == TIER_WIDTH and not merged.changed
    stop.set()
    next_one.release()
    with Engine(index_dir) as engine:
        assert engine.stats().segments == 1
        assert engine.stats().documents == TIER_WIDTH
        assert engine.search("retraites Kallas").total == 1


@pytest.mark.parametrize("as_json", [True, False])
def test_watch_reports_its_merges_apart(tmp_path: Path, as_json: bool) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    nine_small_segments(corpus, index_dir)
    watcher = WatchProcess(corpus, index_dir, as_json=as_json)
    try:
        (corpus / "estonie.txt").write_text(ARTICLE, encoding="utf-8")
        if as_json:
            reports = watcher.collect(lambda seen: any(r["batch"] == "merge" for r in seen))
            assert [(r["batch"], r["added"], r["segments_merged"]) for r in reports] == [
                ("startup", 0, 0), ("batch", 1, 0), ("merge", 0, TIER_WIDTH)
            ]
        else:  # in words, for a person at the terminal
            assert "batch: indexed 1 new" in watcher.line_with("batch: ")
            assert f" merged {TIER_WIDTH} segments in " in watcher.line_with("merged ")
        assert watcher.stop() == 0
    finally:
        if watcher.process.poll() is None:
            watcher.process.kill()
            watcher.process.wait()


def test_watch_refuses_a_missing_folder(run: Any, tmp_path: Path) -> None:
    result = run("watch", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "no such file or directory" in result.output
