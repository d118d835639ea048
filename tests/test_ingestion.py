"""Every input format, and bad input reported with path and reason, never a crash."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from index.articles import Article, Problem
from index.readers import decode, read_articles
from tests.conftest import FIXTURES, SEEDS


def read(path: Path) -> tuple[list[Article], list[Problem]]:
    items = list(read_articles(path))
    return [i for i in items if isinstance(i, Article)], [
        i for i in items if isinstance(i, Problem)
    ]


def test_plain_text_first_line_is_the_title() -> None:
    [article], problems = read(FIXTURES / "otan-helsinki.txt")
    assert problems == []
    assert article.title == "Helsinki se prépare à l’adhésion à l’Alliance"
    assert article.body.startswith("La Finlande a officiellement")
    assert article.id == article.path == str(FIXTURES / "otan-helsinki.txt")
    assert article.date_source == "mtime"


def test_date_from_the_file_name() -> None:
    [article], _ = read(FIXTURES / "2022-05-18_adhesion-depot.txt")
    assert (article.date, article.date_source) == (datetime(2022, 5, 18), "filename")


def test_text_with_sidecar_metadata() -> None:
    [article], problems = read(SEEDS / "2020-07-02_orangesum-9174.txt")
    assert problems == []
    assert (article.date, article.date_source) == (datetime(2020, 7, 2), "metadata")
    assert article.source == "orange.fr (OrangeSum)"
    assert article.url.startswith("https://")


def test_markdown_front_matter_and_french_date() -> None:
    [article], problems = read(FIXTURES / "securite-frontiere.md")
    assert problems == []
    assert article.title == "SÉCURITÉ : les pays baltes renforcent leurs frontières"
    assert (article.date, article.date_source) == (datetime(2022, 3, 24), "metadata")
    assert article.author == "Claire Martin"
    assert article.lead.startswith("L'Estonie")
    # Markdown markup is gone, the words stay.
    assert "**" not in article.body and "](https" not in article.body
    assert "la sécurité à leurs frontières" in article.body
    assert "déclaration commune prévoit" in article.body


def test_json_lines_broken_line_and_bad_records() -> None:
    articles, problems = read(FIXTURES / "depeches.jsonl")
    by_id = {a.id.split("#")[1]: a for a in articles}
    assert set(by_id) == {"a1", "a2", "a4"}
    first = by_id["a1"]
    assert first.source == "AFP"  # {"source": {"name": ...}}
    assert first.date == datetime(2022, 3, 24, 10, 0)
    assert first.lead == "L'OTAN renforce son flanc oriental."
    assert by_id["a2"].author == "Anna Lind, Erik Berg"
    assert by_id["a2"].date == datetime(2022, 5, 16)
    reasons = {(p.line, p.skipped): p.reason for p in problems}
    assert reasons[(2, True)].startswith("invalid JSON")
    assert reasons[(4, True)] == "no article text (empty body)"
    # A wrong type costs the field, not the article.
    assert "'title' is list" in reasons[(5, False)] or "'date'" in reasons[(5, False)]
    assert by_id["a4"].date_source == "mtime"
    assert by_id["a4"].title.startswith("Le Parlement turc")
    assert all(p.path == str(FIXTURES / "depeches.jsonl") for p in problems)


def test_gzipped_json_lines() -> None:
    [article], problems = read(FIXTURES / "dump-compresse.jsonl.gz")
    assert problems == []
    assert article.title == "Vendanges précoces en Champagne"
    assert article.id.endswith("#gz1")


def test_json_list_with_french_field_names() -> None:
    articles, problems = read(FIXTURES / "liste-articles.json")
    assert problems == []
    assert [a.title for a in articles] == ["Grève à la SNCF", "Réforme des retraites"]
    assert len({a.id for a in articles}) == 2


def test_html_page() -> None:
    [article], problems = read(FIXTURES / "page-article.html")
    assert problems == []
    assert article.title == "Tempête Ciaran : la Bretagne balayée par des rafales record"
    assert article.date == datetime(2023, 11, 2)
    assert "780 000 foyers" in article.body
    assert "Accueil" not in article.body and "droits réservés" not in article.body
    assert not article.body.startswith("Tempête Ciaran")  # the <h1> is the title, not body


def test_windows_1252_file_is_decoded() -> None:
    [article], _ = read(FIXTURES / "ancien-encodage.txt")
    assert article.title == "Élections régionales : la participation en hausse"
    assert "« Nous sommes très satisfaits »" in article.body


def test_decoding_bom_latin1_mixed_and_nfc() -> None:
    assert decode("\ufeffÉté".encode()) == "Été"
    assert decode("Café crème".encode("latin-1")) == "Café crème"
    mixed = "Sécurité ".encode() + "Défense".encode("cp1252")
    assert decode(mixed) == "Sécurité Défense"
    assert decode("Se\u0301curite\u0301".encode()) == "Sécurité"  # NFD -> NFC
    assert decode("gouver\u00adnement".encode()) == "gouvernement"


def test_bad_files_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "vide.txt").write_bytes(b"")
    (tmp_path / "blancs.md").write_text("   \n\n")
    (tmp_path / "binaire.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (tmp_path / "casse.json").write_text('{"title": "Sans fin", "text": "Le début')
    (tmp_path / "nombre.json").write_text("42")
    (tmp_path / "profond.json").write_text("[" * 10_000 + "]" * 10_000)
    (tmp_path / "vide.html").write_text("<html><body><nav>Menu</nav></body></html>")
    reasons = {}
    for path in sorted(tmp_path.iterdir()):
        articles, problems = read(path)
        assert articles == []
        assert problems and all(p.skipped and p.path == str(path) for p in problems)
        reasons[path.name] = problems[0].reason
    assert reasons["vide.txt"] == "empty file"
    assert reasons["blancs.md"] == "empty file"
    assert reasons["binaire.txt"] == "binary data, not text"
    assert reasons["casse.json"].startswith("invalid JSON")
    assert reasons["nombre.json"] == "JSON holds a int, not articles"
    assert reasons["profond.json"] in ("JSON nested too deeply", "JSON holds a list, not articles")
    assert reasons["vide.html"] == "no article text found in the HTML page"


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("Titre\nTexte confidentiel.")
    path.chmod(0)
    try:
        articles, problems = read(path)
        if articles:  # running as root: permissions do not apply
            return
        assert problems[0].reason.startswith("cannot read")
    finally:
        path.chmod(0o644)


def test_record_ids_are_stable_and_unique(tmp_path: Path) -> None:
    path = tmp_path / "doublons.jsonl"
    line = {
        "id": "x",
        "title": "Même identifiant",
        "text": "Deux dépêches portent le même identifiant.",
    }
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for _ in range(3)))
    first = [a.id for a in read(path)[0]]
    assert len(set(first)) == 3
    assert first == [a.id for a in read(path)[0]]
