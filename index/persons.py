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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from index.analysis import FRENCH_STOP_WORDS, fold
from index.countries import ADJECTIVE, table
from search.i18n import _

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

# Words that introduce whoever speaks: ``selon Avi Berkowitz``, ``explique Kyaw Min``,
# ``soupire Dedan Ngatia``, ``se souvient Jassah Ganyan`` (an elided ``s'`` is dropped).
SPEECH_CUES = frozenset(
    """
selon declare dit explique raconte affirme souligne ajoute indique estime precise poursuit
confie assure temoigne note observe commente rapporte martele insiste reconnait regrette
deplore denonce lance resume tweete ecrit annonce avertit previent repond interroge
soupire souvient sourit exclame lache glisse murmure conclut admet avoue rappelle detaille
nuance tranche insurge proteste raille ironise plaide espere juge ajoutait expliquait
racontait confiait affirmait abonde rencherit
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
park river island airport party council committee magazine review afrique asie amerique
authority rights watch games shipping holdings motors records studios productions
entertainment pictures partners network systems technologies labs
oceanie antarctique arctique sud-est sud-ouest nord-est nord-ouest
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
ile tuerie fusillade massacre
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


# A surname alone after these is the person who leads or embodies it:
# ``le régime Assad``, ``le gouvernement Rajoy``, ``l'administration Trump``.
GOVERNED = frozenset("regime gouvernement administration clan ere presidence".split())
# … and after these with ``de``: ``la dictature de Franco``.
GOVERNED_OF = frozenset("dictature".split())

# Nouns for people, beside the titles: family (``un autre frère, Patrick Paddock II``),
# and what a witness is called (``témoigne Yvan, un grand gaillard``).
ROLE_NOUNS = frozenset(
    """
frere soeur pere mere fils fille epouse mari femme cousin cousine homme garcon gaillard
retraite retraitee habitant habitante etudiant etudiante enseignant enseignante manifestant
manifestante soignant soignante commercant commercante habitue habituee salarie salariee
""".split()
)

# Kinship before a first name alone names a person: ``leur fille Chelsea``, ``son frère Boris``.
KIN = frozenset(
    """
frere soeur pere mere fils fille epouse mari femme cousin cousine oncle tante neveu niece
petit-fils petite-fille grand-pere grand-mere demi-frere demi-soeur beau-frere belle-soeur
""".split()
)

# Words that start the name of a work or a motto, not a person: ``The Red Sea Project``,
# ``Una ventana a la libertad``, ``Viva España``.
WORK_STARTS = frozenset("the una viva".split())

# An apposition after a name says who the person is: ``Dedan Ngatia, biologiste``,
# ``Jassah Ganyan, une vieille dame``, ``Meïté Sindou, ancien porte-parole``.
# The words right after the comma, past determiners and a few adjectives, must say what
# the person does or is (``une habitante``, ``chercheur``): ``Flying Spur, une voiture``
# is no person.
_APPOSITION = re.compile(
    r",\s+((?:une?|l['’]une?|ancien(?:ne)?|ex-|jeune|autre|vieux|vieille|grand|grande)\s+)*"
    r"([^\W\d_]+(?:-[^\W\d_]+)?)"
)
_ARTICLE_WORDS = frozenset("le la les du au aux des".split())
_ROLE_SUFFIX = re.compile(r"(?:iste|ienne?|eur|euse|trice|logue|aire|iere?)$")


def _is_role(word: str) -> bool:
    """``porte-parole``, ``biologiste``, ``étudiante``, ``frère``: what a person is."""
    folded = fold(word)
    return folded in TITLES or folded in ROLE_NOUNS or _ROLE_SUFFIX.search(folded) is not None


# An opinion piece ends on who wrote it: ``Cécile Fromont est professeure …``. That
# credit, in the article's last lines, names its author, not someone it is about.
_CREDIT = re.compile(r"\s+(?:est|sont|était)\s+(?:(?:une?|ancien(?:ne)?)\s+)?([^\W\d_]+)")
CREDIT_TAIL = 800  # characters at the end of an article where a credit stands


def person_key(name: str) -> str:
    """What a person facet value is matched on: case, accents and spacing folded."""
    return " ".join(fold(name).split())


def surname_aliases(keys: Iterable[str]) -> dict[str, str]:
    """Across a corpus: each lone surname's key -> the key of the one full name
    ending with it (``philippe`` -> ``edouard philippe``). An article that says
    only "Philippe" is counted with Édouard Philippe when the corpus knows no
    other Philippe; with two (``emmanuel macron``, ``brigitte macron``) the
    surname stays itself. The local index and the cluster both merge by it."""
    keys = set(keys)
    full_names: dict[str, list[str]] = {}
    for key in keys:
        if " " in key:
            full_names.setdefault(key.rsplit(" ", 1)[1], []).append(key)
    return {
        key: full_names[key][0]
        for key in keys
        if " " not in key and len(full_names.get(key, ())) == 1
    }


def best_spellings(counts: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """Each person key's name as shown: from (key, spelling, articles) counts,
    the most frequent spelling, ties to the first in code-point order (what a
    cluster's ``terms`` ordering gives too: never the order articles came in)."""
    best: dict[str, tuple[int, str]] = {}
    for key, name, count in counts:
        held = best.get(key)
        if held is None or count > held[0] or (count == held[0] and name < held[1]):
            best[key] = (count, name)
    return {key: name for key, (_count, name) in best.items()}


@dataclass
class PersonMatch:
    """A person an article names: canonical name and the mentions merged into it."""

    name: str
    mentions: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    # Why it was taken for a person (``first name «Pekka» (dictionary)``, ``title «M.»``,
    # ``well-known surname (list)``): what a user reporting an error needs to see.
    reason: str = ""


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


def _word_list(name: str) -> frozenset[str]:
    text = resources.files("index").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return frozenset(text.split("\n")) - {""}


@cache
def french_words() -> frozenset[str]:
    """Folded words French news writes in lowercase (``bench/make_lexicons.py``)."""
    return _word_list("french_words.txt")


@cache
def known_surnames() -> frozenset[str]:
    """Folded surnames of people French news names often (``bench/make_lexicons.py``)."""
    return _word_list("surnames.txt")


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
# (raw, cut at start, cut at end, folded, capitalised, where a glued word splits: see _glue)
_Shape = tuple[str, int, int, str, bool, int]
_shapes: dict[str, _Shape] = {}
_SHAPES_LIMIT = 500_000

# A lowercase elided preposition or conjunction before a capital: ``d'Angela Merkel``,
# ``qu'Emmanuel Macron``. The name starts after the apostrophe (``N'Diaye``,
# ``D'Alembert`` keep theirs). After the article ``l'`` a capital starts a thing's
# name (``l'Argus``, ``l'Apollo``), so that token stays lowercase.
_ELISION_BEFORE_CAPITAL = re.compile(r"^(?:d|qu|jusqu|lorsqu|puisqu)['’](?=[A-ZÀ-Ý])")
# An initial inside a name: ``Rajiv J. Shah``, ``Charles D. B. King``.
_INITIAL = re.compile(r"^[A-ZÀ-Ý]\.$")
# What may end a name after the surname: ``Patrick Paddock II``, ``Martin Luther King Jr``.
SUFFIXES = frozenset({"ii", "iii", "iv", "jr", "sr"})


def _shape(raw: str) -> _Shape:
    shape = _shapes.get(raw)
    if shape is None:
        word, head, cut = raw, 0, 0
        elided = _ELISION_BEFORE_CAPITAL.match(raw)
        if elided:
            word, head = raw[elided.end() :], elided.end()
        if word.endswith(".") and not _INITIAL.match(word) and fold(word[:-1]) not in TITLES:
            word, cut = word[:-1], 1  # a sentence's final dot, not an abbreviation
        folded = _ELIDED.sub("", fold(word.rstrip(".")))
        shape = (word, head, cut, folded, _is_capitalised(word), _glue(word))
        if len(_shapes) < _SHAPES_LIMIT:
            _shapes[raw] = shape
    return shape


# Two words glued by a lost space or line break: ``MeClaver N'dri``, ``Jérôme
# SalomonMardi`` (not ``McCain``, ``YouTube``, ``MeToo``, ``SangYup Lee``).
_GLUED = re.compile(r"(?<=[^\W\d_A-ZÀ-Ý])(?=[A-ZÀ-Ý][^\W\d_A-ZÀ-Ý])")


def _glue(word: str) -> int:
    """Where *word* is two glued words: 0 if it is one; the offset of the second
    if a title was glued to a first name (they join as if spaced); minus that
    offset if the next sentence's first word was glued on (they stay apart)."""
    if not word[:1].isupper():
        return 0
    glued = _GLUED.search(word, 1)
    if glued is None:
        return 0
    head, tail = fold(word[: glued.start()]), fold(word[glued.start() :])
    if head in HONORIFICS and tail in first_names():
        return glued.start()
    if len(head) >= 3 and (tail in french_words() or tail in NOT_NAMES):
        return -glued.start()
    return 0


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        raw, head, cut, folded, capitalised, glue = _shape(match.group(0))
        start, end = match.span()
        start += head
        end -= cut
        if glue:
            split = start + abs(glue)
            head_raw, _h, _c, head_folded, head_capitalised, _g = _shape(raw[: abs(glue)])
            gap_before = text[previous_end:start]
            tokens.append(
                _Token(head_raw, head_folded, start, split, head_capitalised, gap_before)
            )
            raw, _h, _c, folded, capitalised, _g = _shape(raw[abs(glue) :])
            gap = " " if glue > 0 else ""  # a title joins its name; a sentence does not
            tokens.append(_Token(raw, folded, split, end, capitalised, gap))
        else:
            tokens.append(_Token(raw, folded, start, end, capitalised, text[previous_end:start]))
        previous_end = end
    return tokens


_NAME_PREFIX = re.compile(r"^(?:al|el|ad|ash|as|at|az|bin|ben|ibn|abu|abou)-(?=[A-ZÀ-Ý])")


# Arabic article before a surname, folded: ``al-assad`` is also called ``assad``.
ARTICLE_PREFIX = re.compile(r"^(?:al|el|ad|ash|as|at|az)-(?=\w)")


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
            word = nxt.capitalised and len(nxt.raw) > 1 and nxt.folded not in TITLES
            initial = (  # ``Rajiv J. Shah``: an initial between two parts of a name
                _INITIAL.match(nxt.raw)
                and j + 1 < len(tokens)
                and (tokens[j + 1].capitalised or _INITIAL.match(tokens[j + 1].raw))
                and _joins(tokens[j + 1].gap_before)
            )
            if word or initial:
                j += 1
            elif nxt.folded in SUFFIXES and nxt.raw[:1].isupper():
                j += 1
                break
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


def _title_nearby(tokens: list[_Token], index: int) -> str | None:
    """A title a few words before, with only lowercase adjectives in between.

    ``le président turc Tayyip Erdogan``: ``président``. ``président de la République``: None.
    """
    for back in range(1, 4):
        k = index - back
        if k < 0 or not _joins(tokens[k + 1].gap_before):
            return None
        token = tokens[k]
        if token.folded in TITLES:
            return token.raw
        if token.capitalised or token.folded in PARTICLES or token.folded in FRENCH_STOP_WORDS:
            return None
    return None


# What may stand between a verb of speech and the speaker: ``a raconté à l'AFP Kyaw Min``,
# ``a déploré auprès de l'AFP Hann Hindstrom``.
_TO_WHOM = frozenset("a au aux aupres de d l la le".split())


def _speech_cue(tokens: list[_Token], index: int) -> str | None:
    """The verb of speech that introduces the name at *index*, if any."""
    for back in range(1, 6):
        k = index - back
        if k < 0 or "\n" in tokens[k + 1].gap_before:
            return None
        token = tokens[k]
        if token.folded in SPEECH_CUES:
            return token.raw
        medium = re.split("['’]", token.raw)[-1]
        if token.folded not in _TO_WHOM and not (medium.isupper() and medium.isalpha()):
            return None
    return None


def _office_of(tokens: list[_Token], end: int) -> str | None:
    """The office a comma's name holds when the words before the comma are
    ``role de Something``: ``le secrétaire général du Fatah, Jibril Rajoub``,
    ``le gouverneur de Natanz, Ramézan-Ali Ferdowsi``. Returns the role's words."""
    k = end
    while k >= 0 and end - k < 3 and tokens[k].capitalised:
        k -= 1  # the body or the place the office is of
    if k == end or k < 0 or not all(_joins(tokens[n].gap_before) for n in range(k + 1, end + 1)):
        return None
    elided = tokens[k + 1].gap_before.strip() in ("d'", "d’")
    if not elided:
        if tokens[k].folded not in ("de", "du", "des"):
            return None
        k -= 1
    for back in range(3):  # ``secrétaire général``, ``ministre israélien``
        n = k - back
        if n < 0 or tokens[n].capitalised or not _joins(tokens[n + 1].gap_before):
            return None
        role = tokens[n].folded.removesuffix("s")
        if role in TITLES or role in ROLE_NOUNS:
            return " ".join(t.raw for t in tokens[n : k + 1])
        if tokens[n].folded in FRENCH_STOP_WORDS:
            return None
    return None


def _after_place(tokens: list[_Token], index: int) -> bool:
    """``rue Victor Hugo``, ``l'école de Sandy Hook``, ``l'île de Fernando Poo``."""
    if index < 1 or not _joins(tokens[index].gap_before):
        return False  # ``le gouverneur de l'île, Ricardo Rosello``
    if tokens[index - 1].folded in PLACES:
        return True
    return (
        index > 1
        and tokens[index - 1].folded in ("de", "d")
        and _joins(tokens[index - 1].gap_before)
        and tokens[index - 2].folded in PLACES
    )


@cache
def demonyms() -> frozenset[str]:
    """Folded nationality nouns: ``le Britannique Cuthert Christy`` names a person."""
    _countries, gazetteer = table()
    return frozenset(k[0] for k, e in gazetteer.items() if len(k) == 1 and e.kind == ADJECTIVE)


def _is_first_name(token: _Token, names: frozenset[str]) -> bool:
    """``Pekka``; hyphenated ``Pierre-Olivier`` when each part is one (not ``Afro-Américain``)."""
    return token.folded in names or all(part in names for part in token.folded.split("-"))


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
            if tokens[-1].capitalised:
                return []  # ``Jones Act``, ``Washington Post``: a name inside another name
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


def _reason(
    words: list[_Token],
    run: _Run,
    tokens: list[_Token],
    position: int,
    text: str,
    not_names: frozenset[str],
    surnames: frozenset[str],
) -> str | None:
    """Why *words* name a person on their own, or None if they can only be a later mention.

    Each cue is one a reader would point to: a first name, a title, a verb of
    speech, an age or an apposition, the régime or government a surname leads,
    or a surname French news knows well.
    """
    names = first_names()
    common = french_words()
    before = tokens[position - 1] if position > 0 else None
    joined = before is not None and _joins(tokens[position].gap_before)
    if words[0].folded in WORK_STARTS:
        return None
    if run.title is None and joined and before is not None and before.folded in _ARTICLE_WORDS:
        return None  # ``la Sierra Leone``, ``du Nil Bleu``, ``au Taco Bell``: not a person
    key = " ".join(w.folded for w in words)
    if words[0].folded in not_names or key in not_names:
        return None  # ``Paris Saint-Germain``, ``Abu Dhabi``
    if len(words) >= 2 and _is_first_name(words[0], names):
        # (``Anatole France`` too)
        return _("first name «{name}» (dictionary)").format(name=words[0].raw)
    if any(w.folded in not_names for w in words):
        return None
    if (
        len(words) >= 3
        and any(_INITIAL.match(w.raw) for w in words[1:-1])
        and not any(w.folded in common for w in words if not _INITIAL.match(w.raw))
    ):
        return _("initial inside the name")  # ``Isobe W. Gborkorkollie`` (not ``Super U. Proche``)
    if len(words) > 3:
        return None
    if run.title is not None:
        return _("title «{title}»").format(title=run.title.raw)
    title = _title_nearby(tokens, position)
    if title is not None:
        return _("title «{title}»").format(title=title)
    kin = before.raw if joined and before is not None and before.folded in KIN else None
    if kin is not None and len(words) == 1 and _is_first_name(words[0], names):
        return _("kinship «{word}» before a first name").format(word=kin)
    acronym = before is not None and before.raw.isupper() and before.raw.isalpha()
    if len(words) == 1 and joined and acronym:
        return None  # ``RIA Novosti``, ``BFM Business``: the rest of an acronym's name
    # Cues that stand for a title: the words must not be French words (``Selon Le Monde``).
    if any(w.folded in common and not _is_first_name(w, names) for w in words):
        return None
    after = text[words[-1].end : words[-1].end + 40].replace("\u00a0", " ")
    speaker = _speech_cue(tokens, position)
    speaks = speaker is not None
    if _AGE.match(after) and (len(words) >= 2 or speaks or _is_first_name(words[0], names)):
        return _("age after the name")  # ``Samia, 40 ans``, ``abonde Noman, 30 ans``
    apposition = _APPOSITION.match(after)
    if speaks and apposition is not None and _is_role(apposition.group(2)):
        # ``témoigne Yvan, un grand gaillard``
        return _("verb of speech «{verb}» and apposition «{apposition}»").format(
            verb=speaker, apposition=apposition.group(2)
        )
    if len(words) >= 2:
        if speaks:
            return _("verb of speech «{verb}»").format(verb=speaker)
        if apposition is not None and _is_role(apposition.group(2)):
            return _("apposition «{apposition}»").format(apposition=apposition.group(2))
        if before is not None and tokens[position].gap_before.strip() == ",":
            role = before.folded.removesuffix("s")
            if role in TITLES or role in ROLE_NOUNS:  # (not ``son éditeur, Epic Games``)
                return _("apposition «{apposition}»").format(apposition=before.raw)
            office = _office_of(tokens, position - 1)
            if office is not None:
                return _("apposition «{apposition}»").format(apposition=office)
    if joined and before is not None and before.folded in GOVERNED:
        return _("«{word}» before a surname").format(word=before.raw)
    if (
        joined
        and position > 1
        and before is not None
        and before.folded in ("de", "d")
        and tokens[position - 2].folded in GOVERNED_OF
    ):
        return _("«{word}» before a surname").format(word=f"{tokens[position - 2].raw} de")
    if ARTICLE_PREFIX.sub("", key) in surnames and not after.lstrip().startswith("&"):
        return _("well-known surname (list)")  # (not ``Jacob & Co``)
    return None


def find_persons(
    text: str,
    not_names: frozenset[str] = frozenset(),
    surnames: frozenset[str] | None = None,
) -> list[PersonMatch]:
    """The people named in *text*, fullest name first seen first.

    *not_names* are extra folded words that cannot start a name (country and
    capital names, so that ``Paris Saint-Germain`` is not a person).
    *surnames* are those a surname alone may name (default: :func:`known_surnames`).
    """
    if surnames is None:
        surnames = known_surnames()
    original = text
    text = _PAREN_NAME.sub(" ", text)  # same length: offsets stay valid
    names = first_names()
    tokens = _tokens(text)
    index_of = {id(t): n for n, t in enumerate(tokens)}

    full: list[tuple[list[_Token], _Run, str]] = []  # sure persons, and why
    weak: list[tuple[list[_Token], _Run]] = []  # surname or first name alone
    for run in _runs(tokens):
        words = _clean(run, names)
        # ``le Britannique Cuthert Christy`` (not ``l'Allemand CureVac``, ``Français de Wuhan``)
        demonym = (
            len(words) >= 3
            and words[0].folded in demonyms()
            and words[1].capitalised
            and not any(w.folded in french_words() for w in words[1:])
        )
        if demonym:
            words = words[1:]
        if not words:
            continue
        position = index_of[id(words[0])]
        named_after = run.title is None and _after_place(tokens, position)
        reason = None
        if demonym and not any(w.folded in not_names for w in words):
            reason = _("nationality «{word}»").format(word=tokens[position - 1].raw)
        elif not named_after:  # ``rue Victor Hugo``: only a mention of someone already named
            reason = _reason(words, run, tokens, position, original, not_names, surnames)
        if reason is not None:
            if words[-1].folded in SUFFIXES and tokens[position - 1].folded in GOVERNED:
                words = words[:-1]  # ``le gouvernement Raffarin III``
            full.append((words, run, reason))
        elif len(words) <= 2:
            weak.append((words, run))

    # Coordinated first names: ``Bill et Hillary Clinton``.
    for words, run, _reason_given in list(full):
        k = index_of[id(words[0])]
        if k >= 2 and tokens[k - 1].folded == "et" and tokens[k - 2].folded in names:
            before = tokens[k - 2]
            alone = k < 3 or not (tokens[k - 3].capitalised and _joins(before.gap_before))
            if before.capitalised and alone:
                full.append(([before, *words[1:]], run, f"first name «{before.raw}» (dictionary)"))

    persons: dict[str, PersonMatch] = {}  # canonical key -> person
    by_first: dict[str, list[str]] = {}
    # Every tail of every known name (``emmanuel macron``, ``macron``) -> the
    # persons it ends, in the order they were named: a mention finds its owners
    # in one look-up, not by a scan of every person (quadratic on a long text).
    by_tail: dict[str, dict[str, None]] = {}

    def key_of(words: list[_Token]) -> str:
        return " ".join(w.folded for w in words)

    def tails(key: str) -> Iterator[str]:
        """What later mentions may call a person: ``stephen craig paddock ii`` is also
        ``craig paddock``, ``paddock``, ``stephen paddock``; ``al-assad`` is ``assad``."""
        parts = key.split(" ")
        while len(parts) > 1 and parts[-1] in SUFFIXES:
            parts.pop()
        for n in range(len(parts)):
            yield " ".join(parts[n:])
            bare = ARTICLE_PREFIX.sub("", parts[n]) if n == len(parts) - 1 else parts[n]
            if bare != parts[n]:
                yield bare
        if len(parts) > 2:
            yield f"{parts[0]} {parts[-1]}"

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
    for words, run, reason in sorted(full, key=lambda item: -len(item[0])):
        key = key_of(words)
        targets = owners(key, single=len(words) == 1)
        if not targets:
            register(key, PersonMatch(_name(words), reason=reason))
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
    return [p for p in persons.values() if not _credit_only(p, original)]


def _credit_only(person: PersonMatch, text: str) -> bool:
    """Whether *person* is named once, in an author's credit at the end of *text*."""
    if len(person.spans) != 1:
        return False
    start, end = person.spans[0]
    if start < len(text) - CREDIT_TAIL:
        return False
    if text[max(0, start - 100) : start].rstrip()[-1:] not in (".", ""):
        return False  # a credit is a sentence of its own
    credit = _CREDIT.match(text, end)
    if credit is None:
        return False
    role = fold(credit.group(1))
    # A profession, unlike _is_role: ``X est une habitante`` or ``est le frère`` is no credit.
    return role in TITLES or role == "maitre" or _ROLE_SUFFIX.search(role) is not None


def _name(words: list[_Token]) -> str:
    """The name as written, without a final dot unless it is an initial."""
    return " ".join(w.raw if _INITIAL.match(w.raw) else w.raw.rstrip(".") for w in words)


def _mention(person: PersonMatch, text: str, words: list[_Token], run: _Run) -> None:
    start = run.title.start if run.title is not None else words[0].start
    surface = text[start : words[-1].end]
    if surface not in person.mentions:
        person.mentions.append(surface)
    person.spans.append((words[0].start, words[-1].end))
