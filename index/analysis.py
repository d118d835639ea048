"""The French analysis chain: the one place where text becomes index terms.

Both analyzers defined here are used unchanged at index time and at query time
(Whoosh pickles them into the index schema, which is why every component is a
module-level class). They are built the Whoosh way, from small composable
pieces::

    FrenchTokenizer() | ElisionFilter() | FoldFilter() | FrenchStopFilter()
        | FrenchStemFilter()

`stemmed_analyzer()` feeds the ranking fields; `exact_analyzer()` stops before
stemming, so that an exact (folded) form can outrank a mere shared stem and so
that spelling suggestions are real words, not stems.

Folding comes *before* stemming on purpose: Snowball stems ``annoncée`` to
``annonc`` but ``annoncee`` to ``annonce``, so stem-then-fold makes accentless
queries miss; fold-then-stem gives both the same term.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import snowballstemmer
from unidecode import unidecode
from whoosh.analysis import Filter, Token, Tokenizer
from whoosh.analysis.analyzers import CompositeAnalyzer

# Characters that may sit inside a word without being part of it: soft hyphens
# and zero-width spaces/joiners, which scraped news is full of
# (``gouver\u00adnement``). They are dropped from the term but kept in offsets.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")

# Straight, typographic and modifier-letter apostrophes all mean the same.
APOSTROPHES = "'\u2019\u02bc\u2018"

# A token is either a number with internal separators (``3.5``, ``1,2``,
# ``10.000``) or a run of letters/digits that may contain apostrophes
# (``l'alliance``, ``aujourd'hui``) and invisible characters. Hyphens, dots,
# guillemets and every kind of space split tokens, which is what makes glued
# sentences (``jeudi.Le``) and hyphenated names (``États-Unis``) come apart
# while ``M.`` and ``3.5`` stay whole.
# Written as possessive runs (Python 3.11+) rather than one character at a
# time: the same tokens (checked on 300,000 random strings), scanned 1.6x
# faster, and this scan runs over every article at index time and over every
# hit shown for its snippet.
_WORD = rf"[^\W_]++(?:[{INVISIBLE}]++[^\W_]++)*+[{INVISIBLE}]*+"
TOKEN_PATTERN = re.compile(
    rf"\d+(?:[.,]\d+)+(?![^\W_])|{_WORD}(?:[{APOSTROPHES}]{_WORD})*+",
)

# French elided articles, pronouns and conjunctions. ``aujourd'hui`` or
# ``prud'hommes`` are not in this list and so stay whole.
ELIDED = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")
_ELISION_RE = re.compile(rf"^(?:{'|'.join(ELIDED)})[{APOSTROPHES}]", re.IGNORECASE)

# Snowball's French stop list, folded like the terms it is compared with.
# ``été`` is kept out of it: after folding it is also the season, which news
# talks about (``cet été``).
_FRENCH_STOPS = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me
meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te
tes toi ton tu un une vos votre vous c d j l a m n s t y etee etees etes etant etante
etants etantes suis es est sommes sont serai seras sera serons serez seront serais
serait serions seriez seraient etais etait etions etiez etaient fus fut fumes futes
furent sois soit soyons soyez soient fusse fusses fussions fussiez fussent ai as avons
avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
avais avait avions aviez avaient eut eumes eutes eurent aie aies ait ayons ayez aient
eusse eusses eussions eussiez eussent ayant ayante ayantes ayants eu eue eues eus
"""
FRENCH_STOP_WORDS = frozenset(_FRENCH_STOPS.split())

# Folding and stemming are pure functions of the word, and news vocabulary is
# Zipfian: a few thousand words make most tokens. Caching them makes analysis
# several times faster. Bounded so that a hostile corpus cannot grow it forever.
_CACHE_LIMIT = 500_000
_fold_cache: dict[str, str] = {}
_stem_cache: dict[str, str] = {}
_stemmer = snowballstemmer.stemmer("french")


def fold(word: str) -> str:
    """Lowercase ASCII form of *word*: accents removed, ligatures expanded (œ → oe)."""
    folded = _fold_cache.get(word)
    if folded is None:
        # casefold() first, so that every case of a letter transliterates alike
        # (the micro sign and Greek mu); unidecode also maps ’ to '.
        folded = unidecode(_INVISIBLE_RE.sub("", word).casefold()).lower()
        if len(_fold_cache) < _CACHE_LIMIT:
            _fold_cache[word] = folded
    return folded


# Snowball's French rules remove the past-participle endings ``-ée(s)`` only
# when they carry their accent; after folding, ``alliée`` would stem to
# ``allie`` while ``allié`` gives ``alli``. Restoring that one accent before
# stemming merges them again (measured on 1.25 M OrangeSum tokens: words
# split from their stem group fall from 18,324 to 6,673, with no new merges).
_PARTICIPLE_ENDINGS = (("ees", "ées"), ("ee", "ée"))


