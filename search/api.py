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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.store import (
    COMMIT_EVERY,
    IndexLocked,
    IndexMissing,
    IndexOutdated,
    IndexProblem,
    IndexUnreadable,
    Manifest,
    index_exists,
    index_outdated,
)
from search.engine import Article, Engine, Hit, IndexStats, SearchResults, Sort
from search.facets import FacetCounts, FacetValue, Filters, Granularity
from search.query import QuerySyntaxError
from search.snippets import Snippet

# The write side (readers, extraction, watching) is imported on first use:
# `search query` in a fresh process must not pay for modules it never runs.
_LAZY = {
    "Problem": "index.articles",
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
    "Diagnosis",
    "Engine",
    "FacetCounts",
    "FacetValue",
    "Filters",
    "Granularity",
    "Hit",
    "IndexLocked",
    "IndexMissing",
    "IndexOutdated",
    "IndexProblem",
    "IndexReport",
    "IndexStats",
    "IndexUnreadable",
    "Indexer",
    "Problem",
    "Progress",
    "ProgressCallback",
    "QuerySyntaxError",
    "SearchResults",
    "Snippet",
    "Sort",
    "Watcher",
    "diagnose",
    "ensure_index",
    "index_exists",
    "index_outdated",
    "inspect_paths",
    "repair",
]


def ensure_index(
    directory: Path, corpus: Path, progress: ProgressCallback | None = None
) -> IndexReport | None:
    """Build the index from *corpus* if *directory* holds none yet, or rebuild it
    from the folders it covered if an older version built it.

    Returns the build's report, or ``None`` when the index was ready.
    """
    if index_exists(directory) and not index_outdated(directory):
        return None
    from index.writer import Indexer

    covered = [Path(r) for r in Manifest.load(directory).roots if Path(r).exists()]
    return Indexer(directory).update(covered or [corpus], progress=progress)
