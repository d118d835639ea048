"""Where an index lives on disk, and opening it safely.

An index directory holds the Whoosh files plus the manifest
(:mod:`index.manifest`), which remembers what each source file looked like
when it was indexed, so that an update re-reads only what changed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from index import mapped
from index.manifest import LEGACY_MANIFEST, MANIFEST, Manifest
from index.schema import SCHEMA_VERSION, build_schema
from search.i18n import _, number

# Every reader of an index, the engine's and a writer's merges, reads segments in place.
mapped.install()

# Articles between commits when indexing: what a crash or a kill can cost at most.
COMMIT_EVERY = 10_000
INDEX_NAME = "articles"


class IndexProblem(Exception):
    """Base class for index problems shown to users as one line."""

    def __init__(self, directory: Path | str, message: str) -> None:
        super().__init__(message)
        self.directory = directory  # a cluster's index: its URL


class IndexMissing(IndexProblem):
    def __init__(self, directory: Path) -> None:
        message = _("no index at {index}: run `search index` to build it")
        super().__init__(directory, message.format(index=directory))


class IndexOutdated(IndexProblem):
    def __init__(self, directory: Path, version: int) -> None:
        super().__init__(
            directory,
            _(
                "the index at {index} was built by an older version (schema {version}, "
                "now {current}): run `search index` to rebuild it"
            ).format(index=directory, version=version, current=SCHEMA_VERSION),
        )


class IndexUnreadable(IndexProblem):
    def __init__(self, directory: Path, reason: str) -> None:
        self.reason = reason
        super().__init__(
            directory,
            # The fix first: a narrow status line may cut the end, and the
            # reader's own error (TypeError: …) only matters in a bug report.
            _(
                "the index at {index} is damaged: run `search doctor` to check and "
                "repair it (the reader said: {reason})"
            ).format(index=directory, reason=reason),
        )


def shortlist(items: list[str], shown: int) -> str:
    """``a, b, c and 4 more``: a list a one-line message can hold."""
    more = len(items) - shown
    if more <= 0:
        return ", ".join(items)
    return _("{items} and {more} more").format(items=", ".join(items[:shown]), more=number(more))


class CorpusMissing(IndexProblem):
    def __init__(self, directory: Path, corpus: Path) -> None:
        super().__init__(
            directory,
            _(
                "no index at {index}, and the corpus folder {corpus} to build it from "
                "does not exist (set --corpus or SEARCH_CORPUS)"
            ).format(index=directory, corpus=corpus),
        )


class IndexForeign(IndexProblem):
    """The directory holds files this program did not write: it is not touched."""

    def __init__(self, directory: Path, foreign: list[str]) -> None:
        super().__init__(
            directory,
            _(
                "{directory} is not an index directory of this program (it holds {files}); "
                "nothing was changed: choose a new or empty directory for the index"
            ).format(directory=directory, files=shortlist(foreign, 3)),
        )


class IndexReadOnly(IndexProblem):
    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(
            directory,
            _("the index at {index} cannot be updated ({reason}); it can still be searched")
            .format(index=directory, reason=reason),
        )


class IndexLocked(IndexProblem):
    def __init__(self, directory: Path | str, waited: float) -> None:
        super().__init__(
            directory,
            _(
                "another process is writing the index at {index}; "
                "waited {seconds}s, try again when it has finished"
            ).format(index=directory, seconds=f"{waited:.0f}"),
        )


# Written when an index is created: the program deletes, replaces or moves
# only directories that hold it, and in them only the files it wrote.
OWNER_MARKER = "french-news-search-index.json"
# Every file name an index directory may hold that the program wrote: its
# marker and manifest, the update lock, Whoosh's files (``_articles_N.toc``,
# ``articles_<segment>.seg`` and its other segment files, such as a column left
# by a writer that failed, ``articles_<segment>._stored.col``; ``articles_WRITELOCK``,
# the writer's temporary folder ``articles.tmp``),
# unfinished saves and the facet caches.
_OWN_NAME = re.compile(
    r"(french-news-search-index\.json|manifest\.json|manifest\.sqlite(-journal)?|update\.lock"
    r"|_?articles(_\w+)?(\.\w+)*|\.manifest-\w+\.tmp|\.facets-[\w.-]+|\.tmp-[\w.]+)\Z"
)


def is_own_file(name: str) -> bool:
    """Whether a file named *name* in an index directory is one the program writes."""
    return _OWN_NAME.match(name) is not None


def foreign_files(directory: Path) -> list[str]:
    """Names of what *directory* holds that the program did not write (sorted)."""
    try:
        return sorted(p.name for p in directory.iterdir() if not is_own_file(p.name))
    except FileNotFoundError:
        return []


def is_own_directory(directory: Path) -> bool:
    """Whether *directory* was made by this program as an index: it has the marker,
    or (indexes built before the marker existed) both a manifest and Whoosh's TOC."""
    if (directory / OWNER_MARKER).is_file():
        return True
    manifests = (directory / MANIFEST, directory / LEGACY_MANIFEST)
    return any(m.is_file() for m in manifests) and index_exists(directory)


