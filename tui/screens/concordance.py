"""The concordance of the current query: every occurrence in its context,
aligned on the match; Enter opens the article at that occurrence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable
from textual.worker import get_current_worker

from index.articles import printable
from search.api import (
    Filters,
    IndexProblem,
    KwicOrder,
    Occurrence,
    QuerySyntaxError,
    concordance,
    sort_lines,
)
from search.i18n import ORDERS, _, named, ngettext, number
from search.render import MATCH_STYLE
from tui.screens.article import ArticleScreen
from tui.screens.query_view import QueryView

MOST = 10_000  # lines shown; `search kwic` gives them all
BATCH = 200  # lines added to the table at a time while they stream in
TITLE_ROOM = 20  # columns kept for the article's title
MATCH_WIDTH = 14  # the matched words (a longer match is cut)


class ConcordanceScreen(QueryView[None]):
    SUB_TITLE = _("concordance")
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", _("Back")),
        Binding("s", "cycle_order", _("Sort"),
                tooltip=_("sort by article, date, left or right context")),
    ]

    def __init__(self, query: str, filters: Filters) -> None:
        super().__init__(query, filters)
        self.order: KwicOrder = "article"
        self.width = 40  # characters of context on each side, set from the terminal
        self.lines: list[Occurrence] = []
        self.done = False
        self.truncated = False
        # Every line, in article order, once read whole: `s` sorts these.
        self.streamed: list[Occurrence] | None = None

    def body(self) -> Iterable[Widget]:
        yield DataTable(id="kwic", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        # Date, both contexts and the match fit the terminal, with room left for
        # the title (at 80 columns it was one character wide).
        self.width = max(12, min(60, (self.app.size.width - 34 - TITLE_ROOM) // 2))
        self.compute()

    @work(thread=True, exclusive=True, group="concordance")
    def compute(self) -> None:
        """On an engine of its own: a long concordance never holds up searching."""
        app, worker = self.search_app, get_current_worker()
        app.call_from_thread(self.reset)
        batch: list[Occurrence] = []
        try:
            with app.new_engine() as engine:
                found = concordance(
                    engine, self.query_text, filters=self.filters, order=self.order,
                    width=self.width, limit=MOST + 1,
                )  # fmt: skip
                for line in found:
                    if worker.is_cancelled:
                        return
                    batch.append(line)
                    if len(batch) == BATCH:
                        app.call_from_thread(self.add, batch)
                        batch = []
        except (IndexProblem, QuerySyntaxError) as error:
            app.call_from_thread(self.caption, str(error))
            return
        app.call_from_thread(self.add, batch, True)

    def reset(self) -> None:
        if not self.is_attached:
            return
        self.lines, self.done, self.truncated = [], False, False
        table = self.query_one("#kwic", DataTable)
        table.clear(columns=True)
        # Fixed widths: columns that grew as lines streamed in moved the text
        # under the reader's eyes.
        table.add_column(_("date"), key="date", width=10)
        table.add_column(Text(_("left"), justify="right"), key="left", width=self.width)
        table.add_column(_("match"), key="match", width=MATCH_WIDTH)
        table.add_column(_("right"), key="right", width=self.width)
        table.add_column(_("article"), key="article", width=60)
        self.caption(_("« {query} »: reading the matches… · sorted by {order}").format(
            query=self.query_text, order=named(self.order, ORDERS)))  # fmt: skip

    def add(self, batch: list[Occurrence], last: bool = False) -> None:
        if not self.is_attached:
            return
        table = self.query_one("#kwic", DataTable)
        kept = batch[: MOST - len(self.lines)]
        self.truncated |= len(kept) < len(batch)
        for line in kept:
            table.add_row(
                line.date.date().isoformat() if line.date else "",
                Text(printable(line.left), justify="right", no_wrap=True),
                Text(printable(line.match), style=MATCH_STYLE),
                Text(printable(line.right), no_wrap=True),
                Text(printable(line.title)[:60], style="dim"),
                key=str(len(self.lines)),
            )
            self.lines.append(line)
        if not last:
            self.caption(_("« {query} »: {count} occurrences so far, reading… · sorted by "
                           "{order}").format(query=self.query_text, count=number(len(self.lines)),
                                             order=named(self.order, ORDERS)))  # fmt: skip
        if last:
            self.done = True
            if self.order == "article" and not self.truncated:
                self.streamed = list(self.lines)
            n = len(self.lines)
            count = ngettext("{count} occurrence", "{count} occurrences", n).format(
                count=number(n))  # fmt: skip
            if self.truncated:
                count = _("the first {count} occurrences (search kwic gives all)").format(
                    count=number(MOST))  # fmt: skip
            self.caption(_("« {query} »: {count} · sorted by {order} · s: sort · Enter: read")
                         .format(query=self.query_text, count=count,
                                 order=named(self.order, ORDERS)))  # fmt: skip
        if self.lines and table.has_focus is False:
            table.focus()

    @on(DataTable.RowSelected, "#kwic")
    def read(self, event: DataTable.RowSelected) -> None:
        line = self.lines[int(str(event.row_key.value))]
        self.open_article(line)

    @work(thread=True, exclusive=True, group="kwic-article")
    def open_article(self, line: Occurrence) -> None:
        app = self.search_app
        if app.engine is None:
            return
        with app.lock:
            article = app.engine.article(line.id, self.query_text or None)
        if article is not None:
            app.call_from_thread(app.push_screen, ArticleScreen(article, (line.field, line.start)))

    def action_cycle_order(self) -> None:
        orders: tuple[KwicOrder, ...] = get_args(KwicOrder)
        self.order = orders[(orders.index(self.order) + 1) % len(orders)]
        if self.streamed is None:
            self.compute()  # not read whole (or cut at MOST): the engine sorts them all
            return
        # Every line is here: sorted in place, not read again (10,000 lines
        # took 25 s to read). Articles of one day keep their article order.
        if self.order == "date":
            ordered = sorted(self.streamed, key=_newest_first)
        else:
            ordered = sort_lines(self.streamed, self.order)
        self.reset()
        self.add(ordered, last=True)


def _newest_first(line: Occurrence) -> tuple[bool, float]:
    """Newest first, undated last (as `search kwic --sort date`)."""
    return (line.date is None, -line.date.timestamp() if line.date else 0.0)
