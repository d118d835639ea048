"""Wire copy grouped into stories: the same dispatch republished (retitled, a
byline added, a sentence changed) is one story; another dispatch on the same
subject is not. Collapsed in results, counted once on request, listed by
`show --copies`, and a new copy joins its story on the next update."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.minhash import signature, unpack
from index.writer import Indexer
from search.api import Engine
from search.stories import difference, sentences
from tests.conftest import CliRun

DISPATCH = (
    "Le gouvernement a annoncé jeudi une enveloppe de 400 millions d'euros pour les "
    "soignants de l'hôpital public. Cette décision a été prise à l'issue d'une réunion "
    "avec les syndicats de la fonction publique hospitalière, dans la nuit de mercredi à "
    "jeudi. Elle porte à 7 milliards d'euros l'enveloppe dédiée aux hausses de "
    "rémunérations. Les infirmiers et les aides-soignants recevront une augmentation de "
    "183 euros nets par mois, versée en deux fois. Le ministre de la Santé a salué un "
    "accord historique, tandis que plusieurs syndicats ont refusé de signer le texte. "
    "Une seconde enveloppe de 100 millions d'euros financera la revalorisation des gardes "
    "de nuit. Les négociations reprendront la semaine prochaine sur le temps de travail."
)
ANOTHER = (
    "Les syndicats de soignants appellent à une journée de grève mardi dans les hôpitaux. "
    "Ils jugent insuffisantes les hausses de salaires annoncées par le gouvernement et "
    "réclament des embauches massives. À Paris, un rassemblement est prévu devant le "
    "ministère de la Santé. Les urgences de plusieurs villes fonctionnent déjà au ralenti "
    "faute de personnel, selon les organisations syndicales."
)
COPIES = [
    ("afp", "Hôpital : 400 millions d'euros de plus pour les soignants", DISPATCH),
    ("ouest", "Ségur de la santé : une rallonge pour les soignants", DISPATCH),
    ("sud", "Salaires des soignants : le gouvernement met 400 millions", DISPATCH + " (Avec AFP)"),
    (
        "est",
        "Hôpital public : nouvelle enveloppe",
        DISPATCH.replace(
            "Le ministre de la Santé a salué un accord historique",
            "Olivier Véran a salué jeudi un accord qu'il juge historique",
        ),
    ),
]


def write_dump(folder: Path, records: list[tuple[str, str, str]], start: int = 0) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"fil-{start}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n, (source, title, body) in enumerate(records, start):
            record = {"id": f"{source}-{n}", "title": title, "body": body, "source": source,
                      "date": f"2020-07-{n + 1:02d}"}  # fmt: skip
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def wire(run: CliRun, tmp_path: Path) -> CliRun:
    folder = tmp_path / "fil"
    write_dump(folder, [*COPIES, ("afp", "Grève mardi dans les hôpitaux", ANOTHER)])
    assert run("index", str(folder)).exit_code == 0
    return run


def query(run: CliRun, *args: str) -> dict:  # type: ignore[type-arg]
    result = run("query", *args, "--json", "--limit", "20")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_copies_collapse_into_one_story(wire: CliRun) -> None:
    found = query(wire, "soignants")
    assert found["collapsed"] and found["articles"] == 5 and found["total"] == 2
    story = next(h for h in found["hits"] if h["copy_count"])
    assert story["copy_count"] == 3 and len(story["copies"]) == 3
    ids = {story["id"].split("#")[-1], *(c.split("#")[-1] for c in story["copies"])}
    assert ids == {"afp-0", "ouest-1", "sud-2", "est-3"}
    other = next(h for h in found["hits"] if not h["copy_count"])
    assert other["id"].endswith("#afp-4")  # the same subject, another dispatch
    every = query(wire, "soignants", "--all")
    assert not every["collapsed"] and every["total"] == every["articles"] == 5
    text = wire("query", "soignants").stdout
    assert "2 stories (5 articles" in text and "+3 copies" in text


def test_facets_and_trend_count_stories_on_request(wire: CliRun) -> None:
    def facets(*args: str) -> dict:  # type: ignore[type-arg]
        return json.loads(wire("facets", "soignants", "--by", "year", "--json", *args).stdout)

    assert facets()["dates"] == [{"value": "2020", "label": "2020", "count": 5}]
    stories = facets("--count", "stories")
    assert stories["dates"][0]["count"] == 2 and stories["unit"] == "stories"
    trend = json.loads(wire("trend", "soignants", "--by", "year", "--count", "stories",
                            "--json").stdout)  # fmt: skip
    assert trend["unit"] == "stories" and trend["series"][0]["counts"] == [2]
    assert trend["periods"][0]["articles"] == 2  # all stories of the period, too


def test_show_copies_says_what_differs(wire: CliRun) -> None:
    hit = next(h for h in query(wire, "soignants", "--all")["hits"] if h["id"].endswith("#est-3"))
    shown = json.loads(wire("show", hit["id"], "--copies", "--json").stdout)
    copies = {c["id"].split("#")[-1]: c for c in shown["copies"]}
    assert set(copies) == {"afp-0", "ouest-1", "sud-2"}
    afp = copies["afp-0"]
    assert afp["title_differs"]
    assert afp["only_here"] == [s for s in sentences(COPIES[3][2]) if "Véran" in s]
    assert afp["only_there"] == [s for s in sentences(DISPATCH) if "ministre de la Santé" in s]
    assert copies["sud-2"]["only_there"] == [*afp["only_there"], "(Avec AFP)"]
    text = wire("show", hit["id"], "--copies").stdout
    assert "3 other copies of this story" in text and "only here: Olivier Véran" in text


def test_a_new_copy_joins_its_story_without_a_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "fil"
    write_dump(folder, [COPIES[0], ("afp", "Grève mardi", ANOTHER)])
    index_dir = tmp_path / "index"
    Indexer(index_dir).update([folder])
    write_dump(folder, [COPIES[1]], start=10)  # a new file, indexed incrementally
    report = Indexer(index_dir).update([folder])
    assert report.added == 1 and report.updated == 0
    with Engine(index_dir) as engine:
        found = engine.search("soignants", collapse=True)
        assert (found.total, found.articles) == (2, 3)
        assert {h.copy_count for h in found.hits} == {1, 0}


def test_signatures_estimate_similarity() -> None:
    same = unpack(signature(DISPATCH))
    assert (same == unpack(signature(DISPATCH))).all() and same.any()
    edited = unpack(signature(COPIES[3][2]))
    assert 0.7 <= (same == edited).mean() < 1
    assert (same == unpack(signature(ANOTHER))).mean() < 0.2
    assert not unpack(signature("")).any()  # no words, no signature: joins nothing
    diff = difference("a", "Une phrase.Une autre phrase.", "b", "Une phrase. Une troisième.")
    assert diff.only_here == ["Une autre phrase."] and diff.only_there == ["Une troisième."]


def test_signatures_do_not_change_between_versions() -> None:
    """Indexes keep each article's signature: the hashing must give the same
    values as the version that wrote them (first eight of this dispatch's)."""
    assert signature(DISPATCH)[:32].hex() == (
        "a5cfaf094b5cdc013a1a8301d9385901b3b78d01b0b6b708c5033e03de6ad800"
    )


async def test_the_tui_shows_one_hit_per_story(tmp_path: Path) -> None:
    from tests.test_tui import status, wait_for
    from tui.app import SearchApp
    from tui.widgets.results import ResultsList

    folder = tmp_path / "fil"
    write_dump(folder, [*COPIES, ("afp", "Grève mardi dans les hôpitaux", ANOTHER)])
    Indexer(tmp_path / "index").update([folder])
    app = SearchApp(tmp_path / "index", folder, "soignants", history=tmp_path / "h")

    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: status(app).startswith("2 stories (5 articles"))
        results = app.query_one(ResultsList)
        prompts = [str(results.get_option_at_index(i).prompt) for i in range(2)]
        assert any("+3 copies" in p for p in prompts)
        results.focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: status(app).startswith("5 hits"))
        assert results.option_count == 5

