"""The query box."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from tui.history import History


class QueryInput(Input):
    """The query box; ↑/↓ in it walk the query history, ↓ past it goes to the hits."""

    BINDINGS = [
        Binding("up", "history_previous", "History", show=False),
        Binding("down", "history_next", "History", show=False),
    ]

    class LeaveDown(Message):
        """↓ with no history being walked: the user wants the results."""

    def __init__(self, history: History, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history = history
        self.browsing = False  # walking the history since the last other key

    def on_key(self, event: events.Key) -> None:
        if event.key not in ("up", "down"):
            self.browsing = False

    def action_history_previous(self) -> None:
        if (self.value == "" or self.browsing) and (query := self.history.previous()):
            self.browsing = True
            self.value = query
            self.cursor_position = len(query)

    def action_history_next(self) -> None:
        if self.browsing:
            self.value = self.history.next()
            self.cursor_position = len(self.value)
        else:
            self.post_message(self.LeaveDown())

    def remember(self) -> None:
        """The query was submitted: it joins the history."""
        self.history.add(self.value)
        self.browsing = False
