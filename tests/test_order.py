"""One query, one answer: the same articles in the same order however the index
was built (one process or worker processes, one commit or many, merged or not).

Document numbers follow the build; equal scores used to be left in their order,
so a facet-only query (``pays:FR``), a date sort, a wildcard or two copies of
one dispatch listed different articles after a ``--rebuild``. Ties are now
broken by date, then text, then id (:meth:`search.facets.FacetTable.tie_order`),
as the cluster breaks them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.writer import Indexer
from search.api import Engine

CITIES = [("Helsinki", "finlandais"), ("Paris", "français"), ("Madrid", "espagnol"),
          ("Berlin", "allemand"), ("Rome", "italien")]  # fmt: skip
LEADERS = ["Sanna Marin", "Emmanuel Macron", "Pedro Sánchez", "Olaf Scholz", "Mario Draghi"]


def article(n: int) -> dict[str, str]:
    """A short dispatch: five capitals, five leaders, three dates, some words shared."""
    city, adjective = CITIES[n % 5]
    leader = LEADERS[(n // 5) % 5]
    return {
        "id": f"dep-{n}",
        "title": f"Sommet à {city} : le gouvernement {adjective} reçoit {leader}",
        "body": (
            f"Le gouvernement {adjective} a reçu {leader} à {city} pour un sommet consacré "
            f"à l’énergie et à la sécurité. « Nous avançons », a déclaré {leader} à l’issue "
            f"de la réunion numéro {n}. Les ministres se retrouveront dans un mois."
        ),
        "date": f"2022-06-{27 + n % 3:02d}",
    }


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same folder indexed twice: at once in one process, and by two worker
    processes committing every seven articles, then updated with more files."""
    corpus = tmp_path_factory.mktemp("order-corpus")
    records = [article(n) for n in range(90)]
    # Copies: one dispatch in three files, same day, same text.
    copies = [dict(records[4], id=f"copie-{k}") for k in range(3)]
    for part in range(6):
        with (corpus / f"depeches-{part}.jsonl").open("w", encoding="utf-8") as out:
            for record in records[part::6] + ([copies[part]] if part < 3 else []):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    at_once, in_parts = tmp_path_factory.mktemp("at-once"), tmp_path_factory.mktemp("in-parts")
    Indexer(at_once, workers=0).update([corpus])
    files = sorted(corpus.iterdir())
    Indexer(in_parts, workers=2, commit_every=7).update(files[3:])
    Indexer(in_parts, workers=2, commit_every=7).update([corpus])
    return at_once, in_parts


QUERIES = ["pays:FR", "personne:Macron", "sommet", "énergie sécurité", "gouvern*", "réun*",
           '"sommet consacré"~2', "", "Helsinki OR Madrid", "sommet -pays:ES"]  # fmt: skip


@pytest.mark.parametrize("text", QUERIES)
def test_the_same_answer_whatever_built_the_index(
    two_builds: tuple[Path, Path], text: str
) -> None:
    at_once, in_parts = two_builds
    with Engine(at_once) as one, Engine(in_parts) as other:
        for sort in ("relevance", "date"):
            for collapse in (False, True):
                a = one.search(text, limit=25, sort=sort, collapse=collapse)
                b = other.search(text, limit=25, sort=sort, collapse=collapse)
                assert a.total == b.total > 0, (text, sort, collapse)
                assert [(h.id, h.score, h.copies) for h in a.hits] == [
                    (h.id, h.score, h.copies) for h in b.hits
                ], (text, sort, collapse)
            page = one.search(text, limit=5, offset=10, sort=sort)
            assert [h.id for h in page.hits] == [
                h.id for h in other.search(text, limit=5, offset=10, sort=sort).hits
            ]
            ids = [one.article_at(d).id for d, _ in one.all_matches(text, sort=sort)]
            assert ids == [other.article_at(d).id for d, _ in other.all_matches(text, sort=sort)]
        for unit in ("articles", "stories"):
            assert one.facets(text, granularity="day", unit=unit) == other.facets(
                text, granularity="day", unit=unit
            ), (text, unit)
            collapsed = one.search(text, limit=25, collapse=True, facets=True, unit=unit)
            assert collapsed.facets == other.search(
                text, limit=25, collapse=True, facets=True, unit=unit
            ).facets
        for hit in one.search(text, limit=25, collapse=True).hits:
            assert [a.id for a in one.copies(hit.id)] == [a.id for a in other.copies(hit.id)]


def test_the_builds_number_their_articles_differently(two_builds: tuple[Path, Path]) -> None:
    """Else the test above would prove nothing."""
    at_once, in_parts = two_builds
    with Engine(at_once) as one, Engine(in_parts) as other:
        ids = sorted(h.id for h in one.search("", limit=200).hits)
        assert one.stats().segments != other.stats().segments or any(
            one._searcher.document_number(id=i) != other._searcher.document_number(id=i)
            for i in ids
        )
        order = [one._searcher.document_number(id=i) for i in ids]
        assert order != [other._searcher.document_number(id=i) for i in ids]


def test_ties_go_newest_first_then_copies_by_id(two_builds: tuple[Path, Path]) -> None:
    with Engine(two_builds[0]) as engine:
        hits = engine.search("pays:FI", limit=100).hits
        assert {h.score for h in hits} == {1.0}
        days = [h.date for h in hits]
        assert days == sorted(days, reverse=True)
        # The copies of dispatch 4 (Rome, the same text and day): by id.
        copies = [h.id for h in engine.search('"réunion numéro 4"', limit=10).hits]
        assert len(copies) == 4 and copies == sorted(copies)
        collapsed = engine.search('"réunion numéro 4"', collapse=True).hits
        assert [h.id for h in collapsed] == copies[:1]
        assert list(collapsed[0].copies) == copies[1:]


def test_a_day_s_articles_come_by_time(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, hour in enumerate(["08:00", "17:30", "12:05"]):
        record = dict(article(n * 5 + 1), date=f"2022-06-29T{hour}:00")  # Paris, each time
        (corpus / f"depeche-{n}.json").write_text(json.dumps(record, ensure_ascii=False))
    Indexer(tmp_path / "index", workers=0).update([corpus])
    with Engine(tmp_path / "index") as engine:
        for sort in ("relevance", "date"):
            hits = engine.search("pays:FR", sort=sort).hits
            assert [h.date.strftime("%H:%M") for h in hits if h.date] == ["17:30", "12:05", "08:00"]


def test_a_story_counts_as_its_first_publication(tmp_path: Path) -> None:
    """Copies of one dispatch on three days: counted by story, it is one story
    on the first day, whichever copy the search shows."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    dispatch = article(3)
    for n, day in enumerate(["2022-06-30", "2022-06-28", "2022-06-29"]):
        record = dict(dispatch, id=f"copie-{n}", date=day)
        (corpus / f"copie-{n}.json").write_text(json.dumps(record, ensure_ascii=False))
    Indexer(tmp_path / "index", workers=0).update([corpus])
    with Engine(tmp_path / "index") as engine:
        shown = engine.search("sommet", collapse=True, facets=True, unit="stories")
        assert shown.total == 1 and shown.hits[0].date.day == 30  # newest first
        assert [(v.value, v.count) for v in shown.facets.dates] == [("2022-06", 1)]
        days = engine.facets("sommet", granularity="day", unit="stories").dates
        assert [(v.value, v.count) for v in days] == [("2022-06-28", 1)]
        assert [a.date.day for a in engine.copies(shown.hits[0].id)] == [28, 29]
