"""Turning engine results into terminal text (rich) and JSON documents.

Colour only on a terminal: when stdout is piped, rich prints plain text and
lines are not wrapped, so the output greps well.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.text import Text

from index.articles import CONTROL_CHARACTERS, Problem, printable, printable_line
from index.dates import iso
from index.store import shortlist
from search import periods
from search.concordance import Occurrence
from search.engine import Article, Hit, IndexStats, SearchResults
from search.facets import FacetCounts, FacetValue
from search.keyness import Related
from search.snippets import Span
from search.stories import difference
from search.trend import Trend

if TYPE_CHECKING:
    from index.doctor import Diagnosis

MATCH_STYLE = "bold black on yellow"


class SafeConsole(Console):
    """A console that never prints a control character: whatever an article, a file
    name or an old index holds, the terminal shows it and obeys nothing."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_printable(o) for o in objects), **kwargs)

    def on_broken_pipe(self) -> None:
        """The reader stopped early (`| head`): leave it to the command's handler,
        which exits 0 as with JSON. Rich's own exits 1, and opens a descriptor
        on /dev/null each time, which `search serve` would keep."""
        self.quiet = True
        raise BrokenPipeError


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Text) and CONTROL_CHARACTERS.search(value.plain):
        value = value.copy()
        value.plain = printable(value.plain)  # same length: the styles stay in place
    return value


def console(stderr: bool = False) -> Console:
    return SafeConsole(
        stderr=stderr,
        highlight=False,
        soft_wrap=not (sys.stderr if stderr else sys.stdout).isatty(),
    )


def highlighted(text: str, spans: Iterable[Span], base: str = "", style: str = MATCH_STYLE) -> Text:
    """*text* with the matches at *spans* marked: the CLI's and the TUI's highlighting
    (the engine has already made article text printable)."""
    out = Text(text, style=base)
    for start, end in spans:
        out.stylize(style, start, end)
    return out


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 article``, ``2 articles``, ``1,204 stories``: a number and its noun agreeing."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def display_path(path: str) -> str:
    """Relative to the working directory when below it: shorter and still copyable
    (a control character or a line break in a file name shown as U+FFFD)."""
    try:
        return printable_line(str(Path(path).relative_to(Path.cwd())))
    except ValueError:
        return printable_line(path)


def problem_line(problem: Problem) -> str:
    """``skipped: path:line: reason`` (a lost article or file) or ``warning: …`` (a field
    ignored, the article kept): how every command reports bad input."""
    kind = "skipped" if problem.skipped else "warning"
    where = display_path(problem.path)
    if problem.line is not None:
        where += f":{problem.line}"
    return f"{kind}: {where}: {printable(problem.reason)}"


def _date(value: datetime | None) -> str:
    return iso(value) or ""


# --- Human output -------------------------------------------------------------


def print_results(out: Console, results: SearchResults) -> None:
    shown = len(results.hits)
    first = results.offset + 1 if shown else 0
    for hit in results.hits:
        _print_hit(out, hit)
    summary = f"{results.total} hit{'s' if results.total != 1 else ''}"
    if results.collapsed and results.articles > results.total:
        summary = (
            f"{results.total} stor{'ies' if results.total != 1 else 'y'} "
            f"({results.articles} articles: copies of one dispatch shown once, --all for each)"
        )
    if shown:
        summary += f", showing {first}–{results.offset + shown}"
    out.print(Text(f"{summary} ({results.took_ms:.0f} ms)", style="dim"))
    if results.facets is not None and results.total:
        print_facet_summary(out, results.facets)


