"""A large dump is committed as it is read: an import killed in the middle of one
file goes on where its last commit left it, with nothing lost or duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from search.engine import Engine
from tests.conftest import ROOT, SEEDS, generation, run_subprocess, wait_for_commits

RECORDS = 1200


def write_dump(path: Path) -> None:
    """Real OrangeSum articles from the seeds, each record with its own id and word."""
    base = [json.loads(line) for line in (SEEDS / "orangesum-extrait.jsonl").open()]
    with path.open("w", encoding="utf-8") as out:
        for n in range(RECORDS):
            record = dict(base[n % len(base)])
            record["id"] = f"depeche-{n}"
            record["article"] += f" Référence interne numéro{n}."
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def ids(index_dir: Path) -> list[str]:
    with Engine(index_dir) as engine:
        return [h.id for h in engine.search("", limit=100_000).hits]


def test_a_killed_import_of_one_big_dump_resumes_where_it_stopped(tmp_path: Path) -> None:
    dump, index_dir = tmp_path / "depeches.jsonl", tmp_path / "index"
    write_dump(dump)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    args = [sys.executable, "-m", "search.cli", "index", str(dump), "--index", str(index_dir)]
    process = subprocess.Popen(
        [*args, "--commit-every", "100", "--workers", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    # Killed after its third commit: well inside the file, whatever the machine's speed.
    wait_for_commits(index_dir, generation(index_dir), 3, process)
    process.send_signal(signal.SIGKILL)
    assert process.wait() != 0, "the import finished before it was killed"

    kept = ids(index_dir)
    assert 100 <= len(kept) < RECORDS, "nothing, or everything, was committed"
    assert len(kept) == len(set(kept))

    dry = run_subprocess("doctor", "--dry-run", "--json", env={"SEARCH_INDEX": str(index_dir)})
    assert dry.returncode == 1 and json.loads(dry.stdout)["stale"] == [str(dump)]

    done = run_subprocess("index", str(dump), "--json", env={"SEARCH_INDEX": str(index_dir)})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == RECORDS - len(kept) and report["updated"] == 0

    final = ids(index_dir)
    assert len(final) == len(set(final)) == RECORDS
    assert set(kept) <= set(final)
    with Engine(index_dir) as engine:
        assert engine.search(f"numéro{RECORDS - 1}").total == 1
    again = run_subprocess("index", str(dump), "--json", env={"SEARCH_INDEX": str(index_dir)})
    assert json.loads(again.stdout)["files_unchanged"] == 1
