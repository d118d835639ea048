"""The whole OrangeSum dump indexes as it is: no crash, bad records reported (slow)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from index.readers import clean_text
from tests.conftest import ORANGESUM, run_subprocess

pytestmark = pytest.mark.slow


def test_whole_orangesum_file_indexes_and_answers(tmp_path: Path) -> None:
    if not ORANGESUM.exists():
        pytest.skip(f"shared corpus not found at {ORANGESUM}")
    with gzip.open(ORANGESUM, "rt", encoding="utf-8") as stream:
        rows = [json.loads(line) for line in stream]
    # Empty bodies, including one made only of zero-width spaces (line 15869).
    empty = [n for n, row in enumerate(rows, 1) if not clean_text(row["article"]).strip()]
    env = {"SEARCH_INDEX": str(tmp_path / "idx")}

    built = run_subprocess("index", str(ORANGESUM), "--json", env=env, timeout=3000)
    assert built.returncode == 0, built.stderr[-2000:]
    report = json.loads(built.stdout)
    assert report["added"] == len(rows) - len(empty)
    skipped = [p for p in report["problems"] if p["skipped"]]
    assert sorted(p["line"] for p in skipped) == empty
    assert {p["reason"] for p in skipped} == {"no article text (empty body)"}

    # A known item: an article's own title finds it first.
    target = rows[1000]
    found = run_subprocess("query", f'"{target["title"]}"', "--json", env=env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["id"].endswith(f"#{target['id']}")
    # Glued sentences are split: "jeudi.Le gouvernement" is in the first article.
    glued = run_subprocess("query", '"gouvernement avait déjà annoncé"', "--json", env=env)
    assert json.loads(glued.stdout)["total"] >= 1
