"""Highlighting: where the query matched in an article, as the article spells it.

Matching re-analyses the stored text with the same French chain as the
index, so ``Finlande`` marks ``finlandais`` and ``securite`` marks
``sécurité``; the marks are character offsets into the original text, so
what is shown is always the article's own word, never a stem.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import accumulate

from index.analysis import APOSTROPHES, TOKEN_PATTERN, exact_analyzer, fold, stem

Span = tuple[int, int]

_ANALYZER = exact_analyzer()
_WORD_CACHE: dict[str, tuple[int, str, str] | None] = {}
_WORD_CACHE_LIMIT = 200_000
# Characters of an article analysed at a time when looking for a snippet.
SNIPPET_SCAN_CHARS = 100_000


def analyse_word(raw: str) -> tuple[int, str, str] | None:
    """(elided prefix length, folded word, stem) of one token; ``None`` for a stop word."""
    if raw in _WORD_CACHE:
        return _WORD_CACHE[raw]
    return analyse_words([raw])[raw]


def analyse_words(raws: Iterable[str]) -> dict[str, tuple[int, str, str] | None]:
    """:func:`analyse_word` of each of *raws* (distinct tokens).

    The words the cache lacks go through the chain together, separated by
    spaces, in one call: its filters see one token at a time, so each word's
    first token is what it would give alone, and the chain's per-call cost
    (~70 µs, most of a word's analysis) is paid once per article, not once
    per new word; a fresh process meets mostly new words.
    """
    found: dict[str, tuple[int, str, str] | None] = {}
    missing: list[str] = []
    for raw in raws:
        if raw in _WORD_CACHE:
            found[raw] = _WORD_CACHE[raw]
        else:
            found[raw] = None  # a stop word unless a token says otherwise
            missing.append(raw)
    if missing:
        starts = list(accumulate((len(raw) + 1 for raw in missing[:-1]), initial=0))
        done = -1
        for token in _ANALYZER(" ".join(missing), chars=True):
            at = bisect_right(starts, token.startchar) - 1
            if at > done:  # the word's first token
                found[missing[at]] = (token.startchar - starts[at], token.text, stem(token.text))
                done = at
        room = _WORD_CACHE_LIMIT - len(_WORD_CACHE)
        for raw in missing[: max(room, 0)]:
            _WORD_CACHE[raw] = found[raw]
    return found


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of text and the ``(start, end)`` offsets of the matches in it."""

    text: str
    highlights: tuple[Span, ...] = ()


@dataclass(frozen=True)
class TermMatcher:
    """What a query matched: folded word forms, Snowball stems, and phrases.

    A phrase is marked as one span from its first word to its last, and only
    where its words stand in order (``phrases`` hold their stems and the
    Whoosh slop: 1 for adjacent words), never as lone words.
    """

    words: frozenset[str]
    stems: frozenset[str]
    phrases: frozenset[tuple[tuple[str, ...], int]] = frozenset()

    @classmethod
    def from_terms(
        cls,
        terms: Iterable[tuple[str, str]],
        phrases: Iterable[tuple[tuple[str, ...], int]] = (),
    ) -> TermMatcher:
        """Build from ``(field, term)`` pairs as the query found them in the index,
        and the stems of its phrases with their slop."""
        words: set[str] = set()
        stems: set[str] = set()
        for fieldname, text in terms:
            (words if fieldname == "exact" else stems).add(text)
        return cls(frozenset(words), frozenset(stems), frozenset(phrases))

    def __bool__(self) -> bool:
        return bool(self.words or self.stems or self.phrases)

    @cached_property
    def _initials(self) -> frozenset[str] | None:
        """The letters a matching word's folded form starts with (a stem starts
        as its word does); ``None`` when a term is empty and nothing can be ruled out."""
        terms = self.words | self.stems
        if not all(terms):
            return None
        return frozenset(term[0] for term in terms)

    @cached_property
    def _phrase_starts(self) -> dict[str, TermMatcher]:
        """Each phrase's first stem, as a matcher of that one stem."""
        return {
            phrase[0]: TermMatcher(frozenset(), frozenset({phrase[0]}))
            for phrase, _ in self.phrases
        }

    def spans(self, text: str) -> list[Span]:
        """Offsets of every word or phrase of *text* that the query matches."""
        if not self or not text:
            return []
        found = self._word_spans(text) if self.words or self.stems else []
        for phrase, slop in self.phrases:
            for start, end in self._phrase_starts[phrase[0]]._word_spans(text):
                last = _phrase_end(text, end, phrase[1:], slop)
                if last is not None:
                    found.append((start, last))
        return _merged(found) if self.phrases else found

    def _word_spans(self, text: str) -> list[Span]:
        """Offsets of every word of *text* that the query's words or stems match.

        The same analysis as the index, run once per distinct word form
        (cached across articles). Then only the forms that matched are
        looked for again to place them: most of an article's words never
        match, and this runs for every hit shown.
        """
        words, stems = self.words, self.stems
        tokens = set(TOKEN_PATTERN.findall(text))
        initials = self._initials
        if initials is not None:
            tokens = {raw for raw in tokens if _may_start_with(raw, initials)}
        found: list[Span] = []
        for raw, analysed in analyse_words(tokens).items():
            if analysed is not None and (analysed[1] in words or analysed[2] in stems):
                found.extend((start + analysed[0], end) for start, end in _occurrences(text, raw))
        return sorted(found)

    def first_spans(self, text: str, chunk: int = SNIPPET_SCAN_CHARS) -> list[Span]:
        """The matches of the first stretch of *text* that has any, for a snippet.

        A snippet shows two short windows, so a hit's cost must not grow with
        the length of its article (as search engines bound the text their
        highlighter analyses): the text is read a chunk at a time, cut
        between words, until a chunk holds a match.
        """
        start = 0
        while start < len(text):
            end = len(text) if len(text) - start <= chunk else text.find(" ", start + chunk)
            end = len(text) if end == -1 else end
            found = self.spans(text[start:end])
            if found:
                return [(s + start, e + start) for s, e in found]
            start = end
        return []


def _phrase_end(text: str, end: int, rest: tuple[str, ...], slop: int) -> int | None:
    """Where a phrase whose first word ends at *end* ends, if its other stems
    (*rest*) follow in order, at most ``slop - 1`` words apart (stop words hold
    no position, as in the index); ``None`` if they do not. Reads only the
    words up to the first that breaks the phrase."""
    at = 0
    apart = 0
    for match in TOKEN_PATTERN.finditer(text, end):
        analysed = analyse_word(match.group())
        if analysed is None:
            continue
        if analysed[2] == rest[at]:
            at += 1
            apart = 0
            if at == len(rest):
                return match.end()
            continue
        apart += 1
        if apart >= slop:
            return None
    return None


def _merged(spans: list[Span]) -> list[Span]:
    """Sorted spans, overlapping ones joined (a phrase and a word inside it)."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


@cache
def _first_letters() -> dict[str, str]:
    """The letter each character of the Latin scripts folds to first (``É`` → ``e``,
    ``Œ`` → ``o``, ``2`` → ``2``); folding is per character."""
    return {chr(code): fold(chr(code))[:1] for code in range(0x250)}


def _may_start_with(raw: str, initials: frozenset[str]) -> bool:
    """Whether token *raw* can fold to a word starting with one of *initials*.

    Analysing a word (folding, stemming) is the cost of a snippet in a fresh
    process, where every word is new; most of an article's words start with
    a letter no query term starts with and are ruled out here. The word may
    begin after any apostrophe (elision), and a character outside the table
    is never ruled out.
    """
    letters = _first_letters()
    first = letters.get(raw[0])
    if first is None or first in initials or not first:
        return True
    for apostrophe in APOSTROPHES:
        at = raw.find(apostrophe)
        while at != -1:
            after = letters.get(raw[at + 1 : at + 2])
            if after is None or after in initials or not after:
                return True
            at = raw.find(apostrophe, at + 1)
    return False


def _occurrences(text: str, token: str) -> Iterator[Span]:
    """Where *token* occurs in *text* as a whole token, not inside a longer one.

    Tokenizing from the start or the end of a token, or from just after a
    space (tokens hold none), gives the same tokens as tokenizing the whole
    text; each candidate is checked by tokenizing from the nearest such
    point, so the text is scanned at most once per token form.
    """
    resume = 0  # a token's start or end, or 0
    at = text.find(token)
    while at != -1:
        for match in TOKEN_PATTERN.finditer(text, max(resume, text.rfind(" ", resume, at) + 1)):
            if match.start() < at:
                resume = match.end()
                continue
            if match.start() > at:
                resume = match.start()  # no token starts in between
            else:
                resume = match.end()
                if resume == at + len(token):
                    yield at, resume
            break
        else:
            return
        at = text.find(token, max(at + 1, resume))


def _widen_to_space(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a cut out of the middle of a word."""
    if start > 0:
        space = text.rfind(" ", max(0, start - 25), start)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.find(" ", end, end + 25)
        end = space if space != -1 else end
    return start, end


def ranked_windows(text: str, spans: list[Span], width: int) -> list[tuple[int, int, int]]:
    """``(-distinct words, start, end)`` of a window per match, best first.

    Each window starts a little before its match; the distinct words in each
    are counted with a sliding window over the sorted spans, so a long
    article with thousands of matches costs linear time, not their square.
    """
    words = [text[s:e].lower() for s, e in spans]
    inside: Counter[str] = Counter()
    left = right = 0
    windows: list[tuple[int, int, int]] = []
    for first_start, _ in spans:
        start = max(0, first_start - width // 4)
        end = min(len(text), start + width)
        while right < len(spans) and spans[right][1] <= end:
            inside[words[right]] += 1
            right += 1
        while left < right and spans[left][0] < start:
            inside[words[left]] -= 1
            if not inside[words[left]]:
                del inside[words[left]]
            left += 1
        windows.append((-len(inside), start, end))
    windows.sort()
    return windows


def make_snippet(text: str, spans: list[Span], *, width: int = 220, fragments: int = 2) -> Snippet:
    """The best *fragments* windows of about *width* characters around the matches.

    Windows are ranked by how many *different* words they highlight (a window
    with ``Finlande`` and ``Suède`` beats one with ``Finlande`` twice), then by
    how early they come. Without matches, the article's beginning is shown.
    """
    text_len = len(text)
    if not spans:
        end = text_len if text_len <= width else _widen_to_space(text, 0, width)[1]
        return Snippet(_flatten(text[:end]) + ("…" if end < text_len else ""))

    chosen: list[tuple[int, int]] = []
    for _, start, end in ranked_windows(text, spans, width):
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
        if len(chosen) == fragments:
            break
    chosen.sort()

    parts: list[str] = []
    highlights: list[Span] = []
    offset = 0
    for start, end in chosen:
        start, end = _widen_to_space(text, start, end)
        prefix = "…" if start > 0 and not parts else (" … " if parts else "")
        offset += len(prefix)
        parts.append(prefix)
        for s, e in spans:
            if s >= start and e <= end:
                highlights.append((offset + s - start, offset + e - start))
        piece = _flatten(text[start:end])
        parts.append(piece)
        offset += len(piece)
    if chosen and _widen_to_space(text, *chosen[-1])[1] < text_len:
        parts.append("…")
    return Snippet("".join(parts), tuple(highlights))


def _flatten(text: str) -> str:
    """One line for display; the same length, so offsets stay valid."""
    return text.replace("\n", " ").replace("\t", " ")
