"""Hostile and odd input: each case is reported with its path and reason, skipped,
and nothing else is lost (the good articles beside it stay indexed and found)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.articles import Problem
from index.readers import read_articles
from index.writer import Indexer, IndexReport, Progress
from search.engine import Engine
from search.query import QuerySyntaxError
from tests.conftest import FIXTURES

GOOD = ("otan-helsinki.txt", "securite-frontiere.md")


def corpus_with_good_articles(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in GOOD:
        shutil.copy(FIXTURES / name, corpus)
    return corpus


def assert_good_articles_found(index_dir: Path) -> None:
    with Engine(index_dir) as engine:
        assert engine.search("Helsinki OTAN").total >= 1
        assert engine.search("baltes frontières").total >= 1


def problems_for(report: IndexReport, path: Path) -> list[Problem]:
    return [p for p in report.problems if p.path == str(path)]


def index(tmp_path: Path, *roots: Path) -> IndexReport:
    report = Indexer(tmp_path / "index").update(list(roots))
    assert_good_articles_found(tmp_path / "index")
    return report


def test_empty_binary_and_huge_files(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    (corpus / "vide.txt").write_bytes(b"")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    huge = corpus / "enorme.txt"
    sentence = "Le gouvernement a présenté jeudi sa réforme des retraites au Parlement. " * 40
    with huge.open("w", encoding="utf-8") as out:
        while out.tell() < 200 * 1024 * 1024:
            out.write(sentence + "\n")
    report = index(tmp_path, corpus)
    assert problems_for(report, corpus / "vide.txt")[0].reason == "empty file"
    assert problems_for(report, corpus / "image.txt")[0].reason == "binary data, not text"
    assert problems_for(report, huge)[0].reason.startswith("file too large")
    assert report.added == 2


def test_broken_json_lines_keep_the_other_lines(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    lines = [
        json.dumps({"title": "Grève à la SNCF", "text": "Les cheminots sont en grève mardi."}),
        '{"title": "Coupée", "text": "Une ligne interrompue',
        json.dumps({"title": "Vote au Sénat", "text": "Le Sénat adopte le budget."}),
    ]
    dump = corpus / "depeches.jsonl"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = index(tmp_path, corpus)
    [broken] = problems_for(report, dump)
    assert broken.line == 2 and broken.reason.startswith("invalid JSON")
    with Engine(tmp_path / "index") as engine:
        assert engine.search("cheminots").total == 1 and engine.search("Sénat").total == 1


def test_invalid_utf8_and_mixed_encodings_are_decoded(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    (corpus / "melange.txt").write_bytes(
        "Élection à Lyon\n\nLe maire sortant ".encode()
        + "réélu dès le premier tour".encode("cp1252")
    )
    (corpus / "casse.txt").write_bytes(b"Titre\n\nDes octets \xff\xfe invalides au milieu.")
    report = index(tmp_path, corpus)
    assert report.added == 4
    with Engine(tmp_path / "index") as engine:
        assert engine.search("réélu premier tour").total == 1
        assert engine.search("octets invalides").total == 1


def test_a_file_deleted_or_truncated_while_indexing(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    doomed = corpus / "zz-supprime.txt"
    shrunk = corpus / "zz-tronque.txt"
    for path in (doomed, shrunk):
        path.write_text("Dépêche\n\nUn article qui va disparaître.\n", encoding="utf-8")

    def meddle(progress: Progress) -> None:
        # After the first file: the others are listed, not yet read.
        if progress.files_done == 1 and doomed.exists():
            doomed.unlink()
            shrunk.write_bytes(b"")

    report = Indexer(tmp_path / "index").update([corpus], progress=meddle)
    assert problems_for(report, doomed)[0].reason.startswith("cannot read")
    assert problems_for(report, shrunk)[0].reason == "empty file"
    assert_good_articles_found(tmp_path / "index")
    # The next run agrees with the folder: nothing about the two files remains.
    again = Indexer(tmp_path / "index").update([corpus])
    assert again.added == again.removed == 0


def test_symlink_loops_and_dangling_links(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    (corpus / "boucle").mkdir()
    os.symlink("..", corpus / "boucle" / "retour")  # a folder loop
    os.symlink("soi.txt", corpus / "soi.txt")  # a link to itself
    os.symlink("absent.txt", corpus / "casse.txt")
    os.symlink(corpus / GOOD[0], corpus / "lien.txt")  # a good link: followed
    report = index(tmp_path, corpus)
    assert report.added == 3


@pytest.mark.skipif(
    os.geteuid() == 0, reason="running as root: every file is readable, permissions cannot bite"
)
def test_files_without_read_permission(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    secret = corpus / "secret.txt"
    secret.write_text("Note\n\nUn document confidentiel.\n", encoding="utf-8")
    secret.chmod(0)
    closed = corpus / "ferme"
    closed.mkdir()
    (closed / "dedans.txt").write_text("Dedans\n\nInaccessible.\n", encoding="utf-8")
    closed.chmod(0)
    try:
        report = index(tmp_path, corpus)
        assert problems_for(report, secret)[0].reason.startswith("cannot read")
        assert problems_for(report, closed)[0].reason.startswith("cannot list")
        assert report.added == 2
    finally:
        secret.chmod(0o644)
        closed.chmod(0o755)


def test_names_with_spaces_accents_and_newlines_and_a_path_given_twice(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    odd = corpus / "été 2022\n(copie) «final».txt"
    odd.write_text("Canicule\n\nLa canicule frappe la France cet été.\n", encoding="utf-8")
    report = index(tmp_path, corpus, odd, corpus / GOOD[0])
    assert report.added == 3 and not report.problems
    with Engine(tmp_path / "index") as engine:
        [hit] = engine.search("canicule").hits
        assert hit.path == str(odd)
        article = engine.article(hit.id)
        assert article is not None and article.title == "Canicule"


def test_wrong_types_and_odd_dates_are_warnings(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    records = [
        {"title": ["Une", "liste"], "text": "Dépêche sur la Finlande.", "date": 20220324},
        {"title": "Futur", "text": "Dépêche de l'avenir, sur la Suède.", "date": "2099-01-01"},
        {"title": "Illisible", "text": "Dépêche sur la Norvège.", "date": "le 32 brumaire"},
    ]
    dump = corpus / "2022-05-01_types.jsonl"
    dump.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    report = index(tmp_path, corpus)
    reasons = [(p.line, p.reason) for p in problems_for(report, dump)]
    assert (1, "field 'title' is list, expected text: ignored") in reasons
    assert any(line == 1 and "'date' is not a date" in r for line, r in reasons)
    assert (2, "field 'date' is in the future (2099-01-01): ignored") in reasons
    assert any(line == 3 and "'date' is not a date" in r for line, r in reasons)
    assert report.added == 5  # warnings keep the article
    with Engine(tmp_path / "index") as engine:
        [hit] = engine.search("Suède avenir").hits
        assert hit.date is not None and hit.date.year == 2022  # from the file name


def test_html_without_article_and_deeply_nested_json(tmp_path: Path) -> None:
    corpus = corpus_with_good_articles(tmp_path)
    (corpus / "menu.html").write_text("<html><body><nav>Accueil</nav></body></html>")
    (corpus / "profond.json").write_text("[" * 10_000 + "]" * 10_000)
    report = index(tmp_path, corpus)
    assert problems_for(report, corpus / "menu.html")[0].reason.startswith("no article text")
    assert problems_for(report, corpus / "profond.json")
    assert report.added == 2


@pytest.mark.parametrize(
    "query",
    ["OTAN " * 2_500, '"OTAN Finlande', "(OTAN OR Suède", "OTAN)", "[2022 TO", '"""'],
)
def test_hostile_queries_get_one_line_errors(fixtures_index: Path, query: str) -> None:
    with Engine(fixtures_index) as engine, pytest.raises(QuerySyntaxError) as error:
        engine.search(query)
    assert "\n" not in str(error.value)


