"""Taking a result set out: every match, streamed, as CSV, JSON Lines, or the bulk
file an OpenSearch / Elasticsearch cluster loads.

Records are produced one article at a time from :meth:`Engine.matching_articles`
(document numbers and scores only), so memory stays flat whatever the
number of matches; only the article being written is in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal

from index.analysis import APOSTROPHES, ELIDED, FRENCH_STOP_WORDS
from index.articles import printable
from index.dates import iso
from search.i18n import _

if TYPE_CHECKING:  # annotations only: the CLI lists the formats without the engine
    from search.engine import Article, Engine, Sort
    from search.filters import Filters

Format = Literal["csv", "jsonl", "opensearch"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "opensearch")

# What each record can hold; the text fields only on request (they are long).
FIELDS = (
    "id", "date", "title", "source", "url", "author", "section", "countries", "persons",
    "score", "path", "date_source", "title_source", "lead", "body",
)  # fmt: skip
DEFAULT_FIELDS = FIELDS[:11]
TEXT_FIELDS = ("lead", "body")


class UnknownField(ValueError):
    pass


def check_fields(fields: Sequence[str]) -> tuple[str, ...]:
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise UnknownField(_("unknown field {field} (fields: {fields})").format(
            field=repr(unknown[0]), fields=", ".join(FIELDS)))  # fmt: skip
    return tuple(fields)


def record(article: Article, score: float | None) -> dict[str, Any]:
    """One exported article, every field (lists stay lists)."""
    return {
        "id": article.id,
        "date": iso(article.date),
        "title": article.title,
        "source": article.source,
        "url": article.url,
        "author": article.author,
        "section": article.section,
        "countries": list(article.countries),
        "persons": list(article.persons),
        "score": None if score is None else round(score, 4),
        "path": article.path,
        "date_source": article.date_source,
        "title_source": article.title_source,
        "lead": article.lead,
        "body": article.body,
    }


def records(
    engine: Engine,
    text: str,
    *,
    filters: Filters | None = None,
    sort: Sort = "relevance",
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every match of *text* as a :func:`record`, in rank (or date) order."""
    total, matches = engine.matching_articles(text, filters=filters, sort=sort)
    for done, (article, score) in enumerate(matches, 1):
        yield record(article, score)
        if progress:
            progress(done, total)


def write_csv(
    rows: Iterator[dict[str, Any]], out: IO[str], fields: Sequence[str], *, excel: bool = False
) -> int:
    """RFC 4180 CSV; *excel*: ``;`` between fields, as French Excel opens by
    double-click (the caller writes the BOM). Lists are joined with ``, ``."""
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(fields)
    count = 0
    for row in rows:
        writer.writerow([_cell(row[f]) for f in fields])
        count += 1
    return count


def _cell(value: Any) -> str:
    """A CSV cell: text with no control character, which a spreadsheet cannot
    show and a terminal would obey (ESC in a file name clears the screen)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return printable(", ".join(value))
    return printable(str(value))


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str], fields: Sequence[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({f: row[f] for f in fields}, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_bulk(
    rows: Iterator[dict[str, Any]], out: IO[str], index_name: str, roots: Sequence[str] = ()
) -> int:
    """The ``_bulk`` NDJSON: an ``index`` action and the document, per article.

    ``_id`` is the one ``search index --cluster`` gives the article (its path
    under the folder indexed, hashed: stable when the archive moves, of fixed
    length, no local path in it), so a re-export, or a push, updates rather
    than duplicates. Empty fields are left out (an empty string would be a
    bucket of its own in an aggregation)."""
    from cluster.documents import document_id, shown_path

    count = 0
    for row in rows:
        path, sep, record = row["id"].partition("#")
        shown = shown_path(path, roots) + sep + record
        action = {"index": {"_index": index_name, "_id": document_id(shown)}}
        document = {
            f: row[f]
            for f in FIELDS
            if f not in ("score", "date_source") and row[f] not in ("", None, [])
        }
        out.write(json.dumps(action, ensure_ascii=False) + "\n")
        out.write(json.dumps(document, ensure_ascii=False) + "\n")
        count += 1
    return count


def write(
    rows: Iterator[dict[str, Any]],
    out: IO[str],
    fmt: Format,
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
    excel: bool = False,
    index_name: str = "presse",
    roots: Sequence[str] = (),
) -> int:
    """*rows* (from :func:`records`) in format *fmt*; returns how many were written."""
    if fmt == "csv":
        return write_csv(rows, out, fields, excel=excel)
    if fmt == "jsonl":
        return write_jsonl(rows, out, fields)
    return write_bulk(rows, out, index_name, roots)


def suffix(fmt: Format) -> str:
    """The file name ending of each format."""
    return {"csv": ".csv", "jsonl": ".jsonl", "opensearch": ".ndjson"}[fmt]


def index_template(index_name: str) -> dict[str, Any]:
    """An index template whose analyzer comes as close to ours as those engines
    allow: the same elided articles and apostrophes, lowercase and ASCII folding,
    our folded stop words, Snowball French; countries and persons as keywords
    for aggregations, the date as a date."""
    text = {"type": "text", "analyzer": "french_news"}
    keyword_text = {**text, "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    apostrophes = {"type": "mapping", "mappings": [f"{a}=>'" for a in APOSTROPHES if a != "'"]}
    return {
        "index_patterns": [f"{index_name}*"],
        "template": {
            "settings": {
                "analysis": {
                    "char_filter": {"french_apostrophes": apostrophes},
                    "filter": {
                        "french_elision": {
                            "type": "elision",
                            "articles_case": True,
                            "articles": list(ELIDED),
                        },
                        "french_stop": {
                            "type": "stop",
                            "stopwords": sorted(FRENCH_STOP_WORDS),
                        },
                        "french_snowball": {"type": "snowball", "language": "French"},
                    },
                    "analyzer": {
                        "french_news": {
                            "type": "custom",
                            "char_filter": ["french_apostrophes"],
                            "tokenizer": "standard",
                            "filter": [
                                "french_elision",
                                "lowercase",
                                "asciifolding",
                                "french_stop",
                                "french_snowball",
                            ],
                        }
                    },
                }
            },
            "mappings": {
                "properties": {
                    "id": {"type": "keyword"},
                    "path": {"type": "keyword"},
                    "url": {"type": "keyword", "index": False},
                    "date": {"type": "date", "format": "strict_date_optional_time"},
                    "title_source": {"type": "keyword"},
                    "title": keyword_text,
                    "lead": text,
                    "body": text,
                    "source": keyword_text,
                    "author": keyword_text,
                    "section": keyword_text,
                    "countries": {"type": "keyword"},
                    "persons": {"type": "keyword"},
                }
            },
        },
    }