def stem(folded_word: str) -> str:
    """Snowball French stem of an already folded word, itself folded."""
    stemmed = _stem_cache.get(folded_word)
    if stemmed is None:
        word = folded_word
        for plain, accented in _PARTICIPLE_ENDINGS:
            if word.endswith(plain) and len(word) > len(plain) + 2:
                word = word[: -len(plain)] + accented
                break
        stemmed = _stemmer.stemWord(word)
        if not stemmed.isascii():
            stemmed = unidecode(stemmed)
        if len(_stem_cache) < _CACHE_LIMIT:
            _stem_cache[folded_word] = stemmed
    return stemmed


class FrenchTokenizer(Tokenizer):
    """Splits French text into words, keeping character offsets into the original.

    Offsets always point into the text as given, so a snippet highlights the
    word as the article spells it, never a normalised or stemmed form.
    """

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value  # type: ignore[attr-defined]
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, match in enumerate(TOKEN_PATTERN.finditer(value), start_pos):
            token.text = match.group(0)
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text  # type: ignore[attr-defined]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


class ElisionFilter(Filter):
    """Removes an elided prefix: ``l'alliance`` → ``alliance``, ``jusqu'à`` → ``à``.

    The start offset moves past the prefix, so highlighting marks only the word.
    """

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text
            match = _ELISION_RE.match(text)
            # Strip every leading elision, but never the whole token.
            while match and match.end() < len(text):
                if token.chars:
                    token.startchar += match.end()
                text = text[match.end() :]
                match = _ELISION_RE.match(text)
            token.text = text
            yield token


class FoldFilter(Filter):
    """Lowercasing plus accent and ligature folding with ``unidecode``.

    ``Sécurité`` → ``securite``, ``Œuvre`` → ``oeuvre``.

    Also removes soft hyphens and zero-width characters left inside words and
    unifies apostrophes, so that every spelling of a word gives one term.
    """

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = fold(token.text)
            yield token


class FrenchStopFilter(Filter):
    """Drops French function words (compared in folded form) and one-letter tokens.

    Positions are renumbered identically at index and query time, so phrase
    queries containing stop words still match.
    """

    def __init__(self, stops: frozenset[str] = FRENCH_STOP_WORDS) -> None:
        self.stops = stops

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.stops == getattr(other, "stops", None)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        stops = self.stops
        pos: int | None = None
        for token in tokens:
            text = token.text
            if text in stops or (len(text) < 2 and not text.isdigit()):
                if not token.removestops:
                    token.stopped = True
                    yield token
                continue
            if token.positions:
                pos = token.pos if pos is None else pos + 1
                token.pos = pos
            token.stopped = False
            yield token


