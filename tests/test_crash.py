"""Crash safety: an indexer killed at random moments never loses committed work.

Each round starts a real ``search index`` process on a corpus of real French
articles and SIGKILLs it at a point chosen from the process's own progress,
not from a clock: at once, or just after its first or second commit shows in
the index folder (so the kill falls in the middle of the next batch, whatever
the machine's speed). After every kill the index must open and still hold
every article that was in it before; a final run must converge to exactly the
folder's content (no article twice, none missing).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.writer import Indexer
from search.engine import Engine
from tests.conftest import ROOT, generation, make_corpus, wait_for_commits

KILLS = 24
COPIES = 60


def indexed_ids(index_dir: Path) -> list[str]:
    with Engine(index_dir) as engine:
        return [h.id for h in engine.search("", limit=100_000).hits]


def index_process(corpus: Path, index_dir: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    args = [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)]
    return subprocess.Popen(
        [*args, "--commit-every", "20", "--workers", str(workers), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, copies=COPIES)
    rng = random.Random(20261121)
    before: set[str] = set()
    deleted: set[str] = set()  # may leave the index at any later commit
    finished = grew = 0
    for round_ in range(KILLS):
        if round_:
            # The folder changes between kills, so that every run has work to
            # do (a new lot and edited articles: several commits' worth), now
            # and then an article deleted.
            make_corpus(corpus / f"nouveau-{round_:03}", copies=1)
            for lot in rng.sample(range(COPIES), 30):
                folder = corpus / f"lot-{lot:03}" / "fixtures"
                with (folder / "otan-helsinki.txt").open("a", encoding="utf-8") as out:
                    out.write(f"\nMise à jour numéro {round_} : la ratification se poursuit.\n")
            if round_ % 4 == 0:
                lot_path = corpus / f"lot-{rng.randrange(COPIES):03}"
                doomed = lot_path / "fixtures" / "page-article.html"
                doomed.unlink(missing_ok=True)
                deleted.add(str(doomed))
        # Every other run writes with worker processes, which die with it.
        start = generation(index_dir)
        process = index_process(corpus, index_dir, workers=2 * (round_ % 2))
        wait_for_commits(index_dir, start, rng.choice([0, 1, 1, 2]), process)
        process.send_signal(signal.SIGKILL)
        if process.wait() == 0:
            finished += 1
        if not list(index_dir.glob("*.toc")):
            continue  # killed before the index was even created
        now = indexed_ids(index_dir)  # the index opens and answers
        assert len(now) == len(set(now)), f"round {round_}: an article is indexed twice"
        lost = before - set(now) - deleted
        assert not lost, f"round {round_}: committed articles lost: {sorted(lost)[:5]}"
        grew += len(set(now) - before) > 0
        before = set(now)
    print(f"{KILLS} kills: {finished} runs had finished, {grew} left new commits behind")
    assert finished < KILLS, "every run finished before its kill: the test killed nothing"
    assert grew >= 3, "kills never fell between commits: the test proved nothing"

    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    args = [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)]
    final = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert final.returncode == 0, final.stderr
    Indexer(tmp_path / "reference").update([corpus])
    assert sorted(indexed_ids(index_dir)) == sorted(indexed_ids(tmp_path / "reference"))
    with Engine(index_dir) as engine:
        assert engine.search('"Mise à jour numéro"').total >= 1  # edits are in
    # Nothing left behind by the killed writers.
    assert not list(index_dir.glob("*.tmp")) and not list(index_dir.glob(".manifest-*"))
