"""Trend charts: in the terminal with plotext (the TUI's plot widget draws with
the same calls), and as SVG, PNG or PDF files with matplotlib (optional: the
``plot`` install extra).

A period without any article is a gap in the line, never a zero.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from index.articles import printable
from search.i18n import PERIODS, _, named
from search.trend import Series, Trend

# Series differ by marker as well as by colour: a chart piped to a file, or
# read without colour, still tells them apart in its legend.
MARKERS = ("hd", "x", "+", "o", "*", "#")
COLOURS = ("blue+", "red+", "green+", "orange+", "magenta+", "cyan+")
LONE = ("●", "x", "+", "o", "*", "#")  # the markers of lone points, as visible
FILE_FORMATS = (".svg", ".png", ".pdf")


class ChartUnavailable(RuntimeError):
    """The optional plotting library is not installed."""


def values(series: Series, ratio: bool) -> list[float | None]:
    """What the chart shows: the share in percent, or the counts; ``None`` for gaps."""
    if ratio:
        return [None if r is None else 100 * r for r in series.ratios]
    return [None if n is None else float(n) for n in series.counts]


def runs(points: list[float | None]) -> list[tuple[list[int], list[float]]]:
    """Stretches of consecutive defined points, drawn as separate lines (the gaps)."""
    found: list[tuple[list[int], list[float]]] = []
    previous = None
    for x, y in enumerate(points):
        if y is None:
            continue
        if previous is None or x != previous + 1:
            found.append(([], []))
        found[-1][0].append(x)
        found[-1][1].append(y)
        previous = x
    return found


def axis_label(trend: Trend, ratio: bool) -> str:
    """What the y axis holds, in words."""
    per = named(trend.granularity, PERIODS)
    if ratio and trend.base:
        return _("share of articles matching {base} of the {period} (%)").format(
            base=repr(trend.base), period=per
        )
    if ratio:
        return _("share of all articles of the {period} (%)").format(period=per)
    return _("articles per {period}").format(period=per)


def tick_positions(size: int, most: int = 6) -> list[int]:
    """A few evenly spaced period indexes, always the first and the last."""
    if size <= most:
        return list(range(size))
    step = (size - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def count_ticks(top: float, most: int = 5) -> list[int]:
    """Whole numbers from 0 past *top*, at most about *most* of them, on a round step."""
    peak = max(math.ceil(top), 1)
    step = 1
    while peak / step > most:
        for factor in (2, 2.5, 2):  # 1, 2, 5, 10, 20, 50…
            step = int(step * factor)
            if peak / step <= most:
                break
    return list(range(0, peak + step, step))


def draw(plt: Any, trend: Trend, *, ratio: bool) -> None:
    """Plot *trend* with *plt*: the ``plotext`` module or a textual-plotext ``Plot``."""
    plt.clear_data()
    for n, series in enumerate(trend.series):
        style = {"marker": MARKERS[n % len(MARKERS)], "color": COLOURS[n % len(COLOURS)]}
        stretches = runs(values(series, ratio))
        for i, (xs, ys) in enumerate(stretches):
            label = printable(series.label) if i == 0 else None
            if len(xs) == 1:  # a lone period: a line of one point would be one dot
                plt.scatter(xs, ys, label=label, color=style["color"], marker=LONE[n % len(LONE)])
            else:
                plt.plot(xs, ys, label=label, **style)
        if not stretches:  # still in the legend: a query that never matched
            plt.plot([0], [0], label=printable(series.label), **style)
    ticks = tick_positions(len(trend.periods))
    plt.xticks(ticks, [trend.periods[i] for i in ticks])
    plt.ylabel("%" if ratio else _("articles"))
    if trend.periods:
        plt.xlim(-0.5, len(trend.periods) - 0.5)
    if ratio:
        plt.ylim(0, None)
        return
    # Whole articles on the axis, never 0.83 of one.
    counts = [v for series in trend.series for v in values(series, False) if v]
    steps = count_ticks(max(counts, default=0))
    plt.yticks(steps, [f"{t:,}" for t in steps])
    plt.ylim(0, steps[-1])


def terminal(trend: Trend, *, ratio: bool, width: int, height: int, colour: bool) -> str:
    """The chart as text for a terminal *width* columns wide."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    draw(plt, trend, ratio=ratio)
    chart = plt.build()
    return chart if colour else plt.uncolorize(chart)


def save(trend: Trend, path: Path, *, ratio: bool) -> None:
    """Write the chart to *path*; its suffix (.svg, .png, .pdf) chooses the format."""
    if path.suffix.lower() not in FILE_FORMATS:
        raise ValueError(_("{file}: the file must end in {suffixes}").format(
            file=path.name, suffixes=", ".join(FILE_FORMATS)))  # fmt: skip
    try:
        import matplotlib
    except ImportError:
        raise ChartUnavailable(
            _("--plot needs matplotlib: pip install 'french-news-search[plot]'")
        ) from None
    matplotlib.use("Agg")  # files only: no window, no display needed
    from matplotlib import pyplot

    # Fixed for reproducible files: the same data gives the same SVG.
    matplotlib.rcParams["svg.hashsalt"] = "french-news-search"
    figure, axes = pyplot.subplots(figsize=(9, 4.5), layout="constrained")
    try:
        for series in trend.series:
            points = values(series, ratio)
            # NaN breaks the line where the archive has no article.
            axes.plot(
                range(len(points)),
                [float("nan") if y is None else y for y in points],
                marker="." if len(points) <= 60 else None,
                label=series.label,
            )
        ticks = tick_positions(len(trend.periods), most=8)
        axes.set_xticks(ticks, [trend.periods[i] for i in ticks])
        axes.set_xlabel(trend.granularity)
        axes.set_ylabel(axis_label(trend, ratio))
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend()
        figure.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None)
    finally:
        pyplot.close(figure)
