"""Which real people an article names, each under one canonical name.

Rules and gazetteers, measured against spaCy's ``fr_core_news_sm`` on the
gold annotations (``bench/entities.py``): the rules are both more accurate on
news and two orders of magnitude faster, which indexing needs.

A run of capitalised words (``Pekka Haavisto``, ``Bill de Blasio``) is a
person when it starts with a known first name (the ~48,000 names of
``gender-guesser``'s dictionary, plus transliterations common in French
news), or when a title or honorific introduces it (``M. Duda``, ``général
Walters``, ``le président turc Erdogan``). Later mentions by surname alone
(``Poutine``, ``M. Duda``) or by first name alone join the person they
belong to. The canonical name is the fullest form the article uses, without
titles: ``président (Vladimir) Poutine`` → ``Vladimir Poutine``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from index.analysis import FRENCH_STOP_WORDS, fold

# Titles and honorifics that introduce a person's name (folded).
TITLES = frozenset(
    """
m mm mme mmes mlle dr pr me mgr sir lady dame lord president presidente ministre premier
chancelier chanceliere general generale senateur senatrice depute deputee maire juge
procureur procureure prince princesse roi reine pape cardinal ayatollah cheikh sheikh emir
sultan imam rabbin pasteur pere abbe secretaire porte-parole dirigeant dirigeante leader
chef cheffe avocat avocate professeur professeure docteur capitaine colonel lieutenant
commandant commissaire ambassadeur ambassadrice patron patronne pdg directeur directrice
fondateur fondatrice opposant opposante militant militante candidat candidate vice-president
vice-presidente gouverneur gouverneure ex-president ex-ministre archeveque eveque duc
duchesse comte comtesse baron baronne marechal amiral inspecteur journaliste ecrivain
ecrivaine acteur actrice chanteur chanteuse realisateur realisatrice rappeur rappeuse
entraineur entraineuse selectionneur joueur joueuse president-directeur empereur imperatrice
tsar pharaon saint sainte soeur frere
""".split()
)

# Titles after which ``de``/``du`` starts the name itself (``général de Gaulle``).
HONORIFICS = frozenset(
    """
m mm mme mmes mlle dr me mgr general marechal amiral colonel
""".split()
)

# Words that introduce whoever speaks: ``selon Avi Berkowitz``, ``explique Kyaw Min``.
SPEECH_CUES = frozenset(
    """
selon declare dit explique raconte affirme souligne ajoute indique estime precise poursuit
confie assure temoigne note observe commente rapporte martele insiste reconnait regrette
deplore denonce lance resume tweete ecrit annonce avertit previent repond interroge
""".split()
)

# Capitalised words that are never part of a person's name (folded).
NOT_NAMES = (
    frozenset(
        """
union conseil parti front assemblee banque fondation institut universite agence ministere
cour tribunal comite commission federation association societe groupe compagnie airlines
airways club stade festival prix trophee coupe ligue championnat journal radio television
televisions news post times press presse musee hopital centre lycee college ecole eglise
cathedrale palais chateau place rue avenue boulevard pont port gare aeroport nord sud est
ouest mont ile lac mer ocean golfe cap republique etat etats gouvernement senat parlement
congres maison blanche kremlin elysee matignon nations unies affaires etrangeres defense
interieur justice sante economie culture travail armees europe europeen europeenne internet
twitter facebook instagram youtube google covid coronavirus sars dieu allah lundi mardi
mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout
septembre octobre novembre decembre noel paques ramadan selon pour avec mais lorsque alors
apres avant depuis pendant quand comme dans sur sous chez par ainsi aujourd'hui hier demain
cette cet ces son sa ses leur leurs notre votre monsieur madame mademoiselle messieurs
mesdames afp reuters ap bfmtv lci si act county city state company corporation inc ltd group
products product bank foundation institute university school hospital center street square
park river island airport party council committee magazine review
""".split()
    )
    | FRENCH_STOP_WORDS
)

# First words of place names (``New York``, ``Santa Cruz``, ``Sainte-Sophie``): they and
# the word after them are a place, whatever follows.
PLACE_STARTERS = frozenset(
    """
hong new los las san santa santo sao saint sainte fort rio buenos tel baton el al port
""".split()
)

# Things named after people: a name right after these is not a new person.
PLACES = frozenset(
    """
