"""Past queries, kept between sessions: ↑ in an empty query box brings them back."""

from __future__ import annotations

import os
from pathlib import Path


class History:
    """Past queries, newest last, kept in a text file (one query per line)."""

    def __init__(self, path: Path, limit: int = 200) -> None:
        self.path, self.limit = path, limit
        try:
            self.items = [q for q in path.read_text(encoding="utf-8").splitlines() if q]
        except OSError:
            self.items = []
        self.cursor = len(self.items)

    def add(self, query: str) -> None:
        query = query.strip()
        if not query:
            return
        if query in self.items:
            self.items.remove(query)
        self.items = [*self.items, query][-self.limit :]
        self.cursor = len(self.items)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("\n".join(self.items) + "\n", encoding="utf-8")
        except OSError:
            pass  # history is a convenience: never fail a search for it

    def previous(self) -> str | None:
        if not self.items:
            return None
        self.cursor = max(0, self.cursor - 1)
        return self.items[self.cursor]

    def next(self) -> str:
        self.cursor = min(len(self.items), self.cursor + 1)
        return self.items[self.cursor] if self.cursor < len(self.items) else ""


def default_history_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "french-news-search" / "history"
