"""Where an index lives on disk, and opening it safely.

An index directory holds the Whoosh files plus ``manifest.json``, which
remembers what each source file looked like when it was indexed, so that an
update re-reads only what changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import FileIndex

from index.schema import SCHEMA_VERSION, build_schema

MANIFEST = "manifest.json"
# Articles between commits when indexing: what a crash or a kill can cost at most.
COMMIT_EVERY = 10_000
INDEX_NAME = "articles"


class IndexProblem(Exception):
    """Base class for index problems shown to users as one line."""

    def __init__(self, directory: Path, message: str) -> None:
        super().__init__(message)
        self.directory = directory


class IndexMissing(IndexProblem):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory, f"no index at {directory}: run `search index` to build it")


class IndexOutdated(IndexProblem):
    def __init__(self, directory: Path, version: int) -> None:
        super().__init__(
            directory,
            f"the index at {directory} was built by an older version (schema {version}, "
            f"now {SCHEMA_VERSION}): run `search index` to rebuild it",
        )


class IndexUnreadable(IndexProblem):
    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(
            directory,
            f"the index at {directory} is damaged ({reason}); "
            f"run `search doctor` to check and repair it",
        )


class IndexLocked(IndexProblem):
    def __init__(self, directory: Path, waited: float) -> None:
        super().__init__(
            directory,
            f"another process is writing the index at {directory}; "
            f"waited {waited:.0f}s, try again when it has finished",
        )


# How long a second writer waits for the first before giving up.
LOCK_TIMEOUT_S = 30.0
UPDATE_LOCK = "update.lock"


@contextlib.contextmanager
def update_lock(directory: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the right to update the index in *directory*, waiting up to *timeout*.

    Taken before the manifest and the index are read, so that a second writer
    plans its work from what the first one committed, not from what was there
    when it started. ``flock`` locks die with their process: a killed writer
    never leaves a stale lock behind.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / UPDATE_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(directory, timeout) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # releases the lock


@dataclass
class FileState:
    """What a source file looked like when it was last indexed."""

    size: int
    mtime_ns: int
    digest: str
    articles: int

    def to_json(self) -> list[Any]:
        return [self.size, self.mtime_ns, self.digest, self.articles]

    @classmethod
    def from_json(cls, value: list[Any]) -> FileState:
        size, mtime_ns, digest, articles = value
        return cls(int(size), int(mtime_ns), str(digest), int(articles))


@dataclass
class Manifest:
    schema_version: int = SCHEMA_VERSION
    files: dict[str, FileState] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    updated: float | None = None

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        try:
            raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            return cls(
                schema_version=int(raw.get("schema_version", 0)),
                files={p: FileState.from_json(v) for p, v in raw.get("files", {}).items()},
                roots=list(raw.get("roots", [])),
                updated=raw.get("updated"),
            )
        except (OSError, ValueError, TypeError, AttributeError):
            # A missing or damaged manifest only costs re-hashing: the index
            # itself is the truth about which documents exist.
            return cls()

    @classmethod
    def schema_version_of(cls, directory: Path) -> int:
        """The schema version alone, from the manifest's first bytes (:meth:`save`
        writes it first): opening the index for a query must not parse the entry
        of every file of a large archive."""
        try:
            with (directory / MANIFEST).open("rb") as stream:
                head = stream.read(64)
        except OSError:
            return SCHEMA_VERSION  # as load(): no manifest is not an old index
        found = re.match(rb'\{"schema_version": (\d+)', head)
        return int(found.group(1)) if found else cls.load(directory).schema_version

    @staticmethod
    def discard_leftovers(directory: Path) -> None:
        """Remove the temporary files of saves that a killed writer never finished
        (only call it holding :func:`update_lock`)."""
        for leftover in directory.glob(".manifest-*.tmp"):
            leftover.unlink(missing_ok=True)

    def save(self, directory: Path) -> None:
        """Write atomically, so a crash leaves the old manifest or the new, never half."""
        data = {
            "schema_version": self.schema_version,
            "updated": self.updated,
            "roots": self.roots,
            "files": {p: s.to_json() for p, s in sorted(self.files.items())},
        }
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".manifest-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, directory / MANIFEST)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


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
    directory.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(directory), build_schema(), indexname=INDEX_NAME)
