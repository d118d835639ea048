"""Article text is data, never terminal control: escape sequences in any format are
dropped at ingestion (with a warning), and every output path stays safe even for
an index written before that (or a file name that holds them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index.articles import Article
from index.readers import read_articles
from index.schema import document_fields
from index.store import create_index
from search.engine import Engine
from tests.conftest import FIXTURES, run_subprocess

# Clear screen, red, window title, clipboard write (OSC 52, unterminated), a C1 CSI.
SEQUENCES = ["\x1b[2J", "\x1b[31m", "\x1b]0;pwned\x07", "\x1b]52;c;ZWNobyBoaQ==", "\x9b31m"]
TITLE = "Les Baltes et la Finlande{} renforcent leurs frontières"
BODY = (
    "Les ministres de la Défense de Finlande{} et des pays baltes ont annoncé jeudi à "
    "Helsinki un renforcement des patrouilles à la frontière avec la Russie."
)


def hostile(sequence: str) -> dict[str, str]:
    return {"title": TITLE.format(sequence), "text": BODY.format(sequence), "date": "2022-05-12"}


def write_formats(folder: Path, sequence: str) -> list[Path]:
    """The same hostile article as JSON Lines, JSON, Markdown and plain text."""
    folder.mkdir(parents=True)
    record = hostile(sequence)
    (folder / "depeches.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (folder / "article.json").write_text(json.dumps(record), encoding="utf-8")
    front = f"---\ntitle: {json.dumps(record['title'])}\ndate: 2022-05-12\n---\n"
    (folder / "article.md").write_text(front + record["text"] + "\n", encoding="utf-8")
    (folder / "article.txt").write_text(f"{record['title']}\n\n{record['text']}\n", "utf-8")
    return sorted(folder.iterdir())


def no_control(text: str) -> bool:
    return not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)


@pytest.mark.parametrize("sequence", SEQUENCES, ids=["clear", "colour", "title", "osc52", "c1"])
def test_sequences_are_dropped_at_ingestion_in_every_format(tmp_path: Path, sequence: str) -> None:
    for path in write_formats(tmp_path / "corpus", sequence):
        items = list(read_articles(path))
        articles = [i for i in items if isinstance(i, Article)]
        assert len(articles) == 1, (path.name, items)
        article = articles[0]
        assert no_control(article.title) and no_control(article.body), path.name
        assert "Finlande" in article.body and "frontières" in article.title
        warnings = [i for i in items if not isinstance(i, Article)]
        assert any("control characters removed" in w.reason for w in warnings), path.name


def test_every_output_path_is_safe(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_formats(corpus, "".join(SEQUENCES))
    env = {"SEARCH_INDEX": str(index_dir)}
    built = run_subprocess("index", str(corpus), env=env)
    assert built.returncode == 0, built.stderr
    outputs = [
        run_subprocess("query", "Finlande", env=env),
        run_subprocess("query", "Finlande", "--json", env=env),
        run_subprocess("show", str(corpus / "article.txt"), "--query", "Finlande", env=env),
        run_subprocess("inspect", str(corpus), env=env),
        run_subprocess("facets", "Finlande", env=env),
    ]
    for done in outputs:
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout + done.stderr and "\x9b" not in done.stdout
        assert no_control(done.stdout) and no_control(done.stderr)
    assert "Finlande" in outputs[0].stdout


def test_an_index_from_before_the_fix_is_shown_safely(tmp_path: Path) -> None:
    """Articles written straight into the index, as an older version would have."""
    index_dir = tmp_path / "index"
    ix = create_index(index_dir)
    writer = ix.writer()
    record = hostile("\x1b]52;c;ZWNobyBoaQ==\x1b[2J")
    article = Article(
        id=str(tmp_path / "x\x1b[31m.txt"),
        path=str(tmp_path / "x\x1b[31m.txt"),
        title=record["title"],
        body=record["text"],
        source="AFP\x1b[5m",
    )
    writer.add_document(**document_fields(article))
    writer.commit()
    with Engine(index_dir) as engine:
        hit = engine.search("Finlande").hits[0]
        assert no_control(hit.title) and no_control(hit.snippet.text) and no_control(hit.source)
        shown = engine.article(article.id, "Finlande")
        assert shown is not None and no_control(shown.body) and no_control(shown.title)
    env = {"SEARCH_INDEX": str(index_dir)}
    for args in (("query", "Finlande"), ("show", article.id)):
        done = run_subprocess(*args, env=env)
        assert done.returncode == 0, done.stderr
        assert no_control(done.stdout) and no_control(done.stderr)


def test_facet_caches_are_not_pickles(tmp_path: Path) -> None:
    """The only unpickling left when opening an index is Whoosh's own schema."""
    index_dir = tmp_path / "index"
    shutil.copytree(FIXTURES, tmp_path / "corpus")
    env = {"SEARCH_INDEX": str(index_dir)}
    assert run_subprocess("index", str(tmp_path / "corpus"), env=env).returncode == 0
    assert run_subprocess("facets", env=env).returncode == 0
    caches = [p for p in index_dir.rglob(".facets-*") if p.is_file()]
    assert caches, "no facet cache was written"
    for cache in caches:
        head = cache.read_bytes()[:2]
        assert head != b"\x80\x05" and not cache.name.endswith(".pickle"), cache.name
