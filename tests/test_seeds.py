"""The shipped seeds: the two reference articles byte for byte, read well although
they have no title line, and found by the searches the README shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.articles import Article
from index.readers import derived_title, is_title_line, read_articles
from tests.conftest import SEEDS, SHARED, CliRun

REFERENCE = ("000_99cd1769caf176ce.txt", "002_215c51ed475f2f51.txt")


@pytest.mark.parametrize("name", REFERENCE)
def test_reference_seeds_are_the_shared_files_byte_for_byte(name: str) -> None:
    shared = SHARED / "seeds" / name
    if not shared.exists():
        pytest.skip(f"shared seeds not found at {shared.parent}: nothing to compare with")
    assert (SEEDS / name).read_bytes() == shared.read_bytes()


def only_article(path: Path) -> Article:
    [article] = [a for a in read_articles(path) if isinstance(a, Article)]
    return article


def test_a_text_without_title_line_gets_a_derived_title_and_keeps_its_paragraph() -> None:
    madrid = only_article(SEEDS / REFERENCE[0])
    assert madrid.title_source == "derived"
    assert madrid.title.startswith("L'engagement de M. Biden au sommet de Madrid")
    assert madrid.title.endswith("…") and len(madrid.title) <= 101
    assert madrid.body.startswith(madrid.title[:-1])  # the paragraph stays in the body
    titled = only_article(SEEDS / "2020-07-02_orangesum-9174.txt")
    assert titled.title_source == "first-line"
    assert titled.title.startswith("La Finlande retire discrètement")
    assert not titled.body.startswith("La Finlande retire")


def test_what_counts_as_a_title_line() -> None:
    body = "Le texte suit."
    assert is_title_line("Helsinki se prépare à l’adhésion à l’Alliance", body)
    assert is_title_line("Pourquoi la Finlande veut-elle rejoindre l'OTAN ?", body)
    assert is_title_line("La neutralité en question...", body)
    assert not is_title_line("Le ministre a parlé jeudi devant les députés.", body)
    assert not is_title_line("Selon le gouvernement, la réforme sera votée, ", body)
    assert not is_title_line("mot " * 40, body)
    assert is_title_line("Un seul paragraphe qui se termine par un point.", "")


def test_derived_titles_are_cut_between_words() -> None:
    text = "Le secrétaire général de l'Otan a annoncé ce jeudi de nouvelles mesures en " * 3
    title = derived_title(text)
    assert title.endswith("…") and not title[:-1].endswith(" ")
    assert text.startswith(title[:-1]) and text[len(title) - 1] == " "
    assert derived_title("Court paragraphe.\nSuite.") == "Court paragraphe."


def test_a_sidecar_title_wins(tmp_path: Path) -> None:
    path = tmp_path / "madrid.txt"
    path.write_bytes((SEEDS / REFERENCE[0]).read_bytes())
    path.with_name("madrid.txt.meta.yaml").write_text("title: Sommet de Madrid\n", "utf-8")
    article = only_article(path)
    assert (article.title, article.title_source) == ("Sommet de Madrid", "metadata")
    assert article.body.startswith("L'engagement de M. Biden")


def test_the_searches_the_issue_names(run: CliRun) -> None:
    found = json.loads(run("query", "Finlande", "--json").stdout)
    [madrid] = [h for h in found["hits"] if h["path"].endswith(REFERENCE[0])]
    assert madrid["title_source"] == "derived" and madrid["title"].startswith("L'engagement")
    marked = {madrid["snippet"][s:e].lower() for s, e in madrid["highlights"]}
    assert marked & {"finlande", "finlandais"}

    stoltenberg = json.loads(run("query", "Stoltenberg", "--json").stdout)
    assert {Path(h["path"]).name for h in stoltenberg["hits"]} >= set(REFERENCE)

    facets = json.loads(run("facets", "OTAN", "--json").stdout)
    assert "Jens Stoltenberg" in [p["label"] for p in facets["persons"]]