def check_directory(directory: Path) -> None:
    """Raise :class:`IndexProblem` unless *directory* is missing, empty or an index
    directory of this program (what may become or stay one)."""
    if directory.exists() and not directory.is_dir():
        raise IndexProblem(
            directory, _("{directory} is a file, not a directory").format(directory=directory)
        )
    if not is_own_directory(directory):
        foreign = foreign_files(directory)
        if foreign:
            raise IndexForeign(directory, foreign)


def claim_directory(directory: Path) -> None:
    """Make *directory* an index directory, or refuse (:class:`IndexForeign`) when it
    holds files the program did not write and is not already one.

    A missing or empty directory is created and marked; an index of an older
    version is marked on first write. File modes follow the directory's.
    """
    check_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / OWNER_MARKER
    if not marker.exists():
        data = {"program": "french-news-search", "created": time.time()}
        # An index of an older version on a read-only disk stays unmarked; the
        # update that follows says what it cannot do.
        with contextlib.suppress(OSError):
            write_atomically(marker, json.dumps(data).encode("utf-8"))


def file_mode(directory: Path) -> int:
    """The mode for a file the index writes: the directory's, without execute bits
    (a 0755 folder gets 0644 files, a 0770 one 0660)."""
    try:
        return directory.stat().st_mode & 0o666
    except OSError:
        return 0o644


@contextlib.contextmanager
def replacing(path: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text file that becomes *path* only once the ``with`` block completes:
    an export that fails half-way (a cluster node gone, a full disk) leaves
    the old file, or none, never a short one that looks whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        os.fchmod(fd, file_mode(path.parent))
        with os.fdopen(fd, "w", encoding=encoding, newline="") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write *path* so that a crash leaves the old file or the new, never half
    (*durable*: on disk before it replaces the old one; caches need not be)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, file_mode(path.parent))
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            if durable:
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# How long a second writer waits for the first before giving up.
LOCK_TIMEOUT_S = 30.0
UPDATE_LOCK = "update.lock"


@contextlib.contextmanager
def update_lock(
    directory: Path,
    timeout: float = LOCK_TIMEOUT_S,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the right to update the index in *directory*, waiting up to *timeout*.

    Taken before the manifest and the index are read, so that a second writer
    plans its work from what the first one committed, not from what was there
    when it started. ``flock`` locks die with their process: a killed writer
    never leaves a stale lock behind.
    """
    directory.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(directory / UPDATE_LOCK, os.O_CREAT | os.O_RDWR, file_mode(directory))
    except OSError as error:
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise IndexReadOnly(directory, error.strerror or str(error)) from error
        raise
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(directory, timeout) from None
                if on_wait is not None:  # once: say why nothing seems to happen
                    on_wait(_(
                        "another process is writing the index at {index}; "
                        "waiting for it (at most {seconds} s) …"
                    ).format(index=directory, seconds=f"{timeout:.0f}"))  # fmt: skip
                    on_wait = None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # releases the lock


def discard_leftovers(directory: Path) -> None:
    """Remove the temporary files of saves that a killed writer never finished
    (only call it holding :func:`update_lock`)."""
    for pattern in (".manifest-*.tmp", ".tmp-*"):
        for leftover in directory.glob(pattern):
            leftover.unlink(missing_ok=True)


def index_exists(directory: Path) -> bool:
    """Whether *directory* holds an index, readable or not (a damaged one must not be
    mistaken for none, or the next update would silently start afresh)."""
    return directory.is_dir() and any(directory.glob(f"_{INDEX_NAME}_*.toc"))


def index_outdated(directory: Path) -> bool:
    """Whether *directory* holds an index written with another schema or chain
    (an upgrade): its fields and terms cannot be read as today's."""
    return index_exists(directory) and Manifest.schema_version_of(directory) != SCHEMA_VERSION


def open_index(directory: Path) -> FileIndex:
    """Open an existing index, turning Whoosh's many failure modes into one clear error."""
    if not index_exists(directory):
        raise IndexMissing(directory)
    try:
        return whoosh_index.open_dir(str(directory), indexname=INDEX_NAME)
    except Exception as error:  # corrupt TOC or segments raise anything from EOFError up
        raise IndexUnreadable(directory, f"{type(error).__name__}: {error}") from error


def create_index(directory: Path) -> FileIndex:
    """A new, empty index in *directory* (see :func:`claim_directory`)."""
    claim_directory(directory)
    return whoosh_index.create_in(str(directory), build_schema(), indexname=INDEX_NAME)
