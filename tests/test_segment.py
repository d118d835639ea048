"""Our writers leave the index Whoosh's own writer would, posting by posting.

``GroupedSegmentWriter`` hands Whoosh's codec whole blocks of a term's
postings (index/segment.py) and worker processes write segments side by side
(index/workers.py): both must give the same terms, postings (document,
weight, positions), block bounds, term statistics, field lengths and stored
fields as Whoosh's ``SegmentWriter`` fed the same documents.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from whoosh.index import FileIndex
from whoosh.writing import SegmentWriter

from index.articles import Article
from index.readers import discover, read_articles
from index.schema import document_fields
from index.segment import GroupedSegmentWriter
from index.store import create_index, open_index
from index.workers import WorkerFailed
from index.writer import TIER_WIDTH, Indexer, merge_groups
from search.engine import Engine
from tests.conftest import ORANGESUM, ROOT, SEEDS, make_corpus, orangesum_records

TEXT_FIELDS = ("content", "exact", "title", "lead", "country", "person", "path", "id")


def real_documents(tmp_path: Path) -> list[dict[str, Any]]:
    """The fixtures and seeds (every format) three times over under other paths, plus
    OrangeSum articles when the shared corpus is here (the test needs neither)."""
    roots = [tmp_path / "copies"]
    make_corpus(roots[0], copies=3)
    if ORANGESUM.exists():
        dump = tmp_path / "orangesum.jsonl"
        dump.write_text("".join(json.dumps(r) + "\n" for r in orangesum_records(150)))
        roots.append(dump)
    files, _ = discover(roots)
    articles = [a for f in files for a in read_articles(f) if isinstance(a, Article)]
    assert len(articles) > 40
    return [document_fields(a) for a in articles]


def write(
    directory: Path, writer: type[SegmentWriter], docs: list[dict[str, Any]], **kw: Any
) -> FileIndex:
    ix = create_index(directory)
    w = writer(ix, **kw)
    for doc in docs:
        w.add_document(**doc)
    w.commit(merge=False)
    return open_index(directory)


def postings(ix: FileIndex, *, blocks: bool) -> dict[tuple[str, bytes], Any]:
    """Every posting of every term, by article id (and block bounds if *blocks*)."""
    found: dict[tuple[str, bytes], Any] = {}
    with ix.reader() as reader:
        ids = {n: fields["id"] for n, fields in reader.iter_docs()}
        for field in TEXT_FIELDS:
            for term in reader.lexicon(field):
                matcher = reader.postings(field, term)
                rows = []
                while matcher.is_active():
                    row = [ids[matcher.id()], matcher.weight(), matcher.value()]
                    if blocks:
                        row += [matcher.block_min_length(), matcher.block_max_length()]
                        row += [matcher.block_max_weight()]
                    rows.append(tuple(row))
                    matcher.next()
                info = reader.term_info(field, term)
                stats = (info.weight(), info.doc_frequency(), info.min_length())
                stats += (info.max_length(), info.max_weight())
                found[field, term] = (sorted(rows), stats)
    return found


def stored_and_lengths(ix: FileIndex) -> dict[str, Any]:
    with ix.reader() as reader:
        return {
            fields["id"]: (fields, [reader.doc_field_length(n, f) for f in TEXT_FIELDS])
            for n, fields in reader.iter_docs()
        }


# Spilling to runs is the same code on more of them: corpus-scale, run by CI.
@pytest.mark.parametrize(
    "limitmb",
    [128, pytest.param(0.05, marks=pytest.mark.slow)],
    ids=["in-memory", "spilled-to-runs"],
)
def test_grouped_writer_writes_whooshs_own_index(tmp_path: Path, limitmb: float) -> None:
    docs = real_documents(tmp_path)
    whoosh = write(tmp_path / "whoosh", SegmentWriter, docs)
    ours = write(tmp_path / "ours", GroupedSegmentWriter, docs, limitmb=limitmb)
    expected = postings(whoosh, blocks=True)
    assert len(expected) > 1000
    assert postings(ours, blocks=True) == expected
    assert stored_and_lengths(ours) == stored_and_lengths(whoosh)
    if limitmb < 1:
        assert not list((tmp_path / "ours").glob("*.tmp/*")), "spilled runs left behind"


def field_totals(ix: FileIndex) -> dict[str, int]:
    with ix.reader() as reader:
        return {name: reader.field_length(name) for name in ix.schema.scorable_names()}


def ranked(index_dir: Path) -> dict[str, list[tuple[str, float]]]:
    queries = ("Finlande", "OTAN adhésion", '"sommet de Madrid"', "président OR ministre")
    with Engine(index_dir) as engine:
        return {
            q: sorted((h.id, h.score) for h in engine.search(q, limit=50).hits) for q in queries
        }


def three_segments_with_deletions(directory: Path, docs: list[dict[str, Any]]) -> FileIndex:
    """Our writer's segments of a third of *docs* each, with every fifth article deleted."""
    ix = create_index(directory)
    for part in (docs[0::3], docs[1::3], docs[2::3]):
        w = GroupedSegmentWriter(ix)
        for doc in part:
            w.add_document(**doc)
        w.commit(merge=False)
    w = GroupedSegmentWriter(ix)
    for doc in docs[::5]:
        w.delete_by_term("id", doc["id"])
    w.commit(merge=False)
    return open_index(directory)