rue avenue boulevard place quai pont lycee college ecole universite institut stade aeroport
hopital musee fondation centre gare station prix plan loi affaire square parc allee cours
""".split()
)

# Lowercase words allowed inside a name: ``Bill de Blasio``, ``Ursula von der Leyen``.
PARTICLES = frozenset(
    """
de du des d' van von der den ter da di del della dos das bin ben ibn al el abu y
""".split()
)

# Common in French news, missing from gender-guesser's dictionary.
EXTRA_FIRST_NAMES = frozenset(
    """
alassane amadou mamadou moussa ousmane abdoulaye ibrahima idriss mahamat seydou boubacar
macky blaise faure ismail abdelaziz abdelmadjid abdelfattah beji kais recep iouri dmitri
volodymyr sergueï guennadi viatcheslav evgueni anatoli nikolai vassili alexei alexeï piotr
mikhail mikhaïl kassym-jomart noursoultan ilham nikol emomali chavkat mohammed mohamed
mohammad mahmoud abdallah abdelkader abdelhamid youssef yassine
""".split()
)


def person_key(name: str) -> str:
    """What a person facet value is matched on: case, accents and spacing folded."""
    return " ".join(fold(name).split())


@dataclass
class PersonMatch:
    """A person an article names: canonical name and the mentions merged into it."""

    name: str
    mentions: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)


@cache
def first_names() -> frozenset[str]:
    """Folded first names: gender-guesser's dictionary plus :data:`EXTRA_FIRST_NAMES`."""
    names = set(fold(n) for n in EXTRA_FIRST_NAMES)
    data = resources.files("gender_guesser").joinpath("data/nam_dict.txt")
    with data.open(encoding="utf-8", errors="ignore") as lines:
        for line in lines:
            if line[:1] in "#=" or len(line) < 4:
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            name = parts[1]
            for variant in (name.replace("+", ""), name.replace("+", "-")):
                names.add(fold(variant))
    return frozenset(names - NOT_NAMES)


_AGE = re.compile(r",\s*\d{1,3}\s*ans\b")
_ELIDED = re.compile(r"^(?:l|d|qu|j|m|n|s|t|c|jusqu|lorsqu|puisqu)'(?=.)")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
# ``(Vladimir) Poutine``: parentheses around a first name are dropped.
_PAREN_NAME = re.compile(r"\((?=[A-ZÀ-Ý][^\W\d_]+\)\s+[A-ZÀ-Ý])|(?<=[^\W\d_])\)(?=\s+[A-ZÀ-Ý])")


@dataclass(slots=True)
class _Token:
    raw: str
    folded: str
    start: int
    end: int
    capitalised: bool
    gap_before: str  # the text between the previous token and this one


# What a raw token says about itself, worked out once per distinct spelling:
# extraction sees every word of every article, and news repeats its words.
_Shape = tuple[str, int, str, bool]  # (raw, characters cut at the end, folded, capitalised)
_shapes: dict[str, _Shape] = {}
_SHAPES_LIMIT = 500_000


def _shape(raw: str) -> _Shape:
    shape = _shapes.get(raw)
    if shape is None:
        word, cut = raw, 0
        if raw.endswith(".") and fold(raw[:-1]) not in TITLES:
            word, cut = raw[:-1], 1  # a sentence's final dot, not an abbreviation
        shape = (word, cut, _ELIDED.sub("", fold(word.rstrip("."))), _is_capitalised(word))
        if len(_shapes) < _SHAPES_LIMIT:
            _shapes[raw] = shape
    return shape


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        raw, cut, folded, capitalised = _shape(match.group(0))
        start, end = match.span()
        end -= cut
        tokens.append(_Token(raw, folded, start, end, capitalised, text[previous_end:start]))
        previous_end = end
    return tokens


_NAME_PREFIX = re.compile(r"^(?:al|el|ad|ash|as|at|az|bin|ben|ibn|abu|abou)-(?=[A-ZÀ-Ý])")


# An elided article or pronoun before a lowercase word: ``L'appel``, ``D'après``
# start a sentence or a heading, not a name (``N'Diaye``, ``O'Brien`` are names).
_ELIDED_WORD = re.compile(
    r"^(?:[LlDdJjMmSsTtCc]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]uisqu)['’][^\W\d_A-ZÀ-Ý]"
)


