"""Facets: extraction on real French text, counts checked by brute force, filters, CLI."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.extraction import extract_text
from index.persons import person_key
from search.engine import Engine
from search.facets import (
    FACET_CACHE_PREFIX,
    _load_arrays,
    _npz_members,
    resolve_country,
)
from search.filters import Filters
from search.query import QuerySyntaxError
from tests.conftest import SHARED, CliRun, orangesum_records


def countries(text: str) -> list[str]:
    return [c.code for c in extract_text(text).countries]


def persons(text: str) -> dict[str, list[str]]:
    return {p.name: p.mentions for p in extract_text(text).persons}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Les États-Unis, les Etats-Unis et les USA.", ["US"]),
        ("Le président turc, la diplomatie turque et les Turcs.", ["TR"]),
        ("Les Finlandais et le Norvégien ; des troupes allemandes.", ["FI", "NO", "DE"]),
        ("Moscou a répondu à Varsovie, puis Ankara.", ["RU", "PL", "TR"]),
        ("Le Royaume-Uni, la Grande-Bretagne, les Britanniques.", ["GB"]),
        ("Un accord sino-britannique.", ["CN", "GB"]),
        ("Il parle français et a traduit le texte en russe.", []),
        ("Les accords d'Oslo, le golfe de Guinée, Air France et l'Île-de-France.", []),
        ("L'Union européenne, l'OTAN, l'Europe et les pays baltes.", []),
        ("Bruxelles a décidé d'infliger une amende.", []),
        ("L'écrivain Anatole France et le président George Washington.", []),
        ("Dominique Strauss-Kahn a parlé de la Dominique.", ["DM"]),
        ("La Guinée-Bissau, la Guinée équatoriale et la Guinée.", ["GW", "GQ", "GN"]),
        ("L'État de Géorgie a voté ; la Géorgie et l'Arménie aussi.", ["GE", "AM"]),
        ("Le gouvernement de la République démocratique du Congo.", ["CD"]),
    ],
)
def test_countries(text: str, expected: list[str]) -> None:
    assert countries(text) == expected


def test_country_evidence_keeps_the_words_as_written() -> None:
    [finland] = extract_text("La Finlande et l'armée finlandaise.").countries
    assert (finland.code, finland.name, finland.evidence) == (
        "FI",
        "Finlande",
        ["Finlande", "finlandaise"],
    )


def test_persons_canonical_names_and_merged_mentions() -> None:
    found = persons(
        "Le président (Vladimir) Poutine a reçu M. Biden. Andrzej Duda l'a dit ; "
        "M. Duda a ajouté. Le président turc Tayyip Erdogan et le général Walters. "
        "Bill et Hillary Clinton. Poutine a répondu. La rue Victor Hugo."
    )
    assert found == {
        "Vladimir Poutine": ["président (Vladimir) Poutine", "Poutine"],
        "Biden": ["M. Biden"],
        "Andrzej Duda": ["Andrzej Duda", "M. Duda"],
        "Tayyip Erdogan": ["Tayyip Erdogan"],
        "Walters": ["général Walters"],
        "Bill Clinton": ["Bill et Hillary Clinton", "Bill"],
        "Hillary Clinton": ["Hillary Clinton"],
    }


def test_not_persons() -> None:
    text = (
        "Le président de la République, le Parti socialiste, le maire de Los Angeles, "
        "Paris Saint-Germain et la rue Victor Hugo. Selon l'AFP, Hong Kong proteste."
    )
    assert persons(text) == {}


def names(text: str) -> set[str]:
    return {p.name for p in extract_text(text).persons}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An elided preposition before a first name (``d'`` is not part of the name).
        ("La victoire d’Angela Merkel a surpris Berlin.", {"Angela Merkel"}),
        # Initials and generational suffixes belong to the name.
        ("George W. Bush a reçu Rajiv J.\u00a0Shah.", {"George W. Bush", "Rajiv J. Shah"}),
        (
            "Le pape Jean-Paul II et son frère, Patrick Paddock II.",
            {"Jean-Paul II", "Patrick Paddock II"},
        ),
        # First names no dictionary has, named by a French cue: verb of speech, apposition, age.
        ("« Tout a brûlé », soupire Ngozi Okafor, une habitante du quartier.", {"Ngozi Okafor"}),
        ("« Nous partirons », a raconté à l’AFP Tiémoko Kalifa, un éleveur.", {"Tiémoko Kalifa"}),
        ("Yacouba Fofana, biologiste à Bamako, compte les lions.", {"Yacouba Fofana"}),
        ("« J’ai peur », confie Bintou, 19 ans, devant la gare.", {"Bintou"}),
        ("Selon le Britannique Obiageli Nnamdi, le rapport est clair.", {"Obiageli Nnamdi"}),
        # A surname alone: the government or régime it leads, or a surname the press knows well.
        ("La réponse du gouvernement Rajoy et du régime Assad.", {"Rajoy", "Assad"}),
        ("Depuis la fin de la dictature de Franco, le pays a changé.", {"Franco"}),
        ("« Vous imaginez Sarkozy accepter cela ? »", {"Sarkozy"}),
        # An apposition to an office held somewhere: ``le gouverneur de Kandahar, X``.
        ("Selon le gouverneur de Kandahar, Tooryalai Wesa, tout est calme.", {"Tooryalai Wesa"}),
        ("Rien n’est joué, dit le secrétaire général du Fatah, Jibril Rajoub.", {"Jibril Rajoub"}),
        # Kinship before a first name alone.
        ("Hillary Clinton est venue avec leur fille Chelsea.", {"Hillary Clinton", "Chelsea"}),
        # Words glued by a lost space: a title to its name, a name to the next sentence.
        ("Tancé par MeFrançois Zimeray, avocat de la famille.", {"François Zimeray"}),
        ("Selon Jérôme SalomonMardi, le virus circule encore.", {"Jérôme Salomon"}),
        # One person under every form: middle name dropped, Arabic article dropped.
        ("Stephen Craig Paddock a tiré. Stephen Paddock vivait seul.", {"Stephen Craig Paddock"}),
        ("Bachar al-Assad a parlé. M.\u00a0Assad a menacé.", {"Bachar al-Assad"}),
    ],
)
def test_person_cues(text: str, expected: set[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "La guerre en Sierra Leone a gagné la Sierra Leone et le Soudan du Nil Bleu.",
        "Il mangeait des burritos au Taco Bell, près de l’école de Sandy Hook.",
        "Une loi appelée « Jones Act » protège la flotte depuis 1920.",
        "« The Red Sea Project » attire des touristes aux cris de « Viva España ».",
        "Le Kremlin a démenti, a rapporté l’agence RIA Novosti.",
        "La navette part vers l’île de Fernando Poo.",
        "Dix ans après la tuerie de Sandy Hook, le Congrès n’a rien voté.",
        "Le mouvement MeToo et la chaîne YouTube du ministère.",
    ],
)
def test_places_and_things_are_not_persons(text: str) -> None:
    assert names(text) == set()


def test_an_opinion_piece_credit_is_not_a_person_it_names() -> None:
    body = "Les musées doivent rendre les objets pillés pendant la colonisation. " * 20
    named_elsewhere = "Selon Cécile Fromont, le débat a changé. "
    credit = "Cécile Fromont est professeure d’histoire de l’art à l’Université de Chicago."
    assert names(body + credit) == set()
    assert names(named_elsewhere + body + credit) == {"Cécile Fromont"}


def test_each_person_says_why_it_was_taken() -> None:
    found = {p.name: p.reason for p in extract_text(
        "M. Biden a reçu Pekka Haavisto et le régime Assad, soupire Ngozi Okafor."
    ).persons}  # fmt: skip
    assert found == {
        "Biden": "title «M.»",
        "Pekka Haavisto": "first name «Pekka» (dictionary)",
        "Assad": "«régime» before a surname",
        "Ngozi Okafor": "verb of speech «soupire»",
    }


def test_resolve_country_accepts_codes_names_and_adjectives() -> None:
    for text in ("FI", "fi", "Finlande", "FINLANDE", "finlandais"):
        assert resolve_country(text) == "FI"
    assert resolve_country("Etats-Unis") == resolve_country("États-Unis") == "US"
    assert resolve_country("Côte d'Ivoire") == "CI"


def brute_force(engine: Engine, query: str, filters: Filters) -> tuple[Counter[str], Counter[str]]:
    """Facet counts by reading every matching stored article, the slow obvious way."""
    results = engine.search(query, limit=10_000, filters=filters)
    by_country: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    for hit in results.hits:
        by_country.update(hit.countries)
        if hit.date:
            by_month[hit.date.strftime("%Y-%m")] += 1
    return by_country, by_month


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("", Filters()),
        ("OTAN OU Finlande OU Suède", Filters()),
        ("Finlande", Filters(countries=("SE", "Danemark"))),
        ("", Filters(since=None, until=None, countries=("FI",))),
    ],
)
def test_facet_counts_equal_brute_force(
    fixtures_and_seeds: Path, query: str, filters: Filters
) -> None:
    with Engine(fixtures_and_seeds) as engine:
        counts = engine.facets(query, filters=filters, top=1000)
        by_country, by_month = brute_force(engine, query, filters)
    assert {v.value: v.count for v in counts.countries} == dict(by_country)
    assert {v.value: v.count for v in counts.dates} == dict(by_month)
    assert by_country  # the comparison is not vacuous


def test_facet_cache_is_mapped_and_a_damaged_one_is_rebuilt(
    fixtures_index: Path, tmp_path: Path
) -> None:
    """The saved table is read as views of the file's pages, equal to what numpy
    reads; a truncated or compressed cache is not trusted: the counts are the
    same after it was rebuilt."""
    index_dir = tmp_path / "index"
    shutil.copytree(fixtures_index, index_dir)
    with Engine(index_dir) as engine:
        expected = engine.facets("", top=1000)
    [cache] = index_dir.glob(f"{FACET_CACHE_PREFIX}*.npz")
    mapped = _load_arrays(cache)
    assert mapped is not None
    with np.load(cache, allow_pickle=False) as read:
        assert sorted(mapped) == sorted(read.files)
        for name in read.files:
            assert mapped[name].dtype == read[name].dtype
            assert np.array_equal(mapped[name], read[name]), name
    assert not mapped["days"].flags.writeable and not mapped["days"].flags.owndata
    # Where files cannot be mapped, the same views over the file's bytes.
    with zipfile.ZipFile(cache) as archive:
        read_in = _npz_members(cache.read_bytes(), archive.infolist())
    assert all(np.array_equal(read_in[name], mapped[name]) for name in mapped)
    data = cache.read_bytes()
    with np.load(cache, allow_pickle=False) as read:
        compressed = {name: read[name] for name in read.files}
    for damaged in ("truncated", "compressed"):
        if damaged == "truncated":
            cache.write_bytes(data[: len(data) // 2])
        else:
            np.savez_compressed(cache.with_suffix(".tmp.npz"), **compressed)
            cache.with_suffix(".tmp.npz").replace(cache)
        assert _load_arrays(cache) is None, damaged
        with Engine(index_dir) as engine:
            assert engine.facets("", top=1000) == expected, damaged
        assert _load_arrays(cache) is not None, f"{damaged}: not rebuilt"


def test_filters_narrow_and_or(fixtures_and_seeds: Path) -> None:
    with Engine(fixtures_and_seeds) as engine:
        finland = engine.search("", filters=Filters(countries=("FI",)), limit=100).total
        sweden = engine.search("", filters=Filters(countries=("SE",)), limit=100).total
        either = engine.search("", filters=Filters(countries=("FI", "SE")), limit=100).total
        both = engine.search("pays:FI pays:SE", limit=100).total
        assert max(finland, sweden) <= either <= finland + sweden
        assert both == finland + sweden - either
        spring = Filters(countries=("FI",), since=__import__("datetime").date(2022, 3, 1))
        assert engine.search("", filters=spring).total < finland
        with pytest.raises(QuerySyntaxError, match="unknown country"):
            engine.search("", filters=Filters(countries=("Narnia",)))


def test_person_filter_merges_surname_across_corpus(fixtures_and_seeds: Path) -> None:
    with Engine(fixtures_and_seeds) as engine:
        by_full = engine.search('personne:"Jens Stoltenberg"').total
        by_surname = engine.search("person:Stoltenberg").total
        by_filter = engine.search("", filters=Filters(persons=("jens stoltenberg",))).total
    assert by_full == by_surname == by_filter >= 1


def test_cli_facets_and_filters(run: CliRun) -> None:
    data = json.loads(run("facets", "--json", "--top", "3").stdout)
    assert data["countries"][0] == {"value": "FI", "label": "Finlande", "count": 6}
    assert len(data["countries"]) == 3 and data["granularity"] == "month"
    narrowed = json.loads(run("query", "Finlande", "--country", "SE", "--json").stdout)
    assert narrowed["total"] == 4 and all("SE" in h["countries"] for h in narrowed["hits"])
    assert narrowed["facets"]["countries"][0]["value"] in ("FI", "SE")
    years = json.loads(run("facets", "--by", "year", "--json").stdout)["dates"]
    assert [d["value"] for d in years] == ["2018", "2020", "2022"]
    assert run("query", "x", "--country", "Narnia").exit_code == 2


def test_cli_inspect_shape(run: CliRun) -> None:
    result = run("inspect", "seeds/2020-07-02_orangesum-9174.txt", "--json")
    [item] = [json.loads(line) for line in result.stdout.splitlines()]
    assert set(item) >= {"path", "title", "date", "date_source", "countries", "persons"}
    assert item["date"] == "2020-07-02" and item["date_source"] == "metadata"
    assert {"code": "FI", "name": "Finlande", "evidence": ["Finlande", "finlandaise"]} in item[
        "countries"
    ]
    assert {
        "name": "Henrik Gahmberg",
        "mentions": ["Henrik Gahmberg", "M. Gahmberg"],
        "reason": "first name «Henrik» (dictionary)",
    } in item["persons"]
    text = run("inspect", "seeds/2020-07-02_orangesum-9174.txt").stdout
    assert "FI Finlande: Finlande, finlandaise" in text
    assert "Henrik Gahmberg: Henrik Gahmberg, M. Gahmberg — first name «Henrik»" in text


def _gold(name: str) -> list[dict[str, object]]:
    path = SHARED / "gold" / name
    if not path.exists():
        pytest.skip(f"gold annotations not found at {path}")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_quality_on_gold_articles() -> None:
    """The issue's bars, measured like bench/entities.py: a regression guard."""
    gold = {str(g["id"]): g for g in _gold("orangesum_monde_40.jsonl")}
    records = {r["id"]: r for r in orangesum_records(40_000) if r["id"] in gold}
    tallies = {"countries": [0, 0, 0], "persons": [0, 0, 0]}
    for doc_id, g in gold.items():
        r = records[doc_id]
        entities = extract_text("\n".join((r["title"], r["heading"], r["article"])))
        predicted = {
            "countries": {c.code for c in entities.countries},
            "persons": {person_key(p.name) for p in entities.persons},
        }
        expected = {
            "countries": set(g["countries"]),  # type: ignore[arg-type]
            "persons": {person_key(p) for p in g["persons"]},  # type: ignore[attr-defined]
        }
        for kind, tally in tallies.items():
            tally[0] += len(predicted[kind] & expected[kind])
            tally[1] += len(predicted[kind] - expected[kind])
            tally[2] += len(expected[kind] - predicted[kind])
    f1 = {k: 2 * tp / (2 * tp + fp + fn) for k, (tp, fp, fn) in tallies.items()}
    assert f1["countries"] >= 0.95, tallies
    assert f1["persons"] >= 0.90, tallies
