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

from search.api import (
    CorpusMissing,
    Engine,
    IndexProblem,
    corpus_roots,
    index_exists,
)
from search.config import cluster_index_url
from tui.history import History, default_history_path
from tui.screens.help import HelpScreen
from tui.screens.search import SearchScreen

if TYPE_CHECKING:
    from search.api import Progress

WATCH_INTERVAL_S = 2.0


class SearchApp(App[None]):
    """Search French news as you type."""

    TITLE = "search — presse française"
    CSS_PATH = "app.tcss"
    # Screen.-wide in app.tcss: at 110 columns and more, facet names get room.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+r", "reindex", "Reindex", show=False,  # in the palette and F1
                tooltip="index the new and changed files now (or build a missing index)"),
        Binding("f1,question_mark", "help", "Help", tooltip="this help"),
        # From any view: back to the search box (a box with the keyboard types it).
        Binding("slash", "go_search", "Search", show=False,
                tooltip="from any view: back to the search box"),
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

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        self.open_index()
        self.set_interval(self.watch_interval, self.check_index)

    # --- The index (always in workers) ----------------------------------------------

    @property
    def source(self) -> str:
        """What the app reads, as the status line names it: empty for the local index."""
        return f"cluster {cluster_index_url(*self.cluster)}" if self.cluster else ""

    def new_engine(self) -> Engine:
        """An engine of its own for a long task (a concordance, an export)."""
        if self.cluster is not None:
            from search.api import ClusterEngine

            return ClusterEngine(*self.cluster)  # type: ignore[return-value]
        return Engine(self.index_dir)

    @work(thread=True, exclusive=True, group="open")
    def open_index(self) -> None:
        if self.cluster is None and not index_exists(self.index_dir):
            self.call_from_thread(
                self.main.set_status,
                f"No index at {self.index_dir} yet. Press ctrl+r to build it from {self.corpus}.",
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
        if self.engine is None:
            if self.cluster is None and index_exists(self.index_dir):
                self.call_from_thread(self.open_index)
            return
        try:
            with self.lock:
                changed = self.engine.refresh()
                documents = self.engine.stats().documents if changed else 0
        except IndexProblem as error:  # a cluster gone: said, and asked again later
            self.call_from_thread(self.main.set_status, str(error), "error")
            return
        if changed:
            self.call_from_thread(self.notify, f"Index updated: {documents:,} articles")
            self.call_from_thread(self.main.run_search, True)

    @work(thread=True, exclusive=True, group="reindex")
    def reindex(self) -> None:
        # The write side (readers, YAML, workers) is loaded when first used,
        # not on the way to the first results.
        from search.api import Indexer

        def progress(event: Progress) -> None:
            self.call_from_thread(self.main.show_progress, event)

        roots = [r for r in corpus_roots(self.index_dir, self.corpus) if r.exists()]
        where = ", ".join(map(str, roots)) or str(self.corpus)
        self.call_from_thread(self.main.set_status, f"Indexing {where} …", "")
        try:
            if not roots:
                raise CorpusMissing(self.index_dir, self.corpus)
            report = Indexer(self.index_dir).update(roots, progress=progress)
        except IndexProblem as error:
            self.call_from_thread(self.main.set_status, str(error), "error")
            return
        finally:
            self.call_from_thread(self.main.hide_progress)
        message = (
            f"Indexed {report.added:,} new, {report.updated:,} updated, {report.removed:,} "
            f"removed, {len(report.skipped):,} skipped in {report.seconds:.1f}s"
        )
        self.call_from_thread(self.notify, message)
        if self.engine is not None and not (report.added or report.updated or report.removed):
            # Nothing new: the hits stand, and the status says them again.
            self.call_from_thread(self.main.run_search, True)
        else:
            self.call_from_thread(self.open_index if self.engine is None else self.refresh_index)

    # --- Actions and the command palette ----------------------------------------------

    def action_reindex(self) -> None:
        if self.cluster is not None:
            command = f"search index PATH --cluster {self.cluster[0]}"
            self.notify(f"This reads the {self.source}: push new files with {command}",
                        severity="warning")  # fmt: skip
            return
        self.reindex()

    def indexed_folders(self) -> str:
        """What ctrl+r reads: the folders the open index was built from."""
        if self.cluster is not None:
            return self.source
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
            ("Search", [QueryInput]), ("Hits", [ResultsList, SearchScreen]),
            ("Trend", [TrendScreen]), ("Concordance", [ConcordanceScreen]),
            ("Related", [RelatedScreen]), ("Article", [ArticleScreen]),
            ("Anywhere", [SearchApp]),
        ]))  # fmt: skip

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Trend of this query", "Matches over time, with the pinned queries",
             main.action_trend),
            ("Concordance of this query", "Every occurrence in its context",
             main.action_concordance),
            ("Related: what the matches talk about", "Over-represented words, persons, countries",
             main.action_related),
            ("Pin this query", "Compare it with the next ones in the trend", main.action_pin),
            ("Export results…", "Every hit to a CSV, JSON Lines or OpenSearch file",
             main.action_export),
            ("Sort by relevance / date", "Toggle the order of hits", main.action_toggle_sort),
            ("Clear filters", "Remove every facet filter", main.action_clear_filters),
            ("Filter by country…", "Go to the country list", lambda: main.focus_facet("countries")),
            ("Filter by person…", "Go to the person list", lambda: main.focus_facet("persons")),
            ("Filter by year…", "Go to the year list", lambda: main.focus_facet("years")),
            ("Reindex now", f"Index new and changed files in {self.indexed_folders()}",
             self.action_reindex),
            ("Toggle facet panel", "Show or hide the facets", main.action_toggle_facets),
            ("Help", "Every key binding", self.action_help),
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
