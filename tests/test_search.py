"""Queries against real indexes: matching, ranking, snippets and the query language."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.engine import Engine, SearchResults
from search.query import QuerySyntaxError


def search(index_dir: Path, text: str, **kwargs: object) -> SearchResults:
    with Engine(index_dir) as engine:
        return engine.search(text, **kwargs)  # type: ignore[arg-type]


def ids(results: SearchResults) -> list[str]:
    return [h.id for h in results.hits]


def marked(snippet_text: str, spans: tuple[tuple[int, int], ...]) -> set[str]:
    return {snippet_text[s:e] for s, e in spans}


def test_finlande_highlights_the_words_as_written(seeds_index: Path) -> None:
    results = search(seeds_index, "Finlande")
    assert results.total >= 4
    words = set().union(*(marked(h.snippet.text, h.snippet.highlights) for h in results.hits))
    assert {"Finlande", "Finlandais"} <= words
    assert all(w.lower().startswith("finland") for w in words)  # never a stem, never other words


def test_accents_case_and_elision_do_not_matter(seeds_index: Path) -> None:
    reference = ids(search(seeds_index, "sécurité"))
    assert reference
    assert ids(search(seeds_index, "securite")) == reference
    assert ids(search(seeds_index, "SÉCURITÉ")) == reference
    assert ids(search(seeds_index, "l'alliance")) == ids(search(seeds_index, "alliance"))
    # The same articles; ranks may differ (the exact form weighs more than the stem).
    assert sorted(ids(search(seeds_index, "l’alliance"))) == sorted(
        ids(search(seeds_index, "alliances"))
    )


def test_french_spaced_punctuation_is_not_a_wildcard(fixtures_index: Path) -> None:
    # "… la Suède ?" pasted from a title: the lone "?" must not become a wildcard.
    reference = ids(search(fixtures_index, "Finlande Suède"))
    assert reference
    assert ids(search(fixtures_index, "Finlande Suède ?")) == reference
    assert ids(search(fixtures_index, "Finlande : Suède ! *")) == reference


def test_securite_highlights_the_accented_word(seeds_index: Path) -> None:
    hit = search(seeds_index, "securite").hits[0]
    assert "sécurité" in marked(hit.snippet.text, hit.snippet.highlights)


def test_words_are_anded_and_french_operators_work(fixtures_index: Path) -> None:
    both = ids(search(fixtures_index, "Finlande Suède"))
    either = ids(search(fixtures_index, "Finlande OU Suède"))
    assert set(both) < set(either)
    assert ids(search(fixtures_index, "Finlande ET Suède")) == both
    without = ids(search(fixtures_index, "Finlande SAUF Suède"))
    assert without and not set(without) & set(both)
    assert ids(search(fixtures_index, "Finlande NOT Suède")) == without


def test_phrase_field_wildcard_and_fuzzy(fixtures_index: Path) -> None:
    [phrase] = search(fixtures_index, '"sommet extraordinaire"').hits
    assert phrase.title == "Sommet extraordinaire à Bruxelles"
    assert search(fixtures_index, '"extraordinaire sommet"').total == 0
    assert [h.title for h in search(fixtures_index, "titre:retraites").hits] == [
        "Réforme des retraites"
    ]
    wild = search(fixtures_index, "sécur*")
    assert {"securite-frontiere.md"} <= {Path(h.path).name for h in wild.hits}
    assert search(fixtures_index, "Stoltenbrg~").total == 1


def test_date_range_and_sort_by_date(fixtures_index: Path) -> None:
    spring = search(fixtures_index, "date:[2022-03-01 TO 2022-05-31]", limit=50)
    dates = [h.date for h in spring.hits]
    assert dates and all(
        d is not None and "2022-03" <= d.isoformat()[:7] <= "2022-05" for d in dates
    )
    by_date = search(fixtures_index, "OTAN OU Finlande OU Suède", sort="date", limit=50)
    ordered = [h.date for h in by_date.hits]
    assert ordered == sorted(ordered, reverse=True)  # type: ignore[type-var]


def test_total_counts_every_match_not_the_page(fixtures_index: Path) -> None:
    everything = search(fixtures_index, "le OU la OU les OU a OU de OU Finlande OU grève", limit=2)
    assert len(everything.hits) == 2 and everything.total > 2
    page2 = search(fixtures_index, "Finlande OU grève OU tempête", limit=1, offset=1)
    assert page2.hits[0].rank == 2


@pytest.mark.parametrize(
    "query",
    ['"non fermé', "(Finlande OU Suède", "Finlande)", "date:[2022-01-01 TO", "x" * 3000],
)
def test_syntax_errors_are_one_line(fixtures_index: Path, query: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        search(fixtures_index, query)
    assert "\n" not in str(error.value) and str(error.value)


def test_only_stop_words_find_nothing(fixtures_index: Path) -> None:
    assert search(fixtures_index, "le la les de").total == 0


def test_article_view_marks_every_match(seeds_index: Path) -> None:
    hit = search(seeds_index, "Finlande").hits[0]
    with Engine(seeds_index) as engine:
        article = engine.article(hit.id, "Finlande")
    assert article is not None
    spans = article.highlights["body"]
    assert len(spans) >= 3
    assert {article.body[s:e].lower()[:7] for s, e in spans} == {"finland"}
