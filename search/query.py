"""The query language: Whoosh's, in French too, with checks that give clear errors.

Words are AND-ed and each is looked up in the stemmed and the exact combined
fields and in the title. ``"phrases"``, ``AND``/``OR``/``NOT`` (also ``ET``,
``OU``, ``SAUF``), ``field:value`` (``titre:``, ``pays:``, ``personne:`` are
French aliases), wildcards (``financ*``), fuzzy terms (``Finlnde~``) and date
ranges (``date:[2022-03-01 TO 2022-06-30]``) work as in Whoosh.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from whoosh import qparser, query
from whoosh.fields import Schema
from whoosh.qparser.dateparse import DateParserPlugin, English

from index.analysis import FRENCH_STOP_WORDS, INVISIBLE, fold
from index.schema import DEFAULT_FIELDS, FIELD_BOOSTS

MAX_QUERY_CHARS = 2000
LONE_WILDCARDS = frozenset("?*")

FIELD_ALIASES = {
    "title": ["titre"],
    "lead": ["chapo", "chapeau", "heading"],
    "content": ["body", "texte", "text", "corps"],
    "country": ["pays"],
    "person": ["personne", "persons", "people"],
    "source": ["media"],
    "author": ["auteur"],
    "section": ["rubrique"],
}


# Words the parser reads as operators, never as search terms.
OPERATORS = frozenset({"AND", "OR", "NOT", "ET", "OU", "SAUF", "ANDNOT", "ANDMAYBE", "TO"})


class QuerySyntaxError(ValueError):
    """A query that cannot be run; the message is one line, meant for users."""


class FilterError(QuerySyntaxError):
    """A drill-down filter (``Filters``) that names nothing, such as an unknown country:
    the fault is in the filter, not in the query text."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


# Shown when a query names a field that does not exist.
FIELD_HELP = "titre, chapo, source, auteur, rubrique, pays, personne, date"

_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
# ``name:`` where a field may start: at the start, after a space or a bracket.
_FIELD_PREFIX = re.compile(r"(?:^|(?<=[\s(]))([^\W\d][\w]*):(?=(\S?))")
# Phrases, whose words are never fields (``"Finlande: le vote"``).
_QUOTED = re.compile(r'"[^"]*"')
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
DATE_HELP = "use YYYY, YYYY-MM or YYYY-MM-DD: date:[2022-03-01 TO 2022-06-30], date:>2022-01-01"


def normalize_query(text: str) -> str:
    """Query text normalised exactly as article text is at ingestion (NFC, no
    invisible characters), so that ``se\u0301curite\u0301`` pasted from a PDF
    finds what ``sécurité`` finds."""
    return _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))


def field_names() -> list[str]:
    """Every field a query may name (with the French aliases)."""
    return [*FIELD_ALIASES, "date", *(a for aliases in FIELD_ALIASES.values() for a in aliases)]


def unknown_fields(text: str) -> list[str]:
    """``name:`` prefixes in *text* that name no field (Whoosh searches them as words)."""
    known = set(field_names())
    outside_quotes = _QUOTED.sub('"…"', text)
    return [m.group(1) for m in _FIELD_PREFIX.finditer(outside_quotes) if m.group(1) not in known]


def only_stop_words(text: str) -> list[str]:
    """The words of *text* if every one is a stop word (never indexed), else ``[]``."""
    words = [w for w in _WORD.findall(text) if w not in OPERATORS]
    folded = [fold(w.replace("’", "'").split("'")[-1]) for w in words]
    return words if words and all(f in FRENCH_STOP_WORDS for f in folded) else []


def _operators() -> qparser.OperatorsPlugin:
    return qparser.OperatorsPlugin(
        And=r"(?<=\s)(?:AND|ET)(?=\s)",
        Or=r"(?<=\s)(?:OR|OU)(?=\s)",
        AndNot=r"(?<=\s)ANDNOT(?=\s)",
        AndMaybe=r"(?<=\s)ANDMAYBE(?=\s)",
        Not=r"(^|(?<=(\s|[()])))(?:NOT|SAUF)(?=\s)",
    )


@functools.cache
def _english_dates() -> English:
    return English()


