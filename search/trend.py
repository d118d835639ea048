"""Attention over time: how many articles match a query in each period, and
what share of all the articles of that period they are.

Counts come from the facet table's per-document date column, so a trend costs
one pass over each query's matches (a ``bincount``), whatever the number of
periods. A period in which the archive holds no article at all is a gap
(``None``), not zero attention: nothing was there to mention the subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from search import periods
from search.periods import Granularity

# Periods "differ in volume" when the quietest holds less than this share of
# the busiest one's articles: raw counts would then mostly show the archive's
# own ups and downs, so the share is shown by default.
_EVEN_VOLUME = 0.8


@dataclass(frozen=True)
class Series:
    """One query's counts over the periods of a :class:`Trend`."""

    label: str  # as typed, or as renamed with ``--label``
    query: str
    counts: tuple[int | None, ...]  # None: the archive holds no article that period
    ratios: tuple[float | None, ...]  # counts / all articles of the period
    matches: int  # every match, dated or not, in or out of the periods shown
    undated: int  # matches without a date, which no timeline can place


@dataclass(frozen=True)
class Trend:
    granularity: Granularity
    chosen: bool  # the granularity was chosen from the span of the data
    first: int  # the first period's number (see :mod:`search.periods`)
    periods: tuple[str, ...]  # labels: 2022-03, 2022-W09...
    totals: tuple[int, ...]  # all articles (of the base) per period
    series: tuple[Series, ...]
    base: str  # the query whose articles make 100% ("" for the whole archive)
    unit: str = "articles"  # or "stories": the copies of one dispatch count once

    def bounds(self, index: int) -> tuple[date, date]:
        """The first and last day of the period at *index*: a date filter."""
        period = self.first + index
        return periods.first_day(period, self.granularity), periods.last_day(
            period, self.granularity
        )

    @property
    def uneven(self) -> bool:
        """Whether the periods hold very different numbers of articles."""
        volumes = [t for t in self.totals if t]
        return bool(volumes) and min(volumes) < _EVEN_VOLUME * max(volumes)


def _periods(days: Any, granularity: Granularity) -> Any:
    """Period numbers of the dated entries of *days* (undated ones dropped)."""
    return periods.period_numbers(days[days > 0], granularity)


def count(
    days: Any,
    base: Any,
    matches: Sequence[tuple[str, str, Any]],
    *,
    granularity: Granularity | None = None,
    since: date | None = None,
    until: date | None = None,
    base_query: str = "",
    unit: str = "articles",
) -> Trend:
    """The trend of each ``(label, query, document numbers)`` in *matches*.

    *days* holds every document's day number, *base* the document numbers
    that make 100% of a period (the whole archive, or ``--base``); matches
    outside *base* are not counted. The periods run from *since* (else the
    first dated article of *base*) to *until* (else its last one).
    """
    base = np.asarray(base, dtype=np.int64)
    in_base = np.zeros(len(days), dtype=bool)
    in_base[base] = True
    series = []
    for name, query, docs in matches:
        docs = np.asarray(docs, dtype=np.int64)
        series.append((name, query, days[docs[in_base[docs]]]))
    return from_days(days[base], series, granularity=granularity, since=since, until=until,
                     base_query=base_query, unit=unit)  # fmt: skip


def from_days(
    base_days: Any,
    matches: Sequence[tuple[str, str, Any]],
    *,
    granularity: Granularity | None = None,
    since: date | None = None,
    until: date | None = None,
    base_query: str = "",
    unit: str = "articles",
) -> Trend:
    """The trend from day numbers alone (0: undated): *base_days*, one per
    article of the base, and for each ``(label, query, days)`` of *matches*,
    one per match inside the base. What :func:`count` reduces to, and what a
    cluster's date histograms give (:mod:`cluster.engine`)."""
    base_days = np.asarray(base_days, dtype=np.int64)
    dated = base_days[base_days > 0]
    first_day = since or (date.fromordinal(int(dated.min())) if dated.size else None)
    last_day = until or (date.fromordinal(int(dated.max())) if dated.size else None)
    if first_day is None or last_day is None or first_day > last_day:
        first_day = last_day = None
    chosen = granularity is None
    if granularity is None:
        granularity = periods.choose(first_day, last_day) if first_day and last_day else "month"
    if first_day is None or last_day is None:
        first, size = 0, 0
    else:
        first = periods.period_of(first_day, granularity)
        size = periods.period_of(last_day, granularity) - first + 1

    def per_period(match_days: Any) -> Any:
        numbers = _periods(match_days, granularity) - first
        inside = numbers[(numbers >= 0) & (numbers < size)]
        return np.bincount(inside, minlength=size)

    totals = per_period(base_days)
    series = []
    for name, query, match_days in matches:
        match_days = np.asarray(match_days, dtype=np.int64)
        counted = per_period(match_days)
        series.append(
            Series(
                label=name,
                query=query,
                counts=tuple(int(n) if t else None for n, t in zip(counted, totals, strict=True)),
                ratios=tuple(
                    float(n) / float(t) if t else None for n, t in zip(counted, totals, strict=True)
                ),
                matches=len(match_days),
                undated=int(np.count_nonzero(match_days == 0)),
            )
        )
    return Trend(
        granularity=granularity,
        chosen=chosen,
        first=first,
        periods=tuple(periods.label(first + i, granularity) for i in range(size)),
        totals=tuple(int(t) for t in totals),
        series=tuple(series),
        base=base_query,
        unit=unit,
    )
