"""The whole OrangeSum dump indexes as it is: no crash, bad records reported; and
`search trend` on it agrees with `search facets` (slow: one whole-corpus build)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

import pytest

from index.readers import clean_text
from tests.conftest import ORANGESUM, run_subprocess

# One worker builds the whole-corpus index (pytest -n 2 --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orangesum")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, Any]]:
    """The whole corpus, indexed once through the CLI: its environment and report."""
    if not ORANGESUM.exists():
        pytest.skip(f"shared corpus not found at {ORANGESUM}")
    env = {"SEARCH_INDEX": str(tmp_path_factory.mktemp("orangesum") / "idx")}
    done = run_subprocess("index", str(ORANGESUM), "--json", env=env, timeout=3000)
    assert done.returncode == 0, done.stderr[-2000:]
    return env, json.loads(done.stdout)


def test_whole_orangesum_file_indexes_and_answers(
    built: tuple[dict[str, str], dict[str, Any]],
) -> None:
    with gzip.open(ORANGESUM, "rt", encoding="utf-8") as stream:
        rows = [json.loads(line) for line in stream]
    # Empty bodies, including one made only of zero-width spaces (line 15869).
    empty = [n for n, row in enumerate(rows, 1) if not clean_text(row["article"]).strip()]
    env, report = built
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


def dates(env: dict[str, str], *query: str) -> dict[str, int]:
    done = run_subprocess("facets", *query, "--by", "month", "--top", "1", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return {d["value"]: d["count"] for d in json.loads(done.stdout)["dates"]}


def test_trend_of_two_queries_agrees_with_facets(
    built: tuple[dict[str, str], dict[str, Any]],
) -> None:
    env, _ = built
    chart = run_subprocess("trend", "Macron", "Le Pen", "--by", "month", env=env)
    assert chart.returncode == 0, chart.stderr
    assert "Macron" in chart.stdout and "Le Pen" in chart.stdout  # two series, one legend
    assert "Share of all articles (%) per month" in chart.stdout  # volumes differ: shares
    table = run_subprocess("trend", "Macron", "Le Pen", "--by", "month", "--csv", env=env)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    everything = dates(env)
    assert {r["period"]: int(r["articles"]) for r in rows if r["articles"] != "0"} == everything
    for query in ("Macron", "Le Pen"):
        assert {r["period"]: int(r[query]) for r in rows if r[query] not in ("", "0")} == dates(
            env, query
        )
        for r in rows:
            if r["articles"] == "0":
                assert r[query] == r[f"{query} share"] == ""  # a gap, not zero attention
            else:
                share = int(r[query]) / int(r["articles"])
                assert float(r[f"{query} share"]) == pytest.approx(share, abs=1e-6)


def test_identical_bodies_share_a_story(built: tuple[dict[str, str], dict[str, Any]]) -> None:
    """Every pair of the shared duplicates file whose bodies are identical is one
    story (the file's other pairs share only a title or a summary)."""
    from itertools import combinations
    from pathlib import Path

    from search.api import Engine

    duplicates = ORANGESUM.parent / "orangesum_duplicates.txt"
    if not duplicates.exists():
        pytest.skip(f"shared duplicates list not found at {duplicates}")
    env, _ = built
    with gzip.open(ORANGESUM, "rt", encoding="utf-8") as stream:
        bodies = {row["id"]: row["article"] for row in map(json.loads, stream)}
    with Engine(Path(env["SEARCH_INDEX"])) as engine:
        reader = engine._searcher.reader()
        docnums = {reader.stored_fields(d)["id"].rsplit("#", 1)[1]: d
                   for d in reader.all_doc_ids()}  # fmt: skip
        stories = engine.facet_table.stories
        pairs = [
            (docnums[a], docnums[b])
            for line in duplicates.read_text().splitlines()
            for a, b in combinations([m.removesuffix(".json") for m in line.split(",")], 2)
            if a in docnums and b in docnums and bodies[a] == bodies[b]
        ]
        assert len(pairs) > 2000
        assert all(stories[a] == stories[b] for a, b in pairs)
        collapsed = engine.search("coronavirus", collapse=True)
        assert collapsed.total < collapsed.articles
