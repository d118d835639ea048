"""The numpy ranking gives Whoosh's own results: same matches, same scores, same order.

Compared with Whoosh's exhaustive search (``limit=None``), on real OrangeSum
articles spread over several segments, some of them with deleted documents.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from whoosh import query as wq

from index.writer import Indexer
from search.engine import Engine
from search.filters import Filters
from search.ranking import Unsupported
from tests.conftest import orangesum_records

# One worker builds the module's index (pytest -n 2 --dist loadgroup).
pytestmark = pytest.mark.xdist_group("ranking")

QUERIES = [
    "Macron",
    "gouvernement",
    "sécurité",
    "securite",
    "l'économie",
    "Macron réforme",
    "police Paris manifestation",
    "Trump OR Poutine OR Merkel",
    "Trump OU Poutine",
    "(grève OR manifestation) ET retraites",
    "élection SAUF Trump",
    "élection NOT Trump NOT Macron",
    "titre:Macron",
    "pays:FR police",
    "incendie -forêt",
    "Macron -Trump -Merkel",
    "États-Unis",
    'titre:"premier ministre"',
    "personne:Macron",
    "le la les",
    "mot-introuvable-zzz",
    '"premier ministre"',
    '"président de la République"',
    '"premier ministre" Macron',
    '"premier ministre" OR "chef de l’État"',
    '"ministre de l’Intérieur" SAUF Castaner',
    '"état d’urgence"',
    '"vous vous"',
    '"mot-introuvable-zzz ministre"',
    '"gilets jaunes"',
    '"président finlandais"',
    '"Donald Trump" "Joe Biden"',
]


@pytest.fixture(scope="module")
def multi_segment_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,300 articles in three files, then one file rewritten shorter: two segments,
    the first with deleted documents (postings keep them until a merge)."""
    records = orangesum_records(1300)
    corpus = tmp_path_factory.mktemp("ranking-corpus")
    index_dir = tmp_path_factory.mktemp("ranking-index")
    parts = [records[0:500], records[500:800], records[800:1300]]
    for n, part in enumerate(parts):
        with (corpus / f"part-{n}.jsonl").open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
    indexer = Indexer(index_dir, entities=True)
    indexer.update([corpus])
    with (corpus / "part-1.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in parts[1][:250])
    report = indexer.update([corpus])
    assert report.updated > 0
    with Engine(index_dir) as engine:
        assert engine.stats().segments >= 2
        assert engine._searcher.reader().has_deletions()
    return index_dir


def whoosh_ranking(
    engine: Engine, q: wq.Query, restrict: wq.Query | None = None
) -> list[tuple[int, float]]:
    """Whoosh's matches and scores, equal scores in the engine's order (newest
    first, by day and time, then by text, then copies by id), where Whoosh
    leaves them in document-number order."""
    results = engine._searcher.search(q, limit=None, filter=restrict)
    table, stored = engine.facet_table, engine._searcher.stored_fields

    def order(pair: tuple[int, float]) -> tuple[float, int, int, int, str]:
        doc, score = pair
        day, second, key = table.days[doc], table.seconds[doc], table.sample_keys[doc]
        return -score, -day, -second, key, stored(doc)["id"]

    return sorted(((hit.docnum, hit.score) for hit in results), key=order)


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_scores_and_order_as_whoosh(multi_segment_index: Path, text: str) -> None:
    with Engine(multi_segment_index) as engine:
        q = engine.parse(text)
        expected = whoosh_ranking(engine, q)
        ranker = engine.ranker
        assert ranker is not None
        mask, _ = ranker.evaluate(q)
        assert sorted(mask.nonzero()[0].tolist()) == sorted(d for d, _ in expected)
        ranked = engine._rank(q, Filters(), 20)
        assert ranked is not None
        top = ranked[0]
        assert [d for d, _ in top] == [d for d, _ in expected[:20]]
        for (_, ours), (_, theirs) in zip(top, expected, strict=False):
            assert ours == pytest.approx(theirs, rel=1e-9)


def test_filters_match_whoosh_filters(multi_segment_index: Path) -> None:
    with Engine(multi_segment_index) as engine:
        months = [v.value for v in engine.facets("police", granularity="day").dates]
        first, middle = date.fromisoformat(months[0]), date.fromisoformat(months[len(months) // 2])
        for filters in (
            Filters(countries=("FR",)),
            Filters(countries=("US", "RU")),
            Filters(since=middle),
            Filters(countries=("FR",), until=middle),
            Filters(since=first, until=first),
        ):
            fast = engine.search("police", filters=filters, limit=50)
            q = engine.parse("police")
            expected = whoosh_ranking(engine, q, engine.filter_query(filters))
            assert fast.total == len(expected) > 0, filters
            stored = engine._searcher.stored_fields
            assert [h.id for h in fast.hits] == [stored(d)["id"] for d, _ in expected[:50]]


def test_phrases_have_hits_here(multi_segment_index: Path) -> None:
    """The phrases compared above are not all empty (the comparison would be weak)."""
    with Engine(multi_segment_index) as engine:
        for text in ('"premier ministre"', '"président de la République"', '"état d’urgence"'):
            assert engine.search(text).total > 2, text


def test_slop_and_patterns_are_left_to_whoosh(multi_segment_index: Path) -> None:
    with Engine(multi_segment_index) as engine:
        ranker = engine.ranker
        assert ranker is not None
        for text in ('"premier ministre"~3', "gouvern*", "Macorn~"):
            with pytest.raises(Unsupported):
                ranker.evaluate(engine.parse(text))
            # ... and still answered, by Whoosh.
            assert engine.search(text).total > 0
