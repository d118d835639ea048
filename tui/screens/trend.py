"""Attention over time: the query (and the pinned ones) per period, as a chart
and a table; choosing a period goes back to the hits of that period."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from textual import on, work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable

from index.articles import printable
from search.api import Filters, IndexProblem, QuerySyntaxError, Trend
from search.i18n import PERIODS, _, decimal, named, number
from search.periods import GRANULARITIES, Granularity
from tui.screens.query_view import QueryView
from tui.widgets.trend_chart import TrendChart


class TrendScreen(QueryView[tuple[date, date] | None]):
    """Dismissed with the chosen period's first and last day, or ``None``."""

    SUB_TITLE = _("trend")
    BINDINGS = [
        Binding("escape,q", "back", _("Back")),
        Binding("b", "cycle_granularity", _("Periods"),
                tooltip=_("periods: by day, week, month or year")),
        Binding("r", "toggle_ratio", _("Share/count"),
                tooltip=_("share of all articles / counts")),
        Binding("u", "unpin", _("Unpin"), tooltip=_("unpin every pinned query")),
    ]

    def __init__(self, query: str, filters: Filters) -> None:
        super().__init__(query, filters)
        self.granularity: Granularity | None = None  # chosen from the span
        self.ratio: bool | None = None  # the share when periods differ in volume
        self.trend: Trend | None = None

    def body(self) -> Iterable[Widget]:
        yield TrendChart(id="trend-chart")
        yield DataTable(id="periods", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.compute()

    def queries(self) -> list[str]:
        """The pinned queries, then the current one: an empty box adds "all articles"
        only when nothing is pinned."""
        queries = list(self.search_app.pinned)
        current = self.query_text
        if current not in queries and (current or not queries):
            queries.append(current)
        return queries

    @work(thread=True, exclusive=True, group="trend")
    def compute(self) -> None:
        app = self.search_app
        if app.engine is None:
            app.call_from_thread(self.caption, _("No index yet: ctrl+r builds it."))
            return
        queries = self.queries()
        labels = [q or _("(all articles)") for q in queries]
        try:
            with app.lock:
                found = app.engine.trend(
                    queries, labels=labels, filters=self.filters, granularity=self.granularity
                )
        except QuerySyntaxError as error:
            app.call_from_thread(self.caption, _("Query error: {error}").format(error=error))
            return
        except IndexProblem as error:  # a damaged index, a cluster out of reach
            app.call_from_thread(self.caption, str(error))
            return
        app.call_from_thread(self.show, found)

    @property
    def shares(self) -> bool:
        if self.ratio is not None:
            return self.ratio
        return self.trend.uneven if self.trend else True

    def show(self, trend: Trend) -> None:
        if not self.is_attached:
            return
        self.trend = trend
        period = named(trend.granularity, PERIODS)
        measure = (_("Share of all articles (%) per {period}") if self.shares
                   else _("Matching articles per {period}")).format(period=period)  # fmt: skip
        span = f", {trend.periods[0]} → {trend.periods[-1]}" if trend.periods else _(", no dates")
        undated = max((s.undated for s in trend.series), default=0)
        left_out = _(" · {count} undated, off the timeline").format(
            count=number(undated)) if undated else ""  # fmt: skip
        self.caption(f"{measure}{span}{left_out} · " + _("Enter: its hits"))
        table = self.query_one("#periods", DataTable)
        table.clear(columns=True)
        table.add_column(period, key="period")
        table.add_column(_("articles"), key="articles")
        for s in trend.series:
            table.add_column(printable(s.label)[:24])
        # Newest first: the end of the timeline is what a reader checks first.
        for index in range(len(trend.periods) - 1, -1, -1):
            cells: list[str] = [trend.periods[index], number(trend.totals[index])]
            for s in trend.series:
                count, share = s.counts[index], s.ratios[index]
                if count is None:
                    cells.append("")
                else:
                    cells.append(f"{number(count)} ({decimal(100 * (share or 0))} %)")
            table.add_row(*cells, key=str(index))
        self.draw(table.cursor_row)
        table.focus()

    def _period_index(self, row: int) -> int | None:
        if self.trend is None or not self.trend.periods:
            return None
        return len(self.trend.periods) - 1 - row

    def draw(self, row: int | None) -> None:
        if self.trend is not None:
            cursor = self._period_index(row) if row is not None else None
            self.query_one(TrendChart).show(self.trend, ratio=self.shares, cursor=cursor)

    @on(DataTable.RowHighlighted, "#periods")
    def period_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.draw(event.cursor_row)

    @on(DataTable.RowSelected, "#periods")
    def period_chosen(self, event: DataTable.RowSelected) -> None:
        index = self._period_index(event.cursor_row)
        if self.trend is not None and index is not None:
            self.dismiss(self.trend.bounds(index))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_cycle_granularity(self) -> None:
        current = self.trend.granularity if self.trend else "month"
        self.granularity = GRANULARITIES[(GRANULARITIES.index(current) + 1) % len(GRANULARITIES)]
        # The measure shown stays (share or count): it changed silently with the periods.
        self.ratio = self.shares
        measure = _("share of all articles") if self.ratio else _("articles")
        self.notify(_("Periods: by {period} ({measure}; r: the other)").format(
            period=named(self.granularity, PERIODS), measure=measure))  # fmt: skip
        self.compute()

    def action_toggle_ratio(self) -> None:
        self.ratio = not self.shares
        if self.trend is not None:
            self.show(self.trend)

    def action_unpin(self) -> None:
        self.search_app.pinned.clear()
        self.notify(_("Pinned queries cleared"))
        self.compute()