# Spilling to runs is the same code on more of them: corpus-scale, run by CI.
@pytest.mark.parametrize(
    "limitmb",
    [128, pytest.param(0.05, marks=pytest.mark.slow)],
    ids=["in-memory", "spilled-to-runs"],
)
def test_merging_gives_whooshs_own_merge(tmp_path: Path, limitmb: float) -> None:
    # Our writer reads a merged segment's postings a block at a time
    # (GroupedSegmentWriter.add_postings_to_pool); Whoosh's reads them one by one.
    docs = real_documents(tmp_path)
    whoosh = three_segments_with_deletions(tmp_path / "whoosh", docs)
    ours = three_segments_with_deletions(tmp_path / "ours", docs)
    assert sum(s.deleted_count() for s in ours._segments()) == len(docs[::5])
    SegmentWriter(whoosh).commit(optimize=True)
    GroupedSegmentWriter(ours, limitmb=limitmb).commit(optimize=True)
    whoosh, ours = open_index(tmp_path / "whoosh"), open_index(tmp_path / "ours")
    assert len(ours._segments()) == len(whoosh._segments()) == 1
    assert ours.doc_count_all() == len(docs) - len(docs[::5])
    expected = postings(whoosh, blocks=True)
    assert len(expected) > 1000
    assert postings(ours, blocks=True) == expected
    assert stored_and_lengths(ours) == stored_and_lengths(whoosh)


def test_small_segments_merge_with_their_like_not_into_a_larger_one(tmp_path: Path) -> None:
    """Each batch of a watcher writes a small segment. Merged into every small
    segment there is, the largest of them was rewritten again and again, every
    few batches, until it reached a tenth of the index: beside a million
    articles, each article added by 100s some 180 times (bench/merge_policy.py).
    Small segments of like size merge among themselves; a larger one waits for
    its like."""
    docs = real_documents(tmp_path)
    Indexer(tmp_path / "ours").update([])  # an empty index of ours
    ix = open_index(tmp_path / "ours")
    for size in (400, 30, 1, 1, 1, 1):
        w = GroupedSegmentWriter(ix)
        for doc in itertools.islice(itertools.cycle(docs), size):
            w.add_document(**doc)
        w.commit(merge=False)
    segments = open_index(tmp_path / "ours")._segments()
    groups = [sorted(s.doc_count_all() for s in group) for group in merge_groups(segments)]
    assert groups == [[1, 1, 1, 1]]
    Indexer(tmp_path / "ours", workers=0).update([])
    assert sorted(s.doc_count() for s in open_index(tmp_path / "ours")._segments()) == [4, 30, 400]


