"""Readers during writes, two writers at once, and the lock of a killed writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.writer import Indexer
from search.engine import Engine
from tests.conftest import ROOT
from tests.test_crash import indexed_ids, make_corpus


def index_command(corpus: Path, index_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "search.cli", "index", str(corpus),
        "--index", str(index_dir), "--commit-every", "20", *extra,
    ]  # fmt: skip


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}


def start_writer(corpus: Path, index_dir: Path) -> subprocess.Popen[bytes]:
    command = index_command(corpus, index_dir)
    return subprocess.Popen(command, cwd=ROOT, env=clean_env(), stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_readers_see_whole_commits_while_a_writer_runs(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, copies=25)
    Indexer(index_dir).update([corpus / "lot-000"])  # something to read from the start
    writer = start_writer(corpus, index_dir)
    totals, changes = [], 0
    with Engine(index_dir) as engine:
        while writer.poll() is None:
            changes += engine.refresh()  # never blocks, never sees half a commit
            totals.append(engine.search("OTAN Helsinki").total)
            time.sleep(0.05)
        assert writer.returncode == 0
        engine.refresh()
        final = engine.search("OTAN Helsinki").total
    assert changes >= 2, "the writer committed fewer than twice while being read"
    assert totals == sorted(totals), "a reader saw articles disappear"
    assert all(t % totals[0] == 0 for t in totals), "a reader saw part of a file's articles"
    assert final == 25 * totals[0]


@pytest.mark.slow
def test_two_writers_at_once_never_corrupt_the_index(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, copies=15)
    first = start_writer(corpus, index_dir)
    time.sleep(0.5)
    second = subprocess.run(
        index_command(corpus, index_dir), cwd=ROOT, env=clean_env(), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert first.wait(timeout=300) == 0
    # The second one waited for the lock (or, past the timeout, says so in one line).
    if second.returncode:
        assert second.returncode == 2
        assert "another process is writing the index" in second.stderr
        assert "Traceback" not in second.stderr
    ids = indexed_ids(index_dir)
    assert len(ids) == len(set(ids))
    Indexer(tmp_path / "reference").update([corpus])
    assert sorted(ids) == sorted(indexed_ids(tmp_path / "reference"))


@pytest.mark.slow
def test_the_lock_of_a_killed_writer_is_free_at_once(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, copies=15)
    writer = start_writer(corpus, index_dir)
    deadline = time.monotonic() + 60
    while not list(index_dir.glob("*.toc")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # inside the writer's lock now
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    started = time.monotonic()
    report = Indexer(index_dir).update([corpus])  # would raise IndexLocked after 30 s
    assert time.monotonic() - started < 20
    assert report.added + report.updated > 0
