"""The Textual UI, driven with the pilot on real indexes."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    RadioButton,
    RadioSet,
    SelectionList,
    Static,
)
from textual.worker import Worker, WorkerCancelled, WorkerState

from index.writer import Indexer
from search.api import Engine, Filters
from search.concordance import concordance
from tests.conftest import FIXTURES, SEEDS
from tui.app import SearchApp
from tui.screens.article import ArticleScreen
from tui.screens.concordance import ConcordanceScreen
from tui.screens.export import ExportScreen
from tui.screens.help import HelpScreen
from tui.screens.related import RelatedScreen
from tui.screens.trend import TrendScreen
from tui.widgets.query import QueryInput
from tui.widgets.results import ResultsList


def prompts(widget: SelectionList) -> list[str]:  # type: ignore[type-arg]
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


def status(app: SearchApp) -> str:
    return str(app.main.query_one("#status", Static).render())


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Let workers finish: poll until *condition* holds (the bound is generous: only
    a UI that never gets there fails it, not a slow machine)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out; status: {status(pilot.app)!r}")
        await pilot.pause(0.05)


async def idle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until typing's debounced search and every worker are done.

    An exclusive worker cancelled by its successor (the watcher's refresh, a stale
    search) is done, not a failure: ``wait_for_complete`` would raise for it, so
    each worker is awaited alone, until none is left running (a finished worker
    may have started another). A worker that raised still fails the test."""
    await pilot.pause(0.3)
    while busy := [worker for worker in pilot.app.workers if not worker.is_finished]:
        for worker in busy:
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
    await pilot.pause()


def build_corpus(base: Path) -> tuple[Path, Path]:
    """Fixtures and seeds in one folder, with fixed mtimes (dates from mtimes must
    not change snapshots), indexed."""
    corpus = base / "corpus"
    shutil.copytree(FIXTURES, corpus)
    for path in SEEDS.iterdir():
        if path.is_file():
            shutil.copy(path, corpus)
    for path in corpus.iterdir():
        os.utime(path, (1_650_000_000, 1_650_000_000))
    Indexer(base / "index").update([corpus])
    return corpus, base / "index"


@pytest.fixture
def corpus_index(tmp_path: Path) -> tuple[Path, Path]:
    return build_corpus(tmp_path)


def make_app(corpus_index: tuple[Path, Path], tmp_path: Path, query: str = "") -> SearchApp:
    corpus, index_dir = corpus_index
    return SearchApp(index_dir, corpus, query, history=tmp_path / "history", watch_interval=0.2)


def test_the_first_screen_needs_no_engine(tmp_path: Path) -> None:
    """The app and its first screen are made without numpy, Whoosh or the
    engine: the workers that open the index import them, after the first paint
    (half of the start). Checked by what is loaded, not by a clock."""
    probe = (
        "import sys\nfrom pathlib import Path\nfrom tui.app import SearchApp\n"
        f"SearchApp(Path({str(tmp_path)!r}), Path('.'), 'Finlande', history=Path('/dev/null'))\n"
        "print(sorted(n for n in ('numpy', 'whoosh', 'search.engine', 'search.api') "
        "if n in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout


async def test_type_a_query_and_see_hits(corpus_index: tuple[Path, Path], tmp_path: Path) -> None:
    app = make_app(corpus_index, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"Finlande")
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        results = app.query_one(ResultsList)
        assert results.option_count == 9
        first = str(results.get_option_at_index(0).prompt)
        assert "Finlande" in first


async def test_select_a_country_narrows_hits_and_counts(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        await idle(pilot)
        countries = app.query_one("#countries", SelectionList)
        labels = prompts(countries)
        assert "Suède (6)" in labels
        countries.focus()
        countries.highlighted = [str(o.value) for o in countries.options].index("SE")  # type: ignore[attr-defined]
        where = countries.region
        await pilot.press("space")
        await wait_for(pilot, lambda: status(app).startswith("6 hits"))
        assert app.main.filters.countries == ("SE",)
        # The chip row appears above the hits: the facet lists stay under the
        # pointer (a second click must land on what the first one saw).
        await wait_for(pilot, lambda: bool(app.query("#chip-country-SE")))
        await idle(pilot)
        assert countries.region == where
        assert app.query_one(ResultsList).option_count == 6
        labels = prompts(countries)
        assert "Finlande (6)" in labels and "Suède (6)" in labels
        # The chip removes the filter again.
        assert str(app.query_one("#chip-country-SE", Button).label) == "Suède ×"
        app.query_one("#chip-country-SE", Button).press()
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))


