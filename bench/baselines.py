"""The reference points ``bench/run.py`` compares the product with.

- **bare Whoosh**: the French chain anyone would write with Whoosh's own parts
  (``bench.chains.bare_whoosh_analyzer``: regex words, lowercase, accent map,
  French stop words, Snowball), title and body fields, the id stored, one
  writer; queried with ``MultifieldParser(["title", "body"])`` (words AND-ed),
  top 10, no snippets or facets. It runs on the Whoosh installed here (the
  product's whoosh3, 1.26x faster to build than 2.7.4, see README "Whoosh").
- **tantivy** (optional, ``pip install tantivy``; never a runtime dependency):
  the same fields with lowercase + ASCII folding + Snowball French; words
  AND-ed (``+word``) except in OR queries, top 10.

Each builds in a child process (``python bench/baselines.py build KIND CORPUS
DIR``) so that its peak memory is measured alone; queries run in-process.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chains import bare_whoosh_analyzer  # noqa: E402


def _records(corpus: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as stream:  # type: ignore[operator]
        for line in stream:
            record = json.loads(line)
            if record.get("article", "").strip():
                yield record


# --- bare Whoosh --------------------------------------------------------------------


def build_whoosh(corpus: Path, directory: Path) -> int:
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.index import create_in

    analyzer = bare_whoosh_analyzer()
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer),
        body=TEXT(analyzer=analyzer),
    )
    directory.mkdir(parents=True, exist_ok=True)
    writer = create_in(str(directory), schema).writer(limitmb=256)
    count = 0
    for record in _records(corpus):
        writer.add_document(id=str(record["id"]), title=record["title"], body=record["article"])
        count += 1
    writer.commit()
    return count


class WhooshBaseline:
    def __init__(self, directory: Path) -> None:
        from whoosh import qparser
        from whoosh.index import open_dir

        self.index = open_dir(str(directory))
        self.searcher = self.index.searcher()
        self.parser = qparser.MultifieldParser(["title", "body"], self.index.schema)

    def search(self, text: str) -> int:
        results = self.searcher.search(self.parser.parse(text), limit=10)
        return len(results.top_n)

    def close(self) -> None:
        self.searcher.close()


# --- tantivy ------------------------------------------------------------------------


def _tantivy_schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="fr")
    builder.add_text_field("body", tokenizer_name="fr")
    return builder.build()


def _tantivy_index(directory: Path) -> Any:
    import tantivy

    index = tantivy.Index(_tantivy_schema(), path=str(directory))
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("french"))
        .build()
    )
    index.register_tokenizer("fr", analyzer)
    return index


def build_tantivy(corpus: Path, directory: Path) -> int:
    import tantivy

    directory.mkdir(parents=True, exist_ok=True)
    index = _tantivy_index(directory)
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    count = 0
    for record in _records(corpus):
        writer.add_document(
            tantivy.Document(id=str(record["id"]), title=record["title"], body=record["article"])
        )
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


_WORDS = re.compile(r"\w+")


class TantivyBaseline:
    def __init__(self, directory: Path) -> None:
        self.index = _tantivy_index(directory)
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, text: str) -> int:
        words = [w for w in _WORDS.findall(text) if w != "OR"]
        if not words:
            return 0
        if text.startswith('"'):
            query_text = '"' + " ".join(words) + '"'
        elif " OR " in text:
            query_text = " ".join(words)
        else:
            query_text = " ".join(f"+{w}" for w in words)
        query = self.index.parse_query(query_text, ["title", "body"])
        return len(self.searcher.search(query, 10).hits)

    def close(self) -> None:
        pass


def tantivy_available() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


BUILDERS = {"whoosh": build_whoosh, "tantivy": build_tantivy}


def main() -> None:
    _, command, kind, corpus, directory = sys.argv
    assert command == "build", "usage: baselines.py build whoosh|tantivy CORPUS DIR"
    target = Path(directory)
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    count = BUILDERS[kind](Path(corpus), target)
    print(json.dumps({"articles": count, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
