"""Checking an index against its corpus folders, and repairing it.

``diagnose`` reads the whole index (every stored document, every term list,
the postings of every id and path) and compares it with the files on disk:
articles missing from the index, stale (the file changed since), orphaned
(the file is gone), and segments that cannot be read. ``repair`` fixes the
first three with an ordinary incremental update; a damaged index is rebuilt
from the folders into a new directory that then replaces the old one, so
the damaged index keeps answering (as well as it can) until the new one is
complete.

Only a directory the program made is ever touched, and a damaged one is
replaced only when it holds nothing but the index's own files: a user's
files are never deleted or moved (see :func:`index.store.claim_directory`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.reading import SegmentReader

from index.manifest import Manifest
from index.readers import discover, root_path
from index.store import (
    IndexForeign,
    IndexMissing,
    IndexProblem,
    IndexUnreadable,
    check_directory,
    foreign_files,
    index_exists,
    is_own_directory,
    is_own_file,
    open_index,
)
from index.writer import (
    Indexer,
    IndexReport,
    ProgressCallback,
    content_digest,
    file_signature,
    within,
)
from search.i18n import _


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
    # Files in the index directory that the program did not write: kept, and
    # they forbid replacing the directory.
    foreign: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (self.damage or self.missing or self.stale or self.orphaned)

    @property
    def plan(self) -> str:
        """What :func:`repair` would do, in words."""
        if self.healthy:
            return _("nothing to repair")
        if not self.damage:
            return _("update the index in place")
        if self.foreign:
            return _("none: the directory also holds files this program did not write")
        return _("rebuild from {folders} into a new directory, then replace it").format(
            folders=", ".join(self.roots) or "-"
        )


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
            diagnosis.damage.append(_("segment {name}: {error}").format(
                name=name, error=f"{type(error).__name__}: {error}"))  # fmt: skip
    return paths


def diagnose(directory: Path, roots: list[Path] | None = None) -> Diagnosis:
    """What is wrong with the index at *directory* (roots: the manifest's by default).

    Raises :class:`IndexMissing` when there is no index to check, and
    :class:`IndexForeign` when *directory* is not an index of this program.
    """
    check_directory(directory)  # a directory of the user's is refused here
    if not is_own_directory(directory):
        raise IndexMissing(directory)
    with Manifest.load(directory) as manifest:
        return _diagnose(directory, roots, manifest)


def _diagnose(directory: Path, roots: list[Path] | None, manifest: Manifest) -> Diagnosis:
    root_paths = [root_path(r) for r in roots] if roots else []
    root_paths = root_paths or [Path(r) for r in manifest.roots]
    diagnosis = Diagnosis(directory, [str(r) for r in root_paths])
    diagnosis.foreign = foreign_files(directory)
    if not index_exists(directory):
        diagnosis.damage.append("no index in this directory")
        return diagnosis
    try:
        ix = open_index(directory)
    except IndexUnreadable as error:
        diagnosis.damage.append(error.reason)
        return diagnosis
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
    manifest.prefetch()  # every file is looked at: one read, not a query per file
    on_disk = {str(f) for f in files}
    for path in files:
        key = str(path)
        known = manifest.get(key)
        if key not in indexed and not (known and known.articles == 0):
            diagnosis.missing.append(key)
        elif known is None:
            diagnosis.stale.append(key)  # indexed, but no record of which version
        else:
            try:
                same = (known.size, known.mtime_ns) == file_signature(path)
                if known.partial or (not same and content_digest(path) != known.digest):
                    diagnosis.stale.append(key)  # changed, or read only part way
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
    """Fix what *diagnosis* found: update in place, or rebuild and swap when damaged.

    A damaged index whose directory holds other files is not replaced
    (:class:`IndexForeign`): the user moves them out first.
    """
    directory = diagnosis.directory
    roots = [Path(r) for r in diagnosis.roots]
    if not diagnosis.damage:
        return Indexer(directory, entities=entities).update(roots, progress=progress)
    foreign = foreign_files(directory)
    if foreign:
        raise IndexForeign(directory, foreign)
    # A fresh, uniquely named sibling: nothing that was there before is reused.
    fresh = Path(tempfile.mkdtemp(prefix=f".{directory.name}.rebuild-", dir=directory.parent))
    try:
        if directory.exists():  # files written in it take their modes from it
            os.chmod(fresh, directory.stat().st_mode & 0o7777 | 0o700)
        report = Indexer(fresh, entities=entities).update(roots, rebuild=True, progress=progress)
        swap_in(fresh, directory)
    except BaseException:
        remove_index_directory(fresh)
        raise
    return report


def swap_in(fresh: Path, directory: Path) -> None:
    """Replace the index directory *directory* by *fresh*: two renames, then the old
    index's own files deleted (and its folder, if that leaves it empty).

    The new directory keeps the old one's permissions.
    """
    old = directory.with_name(f".{directory.name}.damaged-{time.time_ns()}")
    if directory.exists():
        os.chmod(fresh, directory.stat().st_mode & 0o7777)
        os.rename(directory, old)
    os.rename(fresh, directory)
    remove_index_directory(old)


def remove_index_directory(directory: Path) -> bool:
    """Delete the files the program wrote in *directory*, then the folder if it is
    empty; anything else is left where it is. ``True`` if the folder is gone."""
    if not directory.is_dir():
        return not directory.exists()
    for entry in directory.iterdir():
        if not is_own_file(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    try:
        directory.rmdir()
    except OSError:
        return False
    return True
