"""A huge article costs in proportion to its size: indexing, extraction and a query's
snippet (bench/big_articles.py measures the time per MB; this keeps the path
exercised and checks that the linear versions give the same answers)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from index.countries import find_countries
from index.extraction import extract_text
from index.writer import Indexer
from search.engine import Engine
from search.snippets import Span, TermMatcher, make_snippet, ranked_windows
from tests.conftest import FIXTURES, SEEDS

FIXTURE_TEXTS = ("otan-helsinki.txt", "2022-05-18_adhesion-depot.txt")


def naive_windows(text: str, spans: list[Span], width: int = 220) -> list[tuple[int, int, int]]:
    """The windows ranked as before the sliding count: every span against every window."""
    found = []
    for first_start, _ in spans:
        start = max(0, first_start - width // 4)
        end = min(len(text), start + width)
        inside = {text[s:e].lower() for s, e in spans if s >= start and e <= end}
        found.append((-len(inside), start, end))
    return sorted(found)


@pytest.mark.parametrize("seed", range(5))
def test_snippet_windows_equal_the_quadratic_definition(seed: int) -> None:
    words = ["Finlande", "finlandais", "Suède", "OTAN", "Stoltenberg"]
    fillers = ["le", "sommet", "de", "la", "défense"]
    rng = random.Random(seed)
    pieces, spans, at = [], [], 0
    for _ in range(300):
        filler = " ".join(rng.choice(fillers) for _ in range(rng.randrange(0, 30))) + " "
        word = rng.choice(words)
        spans.append((at + len(filler), at + len(filler) + len(word)))
        pieces.append(filler + word + " ")
        at += len(filler) + len(word) + 1
    text = "".join(pieces)
    assert [text[s:e] for s, e in spans[:3]] == [w for w in text.split() if w in words][:3]
    assert ranked_windows(text, spans, 220) == naive_windows(text, spans)
    assert make_snippet(text, spans).highlights


def test_countries_inside_names_are_still_excluded() -> None:
    text = "Le président George Washington a parlé. Washington a répondu. La France vote. " * 50
    entities = extract_text(text)
    assert [p.name for p in entities.persons] == ["George Washington"]
    assert [(c.code, c.evidence) for c in entities.countries] == [("FR", ["France"])]
    spans = [span for p in entities.persons for span in p.spans]
    assert [c.code for c in find_countries(text, excluded=spans)] == ["FR"]
    assert {c.code for c in find_countries(text)} == {"US", "FR"}


@pytest.mark.slow
def test_a_few_megabyte_article_full_of_names(tmp_path: Path) -> None:
    parts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    parts += [(FIXTURES / name).read_text(encoding="utf-8") for name in FIXTURE_TEXTS]
    body = "\n\n".join(parts)
    text = "Un très long dossier\n\n" + body * (3_000_000 // len(body))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "dossier.txt").write_text(text, encoding="utf-8")
    report = Indexer(tmp_path / "index", workers=0).update([corpus])
    assert report.added == 1 and not report.skipped
    with Engine(tmp_path / "index") as engine:
        for query in ("Stoltenberg", '"secrétaire général"'):
            results = engine.search(query, facets=True)
            assert results.total == 1
            [hit] = results.hits
            assert hit.snippet.highlights and len(hit.snippet.text) < 600
            assert "Jens Stoltenberg" in hit.persons and "FI" in hit.countries
        matcher = TermMatcher(frozenset({"finlande"}), frozenset())
        assert len(matcher.first_spans(text)) < len(matcher.spans(text))