def _is_capitalised(raw: str) -> bool:
    """``Biden``, ``O'Brien``, ``al-Khatib``: yes. ``OTAN``, ``la``, ``L'appel``: no."""
    if _NAME_PREFIX.match(raw):
        return True
    if _ELIDED_WORD.match(raw):
        return False
    return raw[:1].isupper() and (not raw.isupper() or len(raw) == 1)


def _joins(gap: str) -> bool:
    """Whether two tokens separated by *gap* can be in one name (a plain space)."""
    return gap != "" and gap.isspace() and "\n" not in gap


@dataclass
class _Run:
    tokens: list[_Token]
    title: _Token | None  # the title right before, if any

    @property
    def words(self) -> list[str]:
        return [t.raw for t in self.tokens]

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


def _runs(tokens: list[_Token]) -> list[_Run]:
    """Maximal runs of capitalised words (with name particles inside)."""
    runs: list[_Run] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.capitalised or token.folded in TITLES or len(token.raw) < 2:
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and _joins(tokens[j].gap_before):
            nxt = tokens[j]
            if nxt.capitalised and len(nxt.raw) > 1 and nxt.folded not in TITLES:
                j += 1
            elif (
                nxt.folded in PARTICLES
                and j + 1 < len(tokens)
                and tokens[j + 1].capitalised
                and _joins(tokens[j + 1].gap_before)
            ):
                j += 2
            else:
                break
        run_tokens = tokens[i:j]
        # A particle just before belongs to the name after an honorific
        # (``M. de Blasio``), not after a function (``maire de Los Angeles``).
        k = i - 1
        while k >= 0 and tokens[k].folded in PARTICLES and _joins(tokens[k + 1].gap_before):
            k -= 1
        title = None
        if k >= 0 and _joins(tokens[k + 1].gap_before):
            # ``secrétaire général du Fatah``: général qualifies a function there.
            adjective = k > 0 and tokens[k - 1].folded in TITLES
            honorific = tokens[k].folded in HONORIFICS and not adjective
            if honorific or (k == i - 1 and tokens[k].folded in TITLES):
                title = tokens[k]
                run_tokens = tokens[k + 1 : j]
        runs.append(_Run(run_tokens, title))
        i = j
    return runs


def _title_nearby(tokens: list[_Token], index: int) -> bool:
    """A title a few words before, with only lowercase adjectives in between.

    ``le président turc Tayyip Erdogan``: yes. ``président de la République``: no.
    """
    for back in range(1, 4):
        k = index - back
        if k < 0 or not _joins(tokens[k + 1].gap_before):
            return False
        token = tokens[k]
        if token.folded in TITLES:
            return True
        if token.capitalised or token.folded in PARTICLES or token.folded in FRENCH_STOP_WORDS:
            return False
    return False


def _is_first_name(token: _Token, names: frozenset[str]) -> bool:
    """``Pekka``, and hyphenated ``Pierre-Olivier`` when its first part is one."""
    return token.folded in names or token.folded.split("-")[0] in names


def _clean(run: _Run, names: frozenset[str]) -> list[_Token]:
    """Drop words that are not part of the name from a run's edges.

    ``Selon Emmanuel Macron``, ``Finances João Leão``: capitalised words before
    the first first-name go, when none of them is a name itself.
    """
    tokens = list(run.tokens)

    def droppable(token: _Token) -> bool:
        return token.folded in NOT_NAMES or (not token.capitalised and token.folded in PARTICLES)

    changed = True
    while changed and tokens:
        before = len(tokens)
        while tokens and droppable(tokens[0]):
            tokens.pop(0)
        while tokens and droppable(tokens[-1]):
            tokens.pop()
        if tokens and tokens[0].capitalised and tokens[0].folded.split("-")[0] in PLACE_STARTERS:
            tokens = tokens[1:] if "-" in tokens[0].folded else tokens[2:]
        first = next((n for n, t in enumerate(tokens) if _is_first_name(t, names)), 0)
        if first and len(tokens) - first >= 2:
            tokens = tokens[first:]
        changed = len(tokens) != before
    if any(t.folded in NOT_NAMES and t.capitalised for t in tokens):
        return []
    return tokens


