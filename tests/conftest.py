"""Shared fixtures: real indexes of real French text in temporary folders."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The tests read the English interface, whatever the machine's locale (a
# subprocess the tests start inherits it; French is tested where asked for).
# Set before search.cli is imported: its help is translated when it is made.
os.environ["LANGUAGE"] = "en"

from click.testing import CliRunner, Result

from index.writer import Indexer
from search.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
ORANGESUM = SHARED / "corpora" / "orangesum.jsonl.gz"


def orangesum_records(limit: int) -> list[dict[str, Any]]:
    """The first *limit* OrangeSum records; skips the test when the corpus is absent."""
    if not ORANGESUM.exists():
        pytest.skip(f"shared corpus not found at {ORANGESUM}")
    with gzip.open(ORANGESUM, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in itertools.islice(stream, limit)]


def make_corpus(corpus: Path, copies: int) -> None:
    """*copies* folders, each with the fixtures and seeds (real French, every format)."""
    for n in range(copies):
        folder = corpus / f"lot-{n:03}"
        shutil.copytree(FIXTURES, folder / "fixtures")
        shutil.copytree(SEEDS, folder / "seeds")


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("seeds-index")
    report = Indexer(directory).update([SEEDS])
    assert report.added == 7, report
    return directory


@pytest.fixture(scope="session")
def fixtures_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fixtures-index")
    Indexer(directory).update([FIXTURES])
    return directory


@pytest.fixture(scope="session")
def fixtures_and_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fixtures-and-seeds-index")
    Indexer(directory).update([FIXTURES, SEEDS])
    return directory


CliRun = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRun:
    """Invoke the real CLI in-process; the environment never points at the user's index."""
    monkeypatch.chdir(ROOT)  # paths are shown relative to the working directory
    monkeypatch.setenv("SEARCH_INDEX", str(tmp_path / "default-index"))
    monkeypatch.setenv("SEARCH_CORPUS", str(SEEDS))

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def run_subprocess(
    *args: str, env: dict[str, str], cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``search`` as a user would: a fresh process, real stdout/stderr and exit code."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "search.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def generation(index_dir: Path) -> int:
    """The index's commit count: Whoosh writes ``_articles_<generation>.toc`` per commit."""
    found = [int(p.name.split("_")[-1].split(".")[0]) for p in index_dir.glob("_articles_*.toc")]
    return max(found, default=-1)


def wait_for_commits(
    index_dir: Path, start: int, count: int, process: subprocess.Popen[bytes]
) -> None:
    """Return once *count* commits after generation *start* are visible, or the process
    has ended: a kill point taken from the writer's own progress, not from a clock.
    Polls the folder; the bound only catches a writer that hangs."""
    deadline = time.monotonic() + 600
    while generation(index_dir) < start + count and process.poll() is None:
        assert time.monotonic() < deadline, "the indexer made no commit in 600 s"
        time.sleep(0.002)
