"""The TUI in French, as snapshots.

Not collected with the others: the interface's language is chosen before the
TUI's classes are made, and the suite's process made them in English.
``tests/test_i18n.py`` runs this module with pytest in a process of its own,
(``--snapshot-update`` passed on).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Static

from search import i18n

# French whatever the environment (the suite's conftest asks for English).
assert i18n.activate(["fr"]) == "fr"

from tests.test_tui import (  # noqa: E402
    SIZES,
    fixed_corpus,
    make_app,
    status,
    still,
    then_bad_date,
    wait_for,
)


@pytest.fixture
def french_corpus_index() -> tuple[Path, Path]:
    """The corpus at a fixed path of its own (the English snapshots may run meanwhile)."""
    return fixed_corpus("french-news-search-snapshots-fr")


async def then_bad_date_fr(pilot) -> None:  # type: ignore[no-untyped-def]
    """The query error, in French."""
    await then_bad_date(pilot, "Erreur dans la requête")


# The hits and a query error on one screen: the French hits, counts, facets,
# footer and the engine's French message at once.
VIEWS = {"bad-date": then_bad_date_fr}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_french_snapshot(  # type: ignore[no-untyped-def]
    snap_compare, french_corpus_index, tmp_path: Path, size, view: str
) -> None:
    app = make_app(french_corpus_index, tmp_path, "Finlande")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await wait_for(pilot, lambda: " résultat" in status(app))
        await still(pilot)
        # No timing in the picture: it changes from run to run.
        app.main.query_one("#status", Static).update(re.sub(r" · \d+ ms", "", status(app)))
        await pilot.pause()
        if VIEWS[view] is not None:
            await VIEWS[view](pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
