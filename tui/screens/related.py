"""What the current query's matches talk about: the words, expressions, persons
and countries over-represented in them. Enter adds one to the query."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from index.articles import printable
from search.api import Filters, IndexProblem, Keyword, QuerySyntaxError, Related
from search.i18n import _, decimal, number
from tui.screens.query_view import QueryView

TOP = 15


def query_term(kind: str, keyword: Keyword) -> str:
    """What selecting *keyword* adds to the query, in the query language."""
    if kind == "expressions":
        return f'"{keyword.text}"'
    if kind == "persons":
        return f'personne:"{keyword.text}"'
    if kind == "countries":
        return f"pays:{keyword.key}"
    return keyword.text


class RelatedScreen(QueryView[str | None]):
    """Dismissed with the query term to add, or ``None``."""

    SUB_TITLE = _("related")
    BINDINGS = [Binding("escape,q", "back", _("Back"))]

    def __init__(self, query: str, filters: Filters) -> None:
        super().__init__(query, filters)
        self.related: Related | None = None
        self.terms: dict[str, str] = {}  # option id -> query term

    def body(self) -> Iterable[Widget]:
        yield OptionList(id="related")

    def on_mount(self) -> None:
        self.caption(_("Reading the matches…"))
        self.compute()

    @work(thread=True, exclusive=True, group="related")
    def compute(self) -> None:
        app = self.search_app
        if app.engine is None:
            app.call_from_thread(self.caption, _("No index yet: ctrl+r builds it."))
            return
        try:
            with app.lock:
                found = app.engine.related(self.query_text, filters=self.filters, top=TOP)
        except QuerySyntaxError as error:
            app.call_from_thread(self.caption, _("Query error: {error}").format(error=error))
            return
        except IndexProblem as error:  # a damaged index, a cluster out of reach
            app.call_from_thread(self.caption, str(error))
            return
        app.call_from_thread(self.show, found)

    def show(self, related: Related) -> None:
        if not self.is_attached:
            return
        self.related = related
        self.caption(_(
            "« {query} »: {matches} of {documents} articles. Over-represented in them (G², "
            "in/out: matching/other articles holding it). Enter adds one to the query."
        ).format(query=printable(self.query_text), matches=number(related.matches),
                 documents=number(related.documents)))  # fmt: skip
        listing = self.query_one("#related", OptionList)
        listing.clear_options()
        sections = [
            ("words", _("Words"), related.words),
            ("expressions", _("Expressions"), related.expressions),
            ("persons", _("Persons"), related.persons),
            ("countries", _("Countries"), related.countries),
        ]
        for kind, title, keywords in sections:
            listing.add_option(Option(Text(title, style="bold underline"), disabled=True))
            if not keywords:
                listing.add_option(Option(Text("  -", style="dim"), disabled=True))
            width = max((len(k.text) for k in keywords), default=0)
            for n, k in enumerate(keywords):
                option_id = f"{kind}-{n}"
                self.terms[option_id] = query_term(kind, k)
                row = Text(f"  {printable(k.text):<{width}}  ")
                row.append(_("{g2}  in {inside}  out {outside}").format(
                    g2=f"{decimal(k.g2):>9}", inside=f"{number(k.inside):>6}",
                    outside=f"{number(k.outside):>7}"), style="dim")  # fmt: skip
                listing.add_option(Option(row, id=option_id))
        listing.focus()
        first = next((i for i in range(listing.option_count)
                      if not listing.get_option_at_index(i).disabled), None)  # fmt: skip
        listing.highlighted = first

    @on(OptionList.OptionSelected, "#related")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in self.terms:
            self.dismiss(self.terms[event.option.id])

    def action_back(self) -> None:
        self.dismiss(None)
