"""The same `search` against a real OpenSearch cluster of two nodes.

Two JVMs started from OpenSearch 2.19.6's own jars (`cluster/node`, built by
Maven), on loopback ports, an index of 2 shards and 1 replica. The articles
pushed are the ones the local engine indexes, and each answer is compared
with the local engine's. Skips with a message where Java or Maven is missing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, SelectionList

from cluster import scroll
from cluster.connection import connect
from cluster.documents import index_body
from cluster.engine import ClusterEngine
from cluster.local_nodes import LauncherUnavailable, LocalCluster
from cluster.push import Pusher
from index.writer import Indexer
from search.concordance import concordance
from search.engine import Engine, Hit
from search.filters import Filters
from search.keyness import BACKGROUND, SAMPLE
from tests.conftest import FIXTURES, ROOT, SEEDS, make_corpus, run_subprocess
from tests.test_query_language import ROWS
from tests.test_related import write_wires
from tests.test_stories import ANOTHER, COPIES, write_dump
from tests.test_tui import idle, open_trend, open_view, status, wait_for
from tests.test_watch import ARTICLE, WatchProcess
from tui.app import SearchApp
from tui.screens.article import ArticleScreen
from tui.screens.concordance import ConcordanceScreen
from tui.screens.export import ExportScreen
from tui.screens.related import RelatedScreen
from tui.widgets.results import ResultsList

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]


def started(cluster: LocalCluster) -> Iterator[LocalCluster]:
    """*cluster* running for a test module, then stopped; a skip with the reason
    where Java or Maven is missing."""
    try:
        cluster.start()
    except LauncherUnavailable as why:
        pytest.skip(str(why))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    yield from started(LocalCluster(tmp_path_factory.mktemp("opensearch")))


def env_for(nodes: LocalCluster, tmp_path: Path, index: str) -> dict[str, str]:
    return {
        "SEARCH_CLUSTER": nodes.url,
        "SEARCH_CLUSTER_INDEX": index,
        "SEARCH_INDEX": str(tmp_path / "local-index"),
        "XDG_DATA_HOME": str(tmp_path / "data"),  # the push manifest's folder
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),  # no `search serve` of the user's
    }


@pytest.fixture(scope="module")
def pushed(nodes: LocalCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The fixtures and the seeds, pushed to the index ``both``."""
    home = tmp_path_factory.mktemp("push")
    done = run_subprocess("index", str(FIXTURES), str(SEEDS), "--json",
                          env=env_for(nodes, home, "both"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 18
    return "both"


def test_the_cluster_has_two_nodes_and_the_index_a_replica(
    nodes: LocalCluster, pushed: str
) -> None:
    health = nodes.health()
    assert health["status"] == "green" and health["number_of_nodes"] == 2
    assert health["active_shards"] == 4  # 2 shards, each with its replica


def test_ties_come_in_the_local_order(
    nodes: LocalCluster, pushed: str, fixtures_and_seeds: Path
) -> None:
    """Where the scores say nothing (facets alone, wildcards, a date sort), both
    engines list the same articles in the same order: newest first, then by
    text, then copies by id (search.facets.FacetTable.tie_order)."""
    queries = ["pays:FI", "pays:FR", "personne:Stoltenberg", "", "otan*", "pays:FI OTAN*",
               "Finlande", "personne:Stoltenberg pays:NO^2"]  # fmt: skip
    with ClusterEngine(nodes.url, pushed) as remote, Engine(fixtures_and_seeds) as local:
        for text in queries:
            for sort in ("relevance", "date") if any(c in text for c in ":*") else ("date",):
                for collapse in (False, True):
                    here = local.search(text, limit=50, sort=sort, collapse=collapse)
                    there = remote.search(text, limit=50, sort=sort, collapse=collapse)
                    assert here.total == there.total > 0, (text, sort, collapse)
                    assert [(h.id.rsplit("/", 2)[-1], h.score) for h in there.hits] == [
                        (h.id.rsplit("/", 2)[-1], h.score) for h in here.hits
                    ], (text, sort, collapse)


def test_every_table_row_finds_what_the_local_engine_finds(
    nodes: LocalCluster, pushed: str, fixtures_and_seeds: Path
) -> None:
    with ClusterEngine(nodes.url, pushed) as remote, Engine(fixtures_and_seeds) as local:
        for text, _ in ROWS:
            here = local.search(text, limit=100, collapse=False)
            there = remote.search(text, limit=100)
            assert there.total == here.total, text
            assert {h.id.rsplit("/", 2)[-1] for h in there.hits} == {
                h.id.rsplit("/", 2)[-1] for h in here.hits
            }, text


def test_facets_and_top_ten_agree(
    nodes: LocalCluster, pushed: str, fixtures_and_seeds: Path
) -> None:
    overlaps = []
    with ClusterEngine(nodes.url, pushed) as remote, Engine(fixtures_and_seeds) as local:
        for text in ("Finlande", "OTAN", "*", "sécurité frontière", '"sommet de Madrid"'):
            here = local.search(text, collapse=False, facets=True, top=50)
            there = remote.search(text, facets=True, top=50)
            assert here.facets is not None and there.facets is not None
            assert there.facets.countries == here.facets.countries, text
            assert there.facets.dates == here.facets.dates, text
            assert there.facets.persons == here.facets.persons, text
            ten = {h.id.rsplit("/", 2)[-1] for h in here.hits[:10]}
            overlaps.append(
                len(ten & {h.id.rsplit("/", 2)[-1] for h in there.hits[:10]}) / len(ten)
            )
    assert sum(overlaps) / len(overlaps) >= 0.9, overlaps


def test_the_cli_reads_the_cluster_like_the_local_index(
    nodes: LocalCluster, pushed: str, tmp_path: Path
) -> None:
    env = env_for(nodes, tmp_path, pushed)
    remote = json.loads(run_subprocess("query", "Finlande", "--json", "--all", env=env).stdout)
    local_env = {"SEARCH_INDEX": str(tmp_path / "local")}
    assert run_subprocess("index", str(FIXTURES), str(SEEDS), env=local_env).returncode == 0
    local = json.loads(run_subprocess("query", "Finlande", "--json", "--all", env=local_env).stdout)
    assert remote["total"] == local["total"] and remote["facets"] == local["facets"]
    hit = remote["hits"][0]
    assert not hit["path"].startswith("/")  # no local path leaks into the cluster
    shown = run_subprocess("show", hit["id"], "--query", "Finlande", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == hit["title"]
    stats = json.loads(run_subprocess("stats", "--json", env=env).stdout)
    assert stats["documents"] == 18
    # Named by its URL, "//" and all (a Path made it http:/…).
    assert stats["directory"] == f"{nodes.url}/{pushed}"
    assert f"index: {nodes.url}/{pushed}" in run_subprocess("stats", env=env).stdout
    refused = run_subprocess("serve", env=env)
    assert refused.returncode == 2 and refused.stderr.startswith("error: search serve does not")
    doctor = run_subprocess("doctor", env=env)
    assert doctor.returncode == 2 and doctor.stderr.startswith("error: search doctor checks a")


def test_connection_problems_are_one_line(nodes: LocalCluster, tmp_path: Path) -> None:
    env = env_for(nodes, tmp_path, "absent")
    missing = run_subprocess("query", "Finlande", env=env)
    assert missing.returncode == 2
    assert missing.stderr == (
        f"error: cluster {nodes.url}: no index 'absent' (push articles with "
        f"search index PATH --cluster {nodes.url})\n"
    )
    closed = {**env, "SEARCH_CLUSTER": "http://127.0.0.1:1"}
    nobody = run_subprocess("query", "Finlande", env=closed)
    assert nobody.returncode == 2 and "cannot connect" in nobody.stderr
    assert "Traceback" not in nobody.stderr
    secret = {**env, "SEARCH_CLUSTER": nodes.url.replace("//", "//user:pw@")}
    told = run_subprocess("query", "Finlande", env=secret)
    assert told.returncode == 2 and "SEARCH_CLUSTER_PASSWORD" in told.stderr


def count(nodes: LocalCluster, index: str) -> int:
    with ClusterEngine(nodes.url, index) as remote:
        return remote.stats().documents


def test_a_second_push_sends_only_what_changed(nodes: LocalCluster, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    env = env_for(nodes, tmp_path, "incremental")
    first = json.loads(run_subprocess("index", str(corpus), "--json", env=env).stdout)
    assert (first["added"], count(nodes, "incremental")) == (7, 7)
    again = json.loads(run_subprocess("index", str(corpus), "--json", env=env).stdout)
    assert (again["added"], again["removed"], again["files_unchanged"]) == (0, 0, 6)
    changed = corpus / "000_99cd1769caf176ce.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nUne licorne violette.\n",
                       encoding="utf-8")  # fmt: skip
    (corpus / "002_215c51ed475f2f51.txt").unlink()
    third = json.loads(run_subprocess("index", str(corpus), "--json", env=env).stdout)
    assert (third["added"], third["updated"], third["removed"]) == (0, 1, 1)
    assert count(nodes, "incremental") == 6
    with ClusterEngine(nodes.url, "incremental") as remote:
        assert remote.search('"licorne violette"').total == 1
    # An archive moved elsewhere keeps its ids: nothing is pushed twice.
    with ClusterEngine(nodes.url, "incremental") as remote:
        ids = {h.id for h in remote.search("*", limit=100).hits}
    (tmp_path / "elsewhere").mkdir()
    corpus.rename(tmp_path / "elsewhere" / "corpus")
    moved = run_subprocess("index", str(tmp_path / "elsewhere" / "corpus"), "--json", env=env)
    assert moved.returncode == 0, moved.stderr
    assert count(nodes, "incremental") == 6
    with ClusterEngine(nodes.url, "incremental") as remote:
        assert {h.id for h in remote.search("*", limit=100).hits} == ids


def test_a_killed_push_resumes_with_nothing_lost_or_twice(
    nodes: LocalCluster, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    # Enough articles for several bulk flushes: the kill comes between two.
    make_corpus(corpus, 150)
    env = env_for(nodes, tmp_path, "killed")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    full_env.update(env)
    push = subprocess.Popen([sys.executable, "-m", "search.cli", "index", str(corpus)],
                            env=full_env, cwd=ROOT, stderr=subprocess.DEVNULL)  # fmt: skip
    manifests = Path(env["XDG_DATA_HOME"]) / "french-news-search"
    deadline = time.monotonic() + 300
    # Killed once some files are in (their manifest entries are saved once
    # every document of theirs is acknowledged).
    while not any(manifests.glob("cluster-*.sqlite")) and push.poll() is None:
        assert time.monotonic() < deadline, "the push made no progress"
        time.sleep(0.01)
    push.send_signal(signal.SIGKILL)
    push.wait()
    done = run_subprocess("index", str(corpus), "--json", env=env)
    assert done.returncode == 0, done.stderr
    clean_env = env_for(nodes, tmp_path / "clean", "clean")
    assert run_subprocess("index", str(corpus), env=clean_env).returncode == 0
    assert count(nodes, "killed") == count(nodes, "clean") == 150 * 18


def test_a_stopped_node_loses_no_answer(nodes: LocalCluster, pushed: str, tmp_path: Path) -> None:
    """The replica answers for the node that is gone; back, the cluster is green
    again and takes a new push."""
    with ClusterEngine(nodes.url, pushed) as remote:
        before = {text: remote.search(text).total for text, _ in ROWS[:12]}
    other = 1 - nodes.elected()  # stopping the elected manager of two would stop the cluster
    nodes.stop_node(other)
    try:
        nodes.wait_for("yellow", nodes=1)
        with ClusterEngine(nodes.node_url(1 - other), pushed) as remote:
            assert {text: remote.search(text).total for text in before} == before
    finally:
        nodes.start_node(other)
        nodes.wait_for("green", nodes=2)
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    env = env_for(nodes, tmp_path, "after-restart")
    assert json.loads(run_subprocess("index", str(corpus), "--json", env=env).stdout)["added"] == 7


def test_worker_processes_push_the_same_documents(nodes: LocalCluster, tmp_path: Path) -> None:
    """A large push builds documents in worker processes: the same documents
    as one process builds, and the same problems."""
    reports = {
        index: Pusher(connect(nodes.url), nodes.url, index, tmp_path, workers=workers).update(
            [FIXTURES, SEEDS]
        )
        for index, workers in (("by-workers", 2), ("in-process", 0))
    }
    assert reports["by-workers"].added == reports["in-process"].added == 18
    assert reports["by-workers"].problems == reports["in-process"].problems

    def documents(index: str) -> dict[str, Any]:
        with ClusterEngine(nodes.url, index) as remote:
            found = remote.client.search(index=index, body={"size": 100})
        return {item["_id"]: item["_source"] for item in found["hits"]["hits"]}

    assert documents("by-workers") == documents("in-process")


PHILIPPE = {
    "retraites.txt": "Réforme des retraites\n\nLe Premier ministre Édouard Philippe a présenté "
    "jeudi sa réforme des retraites devant les députés.\n",
    "syndicats.txt": "Face aux syndicats\n\nInterrogé mardi, M. Philippe a défendu le projet "
    "de loi face aux syndicats.\n",
    "matignon.txt": "À Matignon\n\nÉdouard Philippe a reçu les partenaires sociaux à Matignon "
    "vendredi.\n",
    "havre.txt": "Au Havre\n\nEdouard Philippe, ancien maire du Havre, a rencontré les élus "
    "locaux.\n",
}


def same_persons(nodes: LocalCluster, index: str, local_dir: Path) -> list[tuple[str, int]]:
    """The cluster's persons as the local index has them, facets and hits alike."""
    with ClusterEngine(nodes.url, index) as remote, Engine(local_dir) as local:
        here = local.search("*", limit=100, collapse=False, facets=True, top=50)
        there = remote.search("*", limit=100, facets=True, top=50)
        assert here.facets is not None and there.facets is not None
        assert there.facets.persons == here.facets.persons
        assert {os.path.basename(h.path): h.persons for h in there.hits} == {
            os.path.basename(h.path): h.persons for h in here.hits
        }
        for name in ("Philippe", "Edouard Philippe", "Jean Philippe"):
            query = f'personne:"{name}"'
            mine, theirs = local.search(query, collapse=False), remote.search(query)
            assert (theirs.total, theirs.notes) == (mine.total, mine.notes), name
        assert local.search("personne:Philippe").notes[0].startswith("personne:Philippe matches")
        return [(v.value, v.count) for v in there.facets.persons]


def test_persons_are_merged_across_the_index_as_locally(
    nodes: LocalCluster, tmp_path: Path
) -> None:
    """A lone "M. Philippe" counts with the one Philippe the index knows, under
    the spelling most articles use; a second Philippe undoes the merge, and
    his leaving makes it again: the cluster's documents follow each push."""
    corpus, local_dir = tmp_path / "corpus", tmp_path / "local"
    corpus.mkdir()
    for name, text in PHILIPPE.items():
        (corpus / name).write_text(text, encoding="utf-8")
    pusher = Pusher(connect(nodes.url), nodes.url, "philippe", tmp_path / "state")
    indexer = Indexer(local_dir)

    def both() -> list[tuple[str, int]]:
        assert pusher.update([corpus]).problems == []
        indexer.update([corpus])
        return same_persons(nodes, "philippe", local_dir)

    assert both() == [("Édouard Philippe", 4)]
    (corpus / "maire.txt").write_text(
        "Médiathèque\n\nLe maire Jean Philippe a inauguré la médiathèque samedi.\n",
        encoding="utf-8",
    )
    assert both() == [("Édouard Philippe", 3), ("Jean Philippe", 1), ("Philippe", 1)]
    (corpus / "maire.txt").unlink()
    assert both() == [("Édouard Philippe", 4)]


def same_stories(nodes: LocalCluster, index: str, local_dir: Path, under: Path) -> list[int]:
    """The cluster's stories as the local index groups them: collapsed hits,
    story totals, facets and trend counted in stories, ``show --copies``.
    The sizes of the stories with copies, largest first. (Local ids are
    paths on this machine; the cluster's, paths under *under*.)"""

    def stories_of(hits: list[Hit]) -> set[frozenset[str]]:
        return {frozenset(os.path.relpath(i, under) if os.path.isabs(i) else i
                          for i in (h.id, *h.copies)) for h in hits}  # fmt: skip

    with ClusterEngine(nodes.url, index) as remote, Engine(local_dir) as local:
        groups = []
        for text in ("*", "soignants", "hôpital OR Finlande"):
            mine = local.search(text, collapse=True, limit=100, facets=True, unit="stories")
            theirs = remote.search(text, collapse=True, limit=100, facets=True, unit="stories")
            assert (theirs.total, theirs.articles, theirs.collapsed) == (
                mine.total, mine.articles, True), text  # fmt: skip
            stories = stories_of(mine.hits)
            assert stories_of(theirs.hits) == stories, text
            # (In rank order but for ties, which the two engines break apart.)
            assert sorted(h.copy_count for h in theirs.hits) == sorted(
                h.copy_count for h in mine.hits
            )
            assert theirs.facets == mine.facets, text
            mine_counts = local.facets(text, unit="stories", granularity="day")
            assert remote.facets(text, unit="stories", granularity="day") == mine_counts, text
            here = local.trend([text], granularity="day", unit="stories")
            there = remote.trend([text], granularity="day", unit="stories")
            assert there.series[0].counts == here.series[0].counts, text
            assert there.totals == here.totals, text
            groups = sorted((len(s) for s in stories if len(s) > 1), reverse=True)
        for hit in local.search("soignants", collapse=False, limit=100).hits:
            copies = [a.id for a in remote.copies(os.path.relpath(hit.id, under))]
            assert copies == [os.path.relpath(a.id, under) for a in local.copies(hit.id)]
        return groups


def test_stories_are_grouped_as_locally(
    nodes: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wire copy is one story on the cluster as locally; a new copy joins its
    story on the next push, and a story shrinks when a copy goes, with no
    document re-pushed but those of the files that changed."""
    corpus, local_dir = tmp_path / "corpus", tmp_path / "local"
    shutil.copytree(SEEDS, corpus)
    wire = corpus / "fil"
    write_dump(wire, [*COPIES[:3], ("afp", "Grève mardi dans les hôpitaux", ANOTHER)])
    pusher = Pusher(connect(nodes.url), nodes.url, "stories", tmp_path / "state")
    indexer = Indexer(local_dir)

    def both() -> list[int]:
        assert pusher.update([corpus]).problems == []
        indexer.update([corpus])
        return same_stories(nodes, "stories", local_dir, tmp_path)

    assert both() == [3]
    assert pusher.last_grouping[0] == 3  # only the copies were rewritten
    with monkeypatch.context() as small:  # aggregations paged a bucket at a time
        small.setattr(scroll, "PAGE", 1)
        assert same_stories(nodes, "stories", local_dir, tmp_path) == [3]
    env = env_for(nodes, tmp_path, "stories")
    text = run_subprocess("query", "soignants", env=env).stdout
    assert "2 stories (4 articles" in text and "+2 copies" in text
    counted = json.loads(run_subprocess("facets", "soignants", "--count", "stories", "--by",
                                        "year", "--json", env=env).stdout)  # fmt: skip
    assert counted["unit"] == "stories" and counted["dates"][0]["count"] == 2
    shown = run_subprocess("show", "corpus/fil/fil-0.jsonl#sud-2", "--copies", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "2 other copies of this story" in shown.stdout
    write_dump(wire, [COPIES[3]], start=10)  # a new copy, in a file of its own
    assert both() == [4]
    assert pusher.last_grouping[0] == 4  # the new copy, and the three whose story grew...
    (wire / "fil-0.jsonl").unlink()  # ... and the story loses three copies
    assert both() == []
    assert pusher.last_grouping[0] == 1
    with ClusterEngine(nodes.url, "stories") as remote:
        alone = remote.search("soignants", collapse=True)
        assert (alone.total, alone.articles) == (1, 1)


def test_an_index_of_the_first_layout_is_brought_up_to_date(
    nodes: LocalCluster, tmp_path: Path
) -> None:
    """An index pushed before persons were merged: readers are told to push
    once, and that push (every file unchanged) merges them in place."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in PHILIPPE.items():
        (corpus / name).write_text(text, encoding="utf-8")
    client = connect(nodes.url)
    pusher = Pusher(client, nodes.url, "first-layout", tmp_path / "state")
    pusher.update([corpus])
    # What the first layout held: no _meta, no merged or spelled persons.
    documents = {
        item["_id"]: {k: v for k, v in item["_source"].items() if k not in FORMAT_2_FIELDS}
        for item in client.search(index="first-layout", body={"size": 100})["hits"]["hits"]
    }
    client.indices.delete(index="first-layout")
    body = index_body()
    del body["mappings"]["_meta"]
    for field in FORMAT_2_FIELDS - {"person_words"}:
        del body["mappings"]["properties"][field]
    client.indices.create(index="first-layout", body=body)
    for doc_id, source in documents.items():
        client.index(index="first-layout", id=doc_id, body=source, refresh=True)

    env = env_for(nodes, tmp_path, "first-layout")
    told = run_subprocess("facets", "*", env=env)
    assert told.returncode == 2
    assert told.stderr == (
        f"error: cluster {nodes.url}: index 'first-layout' was made by an older version of "
        f"search: push once to bring it up to date (search index PATH --cluster {nodes.url})\n"
    )
    report = pusher.update([corpus])
    assert (report.added, report.files_unchanged) == (0, 4)
    Indexer(tmp_path / "local").update([corpus])
    assert same_persons(nodes, "first-layout", tmp_path / "local") == [("Édouard Philippe", 4)]


FORMAT_2_FIELDS = {"person_canonical", "person_alias", "person_spelling", "person_words"}


def test_watch_keeps_the_cluster_current(nodes: LocalCluster, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "otan-helsinki.txt", corpus)
    env = env_for(nodes, tmp_path, "watched")
    watcher = WatchProcess(corpus, tmp_path / "unused-local-index", env)
    try:
        startup = watcher.collect(lambda seen: len(seen) >= 1)[0]
        assert (startup["batch"], startup["added"]) == ("startup", 1)

        def found(text: str) -> int:
            with ClusterEngine(nodes.url, "watched") as remote:
                return remote.search(text).total

        path = corpus / "estonie.txt"
        path.write_text(ARTICLE, encoding="utf-8")
        watcher.collect(lambda seen: sum(r["added"] for r in seen) >= 1)
        assert found("retraites Kallas") == 1
        path.write_text(ARTICLE.replace("deux jours", "trois semaines"), encoding="utf-8")
        watcher.collect(lambda seen: sum(r["updated"] for r in seen) >= 1)
        assert (found('"trois semaines"'), found('"deux jours"')) == (1, 0)
        path.unlink()
        watcher.collect(lambda seen: sum(r["removed"] for r in seen) >= 1)
        assert found("retraites Kallas") == 0 and count(nodes, "watched") == 1
        assert watcher.stop() == 0
    finally:
        if watcher.process.poll() is None:
            watcher.process.kill()
            watcher.process.wait()


def test_export_from_the_cluster_is_the_local_export(
    nodes: LocalCluster, pushed: str, fixtures_and_seeds: Path, tmp_path: Path
) -> None:
    """Every match, streamed (a scroll), with the text: the local export's
    rows, in the same date order; and the _bulk ids are the cluster's own."""
    env = env_for(nodes, tmp_path, pushed)
    local = {"SEARCH_INDEX": str(fixtures_and_seeds)}
    command = ["export", "OTAN OU Finlande", "--format", "jsonl", "--text", "--sort", "date"]
    there = run_subprocess(*command, env=env)
    assert there.returncode == 0, there.stderr
    here = run_subprocess(*command, env=local)
    rows = [json.loads(line) for line in there.stdout.splitlines()]
    expected = [json.loads(line) for line in here.stdout.splitlines()]
    assert len(rows) == len(expected) > 3

    def comparable(row: dict[str, Any]) -> tuple[Any, ...]:
        # Ids and paths are under the folder pushed on the cluster (no local path).
        assert not row["path"].startswith("/") or row in expected
        return tuple(json.dumps(v, sort_keys=True) for k, v in sorted(row.items())
                     if k not in ("id", "path", "score"))  # fmt: skip

    assert sorted(map(comparable, rows)) == sorted(map(comparable, expected))
    assert [r["date"] for r in rows] == [r["date"] for r in expected]
    by_relevance = {
        name: list(csv.DictReader(io.StringIO(
            run_subprocess("export", "Finlande", "--format", "csv", env=where).stdout)))
        for name, where in (("cluster", env), ("local", local))
    }  # fmt: skip
    assert sorted(r["title"] for r in by_relevance["cluster"]) == sorted(
        r["title"] for r in by_relevance["local"]
    )

    bulk = run_subprocess("export", "--format", "opensearch", env=env)
    local_bulk = run_subprocess("export", "--format", "opensearch", env=local)
    ids = {json.loads(line)["index"]["_id"] for line in bulk.stdout.splitlines()[::2]}
    assert ids == {json.loads(line)["index"]["_id"] for line in local_bulk.stdout.splitlines()[::2]}
    with ClusterEngine(nodes.url, pushed) as remote:
        found = remote.client.search(index=pushed, body={"size": 100, "_source": False})
    assert ids == {item["_id"] for item in found["hits"]["hits"]}


def test_trend_and_kwic_on_the_cluster_are_the_local_ones(
    nodes: LocalCluster, pushed: str, fixtures_and_seeds: Path, tmp_path: Path
) -> None:
    env = env_for(nodes, tmp_path, pushed)
    local = {"SEARCH_INDEX": str(fixtures_and_seeds)}

    def both(*command: str) -> tuple[str, str]:
        there, here = run_subprocess(*command, env=env), run_subprocess(*command, env=local)
        assert there.returncode == here.returncode == 0, (there.stderr, here.stderr)
        return there.stdout, here.stdout

    for extra in ([], ["--file-dates"], ["--base", "Europe", "--by", "month"],
                  ["--country", "FI", "--since", "2020"]):  # fmt: skip
        there, here = both("trend", "Finlande", "OTAN OU Suède", "--by", "year", "--json", *extra)
        assert json.loads(there) == json.loads(here), extra

    def lines(output: str) -> list[dict[str, Any]]:
        # Ids are under the folder pushed on the cluster, absolute locally.
        return [{k: v for k, v in json.loads(line).items() if k != "id"}
                for line in output.splitlines()]  # fmt: skip

    there, here = both("kwic", "Finlande", "--sort", "date", "--json")
    assert lines(there) == lines(here) and lines(here)
    for order in ("left", "right"):
        # Lines with the same neighbouring words keep their article order,
        # which is each engine's ranking: the same lines, ties aside.
        there, here = both("kwic", "Finlande", "--sort", order, "--json")
        assert sorted(map(str, lines(there))) == sorted(map(str, lines(here))), order
    there, here = both("kwic", '"mer Baltique" OU Helsinki', "--json")
    assert sorted(map(str, lines(there))) == sorted(map(str, lines(here)))
    refused = run_subprocess("kwic", "Finl*", env=env)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "wildcards" in refused.stderr


def test_related_on_the_cluster_is_the_local_related(
    nodes: LocalCluster, pushed: str, fixtures_and_seeds: Path, tmp_path: Path
) -> None:
    """Every match and the whole index read (fewer than 120 and 600 articles):
    the same words, expressions, persons and countries, the same G²."""
    folder = write_wires(tmp_path / "depeches")
    Pusher(connect(nodes.url), nodes.url, "wires", tmp_path / "state").update([folder])
    Indexer(tmp_path / "local").update([folder])
    for index, local_dir, queries in (
        ("wires", tmp_path / "local", ["réforme", "Matignon", "syndicats OU grève"]),
        (pushed, fixtures_and_seeds, ["Finlande", "OTAN", "pays:FI", "*"]),
    ):
        with ClusterEngine(nodes.url, index) as remote, Engine(local_dir) as local:
            for text in queries:
                here, there = local.related(text, top=20), remote.related(text, top=20)
                assert there == here, text
                # Every article matches "*": nothing stands out, on both.
                assert bool(here.words or here.persons or here.countries) == (text != "*"), text
    env = env_for(nodes, tmp_path, "wires")
    shown = run_subprocess("related", "réforme", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["words"][0]["text"] == "Matignon"


def test_related_reads_the_local_sample_past_what_it_reads(
    nodes: LocalCluster, tmp_path: Path
) -> None:
    """More matches than related reads (120) and an index larger than its
    background (600): both engines read the articles of smallest sample key,
    so the result is the local one, G² and all, whether the local index was
    built by one process or by two workers (which number documents otherwise)."""
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 40)  # 720 articles
    assert Pusher(connect(nodes.url), nodes.url, "lots", tmp_path / "state").update(
        [corpus]).added == 720  # fmt: skip
    Indexer(tmp_path / "one", workers=0).update([corpus])
    Indexer(tmp_path / "two", workers=2).update([corpus])
    with ClusterEngine(nodes.url, "lots") as remote, Engine(tmp_path / "one") as one, Engine(
        tmp_path / "two") as two:  # fmt: skip
        for text in ("OTAN OU Finlande", "pays OU gouvernement"):
            here = one.related(text, top=20)
            assert here.matches > SAMPLE and here.documents > BACKGROUND, here.matches
            assert two.related(text, top=20) == here, text
            assert remote.related(text, top=20) == here, text


async def test_the_tui_reads_the_cluster(
    nodes: LocalCluster, pushed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every view of the TUI on the cluster: hits and facets, an article, the
    trend, the concordance, related and an export, each as the cluster's
    engine answers; the status line names the cluster, and ctrl+r, which
    would push this machine's files, says how to push instead."""
    monkeypatch.chdir(tmp_path)
    with ClusterEngine(nodes.url, pushed) as remote:
        total = remote.search("Finlande").total
        in_sweden = remote.search("Finlande", filters=Filters(countries=("SE",))).total
        lines = [(x.id, x.field, x.start) for x in concordance(remote, "Finlande")]  # type: ignore[arg-type]
        words = [k.text for k in remote.related("Finlande", top=15).words]
        months = remote.trend(["Finlande"]).series[0].counts
    app = SearchApp(tmp_path / "no-local-index", SEEDS, "Finlande", history=tmp_path / "history",
                    cluster=(nodes.url, pushed))  # fmt: skip
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith(f"{total} hits"))
        assert status(app).endswith(f"cluster {nodes.url}/{pushed}")
        countries = app.query_one("#countries", SelectionList)
        countries.focus()
        countries.highlighted = [str(o.value) for o in countries.options].index("SE")  # type: ignore[attr-defined]
        await pilot.press("space")
        await wait_for(pilot, lambda: status(app).startswith(f"{in_sweden} hits"))
        await pilot.press("ctrl+r")
        await idle(pilot)
        await wait_for(pilot, lambda: any("search index PATH --cluster" in str(n.message)
                                          for n in app._notifications))  # fmt: skip
        app.query_one("#chip-country-SE", Button).press()
        await wait_for(pilot, lambda: status(app).startswith(f"{total} hits"))

        app.query_one(ResultsList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
        assert app.screen.matches  # type: ignore[attr-defined]
        await pilot.press("escape")
        trend = await open_trend(pilot)
        assert trend.trend is not None and trend.trend.series[0].counts == months
        await pilot.press("escape")
        kwic = await open_view(pilot, "x", ConcordanceScreen, lambda view: view.done)
        assert [(x.id, x.field, x.start) for x in kwic.lines] == lines
        await pilot.press("escape")
        related = await open_view(pilot, "r", RelatedScreen, lambda view: view.related)
        assert related.related is not None
        assert [k.text for k in related.related.words] == words and words
        await pilot.press("escape")
        dialog = await open_view(pilot, "e", ExportScreen)
        dialog.query_one("#export-go", Button).press()
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen))
        await app.workers.wait_for_complete()
        await idle(pilot)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "finlande.csv").read_text("utf-8"))))
    assert len(rows) == total


