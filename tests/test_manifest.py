"""The manifest: what each indexed file looked like, read and written entry by entry."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from index.manifest import LEGACY_MANIFEST, MANIFEST, FileState, Manifest
from index.schema import SCHEMA_VERSION
from index.writer import Indexer, _IndexedPaths
from search.engine import Engine
from tests.conftest import FIXTURES, SEEDS, run_subprocess


def corpus_of(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus)
    shutil.copytree(SEEDS, corpus / "seeds")
    return corpus


def saved_entries(index_dir: Path) -> dict[str, tuple[int, int, str, int, int]]:
    """Every entry as the database holds it, read with SQLite itself."""
    with sqlite3.connect(index_dir / MANIFEST) as db:
        rows = db.execute("SELECT * FROM files").fetchall()
    return {path: tuple(rest) for path, *rest in rows}


def test_a_json_manifest_of_an_earlier_version_is_read_then_turned_into_the_database(
    tmp_path: Path,
) -> None:
    corpus, index_dir = corpus_of(tmp_path), tmp_path / "index"
    first = Indexer(index_dir).update([corpus])
    entries = saved_entries(index_dir)
    assert len(entries) == first.files_read > 3
    # The index as an earlier version left it: the same entries, as one JSON file.
    with Manifest.load(index_dir) as manifest:
        roots, updated = manifest.roots, manifest.updated
    legacy = {
        "schema_version": SCHEMA_VERSION,
        "updated": updated,
        "roots": roots,
        "files": {p: [s, m, d, a, 1] if partial else [s, m, d, a]
                  for p, (s, m, d, a, partial) in entries.items()},
    }  # fmt: skip
    (index_dir / MANIFEST).unlink()
    (index_dir / LEGACY_MANIFEST).write_text(json.dumps(legacy), encoding="utf-8")

    with Engine(index_dir) as engine:  # read as it is, nothing written
        stats = engine.stats()
    assert stats.files == sum(1 for *_, articles, _ in entries.values() if articles)
    assert stats.roots == tuple(roots) and not (index_dir / MANIFEST).exists()

    again = Indexer(index_dir).update([corpus])
    assert (again.files_read, again.files_unchanged) == (0, len(entries))  # nothing re-read
    assert not (index_dir / LEGACY_MANIFEST).exists()
    assert saved_entries(index_dir) == entries


def test_an_update_writes_the_entries_it_changed_and_keeps_the_others(tmp_path: Path) -> None:
    corpus, index_dir = corpus_of(tmp_path), tmp_path / "index"
    Indexer(index_dir).update([corpus])
    before = saved_entries(index_dir)
    note = corpus / "otan-helsinki.txt"
    note.write_text(note.read_text(encoding="utf-8") + "\nLe Danemark a salué la décision.\n")
    (corpus / "depeches.jsonl").unlink()
    new = corpus / "nouveau.txt"
    new.write_text("Le Parlement finlandais a voté jeudi l'adhésion à l'Otan.\n", encoding="utf-8")

    report = Indexer(index_dir).apply_changes([note, corpus / "depeches.jsonl", new])
    assert (report.added, report.updated, report.removed) == (1, 1, 3)
    after = saved_entries(index_dir)
    assert set(after) == set(before) - {str(corpus / "depeches.jsonl")} | {str(new)}
    assert after[str(note)] != before[str(note)] and after[str(new)][3] == 1
    unchanged = set(before) - {str(note), str(corpus / "depeches.jsonl")}
    assert all(after[p] == before[p] for p in unchanged)


def test_a_touched_file_is_hashed_once_then_known_by_its_new_time(tmp_path: Path) -> None:
    corpus, index_dir = corpus_of(tmp_path), tmp_path / "index"
    Indexer(index_dir).update([corpus])
    note = corpus / "otan-helsinki.txt"
    os.utime(note, (1_000_000_000, 1_000_000_000))
    Indexer(index_dir).update([corpus])
    assert saved_entries(index_dir)[str(note)][1] == 1_000_000_000 * 10**9
    with Manifest.load(index_dir) as manifest:
        state = manifest.get(str(note))
    seen = note.stat()
    assert state is not None and (state.size, state.mtime_ns) == (seen.st_size, seen.st_mtime_ns)


def test_a_rebuild_forgets_the_files_that_are_gone(tmp_path: Path) -> None:
    corpus, index_dir = corpus_of(tmp_path), tmp_path / "index"
    Indexer(index_dir).update([corpus])
    shutil.rmtree(corpus / "seeds")
    report = Indexer(index_dir).update([corpus], rebuild=True)
    assert report.rebuilt
    assert not [p for p in saved_entries(index_dir) if "/seeds/" in p]
    assert len(saved_entries(index_dir)) == report.files_read


def test_a_damaged_manifest_costs_a_reread_never_an_error(tmp_path: Path) -> None:
    corpus, index_dir = corpus_of(tmp_path), tmp_path / "index"
    Indexer(index_dir).update([corpus])
    (index_dir / MANIFEST).write_bytes(b"not a database, " * 200)
    env = {"SEARCH_INDEX": str(index_dir)}
    stats = run_subprocess("stats", "--json", env=env)
    assert stats.returncode == 0 and "Traceback" not in stats.stderr, stats.stderr
    done = run_subprocess("index", str(corpus), "--json", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == 0 and report["files_read"] > 0  # read again, nothing doubled
    assert len(saved_entries(index_dir)) == report["files_read"]
    found = run_subprocess("query", "Finlande", "--json", env=env)
    hits = json.loads(found.stdout)["hits"]
    assert len({h["id"] for h in hits}) == len(hits) > 0


def test_a_full_disk_while_saving_is_one_line(tmp_path: Path) -> None:
    """SQLite's own error becomes the OSError a file write gives (what the CLI
    turns into one line)."""
    index_dir = tmp_path / "index"
    Indexer(index_dir).update([SEEDS])
    manifest = Manifest.load(index_dir)
    manifest.set("/nowhere/x.txt", FileState(1, 2, "d", 1))
    assert manifest._db is not None
    manifest._db.execute("PRAGMA max_page_count = 1")  # no room for another page
    manifest.set("/nowhere/y.txt", FileState(1, 2, "d" * 5000, 1))
    try:
        manifest.save()
    except OSError as error:
        assert error.errno == 28 and error.filename == str(index_dir / MANIFEST)
    else:
        raise AssertionError("saving past the last page did not fail")
    finally:
        manifest.close()


def test_a_deleted_folder_removes_its_files_not_a_neighbour_with_the_same_start(
    tmp_path: Path,
) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    for name in ("2022", "2022-bis"):
        shutil.copytree(SEEDS, corpus / name)
    built = Indexer(index_dir).update([corpus])
    shutil.rmtree(corpus / "2022")
    report = Indexer(index_dir).apply_changes([corpus / "2022"])
    assert report.removed * 2 == built.added > 0
    with Engine(index_dir) as engine:
        paths = {h.path for h in engine.search("Finlande OU OTAN", limit=50).hits}
    assert paths and all("/2022-bis/" in p for p in paths)


def test_paths_looked_up_one_by_one_or_all_at_once_agree(tmp_path: Path) -> None:
    corpus, index_dir = corpus_of(tmp_path), tmp_path / "index"
    Indexer(index_dir).update([corpus])
    entries = saved_entries(index_dir)
    with_articles = {p for p, (*_, articles, _partial) in entries.items() if articles}
    on_disk = [str(p) for p in corpus.rglob("*") if p.is_file()]  # sidecars, a README too
    asked = [*on_disk, str(corpus / "absent.txt"), str(corpus)]
    with Engine(index_dir) as engine:
        reader = engine._searcher.reader()
        few = _IndexedPaths(reader, lookups=1)
        many = _IndexedPaths(reader, lookups=_IndexedPaths.WHOLE_LEXICON_FROM)
        assert [p in few for p in asked] == [p in many for p in asked]
        assert {p for p in asked if p in few} == with_articles
        seeds = {p for p in with_articles if "/seeds/" in p}
        assert seeds and set(few.under([corpus / "seeds"])) == seeds


def test_entries_read_all_at_once_or_one_by_one_agree_through_saves(tmp_path: Path) -> None:
    """A walk of the whole archive reads every entry at once (``prefetch``); what it
    then sees and saves must be what entry-by-entry reads see."""
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    first = Manifest.load(index_dir)
    first.update((f"/presse/{n}.txt", FileState(n, n, f"{n:x}", n % 3)) for n in range(50))
    first.save()
    first.close()
    one_by_one, all_at_once = Manifest.load(index_dir), Manifest.load(index_dir)
    all_at_once.prefetch()
    for manifest in (one_by_one, all_at_once):
        manifest.remove("/presse/3.txt")
        manifest.set("/presse/4.txt", FileState(-1, -1, "4", 4, partial=True))
        manifest.set("/presse/new.txt", FileState(9, 9, "9", 1))
    asked = [f"/presse/{n}.txt" for n in range(52)] + ["/presse/new.txt"]
    assert [one_by_one.get(p) for p in asked] == [all_at_once.get(p) for p in asked]
    all_at_once.save()
    assert [one_by_one.get(p) for p in asked] == [all_at_once.get(p) for p in asked]
    assert all_at_once.get("/presse/3.txt") is None and all_at_once.files_with_articles() == 34
    all_at_once.reset()
    all_at_once.save()
    assert all_at_once.get("/presse/5.txt") is None and not saved_entries(index_dir)
    one_by_one.close()
    all_at_once.close()


def test_the_cluster_push_manifest_reads_an_earlier_json_and_lists_a_folder_by_prefix(
    tmp_path: Path,
) -> None:
    """The push's manifest (no cluster needed): an earlier version's JSON is read,
    then replaced by the database; a folder's files are found by prefix, not a
    neighbour that starts the same; a popped entry is gone once saved."""
    from cluster.push import PushManifest

    path = tmp_path / "state" / "cluster-0123.sqlite"
    path.parent.mkdir()
    legacy = {
        "/presse/2022/a.txt": [10, 11, ["id-a"]],
        "/presse/2022/b.jsonl": [20, 21, ["id-b1", "id-b2"]],
        "/presse/2022-bis/c.txt": [30, 31, ["id-c"]],
    }
    path.with_suffix(".json").write_text(json.dumps({"files": legacy}), encoding="utf-8")
    manifest = PushManifest(path)
    assert manifest.get("/presse/2022/b.jsonl") == (20, 21, ["id-b1", "id-b2"])
    manifest.set("/presse/2022/d.txt", (40, 41, ["id-d"]))
    manifest.save()
    manifest.close()
    assert path.is_file() and not path.with_suffix(".json").exists()

    again = PushManifest(path)
    folder = ["/presse/2022/a.txt", "/presse/2022/b.jsonl", "/presse/2022/d.txt"]
    assert again.under([Path("/presse/2022")]) == folder
    assert again.under([Path("/presse/2022/a.txt")]) == ["/presse/2022/a.txt"]
    assert again.pop("/presse/2022/a.txt") == (10, 11, ["id-a"])
    assert again.under([Path("/presse/2022")]) == folder[1:]
    again.save()
    again.close()
    with sqlite3.connect(path) as db:
        saved = {row[0] for row in db.execute("SELECT path FROM files")}
    assert saved == {*folder[1:], "/presse/2022-bis/c.txt"}

    path.write_bytes(b"not a database, " * 200)  # damaged: pushed again, never an error
    damaged = PushManifest(path)
    assert damaged.get("/presse/2022/d.txt") is None
    damaged.set("/presse/2022/e.txt", (50, 51, ["id-e"]))
    damaged.save()
    damaged.close()
    assert PushManifest(path).under([Path("/presse")]) == ["/presse/2022/e.txt"]
