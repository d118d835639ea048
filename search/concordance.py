"""Concordances (keyword in context): every occurrence of what a query matched,
with the words around it, as corpus linguists read a word's uses (TXM,
AntConc).

Occurrences are the highlighter's marks (:class:`search.snippets.TermMatcher`):
``Finlande`` finds ``finlandais`` and ``Finlandaises`` as the article writes
them. Lines are produced one article at a time, in rank or date order, so
the first ones come at once on a large result set; sorting on the contexts
needs them all, and costs n log n.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from index.analysis import TOKEN_PATTERN, fold

if TYPE_CHECKING:  # annotations only: the CLI lists the orders without the engine
    from search.engine import Engine
    from search.filters import Filters

KwicOrder = Literal["article", "date", "left", "right"]
ORDERS: tuple[KwicOrder, ...] = ("article", "date", "left", "right")
FIELDS = ("title", "lead", "body")

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: *left* and *right* are at most ``width`` characters each."""

    id: str
    title: str
    date: datetime | None
    field: str  # title, lead or body
    start: int  # the match's offsets in the field's text
    end: int
    left: str
    match: str
    right: str
    occurrence: int  # its rank among the article's matches (title, lead, body order)


def _flat(text: str) -> str:
    """Occurrence breaks and runs of spaces as single spaces: one line per occurrence."""
    return _SPACES.sub(" ", text)


def _left(text: str, start: int, width: int) -> str:
    # Twice the width is read so that collapsing spaces still leaves enough.
    return _flat(text[max(0, start - 2 * width) : start])[-width:]


def _right(text: str, end: int, width: int) -> str:
    return _flat(text[end : end + 2 * width])[:width]


def lines(
    engine: Engine,
    text: str,
    *,
    filters: Filters | None = None,
    by_date: bool = False,
    width: int = 40,
) -> Iterator[Occurrence]:
    """Every occurrence in every article matching *text* and *filters*, article by
    article in rank order (newest first with *by_date*)."""
    matcher = engine.text_matcher(text)
    _, articles = engine.matching_articles(
        text, filters=filters, sort="date" if by_date else "relevance"
    )
    for article, _ in articles:
        occurrence = 0
        for field in FIELDS:
            value: str = getattr(article, field)
            for start, end in matcher.spans(value):
                yield Occurrence(
                    id=article.id,
                    title=article.title,
                    date=article.date,
                    field=field,
                    start=start,
                    end=end,
                    left=_left(value, start, width),
                    match=value[start:end],
                    right=_right(value, end, width),
                    occurrence=occurrence,
                )
                occurrence += 1


def _words(text: str) -> list[str]:
    return [fold(w) for w in TOKEN_PATTERN.findall(text)]


def sort_lines(found: Iterable[Occurrence], order: KwicOrder) -> list[Occurrence]:
    """Sorted on the folded words nearest the match: leftwards for ``left`` (the
    word just before, then the one before it…), rightwards for ``right``."""
    if order == "left":
        return sorted(found, key=lambda x: (_words(x.left)[::-1], fold(x.match), x.id, x.start))
    if order == "right":
        return sorted(found, key=lambda x: (_words(x.right), fold(x.match), x.id, x.start))
    return list(found)


def concordance(
    engine: Engine,
    text: str,
    *,
    filters: Filters | None = None,
    order: KwicOrder = "article",
    width: int = 40,
    limit: int | None = None,
) -> Iterator[Occurrence]:
    """The concordance of *text*: streamed in ``article`` and ``date`` order,
    collected then sorted for ``left`` and ``right``. *limit* lines at most
    (for a sorted concordance, the first *limit* of the whole sorted list)."""
    found: Iterable[Occurrence] = lines(
        engine, text, filters=filters, by_date=order == "date", width=width
    )
    if order in ("left", "right"):
        found = sort_lines(found, order)
    for n, line in enumerate(found):
        if limit is not None and n >= limit:
            return
        yield line
