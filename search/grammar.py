"""The query language as a grammar: text → a tree of plain values, no Whoosh.

Written by hand rather than configured from Whoosh's parser, whose plugins
reinterpreted what they could not read (a dangling ``AND`` searched for
nothing, ``-Suède`` searched for ``Suède``, ``titre:"croix gammée"`` became a
query that matches nothing) without a word. Here every construct is either
read as the README's table says or rejected with a one-line
:class:`QuerySyntaxError` that says how to write it. The tree is what both
the local engine (:mod:`search.query`) and any other backend translate::

    query    := clause*                    implicit AND (AND / ET may stand between)
    clause   := unary (OR unary)*          OR / OU binds tighter than AND, as in Google
    unary    := (NOT | SAUF | -) unary | + unary | primary
    primary  := ( query ) | field:value | "phrase"[~N] | word[~N] | pattern
    value    := word | "phrase" | pattern | ( words ) | [A TO B] | >A | >=A | <A | <=A

Operators are upper case (``ou`` and ``et`` are French words, and stop words).
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date
from typing import Union

from index.analysis import APOSTROPHES, INVISIBLE, fold
from search.i18n import _

MAX_QUERY_CHARS = 2000
# Edits a fuzzy word may have (``Stoltenbrg~``, ``Stoltenbreg~2``).
MAX_EDITS = 2

FIELD_ALIASES = {
    "title": ["titre"],
    "lead": ["chapo", "chapeau", "heading"],
    "content": ["body", "texte", "text", "corps"],
    "country": ["pays"],
    "person": ["personne", "persons", "people"],
    "source": ["media"],
    "author": ["auteur"],
    "section": ["rubrique"],
    "date": [],
}
# Every name a query may use for a field, lower case → the field.
FIELDS = {name: field for field, aliases in FIELD_ALIASES.items() for name in (field, *aliases)}
# Shown when a query names a field that does not exist.
FIELD_HELP = "titre, chapo, source, auteur, rubrique, pays, personne, date"
def date_help() -> str:
    return _("use YYYY, YYYY-MM or YYYY-MM-DD: date:[2022-03-01 TO 2022-06-30], date:>2022-01-01")

AND_WORDS = frozenset({"AND", "ET"})
OR_WORDS = frozenset({"OR", "OU"})
NOT_WORDS = frozenset({"NOT", "SAUF"})
# Words the grammar reads as operators, never as search terms.
OPERATORS = AND_WORDS | OR_WORDS | NOT_WORDS | {"TO"}


class QuerySyntaxError(ValueError):
    """A query that cannot be run; the message is one line, meant for users, in
    their language. *still_open*: a quote or bracket that typing on would close
    (a phrase being typed, which a search-as-you-type box says quietly)."""

    def __init__(self, message: str, still_open: bool = False) -> None:
        super().__init__(message)
        self.still_open = still_open


# --- The tree -------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word as typed (analysed by the backend). ``field`` ``None``: the default fields."""

    text: str
    field: str | None = None
    boost: float = 1.0
    # ``foo:bar`` where ``foo`` is no field: its words are searched, and a hint says so.
    unknown_field: str | None = None


@dataclass(frozen=True)
class Phrase:
    """Words in this order; ``slop`` extra words may stand between them (``"a b"~2``)."""

    text: str
    field: str | None = None
    slop: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class Pattern:
    """A wildcard word: ``*`` any run of letters, ``?`` one letter (``sécur*``)."""

    text: str
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy:
    """A word with up to ``edits`` letters changed (``Stoltenbrg~``)."""

    text: str
    edits: int
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class DateRange:
    """Articles dated from ``start`` to ``end``, both days included (``None``: open)."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class Every:
    """Every article (``*``)."""


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Union[Word, Phrase, Pattern, Fuzzy, DateRange, Every, Not, And, Or]  # noqa: UP007


# --- Reading the text -------------------------------------------------------------

_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
# One lexical item: a phrase with its suffixes, a bracket, a range, or a run of
# anything else. Quotes may be typographic: « » and “ ” read as ".
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<phrase>"[^"]*")(?P<phrase_suffix>(?:~[^\s()"^]*)?(?:\^[^\s()"]*)?)
    | (?P<range>\[[^\]]*\]|\{[^}]*\})
    | (?P<sign>[-+](?=["(]))
    | (?P<word>[^\s()"\[]+)
    """,
    re.VERBOSE,
)
_FIELD = re.compile(r"([^\W\d_]\w*):(.*)", re.DOTALL)
_SIGN = re.compile(r"[-+](?=[^\s\-+])")
_BOOST = re.compile(r"\^(\d+(?:\.\d+)?)$")
_FUZZY = re.compile(r"~([^~]*)$")
_COMPARISON = re.compile(r"(>=|<=|>|<)(.*)", re.DOTALL)
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
# Typographic quotes as straight ones: a title pasted from an article quotes « like this ».
_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"'})
# Punctuation that stands alone in pasted French text (" ? ", " : ", " – ").
_LONE_PUNCTUATION = re.compile(r"[^\w*]+")


