"""The terminal UI: search as you type, read with highlights, drill down by facets.

The app talks to the engine only through :mod:`search.api`. Every engine
call runs in a worker thread (``@work(exclusive=True)`` cancels a stale
search when a newer one starts), behind one lock, so the UI never freezes
and Whoosh is never used from two threads at once.
"""

from __future__ import annotations

import functools
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    ProgressBar,
    SelectionList,
    Sparkline,
    Static,
)
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection
from textual.worker import get_current_worker

from index.articles import printable
from search.api import (
    Article,
    CorpusMissing,
    Engine,
    FacetCounts,
    Filters,
    Hit,
    Indexer,
    IndexProblem,
    Progress,
    QuerySyntaxError,
    SearchResults,
    Sort,
    corpus_roots,
    index_exists,
)
from search.render import MATCH_STYLE, highlighted
from search.snippets import Span

PAGE = 30  # hits fetched at a time; more load as the list is scrolled
DEBOUNCE_S = 0.15
WATCH_INTERVAL_S = 2.0
CURRENT_MATCH = "bold white on dark_orange3"


def while_shown(method: Callable[..., None]) -> Callable[..., None]:
    """Skip a UI update that a worker delivers after the app has started to close."""

    @functools.wraps(method)
    def update(self: App[None], *args: Any, **kwargs: Any) -> None:
        if self.screen_stack and self.is_running:
            method(self, *args, **kwargs)

    return update


def hit_prompt(hit: Hit) -> Text:
    """Title, one line of metadata, the snippet: what a reader scans."""
    title = highlighted(hit.title or "(untitled)", hit.title_highlights)
    if hit.title_source == "derived":
        title.stylize("italic")
    title.stylize("bold")
    meta_parts = [hit.date.date().isoformat() if hit.date else "", hit.source]
    meta_parts.append(printable(Path(hit.path).name))
    if hit.countries:
        meta_parts.append(" ".join(hit.countries[:6]) + ("…" if len(hit.countries) > 6 else ""))
    if hit.persons:
        meta_parts.append(", ".join(hit.persons[:3]) + ("…" if len(hit.persons) > 3 else ""))
    meta = Text(" · ".join(p for p in meta_parts if p), style="dim")
    snippet = highlighted(hit.snippet.text, hit.snippet.highlights)
    return Text("\n").join([title, meta, snippet, Text("")])  # a blank line between hits


class History:
    """Past queries, newest last, kept between sessions in a text file."""

    def __init__(self, path: Path, limit: int = 200) -> None:
        self.path, self.limit = path, limit
        try:
            self.items = [q for q in path.read_text(encoding="utf-8").splitlines() if q]
        except OSError:
            self.items = []
        self.cursor = len(self.items)

    def add(self, query: str) -> None:
        query = query.strip()
        if not query:
            return
        if query in self.items:
            self.items.remove(query)
        self.items = [*self.items, query][-self.limit :]
        self.cursor = len(self.items)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("\n".join(self.items) + "\n", encoding="utf-8")
        except OSError:
            pass  # history is a convenience: never fail a search for it

    def previous(self) -> str | None:
        if not self.items:
            return None
        self.cursor = max(0, self.cursor - 1)
        return self.items[self.cursor]

    def next(self) -> str:
        self.cursor = min(len(self.items), self.cursor + 1)
        return self.items[self.cursor] if self.cursor < len(self.items) else ""


def default_history_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "french-news-search" / "history"


class QueryInput(Input):
    """The query box; ↑/↓ in it walk the query history."""

    BINDINGS = [
        Binding("up", "history_previous", "History", show=False),
        Binding("down", "history_next", "History", show=False),
    ]

    def action_history_previous(self) -> None:
        app = self.app
        assert isinstance(app, SearchApp)
        if (self.value == "" or app.browsing_history) and (query := app.history.previous()):
            app.browsing_history = True
            self.value = query
            self.cursor_position = len(query)

    def action_history_next(self) -> None:
        app = self.app
        assert isinstance(app, SearchApp)
        if app.browsing_history:
            self.value = app.history.next()
            self.cursor_position = len(self.value)
        else:
            app.query_one(ResultsList).focus()