def _print_hit(out: Console, hit: Hit) -> None:
    head = Text(f"{hit.rank:>2}. ", style="bold")
    head.append_text(highlighted(hit.title or "(untitled)", hit.title_highlights, title_style(hit)))
    out.print(head)
    # The id, not the path: ``search show`` re-opens the hit from what is printed
    # (a record of a JSON Lines dump is ``dump.jsonl#id``).
    meta = [m for m in (_date(hit.date), hit.source, display_path(hit.id)) if m]
    if hit.score is not None:
        meta.append(f"score {hit.score:.2f}")
    if hit.copy_count:
        meta.append(f"+{hit.copy_count} cop{'ies' if hit.copy_count > 1 else 'y'}")
    line = Text("    " + " · ".join(meta), style="cyan")
    out.print(line)
    if hit.countries or hit.persons:
        facets = ", ".join(
            (*_listed(hit.countries, hit.country_count), *_listed(hit.persons, hit.person_count))
        )
        out.print(Text("    " + facets, style="magenta"))
    snippet = Text("    ")
    snippet.append_text(highlighted(hit.snippet.text, hit.snippet.highlights))
    out.print(snippet)
    out.print()


def _listed(values: Sequence[str], total: int) -> list[str]:
    """*values*, and how many more the article names when the hit lists only some."""
    more = total - len(values)
    return [*values, f"+{more:,} more"] if more > 0 else list(values)


def _facet_line(label: str, values: Sequence[FacetValue]) -> Text:
    line = Text(f"{label:>9}: ", style="bold")
    line.append(" · ".join(f"{v.label} {v.count}" for v in values) or "-")
    return line


def print_facet_summary(out: Console, counts: FacetCounts, top: int = 5) -> None:
    """One line per facet, under the hits."""
    out.print(_facet_line("countries", counts.countries[:top]))
    out.print(_facet_line("persons", counts.persons[:top]))
    busiest = sorted(counts.dates, key=lambda v: -v.count)[:top]
    out.print(_facet_line(counts.granularity + "s", sorted(busiest, key=lambda v: v.value)))


# Periods a facet histogram lists one per line, empty ones included.
MOST_HISTOGRAM_ROWS = 120


def print_facets(out: Console, counts: FacetCounts) -> None:
    out.print(Text(
        "Counts of stories (the copies of one dispatch count once)" if counts.unit == "stories"
        else "Counts of articles (--count stories: the copies of one dispatch once)",
        style="dim",
    ))  # fmt: skip
    for title, values in (("Countries", counts.countries), ("Persons", counts.persons)):
        out.print(Text(title, style="bold"))
        width = max((len(v.label) for v in values), default=0)
        for v in values:
            code = f" ({v.value})" if v.value != v.label else ""
            out.print(f"  {v.label:<{width}} {v.count:>6}{code}")
        if not values:
            out.print("  -")
    out.print(Text(f"Dates by {counts.granularity}", style="bold"))
    dated = {v.value: v.count for v in counts.dates}
    shown = list(dated)
    if counts.dates:
        # A histogram shows its empty periods too, as long as it stays readable.
        every = periods.labels_between(shown[0], shown[-1], counts.granularity)
        if len(every) <= MOST_HISTOGRAM_ROWS:
            shown = every
        else:
            out.print(Text(
                f"  ({len(every):,} {counts.granularity}s: the empty ones are left out; "
                "--by year or a date filter for all)", style="dim",
            ))  # fmt: skip
    peak = max(dated.values(), default=0)
    for value in shown:
        n = dated.get(value, 0)
        bar = "█" * max(1, round(30 * n / peak)) if peak and n else ""
        out.print(f"  {value:<10} {n:>6} {bar}".rstrip())
    if not counts.dates:
        out.print("  -")


