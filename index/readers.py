"""Reading article files of every supported format into :class:`Article` records.

Every format ends up as the same thing, a *record* (a mapping of metadata
plus text), which :func:`article_from_record` turns into an article: JSON
objects are records already, front matter and sidecar files are records
with the body as their text, and HTML pages become records through
trafilatura. One mapping of field names therefore serves all formats.

Nothing here raises on bad input: problems are yielded as :class:`Problem`
values with the path, the line where there is one, and the reason.
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import time
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from index.analysis import INVISIBLE
from index.articles import Article, Problem
from index.dates import date_from_filename, date_from_mtime, parse_date
from search.i18n import N_, _, number

# File name endings this reader understands, mapped to a format name.
FORMATS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json.gz": "json",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".html": "html",
    ".htm": "html",
}
# Per-file metadata beside an article: ``article.txt`` + ``article.txt.meta.yaml``.
SIDECAR_SUFFIX = ".meta.yaml"

# One article cannot sensibly be bigger than this; multi-article formats
# (JSON Lines) are streamed and have no limit.
MAX_ARTICLE_FILE_BYTES = 20 * 1024 * 1024

# Fewer words than this extracted from a page means it holds no article.
MIN_HTML_WORDS = 8

# Common field names in news dumps, in order of preference.
TEXT_KEYS = ("text", "body", "article", "content", "contenu", "texte", "maintext")
TITLE_KEYS = ("title", "titre", "headline")
LEAD_KEYS = ("heading", "lead", "description", "chapo", "chapeau", "summary", "abstract")
DATE_KEYS = (
    "date", "published", "published_at", "publishedAt", "publication_date",
    "datePublished", "pubDate", "date_publish", "created_at",
)  # fmt: skip
URL_KEYS = ("url", "link", "permalink")
SOURCE_KEYS = ("source", "site", "sitename", "publisher", "media", "journal")
AUTHOR_KEYS = ("author", "authors", "auteur", "auteurs", "byline")
SECTION_KEYS = ("section", "category", "rubrique", "categories")
ID_KEYS = ("id", "_id", "guid", "uuid")

_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1")


# Documentation that travels with corpora (a dataset's README, its licence) is
# not news: skipped when a folder is indexed.
NOT_ARTICLES = re.compile(r"^(readme|license|licence|changelog|copying)([._-].*)?$", re.I)


def file_format(path: Path) -> str | None:
    """The format of *path* from its name, or ``None`` if it is not an article file."""
    name = path.name.lower()
    if name.endswith(SIDECAR_SUFFIX) or name.startswith(".") or NOT_ARTICLES.match(name):
        return None
    for suffix, fmt in FORMATS.items():
        if name.endswith(suffix) and (suffix.endswith(".gz") or not name.endswith(".gz")):
            return fmt
    return None


def not_article_reason(path: Path) -> str:
    """Why *path* is not read as an article (for a file named explicitly)."""
    name = path.name.lower()
    if name.endswith(SIDECAR_SUFFIX):
        return _("a metadata sidecar, read with the article it is named after")
    if NOT_ARTICLES.match(name):
        return _("documentation (README, LICENSE, CHANGELOG, COPYING), not an article")
    if name.startswith("."):
        return _("a hidden file")
    return _("not an article file (unknown extension)")


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


# --- Finding files ---------------------------------------------------------


def root_path(path: Path | str) -> Path:
    """A folder or file the user names, as the index knows it: absolute, and
    through any symbolic link, so that ``search index link`` (a link to a folder
    already indexed) finds the same articles under the same ids, not a second
    copy of each."""
    return Path(os.path.realpath(path))


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Article files under *paths* (recursively), each once, in a stable order.

    Symbolic links to files are followed, links to directories are not (no
    loops); hidden files and folders are skipped.
    """
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for root in paths:
        root = root_path(root)
        if root.is_file():
            if file_format(root) is None:
                problems.append(Problem(str(root), not_article_reason(root)))
            else:
                found.setdefault(str(root), root)
            continue
        if not root.is_dir():
            problems.append(Problem(str(root), _("no such file or directory")))
            continue

        def report(error: OSError, root: Path = root) -> None:
            reason = _("cannot list: {reason}").format(reason=error.strerror)
            problems.append(Problem(error.filename or str(root), reason))

        for folder, dirs, files in os.walk(root, onerror=report):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = Path(folder, name)
                if file_format(path) is not None and path.is_file():
                    found.setdefault(str(path), path)
    return list(found.values()), problems