class ResultsList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    KEYS = [
        ("Search", ""),
        ("type", 'search as you type (words AND-ed; OU, SAUF, "phrases", pays:, date:[… TO …])'),
        ("↑ / ↓ in an empty box", "query history"),
        ("Enter / ↓", "go to the results"),
        ("Results", ""),
        ("↑ ↓ j k PgUp PgDn Home End", "move; more hits load as you scroll"),
        ("Enter", "read the article"),
        ("s", "sort by relevance / date"),
        ("Facets", ""),
        ("Tab", "move to the country, person and year lists"),
        ("Space / Enter", "toggle a filter; click a chip to remove it"),
        ("c", "clear all filters"),
        ("f", "show / hide the facet panel"),
        ("Article", ""),
        ("n / N", "next / previous match"),
        ("o", "open the file in $PAGER (or $EDITOR)"),
        ("y", "copy the url (or the path)"),
        ("Escape", "back to the results"),
        ("Anywhere", ""),
        ("/", "go to the search box"),
        ("ctrl+r", "reindex the corpus now"),
        ("ctrl+p", "command palette"),
        ("F1 or ?", "this help"),
        ("ctrl+q", "quit"),
    ]

    def compose(self) -> ComposeResult:
        lines = Text()
        for key, what in self.KEYS:
            if not what:
                lines.append(f"\n{key}\n", style="bold underline")
            else:
                lines.append(f"  {key:<28}", style="bold")
                lines.append(f"{what}\n")
        with VerticalScroll(id="help"):
            yield Static(lines)
            yield Label("Escape closes this help.", classes="dim")