def print_inspection(out: Console, item: dict[str, Any] | Problem) -> None:
    if isinstance(item, Problem):
        sys.stderr.write(problem_line(item) + "\n")
        return
    out.print(Text(item["title"] or "(untitled)", style="bold"))
    out.print(Text(f"     path: {display_path(item['path'])}", style="cyan"))
    if item["id"] != item["path"]:
        out.print(Text(f"       id: {item['id']}", style="cyan"))
    out.print(Text(f"     date: {item['date']} (from {item['date_source']})", style="cyan"))
    out.print(Text("countries:", style="bold"))
    for c in item["countries"]:
        out.print(f"  {c['code']} {c['name']}: " + ", ".join(c["evidence"]))
    out.print(Text("  persons:", style="bold"))
    for p in item["persons"]:
        # Why each was taken for a person, so that a wrong one can be reported with its cause.
        line = Text(f"  {p['name']}: " + ", ".join(p["mentions"]))
        line.append(f" — {p['reason']}", style="dim")
        out.print(line)
    out.print()


def title_style(item: Hit | Article) -> str:
    """Bold; a title made from the start of the text (the file has none) in italics."""
    return "bold italic" if item.title_source == "derived" else "bold"


def print_article(out: Console, article: Article) -> None:
    out.print(highlighted(article.title, article.highlights.get("title", ()), title_style(article)))
    rows = [
        ("title", "derived from the text (the file has none)"
                  if article.title_source == "derived" else ""),
        ("date", f"{_date(article.date)} (from {article.date_source})" if article.date else ""),
        ("source", article.source),
        ("author", article.author),
        ("section", article.section),
        ("url", article.url),
        ("path", display_path(article.path)),
        ("id", article.id),
        ("countries", ", ".join(article.countries)),
        ("persons", ", ".join(article.persons)),
    ]
    for label, value in rows:
        if value:
            out.print(Text(f"{label:>9}: {value}", style="cyan"))
    out.print()
    if article.lead:
        out.print(highlighted(article.lead, article.highlights.get("lead", ()), "italic"))
        out.print()
    out.print(highlighted(article.body, article.highlights.get("body", ())))


def print_stats(out: Console, stats: IndexStats) -> None:
    rows = [
        ("index", str(stats.directory)),
        ("documents", f"{stats.documents:,}"),
        ("files", f"{stats.files:,}"),
        ("segments", str(stats.segments)),
        ("size", f"{stats.size_bytes / 1e6:.1f} MB"),
        (
            "updated",
            stats.last_update.isoformat(timespec="seconds") if stats.last_update else "never",
        ),
        ("corpus", ", ".join(stats.roots) or "-"),
    ]
    for label, value in rows:
        out.print(f"{label:>9}: {value}")


def print_diagnosis(out: Console, diagnosis: Diagnosis, shown: int = 10) -> None:
    out.print(f"    index: {diagnosis.directory} ({count(diagnosis.documents, 'document')})")
    out.print(f"  against: {', '.join(map(display_path, diagnosis.roots)) or '-'}")
    for root in diagnosis.unreachable_roots:
        out.print(f"[yellow]unreachable:[/] {root} (its articles are kept)")
    groups = (
        ("damaged", diagnosis.damage),
        ("missing", diagnosis.missing),
        ("stale", diagnosis.stale),
        ("orphaned", diagnosis.orphaned),
    )
    for label, items in groups:
        if items:
            out.print(f"[red]{label}:[/] {len(items):,}")
            for item in items[:shown]:
                out.print(f"  {display_path(item)}", highlight=False)
            if len(items) > shown:
                out.print(f"  … and {len(items) - shown:,} more")
    if diagnosis.foreign:
        names = shortlist(diagnosis.foreign, shown)
        out.print(f"[yellow]not index files:[/] {names} (never touched)", highlight=False)
    if diagnosis.healthy:
        out.print("[green]healthy:[/] every segment reads, and the index matches the folders")
    else:
        out.print(f"   repair: {diagnosis.plan}", highlight=False)


# --- JSON ---------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _date(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def hit_json(hit: Hit) -> dict[str, Any]:
    data = _jsonable(asdict(hit))
    snippet = data.pop("snippet")
    data["snippet"] = snippet["text"]
    data["highlights"] = snippet["highlights"]
    data["score"] = None if hit.score is None else round(hit.score, 4)
    return data


