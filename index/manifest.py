"""What each indexed source file looked like, so that an update re-reads only what changed.

The manifest is a SQLite database beside the Whoosh files (``manifest.sqlite``).
An update reads the entries of the files it looks at and writes those it
changed, in one transaction per commit: adding 100 articles to an archive of
a million files costs what it costs on a small archive. (It was one JSON file
read and written whole by every update, every commit of a build and every
batch of ``search watch``: 7 s each way at a million files, and a build's
hundred commits made that quadratic.)

Changes wait in memory until :meth:`Manifest.save`, which the writer calls
only once the index commit that makes those articles durable is done: a crash
between the two costs re-reading some files, never a file taken as indexed
that is not. A manifest written by earlier versions (``manifest.json``) is read
as it is, and turned into the database by the first update that saves.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.schema import SCHEMA_VERSION

MANIFEST = "manifest.sqlite"
# The single JSON file of earlier versions: read, then replaced by the database.
LEGACY_MANIFEST = "manifest.json"
# A reader meeting a writer's commit waits this long for it (a commit takes milliseconds).
BUSY_TIMEOUT_S = 30.0

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " mtime_ns INTEGER NOT NULL, digest TEXT NOT NULL, articles INTEGER NOT NULL,"
    " partial INTEGER NOT NULL) WITHOUT ROWID",
)


@dataclass
class FileState:
    """What a source file looked like when it was last indexed.

    ``partial`` marks a file whose reading was committed part way (a large
    dump, killed or still being read): the index holds its first articles,
    and the next run reads on from there.
    """

    size: int
    mtime_ns: int
    digest: str
    articles: int
    partial: bool = False

    def unfinished(self) -> FileState:
        """This state as saved by a commit inside the file: its size and time never
        match the file's, so every run (and ``search doctor``) sees it unfinished."""
        return FileState(-1, -1, self.digest, self.articles, partial=True)

    def row(self, path: str) -> tuple[str, int, int, str, int, int]:
        return (path, self.size, self.mtime_ns, self.digest, self.articles, int(self.partial))

    @classmethod
    def from_json(cls, value: list[Any]) -> FileState:
        """An entry of the JSON manifest of earlier versions."""
        size, mtime_ns, digest, articles, *partial = value
        return cls(int(size), int(mtime_ns), str(digest), int(articles), any(partial))


