"""Highlight offsets: the fast path must mark exactly the tokens a plain walk marks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import TOKEN_PATTERN, exact_analyzer, stem
from search import snippets
from search.snippets import Span, TermMatcher, analyse_words
from tests.conftest import FIXTURES, SEEDS

_EXACT = exact_analyzer()


def walked_spans(matcher: TermMatcher, text: str) -> list[Span]:
    """Every token analysed in turn: slow, obviously what highlighting means."""
    found = []
    for match in TOKEN_PATTERN.finditer(text):
        tokens = list(_EXACT(match.group(0), chars=True))
        if not tokens:
            continue
        folded = tokens[0].text
        if folded in matcher.words or stem(folded) in matcher.stems:
            found.append((match.start() + tokens[0].startchar, match.end()))
    return found


ETAT = TermMatcher(frozenset({"etat"}), frozenset({stem("etat")}))
TWO = TermMatcher(frozenset({"2"}), frozenset())


def test_whole_tokens_only_with_elision_numbers_and_glued_words() -> None:
    text = (
        "ÉtatÉtat l'État,État.État\u00a0l’État’État 2,2,2 2.2 2 État-major « État » "
        "jeudi.L'État aujourd'hui États"
    )
    marked = [text[s:e] for s, e in ETAT.spans(text)]
    assert ETAT.spans(text) == walked_spans(ETAT, text)
    # Not inside ``ÉtatÉtat`` or ``l’État’État`` (one token each); ``États`` shares the stem.
    assert marked == ["État"] * 6 + ["États"]
    assert [text[s:e] for s, e in TWO.spans(text)] == ["2"]


def test_text_without_spaces_is_scanned_once() -> None:
    text = "l'État," * 20_000
    assert len(ETAT.spans(text)) == 20_000


PIECES = [*"Étatl'’ 2,.x\u00a0-«»\u00ad", "État", "2,2", "l'"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_same_marks_as_walking_every_token(text: str) -> None:
    for matcher in (ETAT, TWO):
        assert matcher.spans(text) == walked_spans(matcher, text)


def matcher_for(*words: str) -> TermMatcher:
    folded = [t.text for w in words for t in _EXACT(w)]
    return TermMatcher(frozenset(folded), frozenset(map(stem, folded)))


def test_words_ruled_out_by_their_first_letter_never_matched() -> None:
    """Words are ruled out before analysis when no query term starts with their
    folded first letter: the marks stay those of walking every token."""
    text = " ".join(
        path.read_text(encoding="utf-8", errors="replace")
        for folder in (FIXTURES, SEEDS)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )
    text += (
        " l'Élysée L’ÉLYSÉE d'Œuvres œuvre jusqu'à qu’Ærø æsop 2022 2,5 Straße strasse"
        " aujourd’hui États-Unis l'État ÊTRE être Ωmega ωmega ﬁnlande Finlande"
    )
    queries = [("Élysée",), ("œuvre", "Ærø"), ("Finlande", "2022"), ("être", "État"),
               ("strasse",), ("omega",), ("aujourd'hui", "Unis"), ("à",)]  # fmt: skip
    marked = 0
    for words in queries:
        matcher = matcher_for(*words)
        spans = matcher.spans(text)
        assert spans == walked_spans(matcher, text), words
        marked += len(spans)
    assert marked > 50


def alone(raw: str) -> tuple[int, str, str] | None:
    tokens = list(_EXACT(raw, chars=True))
    return (tokens[0].startchar, tokens[0].text, stem(tokens[0].text)) if tokens else None


def test_words_analysed_together_as_each_alone() -> None:
    """New words go through the chain in one call: each gets what it gets alone
    (elisions, stop words, glued sentences, hyphens, numbers, odd characters)."""
    text = " ".join(
        path.read_text(encoding="utf-8", errors="replace")
        for folder in (FIXTURES, SEEDS)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )
    text += " l' qu’ jeudi.Le M.\u00a0Macron œuvre Æsop 2,5 --- «oui» aujourd’hui"
    raws = sorted(set(TOKEN_PATTERN.findall(text)))
    assert len(raws) > 1000
    snippets._WORD_CACHE.clear()  # every word new, as in a fresh process
    together = analyse_words(raws)
    assert together == {raw: alone(raw) for raw in raws}
    assert sum(v is None for v in together.values()) > 20  # stop words were among them
