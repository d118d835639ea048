"""The drill-down a reader builds from the facets: a plain value, importable
without the engine (the TUI draws its first screen, which holds one, before
numpy and Whoosh are loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Filters:
    """Drill-down: AND across facets, OR within one (``countries=("FI", "SE")``)."""

    countries: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def __bool__(self) -> bool:
        return bool(self.countries or self.persons or self.since or self.until)
