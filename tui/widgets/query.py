"""The query box."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from search.i18n import _
from tui.history import History


class QueryInput(Input):
    """The query box; ↑/↓ in it walk the query history, ↓ past it goes to the hits."""

    BINDINGS = [
        Binding("up", "history_previous", _("History"), show=False,
                tooltip=_("in an empty box: the previous queries")),
        Binding("down", "history_next", _("History"), show=False,
                tooltip=_("the next query of the history, or the hits")),
        Binding("tab", "accept_suggestion", _("Accept the suggestion"), show=False,
                tooltip=_("with no hits: take the spelling suggested")),
    ]

    class LeaveDown(Message):
        """↓ with no history being walked: the user wants the results."""

    def __init__(self, history: History, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history = history
        self.browsing = False  # walking the history since the last other key
        self.suggestion: str | None = None  # a correction offered for a query with no hits

    def on_key(self, event: events.Key) -> None:
        if event.key not in ("up", "down"):
            self.browsing = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Without a suggestion, Tab is Tab: the focus moves on.
        return self.suggestion is not None if action == "accept_suggestion" else True

    def action_accept_suggestion(self) -> None:
        """Tab on a suggestion: it replaces the query, and the keyboard stays here."""
        if self.suggestion is not None:
            self.value, self.suggestion = self.suggestion, None
            self.cursor_position = len(self.value)

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
