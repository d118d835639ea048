"""The export dialog: where, and in which format, every hit of the query goes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet

from index.analysis import fold
from search import export as exporting
from search.i18n import N_, _, number

# (label, format, for French Excel)
CHOICES: list[tuple[str, exporting.Format, bool]] = [
    ("CSV (UTF-8, RFC 4180)", "csv", False),
    (N_("CSV for French Excel (; and a BOM)"), "csv", True),
    ("JSON Lines", "jsonl", False),
    ("OpenSearch / Elasticsearch _bulk", "opensearch", False),
]


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    fmt: exporting.Format
    excel: bool

    @property
    def encoding(self) -> str:
        return "utf-8-sig" if self.excel else "utf-8"  # the BOM Excel looks for


def free_name(folder: Path, query: str, suffix: str) -> Path:
    """``<query>.csv`` in *folder*, numbered when taken: never an existing file."""
    stem = re.sub(r"[^a-z0-9]+", "-", fold(query).lower()).strip("-")[:60] or "articles"
    path = folder / f"{stem}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Choose a format and a file; Enter exports, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"))]

    def __init__(self, query: str, total: int, folder: Path | None = None) -> None:
        super().__init__()
        self.query_text, self.total = query, total
        self.folder = folder or Path.cwd()

    def compose(self) -> ComposeResult:
        query = self.query_text.strip()
        title = (_("Export the {count} articles matching « {query} »") if query
                 else _("Export all {count} articles")).format(
            count=number(self.total), query=query)  # fmt: skip
        with Vertical(id="export"):
            yield Label(title, classes="dialog-title")
            with RadioSet(id="export-format"):
                for n, (label, _fmt, _excel) in enumerate(CHOICES):
                    yield RadioButton(_(label), value=n == 0)
            yield Label(_("File (created; an existing file is never replaced):"))
            yield Input(str(free_name(self.folder, self.query_text, ".csv")), id="export-path")
            yield Label("", id="export-error", classes="error")
            with Horizontal(id="export-buttons"):
                yield Button(_("Export"), variant="primary", id="export-go")
                yield Button(_("Cancel"), id="export-cancel")
        # Its own keys, over the footer of the screen beneath (whose keys do
        # not apply while this one is open).
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def choice(self) -> tuple[exporting.Format, bool]:
        index = self.query_one(RadioSet).pressed_index
        _label, fmt, excel = CHOICES[max(index, 0)]
        return fmt, excel

    @on(RadioSet.Changed)
    def format_changed(self) -> None:
        """The suggested name follows the format, unless the user wrote another name."""
        path_input = self.query_one("#export-path", Input)
        current = Path(path_input.value)
        suffixes = {exporting.suffix(choice[1]) for choice in CHOICES}
        if current.suffix in suffixes:
            fmt, _excel = self.choice()
            stem = current.with_suffix("")
            path_input.value = str(free_name(stem.parent, stem.name, exporting.suffix(fmt)))

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-go")
    def go(self) -> None:
        path = Path(os.path.expanduser(self.query_one("#export-path", Input).value.strip()))
        error = self.query_one("#export-error", Label)
        if not path.name:
            error.update(_("Name a file."))
        elif path.exists():
            error.update(_("{path} exists: choose another name.").format(path=path))
        elif not path.parent.is_dir():
            error.update(_("No folder {path}.").format(path=path.parent))
        else:
            fmt, excel = self.choice()
            self.dismiss(ExportRequest(path, fmt, excel))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