def held_export(
    nodes: LocalCluster, tmp_path: Path, index: str
) -> tuple[int, subprocess.Popen[bytes], bytes]:
    """720 articles pushed to *index* (two scroll pages and a half), and an
    export of them started and held after its first line: nobody reads its
    output, so it waits on its full pipe. The total, the process, that line."""
    corpus = tmp_path / "corpus"
    make_corpus(corpus, 40)
    env = env_for(nodes, tmp_path, index)
    assert run_subprocess("index", str(corpus), env=env).returncode == 0
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    full_env.update(env)
    # Unbuffered: readline() takes the first line alone. A buffered reader takes
    # what the pipe holds, and communicate() (selecting on stdout and stderr)
    # reads on from the pipe, not from that buffer: the lines between were
    # lost, and the rest began mid-line (an export that was whole looked broken).
    export = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "export", "--format", "jsonl", "--text"],
        env=full_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
    )  # fmt: skip
    assert export.stdout is not None and export.stderr is not None
    first = export.stdout.readline()
    assert json.loads(first)["id"]
    return count(nodes, index), export, first


def test_an_export_whose_scroll_is_lost_fails_in_one_line(
    nodes: LocalCluster, tmp_path: Path
) -> None:
    """Every scroll context cleared while the export waits on its full pipe
    (what a node leaving does to the contexts it held): exit 2 with one
    line, never exit 0 with the first page alone (opensearch-py's scan
    helper ends quietly there)."""
    total, export, first = held_export(nodes, tmp_path, "export-lost")
    connect(nodes.url).clear_scroll(scroll_id="_all")
    rest, errors = export.communicate(timeout=300)
    message = errors.decode()
    assert export.returncode == 2, message
    assert message.startswith("error: cluster ") and message.count("\n") == 1, message
    assert "run it again" in message
    assert 0 < len([first, *rest.splitlines()]) < total


def test_a_node_stopped_during_an_export_never_gives_a_short_file(
    nodes: LocalCluster, tmp_path: Path
) -> None:
    """The export is held half-way (nobody reads its output, the pipe fills)
    while a node stops: it then either gives every match, once each, or
    fails in one line (exit 2); never a quietly short export."""
    total, export, first = held_export(nodes, tmp_path, "export-node")
    other = 1 - nodes.elected()
    # Stopped where its copies served the export's first page (or not: both
    # outcomes below are right), while the export waits on its full pipe.
    nodes.stop_node(other)
    try:
        rest, errors = export.communicate(timeout=300)
    finally:
        nodes.start_node(other)
        nodes.wait_for("green", nodes=2)
    lines = [first, *rest.splitlines()]
    if export.returncode == 0:
        ids = [json.loads(line)["id"] for line in lines]
        assert len(ids) == len(set(ids)) == total
    else:
        message = errors.decode()
        assert export.returncode == 2, message
        assert message.startswith("error: cluster ") and message.count("\n") == 1, message
        assert len(lines) < total