def facets_json(counts: FacetCounts) -> dict[str, Any]:
    def values(items: Sequence[FacetValue]) -> list[dict[str, Any]]:
        return [{"value": v.value, "label": v.label, "count": v.count} for v in items]

    return {
        "countries": values(counts.countries),
        "persons": values(counts.persons),
        "dates": values(counts.dates),
        "granularity": counts.granularity,
        "unit": counts.unit,
    }


def print_related(out: Console, related: Related) -> None:
    read = related.read
    sampled = (
        f"; words estimated on {read:,} of them, then counted exactly"
        if read < related.matches else ""
    )  # fmt: skip
    out.print(Text(
        f"{related.matches:,} of {related.documents:,} articles match{sampled}. Ranked by G² "
        "(log-likelihood, on article counts): in = matching articles that hold it, "
        "out = the others."
    ))  # fmt: skip
    expressions = f"Expressions (in {read:,} matching vs out {related.background:,} others read)"
    for title, items in (
        ("Words", related.words),
        (expressions, related.expressions),
        ("Persons", related.persons),
        ("Countries", related.countries),
    ):
        out.print(Text(title, style="bold"))
        if not items:
            out.print("  -")
            continue
        width = max(len(k.text) for k in items)
        for k in items:
            out.print(Text(f"  {k.text:<{width}}  {k.g2:>9,.1f}  in {k.inside:>6,}  "
                           f"out {k.outside:>7,}"))  # fmt: skip


def copy_json(article: Article, copy: Article) -> dict[str, Any]:
    diff = difference(article.title, article.body, copy.title, copy.body)
    return {
        "id": copy.id,
        "date": iso(copy.date),
        "source": copy.source,
        "title": copy.title,
        "title_differs": diff.title_differs,
        "only_here": diff.only_here,
        "only_there": diff.only_there,
    }


def print_copies(out: Console, article: Article, copies: Sequence[Article]) -> None:
    """The other copies of the article's story, each with what sets it apart."""
    if not copies:
        out.print(Text("No other copy of this story in the index.", style="dim"))
        return
    many = len(copies) > 1
    out.print(Text(f"{len(copies)} other cop{'ies' if many else 'y'} of this story:", style="bold"))
    for copy in copies:
        diff = difference(article.title, article.body, copy.title, copy.body)
        meta = " · ".join(m for m in (_date(copy.date), copy.source, display_path(copy.id)) if m)
        out.print(Text(f"  {meta}", style="cyan"))
        if diff.title_differs:
            out.print(Text(f"    title: {copy.title}"))
        if not diff.only_here and not diff.only_there:
            out.print(Text("    the same text"))
        for label, found in (("only here", diff.only_here), ("only there", diff.only_there)):
            for sentence in found[:3]:
                out.print(Text(f"    {label}: {_clip(sentence)}"))
            if len(found) > 3:
                out.print(Text(f"    {label}: … and {len(found) - 3} more sentences"))


