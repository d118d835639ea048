"""Incremental updates: add, change, delete, and unchanged files never re-read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from index.store import open_index
from index.writer import TIER_WIDTH, Indexer
from search.engine import Engine
from tests.conftest import FIXTURES, SEEDS


def titles(index_dir: Path, query: str) -> list[str]:
    with Engine(index_dir) as engine:
        return [h.title for h in engine.search(query, limit=50).hits]


def test_add_change_delete(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(FIXTURES / "otan-helsinki.txt", corpus)
    shutil.copy(FIXTURES / "depeches.jsonl", corpus)
    indexer = Indexer(index_dir)

    first = indexer.update([corpus])
    assert (first.added, first.updated, first.removed, first.files_read) == (4, 0, 0, 2)
    assert len(first.skipped) == 2  # the broken line and the record without text

    # Nothing changed: nothing is read, nothing reported again.
    again = indexer.update([corpus])
    assert (again.added, again.updated, again.removed, again.files_read) == (0, 0, 0, 0)
    assert again.files_unchanged == 2 and not again.problems

    # A new file is added; the others are not re-read.
    shutil.copy(FIXTURES / "securite-frontiere.md", corpus)
    added = indexer.update([corpus])
    assert (added.added, added.files_read, added.files_unchanged) == (1, 1, 2)
    assert titles(index_dir, "baltes") == ["SÉCURITÉ : les pays baltes renforcent leurs frontières"]

    # A changed file is re-indexed in place: no duplicate, new text searchable.
    note = corpus / "otan-helsinki.txt"
    note.write_text(note.read_text() + "\nLe Danemark a salué la décision.\n")
    changed = indexer.update([corpus])
    assert (changed.added, changed.updated, changed.files_read) == (0, 1, 1)
    assert titles(index_dir, "Danemark") == ["Helsinki se prépare à l’adhésion à l’Alliance"]
    assert titles(index_dir, "Helsinki").count("Helsinki se prépare à l’adhésion à l’Alliance") == 1

    # A touched but identical file is recognised by its content hash.
    os.utime(note, (1_000_000_000, 1_000_000_000))
    touched = indexer.update([corpus])
    assert (touched.updated, touched.files_read, touched.files_unchanged) == (0, 0, 3)

    # A deleted file disappears from the index.
    (corpus / "depeches.jsonl").unlink()
    removed = indexer.update([corpus])
    assert removed.removed == 3
    assert titles(index_dir, "Bruxelles") == []
    with Engine(index_dir) as engine:
        assert engine.stats().documents == 2


def test_sidecar_change_reindexes_its_article(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(FIXTURES / "otan-helsinki.txt", corpus)
    indexer = Indexer(index_dir)
    indexer.update([corpus])
    (corpus / "otan-helsinki.txt.meta.yaml").write_text("date: 2022-05-12\nsource: Yle\n")
    report = indexer.update([corpus])
    assert report.updated == 1
    with Engine(index_dir) as engine:
        [hit] = engine.search("Helsinki").hits
    assert (hit.source, hit.date_source) == ("Yle", "metadata")
    assert hit.date is not None and hit.date.isoformat() == "2022-05-12T00:00:00"


def test_missing_root_never_empties_the_index(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(FIXTURES, corpus)
    indexer = Indexer(index_dir)
    count = indexer.update([corpus]).added
    shutil.move(corpus, tmp_path / "unmounted")
    report = indexer.update([corpus])
    assert report.removed == 0
    assert [p.reason for p in report.problems] == ["no such file or directory"]
    with Engine(index_dir) as engine:
        assert engine.stats().documents == count


def test_paths_given_twice_and_symlink_loops(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(FIXTURES / "otan-helsinki.txt", corpus / "nom avec espaces é.txt")
    (corpus / "boucle").symlink_to(corpus, target_is_directory=True)
    report = Indexer(index_dir).update([corpus, corpus, corpus / "nom avec espaces é.txt"])
    assert report.added == 1


def test_segments_of_one_size_are_merged_ten_at_a_time(tmp_path: Path) -> None:
    # Each update writes a segment; equal ones never count as "small" beside
    # each other, so without tiers a long-lived archive keeps one per update
    # (and every query term pays for each). Ten of one size become one.
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    indexer = Indexer(index_dir, workers=0)
    added = 0
    told: list[str] = []
    for lot in range(TIER_WIDTH):
        shutil.copytree(FIXTURES, corpus / f"lot-{lot}")
        added += indexer.update([corpus], progress=lambda event: told.append(event.current)).added
        if lot == 0:
            reading = Engine(index_dir)  # open while its segment is merged away
        segments = open_index(index_dir)._segments()
        if lot < TIER_WIDTH - 1:
            assert len(segments) == lot + 1
    assert [s.doc_count() for s in segments] == [added]
    assert [t for t in told if t.startswith("merging")] == ["merging 10 segments into 1"]
    assert reading.refresh()
    assert reading.stats().documents == added, "a merged segment counted twice"
    assert reading.stats().segments == 1
    reading.close()
    Indexer(tmp_path / "one-lot", workers=0).update([FIXTURES])
    with Engine(index_dir) as merged, Engine(tmp_path / "one-lot") as one:
        assert merged.stats().documents == added == TIER_WIDTH * one.stats().documents
        assert merged.search("Helsinki").total == TIER_WIDTH * one.search("Helsinki").total > 0


def test_a_rebuild_that_reaches_the_same_generation_is_seen(tmp_path: Path) -> None:
    """Whoosh numbers commits from 0 again after a rebuild: an engine left open, and
    the facet table saved under the old index's number, must not take the rebuilt
    index for the one they knew."""
    index_dir = tmp_path / "index"
    Indexer(index_dir, workers=0).update([SEEDS])
    before = open_index(index_dir).latest_generation()
    with Engine(index_dir) as first:
        assert first.facets("").countries  # saves the facet table of this generation
    reading = Engine(index_dir)
    assert reading.search("kangourou").total == 0

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "otan-helsinki.txt", corpus)
    (corpus / "kangourou.txt").write_text(
        "Un kangourou à Helsinki\n\nUn kangourou s’est échappé du zoo d’Helsinki jeudi.Le "
        "ministre finlandais de l’Intérieur a appelé au calme.\n",
        encoding="utf-8",
    )
    Indexer(index_dir, workers=0).update([corpus], rebuild=True)
    assert open_index(index_dir).latest_generation() == before

    assert reading.refresh()
    assert [h.title for h in reading.search("kangourou").hits] == ["Un kangourou à Helsinki"]
    Indexer(tmp_path / "fresh", workers=0).update([corpus])
    with Engine(index_dir) as rebuilt, Engine(tmp_path / "fresh") as fresh:
        for engine in (reading, rebuilt):
            assert engine.stats().documents == fresh.stats().documents
            assert engine.facets("") == fresh.facets("")
            assert engine.facets("Helsinki") == fresh.facets("Helsinki")
    reading.close()
