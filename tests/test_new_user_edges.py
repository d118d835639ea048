"""The edges a new user hit on a fresh clone (issue 26), each reproduced through
the real CLI: a typo in --index, a symlinked corpus, a truncated dump, control
characters in file names, --excel with JSON, a full disk, a huge article, a
redirected TUI, plurals and dates in messages, the facets histogram."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, SEEDS, run_subprocess


def env_for(index_dir: Path) -> dict[str, str]:
    return {"SEARCH_INDEX": str(index_dir), "SEARCH_CORPUS": str(SEEDS)}


def test_a_typo_in_index_builds_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "indx"
    result = run_subprocess("query", "Finlande", "--index", str(typo), env={})
    assert result.returncode == 2
    assert result.stderr == (
        f"error: no index at {typo}: build one with `search index PATH… --index {typo}`, "
        "or check the name\n"
    )
    assert not typo.exists()
    built = run_subprocess("index", str(SEEDS), "--index", str(typo), env={})
    assert built.returncode == 0, built.stderr
    assert run_subprocess("query", "Finlande", "--index", str(typo), env={}).returncode == 0


def test_a_symlinked_corpus_is_the_same_articles(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    link = tmp_path / "link"
    link.symlink_to(corpus, target_is_directory=True)
    env = env_for(tmp_path / "index")
    assert run_subprocess("index", str(corpus), env=env).returncode == 0
    again = run_subprocess("index", str(link), "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["added"] == 0
    stats = json.loads(run_subprocess("stats", "--json", env=env).stdout)
    assert stats["documents"] == 7


def test_a_truncated_dump_says_what_it_kept_on_every_run(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": n, "title": f"Dépêche {n}", "text": f"La Finlande et l'OTAN, n° {n}."})
        for n in range(400)
    ]
    packed = gzip.compress("\n".join(lines).encode("utf-8"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "dump.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    env = env_for(tmp_path / "index")
    for _ in range(2):
        run = run_subprocess("index", str(corpus), "--json", env=env)
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        (problem,) = report["problems"]
        assert problem["skipped"] is False
        assert "ends early after line" in problem["reason"]
        kept = int(problem["reason"].split("its ")[1].split(" articles")[0].replace(",", ""))
        assert 0 < kept < 400
    stats = json.loads(run_subprocess("stats", "--json", env=env).stdout)
    assert stats["documents"] == kept


def test_control_characters_in_file_names_never_reach_the_terminal(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "La Finlande rejoint l'OTAN, a annoncé Helsinki jeudi.\n"
    (corpus / "nom\x1b[2Jfichier.txt").write_text(text, encoding="utf-8")
    (corpus / "ligne\ncoupée.txt").write_text(text, encoding="utf-8")
    env = env_for(tmp_path / "index")
    assert run_subprocess("index", str(corpus), env=env).returncode == 0
    shown = run_subprocess("query", "Finlande", env=env)
    assert shown.returncode == 0
    assert "\x1b" not in shown.stdout
    # Every hit keeps its layout: the path line holds the whole name.
    assert "ligne\ufffdcoupée.txt" in shown.stdout
    for fmt in (["--format", "csv"], ["--format", "csv", "--excel"]):
        exported = run_subprocess("export", "Finlande", *fmt, env=env)
        assert exported.returncode == 0, exported.stderr
        assert "\x1b" not in exported.stdout
        rows = list(csv.reader(io.StringIO(exported.stdout.lstrip("\ufeff")),
                               delimiter=";" if "--excel" in fmt else ","))  # fmt: skip
        assert len(rows) == 3


def test_excel_is_for_csv_only(tmp_path: Path) -> None:
    env = env_for(tmp_path / "index")
    for fmt in ("jsonl", "opensearch"):
        refused = run_subprocess("export", "Finlande", "--format", fmt, "--excel", env=env)
        assert refused.returncode == 2
        assert refused.stderr.splitlines()[-1] == f"error: --excel is for --format csv (not {fmt})"


def can_mount_tmpfs() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root to mount a small tmpfs")
def test_a_full_disk_is_one_line_and_doctor_knows_its_own_files(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        corpus = tmp_path / "corpus"
        for n in range(4):
            shutil.copytree(FIXTURES, corpus / f"lot-{n}" / "fixtures")
            shutil.copytree(SEEDS, corpus / f"lot-{n}" / "seeds")
        env = env_for(disk / "index")
        full = run_subprocess("index", str(corpus), "--workers", "2", env=env)
        assert full.returncode == 2
        assert "Traceback" not in full.stderr
        assert full.stderr.splitlines()[-1].startswith("error: ")
        assert "no space left on the disk" in full.stderr.splitlines()[-1]
        checked = run_subprocess("doctor", str(corpus), "--dry-run", env=env)
        assert "Traceback" not in checked.stderr + checked.stdout
        assert "not index files" not in checked.stdout  # its own leftovers are its own
        repaired = run_subprocess("doctor", str(corpus), env=env)
        assert "Traceback" not in repaired.stderr
        assert repaired.returncode == 2 and repaired.stderr.startswith("error: ")
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_huge_articles_facets_are_capped_in_its_hit(tmp_path: Path) -> None:
    firsts = "Pierre Marie Jean Sophie Luc Claire Paul Anne Louis Julie".split()
    lasts = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau".split()
    names = [f"{first} {last}" for first in firsts for last in lasts]
    body = " ".join(f"« Oui », a déclaré {name} au président Emmanuel Macron." for name in names)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "long.txt").write_text("Un long article\n\n" + body + "\n", encoding="utf-8")
    env = env_for(tmp_path / "index")
    assert run_subprocess("index", str(corpus), env=env).returncode == 0
    found = json.loads(run_subprocess("query", "Macron", "--json", env=env).stdout)
    hit = found["hits"][0]
    assert len(hit["persons"]) <= 20 <= hit["person_count"]
    text = run_subprocess("query", "Macron", env=env).stdout
    assert f"+{hit['person_count'] - len(hit['persons']):,} more" in text


def test_the_tui_refuses_to_run_without_a_terminal(tmp_path: Path) -> None:
    result = run_subprocess("tui", env=env_for(tmp_path / "index"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: search tui needs a terminal")
    assert result.stdout == ""


def test_messages_agree_in_number_and_dates_speak_plainly(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / "000_99cd1769caf176ce.txt", corpus)
    env = env_for(tmp_path / "index")
    built = run_subprocess("index", str(corpus), env=env)
    assert "(1 file read, 0 unchanged, 0 skipped, 0 warnings)" in built.stderr
    exported = run_subprocess("export", "Biden", env=env)
    assert "exported 1 article in" in exported.stderr
    doctor = run_subprocess("doctor", str(corpus), "--dry-run", env=env)
    assert "(1 document)" in doctor.stdout
    bad = run_subprocess("query", "OTAN", "--since", "demain", env=env)
    assert bad.returncode == 2
    assert "not a date: 'demain' (write YYYY-MM-DD, YYYY-MM or YYYY)" in bad.stderr
    assert "%Y" not in bad.stderr
    # Dated by its file's time (no sidecar here): this year, or a later one.
    assert (
        run_subprocess("query", "OTAN", "--since", "2026", "--until", "2999-12", env=env).returncode
        == 0
    )
    assert run_subprocess("query", "OTAN", "--until", "2025", env=env).returncode == 1


def test_the_facets_histogram_shows_its_empty_months(tmp_path: Path) -> None:
    env = env_for(tmp_path / "index")
    shown = run_subprocess("facets", "OTAN", env=env).stdout
    months = shown.split("Dates by month\n")[1].splitlines()
    labels = [line.split()[0] for line in months]
    assert labels[0] == "2018-08" and labels[-1] == "2022-06"
    assert len(labels) == 47  # every month between, the empty ones with 0
    assert "  2019-01         0" in months


def test_the_readme_index_example_leaves_the_other_examples_alone() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "$ search index tests/fixtures --index fixtures-index" in readme
    assert "$ search index tests/fixtures\n" not in readme
