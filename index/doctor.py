"""Checking an index against its corpus folders, and repairing it.

``diagnose`` reads the whole index (every stored document, every term list,
the postings of every id and path) and compares it with the files on disk:
articles missing from the index, stale (the file changed since), orphaned
(the file is gone), and segments that cannot be read. ``repair`` fixes the
first three with an ordinary incremental update; a damaged index is rebuilt
from the folders into a new directory that then replaces the old one, so
the damaged index keeps answering (as well as it can) until the new one is
complete.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.reading import SegmentReader

from index.readers import discover
from index.store import IndexProblem, Manifest, index_exists, open_index
from index.writer import (
    Indexer,
    IndexReport,
    ProgressCallback,
    content_digest,
    file_signature,
    within,
)


@dataclass
class Diagnosis:
    directory: Path
    roots: list[str]
    documents: int = 0
    damage: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    unreachable_roots: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (self.damage or self.missing or self.stale or self.orphaned)


def _check_segments(ix: Any, diagnosis: Diagnosis) -> set[str]:
    """Read everything a query may touch; return the indexed paths."""
    paths: set[str] = set()
    for segment in ix._segments():
        name = segment.segment_id()
        try:
            with SegmentReader(ix.storage, ix.schema, segment) as reader:
                for docnum in range(reader.doc_count_all()):
                    if not reader.is_deleted(docnum):
                        paths.add(reader.stored_fields(docnum).get("path", ""))
                for fieldname in reader.indexed_field_names():
                    for n, term in enumerate(reader.lexicon(fieldname)):
                        # Every posting list of the small fields, a sample of
                        # the others (all of them would take minutes).
                        if fieldname in ("id", "path") or n % 50 == 0:
                            postings = reader.postings(fieldname, term)
                            while postings.is_active():
                                postings.next()
        except Exception as error:  # whatever a damaged segment raises
            diagnosis.damage.append(f"segment {name}: {type(error).__name__}: {error}")
    return paths


def diagnose(directory: Path, roots: list[Path] | None = None) -> Diagnosis:
    """What is wrong with the index at *directory* (roots: the manifest's by default)."""
    manifest = Manifest.load(directory)
    root_paths = [Path(os.path.abspath(r)) for r in roots] if roots else []
    root_paths = root_paths or [Path(r) for r in manifest.roots]
    diagnosis = Diagnosis(directory, [str(r) for r in root_paths])
    if not index_exists(directory):
        diagnosis.damage.append("no index in this directory")
        return diagnosis
    try:
        ix = open_index(directory)
    except IndexProblem as error:
        diagnosis.damage.append(str(error))
        return diagnosis
    try:
        diagnosis.documents = ix.doc_count()
        indexed = _check_segments(ix, diagnosis)
    except Exception as error:  # a diagnosis must survive any damage
        diagnosis.damage.append(f"{type(error).__name__}: {error}")
    finally:
        ix.close()
    if diagnosis.damage:
        return diagnosis  # a rebuild re-reads every file anyway

    reachable = [r for r in root_paths if r.exists()]
    diagnosis.unreachable_roots = [str(r) for r in root_paths if not r.exists()]
    files, _ = discover(reachable)
    on_disk = {str(f) for f in files}
    for path in files:
        key = str(path)
        known = manifest.files.get(key)
        if key not in indexed and not (known and known.articles == 0):
            diagnosis.missing.append(key)
        elif known is None:
            diagnosis.stale.append(key)  # indexed, but no record of which version
        else:
            try:
                same = (known.size, known.mtime_ns) == file_signature(path)
                if not same and content_digest(path) != known.digest:
                    diagnosis.stale.append(key)
            except OSError:
                diagnosis.stale.append(key)
    diagnosis.orphaned = sorted(p for p in indexed if p not in on_disk and within(p, reachable))
    return diagnosis


def repair(
    diagnosis: Diagnosis,
    *,
    entities: bool = True,
    progress: ProgressCallback | None = None,
) -> IndexReport:
    """Fix what *diagnosis* found: update in place, or rebuild and swap when damaged."""
    directory = diagnosis.directory
    roots = [Path(r) for r in diagnosis.roots]
    if not diagnosis.damage:
        return Indexer(directory, entities=entities).update(roots, progress=progress)
    fresh = directory.with_name(f".{directory.name}.rebuild-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    report = Indexer(fresh, entities=entities).update(roots, rebuild=True, progress=progress)
    swap_in(fresh, directory)
    return report


def swap_in(fresh: Path, directory: Path) -> None:
    """Replace *directory* by *fresh*: two renames, the old one deleted last."""
    old = directory.with_name(f".{directory.name}.damaged-{int(time.time())}")
    if directory.exists():
        os.rename(directory, old)
    os.rename(fresh, directory)
    shutil.rmtree(old, ignore_errors=True)