# --- Decoding --------------------------------------------------------------


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as Windows-1252 (latin-1 where undefined).

    Applied byte by byte, so a file that mixes UTF-8 with cp1252 (old
    newsroom exports, concatenated dumps) comes out right in both parts.
    """
    assert isinstance(error, UnicodeDecodeError)
    chunk = error.object[error.start : error.end]
    return bytes(chunk).decode("cp1252", errors="replace").replace("\ufffd", ""), error.end


codecs.register_error("fr_news_cp1252", _cp1252_fallback)


def decode(data: bytes) -> str:
    """Bytes to clean text: UTF-8 (BOM or not), else cp1252/latin-1, NFC-normalised.

    Soft hyphens and zero-width characters are removed (they are invisible
    and only break words); line endings become ``\\n``.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    text = data.decode("utf-8", errors="fr_news_cp1252")
    return clean_text(text)


# This process's time in clean_text so far: the indexer reports it as the
# ``clean`` stage, apart from reading (index.timing).
cleaning_seconds = 0.0


def clean_text(text: str) -> str:
    """NFC, no invisible characters, ``\\n`` line ends; page and line feeds of old
    exports become line ends (other control characters go in
    :meth:`Article.drop_control_characters`, which counts them)."""
    global cleaning_seconds
    started = time.perf_counter()
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _LINE_BREAKS.sub("\n", text.replace("\r\n", "\n"))
    cleaning_seconds += time.perf_counter() - started
    return text


# A regular expression, not str.translate: a translation table walks every
# character in Python's slow path (~72 ns each, most of the reading process's
# time in a build); the expression finds the rare ones (~12 ns for the whole
# clean_text).
_LINE_BREAKS = re.compile("[\r\x0b\x0c]")