class FrenchStemFilter(Filter):
    """Snowball French stemming (PyStemmer's C code when installed), cached."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def map_term(self, term: str) -> str:
        """What this filter makes of one kept term: one term, never stopped."""
        return stem(term)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


class MemoizedChain(CompositeAnalyzer):
    """A ``Tokenizer | Filter | …`` chain that runs its filters once per distinct word.

    Every filter of the French chain maps one word to at most one term, the
    same way wherever the word occurs; only the position renumbering around
    stop words depends on the neighbours. Indexing therefore asks the chain
    itself what each new word becomes, remembers the answer, and only
    tokenizes and numbers positions per occurrence: the same terms, measured
    several times faster than pushing every token through five generators.
    Calls that need more (character offsets, stopped tokens) run the chain
    as composed.
    """

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        if chars or keeporiginal or not removestops or not tokenize or kwargs.get("no_morph"):
            return super().__call__(
                value,
                positions=positions,
                chars=chars,
                keeporiginal=keeporiginal,
                removestops=removestops,
                start_pos=start_pos,
                tokenize=tokenize,
                mode=mode,
                **kwargs,
            )
        return self._terms(value, positions, start_pos, mode, kwargs)

    def __getstate__(self) -> dict[str, Any]:
        # What is cached at run time (see _memo, _prefix) stays out of the
        # pickled schema.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_run_")}

    @property
    def _memo(self) -> dict[str, str | None]:
        memo = self.__dict__.get("_run_memo")
        if memo is None:
            memo = self.__dict__["_run_memo"] = _CHAIN_MEMOS.setdefault(
                tuple(map(repr, self.items)), {}
            )
        return memo

    @property
    def _prefix(self) -> tuple[MemoizedChain, Callable[[str], str]] | None:
        """This chain without its last filter, and that filter, if it maps each term to one term.

        Such a chain's terms are the prefix's terms mapped one by one, at the
        same positions (the stemmed chain is the exact one plus stemming): a
        text indexed by both is then scanned once, and only its distinct
        terms are stemmed.
        """
        if "_run_prefix" not in self.__dict__:
            *rest, last = self.items
            map_term = getattr(last, "map_term", None)
            mapped = map_term is not None and len(rest) > 1
            self.__dict__["_run_prefix"] = (MemoizedChain(*rest), map_term) if mapped else None
        prefix: tuple[MemoizedChain, Callable[[str], str]] | None = self.__dict__["_run_prefix"]
        return prefix

    def _term(self, word: str, memo: dict[str, str | None]) -> str | None:
        """What the composed chain makes of one word (``None``: a stop word)."""
        if word in memo:
            return memo[word]
        term = None
        for token in super().__call__(word, removestops=False):
            term = None if token.stopped else token.text
        if len(memo) < _CACHE_LIMIT:
            memo[word] = term
        return term

    def _kept(self, value: str, start_pos: int = 0) -> tuple[list[str], int]:
        """The terms of *value* in order, stop words left out, and the first one's position.

        As FrenchStopFilter numbers them, kept words are consecutive: the
        first one keeps its place among all words, the others follow it.
        """
        memo = self._memo
        words = _words_of(value)
        try:
            # Every word known: one C-level pass (most texts, once the memo is warm).
            terms = list(map(memo.__getitem__, words))
        except KeyError:
            terms = [memo[w] if w in memo else self._term(w, memo) for w in words]
        first = next((n for n, t in enumerate(terms, start_pos) if t is not None), start_pos)
        return [t for t in terms if t is not None], first

    def _terms(
        self, value: str, positions: bool, start_pos: int, mode: str, kwargs: dict[str, Any]
    ) -> Iterator[Token]:
        token = Token(positions, False, removestops=True, mode=mode, **kwargs)
        kept, first = self._kept(value, start_pos)
        for pos, term in enumerate(kept, first):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            yield token

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Every term of *value* with the positions where it occurs.

        What indexing a field needs of a document, without making a token
        object per word (see :mod:`index.schema`'s formats): the same terms
        and positions as the token stream. The result may be shared (the last
        text's is kept for the next chain): read it, never change it.
        """
        global _last_grouped
        memo = self._memo
        text, chain_memo, found = _last_grouped
        if text is value and chain_memo is memo:
            return found
        prefix = self._prefix
        if prefix is not None:
            chain, map_term = prefix
            found = _mapped(chain.term_positions(value), map_term)
        else:
            found = {}
            kept, first = self._kept(value)
            for pos, term in enumerate(kept, first):
                positions = found.get(term)
                if positions is None:
                    found[term] = [pos]
                else:
                    positions.append(pos)
        _last_grouped = (value, memo, found)
        return found


def _mapped(grouped: dict[str, list[int]], map_term: Callable[[str], str]) -> dict[str, list[int]]:
    """*grouped* with each term mapped; terms that map alike have their positions merged.

    The position lists are shared with *grouped*, never changed: whoever reads
    either result must not change them.
    """
    found: dict[str, list[int]] = {}
    for term, positions in grouped.items():
        mapped = map_term(term)
        known = found.get(mapped)
        found[mapped] = positions if known is None else sorted(known + positions)
    return found


# The words of the text analysed last. An article's text goes through two
# chains in a row (``content`` and ``exact`` receive the same string object):
# scanning it once is enough.
_last_scan: tuple[str, list[str]] = ("", [])
# The grouped terms of the text analysed last, and the memo of the chain
# (chains alike share one): the exact chain's are the stemmed chain's
# starting point, and then asked for again by the exact field.
_last_grouped: tuple[str, object, dict[str, list[int]]] = ("", None, {})


def _words_of(value: str) -> list[str]:
    global _last_scan
    text, words = _last_scan
    if text is not value:
        words = TOKEN_PATTERN.findall(value)
        _last_scan = (value, words)
    return words


# Memos of MemoizedChain, per chain; kept out of the analyzers, which Whoosh
# pickles into the index.
_CHAIN_MEMOS: dict[tuple[str, ...], dict[str, str | None]] = {}


def exact_analyzer() -> Any:
    """Words folded (case, accents, elision) but not stemmed."""
    return MemoizedChain(FrenchTokenizer() | ElisionFilter() | FoldFilter() | FrenchStopFilter())


def stemmed_analyzer() -> Any:
    """The full French chain: :func:`exact_analyzer` followed by Snowball stemming."""
    return MemoizedChain(exact_analyzer() | FrenchStemFilter())


def terms(text: str, *, stemmed: bool = True) -> list[str]:
    """The index terms of *text*, in order: what a query for it will look up."""
    analyzer = stemmed_analyzer() if stemmed else exact_analyzer()
    return [token.text for token in analyzer(text)]
