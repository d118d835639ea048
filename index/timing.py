"""Where an update's time goes: seconds per stage, for ``search index --json``
and the benchmarks, which read the same split.

``read`` (finding, reading and parsing the files), ``clean`` (their text
normalised: NFC, invisible characters, line ends), ``commit`` (making
segments durable, the manifest) and ``merge`` are the updating process's own
time. ``extract`` (countries and persons), ``analyse`` (the French chain) and
``write`` (the document's fields made, its wire-copy signature among them;
postings and stored fields into segments) are done by whichever process
writes the segment: with worker processes they are summed over the
workers, and may add up to more than the update's wall time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

STAGES = ("read", "clean", "extract", "analyse", "write", "commit", "merge")
# What a segment's writer does, in whichever process it runs.
WRITER_STAGES = ("extract", "analyse", "write")

T = TypeVar("T")


def stage_seconds(stages: Iterable[str] = STAGES) -> dict[str, float]:
    """A fresh tally: every stage at zero."""
    return dict.fromkeys(stages, 0.0)


def add(into: dict[str, float], more: Mapping[str, float]) -> None:
    for stage, seconds in more.items():
        into[stage] = into.get(stage, 0.0) + seconds


def timed(items: Iterable[T], into: dict[str, float], stage: str) -> Iterator[T]:
    """*items*, the time spent producing each added to *stage* (not the time
    the consumer spends between them)."""
    iterator = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            return
        finally:
            into[stage] += time.perf_counter() - started
        yield item
