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
from search.i18n import N_, PERIODS, _, decimal, named, ngettext, number
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
    line = _("skipped: {where}: {reason}") if problem.skipped else _("warning: {where}: {reason}")
    where = display_path(problem.path)
    if problem.line is not None:
        where += f":{problem.line}"
    return line.format(where=where, reason=printable(problem.reason))


def _date(value: datetime | None) -> str:
    return iso(value) or ""


# --- Human output -------------------------------------------------------------


def print_results(out: Console, results: SearchResults) -> None:
    shown = len(results.hits)
    first = results.offset + 1 if shown else 0
    for hit in results.hits:
        _print_hit(out, hit)
    summary = ngettext("{count} hit", "{count} hits", results.total).format(
        count=results.total
    )
    if results.collapsed and results.articles > results.total:
        summary = ngettext(
            "{count} story ({articles} articles: copies of one dispatch shown once, --all for "
            "each)",
            "{count} stories ({articles} articles: copies of one dispatch shown once, --all for "
            "each)",
            results.total,
        ).format(count=results.total, articles=results.articles)
    if shown:
        summary += _(", showing {first}–{last}").format(first=first, last=results.offset + shown)
    out.print(Text(f"{summary} ({results.took_ms:.0f} ms)", style="dim"))
    if results.facets is not None and results.total:
        print_facet_summary(out, results.facets)


def _print_hit(out: Console, hit: Hit) -> None:
    head = Text(f"{hit.rank:>2}. ", style="bold")
    title = hit.title or _("(untitled)")
    head.append_text(highlighted(title, hit.title_highlights, title_style(hit)))
    out.print(head)
    # The id, not the path: ``search show`` re-opens the hit from what is printed
    # (a record of a JSON Lines dump is ``dump.jsonl#id``).
    meta = [m for m in (_date(hit.date), hit.source, display_path(hit.id)) if m]
    if hit.score is not None:
        meta.append(_("score {score}").format(score=f"{hit.score:.2f}"))
    if hit.copy_count:
        copies = ngettext("+{count} copy", "+{count} copies", hit.copy_count)
        meta.append(copies.format(count=hit.copy_count))
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
    return [*values, _("+{count} more").format(count=number(more))] if more > 0 else list(values)


def _facet_line(label: str, values: Sequence[FacetValue], width: int) -> Text:
    line = Text(f"{label:>{width}}: ", style="bold")
    line.append(" · ".join(f"{v.label} {v.count}" for v in values) or "-")
    return line


def print_facet_summary(out: Console, counts: FacetCounts, top: int = 5) -> None:
    """One line per facet, under the hits."""
    busiest = sorted(counts.dates, key=lambda v: -v.count)[:top]
    lines = [
        (_("countries"), counts.countries[:top]),
        (_("persons"), counts.persons[:top]),
        (named(counts.granularity, PLURAL_PERIODS), sorted(busiest, key=lambda v: v.value)),
    ]
    width = max(9, *(len(label) for label, _values in lines))
    for label, values in lines:
        out.print(_facet_line(label, values, width))


# Where an article's date came from (``date_source``), as the interface says it.
DATE_SOURCES = (N_("metadata"), N_("filename"), N_("mtime"))
# The periods, as a list of them is headed.
PLURAL_PERIODS = {
    "day": N_("days"), "week": N_("weeks"), "month": N_("months"), "year": N_("years")
}  # fmt: skip
# Periods a facet histogram lists one per line, empty ones included.
MOST_HISTOGRAM_ROWS = 120


