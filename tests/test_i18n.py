"""The interface in French or English by the user's locale, never both.

The catalogue must hold every message the TUI can show (a message added in
English and left out would appear in English on a French screen), the
shipped ``.mo`` must be the ``.po`` compiled, and the real TUI, started in a
French locale, must show French only.
"""

from __future__ import annotations

import gettext
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from search import i18n
from tests.conftest import ROOT

babel = pytest.importorskip("babel", reason="Babel (the test extra) checks the catalogues")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.mofile import write_mo  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PO = ROOT / "search" / "locale" / "fr" / "LC_MESSAGES" / "search.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> set[str]:
    """Every message marked in the code (as pybabel extracts them)."""
    found: set[str] = set()
    for folder in (ROOT / "tui", ROOT / "search", ROOT / "index", ROOT / "cluster"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, keywords=KEYWORDS, comment_tags=()
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each message (its singular) → its English forms and its French ones."""
    with PO.open("rb") as source:
        return {
            (m.id if isinstance(m.id, str) else m.id[0]): (
                (m.id,) if isinstance(m.id, str) else tuple(m.id),
                (m.string,) if isinstance(m.string, str) else tuple(m.string),
            )
            for m in read_po(source)
            if m.id
        }


def test_every_message_has_a_french_translation() -> None:
    french = catalogue()
    missing = sorted(extracted() - french.keys())
    assert not missing, f"not in {PO.name} (pybabel extract, then update): {missing}"
    for message, (english, forms) in french.items():
        assert all(forms), f"no translation for {message!r}"
        # The same placeholders: a translation that drops {count} shows none.
        # The first form is the singular's, the others the plural's (Click's
        # plurals name other values: "… {possibilities}").
        for n, form in enumerate(forms):
            wanted = set(re.findall(r"\{[^{}]+\}|%\(\w+\)s", english[min(n, len(english) - 1)]))
            assert set(re.findall(r"\{[^{}]+\}|%\(\w+\)s", form)) == wanted, (message, form)


def test_the_shipped_catalogue_is_the_po_compiled() -> None:
    with PO.open("rb") as source:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(source))
    fresh = gettext.GNUTranslations(io.BytesIO(compiled.getvalue()))
    with MO.open("rb") as shipped_file:
        shipped = gettext.GNUTranslations(shipped_file)
    assert shipped._catalog == fresh._catalog, "run: pybabel compile -d search/locale -D search"  # type: ignore[attr-defined]


def test_the_language_follows_the_locale() -> None:
    try:
        assert i18n.activate(["fr_FR"]) == "fr"
        assert i18n._("Countries") == "Pays"
        assert i18n.ngettext("{count} hit", "{count} hits", 2).format(count=2) == "2 résultats"
        assert (i18n.number(35986), i18n.decimal(1234.5)) == ("35\u202f986", "1\u202f234,5")
        assert i18n.activate(["de_DE"]) == "en"  # no catalogue: English
        assert (i18n._("Countries"), i18n.number(35986)) == ("Countries", "35,986")
    finally:
        i18n.activate(["en"])


# Run in a process of its own: bindings and titles are translated when the
# TUI's classes are made, so the language is chosen before they are imported.
FRENCH_TUI = """
import asyncio, json, sys
from pathlib import Path
from search import i18n
assert i18n.activate() == "fr"
from textual.widgets import Footer, Input, Label, Static
from tui.app import SearchApp

async def main():
    app = SearchApp(Path(sys.argv[1]), Path(sys.argv[2]), "Finlande", history=Path(sys.argv[3]))
    async with app.run_test(size=(120, 40)) as pilot:
        status = lambda: str(app.main.query_one("#status", Static).render())
        keys = lambda: [str(key.description) for key in app.main.query("FooterKey")]
        for _ in range(600):  # a generous bound: results, then the footer made again
            if " · " in status() and keys():
                break
            await pilot.pause(0.1)
        footer = keys()
        titles = [str(label.render()) for label in app.main.query(".facet-title")]
        shown = {"status": status(), "footer": footer, "titles": titles,
                 "placeholder": app.main.query_one("#query", Input).placeholder,
                 "title": app.title,
                 "palette": [c.title for c in app.get_system_commands(app.main)]}
        print(json.dumps(shown, ensure_ascii=False))

asyncio.run(main())
"""


def test_the_tui_speaks_french_in_a_french_locale(tmp_path: Path) -> None:
    from tests.test_tui import build_corpus

    corpus, index_dir = build_corpus(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env["LANG"] = "fr_FR.UTF-8"
    done = subprocess.run(
        [sys.executable, "-c", FRENCH_TUI, str(index_dir), str(corpus), str(tmp_path / "h")],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert re.match(r"\d+ résultats? · \d+ ms · trié par pertinence$", shown["status"]), shown
    assert shown["titles"] == ["Pays", "Personnes", "Dates"]
    assert shown["placeholder"].startswith("Rechercher…")
    assert shown["title"] == "search — presse française"
    assert {"Quitter", "Aide", "palette"} <= set(shown["footer"]), shown["footer"]
    assert "Filtrer par pays…" in shown["palette"] and "Thème" in shown["palette"]
    # Nothing of the English interface beside it.
    english = {"hits", "sorted", "Quit", "Help", "Trend", "Countries", "Theme", "Search"}
    words = set(re.findall(r"\w+", json.dumps(shown, ensure_ascii=False)))
    assert not words & english, words & english


def french(*args: str, index_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """What typing `search ARGS` in a French locale shows (no server runs for it:
    its runtime folder is empty)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "SEARCH_"))}
    env.update(LANG="fr_FR.UTF-8", XDG_RUNTIME_DIR="/nonexistent")
    if index_dir is not None:
        env["SEARCH_INDEX"] = str(index_dir)
    return subprocess.run(
        [sys.executable, "-m", "search.launcher", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_the_cli_speaks_french_in_a_french_locale(tmp_path: Path) -> None:
    from search.cli import cli
    from tests.test_tui import build_corpus

    helped = french("--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("Usage\u00a0: search")
    assert "Recherche plein texte" in helped.stdout and "Exemples" in helped.stdout
    # Every command's help: the command's text, its options' and Click's own.
    for name, command in cli.commands.items():
        shown = french(name, "--help").stdout
        assert "Affiche ce message et quitte." in shown, name
        assert ("Exemples" in shown) == bool(command.epilog), name
        english = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        for text in english:
            assert not text or text.split("\n")[0][:40] not in shown, (name, text)
    _corpus, index_dir = build_corpus(tmp_path)
    found = french("query", "Finlande", "--limit", "1", index_dir=index_dir)
    assert found.returncode == 0, found.stderr
    assert re.search(r"\d+ résultats, 1–1 affichés", found.stdout), found.stdout
    assert "     pays: Finlande" in found.stdout
    wrong = french("query", "Finlande date:[banana TO 2020]", index_dir=index_dir)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("erreur\u00a0: syntaxe de la requête\u00a0: pas une date")
    assert len(wrong.stderr.splitlines()) == 1
    unknown = french("query", "--bogus", "x", index_dir=index_dir)
    assert unknown.returncode == 2 and "Option inconnue '--bogus'" in unknown.stderr
    stats = french("stats", index_dir=index_dir)
    assert stats.returncode == 0 and " documents: " in stats.stdout and "taille:" in stats.stdout
    words = set(re.findall(r"[a-z]+", found.stdout + wrong.stderr + stats.stdout))
    assert not words & {"hits", "showing", "countries", "persons", "error", "size"}, words


# The English snapshots share a fixed folder with none of these, but a
# snapshot run is one worker's at a time (`pytest -n 2 --dist loadgroup`).
@pytest.mark.xdist_group("snapshots")
def test_the_french_tui_looks_as_its_snapshots(request: pytest.FixtureRequest) -> None:
    """tests/french_tui.py, run by pytest in a process of its own."""
    update = ["--snapshot-update"] if request.config.getoption("--snapshot-update") else []
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-o", "addopts=", str(ROOT / "tests" / "french_tui.py"), *update],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