@pytest.mark.slow
def test_merges_due_at_once_run_side_by_side_in_workers(tmp_path: Path) -> None:
    # Twice TIER_WIDTH segments of one size: two merges are due, each done by
    # a worker process and both committed in place of their sources.
    docs = real_documents(tmp_path)
    Indexer(tmp_path / "ours").update([])  # an empty index of ours
    ix = open_index(tmp_path / "ours")
    for part in range(2 * TIER_WIDTH):
        w = GroupedSegmentWriter(ix)
        for doc in docs[part :: 2 * TIER_WIDTH]:
            w.add_document(**doc)
        w.commit(merge=False)
    assert len(merge_groups(open_index(tmp_path / "ours")._segments())) == 2
    unmerged = ranked(tmp_path / "ours"), field_totals(open_index(tmp_path / "ours"))
    Indexer(tmp_path / "ours", workers=2).update([])
    ours = open_index(tmp_path / "ours")
    # Same scores: BM25's average lengths come from the exact totals, not
    # from the one-byte lengths Whoosh's merge would add up again.
    assert (ranked(tmp_path / "ours"), field_totals(ours)) == unmerged
    sizes = sorted(len(docs[part :: 2 * TIER_WIDTH]) for part in range(2 * TIER_WIDTH))
    expected = [sum(sizes[:TIER_WIDTH]), sum(sizes[TIER_WIDTH:])]
    assert sorted(s.doc_count() for s in ours._segments()) == expected
    whoosh = write(tmp_path / "whoosh", SegmentWriter, docs)
    assert postings(ours, blocks=False) == postings(whoosh, blocks=False)
    assert stored_and_lengths(ours) == stored_and_lengths(whoosh)


def lots(tmp_path: Path, copies: int) -> Path:
    corpus = tmp_path / "corpus"
    make_corpus(corpus, copies)
    return corpus


def test_worker_processes_index_the_same_articles(tmp_path: Path) -> None:
    corpus = lots(tmp_path, copies=12)
    serial = Indexer(tmp_path / "serial", workers=0).update([corpus])
    parallel = Indexer(tmp_path / "parallel", workers=2).update([corpus])
    assert parallel.added == serial.added > 150
    assert len(parallel.problems) == len(serial.problems)
    one, two = open_index(tmp_path / "serial"), open_index(tmp_path / "parallel")
    assert len(two._segments()) == 2, "each worker writes its own segment"
    assert postings(two, blocks=False) == postings(one, blocks=False)
    assert stored_and_lengths(two) == stored_and_lengths(one)
    with Engine(tmp_path / "serial") as a, Engine(tmp_path / "parallel") as b:
        for query in ("Finlande", "OTAN adhésion", '"sommet de Madrid"', "président OR ministre"):
            hits = [e.search(query, limit=50).hits for e in (a, b)]
            assert sorted((-h.score, h.id) for h in hits[0]) == sorted(
                (-h.score, h.id) for h in hits[1]
            ), query
        assert a.facets("") == b.facets("")


def test_a_dead_worker_stops_the_update_and_loses_nothing(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    Indexer(index_dir).update([SEEDS])
    corpus = lots(tmp_path, copies=6)
    killed: list[int] = []

    def kill_a_worker(_: object) -> None:
        if not killed:
            children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text()
            worker = int(children.split()[0])
            killed.append(worker)
            os.kill(worker, signal.SIGKILL)

    with pytest.raises(WorkerFailed, match=r"worker process died.*run `search index` again"):
        Indexer(index_dir, workers=2).update([corpus, SEEDS], progress=kill_a_worker)
    assert killed
    with Engine(index_dir) as engine:
        assert engine.search("Finlande").total >= 1  # the seeds, committed before
    Indexer(index_dir, workers=2).update([corpus, SEEDS])
    Indexer(tmp_path / "reference", workers=0).update([corpus, SEEDS])
    with Engine(index_dir) as again, Engine(tmp_path / "reference") as reference:
        assert sorted(h.id for h in again.search("", limit=10_000).hits) == sorted(
            h.id for h in reference.search("", limit=10_000).hits
        )
    assert not list(index_dir.glob("*.tmp"))


def test_workers_start_from_a_script_without_a_main_guard(tmp_path: Path) -> None:
    # Worker processes must not re-run the caller's script: one that indexes
    # at import time (no ``if __name__ == "__main__"``) would index again in
    # every worker, or fail to start them.
    corpus = lots(tmp_path, copies=6)  # two batches: one per worker
    script = tmp_path / "build.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "from index.writer import Indexer\n"
        f"report = Indexer(Path({str(tmp_path / 'index')!r}), workers=2).update("
        f"[Path({str(corpus)!r})])\n"
        "print('added', report.added)\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "added",
        str(Indexer(tmp_path / "serial", workers=0).update([corpus]).added),
    ]
    assert len(open_index(tmp_path / "index")._segments()) == 2