class _DateGrammar:
    """Whoosh's English date grammar, compiled on first use and once per process:
    about 70 regular expressions, a tenth of a one-liner's query when every
    parser compiled its own, and needed only by queries on a date field.
    The grammar holds no state between parses."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_english_dates(), name)


def make_parser(
    schema: Schema, *, group: type = qparser.AndGroup, fields: tuple[str, ...] = DEFAULT_FIELDS
) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(
        list(fields), schema, fieldboosts={f: FIELD_BOOSTS[f] for f in fields}, group=group
    )
    parser.replace_plugin(_operators())
    parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(DateParserPlugin(dateparser=_DateGrammar(), free=False))
    return parser


def check_balance(text: str) -> None:
    """Reject unbalanced quotes and brackets, which Whoosh would silently reinterpret."""
    if text.count('"') % 2:
        raise QuerySyntaxError('unbalanced quote: a " has no closing "')
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    in_quote = False
    for char in text:
        if char == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                raise QuerySyntaxError(f"unbalanced brackets: {char!r} closes nothing")
    for opening, count in depth.items():
        if count:
            raise QuerySyntaxError(f"unbalanced brackets: {opening!r} is never closed")


def _phrases_on_content(q: query.Query) -> query.Query:
    """Phrases are matched on the stemmed combined field only.

    Matching positions is Whoosh's slowest operation; doing it on three fields
    (stemmed, exact, title) tripled the time of a phrase query for no new
    matches (the combined field already holds the title, and an exact phrase
    is a stemmed phrase too).
    """
    if isinstance(q, query.Phrase) and q.fieldname in ("exact", "title"):
        return query.NullQuery
    return q


def _fold_patterns(q: query.Query) -> query.Query:
    """Wildcard and fuzzy terms skip analysis in Whoosh: fold them like the index."""
    if isinstance(q, query.PatternQuery | query.FuzzyTerm) and q.fieldname in DEFAULT_FIELDS:
        q.text = fold(q.text)
    return q


def has_patterns(q: query.Query) -> bool:
    """Wildcards or fuzzy terms: their matches differ from field to field."""
    leaves = [q] if q.is_leaf() else q.leaves()
    return any(isinstance(leaf, query.PatternQuery | query.FuzzyTerm) for leaf in leaves)


def _errors(q: query.Query) -> list[str]:
    found = []
    for sub in q.leaves() if not q.is_leaf() else [q]:
        if getattr(sub, "error", None):
            found.append(str(sub.error))
    return found


def check_fields(text: str) -> None:
    """A known field with nothing after it (``titre:``) is a mistake, not a word."""
    known = set(field_names())
    for match in _FIELD_PREFIX.finditer(_QUOTED.sub('"…"', text)):
        if match.group(1) in known and not match.group(2):
            name = match.group(1)
            raise QuerySyntaxError(
                f"nothing after {name}: (write {name}:mot or {name}:\"quelques mots\")"
            )


def parse_query(parser: qparser.QueryParser, text: str) -> query.Query:
    """Parse *text*, raising :class:`QuerySyntaxError` with a readable message.

    A lone ``*`` means every article; a query that only excludes
    (``SAUF Finlande``) means every article but those.
    """
    text = normalize_query(text)
    # French typography spaces out "?" and "!": a pasted title ends in " ?",
    # which Whoosh would read as a one-character wildcard, matching nothing.
    words = text.split()
    text = " ".join(word for word in words if not set(word) <= LONE_WILDCARDS)
    if words and not text:
        return query.Every()
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query too long ({len(text)} characters, at most {MAX_QUERY_CHARS})"
        )
    check_balance(text)
    check_fields(text)
    try:
        q = parser.parse(text)
    except Exception as error:  # Whoosh raises assorted types on odd input
        if re.search(r"\bdate:", text):
            raise QuerySyntaxError(f"not a date in {text!r}: {DATE_HELP}") from error
        raise QuerySyntaxError(f"cannot parse query: {error}") from error
    if problems := _errors(q):
        raise QuerySyntaxError(problems[0])
    q = q.accept(_fold_patterns).accept(_phrases_on_content).normalize()
    if isinstance(q, query.Not):
        q = query.AndNot(query.Every(), q.query)
    return q