def _clip(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def kwic_line(line: Occurrence, width: int) -> Text:
    """Date, left context right-aligned, the match highlighted, right context, id:
    every match starts in the same column."""
    day = line.date.date().isoformat() if line.date else " " * 10
    row = Text(f"{day}  ", style="dim")
    # The contexts keep their own spaces ("l'" + "Otan" has none between).
    row.append(printable(line.left).rjust(width))
    row.append(printable(line.match), style=MATCH_STYLE)
    row.append(printable(line.right).ljust(width))
    row.append(f"  {display_path(line.id)}", style="dim")
    return row


def kwic_json(line: Occurrence) -> dict[str, Any]:
    return {
        "id": line.id,
        "date": iso(line.date),
        "title": line.title,
        "field": line.field,
        "start": line.start,
        "end": line.end,
        "left": line.left,
        "match": line.match,
        "right": line.right,
    }


def trend_lines(trend: Trend, ratio: bool) -> list[str]:
    """What a trend chart shows, in words: the measure, the span, the gaps, the totals."""
    per = trend.granularity
    if not trend.periods:
        return ["No dated article in the index: no timeline to draw."]
    unit = trend.unit
    of = f"of the {unit} matching {trend.base!r}" if trend.base else f"of all {unit}"
    how = ", chosen from the span; --by to change" if trend.chosen else ""
    size = len(trend.periods)
    lines = [
        f"{'Share ' + of + ' (%)' if ratio else 'Matching ' + unit} per {per}, "
        f"{trend.periods[0]} to {trend.periods[-1]} ({size:,} {per}s{how})"
    ]
    volumes = [t for t in trend.totals if t]
    other = "--no-ratio for counts" if ratio else "--ratio for shares"
    lines.append(
        f"{per.capitalize()}s with {unit} hold {min(volumes):,} to {max(volumes):,}; {other}."
    )
    if empty := sum(1 for t in trend.totals if not t):
        lines.append(f"{empty:,} of {size:,} {per}s hold no article: gaps in the lines.")
    width = max(len(s.label) for s in trend.series)
    for s in trend.series:
        undated = (
            f" ({s.undated:,} without a date of their own, not placed: no date, or only "
            "their file's; --file-dates places the latter)" if s.undated else ""
        )  # fmt: skip
        lines.append(f"  {s.label:<{width}}  {s.matches:,} matches{undated}")
    return lines


def trend_json(trend: Trend, ratio: bool) -> dict[str, Any]:
    return {
        "granularity": trend.granularity,
        "granularity_chosen": trend.chosen,
        "shown": "ratio" if ratio else "count",
        "unit": trend.unit,
        "base": trend.base,
        "periods": [
            {
                "period": label,
                "first_day": first.isoformat(),
                "last_day": last.isoformat(),
                "articles": total,
            }
            for i, (label, total) in enumerate(zip(trend.periods, trend.totals, strict=True))
            for first, last in [trend.bounds(i)]
        ],
        "series": [
            {
                "label": s.label,
                "query": s.query,
                "matches": s.matches,
                "undated": s.undated,
                "counts": list(s.counts),
                "ratios": list(s.ratios),
            }
            for s in trend.series
        ],
    }


def write_trend_csv(trend: Trend, out: TextIO) -> None:
    """One row per period, a count and a share column per query; gaps are empty cells."""
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as `search export`
    header = ["period", "first_day", "last_day", "articles"]
    for s in trend.series:
        header += [s.label, f"{s.label} share"]
    writer.writerow(header)
    for i, (label, total) in enumerate(zip(trend.periods, trend.totals, strict=True)):
        first, last = trend.bounds(i)
        row: list[Any] = [label, first.isoformat(), last.isoformat(), total]
        for s in trend.series:
            count, share = s.counts[i], s.ratios[i]
            row += ["" if count is None else count, "" if share is None else f"{share:.6f}"]
        writer.writerow(row)


def filters_json(results: SearchResults) -> dict[str, Any]:
    f = results.filters
    return {
        "countries": list(f.countries),
        "persons": list(f.persons),
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
    }


def results_json(results: SearchResults) -> dict[str, Any]:
    return {
        "query": results.query,
        "total": results.total,
        "articles": results.articles,
        "collapsed": results.collapsed,
        "took_ms": round(results.took_ms, 2),
        "offset": results.offset,
        "sort": results.sort,
        "filters": filters_json(results),
        "hits": [hit_json(h) for h in results.hits],
        "facets": facets_json(results.facets) if results.facets is not None else None,
        "hint": results.hint,
        "notes": list(results.notes),
    }


def to_json(value: Any) -> dict[str, Any]:
    return _jsonable(asdict(value))


def dump(data: Any, lines: bool = False) -> None:
    if lines:
        for item in data if isinstance(data, Sequence) else [data]:
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def is_terminal(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"