class ArticleScreen(Screen[None]):
    """One article, every match highlighted, n/N to jump between them."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("n", "next_match", "Next match"),
        Binding("N", "previous_match", "Prev match"),
        Binding("o", "open_file", "Open"),
        Binding("y", "copy", "Copy url/path"),
    ]

    def __init__(self, article: Article) -> None:
        super().__init__()
        self.article = article
        # The title, the lead and the body (in short chunks) are the pieces
        # n/N jumps between; each match is (piece index, span in the piece).
        self.pieces: list[tuple[str, str]] = [("title", article.title)]
        self.matches: list[tuple[int, Span]] = [(0, s) for s in article.highlights.get("title", ())]
        if article.lead:
            self.pieces.append(("lead", article.lead))
            self.matches += [(1, s) for s in article.highlights.get("lead", ())]
        body_spans = article.highlights.get("body", ())
        for offset, chunk in _chunks(article.body):
            index = len(self.pieces)
            self.pieces.append(("chunk", chunk))
            self.matches += [
                (index, (start - offset, end - offset))
                for start, end in body_spans
                if offset <= start and end <= offset + len(chunk)
            ]
        self.current = -1

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="article"):
            for index, (kind, text) in enumerate(self.pieces):
                yield Static(self._render_chunk(index, text), classes=kind, id=f"piece-{index}")
                if kind == "title":
                    yield Static(self._metadata(), id="article-meta")
        yield Footer()

    def _metadata(self) -> Text:
        a = self.article
        rows = [
            ("date", f"{a.date.date().isoformat()} (from {a.date_source})" if a.date else ""),
            ("source", a.source),
            ("url", a.url),
            ("path", printable(a.path)),
            ("countries", ", ".join(a.countries)),
            ("persons", ", ".join(a.persons)),
            ("matches", str(len(self.matches))),
        ]
        meta = Text()
        for label, value in rows:
            if value:
                meta.append(f"{label:>9}: ", style="bold")
                meta.append(f"{value}\n")
        return meta

    def _render_chunk(self, index: int, chunk: str) -> Text:
        text = Text(chunk)
        for n, (chunk_index, (start, end)) in enumerate(self.matches):
            if chunk_index == index:
                text.stylize(CURRENT_MATCH if n == self.current else MATCH_STYLE, start, end)
        return text

    def _jump(self, step: int) -> None:
        if not self.matches:
            self.notify("No match to jump to", severity="warning")
            return
        previous = self.matches[self.current][0] if self.current >= 0 else None
        self.current = (self.current + step) % len(self.matches)
        index = self.matches[self.current][0]
        for piece in {index, previous} - {None}:
            assert piece is not None
            widget = self.query_one(f"#piece-{piece}", Static)
            widget.update(self._render_chunk(piece, self.pieces[piece][1]))
        self.query_one(f"#piece-{index}").scroll_visible(animate=False)
        self.sub_title = f"match {self.current + 1}/{len(self.matches)}"

    def action_next_match(self) -> None:
        self._jump(1)

    def action_previous_match(self) -> None:
        self._jump(-1)

    def action_open_file(self) -> None:
        viewer = os.environ.get("PAGER") or os.environ.get("EDITOR") or "less"
        with self.app.suspend():
            subprocess.call([*shlex.split(viewer), self.article.path.split("#")[0]])

    def action_copy(self) -> None:
        what = self.article.url or self.article.path
        self.app.copy_to_clipboard(what)
        self.notify(f"Copied {what}")


def _chunks(text: str, size: int = 400) -> list[tuple[int, str]]:
    """Paragraphs, long ones cut at sentence ends, as (offset, text) pairs.

    Jumping to a match scrolls to its chunk, so chunks stay short.
    """
    chunks: list[tuple[int, str]] = []
    offset = 0
    for paragraph in text.split("\n"):
        start = 0
        while len(paragraph) - start > size:
            cut = paragraph.rfind(". ", start, start + size)
            cut = cut + 2 if cut > start else start + size
            chunks.append((offset + start, paragraph[start:cut]))
            start = cut
        if paragraph[start:].strip():
            chunks.append((offset + start, paragraph[start:]))
        offset += len(paragraph) + 1
    return chunks


class SearchApp(App[None]):
    """Search French news as you type."""

    TITLE = "search — presse française"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("slash", "focus_query", "Search"),
        Binding("s", "toggle_sort", "Sort"),
        Binding("c", "clear_filters", "Clear filters"),
        Binding("f", "toggle_facets", "Facets"),
        Binding("ctrl+r", "reindex", "Reindex"),
        Binding("f1,question_mark", "help", "Help"),
    ]

    sort: reactive[Sort] = reactive("relevance")
    filters: reactive[Filters] = reactive(Filters, always_update=True)

    def __init__(
        self,
        index_dir: Path,
        corpus: Path,
        query: str = "",
        *,
        history: Path | None = None,
        watch_interval: float = WATCH_INTERVAL_S,
    ) -> None:
        super().__init__()
        self.index_dir, self.corpus = index_dir, corpus
        self.initial_query = query
        self.history = History(history or default_history_path())
        self.browsing_history = False
        self.engine: Engine | None = None
        self.lock = threading.Lock()
        self.results: SearchResults | None = None
        self.hits: list[Hit] = []
        self.watch_interval = watch_interval
        self._debounce: object | None = None

    # --- Layout -------------------------------------------------------------------

    def ui(self, selector, expect_type=None):  # type: ignore[no-untyped-def]
        """A widget of the search screen, even while an article or the help is shown."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        if expect_type is None:
            return screen.query_one(selector)
        return screen.query_one(selector, expect_type)

    def compose(self) -> ComposeResult:
        yield Header()
        yield QueryInput(
            value=self.initial_query,
            placeholder='Rechercher… (ex. OTAN Finlande, "sommet de Madrid", pays:FI)',
            id="query",
        )
        yield Horizontal(id="chips")
        with Horizontal(id="main"):
            with Vertical(id="facets"):
                yield Label("Pays", classes="facet-title")
                yield SelectionList[str](id="countries")
                yield Label("Personnes", classes="facet-title")
                yield SelectionList[str](id="persons")
                yield Label("Dates", classes="facet-title")
                yield Sparkline([], id="timeline")
                yield Label("", id="timeline-range")
                yield SelectionList[str](id="years")
            yield ResultsList(id="results")
        yield Static("", id="status")
        yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.ui("#progress").display = False
        self.ui(QueryInput).focus()
        self.open_index()
        self.set_interval(self.watch_interval, self.check_index)

    # --- Engine access (always in workers) ------------------------------------------

    @work(thread=True, exclusive=True, group="open")
    def open_index(self) -> None:
        if not index_exists(self.index_dir):
            self.call_from_thread(
                self.set_status,
                f"No index at {self.index_dir} yet. Press ctrl+r to build it from {self.corpus}.",
                "warning",
            )
            return
        try:
            engine = Engine(self.index_dir)
        except IndexProblem as error:
            self.call_from_thread(self.set_status, str(error), "error")
            return
        with self.lock:
            if self.engine is not None:
                self.engine.close()
            self.engine = engine
        self.call_from_thread(self.run_search)

    def run_search(self, keep_highlight: bool = False) -> None:
        query = self.ui(QueryInput).value
        self.search(query, self.filters, self.sort, keep_highlight)

    @work(thread=True, exclusive=True, group="search")
    def search(self, query: str, filters: Filters, sort: Sort, keep_highlight: bool) -> None:
        if self.engine is None:
            return
        try:
            with self.lock:
                results = self.engine.search(
                    query, limit=PAGE, sort=sort, filters=filters, facets=True, top=15
                )
                suggestion = self.engine.suggest(query) if not results.total and query else None
        except QuerySyntaxError as error:
            # The previous results stay; the error shows inline.
            if not get_current_worker().is_cancelled:
                self.call_from_thread(self.set_status, f"Query error: {error}", "error")
            return
        # A thread cannot be interrupted: a search overtaken by a newer one
        # finishes, but must not show its stale results.
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self.show_results, results, suggestion, keep_highlight)

    @work(thread=True, exclusive=True, group="more")
    def load_more(self) -> None:
        results, offset = self.results, len(self.hits)
        if self.engine is None or results is None or offset >= results.total:
            return
        try:
            with self.lock:
                more = self.engine.search(
                    results.query, limit=PAGE, offset=offset, sort=results.sort,
                    filters=results.filters,
                )  # fmt: skip
        except QuerySyntaxError:
            return
        self.call_from_thread(self.append_hits, results, more)

    def check_index(self) -> None:
        self.refresh_index()

    @work(thread=True, exclusive=True, group="watch")
    def refresh_index(self) -> None:
        if self.engine is None:
            if index_exists(self.index_dir):
                self.call_from_thread(self.open_index)
            return
        with self.lock:
            changed = self.engine.refresh()
            documents = self.engine.stats().documents if changed else 0
        if changed:
            self.call_from_thread(self.notify, f"Index updated: {documents:,} articles")
            self.call_from_thread(self.run_search, True)

    @work(thread=True, exclusive=True, group="reindex")
    def reindex(self) -> None:
        def progress(event: Progress) -> None:
            self.call_from_thread(self.show_progress, event)

        roots = [r for r in corpus_roots(self.index_dir, self.corpus) if r.exists()]
        where = ", ".join(map(str, roots)) or str(self.corpus)
        self.call_from_thread(self.set_status, f"Indexing {where} …", "")
        try:
            if not roots:
                raise CorpusMissing(self.index_dir, self.corpus)
            report = Indexer(self.index_dir).update(roots, progress=progress)
        except IndexProblem as error:
            self.call_from_thread(self.set_status, str(error), "error")
            return
        finally:
            self.call_from_thread(self.hide_progress)
        message = (
            f"Indexed {report.added:,} new, {report.updated:,} updated, {report.removed:,} "
            f"removed, {len(report.skipped):,} skipped in {report.seconds:.1f}s"
        )
        self.call_from_thread(self.notify, message)
        self.call_from_thread(self.open_index if self.engine is None else self.refresh_index)

    # --- Showing results -----------------------------------------------------------

    @while_shown
    def set_status(self, message: str, level: str = "") -> None:
        status = self.ui("#status", Static)
        status.update(message)
        status.set_classes(level)

    @while_shown
    def show_results(
        self, results: SearchResults, suggestion: str | None, keep_highlight: bool
    ) -> None:
        self.results = results
        self.hits = list(results.hits)
        listing = self.ui(ResultsList)
        highlighted_id = None
        if keep_highlight and listing.highlighted_option is not None:
            highlighted_id = listing.highlighted_option.id
        listing.clear_options()
        listing.add_options(Option(hit_prompt(h), id=h.id) for h in self.hits)
        if not self.hits:
            hint = f"  {results.hint}." if results.hint else ""
            hint += f'  Did you mean "{suggestion}"? (Tab to use it)' if suggestion else ""
            self.suggestion = suggestion
            listing.add_option(Option(Text("No hits." + hint, style="italic"), disabled=True))
        else:
            ids = [h.id for h in self.hits]
            listing.highlighted = ids.index(highlighted_id) if highlighted_id in ids else 0
        sort = "date" if results.sort == "date" else "relevance"
        self.set_status(
            f"{results.total:,} hit{'s' if results.total != 1 else ''} · "
            f"{results.took_ms:.0f} ms · sorted by {sort}"
        )
        if results.facets is not None:
            self.show_facets(results.facets)
        self.call_next(self.show_chips)

    @while_shown
    def append_hits(self, page_of: SearchResults, more: SearchResults) -> None:
        if page_of is not self.results or more.offset != len(self.hits):
            return  # the results changed meanwhile: this page belongs to another search
        known = {h.id for h in self.hits}
        new = [h for h in more.hits if h.id not in known]
        self.hits.extend(new)
        self.ui(ResultsList).add_options(Option(hit_prompt(h), id=h.id) for h in new)

    def _fill(self, widget_id: str, items: list[tuple[str, str, int]], chosen: set[str]) -> None:
        """Refill a facet list, keeping chosen values even when their count is 0."""
        selection = self.ui(f"#{widget_id}", SelectionList)
        present = {value for value, _, _ in items}
        items = items + [(v, v, 0) for v in sorted(chosen - present)]
        with selection.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
            selection.clear_options()
            selection.add_options(
                Selection(f"{label} ({count})", value, value in chosen)
                for value, label, count in items
            )

    def show_facets(self, facets: FacetCounts) -> None:
        f = self.filters
        chosen_countries = set(f.countries)
        self._fill(
            "countries",
            [(v.value, v.label, v.count) for v in facets.countries],
            chosen_countries,
        )
        self._fill("persons", [(v.value, v.label, v.count) for v in facets.persons], set(f.persons))
        years: dict[str, int] = {}
        for bucket in facets.dates:
            years[bucket.value[:4]] = years.get(bucket.value[:4], 0) + bucket.count
        chosen_years = _years_in(f)
        self._fill("years", [(y, y, n) for y, n in sorted(years.items())], chosen_years)
        self.ui("#timeline", Sparkline).data = [b.count for b in facets.dates] or [0]
        span = f"{facets.dates[0].value} → {facets.dates[-1].value}" if facets.dates else ""
        self.ui("#timeline-range", Label).update(span)

    async def show_chips(self) -> None:
        """One removable chip per active filter."""
        if not self.screen_stack or not self.is_running:
            return
        chips = self.ui("#chips", Horizontal)
        await chips.remove_children()
        f = self.filters
        buttons = [Button(f"{c} ×", id=f"chip-country-{c}", classes="chip") for c in f.countries]
        buttons += [
            Button(f"{p} ×", name=p, id=f"chip-person-{n}", classes="chip")
            for n, p in enumerate(f.persons)
        ]
        if f.since or f.until:
            since = f.since.isoformat() if f.since else "…"
            until = f.until.isoformat() if f.until else "…"
            buttons.append(Button(f"{since} → {until} ×", id="chip-dates", classes="chip"))
        chips.display = bool(buttons)
        if buttons:
            await chips.mount_all(buttons)

    @while_shown
    def show_progress(self, event: Progress) -> None:
        bar = self.ui("#progress", ProgressBar)
        bar.display = True
        bar.update(total=max(event.files_total, 1), progress=event.files_done)
        self.set_status(f"Indexing: {event.files_done}/{event.files_total} files, "
                        f"{event.articles:,} articles")  # fmt: skip

    @while_shown
    def hide_progress(self) -> None:
        self.ui("#progress").display = False

    # --- Events ---------------------------------------------------------------------

    @on(Input.Changed, "#query")
    def query_changed(self) -> None:
        # Debounced: a search starts once typing pauses.
        if self._debounce is not None:
            self._debounce.stop()  # type: ignore[attr-defined]
        self._debounce = self.set_timer(DEBOUNCE_S, self.run_search)

    @on(Input.Submitted, "#query")
    def query_submitted(self, event: Input.Submitted) -> None:
        self.history.add(event.value)
        self.browsing_history = False
        self.run_search()
        self.ui(ResultsList).focus()

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        query = self.ui(QueryInput)
        if key == "tab" and query.has_focus and getattr(self, "suggestion", None) and not self.hits:
            query.value = self.suggestion or ""
            getattr(event, "prevent_default", lambda: None)()
        elif key not in ("up", "down"):
            self.browsing_history = False

    @on(OptionList.OptionHighlighted, "#results")
    def maybe_load_more(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.hits) - 5:
            self.load_more()

    @on(OptionList.OptionSelected, "#results")
    def open_article(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.read_article(event.option.id)

    @work(thread=True, exclusive=True, group="article")
    def read_article(self, doc_id: str) -> None:
        if self.engine is None:
            return
        query = self.results.query if self.results else ""
        with self.lock:
            try:
                article = self.engine.article(doc_id, query or None)
            except QuerySyntaxError:
                article = self.engine.article(doc_id)
        if article is not None:
            self.call_from_thread(self.push_screen, ArticleScreen(article))

    @on(SelectionList.SelectionToggled)
    def facet_toggled(self, event: SelectionList.SelectionToggled) -> None:
        """Toggle one value in the filters.

        Driven by the toggled value, not by the list's selection, because the
        list is rebuilt whenever results arrive.
        """
        value = str(event.selection.value)
        f = self.filters

        def toggle(values: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(v for v in values if v != value) if value in values else (*values, value)

        if event.selection_list.id == "countries":
            self.filters = replace(f, countries=toggle(f.countries))
        elif event.selection_list.id == "persons":
            self.filters = replace(f, persons=toggle(f.persons))
        elif event.selection_list.id == "years":
            years = sorted(int(y) for y in toggle(tuple(sorted(_years_in(f)))))
            self.filters = replace(
                f,
                since=date(years[0], 1, 1) if years else None,
                until=date(years[-1], 12, 31) if years else None,
            )

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
        self.run_search()

    # --- Actions --------------------------------------------------------------------

    def action_focus_query(self) -> None:
        self.ui(QueryInput).focus()

    def action_toggle_sort(self) -> None:
        self.sort = "date" if self.sort == "relevance" else "relevance"
        self.notify(f"Sorted by {self.sort}")

    def action_clear_filters(self) -> None:
        self.filters = Filters()

    def action_toggle_facets(self) -> None:
        panel = self.ui("#facets")
        panel.display = not panel.display

    def action_reindex(self) -> None:
        self.reindex()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Sort by relevance / date", "Toggle the order of hits", self.action_toggle_sort
        )
        yield SystemCommand("Clear filters", "Remove every facet filter", self.action_clear_filters)
        yield SystemCommand(
            "Filter by country…", "Go to the country list", self._focus("countries")
        )
        yield SystemCommand("Filter by person…", "Go to the person list", self._focus("persons"))
        yield SystemCommand("Filter by year…", "Go to the year list", self._focus("years"))
        yield SystemCommand(
            "Reindex now", f"Index new and changed files in {self.corpus}", self.action_reindex
        )
        yield SystemCommand(
            "Toggle facet panel", "Show or hide the facets", self.action_toggle_facets
        )
        yield SystemCommand("Help", "Every key binding", self.action_help)

    def _focus(self, widget_id: str):  # type: ignore[no-untyped-def]
        def focus() -> None:
            self.ui("#facets").display = True
            self.ui(f"#{widget_id}").focus()

        return focus

    def on_unmount(self) -> None:
        if self.engine is not None:
            with self.lock:
                self.engine.close()


def _years_in(filters: Filters) -> set[str]:
    if not filters.since or not filters.until:
        return set()
    return {str(y) for y in range(filters.since.year, filters.until.year + 1)}


def run(index_dir: Path, corpus: Path, query: str = "") -> None:
    SearchApp(index_dir, corpus, query).run()
