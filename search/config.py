"""Where the index and the default corpus are: flags, then environment, then defaults.

Scripts rely on these names: ``SEARCH_INDEX`` (the index directory) and
``SEARCH_CORPUS`` (the folder indexed when no path is given), overridden by
the ``--index`` / ``--corpus`` flags.
"""

from __future__ import annotations

import os
from pathlib import Path

INDEX_ENV = "SEARCH_INDEX"
CORPUS_ENV = "SEARCH_CORPUS"
# A cluster instead of the local index (``--cluster``, ``--cluster-index``).
CLUSTER_ENV = "SEARCH_CLUSTER"
CLUSTER_INDEX_ENV = "SEARCH_CLUSTER_INDEX"
DEFAULT_CLUSTER_INDEX = "presse"

# The example articles shipped with the project, beside the packages.
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


def cluster_index_url(url: str, index: str) -> str:
    """``https://host:9200/presse``: a cluster's index as messages and reports
    name it (never a ``Path``: it folds the ``//`` of the scheme)."""
    return f"{url.rstrip('/')}/{index}"


def data_dir() -> Path:
    """The per-user data folder (XDG): the default index, and what a push to a
    cluster remembers (``cluster-*.json``)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "french-news-search"


def default_index_dir() -> Path:
    """``$SEARCH_INDEX``, else a per-user data folder (XDG), so every shell finds one index."""
    if value := os.environ.get(INDEX_ENV):
        return Path(value).expanduser()
    return data_dir() / "index"


def default_corpus_dir() -> Path:
    """``$SEARCH_CORPUS``, else the shipped ``seeds/``."""
    if value := os.environ.get(CORPUS_ENV):
        return Path(value).expanduser()
    return SEEDS_DIR