class Manifest:
    """The manifest of the index in *directory*: the state of each file, the folders
    the index was built from (``roots``), when it last changed and its schema.

    Reading needs no write access (a read-only index can still be searched and
    checked); only :meth:`save` writes, and only the entries changed since.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.schema_version = SCHEMA_VERSION
        self.roots: list[str] = []
        self.updated: float | None = None
        self._db: sqlite3.Connection | None = None
        self._read_only = False  # the connection, opened on a file this process cannot write
        self._legacy: dict[str, FileState] = {}  # a JSON manifest not yet turned over
        self._changed: dict[str, FileState | None] = {}  # None: the entry goes
        self._cleared = False  # every saved entry goes (a rebuild)
        self._saved: dict[str, FileState] | None = None  # every saved entry, once prefetched

    # --- Opening --------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        """The manifest as last saved; an empty one if there is none or it cannot be read
        (that costs reading the files again, never a wrong index: the index itself
        is the truth about which documents exist)."""
        manifest = cls(directory)
        path = manifest.directory / MANIFEST
        if path.is_file():
            try:
                manifest._read_only = not os.access(path, os.W_OK)
                manifest._db = connect(path, read_only=manifest._read_only)
                meta = dict(manifest._db.execute("SELECT key, value FROM meta").fetchall())
                manifest.schema_version = int(meta.get("schema_version", 0))
                manifest.roots = list(json.loads(meta.get("roots", "[]")))
                updated = meta.get("updated")
                manifest.updated = float(updated) if updated else None
            except (sqlite3.Error, ValueError, TypeError):
                manifest.close()
                return cls(directory)
        else:
            manifest._load_legacy()
        return manifest

    def _load_legacy(self) -> None:
        try:
            raw = json.loads((self.directory / LEGACY_MANIFEST).read_text(encoding="utf-8"))
            version = int(raw.get("schema_version", 0))
            files = {p: FileState.from_json(v) for p, v in raw.get("files", {}).items()}
            roots, updated = list(raw.get("roots", [])), raw.get("updated")
        except (OSError, ValueError, TypeError, AttributeError):
            return  # as if there were none
        self.schema_version, self._legacy, self.roots, self.updated = version, files, roots, updated

    @staticmethod
    def schema_version_of(directory: Path) -> int:
        """The schema version alone: opening the index for a query must not read the
        entry of every file of a large archive."""
        path = Path(directory) / MANIFEST
        if path.is_file():
            try:
                with contextlib.closing(connect(path, read_only=True)) as db:
                    found = db.execute(
                        "SELECT value FROM meta WHERE key = 'schema_version'"
                    ).fetchone()
                return int(found[0]) if found else 0
            except (sqlite3.Error, ValueError):
                return SCHEMA_VERSION  # as load(): a damaged manifest is not an old index
        try:
            with (Path(directory) / LEGACY_MANIFEST).open("rb") as stream:
                head = stream.read(64)
        except OSError:
            return SCHEMA_VERSION  # no manifest is not an old index
        found_json = re.match(rb'\{"schema_version": (\d+)', head)
        return int(found_json.group(1)) if found_json else 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db, self._read_only = None, False

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Entries --------------------------------------------------------------

    def get(self, path: str) -> FileState | None:
        if path in self._changed:
            return self._changed[path]
        if self._cleared:
            return None
        if self._db is None:
            return self._legacy.get(path)
        if self._saved is not None:
            return self._saved.get(path)
        try:
            row = self._db.execute(
                "SELECT size, mtime_ns, digest, articles, partial FROM files WHERE path = ?",
                (path,),
            ).fetchone()
        except sqlite3.DatabaseError:
            return None  # damaged: the file is read again, as a new one would be
        if row is None:
            return None
        size, mtime_ns, digest, articles, partial = row
        return FileState(size, mtime_ns, digest, articles, bool(partial))

    def prefetch(self) -> None:
        """Read every saved entry at once, for an update that looks at most files of the
        archive (a walk of a million files: ~2 s, where one query per file takes 7)."""
        if self._db is None or self._saved is not None:
            return
        try:
            rows = self._db.execute("SELECT * FROM files").fetchall()
        except sqlite3.DatabaseError:
            return  # damaged: get() says so entry by entry
        self._saved = {
            path: FileState(size, mtime_ns, digest, articles, bool(partial))
            for path, size, mtime_ns, digest, articles, partial in rows
        }

    def set(self, path: str, state: FileState) -> None:
        self._changed[path] = state

    def update(self, states: Iterable[tuple[str, FileState]]) -> None:
        self._changed.update(states)

    def remove(self, path: str) -> None:
        self._changed[path] = None

    def reset(self) -> None:
        """Forget every file, root and date (a rebuild); saved by :meth:`save`."""
        self._changed.clear()
        self._cleared = True
        self.schema_version, self.roots, self.updated = SCHEMA_VERSION, [], None

    def files_with_articles(self) -> int:
        """How many files gave the index at least one article, as last saved."""
        if self._db is None:
            return sum(1 for state in self._legacy.values() if state.articles)
        try:
            found = self._db.execute("SELECT count(*) FROM files WHERE articles > 0").fetchone()
        except sqlite3.DatabaseError:
            return 0
        return int(found[0])

    # --- Saving ---------------------------------------------------------------

    def save(self) -> None:
        """Write what changed since the last save, in one transaction: a crash leaves
        the manifest as it was before or as it is now, never half.

        A full or read-only disk raises :class:`OSError`, as a file write would.
        A damaged database is replaced: its entries are lost, which costs reading
        their files again, never a wrong index.
        """
        def forget() -> None:
            self.close()
            self._saved = None

        write_replacing_damage(self.directory / MANIFEST, self._write, forget)
        if self._saved is not None:
            if self._cleared:
                self._saved.clear()
            for path, state in self._changed.items():
                if state is None:
                    self._saved.pop(path, None)
                else:
                    self._saved[path] = state
        self._changed.clear()
        self._cleared = False
        if self._legacy or (self.directory / LEGACY_MANIFEST).exists():
            # Now in the database: the JSON file (this program's own) would only mislead.
            self._legacy = {}
            (self.directory / LEGACY_MANIFEST).unlink(missing_ok=True)

    def _write(self) -> None:
        path = self.directory / MANIFEST
        if self._db is None or self._read_only:
            self.close()
            created = not path.exists()
            self._db = connect(path, read_only=False)
            if created:
                # The directory's mode, as for every file the index writes (SQLite's
                # journal takes the database's).
                from index.store import file_mode  # (index.store imports this module)

                with contextlib.suppress(OSError):
                    os.chmod(path, file_mode(self.directory))
        db = self._db
        with db:  # one transaction
            for statement in _TABLES:
                db.execute(statement)
            if self._cleared:
                db.execute("DELETE FROM files")
            gone = [(p,) for p, state in self._changed.items() if state is None]
            db.executemany("DELETE FROM files WHERE path = ?", gone)
            # An earlier version's entries (not after a rebuild) that no change
            # replaces or removes, then the changes.
            kept = {} if self._cleared else self._legacy
            unchanged = ((p, state) for p, state in kept.items() if p not in self._changed)
            states = itertools.chain(unchanged, self._changed.items())
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                (state.row(p) for p, state in states if state is not None),
            )
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [
                    ("schema_version", str(self.schema_version)),
                    ("roots", json.dumps(self.roots, ensure_ascii=False)),
                    ("updated", "" if self.updated is None else repr(self.updated)),
                ],
            )


def write_replacing_damage(
    path: Path, write: Callable[[], None], forget: Callable[[], None]
) -> None:
    """Run *write*, a transaction on the database at *path*. SQLite's failure to
    write becomes an :class:`OSError`; a damaged database is deleted (after
    *forget* drops every handle on it and what was read from it) and written anew:
    its entries are lost, which costs reading their files again, never a wrong index."""
    try:
        write()
    except sqlite3.OperationalError as error:
        raise sqlite_os_error(error, path) from error
    except sqlite3.DatabaseError:
        forget()
        for damaged in (path, Path(f"{path}-journal")):
            damaged.unlink(missing_ok=True)
        write()


def sqlite_os_error(error: sqlite3.OperationalError, path: Path) -> OSError:
    """SQLite's failure as the :class:`OSError` a file write gives, so that it
    is reported as one line (``no space left on the disk``)."""
    code = {
        "SQLITE_FULL": errno.ENOSPC,
        "SQLITE_READONLY": errno.EACCES,
        "SQLITE_CANTOPEN": errno.EACCES,
        "SQLITE_PERM": errno.EACCES,
        "SQLITE_BUSY": errno.EBUSY,
    }.get(getattr(error, "sqlite_errorname", ""), errno.EIO)
    return OSError(code, f"{os.strerror(code)} ({error})", str(path))


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection to the SQLite database at *path* (also the cluster push's manifest)."""
    if read_only:
        uri = f"file:{_quote(path)}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    else:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    return db


def _quote(path: Path) -> str:
    """*path* as the path of a SQLite URI (``?`` and ``#`` would end it)."""
    return str(path.resolve()).replace("%", "%25").replace("?", "%3F").replace("#", "%23")