def print_facets(out: Console, counts: FacetCounts) -> None:
    out.print(Text(
        _("Counts of stories (the copies of one dispatch count once)") if counts.unit == "stories"
        else _("Counts of articles (--count stories: the copies of one dispatch once)"),
        style="dim",
    ))  # fmt: skip
    for title, values in ((_("Countries"), counts.countries), (_("Persons"), counts.persons)):
        out.print(Text(title, style="bold"))
        width = max((len(v.label) for v in values), default=0)
        for v in values:
            code = f" ({v.value})" if v.value != v.label else ""
            out.print(f"  {v.label:<{width}} {v.count:>6}{code}")
        if not values:
            out.print("  -")
    out.print(Text(_("Dates by {period}").format(period=named(counts.granularity, PERIODS)),
                   style="bold"))  # fmt: skip
    dated = {v.value: v.count for v in counts.dates}
    shown = list(dated)
    if counts.dates:
        # A histogram shows its empty periods too, as long as it stays readable.
        every = periods.labels_between(shown[0], shown[-1], counts.granularity)
        if len(every) <= MOST_HISTOGRAM_ROWS:
            shown = every
        else:
            out.print(Text("  " + _(
                "({count} {periods}: the empty ones are left out; --by year or a date filter "
                "for all)"
            ).format(count=number(len(every)), periods=named(counts.granularity, PLURAL_PERIODS)),
                style="dim"))  # fmt: skip
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
    out.print(Text(item["title"] or _("(untitled)"), style="bold"))
    rows = [(_("path"), display_path(item["path"]))]
    if item["id"] != item["path"]:
        rows.append((_("id"), item["id"]))
    rows.append((_("date"), _("{date} (from {source})").format(
        date=item["date"], source=_(item["date_source"]))))  # fmt: skip
    width = max(9, *(len(label) for label, _value in rows))
    for label, value in rows:
        out.print(Text(f"{label:>{width}}: {value}", style="cyan"))
    countries, persons = _("countries"), _("persons")
    out.print(Text(f"{countries:>{width}}:", style="bold"))
    for c in item["countries"]:
        out.print(f"  {c['code']} {c['name']}: " + ", ".join(c["evidence"]))
    out.print(Text(f"{persons:>{width}}:", style="bold"))
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
    dated = _("{date} (from {source})").format(
        date=_date(article.date), source=_(article.date_source)
    )
    rows = [
        (_("title"), _("derived from the text (the file has none)")
                     if article.title_source == "derived" else ""),
        (_("date"), dated if article.date else ""),
        (_("source"), article.source),
        (_("author"), article.author),
        (_("section"), article.section),
        (_("url"), article.url),
        (_("path"), display_path(article.path)),
        (_("id"), article.id),
        (_("countries"), ", ".join(article.countries)),
        (_("persons"), ", ".join(article.persons)),
    ]  # fmt: skip
    width = max(9, *(len(label) for label, _value in rows))
    for label, value in rows:
        if value:
            out.print(Text(f"{label:>{width}}: {value}", style="cyan"))
    out.print()
    if article.lead:
        out.print(highlighted(article.lead, article.highlights.get("lead", ()), "italic"))
        out.print()
    out.print(highlighted(article.body, article.highlights.get("body", ())))


def print_stats(out: Console, stats: IndexStats) -> None:
    rows = [
        (_("index"), str(stats.directory)),
        (_("documents"), number(stats.documents)),
        (_("files"), number(stats.files)),
        (_("segments"), str(stats.segments)),
        (_("size"), _("{size} MB").format(size=decimal(stats.size_bytes / 1e6))),
        (
            _("updated"),
            stats.last_update.isoformat(timespec="seconds") if stats.last_update else _("never"),
        ),
        (_("corpus"), ", ".join(stats.roots) or "-"),
    ]
    width = max(9, *(len(label) for label, _value in rows))
    for label, value in rows:
        out.print(f"{label:>{width}}: {value}")


