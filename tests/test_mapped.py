"""Segments are read in place from the memory map, and read exactly as Whoosh's copy did."""

from __future__ import annotations

import io
import pickle
import random
from pathlib import Path

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

from index.mapped import MappedFile, _ViewReader
from search.engine import Engine


def test_view_reader_reads_like_bytesio() -> None:
    """Every call Whoosh and pickle make, on random operations, against ``io.BytesIO``."""
    rng = random.Random(20261201)
    data = bytes(rng.randrange(256) for _ in range(50_000)) + b"\nfin\nde\nligne" + b"x" * 9000
    view, copy = _ViewReader(memoryview(data)), io.BytesIO(data)
    for _ in range(3_000):
        op = rng.choice(("read", "readline", "seek", "tell", "readinto"))
        if op == "read":
            size = rng.choice((-1, 0, 1, 7, 4096, 70_000))
            assert view.read(size) == copy.read(size)
        elif op == "readline":
            size = rng.choice((-1, 3, 10_000))
            assert view.readline(size) == copy.readline(size)
        elif op == "seek":
            whence = rng.choice((0, 1, 2))
            offset = rng.randrange(0, len(data)) if whence == 0 else rng.randrange(-500, 500)
            if whence == 2:
                offset = -abs(offset)
            if whence == 1 and copy.tell() + offset < 0:
                offset = -copy.tell()
            assert view.seek(offset, whence) == copy.seek(offset, whence)
        elif op == "readinto":
            a = bytearray(rng.randrange(0, 300))
            b = bytearray(len(a))
            assert view.readinto(a) == copy.readinto(b) and a == b
        assert view.tell() == copy.tell()


def test_pickle_loads_from_the_view() -> None:
    value = {"terms": ["élection", "Finlande"], "counts": list(range(1000))}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.load(_ViewReader(memoryview(pickle.dumps(value, protocol)))) == value


def test_pickles_one_after_another_leave_the_position_after_each() -> None:
    """``pickle.load`` prefetches with ``peek`` and then reads what it used: the
    next pickle (as Whoosh reads a block header, then its data) starts right after."""
    first, second = (1, 2, 3.5, 0, 4, 7), {"ids": list(range(300)), "note": "été"}
    data = pickle.dumps(first, 2) + pickle.dumps(second, 5) + b"tail"
    reader = _ViewReader(memoryview(data))
    assert reader.peek(8) == data[:8] and reader.tell() == 0
    assert pickle.load(reader) == first
    assert pickle.load(reader) == second
    assert reader.read() == b"tail"


def test_engine_reads_segments_in_place_with_the_same_results(fixtures_and_seeds: Path) -> None:
    """The engine's segment files are views of the map, and the hits are those of a copy."""
    assert compound.BufferFile is MappedFile
    with Engine(fixtures_and_seeds) as engine:
        opened = engine._searcher.reader().leaf_readers()[0][0]._terms._postfile
        assert isinstance(opened, MappedFile) and isinstance(opened.file, _ViewReader)
        mapped = [(h.id, h.score) for h in engine.search("Finlande OR Otan", limit=20).hits]
    compound.BufferFile = BufferFile  # Whoosh's own: every file copied into BytesIO
    try:
        with Engine(fixtures_and_seeds) as engine:
            copied = [(h.id, h.score) for h in engine.search("Finlande OR Otan", limit=20).hits]
    finally:
        compound.BufferFile = MappedFile
    assert mapped == copied and len(mapped) >= 3
