"""`search kwic`: every occurrence the highlighter marks, in context, sorted as
concordancers sort (on the words nearest the match)."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from index.analysis import TOKEN_PATTERN, fold
from tests.conftest import FIXTURES, SEEDS, CliRun


@pytest.fixture
def indexed(run: CliRun) -> CliRun:
    assert run("index", str(SEEDS), str(FIXTURES)).exit_code == 0
    return run


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def kwic(run: CliRun, *args: str) -> list[dict]:  # type: ignore[type-arg]
    result = run("kwic", *args, "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("query", ["Finlande", "OTAN", '"sommet de Madrid"', "sécurité"])
def test_lines_are_the_highlighters_marks(indexed: CliRun, query: str) -> None:
    found = kwic(indexed, query)
    assert found
    by_article: dict[str, set[tuple[str, int, int]]] = defaultdict(set)
    for line in found:
        by_article[line["id"]].add((line["field"], line["start"], line["end"]))
    hits = json.loads(indexed("query", query, "--json", "--limit", "100").stdout)
    assert set(by_article) == {h["id"] for h in hits["hits"]}  # every matching article
    for doc_id, marks in by_article.items():
        article = json.loads(indexed("show", doc_id, "--query", query, "--json").stdout)
        expected = {
            (field, start, end) for field, spans in article["highlights"].items()
            for start, end in spans
        }  # fmt: skip
        assert marks == expected
        for line in (x for x in found if x["id"] == doc_id):
            text = article[line["field"]]
            assert line["match"] == text[line["start"] : line["end"]]
            assert flat(text[: line["start"]]).endswith(line["left"])
            assert flat(text[line["end"] :]).startswith(line["right"])


def test_forms_contexts_and_french_text(indexed: CliRun) -> None:
    found = kwic(indexed, "Finlande", "--width", "25")
    assert {fold(x["match"]) for x in found} >= {"finlande", "finlandaise"}
    assert all(len(x["left"]) <= 25 and len(x["right"]) <= 25 for x in found)
    assert all("\n" not in x["left"] + x["right"] for x in found)
    elided = [x for x in kwic(indexed, "OTAN") if x["left"].endswith(("l'", "l’"))]
    assert elided and all(x["match"].lower() == "otan" for x in elided)  # "l'Otan": the word only


def nearest(words: str, side: str) -> list[str]:
    folded = [fold(w) for w in TOKEN_PATTERN.findall(words)]
    return folded[::-1] if side == "left" else folded


@pytest.mark.parametrize("side", ["left", "right"])
def test_sorted_on_the_nearest_words(indexed: CliRun, side: str) -> None:
    found = kwic(indexed, "Finlande", "--sort", side)
    keys = [nearest(x[side], side) for x in found]
    assert keys == sorted(keys) and len(found) == len(kwic(indexed, "Finlande"))


def test_date_order_limit_and_text_output(indexed: CliRun) -> None:
    dated = kwic(indexed, "Finlande", "--sort", "date")
    days = [x["date"] or "" for x in dated]
    assert days == sorted(days, reverse=True)
    assert len(kwic(indexed, "Finlande", "--limit", "3")) == 3
    result = indexed("kwic", "Finlande", "--width", "30")
    rows = result.stdout.splitlines()
    assert rows and result.stderr.strip() == f"{len(rows)} occurrences"
    # Aligned: the match starts in the same column on every line (date, 2 spaces, 30).
    assert all(fold(row[42:]).startswith("finland") for row in rows)
    assert indexed("kwic", "Zanzibar").exit_code == 1
