"""The program deletes, replaces or moves only what it wrote: a folder of the user's
given as the index (by mistake, or by a typo) is refused in one line and left
exactly as it was, and a typo'd corpus is never recorded."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from index.manifest import MANIFEST, Manifest
from tests.conftest import FIXTURES, SEEDS, run_subprocess


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under *folder* with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """A user's folder: articles, a subfolder, notes and a photo."""
    folder = tmp_path / "presse"
    shutil.copytree(FIXTURES, folder / "articles")
    (folder / "notes.txt").write_text("Penser à relire l'article sur l'OTAN.\n", encoding="utf-8")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 pas vraiment une photo")
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ("doctor",),
        ("doctor", "--dry-run"),
        ("index",),
        ("index", "--rebuild"),
        ("query", "Finlande"),
        ("stats",),
    ],
)
def test_a_users_folder_given_as_index_is_refused_and_untouched(
    user_folder: Path, command: tuple[str, ...]
) -> None:
    before = snapshot(user_folder)
    done = run_subprocess(*command, env={"SEARCH_INDEX": str(user_folder)})
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert str(user_folder) in message and "notes.txt" in message
    assert snapshot(user_folder) == before
    assert sorted(p.name for p in user_folder.iterdir()) == ["articles", "notes.txt", "photo.jpg"]
    assert not list(user_folder.parent.glob(".presse*")), "a sibling folder was left behind"


def build(corpus: Path, index_dir: Path) -> None:
    done = run_subprocess("index", str(corpus), env={"SEARCH_INDEX": str(index_dir)})
    assert done.returncode == 0, done.stderr


def test_a_damaged_index_beside_user_files_is_not_replaced(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    build(corpus, index_dir)
    (index_dir / "mes-notes.txt").write_text("à garder\n", encoding="utf-8")
    [toc] = index_dir.glob("*.toc")
    toc.write_bytes(b"")
    env = {"SEARCH_INDEX": str(index_dir)}

    dry = run_subprocess("doctor", "--dry-run", env=env)
    assert dry.returncode == 1
    assert "mes-notes.txt" in dry.stdout and "never touched" in dry.stdout
    assert "repair: none" in dry.stdout

    done = run_subprocess("doctor", env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "mes-notes.txt" in done.stderr
    assert (index_dir / "mes-notes.txt").read_text(encoding="utf-8") == "à garder\n"
    assert not list(tmp_path.glob(".index.*"))

    # Once the user's file is moved out, the repair goes through.
    (index_dir / "mes-notes.txt").rename(tmp_path / "mes-notes.txt")
    assert run_subprocess("doctor", env=env).returncode == 0
    assert run_subprocess("query", "OTAN", env=env).returncode == 0


def test_a_rebuilt_index_keeps_its_directorys_permissions(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    build(corpus, index_dir)
    os.chmod(index_dir, 0o750)
    [segment] = index_dir.glob("*.seg")
    segment.write_bytes(b"")
    done = run_subprocess("doctor", env={"SEARCH_INDEX": str(index_dir)})
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(index_dir.stat().st_mode) == 0o750
    assert stat.S_IMODE((index_dir / MANIFEST).stat().st_mode) == 0o640


def test_manifest_is_readable_like_the_folder(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir(mode=0o755)
    os.chmod(index_dir, 0o755)  # whatever the umask
    build(SEEDS, index_dir)
    assert stat.S_IMODE((index_dir / MANIFEST).stat().st_mode) == 0o644


def test_a_typo_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    env = {"SEARCH_INDEX": str(index_dir)}
    done = run_subprocess("index", str(tmp_path / "nonexistent"), env=env)
    assert done.returncode == 2 and "nonexistent" in done.stderr
    assert not index_dir.exists()

    done = run_subprocess("index", env={**env, "SEARCH_CORPUS": str(tmp_path / "typo")})
    assert done.returncode == 2 and "typo" in done.stderr
    assert not index_dir.exists()

    done = run_subprocess("query", "Finlande", "--corpus", str(tmp_path / "typo"), env=env)
    assert done.returncode == 2 and "typo" in done.stderr and "Traceback" not in done.stderr
    assert not index_dir.exists()


def test_rebuild_without_paths_keeps_every_folder_the_index_covers(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(FIXTURES, first)
    shutil.copytree(SEEDS, second)
    env = {"SEARCH_INDEX": str(index_dir)}
    build(first, index_dir)
    build(second, index_dir)
    before = json.loads(run_subprocess("stats", "--json", env=env).stdout)["documents"]

    done = run_subprocess("index", "--rebuild", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == before
    stats = json.loads(run_subprocess("stats", "--json", env=env).stdout)
    assert stats["documents"] == before
    assert sorted(stats["roots"]) == sorted([str(first), str(second)])


def test_an_index_from_before_the_marker_is_still_ours(tmp_path: Path) -> None:
    """Indexes built before the ownership marker existed keep working and are marked."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    build(corpus, index_dir)
    (index_dir / "french-news-search-index.json").unlink()
    env = {"SEARCH_INDEX": str(index_dir)}
    assert run_subprocess("doctor", "--dry-run", env=env).returncode == 0
    (corpus / "nouveau.txt").write_text("Nouvel article\n\nLa Finlande vote.\n", encoding="utf-8")
    assert run_subprocess("index", env=env).returncode == 0
    assert (index_dir / "french-news-search-index.json").exists()


def test_an_outdated_index_whose_folders_are_gone_is_rebuilt_from_the_corpus(
    tmp_path: Path,
) -> None:
    """The default index built by another checkout (its seeds since deleted) and an
    older version: the next query rebuilds it from this checkout's corpus."""
    old_checkout, index_dir = tmp_path / "old" / "seeds", tmp_path / "index"
    shutil.copytree(SEEDS, old_checkout)
    build(old_checkout, index_dir)
    shutil.rmtree(old_checkout)
    with Manifest.load(index_dir) as manifest:
        manifest.schema_version = 1
        manifest.save()
    env = {"SEARCH_INDEX": str(index_dir), "SEARCH_CORPUS": str(SEEDS)}
    done = run_subprocess("query", "Finlande", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert all(hit["path"].startswith(str(SEEDS)) for hit in json.loads(done.stdout)["hits"])
