"""The same articles in the local index and in a real OpenSearch cluster, one run:
push rate against the local build, query latency of the four query sets on
both, whether they find the same articles and facets; the stories of the
whole index and collapsed queries (story totals, latency); ``related``
(top-20 agreement), ``trend`` and ``kwic`` on both; the nodes' memory.

A cluster of ``--nodes`` real nodes (``cluster/node``, JVMs of their own on
loopback ports, 512 MB heaps; 2 shards, 1 replica when there are two nodes)
is started, fed the first ``--docs`` OrangeSum articles, then stopped.

    python bench/cluster.py --docs 3000 --nodes 2
    python bench/cluster.py --docs 0 --nodes 1      # the whole corpus, one node

The local build and the push use the same ``--workers`` (default: one per
core for an update over 4 MB, as ``search index``).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cluster import scroll  # noqa: E402
from cluster.connection import connect  # noqa: E402
from cluster.engine import ClusterEngine  # noqa: E402
from cluster.local_nodes import LocalCluster  # noqa: E402
from cluster.push import Pusher  # noqa: E402
from index.writer import Indexer  # noqa: E402
from search.concordance import concordance  # noqa: E402
from search.engine import Engine  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "orangesum.jsonl.gz"
QUERIES = ROOT / "bench" / "queries"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _facets(counts: Any) -> tuple[Any, ...]:
    """The top ten countries and persons and every period, with their counts."""
    return tuple(
        [(v.value, v.count) for v in values]
        for values in (counts.countries, counts.persons, counts.dates)
    )


def _timed(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    found = call(*args, **kwargs)
    return found, (time.perf_counter() - began) * 1000


def _latency(times: dict[str, list[float]]) -> dict[str, float]:
    return {
        **{f"{k}_p50_ms": round(percentile(t, 0.5), 1) for k, t in times.items()},
        **{f"{k}_p95_ms": round(percentile(t, 0.95), 1) for k, t in times.items()},
    }


def _related(local: Engine, remote: ClusterEngine, per_set: int) -> dict[str, Any]:
    """``related`` on the first queries of each set: how much of the local top
    20 of each list the cluster finds, and the time each takes."""
    times: dict[str, list[float]] = {"local": [], "cluster": []}
    overlap: dict[str, list[float]] = {"words": [], "expressions": [], "persons": [],
                                       "countries": []}  # fmt: skip
    same = 0
    queries = 0
    for path in sorted(QUERIES.glob("*.txt")):
        for text in path.read_text(encoding="utf-8").splitlines()[:per_set]:
            here, spent = _timed(local.related, text, top=20)
            times["local"].append(spent)
            there, spent = _timed(remote.related, text, top=20)
            times["cluster"].append(spent)
            queries += 1
            same += here == there
            for name, lists in overlap.items():
                ours = {k.key for k in getattr(here, name)}
                if ours:
                    lists.append(len(ours & {k.key for k in getattr(there, name)}) / len(ours))
    return {
        "queries": queries,
        "identical": same,
        "top20_overlap": {
            k: round(statistics.mean(v), 3) if v else None for k, v in overlap.items()
        },
        **_latency(times),
    }


TREND_QUERIES = ["Macron", "grève", "Trump", "coronavirus", "football"]


def _trend(local: Engine, remote: ClusterEngine) -> dict[str, Any]:
    times: dict[str, list[float]] = {"local": [], "cluster": []}
    same = 0
    for text in TREND_QUERIES:
        here, spent = _timed(local.trend, [text], granularity="month")
        times["local"].append(spent)
        there, spent = _timed(remote.trend, [text], granularity="month")
        times["cluster"].append(spent)
        same += here == there
    return {"queries": len(TREND_QUERIES), "equal": same, **_latency(times)}


def _kwic(local: Engine, remote: ClusterEngine, word: str) -> dict[str, Any]:
    """The first line and every line of a common word's concordance, by date."""
    found: dict[str, Any] = {}
    lines: dict[str, list[Any]] = {}
    for name, engine in (("local", local), ("cluster", remote)):
        began = time.perf_counter()
        stream = concordance(engine, word, order="date")  # type: ignore[arg-type]
        first = next(stream, None)
        found[f"{name}_first_ms"] = round((time.perf_counter() - began) * 1000, 1)
        lines[name] = [first, *stream] if first is not None else []
        found[f"{name}_all_ms"] = round((time.perf_counter() - began) * 1000, 1)
    def shown(line: Any) -> tuple[Any, ...]:  # the line as printed (ids are the cluster's own)
        return (line.title, line.date, line.field, line.left, line.match, line.right)

    here, there = [*map(shown, lines["local"])], [*map(shown, lines["cluster"])]
    found.update(
        word=word, lines=len(here), same_lines=sorted(here) == sorted(there),
        # Articles of one day come in an order of their own on each side.
        same_date_order=[line[1] for line in here] == [line[1] for line in there],
    )  # fmt: skip
    return found


