"""The query language, row by row as the README's table writes it, on both roads:
the numpy ranking (:mod:`search.ranking`) and Whoosh's own matchers, which
must find the same articles. Then its errors, its phrases (matched, marked
and concorded as phrases), the person field, and properties that hold for
any query (Hypothesis).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.writer import Indexer
from search import grammar
from search.concordance import concordance
from search.engine import Engine
from search.query import QuerySyntaxError

Found = Callable[[str], frozenset[str]]


@pytest.fixture(scope="module", params=["numpy", "whoosh"])
def engine(request: pytest.FixtureRequest, fixtures_and_seeds: Path) -> Iterator[Engine]:
    with Engine(fixtures_and_seeds, numpy_ranking=request.param == "numpy") as opened:
        yield opened


@pytest.fixture(scope="module")
def found(engine: Engine) -> Found:
    """The ids of every article a query finds (each article, not each story)."""
    cache: dict[str, frozenset[str]] = {}

    def ids(text: str) -> frozenset[str]:
        if text not in cache:
            results = engine.search(text, limit=1000, collapse=False)
            cache[text] = frozenset(hit.id for hit in results.hits)
            assert len(cache[text]) == results.total, text
        return cache[text]

    return ids


EVERY = "*"

# What each row of the README's table means, as a relation between result sets.
ROWS: list[tuple[str, Callable[[Found], bool]]] = [
    ("Finlande Suède", lambda f: f("Finlande Suède") == f("Finlande") & f("Suède")),
    ("Finlande ET Suède", lambda f: f("Finlande ET Suède") == f("Finlande Suède")),
    ("Finlande AND Suède", lambda f: f("Finlande AND Suède") == f("Finlande Suède")),
    ("Finlande OU Suède", lambda f: f("Finlande OU Suède") == f("Finlande") | f("Suède")),
    ("Finlande OR Suède", lambda f: f("Finlande OR Suède") == f("Finlande OU Suède")),
    ("OTAN SAUF Turquie", lambda f: f("OTAN SAUF Turquie") == f("OTAN") - f("Turquie")),
    ("OTAN NOT Turquie", lambda f: f("OTAN NOT Turquie") == f("OTAN SAUF Turquie")),
    ("OTAN -Turquie", lambda f: f("OTAN -Turquie") == f("OTAN SAUF Turquie")),
    ("OTAN +Turquie", lambda f: f("OTAN +Turquie") == f("OTAN Turquie")),
    ("SAUF Suède", lambda f: f("SAUF Suède") == f(EVERY) - f("Suède")),
    ("-Suède", lambda f: f("-Suède") == f("SAUF Suède")),
    (
        "(Finlande OU Suède) ET OTAN",
        lambda f: f("(Finlande OU Suède) ET OTAN") == (f("Finlande") | f("Suède")) & f("OTAN"),
    ),
    # OR binds tighter than AND, as in Google.
    (
        "Finlande OU Suède OTAN",
        lambda f: f("Finlande OU Suède OTAN") == f("(Finlande OU Suède) OTAN"),
    ),
    (
        '"sommet de Madrid"',
        lambda f: bool(f('"sommet de Madrid"')) and f('"sommet de Madrid"') <= f("sommet Madrid"),
    ),
    ('"Madrid sommet"', lambda f: not f('"Madrid sommet"') and bool(f("Madrid sommet"))),
    (
        '"Finlande OTAN"~12',
        lambda f: f('"Finlande OTAN"') <= f('"Finlande OTAN"~12') <= f("Finlande OTAN"),
    ),
    ("États-Unis", lambda f: f("États-Unis") == f('"États Unis"') and bool(f("États-Unis"))),
    ("titre:Finlande", lambda f: bool(f("titre:Finlande")) and f("titre:Finlande") < f("Finlande")),
    (
        'titre:"croix gammée"',
        lambda f: (
            bool(f('titre:"croix gammée"'))
            and f('titre:"croix gammée"') <= f("titre:croix titre:gammée")
        ),
    ),
    ('titre:"États-Unis"', lambda f: f('titre:"États-Unis"') == f("titre:États-Unis") != set()),
    (
        "titre:(Finlande OU Suède)",
        lambda f: f("titre:(Finlande OU Suède)") == f("titre:Finlande") | f("titre:Suède"),
    ),
    ("source:Reuters", lambda f: bool(f("source:Reuters"))),
    (
        'source:"orange.fr"',
        lambda f: f('source:"orange.fr"') == f("source:orange source:fr") != set(),
    ),
    ("rubrique:société", lambda f: f("rubrique:société") == f("rubrique:societe")),
    ("pays:finlande", lambda f: f("pays:finlande") == f("country:FI") == f("pays:FI") != set()),
    ('pays:"Etats-Unis"', lambda f: f('pays:"Etats-Unis"') == f("country:US") != set()),
    (
        "personne:Stoltenberg",
        lambda f: f("personne:Stoltenberg") == f('personne:"Jens Stoltenberg"') != set(),
    ),
    ("date:2022", lambda f: f("date:2022") == f("date:[2022-01-01 TO 2022-12-31]") != set()),
    (
        "date:>2022-03-24",
        lambda f: f("date:>2022-03-24") == f("date:>=2022-03-25") < f("date:>=2022-03-24"),
    ),
    ("date:<2022", lambda f: f("date:<2022") == f("date:<=2021") == f(EVERY) - f("date:>=2022")),
    ("sécur*", lambda f: f("sécurité") <= f("sécur*") and f("sécur*") == f("secur*")),
    ("Stoltenbrg~", lambda f: f("Stoltenberg") <= f("Stoltenbrg~")),
    ("Stoltenbreg~2", lambda f: f("Stoltenberg") <= f("Stoltenbreg~2")),
    ("*", lambda f: len(f(EVERY)) > len(f("Finlande"))),
    ("Finlande : Suède ! *", lambda f: f("Finlande : Suède ! *") == f("Finlande Suède")),
]


@pytest.mark.parametrize("row", ROWS, ids=[text for text, _ in ROWS])
def test_each_row_means_what_the_table_says(
    row: tuple[str, Callable[[Found], bool]], found: Found
) -> None:
    text, holds = row
    assert holds(found), text


def test_both_roads_find_the_same_articles(fixtures_and_seeds: Path) -> None:
    with Engine(fixtures_and_seeds) as fast, Engine(fixtures_and_seeds, numpy_ranking=False) as ref:
        for text, _ in ROWS:
            a = fast.search(text, limit=1000, collapse=False)
            b = ref.search(text, limit=1000, collapse=False)
            assert {h.id for h in a.hits} == {h.id for h in b.hits}, text


ERRORS = [
    ("Finlande AND", "AND needs a word on each side"),
    ("Finlande OR", "OR needs a word on each side"),
    ("AND Finlande", "AND needs a word on each side"),
    ("OU Finlande", "OU needs a word on each side"),
    ("Finlande ET", "ET needs a word on each side"),
    ("Finlande OU ET Suède", "OU needs a word on each side"),
    ("NOT", "NOT needs something to exclude"),
    ("Finlande SAUF", "SAUF needs something to exclude"),
    ("Finlande~0.8", "1 or 2 edits"),
    ("Finlande~3", "1 or 2 edits"),
    ('"Finlande Suède"~x', "whole number"),
    ("titre:", "nothing after titre:"),
    ('"croix gammée', "unbalanced quote"),
    ("(Finlande", "'(' is never closed"),
    ("Finlande)", "')' closes nothing"),
    ("()", "empty brackets"),
    ("date:[banana TO 2020]", "not a date: 'banana'"),
    ("date:2022-13", "not a date"),
    ("titre:[2020 TO 2021]", "a range goes with the date field"),
    ("pays:F*", "wildcards are for words"),
    ("pays:atlantide", "atlantide"),
]


@pytest.mark.parametrize("case", ERRORS, ids=[text for text, _ in ERRORS])
def test_what_cannot_be_read_as_written_is_an_error(case: tuple[str, str], engine: Engine) -> None:
    text, message = case
    with pytest.raises(QuerySyntaxError, match=re.escape(message)):
        engine.search(text)


def test_errors_reach_the_user_as_one_line_and_exit_2(run: Callable[..., object]) -> None:
    for args in (["Finlande", "AND"], ["NOT"], [""], ["Finlande~0.8"], ['auteur:"Jean Dupont" (']):
        result = run("query", *args)
        assert result.exit_code == 2, args  # type: ignore[attr-defined]
        lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
        assert len(lines) == 1 and lines[0].startswith("error: query syntax: "), lines


def test_a_phrase_in_any_text_field_is_a_phrase(tmp_path: Path) -> None:
    """``auteur:"…"``, ``rubrique:"…"``, ``source:"…"`` were a traceback."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n, (author, section) in enumerate(
        [
            ("Jean Dupont", "Politique étrangère"),
            ("Marie Dupont", "Économie"),
            ("Dupont Jean", "Étrangère politique"),
        ]
    ):
        (corpus / f"{n}.md").write_text(
            f"---\ntitle: Article {n}\nauthor: {author}\nsection: {section}\n"
            f"source: Le Monde diplomatique\n---\nLa Finlande et la Suède rejoignent l'OTAN.\n",
            encoding="utf-8",
        )
    index_dir = tmp_path / "index"
    Indexer(index_dir).update([corpus])
    with Engine(index_dir) as opened:

        def titles(text: str) -> list[str]:
            return sorted(h.title for h in opened.search(text, collapse=False).hits)

        assert titles('auteur:"Jean Dupont"') == ["Article 0"]
        assert titles("auteur:Jean auteur:Dupont") == ["Article 0", "Article 2"]
        assert titles('rubrique:"politique etrangere"') == ["Article 0"]
        assert titles('source:"monde diplomatique"') == ["Article 0", "Article 1", "Article 2"]
        assert titles('source:"diplomatique monde"') == []