def looks_binary(data: bytes) -> bool:
    """NUL bytes or mostly control characters: not a text file, whatever its name."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return len(sample) > 0 and controls / len(sample) > 0.05


# --- Records -> articles ----------------------------------------------------


def _first(record: Mapping[str, Any], keys: Iterable[str]) -> tuple[str | None, Any]:
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return key, value
    return None, None


IGNORED = N_(": ignored")  # ends a field's warning: the article is indexed without it


def _ignored(problem: str) -> str:
    return problem + _(IGNORED)


def _as_text(
    record: Mapping[str, Any], keys: Iterable[str], warn: list[str], *, joinable: bool = False
) -> str:
    """The first present field among *keys* as text; a wrong type is reported, not fatal."""
    key, value = _first(record, keys)
    if value is None:
        return ""
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        value = value["name"]  # {"source": {"id": "le-monde", "name": "Le Monde"}}
    if joinable and isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    if isinstance(value, str):
        return clean_text(value).strip()
    warn.append(_ignored(_("field {key} is {type}, expected text").format(
        key=repr(key), type=type(value).__name__)))  # fmt: skip
    return ""


def article_from_record(
    record: Mapping[str, Any],
    *,
    path: Path,
    doc_id: str,
    mtime: float,
    line: int | None = None,
    title_source: str = "metadata",
) -> Iterator[Article | Problem]:
    """Turn one record (JSON object, front matter + text, HTML extraction) into an article.

    *title_source* says where the record's title came from; without one, a
    title is derived from the start of the text (``title_source`` "derived").
    """
    warnings: list[str] = []
    body = _as_text(record, TEXT_KEYS, warnings)
    title = _as_text(record, TITLE_KEYS, warnings)
    lead = _as_text(record, LEAD_KEYS, warnings)
    body = _without_lead(body, lead)
    if not body:
        why = "; ".join(w.removesuffix(_(IGNORED)) for w in warnings) or _("empty body")
        yield Problem(str(path), _("no article text ({why})").format(why=why), line)
        return

    date_key, date_value = _first(record, DATE_KEYS)
    date = parse_date(date_value) if date_value is not None else None
    source = "metadata"
    if date is not None and date.date() > datetime.now().date() + timedelta(days=1):
        # A typo (2099, 2202) would otherwise top every newest-first listing.
        warnings.append(_ignored(_("field {key} is in the future ({date})").format(
            key=repr(date_key), date=date.date())))  # fmt: skip
        date = None
    elif date is None and date_value is not None:
        warnings.append(_ignored(_("field {key} is not a date ({value})").format(
            key=repr(date_key), value=repr(str(date_value)[:40]))))  # fmt: skip
    if date is None:
        date, source = date_from_filename(path.name), "filename"
        if date is None:
            date, source = date_from_mtime(mtime), "mtime"

    article = Article(
        id=doc_id,
        path=str(path),
        title=title or derived_title(body),
        title_source=title_source if title else "derived",
        body=body,
        lead=lead,
        date=date,
        date_source=source,
        source=_as_text(record, SOURCE_KEYS, warnings),
        url=_as_text(record, URL_KEYS, warnings),
        author=_as_text(record, AUTHOR_KEYS, warnings, joinable=True),
        section=_as_text(record, SECTION_KEYS, warnings, joinable=True),
    )
    if controls := article.drop_control_characters():
        warnings.append(_("{count} control characters removed (terminal codes are not text)")
                        .format(count=number(controls)))  # fmt: skip
    if not article.body.strip():
        yield Problem(str(path), _("no article text (only control characters)"), line)
        return
    yield article
    for warning in warnings:
        yield Problem(str(path), warning, line, skipped=False)


def _without_lead(body: str, lead: str) -> str:
    """*body* without its first paragraph when that paragraph is the lead (web pages
    repeat their description as the text's start): shown and counted once."""
    if not lead:
        return body
    first, _, rest = body.partition("\n")
    if " ".join(first.split()) == " ".join(lead.split()) and rest.strip():
        return rest.strip("\n")
    return body


# A derived title is at most this long, cut between words.
DERIVED_TITLE_CHARS = 100


def derived_title(body: str) -> str:
    """A readable title for an article that has none: the start of its first
    paragraph, cut between words and ended with "…" when it is cut. Never a
    headline the text does not hold."""
    first = " ".join(body.strip().split("\n", 1)[0].split())
    if len(first) <= DERIVED_TITLE_CHARS:
        return first
    cut = first.rfind(" ", 0, DERIVED_TITLE_CHARS)
    return (
        first[: cut if cut > DERIVED_TITLE_CHARS // 2 else DERIVED_TITLE_CHARS].rstrip(" ,;:-–—(")
        + "…"
    )


# --- Formats ----------------------------------------------------------------


def read_articles(path: Path) -> Iterator[Article | Problem]:
    """Every article in the file at *path*, and every problem met reading it."""
    fmt = file_format(path)
    if fmt is None:
        yield Problem(str(path), not_article_reason(path))
        return
    try:
        stat = path.stat()
        if fmt == "jsonl":
            yield from _read_jsonl(path, stat.st_mtime)
            return
        if stat.st_size > MAX_ARTICLE_FILE_BYTES:
            size, limit = stat.st_size / 2**20, MAX_ARTICLE_FILE_BYTES // 2**20
            yield Problem(
                str(path), _("file too large ({size} MiB; one article may have {limit} MiB)")
                .format(size=f"{size:.1f}", limit=limit)
            )
            return
        data = _read_bytes(path)
    except OSError as error:
        yield Problem(str(path), _("cannot read: {reason}").format(reason=error.strerror or error))
        return
    except (EOFError, zlib.error) as error:
        yield Problem(str(path), _("corrupt gzip data: {reason}").format(reason=error))
        return
    if not data.strip():
        yield Problem(str(path), _("empty file"))
        return
    if looks_binary(data):
        yield Problem(str(path), _("binary data, not text"))
        return
    text = decode(data)
    meta = _read_sidecar(path)
    if isinstance(meta, Problem):
        yield meta
        meta = {}
    if fmt == "json":
        yield from _read_json(path, text, stat.st_mtime)
    elif fmt == "html":
        yield from _read_html(path, text, stat.st_mtime, meta)
    else:
        yield from _read_text(path, text, stat.st_mtime, meta, markdown=fmt == "markdown")


def _read_bytes(path: Path) -> bytes:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            return stream.read(MAX_ARTICLE_FILE_BYTES + 1)
    return path.read_bytes()


def _read_sidecar(path: Path) -> dict[str, Any] | Problem:
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    try:
        meta = yaml.safe_load(decode(sidecar.read_bytes()))
    except (OSError, yaml.YAMLError) as error:
        reason = _("unreadable metadata sidecar: {reason}").format(reason=_one_line(error))
        return Problem(str(sidecar), reason, skipped=False)
    if not isinstance(meta, dict):
        return Problem(str(sidecar), _("metadata sidecar is not a mapping"), skipped=False)
    return meta


def _split_front_matter(text: str) -> tuple[dict[str, Any], str, str | None]:
    """(metadata, rest of the text, error) for text that may start with YAML front matter."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        return {}, text[match.end() :], _("malformed front matter: {reason}").format(
            reason=_one_line(error)
        )
    if not isinstance(meta, dict):
        return {}, text[match.end() :], _("front matter is not a mapping")
    return meta, text[match.end() :], None


def _strip_markdown(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        heading = _MD_HEADING.match(line)
        line = heading.group(1) if heading else line.lstrip(">").rstrip()
        line = _MD_LINK.sub(r"\1", line)
        lines.append(_MD_EMPHASIS.sub(r"\2", line))
    return "\n".join(lines)


def _read_text(
    path: Path, text: str, mtime: float, sidecar: dict[str, Any], *, markdown: bool
) -> Iterator[Article | Problem]:
    meta, rest, error = _split_front_matter(text)
    if error:
        yield Problem(str(path), error, 1, skipped=False)
    record = {**meta, **sidecar}
    rest = rest.strip("\n")
    title_key, _ = _first(record, TITLE_KEYS)
    title_source = "metadata"
    if title_key is None:
        # A Markdown heading, or a first line that reads as a title; a text
        # that starts with its first paragraph gets a title derived from it.
        first, _, remainder = rest.partition("\n")
        heading = _MD_HEADING.match(first) if markdown else None
        if heading or is_title_line(first, remainder):
            record["title"] = (heading.group(1) if heading else first).strip()
            title_source = "heading" if heading else "first-line"
            rest = remainder.strip("\n")
    body = _strip_markdown(rest) if markdown else rest
    # A text that is only a title still deserves to be found.
    record = {**record, "text": body or record.get("title", "")}
    for key in TEXT_KEYS[1:]:
        record.pop(key, None)  # metadata cannot replace the file's own text
    yield from article_from_record(
        record, path=path, doc_id=str(path), mtime=mtime, title_source=title_source
    )


# A title line is short and does not end a sentence or a clause.
MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 30
_ENDS_SENTENCE = re.compile(r"(?<!\.\.)[.,;:]\s*\Z")


def is_title_line(line: str, rest: str) -> bool:
    """Whether the first *line* of a plain text is its title (*rest* follows it).

    Newsroom exports put the headline alone on the first line; a file that
    starts with its first paragraph has a long line ending like a sentence.
    A line alone in its file is its title (the text is then the title too).
    """
    line = line.strip()
    if not line or len(line) > MAX_TITLE_CHARS or len(line.split()) > MAX_TITLE_WORDS:
        return False
    return not rest.strip() or _ENDS_SENTENCE.search(line) is None


def _records_in(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        for key in ("articles", "items", "data", "results", "documents"):
            if isinstance(value.get(key), list):
                return list(value[key])
        return [value]
    return None


def _read_json(path: Path, text: str, mtime: float) -> Iterator[Article | Problem]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        yield Problem(str(path), _("invalid JSON: {reason}").format(reason=error.msg), error.lineno)
        return
    except RecursionError:
        yield Problem(str(path), _("JSON nested too deeply"))
        return
    records = _records_in(value)
    if records is None:
        yield Problem(
            str(path), _("JSON holds a {type}, not articles").format(type=type(value).__name__)
        )
        return
    single = len(records) == 1
    yield from _read_records(path, enumerate(records, 1), mtime, single=single, lines=False)


def _read_jsonl(path: Path, mtime: float) -> Iterator[Article | Problem]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    anything = False
    articles = 0
    numbered = _Numbered()
    try:
        with opener(path, "rb") as stream:
            for item in _read_records(
                path, _parse_lines(path, numbered(stream)), mtime, lines=True
            ):
                anything = True
                articles += isinstance(item, Article)
                yield item
    except (EOFError, zlib.error) as error:
        # A dump cut short (a copy interrupted, a full disk): its first records
        # were read and indexed; say how far it goes, not that it was skipped.
        yield Problem(
            str(path),
            _(
                "ends early after line {line} ({reason}): its {articles} articles before that "
                "are indexed, the rest of the file is missing"
            ).format(
                line=number(numbered.last), reason=_one_line(error), articles=number(articles)
            ),
            numbered.last,
            skipped=False,
            truncated=True,
        )
        return
    if not anything:
        yield Problem(str(path), _("empty file"))


class _Numbered:
    """Lines numbered from 1, remembering the last one read."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self, lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
        for self.last, line in enumerate(lines, 1):
            yield self.last, line


def _parse_lines(path: Path, lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, Any]]:
    for at, raw in lines:
        if not raw.strip():
            continue
        try:
            yield at, json.loads(decode(raw))
        except json.JSONDecodeError as error:
            yield at, Problem(str(path), _("invalid JSON: {reason}").format(reason=error.msg), at)
        except RecursionError:
            yield at, Problem(str(path), _("JSON nested too deeply"), at)


def _read_records(
    path: Path,
    records: Iterable[tuple[int, Any]],
    mtime: float,
    *,
    lines: bool,
    single: bool = False,
) -> Iterator[Article | Problem]:
    """Articles from numbered records, each with an id unique within the file."""
    seen: set[str] = set()
    for at, record in records:
        where = at if lines else None
        if isinstance(record, Problem):
            yield record
            continue
        if not isinstance(record, dict):
            kind = type(record).__name__
            message = (
                _("line {at} is a {type}, not an article") if lines
                else _("item {at} is a {type}, not an article")
            ).format(at=at, type=kind)  # fmt: skip
            yield Problem(str(path), message, where)
            continue
        _key, own_id = _first(record, ID_KEYS)
        key = str(own_id) if isinstance(own_id, (str, int)) else f"{at}"
        if key in seen:
            key = f"{key}@{at}"
        seen.add(key)
        doc_id = str(path) if single else f"{path}#{key}"
        yield from article_from_record(record, path=path, doc_id=doc_id, mtime=mtime, line=where)


def _read_html(
    path: Path, text: str, mtime: float, sidecar: dict[str, Any]
) -> Iterator[Article | Problem]:
    try:
        import trafilatura  # slow to import; only HTML needs it
    except ImportError as error:
        yield Problem(str(path), _("cannot read HTML: trafilatura is unavailable ({reason})")
                      .format(reason=error))  # fmt: skip
        return
    try:
        extracted = trafilatura.bare_extraction(
            text,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as error:  # trafilatura/lxml raise many types on broken markup
        yield Problem(str(path), _("cannot parse HTML: {reason}").format(reason=_one_line(error)))
        return
    fields: dict[str, Any] = {}
    if extracted is not None:
        fields = extracted if isinstance(extracted, dict) else extracted.as_dict()
    # Below a few words, what trafilatura found is navigation, not an article.
    if len((fields.get("text") or "").split()) < MIN_HTML_WORDS:
        yield Problem(str(path), _("no article text found in the HTML page"))
        return
    text_lines = fields["text"].split("\n")
    if fields.get("title") and text_lines[0].strip() == fields["title"].strip():
        text_lines = text_lines[1:]  # trafilatura repeats the <h1> title in the text
    record = {
        "text": "\n".join(text_lines),
        "title": fields.get("title"),
        "description": fields.get("description"),
        "date": fields.get("date"),
        "url": fields.get("url"),
        "source": fields.get("sitename"),
        "author": fields.get("author"),
        "section": ", ".join(fields.get("categories") or []),
        **sidecar,
    }
    yield from article_from_record(record, path=path, doc_id=str(path), mtime=mtime)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]
