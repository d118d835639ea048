"""Attention over time, drawn by plotext in the terminal (the CLI's chart, as a widget)."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from search import charts
from search.api import Trend


class TrendChart(PlotextPlot):
    """The current query's trend and the pinned ones; a vertical line marks the
    period the cursor of the period table is on."""

    def show(self, trend: Trend, *, ratio: bool, cursor: int | None = None) -> None:
        plt = self.plt
        plt.clear_figure()
        charts.draw(plt, trend, ratio=ratio)
        if cursor is not None and trend.periods:
            plt.vline(cursor, "gray")
        self.refresh()
