"""The `search` command line: output modes, exit codes, configuration, help."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, SEEDS, CliRun, run_subprocess


def test_first_query_builds_the_index_from_the_corpus(tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    first = run_subprocess("query", "Finlande", env={"SEARCH_INDEX": str(index_dir)})
    assert first.returncode == 0, first.stderr
    assert f"No index at {index_dir} yet: building it from {SEEDS}" in first.stderr
    assert "La Finlande retire discrètement la croix gammée" in first.stdout
    assert "\x1b[" not in first.stdout  # piped: plain text
    second = run_subprocess("query", "Finlande", env={"SEARCH_INDEX": str(index_dir)})

    def untimed(out: str) -> str:
        return re.sub(r"\(\d+ ms\)", "", out)

    assert untimed(second.stdout) == untimed(first.stdout)
    assert "building" not in second.stderr


def test_an_index_from_an_older_version_is_rebuilt_not_a_traceback(tmp_path: Path) -> None:
    from index.manifest import Manifest
    from index.schema import SCHEMA_VERSION
    from search.api import Engine, IndexOutdated

    index_dir = tmp_path / "idx"
    env = {"SEARCH_INDEX": str(index_dir)}
    assert run_subprocess("index", str(SEEDS), env=env).returncode == 0
    with Manifest.load(index_dir) as manifest:
        manifest.schema_version = SCHEMA_VERSION - 1
        manifest.save()
    with pytest.raises(IndexOutdated, match="older version"):
        Engine(index_dir)

    result = run_subprocess("query", "Finlande", env=env)
    assert result.returncode == 0, result.stderr
    assert "is from an older version: rebuilding it" in result.stderr
    assert "Traceback" not in result.stderr
    assert "La Finlande retire discrètement la croix gammée" in result.stdout
    assert Manifest.schema_version_of(index_dir) == SCHEMA_VERSION


def test_exit_codes(run: CliRun) -> None:
    assert run("query", "Finlande").exit_code == 0
    none = run("query", "zygomatique")
    assert none.exit_code == 1 and "0 hits" in none.stdout
    bad = run("query", '"guillemet non fermé')
    assert bad.exit_code == 2
    assert bad.stderr.strip() == 'error: query syntax: unbalanced quote: a " has no closing "'
    assert run("query").exit_code == 2  # usage error
    assert run("query", "x", "--sort", "hasard").exit_code == 2


def test_no_hits_suggests_a_spelling_from_the_index(run: CliRun) -> None:
    result = run("query", "Finlnde")
    assert result.exit_code == 1
    assert 'Did you mean: search query "finlande"' in result.stderr
    data = json.loads(run("query", "Finlnde", "--json").stdout)
    assert data["total"] == 0 and data["suggestion"] == "finlande"
    assert json.loads(run("query", "Finlande", "--json").stdout)["suggestion"] is None


def test_json_output(run: CliRun) -> None:
    result = run("query", "securite", "--json", "--limit", "1")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) >= {"query", "total", "took_ms", "hits"}
    assert data["query"] == "securite" and data["total"] >= 2 and len(data["hits"]) == 1
    hit = data["hits"][0]
    assert set(hit) >= {"id", "path", "title", "date", "score", "snippet", "highlights"}
    assert set(hit) >= {"countries", "persons", "date_source", "source", "url"}
    assert {hit["snippet"][s:e] for s, e in hit["highlights"]} == {"sécurité"}
    assert hit["date"] == "2018-08-27"
    empty = json.loads(run("query", "zygomatique", "--json").stdout)
    assert empty["total"] == 0 and empty["hits"] == []


def test_flags_override_environment(run: CliRun, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus)
    index_dir = tmp_path / "flag-index"
    result = run("query", "Ciaran", "--index", str(index_dir), "--corpus", str(corpus))
    assert result.exit_code == 0
    assert "Tempête Ciaran" in result.stdout
    assert f"building it from {corpus}" in result.stderr
    # The environment's index (seeds) does not know this article.
    assert run("query", "Ciaran").exit_code == 1


def test_index_reports_problems_and_summary(run: CliRun, tmp_path: Path) -> None:
    index_dir = str(tmp_path / "idx")
    result = run("index", str(FIXTURES), "--index", index_dir)
    assert result.exit_code == 0
    assert "skipped: tests/fixtures/depeches.jsonl:2: invalid JSON" in result.stderr
    assert "indexed 11 new, 0 updated, 0 removed" in result.stderr
    again = run("index", str(FIXTURES), "--index", index_dir, "--json")
    report = json.loads(again.stdout)
    assert report["added"] == report["updated"] == 0 and report["files_unchanged"] == 8


@pytest.mark.parametrize("workers", ["0", "2"])
def test_index_json_says_where_the_time_went(run: CliRun, tmp_path: Path, workers: str) -> None:
    """Each stage of the build, from real work: reading in this process, the
    segment's stages wherever it was written (summed over workers)."""
    from index.timing import STAGES

    done = run("index", str(FIXTURES), str(SEEDS), "--index", str(tmp_path / "idx"),
               "--workers", workers, "--json")  # fmt: skip
    report = json.loads(done.stdout)
    stages = report["stages"]
    assert list(stages) == list(STAGES)
    assert all(stages[s] > 0 for s in ("read", "clean", "extract", "analyse", "write")), stages
    assert all(seconds >= 0 for seconds in stages.values()), stages
    if workers == "0":  # one process: the stages are parts of the update's time
        assert sum(stages.values()) <= report["seconds"] + 0.01, report
    bare = run("index", str(FIXTURES), "--index", str(tmp_path / "bare"), "--workers", workers,
               "--no-entities", "--json")  # fmt: skip
    assert json.loads(bare.stdout)["stages"]["extract"] == 0