def _stories(local: Engine, remote: ClusterEngine, queries: list[str]) -> dict[str, Any]:
    """The stories with copies of the whole index on both sides (as sets of
    record ids), and collapsed queries: the same story totals, and latency."""
    reader = local._searcher.reader()
    labels = local.facet_table.stories
    here: dict[int, set[str]] = {}
    for doc, label in enumerate(labels.tolist()):
        if reader.has_deletions() and reader.is_deleted(doc):
            continue
        here.setdefault(label, set()).add(reader.stored_fields(doc)["id"].rsplit("#", 1)[-1])
    mine = {frozenset(s) for s in here.values() if len(s) > 1}
    there: dict[str, set[str]] = {}
    body = {"query": {"range": {"story_size": {"gte": 2}}}, "_source": ["article_id", "story"]}
    for page in scroll.pages(remote.client, remote.index, body, 1000):
        for hit in page:
            source = hit["_source"]
            there.setdefault(source["story"], set()).add(source["article_id"].rsplit("#", 1)[-1])
    theirs = {frozenset(s) for s in there.values()}
    times: dict[str, list[float]] = {"local": [], "cluster": []}
    same_total = 0
    for text in queries:
        began = time.perf_counter()
        a = local.search(text, collapse=True, facets=True)
        times["local"].append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        b = remote.search(text, collapse=True, facets=True)
        times["cluster"].append((time.perf_counter() - began) * 1000)
        same_total += (a.total, a.articles) == (b.total, b.articles)
    return {
        "stories_with_copies": {"local": len(mine), "cluster": len(theirs),
                                "same": len(mine & theirs)},
        "articles_in_them": {"local": sum(map(len, mine)), "cluster": sum(map(len, theirs))},
        "collapsed_queries": len(queries), "same_story_total": same_total,
        **_latency(times),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=3000, help="0: every article")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--per-set", type=int, default=50, help="queries of each set")
    parser.add_argument("--related", type=int, default=10, help="related: queries of each set")
    parser.add_argument("--kwic-word", default="gouvernement", help="the concordance measured")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "cluster.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    corpus = work / "corpus"
    corpus.mkdir()
    with gzip.open(CORPUS, "rt", encoding="utf-8") as stream:
        lines = list(itertools.islice(stream, args.docs or None))
    (corpus / "orangesum.jsonl").write_text("".join(lines), encoding="utf-8")
    result: dict[str, Any] = {"docs": len(lines), "nodes": args.nodes, "workers": args.workers}

    started = time.perf_counter()
    Indexer(work / "index", workers=args.workers).update([corpus])
    result["local_build_s"] = round(time.perf_counter() - started, 1)

    nodes = LocalCluster(work / "nodes", count=args.nodes).start()
    try:
        client = connect(nodes.url)
        pusher = Pusher(client, nodes.url, "bench", work / "state", workers=args.workers)
        pusher.ensure_index(shards=2, replicas=1 if args.nodes > 1 else 0)
        started = time.perf_counter()
        report = pusher.update([corpus])
        result["push_s"] = round(time.perf_counter() - started, 1)
        result["pushed"] = report.added
        result["push_problems"] = len(report.problems)
        result["push_per_s"] = round(report.added / result["push_s"], 1)
        # Part of the push: persons merged across the index (cluster.persons).
        result["push_merge"] = {"rewritten": pusher.last_merge[0],
                                "seconds": round(pusher.last_merge[1], 1)}  # fmt: skip
        result["push_grouping"] = {"rewritten": pusher.last_grouping[0],
                                   "seconds": round(pusher.last_grouping[1], 1)}  # fmt: skip
        result["local_build_per_s"] = round(len(lines) / result["local_build_s"], 1)
        sets: dict[str, Any] = {}
        with Engine(work / "index") as local, ClusterEngine(nodes.url, "bench") as remote:
            for path in sorted(QUERIES.glob("*.txt")):
                queries = path.read_text(encoding="utf-8").splitlines()[: args.per_set]
                times: dict[str, list[float]] = {"local": [], "cluster": []}
                same_total = same_facets = 0
                overlap = []
                for text in queries:
                    began = time.perf_counter()
                    here = local.search(text, collapse=False, facets=True)
                    times["local"].append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    there = remote.search(text, facets=True)
                    times["cluster"].append((time.perf_counter() - began) * 1000)
                    same_total += here.total == there.total
                    same_facets += _facets(here.facets) == _facets(there.facets)
                    if here.hits:
                        ten = {h.id.rsplit("#", 1)[-1] for h in here.hits}
                        got = {h.id.rsplit("#", 1)[-1] for h in there.hits}
                        overlap.append(len(ten & got) / len(ten))
                sets[path.stem] = {
                    "queries": len(queries),
                    "same_total": same_total,
                    "same_facets": same_facets,
                    "top10_overlap": round(statistics.mean(overlap), 3) if overlap else None,
                    **_latency(times),
                }
            result["query_sets"] = sets
            collapsed = [q for path in sorted(QUERIES.glob("*.txt"))
                         for q in path.read_text(encoding="utf-8").splitlines()[:10]]  # fmt: skip
            result["stories"] = _stories(local, remote, collapsed)
            result["related"] = _related(local, remote, args.related)
            result["trend"] = _trend(local, remote)
            result["kwic"] = _kwic(local, remote, args.kwic_word)
        result["node_rss_mb"] = [round(rss_mb(p.pid)) for p in nodes.processes.values()]
    finally:
        nodes.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