def normalize_query(text: str) -> str:
    """Query text normalised exactly as article text is at ingestion (NFC, no
    invisible characters), so that ``se\u0301curite\u0301`` pasted from a PDF
    finds what ``sécurité`` finds."""
    return _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))


@dataclass
class _Item:
    kind: str  # open, close, phrase, range, word, op, sign
    text: str
    suffix: str = ""


def _lex(text: str) -> list[_Item]:
    items: list[_Item] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "phrase_suffix":
            items.append(_Item("phrase", match.group("phrase")[1:-1], match.group("phrase_suffix")))
            continue
        value = match.group(0)
        if kind == "word":
            if value in AND_WORDS | OR_WORDS | NOT_WORDS:
                items.append(_Item("op", value))
                continue
            while _SIGN.match(value):  # -Suède, +OTAN
                items.append(_Item("sign", value[0]))
                value = value[1:]
        assert kind is not None
        items.append(_Item(kind, value))
    return items


def _both_sides(operator: str) -> QuerySyntaxError:
    return QuerySyntaxError(
        _("{operator} needs a word on each side: Finlande {operator} Suède").format(
            operator=operator
        )
    )


class _Parser:
    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.at = 0

    def peek(self) -> _Item | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> _Item:
        item = self.items[self.at]
        self.at += 1
        return item

    def operand_follows(self) -> bool:
        """Whether something an operator can apply to comes next (a NOT may)."""
        nxt = self.peek()
        return not (
            nxt is None or nxt.kind == "close" or (nxt.kind == "op" and nxt.text not in NOT_WORDS)
        )

    def query(self, closing: bool = False) -> list[Node]:
        """Clauses up to the end (or the closing bracket)."""
        clauses: list[Node] = []
        while (item := self.peek()) is not None:
            if item.kind == "close":
                if not closing:
                    raise QuerySyntaxError(_("unbalanced brackets: ')' closes nothing"))
                return clauses
            if item.kind == "op" and item.text in AND_WORDS:
                self.take()
                if not clauses or not self.operand_follows():
                    raise _both_sides(item.text)
                continue
            clauses.append(self.clause())
        if closing:
            raise QuerySyntaxError(_("unbalanced brackets: '(' is never closed"), still_open=True)
        return clauses

    def clause(self) -> Node:
        first = self.unary()
        alternatives = [first]
        while (item := self.peek()) is not None and item.kind == "op" and item.text in OR_WORDS:
            self.take()
            if not self.operand_follows():
                raise _both_sides(item.text)
            alternatives.append(self.unary())
        return alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives))

    def unary(self) -> Node:
        item = self.peek()
        assert item is not None
        if item.kind == "op" and item.text in OR_WORDS:
            raise _both_sides(item.text)
        if (item.kind == "op" and item.text in NOT_WORDS) or (item.kind == "sign"):
            self.take()
            if not self.operand_follows():
                shown = item.text if item.kind == "op" else "-"
                raise QuerySyntaxError(
                    _("{operator} needs something to exclude after it: OTAN {example}").format(
                        operator=shown, example=f"{shown}{' ' if item.kind == 'op' else ''}Turquie"
                    )
                )
            inner = self.unary()
            return inner if item.text == "+" else Not(inner)
        return self.primary()

    def primary(self) -> Node:
        item = self.take()
        if item.kind == "open":
            inner = self.query(closing=True)
            self.take()  # the closing bracket
            if not inner:
                raise QuerySyntaxError(_("empty brackets (): put words inside, or remove them"))
            return inner[0] if len(inner) == 1 else And(tuple(inner))
        if item.kind == "close":
            raise QuerySyntaxError(_("unbalanced brackets: ')' closes nothing"))
        if item.kind == "phrase":
            return _phrase(item.text, item.suffix, None)
        if item.kind == "range":
            raise QuerySyntaxError(
                _("a range goes with the date field: date:{range}").format(range=item.text)
            )
        if item.kind == "op":  # never reached: operators are read before a primary
            raise _both_sides(item.text)
        field_match = _FIELD.fullmatch(item.text)
        if field_match and field_match.group(1).lower() in FIELDS:
            return self.field_value(
                FIELDS[field_match.group(1).lower()], field_match.group(1), field_match.group(2)
            )
        return _term(item.text, None)

    def field_value(self, field: str, typed: str, rest: str) -> Node:
        """What follows ``typed:``: on the same word, or a phrase, range or bracket after it."""
        if not rest:
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("phrase", "range", "open"):
                raise QuerySyntaxError(
                    _('nothing after {field}: (write {field}:mot or {field}:"quelques mots")')
                    .format(field=typed)
                )
            item = self.take()
            if item.kind == "phrase":
                if field == "date":
                    return _date_value(item.text)
                return _phrase(item.text, item.suffix, field)
            if item.kind == "range":
                if field != "date":
                    raise QuerySyntaxError(
                _("a range goes with the date field: date:{range}").format(range=item.text)
            )
                return _date_range(item.text)
            inner = self.query(closing=True)
            self.take()
            if not inner:
                raise QuerySyntaxError(
                    _("empty brackets after {field}: write {field}:(mot autre)").format(field=typed)
                )
            return _with_field(inner[0] if len(inner) == 1 else And(tuple(inner)), field, typed)
        if field == "date":
            comparison = _COMPARISON.fullmatch(rest)
            if comparison:
                return _date_comparison(comparison.group(1), comparison.group(2))
            return _date_value(rest)
        return _term(rest, field)


