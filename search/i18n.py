"""The interface's language: French or English, from the user's locale.

Messages are written in English in the code and looked up in gettext
catalogues (``search/locale/fr/LC_MESSAGES/search.po``, compiled to ``.mo``
with Babel: ``pybabel compile -d search/locale -D search``). English is the
default; :func:`activate` switches a front end to the language the
environment asks for (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as
gettext reads them), before its modules are imported, since key bindings
and titles are translated when their classes are made, and the CLI's help
when its commands are: the ``search`` script activates it first thing. A
program that imports the library without calling it gets English, and so
do its worker processes (they speak the language of the process that
started them).
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "search"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "fr")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def activate(languages: list[str] | None = None) -> str:
    """Use the catalogue of *languages* (default: what the environment asks
    for, else English); the language now spoken, ``"en"`` or ``"fr"``."""
    global _translation, _language
    found = gettext.translation(DOMAIN, LOCALE_DIR, languages=languages, fallback=True)
    # Click asks gettext's global domain for its own words ("Usage:", its
    # usage errors): ours holds them too.
    gettext.bindtextdomain(DOMAIN, LOCALE_DIR)
    gettext.textdomain(DOMAIN)
    _translation = found
    info = found.info() if isinstance(found, gettext.GNUTranslations) else {}
    _language = "fr" if info.get("language", "").startswith("fr") else "en"
    return _language


def language() -> str:
    """The language spoken: ``"en"`` until :func:`activate` finds another."""
    return _language


def _(message: str) -> str:
    """*message* in the language spoken."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for *count*, in the language spoken."""
    return _translation.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """*message* marked for the catalogue, translated later (with :func:`_`)."""
    return message


# What the interface calls the periods of a trend and the orders of a
# concordance (their English names are the API's values).
PERIODS = {"day": N_("day"), "week": N_("week"), "month": N_("month"), "year": N_("year")}
ORDERS = {"article": N_("article"), "date": N_("date"), "left": N_("left"), "right": N_("right")}


def named(value: str, names: dict[str, str]) -> str:
    """An API value (``month``, ``left``) as the interface names it."""
    return _(names.get(value, value))


def number(value: int) -> str:
    """A whole number grouped by thousands as the language writes it:
    ``35,986`` in English, ``35 986`` in French (a narrow no-break space)."""
    grouped = f"{value:,}"
    return grouped.replace(",", "\u202f") if _language == "fr" else grouped


def decimal(value: float, digits: int = 1) -> str:
    """A number with *digits* decimals as the language writes it: ``1,234.5``
    in English, ``1 234,5`` in French."""
    written = f"{value:,.{digits}f}"
    if _language == "fr":
        return written.replace(",", "\u202f").replace(".", ",")
    return written
