"""One article, every match highlighted, n/N to jump between them."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from index.articles import printable
from search.api import Article
from search.i18n import _
from search.render import MATCH_STYLE
from search.snippets import Span

CURRENT_MATCH = "bold white on dark_orange3"


class ArticleScreen(Screen[None]):
    """One article, every match highlighted, n/N to jump between them."""

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", _("Back"), tooltip=_("back to the hits")),
        Binding("n", "next_match", _("Next match")),
        Binding("N", "previous_match", _("Prev match"), tooltip=_("previous match")),
        Binding("o", "open_file", _("Open"),
                tooltip=_("open in $PAGER (or $EDITOR): the file, or this article alone")),
        Binding("y", "copy", _("Copy url/path"), tooltip=_("copy the url (or the path)")),
    ]

    def __init__(self, article: Article, first_match: tuple[str, int] | None = None) -> None:
        """*first_match*: the match to show first, as (field, its offset in the field)."""
        super().__init__()
        self.article = article
        self.first_match = first_match
        # The title, the lead and the body (in short chunks) are the pieces
        # n/N jumps between; each match is (piece index, span in the piece).
        # origins[i] is piece i's field and its offset in that field.
        self.pieces: list[tuple[str, str]] = [("title", article.title)]
        self.origins: list[tuple[str, int]] = [("title", 0)]
        self.matches: list[tuple[int, Span]] = [(0, s) for s in article.highlights.get("title", ())]
        if article.lead:
            self.pieces.append(("lead", article.lead))
            self.origins.append(("lead", 0))
            self.matches += [(1, s) for s in article.highlights.get("lead", ())]
        # Spans and chunks are both in text order: one walk over each, whatever
        # the article's size (a span across two chunks cannot be marked).
        body_spans = sorted(article.highlights.get("body", ()))
        at = 0
        for offset, chunk in _chunks(article.body):
            index = len(self.pieces)
            self.pieces.append(("chunk", chunk))
            self.origins.append(("body", offset))
            while at < len(body_spans) and body_spans[at][0] < offset:
                at += 1
            while at < len(body_spans) and body_spans[at][1] <= offset + len(chunk):
                start, end = body_spans[at]
                self.matches.append((index, (start - offset, end - offset)))
                at += 1
        self.current = -1

    def on_mount(self) -> None:
        if self.first_match is None:
            return
        field, start = self.first_match
        for n, (piece, (begin, _end)) in enumerate(self.matches):
            origin_field, offset = self.origins[piece]
            if origin_field == field and offset + begin == start:
                self.current = n - 1
                self.call_after_refresh(self._jump, 1)
                return

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="article"):
            for index, (kind, text) in enumerate(self.pieces):
                yield Static(self._render_chunk(index, text), classes=kind, id=f"piece-{index}")
                if kind == "title":
                    yield Static(self._metadata(), id="article-meta")
        yield Footer()

    def _metadata(self) -> Text:
        a = self.article
        dated = _("{date} (from {source})").format(
            date=a.date.date().isoformat(), source=_(a.date_source)) if a.date else ""  # fmt: skip
        rows = [
            (_("date"), dated),
            (_("source"), a.source),
            (_("url"), a.url),
            # The record too (``dump.jsonl#27``): one article of a file of many.
            (_("path"), printable(a.id if a.id.startswith(a.path) else a.path)),
            (_("countries"), ", ".join(a.countries)),
            (_("persons"), ", ".join(a.persons)),
            (_("matches"), str(len(self.matches))),
        ]
        width = max(len(label) for label, _value in rows)
        meta = Text()
        for label, value in rows:
            if value:
                meta.append(f"{label:>{width}}: ", style="bold")
                meta.append(f"{value}\n")
        return meta

    def _render_chunk(self, index: int, chunk: str) -> Text:
        text = Text(chunk)
        for n, (chunk_index, (start, end)) in enumerate(self.matches):
            if chunk_index == index:
                text.stylize(CURRENT_MATCH if n == self.current else MATCH_STYLE, start, end)
        return text

    def _jump(self, step: int) -> None:
        if not self.matches:
            self.notify(_("No match to jump to"), severity="warning")
            return
        previous = self.matches[self.current][0] if self.current >= 0 else None
        self.current = (self.current + step) % len(self.matches)
        index = self.matches[self.current][0]
        for piece in {index, previous} - {None}:
            assert piece is not None
            widget = self.query_one(f"#piece-{piece}", Static)
            widget.update(self._render_chunk(piece, self.pieces[piece][1]))
        self.query_one(f"#piece-{index}").scroll_visible(animate=False)
        self.sub_title = _("match {n}/{count}").format(
            n=self.current + 1, count=len(self.matches)
        )

    def action_next_match(self) -> None:
        self._jump(1)

    def action_previous_match(self) -> None:
        self._jump(-1)

    def action_open_file(self) -> None:
        viewer = os.environ.get("PAGER") or os.environ.get("EDITOR") or "less"
        with contextlib.ExitStack() as stack:
            path = self.file_to_show(stack)
            try:
                with self.app.suspend():
                    subprocess.call([*shlex.split(viewer), path])
            except SuspendNotSupported:
                self.notify(_("No pager in this terminal"), severity="warning")

    def file_to_show(self, stack: contextlib.ExitStack) -> str:
        """The article's file, for the pager; for one record of a dump (a 33 MB
        ``.jsonl.gz``), or a file this machine does not have (a cluster's),
        the article itself, in a file made for it and removed by *stack*."""
        a = self.article
        if a.id == a.path and os.path.isfile(a.path):
            return a.path
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="search-"))
        path = os.path.join(folder, "article.txt")
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n\n".join(part for part in (a.title, a.lead, a.body) if part))
            out.write(f"\n\n— {a.id}\n")
        return path

    def action_copy(self) -> None:
        what = self.article.url or self.article.path
        self.app.copy_to_clipboard(what)
        self.notify(_("Copied {what}").format(what=what))


def _chunks(text: str, size: int = 400) -> list[tuple[int, str]]:
    """Paragraphs, long ones cut at sentence ends, as (offset, text) pairs.

    Jumping to a match scrolls to its chunk, so chunks stay short.
    """
    chunks: list[tuple[int, str]] = []
    offset = 0
    for paragraph in text.split("\n"):
        start = 0
        while len(paragraph) - start > size:
            cut = paragraph.rfind(". ", start, start + size)
            cut = cut + 2 if cut > start else start + size
            chunks.append((offset + start, paragraph[start:cut]))
            start = cut
        if paragraph[start:].strip():
            chunks.append((offset + start, paragraph[start:]))
        offset += len(paragraph) + 1
    return chunks
