"""Which sovereign countries an article refers to, and the words that say so.

A country is recognised by its name in any spelling (``États-Unis``,
``Etats-Unis``, ``USA``), by its nationality adjective or demonym in every
gender and number (``turc``, ``turque``, ``les Turcs``), by its capital city
(``Moscou``), or inside a compound adjective (``sino-britannique``). The table
of all UN member states is data: ``index/data/countries.tsv``.

Ambiguity is handled by a few explicit rules rather than ignored:

- names and capitals count only when capitalised (``la macédoine de légumes``);
- an adjective used as a language does not count (``parle français``,
  ``traduit en russe``, ``le turc``): lowercase, right after ``en``/``le``/
  ``du``/``au`` or a verb of speaking;
- a name inside another name does not count: after ``accords``, ``traité``,
  ``rue``, ``golfe``, ``Air`` … (``accords d'Oslo``, ``golfe de Guinée``,
  ``Air France``), before ``Post``, ``Télévisions``, ``Papers`` …
  (``Washington Post``), in a region's name (``Île-de-France``), or inside a
  person's name (``Anatole France``, ``George Washington``);
- words that are mostly something else are left out or need their article:
  ``Bruxelles`` (usually the EU), ``La Haye`` (the international courts),
  ``Hollande`` (François Hollande), ``Maurice``/``Salomon``/``Marshall``
  without ``île(s)`` (first names, the Marshall plan), ``Dominique`` and
  ``Grenade`` only as ``la Dominique``/``la Grenade``; ``Géorgie`` after
  ``État de`` is the US state. Accepted errors: ``Géorgie`` meaning the US
  state without that cue, and a capital used as a metonym for its
  government (``Washington a répondu``), which the annotation rules count as
  the country anyway.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from index.analysis import fold

NAME, ADJECTIVE, CAPITAL = "name", "adjective", "capital"

# Words a compound adjective may start with: ``sino-britannique``.
COMBINING_PREFIXES = {
    "sino": "CN", "franco": "FR", "germano": "DE", "russo": "RU", "americano": "US",
    "israelo": "IL", "italo": "IT", "turco": "TR", "greco": "GR", "nippo": "JP",
    "irano": "IR", "irako": "IQ", "syro": "SY", "libano": "LB", "egypto": "EG",
    "polono": "PL", "belgo": "BE", "helveto": "CH", "austro": "AT", "hungaro": "HU",
    "serbo": "RS", "croato": "HR", "hispano": "ES", "luso": "PT", "britanno": "GB",
    "indo": "IN", "sovieto": "RU", "ukraino": "UA", "palestino": "PS", "saoudo": "SA",
}  # fmt: skip

# Capitals and names left out of the table's matches (see module docstring).
SKIPPED_SURFACES = {
    "bruxelles", "la haye", "hollande", "maurice", "salomon", "marshall", "victoria",
    "kingston", "georgetown", "saint-georges", "kingstown", "male", "roseau",
}  # fmt: skip
# Names that count only right after ``la``: ``la Dominique``, ``la Grenade``.
NEEDS_ARTICLE = {"dominique", "grenade"}

# Whole words that contain a country's name but mean something else.
BLOCKERS = {
    "ile-de-france", "hauts-de-france", "ouest-france", "paris-dakar", "panama papers",
    "ocean indien", "indiens d'amerique", "amerique latine", "irlande du nord",
    *(f"{prefix}-americain{ending}" for prefix in ("sud", "latino", "nord")
      for ending in ("", "e", "s", "es")),
}  # fmt: skip

# A name or capital right after one of these is part of another name.
BLOCKING_BEFORE = {
    "accord", "accords", "traite", "traites", "protocole", "convention", "processus", "pacte",
    "club", "rue", "avenue", "boulevard", "place", "quai", "gare", "porte", "aeroport",
    "stade", "universite", "lycee", "college", "ecole", "pont", "golfe", "mer", "fleuve",
    "lac", "bassin", "ordre", "palais", "jardin", "air", "radio", "tour", "coupe", "banque",
    "real", "atletico", "spartak", "dynamo", "cska", "as", "fc", "institut", "format",
}  # fmt: skip
# ... and a name or capital right before one of these.
BLOCKING_AFTER = {
    "post", "times", "match", "saint-germain", "sg", "televisions", "inter", "info",
    "culture", "bleu", "papers", "airways", "ii", "fm",
}  # fmt: skip
# Lowercase adjectives after these are languages: ``en français``, ``le russe``.
LANGUAGE_CUES = {
    "en", "le", "du", "au", "parle", "parlent", "parler", "parlant", "parlait", "langue",
    "traduit", "traduite", "apprendre", "enseigner", "couramment",
}  # fmt: skip
PARTICLES = {"la", "le", "les", "l", "de", "du", "des", "d", "et"}

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
MAX_WORDS = 6


@dataclass(frozen=True)
class Country:
    code: str
    name: str


@dataclass
class CountryMatch:
    """A country an article refers to, with the surface strings that say so."""

    code: str
    name: str
    evidence: list[str] = field(default_factory=list)


def inflections(adjective: str) -> set[str]:
    """Every gender and number of a nationality adjective: ``turc/turque`` → 4 forms."""
    masculine, _, feminine = adjective.partition("/")
    if not feminine:
        if masculine.endswith("e"):
            feminine = masculine
        elif masculine.endswith(("ien", "éen", "en")):
            feminine = masculine + "ne"
        else:
            feminine = masculine + "e"
    plural_m = masculine if masculine.endswith(("s", "x")) else masculine + "s"
    return {masculine, feminine, plural_m, feminine + "s"}


@dataclass(frozen=True)
class Entry:
    code: str | None  # None: a blocker, matched to be ignored
    kind: str
    needs_capital: bool


def _key(surface: str) -> tuple[str, ...]:
    return tuple(fold(w) for w in _WORD.findall(surface.replace("'", " ").replace("’", " ")))


def _rows() -> Iterable[list[str]]:
    """The data file's rows: code, name, other names, adjectives, capitals."""
    text = resources.files("index").joinpath("data/countries.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            yield (line.split("\t") + [""] * 5)[:5]


@cache
def names() -> dict[str, str]:
    """ISO code → the country's French name: what showing a facet needs, without
    folding every surface form as :func:`table` does (a tenth of a one-liner's query)."""
    return {code: name for code, name, *_ in _rows()}


@cache
def table() -> tuple[dict[str, Country], dict[tuple[str, ...], Entry]]:
    """The countries by code, and every surface form (as folded words) → entry."""
    countries: dict[str, Country] = {}
    gazetteer: dict[tuple[str, ...], Entry] = {}
    for code, name, others, adjectives, capitals in _rows():
        countries[code] = Country(code, name)
        forms: list[tuple[str, str]] = [(name, NAME)]
        forms += [(o, NAME) for o in others.split("|") if o]
        forms += [(c, CAPITAL) for c in capitals.split("|") if c]
        forms += [(f, ADJECTIVE) for a in adjectives.split("|") if a for f in inflections(a)]
        for surface, kind in forms:
            key = _key(surface)
            if " ".join(key) in SKIPPED_SURFACES or not key:
                continue
            # The first name wins a clash (a capital named like its country).
            gazetteer.setdefault(key, Entry(code, kind, kind != ADJECTIVE))
    for blocker in BLOCKERS:
        gazetteer[_key(blocker)] = Entry(None, NAME, False)
    return countries, gazetteer


@cache
def _longest_from() -> dict[str, int]:
    """For each word that starts a table entry, the entry's most words.

    Most words of an article start no entry: looking this up first spares
    building up to six candidate keys at every word (extraction 2x faster).
    """
    longest: dict[str, int] = {}
    for key in table()[1]:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return longest


class _Words:
    """The words of a text, all folded at once; offsets and case only where a match asks.

    Most words of an article start no table entry, and building a record
    per word was a quarter of extraction: the regex's matches and their
    folded forms are listed in C-level passes instead.
    """

    def __init__(self, text: str) -> None:
        self._matches = list(_WORD.finditer(text))
        self.folded = list(map(fold, map(_MATCHED, self._matches)))

    def __len__(self) -> int:
        return len(self.folded)

    def start(self, i: int) -> int:
        return self._matches[i].start()

    def end(self, i: int) -> int:
        return self._matches[i].end()

    def capitalised(self, i: int) -> bool:
        return self._matches[i].group(0)[:1].isupper()


_MATCHED = re.Match.group


def find_countries(text: str, excluded: Iterable[tuple[int, int]] = ()) -> list[CountryMatch]:
    """Countries referred to in *text*, in order of first mention.

    *excluded* are character spans (person names) whose words never count.
    """
    countries, gazetteer = table()
    starts, ends = _disjoint(excluded)
    words = _Words(text.replace("’", "'"))
    found: dict[str, CountryMatch] = {}

    def inside_excluded(start: int, end: int) -> bool:
        # A binary search, not a scan of every name: a text full of names
        # would otherwise cost its length squared.
        n = bisect.bisect_right(starts, start) - 1
        return n >= 0 and end <= ends[n]

    def add(code: str, surface: str) -> None:
        match = found.setdefault(code, CountryMatch(code, countries[code].name))
        if surface not in match.evidence:
            match.evidence.append(surface)

    # Only words that start a table entry, or compounds (``franco-allemand``),
    # can start a mention; the others are stepped over.
    longest = _longest_from()
    folded = words.folded
    starters = {w for w in set(folded) if w in longest or "-" in w}
    free = 0  # the first word not inside a mention already found
    for i in [i for i, w in enumerate(folded) if w in starters] if starters else []:
        if i < free:
            continue
        matched = 0
        for n in range(min(longest.get(folded[i], 0), MAX_WORDS, len(folded) - i), 0, -1):
            entry = gazetteer.get(tuple(folded[i : i + n]))
            if entry is None:
                continue
            matched = n
            start, end = words.start(i), words.end(i + n - 1)
            if entry.code and _counts(entry, words, i, n) and not inside_excluded(start, end):
                add(entry.code, text[start:end])
            break
        if not matched:
            _compound(words, i, text, gazetteer, add)
            matched = 1
        free = i + matched
    return list(found.values())


def _disjoint(spans: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Overlapping spans merged: sorted starts and their ends, for bisection."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(spans):
        if ends and start < ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _compound(
    words: _Words,
    i: int,
    text: str,
    gazetteer: dict[tuple[str, ...], Entry],
    add: Callable[[str, str], None],
) -> None:
    """``sino-britannique``, ``franco-allemand``: each part may name a country."""
    folded = words.folded[i]
    if "-" not in folded:
        return
    parts = folded.split("-")
    surface = text[words.start(i) : words.end(i)]
    for n, part in enumerate(parts):
        if n < len(parts) - 1 and part in COMBINING_PREFIXES:
            add(COMBINING_PREFIXES[part], surface)
            continue
        entry = gazetteer.get((part,))
        if entry and entry.code and entry.kind == ADJECTIVE:
            add(entry.code, surface)


def _previous(words: _Words, i: int, skip_particles: bool) -> str:
    folded = words.folded
    j = i - 1
    while skip_particles and j >= 0 and folded[j] in PARTICLES:
        j -= 1
    return folded[j] if j >= 0 else ""


def _counts(entry: Entry, words: _Words, i: int, n: int) -> bool:
    """Whether a table match at words[i:i+n] really refers to the country."""
    folded = words.folded
    first = folded[i]
    head = next((j for j in range(i, i + n) if folded[j] not in PARTICLES), i)
    if entry.needs_capital and not words.capitalised(head):
        return False
    before = _previous(words, i, skip_particles=False)
    if entry.kind == ADJECTIVE:
        return words.capitalised(i) or before not in LANGUAGE_CUES
    if first in NEEDS_ARTICLE and before != "la":
        return False
    if _previous(words, i, skip_particles=True) in BLOCKING_BEFORE:
        return False
    if first == "georgie" and i >= 1 and before == "de":
        return _previous(words, i - 1, skip_particles=False) != "etat"
    after = folded[i + n] if i + n < len(folded) else ""
    return after not in BLOCKING_AFTER
