"""What the trend, concordance and related screens share: a view of the current
query and filters, with a caption line over the view's own widgets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from search.api import Filters

if TYPE_CHECKING:
    from tui.app import SearchApp

ResultT = TypeVar("ResultT")


class QueryView(Screen[ResultT]):
    """A screen about the query and filters of the search screen, computed in a
    worker; subclasses give the widgets under the caption and the sub-title."""

    def __init__(self, query: str, filters: Filters) -> None:
        super().__init__()
        self.query_text, self.filters = query, filters

    @property
    def search_app(self) -> SearchApp:
        return cast("SearchApp", self.app)

    def body(self) -> Iterable[Widget]:
        return ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", classes="caption")
        yield from self.body()
        yield Footer()

    def caption(self, message: str) -> None:
        """One line over the view: what it shows, or why it cannot."""
        if self.is_attached:
            self.query_one(".caption", Static).update(message)