def print_diagnosis(out: Console, diagnosis: Diagnosis, shown: int = 10) -> None:
    documents = ngettext("{count} document", "{count} documents", diagnosis.documents)
    index, against, repair = _("index"), _("against"), _("repair")
    width = max(9, len(index), len(against), len(repair))
    where = f"{diagnosis.directory} ({documents.format(count=number(diagnosis.documents))})"
    out.print(f"{index:>{width}}: {where}")
    out.print(f"{against:>{width}}: {', '.join(map(display_path, diagnosis.roots)) or '-'}")
    unreachable = _("unreachable")
    for root in diagnosis.unreachable_roots:
        out.print(f"[yellow]{unreachable}:[/] " + _("{folder} (its articles are kept)")
                  .format(folder=root))  # fmt: skip
    groups = (
        (_("damaged"), diagnosis.damage),
        (_("missing"), diagnosis.missing),
        (_("stale"), diagnosis.stale),
        (_("orphaned"), diagnosis.orphaned),
    )
    for label, items in groups:
        if items:
            out.print(f"[red]{label}:[/] {number(len(items))}")
            for item in items[:shown]:
                out.print(f"  {display_path(item)}", highlight=False)
            if len(items) > shown:
                out.print("  " + _("… and {count} more").format(count=number(len(items) - shown)))
    if diagnosis.foreign:
        names = shortlist(diagnosis.foreign, shown)
        foreign = _("not index files")
        out.print(f"[yellow]{foreign}:[/] " + _("{files} (never touched)")
                  .format(files=names), highlight=False)  # fmt: skip
    if diagnosis.healthy:
        healthy = _("healthy")
        out.print(f"[green]{healthy}:[/] "
                  + _("every segment reads, and the index matches the folders"))  # fmt: skip
    else:
        out.print(f"{repair:>{width}}: {diagnosis.plan}", highlight=False)


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
    matched = _("{matches} of {documents} articles match").format(
        matches=number(related.matches), documents=number(related.documents)
    )
    if read < related.matches:
        matched += _("; words estimated on {count} of them, then counted exactly").format(
            count=number(read)
        )
    out.print(Text(matched + _(
        ". Ranked by G² (log-likelihood, on article counts): in = matching articles that hold "
        "it, out = the others."
    )))  # fmt: skip
    expressions = _("Expressions (in {read} matching vs out {others} others read)").format(
        read=number(read), others=number(related.background)
    )
    inside, outside = _("in"), _("out")
    for title, items in (
        (_("Words"), related.words),
        (expressions, related.expressions),
        (_("Persons"), related.persons),
        (_("Countries"), related.countries),
    ):
        out.print(Text(title, style="bold"))
        if not items:
            out.print("  -")
            continue
        width = max(len(k.text) for k in items)
        for k in items:
            out.print(Text(f"  {k.text:<{width}}  {decimal(k.g2):>9}  {inside} "
                           f"{number(k.inside):>6}  {outside} {number(k.outside):>7}"))  # fmt: skip


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
        out.print(Text(_("No other copy of this story in the index."), style="dim"))
        return
    other = ngettext("{count} other copy of this story:", "{count} other copies of this story:",
                     len(copies))  # fmt: skip
    out.print(Text(other.format(count=len(copies)), style="bold"))
    for copy in copies:
        diff = difference(article.title, article.body, copy.title, copy.body)
        meta = " · ".join(m for m in (_date(copy.date), copy.source, display_path(copy.id)) if m)
        out.print(Text(f"  {meta}", style="cyan"))
        if diff.title_differs:
            out.print(Text("    " + _("title") + f": {copy.title}"))
        if not diff.only_here and not diff.only_there:
            out.print(Text("    " + _("the same text")))
        for label, found in ((_("only here"), diff.only_here), (_("only there"), diff.only_there)):
            for sentence in found[:3]:
                out.print(Text(f"    {label}: {_clip(sentence)}"))
            if len(found) > 3:
                more = ngettext("… and {count} more sentence", "… and {count} more sentences",
                                len(found) - 3)  # fmt: skip
                out.print(Text(f"    {label}: {more.format(count=len(found) - 3)}"))


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
    if not trend.periods:
        return [_("No dated article in the index: no timeline to draw.")]
    stories = trend.unit == "stories"
    per, periods_of = named(trend.granularity, PERIODS), named(trend.granularity, PLURAL_PERIODS)
    if not ratio:
        measure = _("Matching stories") if stories else _("Matching articles")
    elif trend.base:
        measure = (
            _("Share of the stories matching {base} (%)") if stories
            else _("Share of the articles matching {base} (%)")
        ).format(base=repr(trend.base))  # fmt: skip
    else:
        measure = _("Share of all stories (%)") if stories else _("Share of all articles (%)")
    size = len(trend.periods)
    span = (
        _("{measure} per {period}, {first} to {last} ({count} {periods}, chosen from the span; "
          "--by to change)") if trend.chosen
        else _("{measure} per {period}, {first} to {last} ({count} {periods})")
    )  # fmt: skip
    first, last = trend.periods[0], trend.periods[-1]
    lines = [span.format(measure=measure, period=per, first=first, last=last,
                         count=number(size), periods=periods_of)]  # fmt: skip
    volumes = [t for t in trend.totals if t]
    held = (
        _("{periods} with stories hold {least} to {most}; {other}.") if stories
        else _("{periods} with articles hold {least} to {most}; {other}.")
    )  # fmt: skip
    other = _("--no-ratio for counts") if ratio else _("--ratio for shares")
    lines.append(held.format(periods=periods_of.capitalize(), least=number(min(volumes)),
                             most=number(max(volumes)), other=other))  # fmt: skip
    if empty := sum(1 for t in trend.totals if not t):
        lines.append(_("{empty} of {count} {periods} hold no article: gaps in the lines.").format(
            empty=number(empty), count=number(size), periods=periods_of))  # fmt: skip
    width = max(len(s.label) for s in trend.series)
    for s in trend.series:
        found = ngettext("{count} match", "{count} matches", s.matches).format(
            count=number(s.matches)
        )
        if s.undated:
            found += " " + _(
                "({count} without a date of their own, not placed: no date, or only their "
                "file's; --file-dates places the latter)"
            ).format(count=number(s.undated))
        lines.append(f"  {s.label:<{width}}  {found}")
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
