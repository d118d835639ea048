"""`search doctor`: the index checked against its folders, and repaired; damage is
reported in one line naming the fix, never as a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_subprocess


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    built = run_subprocess("index", str(corpus), env={"SEARCH_INDEX": str(index_dir)})
    assert built.returncode == 0, built.stderr
    return corpus, index_dir


def doctor(index_dir: Path, *args: str) -> tuple[int, dict]:
    done = run_subprocess("doctor", "--json", *args, env={"SEARCH_INDEX": str(index_dir)})
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def query(index_dir: Path, text: str) -> tuple[int, str]:
    done = run_subprocess("query", text, env={"SEARCH_INDEX": str(index_dir)})
    return done.returncode, done.stdout + done.stderr


def test_a_healthy_index(indexed: tuple[Path, Path]) -> None:
    _, index_dir = indexed
    code, report = doctor(index_dir, "--dry-run")
    assert code == 0 and report["healthy"]
    assert report["documents"] > 5 and not report["damage"]


def test_missing_stale_and_orphaned_articles_are_found_then_repaired(
    indexed: tuple[Path, Path],
) -> None:
    corpus, index_dir = indexed
    (corpus / "otan-helsinki.txt").unlink()
    (corpus / "nouvel-article.txt").write_text(
        "Référendum en Nouvelle-Calédonie\n\nLes électeurs calédoniens se prononcent dimanche.\n",
        encoding="utf-8",
    )
    with (corpus / "securite-frontiere.md").open("a", encoding="utf-8") as out:
        out.write("\nLes patrouilles seront renforcées dès lundi à la frontière.\n")

    code, report = doctor(index_dir, "--dry-run")
    assert code == 1 and not report["healthy"]
    assert report["missing"] == [str(corpus / "nouvel-article.txt")]
    assert report["stale"] == [str(corpus / "securite-frontiere.md")]
    assert report["orphaned"] == [str(corpus / "otan-helsinki.txt")]

    code, report = doctor(index_dir)
    assert code == 0 and report["repair"]["added"] == 1 and report["repair"]["removed"] == 1
    assert doctor(index_dir, "--dry-run")[1]["healthy"]
    assert query(index_dir, "calédoniens")[0] == 0
    assert query(index_dir, "patrouilles renforcées lundi")[0] == 0


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty"])
@pytest.mark.parametrize("target", ["toc", "segment"])
def test_a_damaged_index_is_reported_then_rebuilt(
    indexed: tuple[Path, Path], target: str, damage: str
) -> None:
    _, index_dir = indexed
    [victim] = index_dir.glob("*.toc" if target == "toc" else "*.seg")
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        victim.write_bytes(b"")
    else:
        victim.write_bytes(bytes(b ^ 0x5A if n % 97 == 0 else b for n, b in enumerate(data)))

    code, output = query(index_dir, "OTAN")
    assert code == 2
    assert "search doctor" in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1

    code, report = doctor(index_dir)
    assert code == 0 and report["damage"] and report["repair"]["rebuilt"]
    assert query(index_dir, "OTAN")[0] == 0
    assert doctor(index_dir, "--dry-run")[1]["healthy"]
    assert not list(index_dir.parent.glob(".index.*")), "the damaged copy is left behind"