def test_show_and_stats(run: CliRun) -> None:
    shown = run("show", "seeds/2020-07-02_orangesum-9174.txt", "--query", "Finlande")
    assert shown.exit_code == 0
    assert "date: 2020-07-02 (from metadata)" in shown.stdout
    assert "La Finlande a discrètement retiré" in shown.stdout
    as_json = json.loads(run("show", "seeds/2020-07-02_orangesum-9174.txt", "--json").stdout)
    assert as_json["title"].startswith("La Finlande retire")
    assert run("show", "nulle-part").exit_code == 2
    stats = json.loads(run("stats", "--json").stdout)
    assert stats["documents"] == 7 and stats["files"] == 6  # seeds/README.md is not news


def test_help_shows_examples(run: CliRun) -> None:
    for command in ([], ["query"], ["index"], ["show"]):
        result = run(*command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.stdout and "search " in result.stdout
    assert "SEARCH_INDEX" in run("query", "--help").stdout


def test_corrupt_index_is_one_line(run: CliRun, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    assert run("index", str(FIXTURES), "--index", str(index_dir)).exit_code == 0
    for toc in index_dir.glob("*.toc"):
        toc.write_bytes(b"garbage")
    result = run("query", "Finlande", "--index", str(index_dir))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the index at") and "search doctor" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_cli_starts_without_the_engine() -> None:
    """`search --help` and every command's first lines load no numpy, Whoosh index
    or engine: they are imported by the command that needs them (a third of
    a second of a cold start). Checked by what is loaded, not by a clock."""
    # A module named but not yet used is a LazyLoader stand-in, not a 'module'.
    probe = (
        "import sys, search.cli; print(sorted(n for n in ('numpy', 'whoosh.index', "
        "'search.engine', 'search.api') if type(sys.modules.get(n)).__name__ == 'module'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout


def test_the_commit_every_default_is_the_index_s() -> None:
    from index.store import COMMIT_EVERY
    from search import cli

    assert cli.COMMIT_EVERY == COMMIT_EVERY


def test_an_index_typed_on_the_command_line_beats_a_cluster_in_the_environment(
    run: CliRun, tmp_path: Path
) -> None:
    """With SEARCH_CLUSTER set, `--index DIR` read the cluster and ignored DIR.
    Typed beats the environment; without --index typed, the cluster is read
    (here none answers on that port: one line, exit 2)."""
    index_dir = tmp_path / "idx"
    assert run("index", str(SEEDS), "--index", str(index_dir)).exit_code == 0
    nobody = {"SEARCH_CLUSTER": "http://127.0.0.1:9", "SEARCH_INDEX": str(index_dir)}
    typed = run("query", "Finlande", "--index", str(index_dir), "--json", env=nobody)
    assert typed.exit_code == 0, typed.output
    assert json.loads(typed.stdout)["total"] > 0
    from_env = run("query", "Finlande", "--json", env=nobody)
    assert from_env.exit_code == 2
    assert "127.0.0.1:9" in from_env.stderr
