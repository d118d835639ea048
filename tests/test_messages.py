"""Every failure is one line that says what to do, never a traceback; queries that
find nothing say why when the query itself shows it; query text is normalised
like article text; every hit can be re-opened from what the output prints."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.store import update_lock
from tests.conftest import FIXTURES, ROOT, SEEDS, CliRun, run_subprocess


def one_line_error(result: object) -> str:
    """The error line of a command that failed (after any note that the index was built)."""
    output = getattr(result, "output", "")
    assert getattr(result, "exit_code", None) == 2, output
    lines = output.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert "Traceback" not in output and errors == lines[-1:], output
    return errors[0]


def test_decomposed_unicode_finds_what_composed_text_finds(run: CliRun) -> None:
    composed = json.loads(run("query", "sécurité", "--json").stdout)
    decomposed = json.loads(run("query", "se\u0301curite\u0301", "--json").stdout)
    assert composed["total"] >= 1
    assert [h["id"] for h in decomposed["hits"]] == [h["id"] for h in composed["hits"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date:[banana TO 2020]", "YYYY-MM-DD"),
        ("date:>banana", "YYYY-MM-DD"),
        ("titre:", "nothing after titre:"),
        ('Finlande "OTAN', "unbalanced quote"),
    ],
)
def test_query_mistakes_are_explained(run: CliRun, query: str, expected: str) -> None:
    output = one_line_error(run("query", query))
    assert expected in output and "invalid literal" not in output


def test_a_bad_filter_is_named_as_a_flag(run: CliRun) -> None:
    output = one_line_error(run("query", "OTAN", "--country", "Atlantide"))
    assert output.startswith("error: --country:") and "syntax" not in output


def test_why_nothing_was_found(run: CliRun) -> None:
    stop = run("query", "le la les")
    assert stop.exit_code == 1 and "only common words (le, la, les)" in stop.output
    assert "Did you mean" not in stop.output
    field = run("query", "foo:bar")
    assert field.exit_code == 1 and "foo: is not a field" in field.output
    assert json.loads(run("query", "foo:bar", "--json").stdout)["hint"].startswith("foo:")


def test_suggestions_prefer_the_closest_word(run: CliRun) -> None:
    # "mars" (two edits) is in the seeds as well as "macron" (one edit).
    assert "macron" in run("query", "macrn").output
    assert 'Did you mean: search query "finlande"' in run("query", "Finlnde").output


def test_a_lone_star_and_a_lone_exclusion_mean_all_articles(run: CliRun) -> None:
    every = json.loads(run("query", "*", "--json").stdout)["total"]
    assert every == 7
    without = json.loads(run("query", "SAUF Suède", "--json").stdout)
    with_sweden = json.loads(run("query", "Suède", "--json").stdout)
    assert without["total"] == every - with_sweden["total"] > 0


def test_sorting_by_date_shows_no_score(run: CliRun) -> None:
    text = run("query", "Finlande", "--sort", "date").stdout
    assert "score" not in text and "2022-06-29" in text
    hits = json.loads(run("query", "Finlande", "--sort", "date", "--json").stdout)["hits"]
    assert all(h["score"] is None for h in hits)
    assert [h["date"] for h in hits] == sorted((h["date"] for h in hits), reverse=True)


def test_source_and_section_match_their_words(run: CliRun) -> None:
    for query in ("source:orange.fr", "source:orangesum", "source:ORANGE", "rubrique:société"):
        assert json.loads(run("query", query, "--json").stdout)["total"] >= 1, query
    assert json.loads(run("query", "source:reuters", "--json").stdout)["total"] == 1


def test_the_html_lead_is_shown_once(run: CliRun) -> None:
    shown = run("show", "seeds/2020-06-04_orangesum-6964.html").stdout
    assert shown.count("Depuis le semi-confinement instauré en mars") == 1


def test_dates_from_file_times_are_days(run: CliRun, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Titre\n\nLa Finlande et la Suède.\n", "utf-8")
    data = json.loads(run("index", str(tmp_path), "--json").stdout)
    assert data["added"] == 1
    hit = json.loads(run("query", "Suède", "--json").stdout)["hits"]
    [mine] = [h for h in hit if h["path"].endswith("note.txt")]
    assert mine["date_source"] == "mtime" and len(mine["date"]) == 10


def test_every_hit_reopens_from_what_is_printed(run: CliRun) -> None:
    printed = run("query", "télétravailler").stdout
    shown_id = printed.splitlines()[1].split(" · ")[2]
    assert shown_id == "seeds/orangesum-extrait.jsonl#34050"
    assert "télétravailler" in run("show", shown_id).stdout
    ambiguous = one_line_error(run("show", "seeds/orange"))
    assert "seeds/orangesum-extrait.jsonl#32007" in ambiguous
    assert "seeds/orangesum-extrait.jsonl#34050" in ambiguous


def test_bad_input_messages(run: CliRun, tmp_path: Path) -> None:
    result = run("index", str(FIXTURES / "depeches.jsonl"))
    assert "skipped: tests/fixtures/depeches.jsonl:4: no article text (empty body)" in result.output
    (tmp_path / "typed.jsonl").write_text('{"text": 3, "title": "Chiffres"}\n', "utf-8")
    typed = run("index", str(tmp_path / "typed.jsonl")).output
    assert "no article text (field 'text' is int, expected text)" in typed
    assert "ignored" not in typed
    inspected = run("inspect", str(FIXTURES / "depeches.jsonl")).output
    assert "depeches.jsonl:2: invalid JSON" in inspected
    readme = run("inspect", str(SEEDS / "README.md")).output
    assert "documentation" in readme and "unknown extension" not in readme


def test_too_large_says_both_sizes_clearly(tmp_path: Path) -> None:
    from index.readers import MAX_ARTICLE_FILE_BYTES, read_articles

    big = tmp_path / "enorme.txt"
    with big.open("wb") as out:
        out.truncate(MAX_ARTICLE_FILE_BYTES + 1)
    [problem] = list(read_articles(big))
    assert problem.reason == "file too large (20.0 MiB; one article may have 20 MiB)"


def test_an_index_path_inside_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("x", "utf-8")
    done = run_subprocess("query", "Finlande", env={"SEARCH_INDEX": str(tmp_path / "fichier/sous")})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "fichier" in done.stderr


def test_a_waiting_writer_says_so_at_once(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    with update_lock(index_dir):  # another writer holds the index
        process = subprocess.Popen(
            [sys.executable, "-m", "search.cli", "index", str(corpus), "--index", str(index_dir)],
            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        assert process.stderr is not None
        first = process.stderr.readline()  # an event: the line is printed while it waits
        assert "another process is writing the index" in first and "waiting" in first
    rest = process.communicate(timeout=300)[1]
    assert process.returncode == 0, rest
    assert "indexed" in rest


@contextlib.contextmanager
def read_only_copy(index_dir: Path, mount: Path):  # type: ignore[no-untyped-def]
    """*index_dir* copied onto a read-only tmpfs (root can write anywhere else)."""
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True)  # fmt: skip
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here, so no read-only file system to test on")
    try:
        shutil.copytree(index_dir, mount / "index")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "index"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_read_only_index_is_searchable_and_says_what_it_cannot_do(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    built = run_subprocess("index", str(corpus), env={"SEARCH_INDEX": str(index_dir)})
    assert built.returncode == 0, built.stderr
    with read_only_copy(index_dir, tmp_path / "ro") as frozen:
        env = {"SEARCH_INDEX": str(frozen)}
        assert run_subprocess("query", "OTAN", env=env).returncode == 0
        assert run_subprocess("stats", env=env).returncode == 0
        unchanged = run_subprocess("index", str(corpus), env=env)
        assert unchanged.returncode == 0 and "Traceback" not in unchanged.stderr
        (corpus / "nouveau.txt").write_text("Nouveau\n\nLa Finlande vote.\n", "utf-8")
        changed = run_subprocess("index", str(corpus), env=env)
        assert changed.returncode == 2 and "Traceback" not in changed.stderr
        assert "cannot be updated" in changed.stderr and "searched" in changed.stderr