def find_persons(text: str, not_names: frozenset[str] = frozenset()) -> list[PersonMatch]:
    """The people named in *text*, fullest name first seen first.

    *not_names* are extra folded words that cannot start a name (country and
    capital names, so that ``Paris Saint-Germain`` is not a person).
    """
    original = text
    text = _PAREN_NAME.sub(" ", text)  # same length: offsets stay valid
    names = first_names()
    tokens = _tokens(text)
    index_of = {id(t): n for n, t in enumerate(tokens)}

    full: list[tuple[list[_Token], _Run]] = []  # sure persons
    weak: list[tuple[list[_Token], _Run]] = []  # surname or first name alone
    for run in _runs(tokens):
        words = _clean(run, names)
        if not words:
            continue
        has_first_name = _is_first_name(words[0], names) and words[0].folded not in not_names
        position = index_of[id(words[0])]
        after = original[words[-1].end : words[-1].end + 12]
        titled = (
            run.title is not None
            or _title_nearby(tokens, position)
            or (position > 0 and tokens[position - 1].folded in SPEECH_CUES and len(words) >= 2)
            or (has_first_name and _AGE.match(after) is not None)
        )
        named_after = run.title is None and position > 0 and tokens[position - 1].folded in PLACES
        if named_after:  # ``rue Victor Hugo``: only a mention of someone already named
            weak.append((words, run))
        elif (len(words) >= 2 and has_first_name) or (
            titled and len(words) <= 3 and not any(w.folded in not_names for w in words)
        ):
            full.append((words, run))
        elif len(words) <= 2:
            weak.append((words, run))

    # Coordinated first names: ``Bill et Hillary Clinton``.
    for words, run in list(full):
        k = index_of[id(words[0])]
        if k >= 2 and tokens[k - 1].folded == "et" and tokens[k - 2].folded in names:
            before = tokens[k - 2]
            alone = k < 3 or not (tokens[k - 3].capitalised and _joins(before.gap_before))
            if before.capitalised and alone:
                full.append(([before, *words[1:]], run))

    persons: dict[str, PersonMatch] = {}  # canonical key -> person
    by_first: dict[str, list[str]] = {}
    # Every tail of every known name (``emmanuel macron``, ``macron``) -> the
    # persons it ends, in the order they were named: a mention finds its owners
    # in one look-up, not by a scan of every person (quadratic on a long text).
    by_tail: dict[str, dict[str, None]] = {}

    def key_of(words: list[_Token]) -> str:
        return " ".join(w.folded for w in words)

    def tails(key: str) -> Iterator[str]:
        parts = key.split(" ")
        return (" ".join(parts[n:]) for n in range(len(parts)))

    def register(key: str, person: PersonMatch) -> None:
        persons[key] = person
        for tail in tails(key):
            by_tail.setdefault(tail, {})[key] = None

    def owners(key: str, single: bool) -> list[str]:
        """Known persons a mention belongs to: same name, its tail, or (alone) its head."""
        found = list(by_tail.get(key, ()))
        if not found and single:
            found = by_first.get(key, [])
        return found

    # Fullest forms first, so that shorter forms merge into them.
    for words, run in sorted(full, key=lambda item: -len(item[0])):
        key = key_of(words)
        targets = owners(key, single=len(words) == 1)
        if not targets:
            register(key, PersonMatch(" ".join(w.raw.rstrip(".") for w in words)))
            if len(words) > 1:
                by_first.setdefault(words[0].folded, []).append(key)
            targets = [key]
        _mention(persons[targets[0]], original, words, run)

    for words, run in weak:
        key = key_of(words)
        found = owners(key, single=len(words) == 1)
        if not found and len(words) in (2, 3) and words[-1].folded in persons:
            # ``Barkha Dutt`` … ``Mme Dutt``: the titled surname gets its full name.
            surname = words[-1].folded
            person = persons.pop(surname)
            by_tail[surname].pop(surname)
            person.name = " ".join(w.raw for w in words)
            register(key, person)
            found = [key]
        for owner in found:
            _mention(persons[owner], original, words, run)
    return list(persons.values())


def _mention(person: PersonMatch, text: str, words: list[_Token], run: _Run) -> None:
    start = run.title.start if run.title is not None else words[0].start
    surface = text[start : words[-1].end]
    if surface not in person.mentions:
        person.mentions.append(surface)
    person.spans.append((words[0].start, words[-1].end))
