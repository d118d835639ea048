"""Every key, grouped by where it works, read from the bindings themselves.

Each binding's ``tooltip`` (or its footer ``description``) says what it
does, so the help cannot drift from the keys (a hand-written list had: it
promised a ``/`` the article view lacked). Only what no binding of ours
holds is written here: typing, and the gestures of Textual's own lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from search.i18n import _

# A section: its title, and the classes whose bindings work there.
Section = tuple[str, Sequence[type[DOMNode]]]

# What is not a binding of ours, by section: typing, lists' own keys, clicks.
# (Section titles as the app names them: translated alike.)
GESTURES: dict[str, list[tuple[str, str]]] = {
    _("Search"): [
        (_("type"), _('search as you type (words AND-ed; OU, SAUF, "phrases", pays:, '
                      "date:[… TO …])")),
        ("Enter", _("go to the hits")),
    ],
    _("Hits"): [
        ("↑ ↓ PgUp PgDn Home End", _("move; more hits load as you scroll")),
        ("Enter", _("read the article")),
        ("Tab", _("move to the country, person and year lists")),
        (_("Space / Enter"), _("toggle a filter (click a chip to remove it)")),
    ],
    _("Trend"): [
        (_("↑ ↓ or click a row"), _("move the period cursor (the line on the chart)")),
        (_("Enter / click it again"), _("show the hits of that period")),
    ],
    _("Concordance"): [(_("Enter / click a row twice"), _("read the article at that occurrence"))],
    _("Related"): [("Enter", _("add the word (expression, person, country) to the query"))],
    _("Anywhere"): [("ctrl+p", _("command palette: every command by name"))],
}  # fmt: skip


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", _("Close"))]

    def __init__(self, sections: Sequence[Section]) -> None:
        super().__init__()
        self.sections = sections

    def keys(self, binding: Binding) -> str:
        """``Esc / q``: each key of a binding as the footer shows it."""
        return " / ".join(
            self.app.get_key_display(replace(binding, key=key.strip()))
            for key in binding.key.split(",")
        )

    def rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(section, [(keys, what they do)]) for every section."""
        found = []
        for title, classes in self.sections:
            rows = list(GESTURES.get(title, []))
            for cls in classes:
                for binding in cls.BINDINGS:
                    if isinstance(binding, Binding) and binding.action != "dismiss":
                        rows.append((self.keys(binding), binding.tooltip or binding.description))
            found.append((title, rows))
        return found

    def compose(self) -> ComposeResult:
        lines = Text()
        for title, rows in self.rows():
            lines.append(f"\n{title}\n", style="bold underline")
            for keys, what in rows:
                lines.append(f"  {keys:<28}", style="bold")
                lines.append(f"{what}\n")
        with VerticalScroll(id="help"):
            yield Static(lines)
            yield Label(_("Escape closes this help."), classes="dim")
        # Its own keys, over the footer of the screen beneath (whose keys do
        # not apply while this one is open).
        yield Footer()