def test_a_phrase_is_marked_and_concorded_as_a_phrase(fixtures_and_seeds: Path) -> None:
    with Engine(fixtures_and_seeds) as opened:
        hit = opened.search('"sommet de Madrid"').hits[0]
        marked = [hit.snippet.text[s:e] for s, e in hit.snippet.highlights]
        assert marked and all(m.lower() == "sommet de madrid" for m in marked), marked
        lines = list(concordance(opened, '"sommet de Madrid"'))
        assert lines and all(line.match.lower() == "sommet de madrid" for line in lines)
        # Every lone "sommet" or "Madrid" of the same article is left unmarked.
        article = opened.article(hit.id, '"sommet de Madrid"')
        assert article is not None
        body_marks = [article.body[s:e] for s, e in article.highlights["body"]]
        assert body_marks and set(m.lower() for m in body_marks) == {"sommet de madrid"}
        assert article.body.count("Madrid") > len(body_marks)


def test_a_phrase_and_a_word_are_both_marked(fixtures_and_seeds: Path) -> None:
    with Engine(fixtures_and_seeds) as opened:
        text = '"sommet de Madrid" Biden'
        lines = list(concordance(opened, text))
        matches = {line.match.lower() for line in lines}
        assert matches == {"sommet de madrid", "biden"}, matches


