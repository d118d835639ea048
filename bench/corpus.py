"""Shared access to ``../shared/corpora/orangesum.jsonl.gz`` for the benchmarks."""

from __future__ import annotations

import gzip
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CORPUS = SHARED / "corpora" / "orangesum.jsonl.gz"
DUPLICATES = SHARED / "corpora" / "orangesum_duplicates.txt"
QUERIES = Path(__file__).resolve().parent / "queries"


def query_sets(files: list[Path] | None = None) -> dict[str, list[str]]:
    """The fixed query sets of ``bench/queries/`` (or *files*), by name."""
    paths = files or sorted(QUERIES.glob("*.txt"))
    return {p.stem: p.read_text(encoding="utf-8").splitlines() for p in paths}


def require_corpus() -> Path:
    if not CORPUS.exists():
        sys.exit(f"skipped: {CORPUS} is absent (the shared corpora are not on this machine)")
    return CORPUS


def records(limit: int | None = None) -> Iterator[dict[str, Any]]:
    with gzip.open(require_corpus(), "rt", encoding="utf-8") as stream:
        for n, line in enumerate(stream):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def duplicate_ids() -> set[str]:
    """Ids whose body is shared with another article: no single right answer."""
    ids: set[str] = set()
    if DUPLICATES.exists():
        for line in DUPLICATES.read_text().splitlines():
            ids.update(part.removesuffix(".json") for part in line.strip().split(",") if part)
    return ids


def known_item_sample(
    recs: list[dict[str, Any]], size: int, seed: int = 20261121
) -> list[dict[str, Any]]:
    """A fixed random sample of articles whose heading can serve as a query."""
    dups = duplicate_ids()
    eligible = [
        r
        for r in recs
        if r.get("article", "").strip()
        and r.get("heading", "").strip()
        and str(r["id"]) not in dups
    ]
    return random.Random(seed).sample(eligible, min(size, len(eligible)))