def test_stop_words_only_query_finds_nothing(fixtures_index: Path) -> None:
    with Engine(fixtures_index) as engine:
        assert engine.search("le la les de du").total == 0


# --- Fuzzing --------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SUFFIXES = [".txt", ".md", ".json", ".jsonl", ".html"]
french_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "S", "Cc")),
    max_size=400,
) | st.sampled_from(
    ["", "---\ntitle: [\n---\n", '{"title": 1}', "<html>", "\x00\x01", "[" * 300, "«\u00a0»"]
)


@FUZZ_SETTINGS
@given(
    content=st.binary(max_size=600) | french_text.map(str.encode),
    suffix=st.sampled_from(SUFFIXES),
)
def test_fuzz_reading_never_raises(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    for item in read_articles(path):
        assert isinstance(item, Problem) or item.body.strip()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=st.lists(st.tuples(st.sampled_from(SUFFIXES), french_text), max_size=5))
def test_fuzz_indexing_keeps_the_index_openable(tmp_path: Path, files: list) -> None:
    work = tmp_path / f"run-{os.urandom(4).hex()}"  # tmp_path is shared by the examples
    work.mkdir()
    corpus = corpus_with_good_articles(work)
    for n, (suffix, text) in enumerate(files):
        (corpus / f"f{n}{suffix}").write_text(text, encoding="utf-8", errors="surrogatepass")
    Indexer(work / "index").update([corpus])
    assert_good_articles_found(work / "index")


@FUZZ_SETTINGS
@given(
    text=st.text(max_size=80)
    | st.lists(
        st.sampled_from(
            ['"', "(", ")", "[", "]", "{", "}", "OR", "ET", "SAUF", "NOT", "*", "?", "~",
             ":", "^", "titre:", "pays:", "date:", "TO", "OTAN", "l'", "Finlande", "-", "\\"]
        ),
        max_size=12,
    ).map(" ".join)
)  # fmt: skip
def test_fuzz_queries_run_or_fail_with_a_clear_error(fixtures_index: Path, text: str) -> None:
    with Engine(fixtures_index) as engine:
        try:
            results = engine.search(text, facets=True)
        except QuerySyntaxError as error:
            assert str(error) and "\n" not in str(error)
        else:
            assert results.total >= len(results.hits)
