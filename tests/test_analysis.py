"""The French analysis chain, on hand-picked cases and on every word of real articles."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest

from index.analysis import exact_analyzer, stemmed_analyzer, terms
from tests.conftest import SEEDS, orangesum_records


def tokens_with_offsets(text: str) -> list[tuple[str, str]]:
    """(term, original text at the token's offsets) pairs."""
    return [(t.text, text[t.startchar : t.endchar]) for t in exact_analyzer()(text, chars=True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'alliance", ["alliance"]),
        ("l’Alliance", ["alliance"]),  # typographic apostrophe, capital
        ("L\u02bcarmée", ["armee"]),  # modifier-letter apostrophe
        ("d'Ukraine qu'il jusqu'à lorsqu'elle puisqu'on quoiqu'ils", ["ukraine"]),
        ("aujourd'hui", ["aujourd'hui"]),  # not an elision
        ("États-Unis", ["etats", "unis"]),
        ("«\u00a0Sécurité\u00a0»", ["securite"]),
        ("jeudi.Le gouvernement", ["jeudi", "gouvernement"]),  # glued sentence
        ("M. Duda a dit 3.5 et 3,5", ["duda", "dit", "3.5", "3,5"]),  # abbreviation, numbers
        ("gouver\u00adnement", ["gouvernement"]),  # soft hyphen
        ("sé\u200bcurité", ["securite"]),  # zero-width space
        ("Œuvre cœur Lætitia", ["oeuvre", "coeur", "laetitia"]),  # ligatures
        ("le la les de des du", []),  # stop words only
        ("prix\u202f: 10\u00a0€", ["prix", "10"]),  # narrow no-break space
    ],
)
def test_exact_terms(text: str, expected: list[str]) -> None:
    assert terms(text, stemmed=False) == expected


def test_offsets_point_at_the_original_words() -> None:
    text = "«\u00a0L’Alliance\u00a0» s’élargit.Le sommet"
    pairs = tokens_with_offsets(text)
    assert pairs == [("alliance", "Alliance"), ("elargit", "élargit"), ("sommet", "sommet")]


def test_inflections_meet() -> None:
    assert terms("finlandais") == terms("finlandaise") == terms("Finlandaises")
    assert terms("alliés") == terms("allié") == terms("alliee")
    assert terms("Finlande") == terms("finlande")


def test_phrase_positions_are_consecutive_after_stop_words() -> None:
    positions = [t.pos for t in stemmed_analyzer()("le sommet de l'OTAN à Madrid", positions=True)]
    assert [b - a for a, b in itertools.pairwise(positions)] == [1, 1]


def strip_accents(word: str) -> str:
    """What a user typing without accents writes: the letters, minus diacritics."""
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text) if len(w) > 1}


def _check_every_word(words: set[str]) -> None:
    assert len(words) > 100  # the property is checked on real vocabulary
    failures = []
    for word in sorted(words):
        expected = terms(word)
        variants = {
            "unaccented": strip_accents(word),
            "upper": word.upper(),
            "lower": word.lower(),
        }
        for label, variant in variants.items():
            if terms(variant) != expected:
                failures.append((word, label, variant, terms(variant), expected))
        if word[0].lower() in "aeiouyhéèêàâîôû" and "'" not in word and "’" not in word:
            for elided in (f"l'{word}", f"d’{word}", f"L'{word}"):
                if terms(elided) != expected:
                    failures.append((word, "elided", elided, terms(elided), expected))
    assert not failures, failures[:20]


def test_every_word_of_the_seeds_is_accent_case_and_elision_insensitive() -> None:
    text = " ".join(p.read_text(encoding="utf-8") for p in SEEDS.iterdir() if p.is_file())
    _check_every_word(_words(text))


def test_every_word_of_an_orangesum_sample_is_accent_case_and_elision_insensitive() -> None:
    records = orangesum_records(300)
    text = " ".join(r["title"] + " " + r["article"] for r in records)
    _check_every_word(_words(text))
