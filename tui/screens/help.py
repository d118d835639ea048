"""Every key, grouped by where it works."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

KEYS = [
    ("Search", ""),
    ("type", 'search as you type (words AND-ed; OU, SAUF, "phrases", pays:, date:[… TO …])'),
    ("↑ / ↓ in an empty box", "query history"),
    ("Enter / ↓", "go to the results"),
    ("Results", ""),
    ("↑ ↓ j k PgUp PgDn Home End", "move; more hits load as you scroll"),
    ("Enter", "read the article"),
    ("s", "sort by relevance / date"),
    ("a", "every copy of a wire dispatch / one hit per story"),
    ("t", "trend: the query's matches over time"),
    ("x", "concordance: every occurrence of the query in its context"),
    ("r", "related: words, persons, countries over-represented in the hits"),
    ("p", "pin the query, to compare it in the trend"),
    ("e", "export every hit to a file (CSV, JSON Lines, OpenSearch)"),
    ("Facets", ""),
    ("Tab", "move to the country, person and year lists"),
    ("Space / Enter", "toggle a filter; click a chip to remove it"),
    ("c", "clear all filters"),
    ("f", "show / hide the facet panel"),
    ("Trend", ""),
    ("↑ ↓ or click a row", "move the period cursor (the line on the chart)"),
    ("Enter / click it again", "show the hits of that period"),
    ("b", "periods: by day, week, month or year"),
    ("r", "share of all articles / counts"),
    ("u", "unpin every pinned query"),
    ("Concordance", ""),
    ("s", "sort by article, date, left or right context"),
    ("Enter / click a row twice", "read the article at that occurrence"),
    ("Related", ""),
    ("Enter", "add the word (expression, person, country) to the query"),
    ("Article", ""),
    ("n / N", "next / previous match"),
    ("o", "open the file in $PAGER (or $EDITOR)"),
    ("y", "copy the url (or the path)"),
    ("Escape", "back"),
    ("Anywhere", ""),
    ("/", "go to the search box"),
    ("ctrl+r", "reindex the corpus now"),
    ("ctrl+p", "command palette"),
    ("F1 or ?", "this help"),
    ("ctrl+q", "quit"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        lines = Text()
        for key, what in KEYS:
            if not what:
                lines.append(f"\n{key}\n", style="bold underline")
            else:
                lines.append(f"  {key:<28}", style="bold")
                lines.append(f"{what}\n")
        with VerticalScroll(id="help"):
            yield Static(lines)
            yield Label("Escape closes this help.", classes="dim")
        # Its own keys, over the footer of the screen beneath (whose keys do
        # not apply while this one is open).
        yield Footer()
