"""Everything a client (the CLI, the TUI, a script) needs, in one import.

from search.api import Engine, Indexer, ensure_index

index_dir = Path("~/idx").expanduser()
ensure_index(index_dir, corpus=Path("articles"))  # builds it the first time
with Engine(index_dir) as engine:
    for hit in engine.search("Finlande OTAN").hits:
        print(hit.title, hit.snippet.text)
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.manifest import Manifest
from index.store import (
    COMMIT_EVERY,
    CorpusMissing,
    IndexForeign,
    IndexLocked,
    IndexMissing,
    IndexOutdated,
    IndexProblem,
    IndexUnreadable,
    check_directory,
    index_exists,
    index_outdated,
)
from search.concordance import KwicOrder, Occurrence, concordance, sort_lines
from search.config import SEEDS_DIR
from search.engine import Article, Engine, Hit, IndexStats, SearchResults, Sort, Unit
from search.facets import FacetCounts, FacetValue, Granularity, country_name
from search.filters import Filters
from search.keyness import Keyword, Related
from search.query import FilterError, QuerySyntaxError
from search.snippets import Snippet
from search.trend import Series, Trend

# The write side (readers, extraction, watching) is imported on first use:
# `search query` in a fresh process must not pay for modules it never runs.
_LAZY = {
    "Problem": "index.articles",
    "ClusterEngine": "cluster.engine",
    "Diagnosis": "index.doctor",
    "diagnose": "index.doctor",
    "repair": "index.doctor",
    "inspect_paths": "index.extraction",
    "Watcher": "index.watch",
    "Indexer": "index.writer",
    "IndexReport": "index.writer",
    "Progress": "index.writer",
    "ProgressCallback": "index.writer",
}

if TYPE_CHECKING:
    from cluster.engine import ClusterEngine
    from index.articles import Problem
    from index.doctor import Diagnosis, diagnose, repair
    from index.extraction import inspect_paths
    from index.watch import Watcher
    from index.writer import Indexer, IndexReport, Progress, ProgressCallback


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COMMIT_EVERY",
    "Article",
    "ClusterEngine",
    "CorpusMissing",
    "Diagnosis",
    "Engine",
    "FacetCounts",
    "FacetValue",
    "FilterError",
    "Filters",
    "Granularity",
    "Hit",
    "IndexForeign",
    "IndexLocked",
    "IndexMissing",
    "IndexOutdated",
    "IndexProblem",
    "IndexReport",
    "IndexStats",
    "IndexUnreadable",
    "Indexer",
    "Keyword",
    "KwicOrder",
    "Occurrence",
    "Problem",
    "Progress",
    "ProgressCallback",
    "QuerySyntaxError",
    "Related",
    "SearchResults",
    "Series",
    "Snippet",
    "Sort",
    "Trend",
    "Unit",
    "Watcher",
    "check_directory",
    "concordance",
    "corpus_roots",
    "country_name",
    "diagnose",
    "ensure_index",
    "index_exists",
    "index_outdated",
    "inspect_paths",
    "repair",
    "sort_lines",
]


def corpus_roots(directory: Path, corpus: Path) -> list[Path]:
    """What an index covers when no folder is named: the folders it was built from
    (so that ``--rebuild`` or a repair never drops one), else *corpus*.

    A corpus other than the shipped seeds (``--corpus``, ``SEARCH_CORPUS``) is
    added to them; the seeds are never mixed into a user's archive.
    """
    with Manifest.load(directory) as manifest:
        covered = [Path(r) for r in manifest.roots]
    if not covered:
        return [corpus]
    corpus = Path(os.path.realpath(corpus))
    known = {Path(os.path.realpath(r)) for r in covered}
    if corpus != Path(os.path.realpath(SEEDS_DIR)) and corpus not in known:
        covered.append(corpus)
    return covered


def ensure_index(
    directory: Path, corpus: Path, progress: ProgressCallback | None = None
) -> IndexReport | None:
    """Build the index from *corpus* if *directory* holds none yet, or rebuild it
    from the folders it covered if an older version built it.

    Returns the build's report, or ``None`` when the index was ready. Raises
    :class:`CorpusMissing` rather than build an empty index from a folder
    that does not exist.
    """
    if index_exists(directory) and not index_outdated(directory):
        return None
    from index.writer import Indexer

    # Nothing the index covered is reachable (it was built from another
    # checkout's seeds, say): it is rebuilt from the corpus, if that exists.
    roots = [r for r in corpus_roots(directory, corpus) if r.exists()] or [corpus]
    if not corpus.exists() and roots == [corpus]:
        raise CorpusMissing(directory, corpus)
    return Indexer(directory).update(roots, progress=progress)
