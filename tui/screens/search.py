"""The main screen: search as you type, drill down by facets, open, trend, export.

Engine calls run in thread workers (``exclusive=True`` cancels a stale search
when a newer one starts) behind the app's lock, so the UI never freezes and
Whoosh is never used from two threads at once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    OptionList,
    ProgressBar,
    SelectionList,
    Static,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from index.articles import printable
from search.filters import Filters
from search.i18n import _, ngettext, number
from tui.history import History
from tui.widgets.facets import FacetPanel, FilterChips, toggle, toggle_year
from tui.widgets.query import QueryInput
from tui.widgets.results import ResultsList, hit_prompt

# The engine's modules (numpy, Whoosh) are imported by the workers that call
# it, after the first screen is drawn; the other screens when first opened:
# the charting library and the screens' own modules are not on the way to
# the first results.
if TYPE_CHECKING:
    from search.api import Hit, Progress, SearchResults, Sort
    from tui.app import SearchApp
    from tui.screens.export import ExportRequest

PAGE = 30  # hits fetched at a time; more load as the list is scrolled
DEBOUNCE_S = 0.15
SEARCHING_AFTER_S = 0.25  # a search still running then is said to be


class SearchScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "focus_query", _("Search"), tooltip=_("go to the search box")),
        Binding("t", "trend", _("Trend"), tooltip=_("trend: the query's matches over time")),
        # "Kwic", as `search kwic`: short, for the footer.
        Binding("x", "concordance", _("Kwic"),
                tooltip=_("concordance: every occurrence of the query in its context")),
        Binding("r", "related", _("Related"),
                tooltip=_("related: words, persons, countries over-represented in the hits")),
        Binding("e", "export", _("Export"),
                tooltip=_("export every hit to a file (CSV, JSON Lines, OpenSearch)")),
        # Off the footer, which must keep room for Quit and Help at 80
        # columns; F1 and the palette list them.
        Binding("f", "toggle_facets", _("Facets"), show=False,
                tooltip=_("show / hide the facet panel")),
        Binding("s", "toggle_sort", _("Sort"), show=False, tooltip=_("sort by relevance / date")),
        Binding("p", "pin", _("Pin"), show=False,
                tooltip=_("pin the query, to compare it in the trend")),
        Binding("c", "clear_filters", _("Clear filters"), show=False,
                tooltip=_("clear all filters")),
        Binding("a", "toggle_copies", _("All copies"), show=False,
                tooltip=_("every copy of a wire dispatch / one hit per story")),
    ]

    sort: reactive[Sort] = reactive("relevance")
    every_copy: reactive[bool] = reactive(False)  # False: one hit per story
    filters: reactive[Filters] = reactive(Filters, always_update=True)

    def __init__(self, query: str, history: History) -> None:
        super().__init__()
        self.initial_query = query
        self.history = history
        self.results: SearchResults | None = None
        self.hits: list[Hit] = []
        self._debounce: object | None = None
        self._searched_text: str | None = None  # the query text of the last search started
        self._searching: Timer | None = None  # says a search is running (set on mount)

    @property
    def search_app(self) -> SearchApp:
        return cast("SearchApp", self.app)

    @property
    def alive(self) -> bool:
        """Still on screen: a worker's result may arrive while the app closes."""
        return self.is_attached and self.app.is_running

    def compose(self) -> ComposeResult:
        yield Header()
        yield QueryInput(
            self.history,
            value=self.initial_query,
            placeholder=_('Search… (e.g. OTAN Finlande, "sommet de Madrid", pays:FI)'),
            id="query",
        )
        with Horizontal(id="main"):
            yield FacetPanel(id="facets")
            # The chips above the hits, not across the screen: when the first
            # one appears, the facet lists stay where the pointer is.
            with Vertical(id="hits"):
                yield FilterChips(id="chips")
                yield ResultsList(id="results")
        yield Static("", id="status")
        yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        # One timer, paused between searches, says that a search is running.
        self._searching = self.set_interval(SEARCHING_AFTER_S, self.show_searching, pause=True)
        self.query_one("#progress").display = False
        self.query_one(QueryInput).focus()

    @property
    def query_text(self) -> str:
        return self.query_one(QueryInput).value

    # --- Searching (in workers) -------------------------------------------------------

    def run_search(self, keep_highlight: bool = False) -> None:
        if self.alive:
            self._searched_text = self.query_text
            self.search(self.query_text, self.filters, self.sort, keep_highlight)
            # A search that takes a while says so, rather than leave the last
            # one's counts beside the new query; a quick one changes nothing.
            if self._searching is not None:  # mounted
                self._searching.reset()
                self._searching.resume()

    def show_searching(self) -> None:
        if self._searching is not None:
            self._searching.pause()
        if self.alive:
            self.set_status(
                _("Searching « {query} » …").format(query=printable(self.query_text.strip())), ""
            )
            self.query_one(ResultsList).add_class("stale")

    def searched(self) -> None:
        """A search ended (results or an error): no longer searching."""
        if self._searching is not None:
            self._searching.pause()
        if self.alive:
            self.query_one(ResultsList).remove_class("stale")

    def search_typed(self) -> None:
        """A search for typing that paused, unless its text is already searched.

        The input's initial value counts as typed too: without this check the
        start-up search was started twice, the first one's results, though
        computed, were dropped as stale, and the hits waited for the second.
        """
        if self.query_text != self._searched_text:
            self.run_search()

    def watch_every_copy(self) -> None:
        self.run_search(keep_highlight=True)  # the story read stays selected

    def action_toggle_copies(self) -> None:
        self.every_copy = not self.every_copy
        self.notify(_("Every copy of a dispatch") if self.every_copy else _("One hit per story"))

    @work(thread=True, exclusive=True, group="search")
    def search(self, query: str, filters: Filters, sort: Sort, keep_highlight: bool) -> None:
        app = self.search_app
        if app.engine is None:  # no index yet: the status says how to build one
            app.call_from_thread(self.searched)
            return
        from search.api import IndexProblem, QuerySyntaxError

        try:
            with app.lock:
                results = app.engine.search(
                    query, limit=PAGE, sort=sort, filters=filters, facets=True, top=15,
                    collapse=not self.every_copy,
                )  # fmt: skip
                suggestion = app.engine.suggest(query) if not results.total and query else None
        except (QuerySyntaxError, IndexProblem) as error:
            # The previous results stay; the error shows inline. A quote or a
            # bracket still open is most often a phrase being typed: said
            # quietly, not in red.
            if not get_current_worker().is_cancelled:
                app.call_from_thread(self.searched)
                if isinstance(error, IndexProblem):
                    app.call_from_thread(self.set_status, str(error), "error")
                elif isinstance(error, QuerySyntaxError) and error.still_open:
                    app.call_from_thread(self.set_status, f"… {error}", "")
                else:
                    app.call_from_thread(
                        self.set_status, _("Query error: {error}").format(error=error), "error"
                    )
            return
        # A thread cannot be interrupted: a search overtaken by a newer one
        # finishes, but must not show its stale results.
        if not get_current_worker().is_cancelled:
            app.call_from_thread(self.show_results, results, suggestion, keep_highlight)

    @work(thread=True, exclusive=True, group="more")
    def load_more(self) -> None:
        from search.api import IndexProblem, QuerySyntaxError

        app, results, offset = self.search_app, self.results, len(self.hits)
        if app.engine is None or results is None or offset >= results.total:
            return
        try:
            with app.lock:
                more = app.engine.search(
                    results.query, limit=PAGE, offset=offset, sort=results.sort,
                    filters=results.filters, collapse=results.collapsed,
                )  # fmt: skip
        except (QuerySyntaxError, IndexProblem):
            return  # the page is not added; the search that failed said why
        app.call_from_thread(self.append_hits, results, more)

    @work(thread=True, exclusive=True, group="article")
    def read_article(self, doc_id: str) -> None:
        from search.api import IndexProblem, QuerySyntaxError

        app = self.search_app
        if app.engine is None:
            return
        query = self.results.query if self.results else ""
        try:
            with app.lock:
                try:
                    article = app.engine.article(doc_id, query or None)
                except QuerySyntaxError:
                    article = app.engine.article(doc_id)
        except IndexProblem as error:
            app.call_from_thread(self.set_status, str(error), "error")
            return
        if article is not None:
            from tui.screens.article import ArticleScreen

            app.call_from_thread(app.push_screen, ArticleScreen(article))

    # --- Showing results --------------------------------------------------------------

    def set_status(self, message: str, level: str = "") -> None:
        if not self.alive:
            return
        status = self.query_one("#status", Static)
        # A sentence of its own: the engine's messages start in lowercase,
        # as they follow "error: " on the command line.
        status.update(message[:1].upper() + message[1:])
        status.set_classes(level)

    def show_results(
        self, results: SearchResults, suggestion: str | None, keep_highlight: bool
    ) -> None:
        if not self.alive:
            return
        self.searched()
        self.results = results
        self.hits = list(results.hits)
        listing = self.query_one(ResultsList)
        highlighted_id = None
        if keep_highlight and listing.highlighted_option is not None:
            highlighted_id = listing.highlighted_option.id
        listing.clear_options()
        listing.add_options(Option(hit_prompt(h), id=h.id) for h in self.hits)
        self.query_one(QueryInput).suggestion = None if self.hits else suggestion
        if not self.hits:
            hint = f"  {results.hint}." if results.hint else ""
            if suggestion:
                hint += "  " + _('Did you mean "{suggestion}"? (Tab to use it)').format(
                    suggestion=suggestion
                )
            listing.add_option(Option(Text(_("No hits.") + hint, style="italic"), disabled=True))
        else:
            ids = [h.id for h in self.hits]
            listing.highlighted = ids.index(highlighted_id) if highlighted_id in ids else 0
        sort = _("sorted by date") if results.sort == "date" else _("sorted by relevance")
        found = ngettext("{count} hit", "{count} hits", results.total).format(
            count=number(results.total)
        )
        if results.collapsed and results.articles > results.total:
            found = _("{stories} stories ({articles} articles; a: every copy)").format(
                stories=number(results.total), articles=number(results.articles)
            )
        source = f" · {self.search_app.source}" if self.search_app.source else ""
        self.set_status(f"{found} · {results.took_ms:.0f} ms · {sort}{source}")
        self.refresh_bindings()  # export needs hits
        if results.facets is not None:
            self.query_one(FacetPanel).show(results.facets, self.filters)
        self.call_next(self.show_chips)

    def append_hits(self, page_of: SearchResults, more: SearchResults) -> None:
        if not self.alive or page_of is not self.results or more.offset != len(self.hits):
            return  # the results changed meanwhile: this page belongs to another search
        known = {h.id for h in self.hits}
        new = [h for h in more.hits if h.id not in known]
        self.hits.extend(new)
        self.query_one(ResultsList).add_options(Option(hit_prompt(h), id=h.id) for h in new)

    async def show_chips(self) -> None:
        if self.alive:
            await self.query_one(FilterChips).show(self.filters)

    def show_progress(self, event: Progress) -> None:
        if not self.alive:
            return
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        bar.update(total=max(event.files_total, 1), progress=event.files_done)
        self.set_status(_("Indexing: {done}/{total} files, {articles} articles").format(
            done=number(event.files_done), total=number(event.files_total),
            articles=number(event.articles)))  # fmt: skip

    def show_export_progress(self, done: int, total: int) -> None:
        if not self.alive:
            return
        bar = self.query_one("#progress", ProgressBar)
        bar.display = done < total
        bar.update(total=max(total, 1), progress=done)

    def hide_progress(self) -> None:
        if self.alive:
            self.query_one("#progress").display = False

    # --- Events -------------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def query_changed(self) -> None:
        self.refresh_bindings()  # what needs a query is enabled, or dimmed
        # Debounced: a search starts once typing pauses.
        if self._debounce is not None:
            self._debounce.stop()  # type: ignore[attr-defined]
        self._debounce = self.set_timer(DEBOUNCE_S, self.search_typed)

    @on(Input.Submitted, "#query")
    def query_submitted(self) -> None:
        self.query_one(QueryInput).remember()
        self.run_search()
        self.query_one(ResultsList).focus()

    @on(QueryInput.LeaveDown)
    def to_results(self) -> None:
        self.query_one(ResultsList).focus()

    @on(OptionList.OptionHighlighted, "#results")
    def maybe_load_more(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.hits) - 5:
            self.load_more()

    @on(OptionList.OptionSelected, "#results")
    def open_article(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.read_article(event.option.id)

    @on(SelectionList.SelectionToggled)
    def facet_toggled(self, event: SelectionList.SelectionToggled) -> None:
        """Toggle one value in the filters.

        Driven by the toggled value, not by the list's selection, because the
        list is rebuilt whenever results arrive.
        """
        value = str(event.selection.value)
        f = self.filters
        if event.selection_list.id == "countries":
            self.filters = replace(f, countries=toggle(f.countries, value))
        elif event.selection_list.id == "persons":
            self.filters = replace(f, persons=toggle(f.persons, value))
        elif event.selection_list.id == "years":
            since, until = toggle_year(f, value)
            self.filters = replace(f, since=since, until=until)

    @on(Button.Pressed, ".chip")
    def remove_chip(self, event: Button.Pressed) -> None:
        button_id = event.button.id or ""
        f = self.filters
        if button_id.startswith("chip-country-"):
            code = button_id.removeprefix("chip-country-")
            self.filters = replace(f, countries=tuple(c for c in f.countries if c != code))
        elif button_id.startswith("chip-person-"):
            self.filters = replace(f, persons=tuple(p for p in f.persons if p != event.button.name))
        else:
            self.filters = replace(f, since=None, until=None)

    def watch_filters(self) -> None:
        self.run_search()

    def watch_sort(self) -> None:
        self.run_search(keep_highlight=True)

    # --- Actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Views that need a query, or hits, are shown dimmed without them."""
        if action in ("concordance", "related") and not self.query_text.strip():
            return None
        if action == "export" and not (self.results and self.results.articles):
            return None
        return True

    def action_focus_query(self) -> None:
        self.query_one(QueryInput).focus()

    def action_toggle_sort(self) -> None:
        self.sort = "date" if self.sort == "relevance" else "relevance"
        self.notify(_("Sorted by date") if self.sort == "date" else _("Sorted by relevance"))

    def action_clear_filters(self) -> None:
        self.filters = Filters()

    def action_toggle_facets(self) -> None:
        panel = self.query_one(FacetPanel)
        if panel.display and panel.has_focus_within:
            # Hidden with the keyboard inside: it goes to the hits, not nowhere.
            self.query_one(ResultsList).focus()
        panel.display = not panel.display

    def focus_facet(self, widget_id: str) -> None:
        self.query_one(FacetPanel).display = True
        self.query_one(f"#{widget_id}").focus()

    def action_pin(self) -> None:
        """Keep the current query for the trend, to compare the next ones with it."""
        query = self.query_text.strip()
        pinned = self.search_app.pinned
        if query and query not in pinned:
            pinned.append(query)
        self.notify(
            _("Pinned for the trend: {queries}").format(queries=", ".join(pinned))
            if pinned else _("Nothing to pin")
        )  # fmt: skip

    def action_trend(self) -> None:
        from tui.screens.trend import TrendScreen

        self.app.push_screen(TrendScreen(self.query_text.strip(), self.filters), self.filter_dates)

    def filter_dates(self, period: tuple[date, date] | None) -> None:
        """Back from the trend with a period chosen: its hits."""
        if period is not None:
            since, until = period
            self.filters = replace(self.filters, since=since, until=until)

    def action_concordance(self) -> None:
        if not self.query_text.strip():
            self.notify(_("Type a query first: a concordance shows its matches"),
                        severity="warning")  # fmt: skip
            return
        from tui.screens.concordance import ConcordanceScreen

        self.app.push_screen(ConcordanceScreen(self.query_text.strip(), self.filters))

    def action_related(self) -> None:
        if not self.query_text.strip():
            self.notify(_("Type a query first: this compares its matches with the rest"),
                        severity="warning")  # fmt: skip
            return
        from tui.screens.related import RelatedScreen

        self.app.push_screen(RelatedScreen(self.query_text.strip(), self.filters), self.add_term)

    def add_term(self, term: str | None) -> None:
        """Back from the related view with a word chosen: it joins the query."""
        if term is not None:
            box = self.query_one(QueryInput)
            box.value = f"{box.value.rstrip()} {term}"
            box.cursor_position = len(box.value)

    def action_export(self) -> None:
        # Every matching article, copies of a dispatch included: what is exported.
        articles = self.results.articles if self.results else 0
        if not articles:
            self.notify(_("No hits to export"), severity="warning")
            return
        from tui.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.query_text, articles), self.start_export)

    def start_export(self, request: ExportRequest | None) -> None:
        if request is not None:
            self.export(request, self.query_text, self.filters, self.sort)

    @work(thread=True, exclusive=True, group="export")
    def export(self, request: ExportRequest, query: str, filters: Filters, sort: Sort) -> None:
        """Every hit to a file, from an engine of its own: searching goes on meanwhile.

        The file is created, never overwritten (the dialog offers a free name).
        """
        from search import export as exporting
        from search.api import IndexProblem, QuerySyntaxError

        app = self.search_app

        def progress(done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                app.call_from_thread(self.show_export_progress, done, total)

        created = False
        try:
            with (
                app.new_engine() as engine,
                request.path.open("x", encoding=request.encoding, newline="") as out,
            ):
                created = True
                rows = exporting.records(
                    engine, query, filters=filters, sort=sort, progress=progress
                )
                count = exporting.write(rows, out, request.fmt, excel=request.excel)
        except (OSError, IndexProblem, QuerySyntaxError) as error:
            if created:  # a partial export, in a file this export created
                request.path.unlink(missing_ok=True)
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            app.call_from_thread(
                self.notify, _("Export failed: {reason}").format(reason=printable(str(reason))),
                severity="error",
            )
            return
        finally:
            app.call_from_thread(self.hide_progress)
        app.call_from_thread(self.notify, _("Exported {count} articles to {path}").format(
            count=number(count), path=printable(str(request.path))))  # fmt: skip
