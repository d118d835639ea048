"""Publication dates as French news writes them, and where a date came from."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime

from unidecode import unidecode

MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9,
    "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
_DMY = re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})\b")
_FRENCH = re.compile(r"\b(?P<d>\d{1,2})(?:er)?\s+(?P<month>[a-z]+)\.?\s+(?P<y>\d{4})\b")
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")
_FILENAME = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-_.]?(?P<m>\d{2})[-_.]?(?P<d>\d{2})(?!\d)")


def _make(y: str, m: str | int, d: str) -> datetime | None:
    try:
        return datetime(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_date(value: object) -> datetime | None:
    """Parse a date as found in metadata; ``None`` when it is not one.

    Accepts ISO 8601 (``2022-03-24``, ``2022-03-24T10:00:00+01:00``),
    ``24/03/2022``, ``24.03.2022``, French prose (``24 mars 2022``,
    ``jeudi 1er juillet 2021``) and ``20220324``. The result is the local
    calendar date and time of publication, naive: the timezone only says
    where the newsroom was, and converting would move late-evening articles
    to the next day.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 200:
        return None
    if match := _ISO.search(text):
        parsed = _make(match["y"], match["m"], match["d"])
        if parsed and match["H"]:
            with contextlib.suppress(ValueError):  # 25:61 is not a time: keep the day
                parsed = parsed.replace(
                    hour=int(match["H"]), minute=int(match["M"]), second=int(match["S"] or 0)
                )
        return parsed
    if match := _DMY.search(text):
        return _make(match["y"], match["m"], match["d"])
    folded = unidecode(text).lower()
    if (match := _FRENCH.search(folded)) and match["month"] in MONTHS:
        return _make(match["y"], MONTHS[match["month"]], match["d"])
    if match := _COMPACT.fullmatch(text):
        return _make(match["y"], match["m"], match["d"])
    return None


def date_from_filename(name: str) -> datetime | None:
    """A date written in a file name (``2022-03-24_otan.txt``, ``20220324.md``)."""
    match = _FILENAME.search(name)
    return _make(match["y"], match["m"], match["d"]) if match else None


def date_from_mtime(mtime: float) -> datetime:
    """The day a file was last changed: a stand-in for its publication date, so no
    more precise than a day (a time of day would pretend to know more)."""
    moment = datetime.fromtimestamp(mtime, tz=UTC)
    return datetime(moment.year, moment.month, moment.day)


def iso(moment: datetime | None) -> str | None:
    """``2022-03-24`` for a day, ``2022-03-24T10:00:00`` when the time is known."""
    if moment is None:
        return None
    return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()