def _with_field(node: Node, field: str, typed: str) -> Node:
    """``titre:(a OR b)``: the field given to every word inside."""
    if isinstance(node, Word | Phrase | Pattern | Fuzzy):
        if node.field is not None and node.field != field:
            raise QuerySyntaxError(
                _("a field inside {field}:( ): write the fields apart").format(field=typed)
            )
        return replace(node, field=field)
    if isinstance(node, Not):
        return Not(_with_field(node.node, field, typed))
    if isinstance(node, And | Or):
        return type(node)(tuple(_with_field(n, field, typed) for n in node.nodes))
    raise QuerySyntaxError(_("{field}:( ) takes words and phrases").format(field=typed))


def _boost(text: str) -> tuple[str, float]:
    match = _BOOST.search(text)
    if match is None:
        if "^" in text[1:]:
            raise QuerySyntaxError(
                _("a boost is a number after ^: {word}^2").format(word=text.split("^")[0])
            )
        return text, 1.0
    return text[: match.start()], float(match.group(1))


def _phrase(text: str, suffix: str, field: str | None) -> Node:
    suffix, boost = _boost(suffix) if suffix else ("", 1.0)
    slop = 0
    if suffix.startswith("~"):
        digits = suffix[1:]
        if not digits.isdigit():
            raise QuerySyntaxError(
                _('words apart is a whole number after the phrase: "{phrase}"~2')
                .format(phrase=text)
            )
        slop = int(digits)
    return Phrase(text, field, slop, boost)


def _term(text: str, field: str | None) -> Node:
    """A word, a wildcard or a fuzzy word, on *field* (``None``: the default fields)."""
    text, boost = _boost(text)
    fuzzy = _FUZZY.search(text)
    if fuzzy is not None and fuzzy.start() > 0:
        edits = fuzzy.group(1)
        if edits not in ("", *(str(n) for n in range(1, MAX_EDITS + 1))):
            raise QuerySyntaxError(
                _("a fuzzy word takes 1 or {most} edits: {word}~ or {word}~{most} (not ~{edits})")
                .format(most=MAX_EDITS, word=text[: fuzzy.start()], edits=edits)
            )
        return Fuzzy(text[: fuzzy.start()], int(edits or 1), field, boost)
    if "*" in text or "?" in text:
        if not text.strip("*?"):
            return Every()
        return Pattern(text, field, boost)
    if field is None and (unknown := _FIELD.fullmatch(text)) and unknown.group(2):
        # ``foo:bar`` names no field: its words are searched (and a hint says so).
        name = unknown.group(1)
        return And((Word(name, None, boost, unknown_field=name), _term(unknown.group(2), None)))
    return Word(text, field, boost)


