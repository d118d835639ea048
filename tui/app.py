"""The terminal UI's composition root: the engine, the index's life, the screens.

The app talks to the engine only through :mod:`search.api`. It owns the one
:class:`Engine` and the lock every engine call takes (workers run in threads;
Whoosh must never be used from two at once), opens and refreshes the index,
and reindexes on ctrl+r. With a cluster (``search tui --cluster URL``) the
engine is a :class:`ClusterEngine`, the same interface: every screen works
alike, and ctrl+r, which would push this machine's files, is left to
``search index --cluster``. What is shown lives in :mod:`tui.screens`, grouped
widgets in :mod:`tui.widgets`, styles in ``app.tcss``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from search.config import cluster_index_url
from search.i18n import N_, _, number
from tui.history import History, default_history_path
from tui.screens.help import HelpScreen
from tui.screens.search import SearchScreen

# The engine (numpy, Whoosh: half the start) is imported by the workers that
# open the index, after the first screen is drawn: the search box takes keys
# before the index is open.
if TYPE_CHECKING:
    from search.api import Engine, Progress

WATCH_INTERVAL_S = 2.0
# Textual's own palette commands, translated as ours (their text is Textual's).
TEXTUAL_COMMANDS = (
    N_("Theme"), N_("Change the current theme"),
    N_("Quit"), N_("Quit the application as soon as possible"),
    N_("Keys"), N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"), N_("Minimize the widget and restore to normal size"),
    N_("Maximize"), N_("Maximize the focused widget"),
    N_("Screenshot"), N_("Save an SVG 'screenshot' of the current screen"),
)  # fmt: skip


class SearchApp(App[None]):
    """Search French news as you type."""

    TITLE = _("search — French press")
    CSS_PATH = "app.tcss"
    # Screen.-wide in app.tcss: at 110 columns and more, facet names get room.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+q", "quit", _("Quit"), priority=True),
        Binding("ctrl+r", "reindex", _("Reindex"), show=False,  # in the palette and F1
                tooltip=_("index the new and changed files now (or build a missing index)")),
        Binding("f1,question_mark", "help", _("Help"), tooltip=_("this help")),
        # From any view: back to the search box (a box with the keyboard types it).
        Binding("slash", "go_search", _("Search"), show=False,
                tooltip=_("from any view: back to the search box")),
    ]

    def __init__(
        self,
        index_dir: Path,
        corpus: Path,
        query: str = "",
        *,
        history: Path | None = None,
        watch_interval: float = WATCH_INTERVAL_S,
        cluster: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.index_dir, self.corpus = index_dir, corpus
        self.cluster = cluster  # (URL, index name): read there instead of index_dir
        self.history = History(history or default_history_path())
        self.main = SearchScreen(query, self.history)
        self.engine: Engine | None = None
        self.lock = threading.Lock()
        self.pinned: list[str] = []  # queries the trend compares the current one with
        self.watch_interval = watch_interval
        # An opening under way: the watcher's timer, finding no engine yet,
        # would open the index a second time, and that opening's search reset
        # the hit the reader had moved to meanwhile.
        self.opening = False

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        # Opened once the first screen is painted: the worker's imports would
        # otherwise hold the interpreter while the screen is drawn.
        self.call_after_refresh(self.open_index_once)
        self.set_interval(self.watch_interval, self.check_index)

    # --- The index (always in workers) ----------------------------------------------

    @property
    def source(self) -> str:
        """What the app reads, as the status line names it: empty for the local index."""
        if self.cluster is None:
            return ""
        return _("cluster {url}").format(url=cluster_index_url(*self.cluster))

    def new_engine(self) -> Engine:
        """An engine of its own for a long task (a concordance, an export)."""
        if self.cluster is not None:
            from search.api import ClusterEngine

            return ClusterEngine(*self.cluster)  # type: ignore[return-value]
        from search.api import Engine

        return Engine(self.index_dir)

    def open_index_once(self) -> None:
        """Open the index unless it is open or an opening is under way.

        The watcher asks from its thread when it finds no engine; its request
        can arrive once an opening under way has finished. Opening again then
        searched again, and that search moved the highlight back to the first
        hit under the reader's keys: an open engine ends the matter."""
        if self.engine is None and not self.opening:
            self.opening = True
            self.open_index()

    @work(thread=True, exclusive=True, group="open")
    def open_index(self) -> None:
        try:
            self._open_index()
        finally:
            self.opening = False

    def _open_index(self) -> None:
        from search.api import IndexProblem, index_exists

        if self.cluster is None and not index_exists(self.index_dir):
            self.call_from_thread(
                self.main.set_status,
                _("No index at {index} yet. Press ctrl+r to build it from {corpus}.").format(
                    index=self.index_dir, corpus=self.corpus),
                "warning",
            )
            return
        try:
            engine = self.new_engine()
        except IndexProblem as error:
            self.call_from_thread(self.main.set_status, str(error), "error")
            return
        with self.lock:
            if self.engine is not None:
                self.engine.close()
            self.engine = engine
        self.call_from_thread(self.main.run_search)

    def check_index(self) -> None:
        self.refresh_index()

    @work(thread=True, exclusive=True, group="watch")
    def refresh_index(self) -> None:
        from search.api import IndexProblem, index_exists

        if self.engine is None:
            if self.cluster is None and index_exists(self.index_dir):
                self.call_from_thread(self.open_index_once)
            return
        try:
            with self.lock:
                changed = self.engine.refresh()
                documents = self.engine.stats().documents if changed else 0
        except IndexProblem as error:  # a cluster gone: said, and asked again later
            self.call_from_thread(self.main.set_status, str(error), "error")
            return
        if changed:
            self.call_from_thread(
                self.notify, _("Index updated: {count} articles").format(count=number(documents))
            )
            self.call_from_thread(self.main.run_search, True)

    @work(thread=True, exclusive=True, group="reindex")
    def reindex(self) -> None:
        # The write side (readers, YAML, workers) is loaded when first used,
        # not on the way to the first results.
        from search.api import CorpusMissing, Indexer, IndexProblem, corpus_roots

        def progress(event: Progress) -> None:
            self.call_from_thread(self.main.show_progress, event)

        roots = [r for r in corpus_roots(self.index_dir, self.corpus) if r.exists()]
        where = ", ".join(map(str, roots)) or str(self.corpus)
        self.call_from_thread(self.main.set_status, _("Indexing {where} …").format(where=where), "")
        try:
            if not roots:
                raise CorpusMissing(self.index_dir, self.corpus)
            report = Indexer(self.index_dir).update(roots, progress=progress)
        except IndexProblem as error:
            self.call_from_thread(self.main.set_status, str(error), "error")
            return
        finally:
            self.call_from_thread(self.main.hide_progress)
        message = _(
            "Indexed {added} new, {updated} updated, {removed} removed, {skipped} skipped in {s} s"
        ).format(added=number(report.added), updated=number(report.updated),
                 removed=number(report.removed), skipped=number(len(report.skipped)),
                 s=f"{report.seconds:.1f}")  # fmt: skip
        self.call_from_thread(self.notify, message)
        if self.engine is not None and not (report.added or report.updated or report.removed):
            # Nothing new: the hits stand, and the status says them again.
            self.call_from_thread(self.main.run_search, True)
        else:
            again = self.open_index_once if self.engine is None else self.refresh_index
            self.call_from_thread(again)

    # --- Actions and the command palette ----------------------------------------------

    def action_reindex(self) -> None:
        if self.cluster is not None:
            command = f"search index PATH --cluster {self.cluster[0]}"
            self.notify(_("This reads the {source}: push new files with {command}").format(
                source=self.source, command=command), severity="warning")  # fmt: skip
            return
        self.reindex()

    def indexed_folders(self) -> str:
        """What ctrl+r reads: the folders the open index was built from."""
        if self.cluster is not None:
            return self.source
        from search.api import corpus_roots
        return ", ".join(map(str, corpus_roots(self.index_dir, self.corpus)))

    def action_go_search(self) -> None:
        while self.screen is not self.main and len(self.screen_stack) > 1:
            self.pop_screen()
        self.main.action_focus_query()

    def action_help(self) -> None:
        # The help reads these classes' bindings (imported here: not on the
        # way to the first results).
        from tui.screens.article import ArticleScreen
        from tui.screens.concordance import ConcordanceScreen
        from tui.screens.related import RelatedScreen
        from tui.screens.trend import TrendScreen
        from tui.widgets.query import QueryInput
        from tui.widgets.results import ResultsList

        self.push_screen(HelpScreen([
            (_("Search"), [QueryInput]), (_("Hits"), [ResultsList, SearchScreen]),
            (_("Trend"), [TrendScreen]), (_("Concordance"), [ConcordanceScreen]),
            (_("Related"), [RelatedScreen]), (_("Article"), [ArticleScreen]),
            (_("Anywhere"), [SearchApp]),
        ]))  # fmt: skip

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            yield command._replace(title=_(command.title), help=_(command.help))
        main = self.main
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (_("Trend of this query"), _("Matches over time, with the pinned queries"),
             main.action_trend),
            (_("Concordance of this query"), _("Every occurrence in its context"),
             main.action_concordance),
            (_("Related: what the matches talk about"),
             _("Over-represented words, persons, countries"), main.action_related),
            (_("Pin this query"), _("Compare it with the next ones in the trend"),
             main.action_pin),
            (_("Export results…"), _("Every hit to a CSV, JSON Lines or OpenSearch file"),
             main.action_export),
            (_("Sort by relevance / date"), _("Toggle the order of hits"),
             main.action_toggle_sort),
            (_("Clear filters"), _("Remove every facet filter"), main.action_clear_filters),
            (_("Filter by country…"), _("Go to the country list"),
             lambda: main.focus_facet("countries")),
            (_("Filter by person…"), _("Go to the person list"),
             lambda: main.focus_facet("persons")),
            (_("Filter by year…"), _("Go to the year list"), lambda: main.focus_facet("years")),
            (_("Reindex now"),
             _("Index new and changed files in {folders}").format(folders=self.indexed_folders()),
             self.action_reindex),
            (_("Toggle facet panel"), _("Show or hide the facets"), main.action_toggle_facets),
            (_("Help"), _("Every key binding"), self.action_help),
        ]  # fmt: skip
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    def on_unmount(self) -> None:
        if self.engine is not None:
            with self.lock:
                self.engine.close()


def run(
    index_dir: Path, corpus: Path, query: str = "", cluster: tuple[str, str] | None = None
) -> None:
    SearchApp(index_dir, corpus, query, cluster=cluster).run()