def test_a_person_field_matches_every_person_of_that_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = {
        "emmanuel.txt": "Le président Emmanuel Macron a reçu jeudi le chancelier allemand.",
        "brigitte.txt": "Brigitte Macron a visité une école à Amiens, a annoncé l'Élysée.",
        "surname.txt": "Selon M. Macron, la réforme des retraites ira jusqu'au bout.",
        "other.txt": "Le Premier ministre Édouard Philippe a défendu son bilan à Matignon.",
    }
    for name, text in texts.items():
        (corpus / name).write_text(text + "\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    Indexer(index_dir).update([corpus])
    with Engine(index_dir) as opened:

        def files(text: str) -> set[str]:
            return {Path(h.path).name for h in opened.search(text, collapse=False).hits}

        assert files("personne:Macron") == {"emmanuel.txt", "brigitte.txt", "surname.txt"}
        assert files('personne:"Emmanuel Macron"') == {"emmanuel.txt"}
        assert files("personne:emmanuel") == {"emmanuel.txt"}
        assert files("personne:Philippe") == {"other.txt"}
        assert files("personne:Dupont") == set()
        (note,) = opened.search("personne:macron").notes
        assert note.startswith("personne:macron matches 3 persons: ")
        assert {"Emmanuel Macron", "Brigitte Macron", "Macron"} == set(
            note.split(": ", 1)[1].split(", ")
        )
        assert opened.search('personne:"Emmanuel Macron"').notes == ()


# --- Properties over random queries --------------------------------------------------

WORDS = (
    "Finlande Suède OTAN Turquie Russie Ukraine sommet Madrid sécurité président guerre "
    "Europe adhésion Helsinki alliance"
).split()
FIELDS = ["titre", "source", "chapo"]

words = st.sampled_from(WORDS)
atoms = st.one_of(
    words,
    st.builds(lambda a, b: f'"{a} {b}"', words, words),
    st.builds(lambda f, w: f"{f}:{w}", st.sampled_from(FIELDS), words),
)
queries = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a} {b})", inner, inner),
        st.builds(lambda a, b: f"({a} OU {b})", inner, inner),
        st.builds(lambda a, b: f"({a} -{b})", inner, inner),
    ),
    max_leaves=4,
)
PROPERTIES = settings(
    max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip


@PROPERTIES
@given(a=queries, b=queries)
def test_exclusion_and_alternatives(found: Found, a: str, b: str) -> None:
    assert found(f"{a} -{b}") <= found(a)
    assert found(f"{a} -{b}") == found(a) - found(b)
    assert found(f"{a} OU {b}") >= found(a) | found(b)
    assert found(f"{a} {b}") == found(a) & found(b)


@PROPERTIES
@given(field=st.sampled_from(FIELDS), a=words, b=words)
def test_a_field_phrase_is_within_the_fields_and(found: Found, field: str, a: str, b: str) -> None:
    assert found(f'{field}:"{a} {b}"') <= found(f"{field}:{a} {field}:{b}")
    assert found(f'"{a} {b}"') <= found(f"{a} {b}")


@PROPERTIES
@given(a=queries)
def test_every_generated_query_parses_to_a_tree(a: str) -> None:
    assert grammar.parse(a) is not None


def test_dates_are_whole_days() -> None:
    assert grammar.parse("date:2022-02") == grammar.DateRange(date(2022, 2, 1), date(2022, 2, 28))
    assert grammar.parse("date:[2020 TO]") == grammar.DateRange(date(2020, 1, 1), None)
    assert grammar.parse("date:<=2021-06") == grammar.DateRange(None, date(2021, 6, 30))