# --- Dates ----------------------------------------------------------------------


def day_bounds(text: str) -> tuple[date, date]:
    """The first and last day that ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` covers."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise _not_a_date(text)
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        raise _not_a_date(text) from None


def _not_a_date(text: str) -> QuerySyntaxError:
    return QuerySyntaxError(
        _("not a date: {date}: {help}").format(date=repr(text), help=date_help())
    )


def _date_value(text: str) -> DateRange:
    first, last = day_bounds(text)
    return DateRange(first, last)


def _date_range(text: str) -> DateRange:
    if text.startswith("{"):
        raise QuerySyntaxError(
            _("write a date range with square brackets: date:[{range}]").format(range=text[1:-1])
        )
    start, sep, end = text[1:-1].partition(" TO ")
    if not sep:
        start, sep, end = text[1:-1].rpartition("TO")
    if not sep or not (start.strip() or end.strip()):
        raise QuerySyntaxError(
            _("not a date range: {range}: {help}").format(range=text, help=date_help())
        )
    return DateRange(
        day_bounds(start)[0] if start.strip() else None,
        day_bounds(end)[1] if end.strip() else None,
    )


def _date_comparison(operator: str, value: str) -> DateRange:
    """``>`` and ``<`` leave the named period out, ``>=`` and ``<=`` keep it."""
    first, last = day_bounds(value)
    if operator == ">=":
        return DateRange(first, None)
    if operator == "<=":
        return DateRange(None, last)
    if operator == ">":
        return DateRange(date.fromordinal(last.toordinal() + 1), None)
    return DateRange(None, date.fromordinal(first.toordinal() - 1))


# --- The whole query ---------------------------------------------------------------


def parse(text: str) -> Node | None:
    """The tree of *text*, or ``None`` when it holds nothing to search.

    Raises :class:`QuerySyntaxError` with a one-line message for anything the
    grammar cannot read as written.
    """
    text = normalize_query(text).translate(_QUOTES)
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            _("query too long ({count} characters, at most {most})").format(
                count=len(text), most=MAX_QUERY_CHARS
            )
        )
    if text.count('"') % 2:
        raise QuerySyntaxError(_('unbalanced quote: a " has no closing "'), still_open=True)
    _check_brackets(text)
    # French typography spaces out ? ! : ; and dashes: alone, they are punctuation.
    items = [
        item
        for item in _lex(text)
        if not (item.kind == "word" and _LONE_PUNCTUATION.fullmatch(item.text))
    ]
    clauses = _Parser(items).query()
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(tuple(clauses))


def _check_brackets(text: str) -> None:
    """Unbalanced brackets, said before parsing (outside phrases)."""
    outside = re.sub(r'"[^"]*"', '""', text)
    for opening, closing in ("()", "[]"):
        depth = 0
        for char in outside:
            if char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth < 0:
                    raise QuerySyntaxError(
                        _("unbalanced brackets: {bracket} closes nothing")
                        .format(bracket=repr(closing))
                    )
        if depth:
            raise QuerySyntaxError(
                _("unbalanced brackets: {bracket} is never closed").format(bracket=repr(opening)),
                still_open=True,
            )


def unelided(word: str) -> str:
    """*word* without an elided article or pronoun in front (``l'allian*``)."""
    for apostrophe in APOSTROPHES:
        word = word.split(apostrophe)[-1]
    return word


def pattern_text(node: Pattern | Fuzzy) -> str:
    """What a wildcard or fuzzy word is matched with: not analysed (a stem of
    ``sécur*`` means nothing), folded as the index's terms are. They are for
    words: on a country, a person or a date, an error."""
    if node.field in ("country", "person", "date"):
        message = (
            _("wildcards are for words, not for {field}: (write {field}:…)")
            if isinstance(node, Pattern)
            else _("fuzzy words are for words, not for {field}: (write {field}:…)")
        )
        raise QuerySyntaxError(message.format(field=node.field))
    return fold(unelided(node.text))


def leaves(node: Node | None) -> list[Node]:
    """The words, phrases, patterns and ranges of a tree, left to right."""
    if node is None:
        return []
    if isinstance(node, Not):
        return leaves(node.node)
    if isinstance(node, And | Or):
        return [leaf for child in node.nodes for leaf in leaves(child)]
    return [node]
