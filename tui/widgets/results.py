"""The list of hits: what a reader scans before opening an article."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList

from index.articles import printable
from search.i18n import _, ngettext

if TYPE_CHECKING:
    from search.api import Hit

SNIPPET_CHARS = 180  # of a hit's snippet in the list: the article view has it all


def hit_prompt(hit: Hit) -> Text:
    """Title, a line of metadata, the snippet."""
    from search.render import highlighted  # loaded with the engine: there are hits

    title = highlighted(hit.title or _("(untitled)"), hit.title_highlights)
    if hit.title_source == "derived":
        title.stylize("italic")
    title.stylize("bold")
    # One short line: the file's name is in the article view (from a dump it
    # was the same on every hit, and wrapped the line to three).
    meta_parts = [hit.date.date().isoformat() if hit.date else "", printable(hit.source)]
    if not hit.date and not hit.source:
        meta_parts.append(printable(Path(hit.path).name))
    if hit.countries:
        meta_parts.append(" ".join(hit.countries[:4]) + ("…" if len(hit.countries) > 4 else ""))
    if hit.persons:
        meta_parts.append(", ".join(hit.persons[:2]) + ("…" if len(hit.persons) > 2 else ""))
    if hit.copy_count:
        copies = ngettext("+{count} copy", "+{count} copies", hit.copy_count)
        meta_parts.append(copies.format(count=hit.copy_count))
    meta = Text(" · ".join(p for p in meta_parts if p), style="dim")
    text, spans = hit.snippet.text, hit.snippet.highlights
    if len(text) > SNIPPET_CHARS:  # a few lines: more hits on a screen of 24
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        cut = cut if cut > 0 else SNIPPET_CHARS
        text, spans = text[:cut] + " …", tuple((a, b) for a, b in spans if b <= cut)
    snippet = highlighted(text, spans)
    return Text("\n").join([title, meta, snippet, Text("")])  # a blank line between hits


class ResultsList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", _("Down"), show=False, tooltip=_("next hit")),
        Binding("k", "cursor_up", _("Up"), show=False, tooltip=_("previous hit")),
    ]
