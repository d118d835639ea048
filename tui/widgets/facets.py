"""What the matches are about (countries, persons, dates) and the active filters."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, SelectionList, Sparkline
from textual.widgets.selection_list import Selection

from search.filters import Filters
from search.i18n import _, number

if TYPE_CHECKING:
    from search.api import FacetCounts


def years_in(filters: Filters) -> set[str]:
    """The whole years a date filter covers (what the year list shows as chosen)."""
    if not filters.since or not filters.until:
        return set()
    return {str(y) for y in range(filters.since.year, filters.until.year + 1)}


def toggle(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value) if value in values else (*values, value)


def toggle_year(filters: Filters, year: str) -> tuple[date | None, date | None]:
    """The date filter after a click on *year*: the span of the years chosen."""
    years = sorted(int(y) for y in toggle(tuple(sorted(years_in(filters))), year))
    if not years:
        return None, None
    return date(years[0], 1, 1), date(years[-1], 12, 31)


class FacetPanel(Vertical):
    """Counts per country, person and year over every match; a click filters."""

    def compose(self) -> ComposeResult:
        yield Label(_("Countries"), classes="facet-title")
        yield SelectionList[str](id="countries")
        yield Label(_("Persons"), classes="facet-title")
        yield SelectionList[str](id="persons")
        yield Label(_("Dates"), classes="facet-title")
        yield Sparkline([], id="timeline")
        yield Label("", id="timeline-range")
        yield SelectionList[str](id="years")

    def _fill(self, widget_id: str, items: list[tuple[str, str, int]], chosen: set[str]) -> None:
        """Refill a list, keeping chosen values even when their count is 0."""
        selection = self.query_one(f"#{widget_id}", SelectionList)
        present = {item[0] for item in items}
        items = items + [(v, v, 0) for v in sorted(chosen - present)]
        # The cursor stays on its value (just toggled, say), not back at the top.
        at = selection.highlighted
        kept = str(selection.get_option_at_index(at).value) if at is not None else None
        with selection.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
            selection.clear_options()
            selection.add_options(
                Selection(f"{label} ({number(count)})", value, value in chosen)
                for value, label, count in items
            )
            values = [item[0] for item in items]
            if kept in values:
                selection.highlighted = values.index(kept)

    def show(self, facets: FacetCounts, filters: Filters) -> None:
        self._fill(
            "countries", [(v.value, v.label, v.count) for v in facets.countries],
            set(filters.countries),
        )  # fmt: skip
        self._fill(
            "persons", [(v.value, v.label, v.count) for v in facets.persons], set(filters.persons)
        )
        years: dict[str, int] = {}
        for bucket in facets.dates:
            years[bucket.value[:4]] = years.get(bucket.value[:4], 0) + bucket.count
        self._fill("years", [(y, y, n) for y, n in sorted(years.items())], years_in(filters))
        self.query_one("#timeline", Sparkline).data = [b.count for b in facets.dates] or [0]
        span = f"{facets.dates[0].value} → {facets.dates[-1].value}" if facets.dates else ""
        self.query_one("#timeline-range", Label).update(span)


class FilterChips(Horizontal):
    """One removable chip per active filter."""

    async def show(self, filters: Filters) -> None:
        await self.remove_children()
        f = filters
        # Named as the list names them (Finlande, not FI). A country filter
        # comes from the engine's facets: importing its names costs nothing more.
        if f.countries:
            from search.api import country_name
        buttons = [Button(f"{country_name(c)} ×", id=f"chip-country-{c}", classes="chip")
                   for c in f.countries]  # fmt: skip
        buttons += [
            Button(f"{p} ×", name=p, id=f"chip-person-{n}", classes="chip")
            for n, p in enumerate(f.persons)
        ]
        if f.since or f.until:
            since = f.since.isoformat() if f.since else "…"
            until = f.until.isoformat() if f.until else "…"
            buttons.append(Button(f"{since} → {until} ×", id="chip-dates", classes="chip"))
        self.display = bool(buttons)
        if buttons:
            await self.mount_all(buttons)
