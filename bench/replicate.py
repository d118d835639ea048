"""An index made of N copies of another index's segments, to measure reading at a
size whose build does not fit in a working session (30x OrangeSum is a
three-hour build on the 2-core machine; three copies of the 10x index take a
minute).

    python bench/replicate.py --source bench/out/scale/index-x10 --copies 3 \\
        --out bench/out/scale/index-x30r [--merge]

Each copy of a segment is its compound file under a new segment id (the names
in the file's directory are rewritten, nothing else), with its facet cache
under the same new id; the first copy is hard-linked. The result holds what a
build of the corpus repeated that many more times holds, except that every
copy keeps its source's article ids: reading (ranking, snippets, facets,
stories) never looks an article up by id, except ``search show``. ``--merge``
then runs the writer's tiered merges (``Indexer.update([])``), as the end of a
build would. The source is only read.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whoosh.filedb.compound import CompoundStorage  # noqa: E402
from whoosh.filedb.filestore import FileStorage  # noqa: E402
from whoosh.filedb.structfile import StructFile  # noqa: E402
from whoosh.index import TOC  # noqa: E402

from index.manifest import MANIFEST  # noqa: E402
from index.store import INDEX_NAME  # noqa: E402

SEGMENT_CACHES = ".facets-segments"
# The index's own files besides segments and the table of contents.
KEPT_FILES = ("french-news-search-index.json", MANIFEST)


def _renamed_copy(source: Path, target: Path, old_id: str, new_id: str) -> None:
    """*source*'s compound file at *target*, its member names under *new_id*."""
    shutil.copyfile(source, target)
    dbfile = StructFile(target.open("r+b"))
    dirpos = dbfile.read_long()
    dbfile.read_int()
    dbfile.seek(dirpos)
    directory = dbfile.read_pickle()
    options = dbfile.read_pickle()
    renamed = {new_id + name[len(old_id):]: entry for name, entry in directory.items()}
    assert len(renamed) == len(directory) and all(n.startswith(old_id) for n in directory)
    dbfile.seek(dirpos)
    dbfile.file.truncate()
    CompoundStorage.write_dir(dbfile, 0, renamed, options)  # closes the file


def replicate(source: Path, out: Path, copies: int) -> int:
    """Write the copies' segments and a table of contents listing them all."""
    storage = FileStorage(str(source))
    toc = TOC.read(storage, INDEX_NAME)
    out.mkdir(parents=True)
    (out / SEGMENT_CACHES).mkdir()
    segments = []
    for n in range(copies):
        for segment in toc.segments:
            clone = copy.copy(segment)
            if n:
                clone.segid = segment._random_id()
            old, new = segment.segment_id(), clone.segment_id()
            if n:
                _renamed_copy(source / f"{old}.seg", out / f"{new}.seg", old, new)
            else:
                os.link(source / f"{old}.seg", out / f"{new}.seg")
            cache = source / SEGMENT_CACHES / f"{old}.npz"
            if cache.exists():
                shutil.copyfile(cache, out / SEGMENT_CACHES / f"{new}.npz")
            segments.append(clone)
    for name in KEPT_FILES:
        shutil.copyfile(source / name, out / name)
    TOC(toc.schema, segments, toc.generation + 1).write(FileStorage(str(out)), INDEX_NAME)
    return sum(s.doc_count() for s in segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--merge", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    articles = replicate(args.source, args.out, args.copies)
    print(f"{articles:,} articles in {time.perf_counter() - started:.0f} s", flush=True)
    if args.merge:
        from index.store import open_index
        from index.writer import Indexer

        started = time.perf_counter()
        Indexer(args.out).update([])
        sizes = sorted(s.doc_count() for s in open_index(args.out)._segments())
        print(f"merged in {time.perf_counter() - started:.0f} s: segments {sizes}", flush=True)


if __name__ == "__main__":
    main()
