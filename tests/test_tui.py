"""The Textual UI, driven with the pilot on real indexes."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, SelectionList, Static

from index.writer import Indexer
from tests.conftest import FIXTURES, SEEDS
from tui.app import ArticleScreen, HelpScreen, ResultsList, SearchApp


def prompts(widget: SelectionList) -> list[str]:  # type: ignore[type-arg]
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


def status(app: SearchApp) -> str:
    return str(app.query_one("#status", Static).render())


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
    """Wait until typing's debounced search and every worker are done."""
    await pilot.pause(0.3)
    await pilot.app.workers.wait_for_complete()
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
        await pilot.press("space")
        await wait_for(pilot, lambda: status(app).startswith("6 hits"))
        assert app.filters.countries == ("SE",)
        assert app.query_one(ResultsList).option_count == 6
        labels = prompts(countries)
        assert "Finlande (6)" in labels and "Suède (6)" in labels
        # The chip removes the filter again.
        await wait_for(pilot, lambda: bool(app.query("#chip-country-SE")))
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


async def test_syntax_error_shows_inline_and_keeps_results(
    corpus_index: tuple[Path, Path], tmp_path: Path
) -> None:
    app = make_app(corpus_index, tmp_path, "Finlande")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        await pilot.press("end", *' "oups')
        await wait_for(pilot, lambda: status(app).startswith("Query error"))
        assert "unbalanced quote" in status(app)
        r = app.query_one(ResultsList)
        assert r.option_count == 9


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


async def test_empty_index_offers_to_build_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus)
    app = SearchApp(tmp_path / "none", corpus, history=tmp_path / "h", watch_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "No index" in status(app))
        assert "ctrl+r" in status(app)
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
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.fixture
def fixed_corpus_index() -> tuple[Path, Path]:
    """The corpus at a fixed path: the article view shows it, snapshots must not vary."""
    base = Path(tempfile.gettempdir()) / "french-news-search-snapshots"
    shutil.rmtree(base, ignore_errors=True)
    return build_corpus(base)


async def still(pilot) -> None:  # type: ignore[no-untyped-def]
    """Nothing left that moves: workers done, no blinking cursor."""
    await idle(pilot)
    pilot.app.query_one("#query").cursor_blink = False
    await idle(pilot)


SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_results(snap_compare, fixed_corpus_index, tmp_path: Path, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app(fixed_corpus_index, tmp_path, "Finlande")

    async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: status(app).startswith("9 hits"))
        await still(pilot)
        app.query_one("#status", Static).update("9 hits · sorted by relevance")  # no timing
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_article(snap_compare, fixed_corpus_index, tmp_path: Path, size) -> None:  # type: ignore[no-untyped-def]
    app = make_app(fixed_corpus_index, tmp_path, "Finlande croix")

    async def open_article(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: "hit" in status(app))
        await still(pilot)
        app.query_one(ResultsList).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ArticleScreen))
        await pilot.press("n", "n")
        await idle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_article)
