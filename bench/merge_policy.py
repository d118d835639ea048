"""What the writer's merge policy costs a growing archive, simulated on segment sizes.

Every batch of a watcher (or every small ``search index``) writes one small
segment; :func:`index.writer.merge_groups` decides what is merged after it.
This replays a long run of batches on sizes alone, through the policy's own
code, and counts how many times an article is rewritten on average and how
many small segments queries meet at most, next to the policy before this
one (every small segment merged into one once there were four).

    python bench/merge_policy.py      # batches of 100 beside 1x, 10x and 30x OrangeSum
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.writer import MERGE_AT, merge_groups


@dataclass
class Sized:
    """A segment as the policy sees it: its number of articles, none deleted."""

    articles: int

    def doc_count_all(self) -> int:
        return self.articles

    def doc_count(self) -> int:
        return self.articles

    def deleted_count(self) -> int:
        return 0


Policy = Callable[[Sequence[Sized]], list[list[Sized]]]


def every_small_one(segments: Sequence[Sized]) -> list[list[Sized]]:
    """The policy before: every segment under a tenth of the largest, once four."""
    largest = max(s.articles for s in segments)
    small = [s for s in segments if s.articles < largest / 10]
    return [small] if len(small) >= MERGE_AT else []


def replay(policy: Policy, archive: int, batches: int, batch: int = 100) -> tuple[float, int, int]:
    """(rewrites per added article, most small segments at once, largest merge)."""
    segments = [Sized(archive)]
    rewritten = most_small = largest_merge = 0
    for _ in range(batches):
        segments.append(Sized(batch))
        while groups := policy(segments):
            group = groups[0]
            segments = [s for s in segments if all(s is not g for g in group)]
            merged = sum(s.articles for s in group)
            segments.append(Sized(merged))
            rewritten += merged
            largest_merge = max(largest_merge, merged)
        most_small = max(most_small, sum(s.articles < archive / 10 for s in segments))
    return rewritten / (batches * batch), most_small, largest_merge


def main() -> None:
    print("| archive | batches of 100 | policy | rewrites per article | most small segments "
          "| largest merge |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for archive in (36_000, 360_000, 1_080_000):
        # As many batches as fill the small range: up to a tenth of the archive.
        batches = archive // 10 // 100
        for name, policy in (("before", every_small_one), ("shipped", merge_groups)):
            rewrites, small, largest = replay(policy, archive, batches)  # type: ignore[arg-type]
            print(f"| {archive:,} | {batches:,} | {name} | {rewrites:.1f} | {small} "
                  f"| {largest:,} |")  # fmt: skip


if __name__ == "__main__":
    main()
