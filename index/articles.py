"""What ingestion produces: articles, and problems reported instead of crashing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime

# C0 and C1 control characters other than tab and newline. They are not text,
# and in a terminal they are commands: ESC starts sequences that clear the
# screen, change colours, retitle the window or (OSC 52) write the clipboard.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# The same, and the line breaks and tabs too: for what shows on one line (a path).
LINE_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """*text* with each control character replaced by U+FFFD, for display: the same
    length, so highlight offsets stay valid. Ingestion drops them; this keeps an
    index written before it did (or a crafted file name) out of the terminal's
    control."""
    return CONTROL_CHARACTERS.sub("\ufffd", text)


def printable_line(text: str) -> str:
    """:func:`printable`, with line breaks and tabs replaced too: for a file name
    or an id that is shown on one line of a layout."""
    return LINE_CONTROL_CHARACTERS.sub("\ufffd", text)


@dataclass(slots=True)
class Article:
    """One news article, as read from a file, before analysis."""

    id: str
    path: str
    title: str
    body: str
    lead: str = ""
    date: datetime | None = None
    date_source: str = ""
    # Where the title came from: "metadata", "heading" (Markdown), "first-line"
    # or "derived" (made from the start of the text: the file has no title).
    title_source: str = "metadata"
    source: str = ""
    url: str = ""
    author: str = ""
    section: str = ""
    countries: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)

    def drop_control_characters(self) -> int:
        """Remove control characters from every text field; how many there were."""
        removed = 0
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and f.name not in ("id", "path"):
                clean, count = CONTROL_CHARACTERS.subn("", value)
                if count:
                    setattr(self, f.name, clean)
                    removed += count
        return removed


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with an input, reported with where it is and why.

    ``skipped`` problems lost an article (or a whole file); the others are
    warnings about a field that was ignored while the article was indexed.
    """

    path: str
    reason: str
    line: int | None = None
    skipped: bool = True
    # The file ends early (a truncated dump): what came before it was indexed,
    # and every run says so again until the file is whole.
    truncated: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"