async def test_open_an_article_and_jump_between_matches(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande croix")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "hit" in status(app))
        app.query_one(ResultsList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
        screen = app.screen
        assert isinstance(screen, ArticleScreen)
        assert len(screen.matches) >= 3
        await pilot.press("n")
        assert screen.current == 0 and screen.sub_title == f"match 1/{len(screen.matches)}"
        await pilot.press("n", "n")
        assert screen.current == 2
        await pilot.press("N")
        assert screen.current == 1
        await pilot.press("escape")
        assert not isinstance(app.screen, ArticleScreen)
        # "/" from an article, as the help says: back to the search box.
        app.query_one(ResultsList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
        await pilot.press("slash")
        assert app.screen is app.main and isinstance(app.focused, QueryInput)
        await pilot.press("end", "x")
        assert app.query_one(QueryInput).value == "Finlande croix" + "x"


async def test_syntax_error_shows_inline_and_keeps_results(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        # Typing on would not close it: an error. Set at once: typed key by key
        # on a slow machine, "Finlande oups" would be searched (no hits) first.
        app.main.query_one(QueryInput).value = "Finlande oups)"
        await wait_for(pilot, lambda: status(app).startswith("Query error"))
        assert "closes nothing" in status(app)
        assert app.main.query_one("#status").has_class("error")
        r = app.query_one(ResultsList)
        assert r.option_count == 9


async def test_a_long_error_wraps_in_the_status_line(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    """At 80 columns an error's end (often the fix) wraps onto a second line."""
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        assert app.main.query_one("#status").outer_size.height == 1
        app.main.query_one(QueryInput).value = "date:[banana TO 2020]"
        await wait_for(pilot, lambda: status(app).startswith("Query error"))
        await idle(pilot)
        shown = app.main.query_one("#status")
        assert len(status(app)) > 80 and shown.outer_size.height >= 2


async def test_every_copy_and_sort_keep_the_hit_selected(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        results = app.query_one(ResultsList)
        results.focus()
        await pilot.press("down", "down")
        assert results.highlighted == 2
        chosen = results.get_option_at_index(2).id
        for key in ("a", "s", "s", "a"):
            searched = app.main.results
            await pilot.press(key)
            await wait_for(pilot, lambda before=searched: app.main.results is not before)  # type: ignore[misc]
            await idle(pilot)
            highlighted = results.highlighted
            assert highlighted is not None
            assert results.get_option_at_index(highlighted).id == chosen, key


class WorkerCountingApp(SearchApp):
    """The app as it is, counting the workers it starts, by group."""

    CSS_PATH = Path(sys.modules[SearchApp.__module__].__file__ or "").with_name("app.tcss")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started: Counter[str] = Counter()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.RUNNING:
            self.started[event.worker.group] += 1


async def test_the_index_is_opened_once_while_the_watcher_looks(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    """The watcher's timer, finding no engine while the first opening was under
    way, opened the index a second time: that opening's search came late and
    moved the highlight back to the first hit under the reader's keys. Here the
    opening is held (the engine's lock) until the watcher has looked three times."""
    corpus, index_dir = corpus_index
    app = WorkerCountingApp(index_dir, corpus, "Finlande", history=tmp_path / "h",
                            watch_interval=0.05)  # fmt: skip
    app.lock.acquire()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.started["watch"] >= 3 and app.started["open"] >= 1)
            app.lock.release()
            await wait_for(pilot, lambda: status(app).startswith("9 hits"))
            await idle(pilot)
            assert app.started["open"] == 1
    finally:
        if app.lock.locked():
            app.lock.release()


async def test_a_late_request_to_open_leaves_the_open_index_and_the_highlight(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    """The watcher's thread saw no engine, and its request to open reached the UI
    after the first opening had finished (CI saw it: the second opening's search
    moved the highlight back under the reader's keys). Here that request is
    delivered late on purpose."""
    corpus, index_dir = corpus_index
    app = WorkerCountingApp(index_dir, corpus, "Finlande", history=tmp_path / "h",
                            watch_interval=3600)  # fmt: skip
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        await idle(pilot)
        results = app.query_one(ResultsList)
        results.highlighted = 2
        engine = app.engine
        app.open_index_once()
        await idle(pilot)
        assert app.started["open"] == 1 and app.engine is engine
        assert results.highlighted == 2


async def test_views_that_need_a_query_are_dimmed_without_one(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "hits" in status(app))
        screen = app.main
        assert screen.check_action("concordance", ()) is None
        assert screen.check_action("related", ()) is None
        assert screen.check_action("export", ()) is True  # every article: hits
        await pilot.press(*"Finlande")
        assert screen.check_action("concordance", ()) is True
        screen.query_one(QueryInput).value = "licornevioletteintrouvable"
        await wait_for(pilot, lambda: status(app).startswith("0 hits"))
        assert screen.check_action("export", ()) is None


async def test_a_slow_search_says_it_is_running(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    """While a search runs past a quarter of a second (here: the engine's lock
    held), the status says so and the previous hits are dimmed."""
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        with app.lock:  # the next search waits for the engine
            app.main.query_one(QueryInput).value = "Suède"
            await wait_for(pilot, lambda: status(app).startswith("Searching « Suède »"))
            assert app.query_one(ResultsList).has_class("stale")
        await wait_for(pilot, lambda: "hits" in status(app))
        assert not app.query_one(ResultsList).has_class("stale")


async def test_quit_and_help_fit_in_the_footer_at_80_columns(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    from textual.widgets._footer import FooterKey

    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        app.query_one(ResultsList).focus()  # where the most keys apply
        await idle(pilot)
        keys = {key.key: key.region for key in app.screen.query(FooterKey)}
        for key in ("ctrl+q", "f1"):
            assert key in keys and keys[key].right <= 80, (key, keys)


async def test_a_phrase_being_typed_is_not_an_error(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        app.main.query_one(QueryInput).value = '"sommet de Mad'
        await wait_for(pilot, lambda: "closing" in status(app))
        assert not app.main.query_one("#status").has_class("error")
        await pilot.press("end", *'rid"')
        await wait_for(pilot, lambda: "hit" in status(app))


async def test_no_hits_suggests_a_correction(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlnde")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("0 hits"))
        prompt = str(app.query_one(ResultsList).get_option_at_index(0).prompt)
        assert 'Did you mean "finlande"' in prompt
        await pilot.press("tab")
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        # The suggestion taken, the box keeps the keyboard: typing goes on there.
        assert isinstance(app.focused, QueryInput)
        await pilot.press("space", "O", "T", "A", "N")
        assert app.query_one(QueryInput).value == "finlande OTAN"


async def test_facets_keep_the_cursor_and_hiding_them_keeps_the_keyboard(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    """Toggling a country leaves the cursor on it (the list is refilled with
    the new counts); hiding the panel from inside it moves the keyboard to
    the hits, where the keys work at once."""
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        await idle(pilot)
        countries = app.query_one("#countries", SelectionList)
        countries.focus()
        values = [str(o.value) for o in countries.options]  # type: ignore[attr-defined]
        countries.highlighted = values.index("SE")
        await pilot.press("space")
        await wait_for(pilot, lambda: status(app).startswith("6 hits"))
        await idle(pilot)
        highlighted = countries.highlighted
        assert highlighted is not None
        assert str(countries.get_option_at_index(highlighted).value) == "SE"
        assert app.query_one("#facets").outer_size.width == 30  # under 110 columns
        await pilot.resize_terminal(120, 30)
        await wait_for(pilot, lambda: app.query_one("#facets").outer_size.width == 40)
        await pilot.press("f")
        assert not app.query_one("#facets").display
        assert isinstance(app.focused, ResultsList)
        await pilot.press("down")
        assert app.query_one(ResultsList).highlighted == 1


async def test_reindex_with_nothing_new_gives_the_hits_back(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, index_dir = corpus_index
    app = SearchApp(index_dir, SEEDS, "Finlande", history=tmp_path / "history")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        # The palette names the folders this index covers, not the default corpus.
        (reindex,) = [c for c in app.get_system_commands(app.screen) if c.title == "Reindex now"]
        assert str(corpus) in reindex.help and str(SEEDS) not in reindex.help
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: any("Indexed 0 new" in str(n.message)
                                          for n in app._notifications))  # fmt: skip
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))


async def test_a_record_of_a_dump_is_shown_alone(tmp_path: Path) -> None:
    """`o` on one article of a JSON Lines dump gives the pager that article, not
    the whole dump; the path line names the record."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    summit = "La Finlande et la Suède sont invitées à rejoindre l’Alliance."
    records = [
        {"id": "a1", "title": "Sommet de l’OTAN à Madrid", "body": summit},
        {"id": "a2", "title": "Grève à la SNCF", "body": "Le trafic est perturbé."},
    ]
    (folder / "fil.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    Indexer(tmp_path / "index").update([folder])
    app = SearchApp(tmp_path / "index", folder, "Finlande", history=tmp_path / "history")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("1 hit"))
        app.query_one(ResultsList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
        screen = app.screen
        assert isinstance(screen, ArticleScreen)
        assert "fil.jsonl#" in str(screen.query_one("#article-meta", Static).render())
        with contextlib.ExitStack() as stack:
            shown = Path(screen.file_to_show(stack))
            text = shown.read_text(encoding="utf-8")
            assert text.startswith("Sommet de l’OTAN à Madrid") and "Grève" not in text
        assert not shown.exists()  # made for the pager, removed after


async def test_empty_index_offers_to_build_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus)
    app = SearchApp(tmp_path / "none", corpus, history=tmp_path / "h", watch_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "No index" in status(app))
        await idle(pilot)  # past the moment a running search would be announced
        assert "No index" in status(app) and "ctrl+r" in status(app)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: status(app).startswith("11 hits"), timeout=120)


async def test_file_added_while_running_appears(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, index_dir = corpus_index
    app = make_app(corpus_index, tmp_path, "Islande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("0 hits"))
        (corpus / "islande.txt").write_text(
            "Éruption en Islande\nUn volcan est entré en éruption près de Reykjavik.\n"
        )
        await asyncio.to_thread(Indexer(index_dir).update, [corpus])
        await wait_for(pilot, lambda: status(app).startswith("1 hit"))


async def test_history_sort_and_help(corpus_index: tuple[Path, Path], tmp_path: Path) -> None:
    app = make_app(corpus_index, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"OTAN", "enter")
        await wait_for(pilot, lambda: "hits" in status(app))
        assert (tmp_path / "history").read_text().splitlines() == ["OTAN"]
        await pilot.press("s")
        await wait_for(pilot, lambda: "sorted by date" in status(app))
        await pilot.press("slash")
        app.query_one("#query").value = ""  # type: ignore[attr-defined]
        await pilot.press("up")
        assert app.query_one("#query").value == "OTAN"  # type: ignore[attr-defined]
        app.query_one(ResultsList).focus()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        # Read from the bindings: every key of every view is there, with what it does.
        sections = dict(app.screen.rows())
        kwic = "concordance: every occurrence of the query in its context"
        assert ("x", kwic) in sections["Hits"]
        assert ("/", "from any view: back to the search box") in sections["Anywhere"]
        assert any(keys.startswith("esc") for keys, _ in sections["Article"])
        for view, classes in app.screen.sections:
            for binding in (b for cls in classes for b in cls.BINDINGS if isinstance(b, Binding)):
                assert any(what in (binding.tooltip, binding.description)
                           for _, what in sections[view]), binding  # fmt: skip
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def fixed_corpus(name: str) -> tuple[Path, Path]:
    """The corpus and its index at a fixed path, made afresh: the article view
    and the status line show it, and snapshots must not vary."""
    base = Path(tempfile.gettempdir()) / name
    shutil.rmtree(base, ignore_errors=True)
    return build_corpus(base)


@pytest.fixture
def fixed_corpus_index() -> tuple[Path, Path]:
    return fixed_corpus("french-news-search-snapshots")


async def still(pilot) -> None:  # type: ignore[no-untyped-def]
    """Nothing left that moves: workers done, no blinking cursor."""
    await idle(pilot)
    pilot.app.query_one("#query").cursor_blink = False
    await idle(pilot)


SIZES = [(80, 24), (120, 40)]


V = TypeVar("V", bound=Screen)  # type: ignore[type-arg]


async def open_view(pilot, key: str, kind: type[V], ready: Callable[[V], object] = bool) -> V:  # type: ignore[no-untyped-def]
    """From the hits, the view *key* opens, once *ready* says it shows its data."""
    app = pilot.app
    app.query_one(ResultsList).focus()
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, kind) and bool(ready(app.screen)))
    await idle(pilot)
    return app.screen  # type: ignore[no-any-return]


async def open_trend(pilot) -> TrendScreen:  # type: ignore[no-untyped-def]
    return await open_view(pilot, "t", TrendScreen, lambda screen: screen.trend)


async def test_trend_view_and_a_period_filters_the_hits(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        screen = await open_trend(pilot)
        trend = screen.trend
        assert trend is not None and [s.label for s in trend.series] == ["Finlande"]
        # The engine's trend: the facet counts of the hits, less the article
        # dated only by its file (otan-helsinki.txt), which is counted apart.
        with Engine(corpus_index[1]) as engine:
            by_period = engine.facets("Finlande", granularity=trend.granularity).dates
            placed = engine.trend(["Finlande"], granularity=trend.granularity, file_dates=True)
        counts = trend.series[0].counts
        assert trend.series[0].undated == 1
        assert {p: n for p, n in zip(placed.periods, placed.series[0].counts, strict=True)
                if n} == {v.value: v.count for v in by_period}  # fmt: skip
        assert sum(n or 0 for n in counts) == sum(v.count for v in by_period) - 1
        table = screen.query_one("#periods", DataTable)
        assert table.row_count == len(trend.periods)
        # The newest period with matches: the table lists periods newest first.
        index = max(i for i, n in enumerate(counts) if n)
        table.move_cursor(row=len(trend.periods) - 1 - index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, TrendScreen))
        first, last = trend.bounds(index)
        assert (app.main.filters.since, app.main.filters.until) == (first, last)
        await wait_for(pilot, lambda: status(app).startswith(f"{counts[index]} hit"))
        assert app.main.query_text == "Finlande"  # the query is kept
        await wait_for(pilot, lambda: bool(app.main.query("#chip-dates")))


async def test_pinned_queries_compare_and_keys_change_the_view(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "OTAN")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "hits" in status(app))
        app.query_one(ResultsList).focus()
        await pilot.press("p")
        assert app.pinned == ["OTAN"]
        app.main.query_one("#query", Input).value = "Finlande"
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        screen = await open_trend(pilot)
        assert screen.trend is not None
        assert [s.label for s in screen.trend.series] == ["OTAN", "Finlande"]
        before = screen.trend.granularity
        await pilot.press("b")
        await wait_for(pilot, lambda: getattr(screen.trend, "granularity", before) != before)
        shares = screen.shares
        await pilot.press("r")
        assert screen.shares is not shares
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.trend is not None and len(screen.trend.series) == 1)
        assert app.pinned == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TrendScreen))
        assert app.main.filters == Filters()  # back without a period: nothing filtered


async def test_export_from_the_tui(
    corpus_index: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    monkeypatch.chdir(out)
    (out / "finlande.csv").write_text("une note de l'utilisateur\n", encoding="utf-8")
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        dialog = await open_view(pilot, "e", ExportScreen)
        path_input = dialog.query_one("#export-path", Input)
        # The user's file is never offered, nor replaced when typed.
        assert path_input.value == str(out / "finlande-2.csv")
        path_input.value = str(out / "finlande.csv")
        await pilot.press("enter")
        assert "exists" in str(dialog.query_one("#export-error", Label).render())
        assert (out / "finlande.csv").read_text(encoding="utf-8") == "une note de l'utilisateur\n"
        path_input.value = str(out / "finlande-2.csv")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen))
        await app.workers.wait_for_complete()
        await idle(pilot)
    rows = list(csv.DictReader(io.StringIO((out / "finlande-2.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 9
    assert any("Finlande" in r["title"] and "é" in r["title"] for r in rows)


async def test_export_formats_follow_the_choice(
    corpus_index: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(corpus_index, tmp_path, "OTAN")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "hits" in status(app))
        total = app.main.results.total if app.main.results else 0
        dialog = await open_view(pilot, "e", ExportScreen)
        dialog.query_one(RadioSet).query(RadioButton)[2].value = True  # JSON Lines
        path_input = dialog.query_one("#export-path", Input)
        await wait_for(pilot, lambda: path_input.value.endswith(".jsonl"))
        dialog.query_one("#export-go", Button).press()
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportScreen))
        await app.workers.wait_for_complete()
        await idle(pilot)
    lines = (tmp_path / "otan.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == total >= 2
    assert all(json.loads(line)["id"] for line in lines)


async def finlande_concordance(pilot) -> ConcordanceScreen:  # type: ignore[no-untyped-def]
    """The concordance view of the app's query, "Finlande" (9 hits), read whole."""
    await wait_for(pilot, lambda: status(pilot.app).startswith("9 hits"))
    return await open_view(pilot, "x", ConcordanceScreen, lambda view: view.done)


async def test_concordance_view_opens_the_article_at_the_occurrence(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await finlande_concordance(pilot)
        with Engine(corpus_index[1]) as engine:
            expected = [(x.id, x.field, x.start) for x in concordance(engine, "Finlande")]
        assert [(x.id, x.field, x.start) for x in screen.lines] == expected
        assert screen.query_one("#kwic", DataTable).row_count == len(expected) > 9
        # An occurrence deep in a body: the article opens on it, not on the first match.
        row, line = next((n, x) for n, x in enumerate(screen.lines) if x.occurrence >= 2)
        screen.query_one("#kwic", DataTable).move_cursor(row=row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
        article = app.screen
        assert isinstance(article, ArticleScreen)
        await wait_for(pilot, lambda: article.current >= 0)
        piece, (begin, _) = article.matches[article.current]
        assert article.origins[piece][0] == line.field
        assert article.origins[piece][1] + begin == line.start
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("s")  # by date, newest first
        await wait_for(pilot, lambda: screen.order == "date" and screen.done)
        days = [x.date for x in screen.lines if x.date]
        assert days == sorted(days, reverse=True) and len(screen.lines) == len(expected)
        # Sorted in place, not read again: the same lines as the engine's sort.
        for order in ("left", "right"):
            await pilot.press("s")
            await wait_for(pilot, lambda order=order: screen.order == order and screen.done)  # type: ignore[misc]
            with Engine(corpus_index[1]) as engine:
                sorted_here = list(concordance(engine, "Finlande", order=order, width=screen.width))
            assert screen.lines == sorted_here, order
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.order == "article" and screen.done)
        assert [(x.id, x.field, x.start) for x in screen.lines] == expected


async def test_a_narrow_concordance_leaves_room_for_the_title(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await finlande_concordance(pilot)
        table = screen.query_one("#kwic", DataTable)
        title = next(c for k, c in table.columns.items() if k.value == "article")
        shown = sum(c.get_render_width(table) for c in table.columns.values())
        before = shown - title.get_render_width(table)
        assert 80 - before >= 20, (before, screen.width)


async def test_related_view_adds_a_word_to_the_query(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "OTAN")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "hits" in status(app))
        before = app.main.results.total if app.main.results else 0
        screen = await open_view(pilot, "r", RelatedScreen, lambda view: view.related)
        assert screen.related is not None
        with Engine(corpus_index[1]) as engine:
            expected = engine.related("OTAN", top=15)
        assert [k.text for k in screen.related.words] == [k.text for k in expected.words]
        word = expected.words[0].text
        await pilot.press("enter")  # the first word, highlighted on arrival
        await wait_for(pilot, lambda: not isinstance(app.screen, RelatedScreen))
        assert app.main.query_text == f"OTAN {word}"
        await wait_for(pilot, lambda: app.main.results is not None
                       and app.main.results.query == f"OTAN {word}")  # fmt: skip
        assert 0 < app.main.results.total <= before  # type: ignore[union-attr]


async def test_clicking_a_period_filters_the_hits(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        screen = await open_trend(pilot)
        assert screen.trend is not None
        table = screen.query_one("#periods", DataTable)
        # The second row of the table (newest first): a click moves the cursor
        # there (and the chart's line), a click on the cursor's row chooses it.
        index = len(screen.trend.periods) - 2
        await pilot.click("#periods", offset=(3, 2))
        await wait_for(pilot, lambda: table.cursor_row == 1)
        assert isinstance(app.screen, TrendScreen)
        await pilot.click("#periods", offset=(3, 2))
        await wait_for(pilot, lambda: not isinstance(app.screen, TrendScreen))
        assert (app.main.filters.since, app.main.filters.until) == screen.trend.bounds(index)


async def then_article(pilot) -> None:  # type: ignore[no-untyped-def]
    """The first hit read, at its second match."""
    pilot.app.query_one(ResultsList).focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ArticleScreen))
    await pilot.press("n", "n")
    await idle(pilot)


async def then_trend(pilot) -> None:  # type: ignore[no-untyped-def]
    await open_trend(pilot)


async def then_export(pilot) -> None:  # type: ignore[no-untyped-def]
    dialog = await open_view(pilot, "e", ExportScreen)
    dialog.query_one("#export-path", Input).cursor_blink = False
    await idle(pilot)


async def then_concordance(pilot) -> None:  # type: ignore[no-untyped-def]
    screen = await open_view(pilot, "x", ConcordanceScreen, lambda view: view.done)
    # Focus settled (the table takes it when its first lines come): the same
    # picture every run.
    table = screen.query_one("#kwic", DataTable)
    table.focus()
    table.move_cursor(row=0)
    await idle(pilot)


async def then_bad_date(pilot, said: str = "Query error") -> None:  # type: ignore[no-untyped-def]
    """A query the engine refuses: the error, whole, beside the last hits."""
    pilot.app.main.query_one(QueryInput).value = "Finlande date:[banana TO 2020]"
    await wait_for(pilot, lambda: status(pilot.app).startswith(said))
    await still(pilot)


# Each view: the query typed, then what is done from its hits.
VIEWS = {
    "results": ("Finlande", None),
    "article": ("Finlande croix", then_article),
    "trend": ("Finlande", then_trend),
    "export": ("Finlande", then_export),
    "concordance": ("Finlande", then_concordance),
    "bad-date": ("Finlande", then_bad_date),
}


def problem_index(problem: str) -> tuple[Path, Path]:
    """A corpus and, at a fixed path (the status line names it), no index at all
    or one whose table of contents is garbage."""
    corpus, index_dir = fixed_corpus("french-news-search-snapshots-problems")
    if problem == "no-index":
        shutil.rmtree(index_dir)
    else:
        for toc in index_dir.glob("*.toc"):
            toc.write_bytes(b"garbage")
    return corpus, index_dir


# The status each problem's first screen says, whole (wrapped at 80 columns).
PROBLEMS = {"no-index": "No index at", "damaged": "is damaged"}


@pytest.mark.xdist_group("snapshots")
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("problem", PROBLEMS)
def test_snapshot_of_an_index_problem(snap_compare, tmp_path: Path, size, problem: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(problem_index(problem), tmp_path, "Finlande")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: PROBLEMS[problem] in status(app))
        await still(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# One worker for every snapshot (`pytest -n 2 --dist loadgroup`): they share
# the corpus at its fixed path.
@pytest.mark.xdist_group("snapshots")
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_snapshot(snap_compare, fixed_corpus_index, tmp_path: Path, size, view: str,  # type: ignore[no-untyped-def]
                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(fixed_corpus_index[0].parent)  # where the export dialog suggests a file
    query, then = VIEWS[view]
    app = make_app(fixed_corpus_index, tmp_path, query)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: " hit" in status(app))
        await still(pilot)
        # No timing in the picture: it changes from run to run.
        app.main.query_one("#status", Static).update(re.sub(r" · \d+ ms", "", status(app)))
        await pilot.pause()
        if then is not None:
            await then(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
