"""What ingestion produces: articles, and problems reported instead of crashing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Article:
    """One news article, as read from a file, before analysis."""

    id: str
    path: str
    title: str
    body: str
    lead: str = ""
    date: datetime | None = None
    date_source: str = ""
    source: str = ""
    url: str = ""
    author: str = ""
    section: str = ""
    countries: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an input, reported with where it is and why.

    ``skipped`` problems lost an article (or a whole file); the others are
    warnings about a field that was ignored while the article was indexed.
    """

    path: str
    reason: str
    line: int | None = None
    skipped: bool = True

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"
