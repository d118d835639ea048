"""The list of hits: what a reader scans before opening an article."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList

from index.articles import printable
from search.api import Hit
from search.render import highlighted


def hit_prompt(hit: Hit) -> Text:
    """Title, one line of metadata, the snippet."""
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
    if hit.copy_count:
        meta_parts.append(f"+{hit.copy_count} cop{'ies' if hit.copy_count > 1 else 'y'}")
    meta = Text(" · ".join(p for p in meta_parts if p), style="dim")
    snippet = highlighted(hit.snippet.text, hit.snippet.highlights)
    return Text("\n").join([title, meta, snippet, Text("")])  # a blank line between hits


class ResultsList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]
