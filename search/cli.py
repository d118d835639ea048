"""The ``search`` command line: a thin client of :mod:`search.api`.

Exit codes: 0 when the command did its job (for ``query``: found hits),
1 when a query found nothing, 2 on usage errors, bad queries and index
problems. Messages go to stderr; with ``--json`` stdout holds only JSON.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click
from rich.text import Text

from index.articles import printable
from search import lazy
from search.config import (
    CLUSTER_ENV,
    CLUSTER_INDEX_ENV,
    CORPUS_ENV,
    DEFAULT_CLUSTER_INDEX,
    INDEX_ENV,
    cluster_index_url,
    data_dir,
    default_corpus_dir,
    default_index_dir,
)
from search.i18n import N_, _, decimal, ngettext, number
from search.periods import GRANULARITIES, Granularity

# The engine (numpy, Whoosh), the renderers and the exporters are imported by
# the first command that uses them: `search --help` needs none.
if TYPE_CHECKING:
    from search import api, charts, grammar, render
    from search import concordance as concordances
    from search import export as exporting
else:
    api = lazy.module("search.api")
    charts = lazy.module("search.charts")
    grammar = lazy.module("search.grammar")
    render = lazy.module("search.render")
    concordances = lazy.module("search.concordance")
    exporting = lazy.module("search.export")

# Written in the --commit-every help; a test checks it is index.store's.
COMMIT_EVERY = 10_000

CLUSTER_KEY = "search.cluster"
# The commands that read a cluster (the TUI too: `search tui --cluster`).
CLUSTER_COMMANDS = frozenset(
    {"query", "show", "facets", "stats", "export", "trend", "kwic", "related"}
)

if TYPE_CHECKING:
    from search.api import IndexReport, Progress

F = TypeVar("F", bound=Callable[..., Any])

EXIT_HITS, EXIT_NO_HITS, EXIT_ERROR = 0, 1, 2

# Click's own words (its help's headings, its usage errors), marked for our
# catalogue: Click looks them up through gettext's global domain, which
# search.i18n.activate binds to it.
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("env var: {var}"), N_("default: {default}"), N_("Error: {message}"),
    N_("Try '{command} {option}' for help."), N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"), N_("Missing argument"), N_("Missing option"),
    N_("Missing parameter"), N_("Missing parameter: {param_name}"), N_("Missing command."),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Aborted!"),
    N_("Option {name!r} does not take a value."), N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."), N_("file"), N_("directory"), N_("path"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
)  # fmt: skip


def _click_plurals(count: int) -> None:
    """Click's messages with a plural form, for the catalogue only (never called)."""
    ngettext("Got unexpected extra argument ({args})",
             "Got unexpected extra arguments ({args})", count)
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", count)
    ngettext("Option {name!r} requires an argument.",
             "Option {name!r} requires {nargs} arguments.", count)
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", count)


def examples(text: str) -> str:
    """A command's examples, as Click prints them: lines kept as written."""
    return "\b\n" + text


def fail(message: str) -> None:
    """One line on stderr and exit 2: what users see instead of a traceback."""
    click.echo(_("error: {message}").format(message=printable(message)), err=True)
    sys.exit(EXIT_ERROR)


def query_text(words: Sequence[str]) -> str:
    """The query the arguments make, its syntax checked before any index is opened
    (or built). A blank one is a mistake (an unset shell variable, say), not a
    request for every article: that is ``*``."""
    text = " ".join(words)
    if not text.strip():
        raise api.QuerySyntaxError(
            _("empty query: type the words to look for, or * for every article")
        )
    grammar.parse(text)
    return text


@contextlib.contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner with *message* on stderr while silent work runs (a terminal only)."""
    if not render.is_terminal(sys.stderr):
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def say(message: str) -> None:
    """A message for the user on stderr (stdout is for results)."""
    click.echo(printable(message), err=True)


def location_options(func: F) -> F:
    """``--index`` and ``--corpus``, on every subcommand, defaulting to the environment."""

    @click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar=INDEX_ENV,
        show_envvar=True,
        help=_("Index directory [default: per-user data folder]."),
    )
    @click.option(
        "--corpus",
        type=click.Path(path_type=Path),
        envvar=CORPUS_ENV,
        show_envvar=True,
        help=_("Folder indexed when no PATH is given [default: the shipped seeds/]."),
    )
    @click.option(
        "--cluster",
        "cluster_url",
        envvar=CLUSTER_ENV,
        show_envvar=True,
        metavar="URL",
        help=_("An OpenSearch cluster to push to or read from, instead of the local index."),
    )
    @click.option(
        "--cluster-index",
        envvar=CLUSTER_INDEX_ENV,
        default=DEFAULT_CLUSTER_INDEX,
        show_default=True,
        help=_("The index on the cluster."),
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any, index_dir: Path | None, corpus: Path | None, cluster_url: str | None,
        cluster_index: str, **kwargs: Any,
    ) -> Any:  # fmt: skip
        # What is typed beats the environment: `--index DIR` with SEARCH_CLUSTER
        # set reads DIR, not the cluster it would otherwise quietly read.
        typed_index = named_on_command_line("index_dir") and not named_on_command_line(
            "cluster_url"
        )
        if cluster_url and not typed_index:
            click.get_current_context().meta[CLUSTER_KEY] = (cluster_url, cluster_index)
        return func(
            *args,
            index_dir=index_dir or default_index_dir(),
            corpus=corpus or default_corpus_dir(),
            **kwargs,
        )

    return wrapper  # type: ignore[return-value]


class Day(click.ParamType):
    """A day as the query language writes it: ``2022-03-01``, or a month or a year,
    which ``--since`` reads as its first day and ``--until`` as its last."""

    name = "date"

    def __init__(self, end: Literal["first", "last"]) -> None:
        self.end = end

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, date):
            return value
        try:
            first, last = grammar.day_bounds(str(value))
        except api.QuerySyntaxError:
            self.fail(_("not a date: {value} (write YYYY-MM-DD, YYYY-MM or YYYY)")
                      .format(value=repr(value)), param, ctx)  # fmt: skip
        return first if self.end == "first" else last


def filter_options(func: F) -> F:
    """Drill-down filters shared by every command that reads matches."""

    @click.option(
        "--country",
        "countries",
        multiple=True,
        help=_("Only articles about this country: ISO code or French name (repeat to OR)."),
    )
    @click.option(
        "--person",
        "persons",
        multiple=True,
        help=_("Only articles naming this person (repeat to OR)."),
    )
    @click.option(
        "--since", type=Day("first"), help=_("Published on or after (YYYY-MM-DD, YYYY-MM or YYYY).")
    )
    @click.option(
        "--until", type=Day("last"), help=_("Published on or before (YYYY-MM-DD, YYYY-MM or YYYY).")
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        countries: tuple[str, ...],
        persons: tuple[str, ...],
        since: Any,
        until: Any,
        **kwargs: Any,
    ) -> Any:
        filters = api.Filters(
            countries=countries,
            persons=persons,
            since=since,
            until=until,
        )
        return func(*args, filters=filters, **kwargs)

    return wrapper  # type: ignore[return-value]


unit_option = click.option(
    "--count", "unit", type=click.Choice(["articles", "stories"]), default="articles",
    show_default=True,
    help=_("Count articles, or stories (the copies of one wire dispatch count once)."),
)  # fmt: skip

top_option = click.option(
    "--top", default=10, show_default=True, type=click.IntRange(1, 1000),
    help=_("How many values of each facet."),
)  # fmt: skip


@contextlib.contextmanager
def progress_display(enabled: bool) -> Iterator[Callable[[Progress], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise: files
    and articles done, the rate, and the time left (by bytes, so that one
    large dump among small files does not fool it)."""
    if not enabled or not render.is_terminal(sys.stderr):
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn(_("indexing")),
        BarColumn(),
        TextColumn(
            _("{files} files · {articles} articles · {rate} articles/s ·").format(
                files="{task.fields[files]}", articles="{task.fields[articles]}",
                rate="{task.fields[rate]}",
            )
        ),
        TimeRemainingColumn(),
        TextColumn("{task.fields[current]}"),
        console=render.console(stderr=True),
        transient=True,
    ) as bar:
        started = time.monotonic()
        task = bar.add_task("index", total=None, files="0", articles=0, rate="…", current="")

        def update(event: Progress) -> None:
            elapsed = time.monotonic() - started
            by_bytes = event.bytes_total > 0
            bar.update(
                task,
                total=event.bytes_total if by_bytes else event.files_total,
                completed=event.bytes_done if by_bytes else event.files_done,
                files=f"{number(event.files_done)}/{number(event.files_total)}",
                articles=number(event.articles),
                rate=number(round(event.articles / elapsed)) if elapsed > 1 else "…",
                current=Path(event.current).name[-40:],
            )

        yield update


def report_problems(report: IndexReport, limit: int = 50) -> None:
    problems = report.problems
    for problem in problems[:limit]:
        click.echo(render.problem_line(problem), err=True)
    if len(problems) > limit:
        more = len(problems) - limit
        click.echo(ngettext("… and {count} more problem", "… and {count} more problems", more)
                   .format(count=number(more)), err=True)  # fmt: skip


def cluster_pusher(target: tuple[str, str], *, entities: bool, workers: int | None) -> Any:
    """What writes to the cluster index of --cluster (a :class:`cluster.push.Pusher`)."""
    from cluster.connection import connect
    from cluster.push import Pusher

    url, name = target
    return Pusher(connect(url), url, name, data_dir(), entities=entities, workers=workers)


def summary_line(report: IndexReport) -> str:
    skipped = len(report.skipped)
    # Each count agrees with its own word ("1 ignoré", "2 ignorés" in French).
    counts = {
        "added": (ngettext("{count} new", "{count} new", report.added), report.added),
        "updated": (ngettext("{count} updated", "{count} updated", report.updated),
                    report.updated),
        "removed": (ngettext("{count} removed", "{count} removed", report.removed),
                    report.removed),
        "files": (ngettext("{count} file read", "{count} files read", report.files_read),
                  report.files_read),
        "unchanged": (ngettext("{count} unchanged", "{count} unchanged", report.files_unchanged),
                      report.files_unchanged),
        "skipped": (ngettext("{count} skipped", "{count} skipped", skipped), skipped),
        "warnings": (ngettext("{count} warning", "{count} warnings", len(report.warnings)),
                     len(report.warnings)),
    }  # fmt: skip
    return _(
        "indexed {added}, {updated}, {removed} ({files}, {unchanged}, {skipped}, {warnings}) "
        "in {seconds}s"
    ).format(
        seconds=decimal(report.seconds),
        **{name: said.format(count=number(n)) for name, (said, n) in counts.items()},
    )


def report_json(report: IndexReport, index: Path | str) -> dict[str, Any]:
    """*index*: the index directory, or the cluster index's URL."""
    return {
        "index": str(index),
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "files_read": report.files_read,
        "files_unchanged": report.files_unchanged,
        "rebuilt": report.rebuilt,
        "segments_merged": report.segments_merged,
        "seconds": round(report.seconds, 3),
        # Where the time went (index/timing.py says what each stage holds), to the
        # microsecond: cleaning a small folder takes well under a millisecond, and
        # a stage that ran must not read as one that did not.
        "stages": {stage: round(seconds, 6) for stage, seconds in report.stages.items()},
        "problems": [render.to_json(p) for p in report.problems],
    }


def input_roots(paths: Sequence[Path], index_dir: Path, corpus: Path) -> list[Path]:
    """The folders and files a write command works on: *paths* as given, else the
    folders the index covers (see :func:`search.api.corpus_roots`).

    A named path that does not exist is an error, not an empty corpus that
    would then be remembered: nothing is written."""
    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            fail(_("no such file or directory: {paths}").format(paths=", ".join(missing)))
        return list(paths)
    roots = api.corpus_roots(index_dir, corpus)
    if not any(r.exists() for r in roots):
        fail(_("no such file or directory: {paths} (the corpus: set --corpus or "
               "SEARCH_CORPUS, or name folders)").format(
                 paths=", ".join(map(str, roots))))  # fmt: skip
    return roots


def engine_opener() -> Callable[[Path], contextlib.AbstractContextManager[api.Engine]]:
    """How a command gets its engine, for the length of a `with`: a fresh one it
    closes, or, inside `search serve`, one kept warm (the pool of
    search/resident.py, which the server passes as Click's context object)."""
    context = click.get_current_context(silent=True)
    return (context.obj if context is not None else None) or api.Engine


def named_on_command_line(parameter: str) -> bool:
    """Whether the user typed this option (rather than the environment or the default)."""
    context = click.get_current_context(silent=True)
    if context is None:
        return False
    return context.get_parameter_source(parameter) == click.core.ParameterSource.COMMANDLINE


def cluster_target() -> tuple[str, str] | None:
    """The cluster URL and index name the command was given (--cluster, SEARCH_CLUSTER)."""
    context = click.get_current_context(silent=True)
    return context.meta.get(CLUSTER_KEY) if context is not None else None


def open_engine(index_dir: Path, corpus: Path) -> contextlib.AbstractContextManager[api.Engine]:
    """Open the index, first building it from the corpus if there is none yet
    (or rebuilding it, if an older version of this program built it); or the
    cluster's index, with --cluster."""
    if (target := cluster_target()) is not None:
        command = click.get_current_context().info_name
        if command not in CLUSTER_COMMANDS:
            fail(_("search {command} does not read a cluster yet (it does: {commands})").format(
                command=command, commands=", ".join(sorted(CLUSTER_COMMANDS))))  # fmt: skip
        from cluster.engine import ClusterEngine

        return ClusterEngine(*target)  # type: ignore[return-value]
    api.check_directory(index_dir)
    if (
        not api.index_exists(index_dir)
        and named_on_command_line("index_dir")
        and not named_on_command_line("corpus")
    ):
        # A typo in --index must not quietly build a new index (of the demo
        # seeds, or of a whole archive); naming --corpus too asks for one.
        fail(
            _("no index at {index}: build one with `search index PATH… --index {index}`, "
              "or check the name").format(index=index_dir)
        )  # fmt: skip
    if api.index_outdated(index_dir):
        click.echo(_("The index at {index} is from an older version: rebuilding it …")
                   .format(index=index_dir), err=True)  # fmt: skip
    elif not api.index_exists(index_dir):
        click.echo(_("No index at {index} yet: building it from {corpus} …")
                   .format(index=index_dir, corpus=corpus), err=True)  # fmt: skip
    else:
        return engine_opener()(index_dir)
    with progress_display(True) as progress:
        report = api.ensure_index(index_dir, corpus, progress)
    if report is not None:
        report_problems(report)
        click.echo(summary_line(report), err=True)
    return engine_opener()(index_dir)


def handle_errors(func: F) -> F:
    """Known failures become one line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except api.FilterError as error:
            fail(f"--{error.name}: {error}")
        except api.QuerySyntaxError as error:
            fail(_("query syntax: {error}").format(error=error))
        except api.IndexProblem as error:
            fail(str(error))
        except BrokenPipeError:
            # The reader stopped early (`| head`): what it wanted was delivered.
            # Later writes to stdout must not fail again at exit. Inside
            # `search serve`, stdout is a socket channel and has no descriptor.
            with contextlib.suppress(OSError):
                descriptor = sys.stdout.fileno()
                os.dup2(os.open(os.devnull, os.O_WRONLY), descriptor)
            sys.exit(EXIT_HITS)
        except OSError as error:  # a path inside a file, a full or read-only disk …
            where = f"{error.filename}: " if error.filename else ""
            if error.errno == errno.ENOSPC:
                fail(where + _("no space left on the disk: free some, then run the command "
                               "again (what was committed before is intact)"))  # fmt: skip
            fail(f"{where}{error.strerror or error}")
        except KeyboardInterrupt:
            click.echo(_("interrupted"), err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=examples(_("""Examples:
  search query "Finlande"                       # ranked hits with snippets
  search query 'OTAN ET (Finlande OU Suède)' --limit 5
  search query "l'alliance" --json | jq '.hits[].title'
  search index ~/articles                       # add or refresh a folder
  search watch ~/articles                       # and keep following it
  search show ID --query Finlande               # read an article, matches marked
  search trend Macron "Le Pen" --by month       # attention over time, as shares
  search kwic Finlande --sort left              # every occurrence in its context
  search related "gilets jaunes"                # what the matches talk about
  search stats
  search serve                                  # answer the others from a warm process
""")),
    help=_(
        "Full-text search for archives of French news articles."
    ),
)
@click.version_option(package_name="french-news-search")
def cli() -> None:
    """The command group (its help, translated, is the decorator's)."""


@cli.command(
    epilog=examples(_("""Examples:
  search index                      # the default corpus (SEARCH_CORPUS or seeds/)
  search index ~/presse ~/dumps/2022.jsonl.gz
  search index --rebuild            # start again from scratch
  SEARCH_INDEX=/tmp/idx search index ~/presse
""")),
    help=_(
        "Add new, update changed and remove deleted articles.\n"
        "\n"
        "PATHS are folders (read recursively) or files: .txt, .md, .json, .jsonl,\n"
        ".jsonl.gz, .html. Unchanged files are not re-read. Malformed files and\n"
        "records are reported with their path and reason, and skipped."
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help=_("Discard the index and build it again "
                     "(with --cluster: push every file again)."))  # fmt: skip
@click.option(
    "--no-entities",
    is_flag=True,
    help=_("Skip country and person extraction (faster; those facets stay empty)."),
)
@click.option(
    "--commit-every",
    default=COMMIT_EVERY,
    show_default=True,
    type=click.IntRange(1),
    help=_("Commit after the file that reaches this many articles: the most a crash can cost."),
)
@click.option(
    "--workers",
    type=click.IntRange(0),
    help=_("Processes writing the index (with --cluster: making the documents) in parallel "
           "(default: one per core, up to 4, for updates over 4 MB; 0: all in this process)."),
)
@click.option("--json", "as_json", is_flag=True, help=_("Print the report as JSON."))
@location_options
@handle_errors
def index(
    paths: Sequence[Path],
    rebuild: bool,
    no_entities: bool,
    commit_every: int,
    workers: int | None,
    as_json: bool,
    index_dir: Path,
    corpus: Path,
) -> None:
    from search.api import Indexer

    roots = input_roots(paths, index_dir, corpus)
    if (target := cluster_target()) is not None:
        pusher = cluster_pusher(target, entities=not no_entities, workers=workers)
        with progress_display(not as_json) as progress:
            report = pusher.update(roots, again=rebuild, progress=progress)
        report_problems(report)
        if as_json:
            render.dump(report_json(report, cluster_index_url(*target)))
        else:
            click.echo(summary_line(report), err=True)
        return
    with progress_display(not as_json) as progress:
        indexer = Indexer(
            index_dir,
            entities=not no_entities,
            commit_every=commit_every,
            workers=workers,
            on_wait=say,
        )
        report = indexer.update(roots, rebuild=rebuild, progress=progress)
    report_problems(report)
    if as_json:
        render.dump(report_json(report, index_dir))
    else:
        click.echo(summary_line(report), err=True)


@cli.command(
    epilog=examples(_("""Examples:
  search watch                      # the default corpus (SEARCH_CORPUS or seeds/)
  search watch ~/presse ~/exports
  search watch ~/presse --json | jq -c '{added, removed}'
""")),
    help=_(
        "Keep the index current while files appear, change, move or disappear.\n"
        "\n"
        "First indexes what changed since the last run, then follows the folders:\n"
        "each file is indexed once it has stopped changing, in batches, one line\n"
        "per batch. Ctrl+C stops after the batch in progress (twice: at once; the\n"
        "index keeps its last commit either way)."
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--no-entities",
    is_flag=True,
    help=_("Skip country and person extraction (faster; those facets stay empty)."),
)
@click.option("--json", "as_json", is_flag=True, help=_("One JSON report per batch (JSON Lines)."))
@location_options
@handle_errors
def watch(
    paths: Sequence[Path], no_entities: bool, as_json: bool, index_dir: Path, corpus: Path
) -> None:
    from search.api import Indexer, Watcher

    # A covered folder that is gone (an unmounted disk) is not watched.
    roots = [r for r in input_roots(paths, index_dir, corpus) if r.exists()]
    target = cluster_target()
    writer = (
        Indexer(index_dir, entities=not no_entities)
        if target is None
        else cluster_pusher(target, entities=not no_entities, workers=None)
    )
    watcher = Watcher(writer, roots)
    written_to = str(index_dir) if target is None else cluster_index_url(*target)
    stop = threading.Event()

    def interrupt(_signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo(_("stopping after the current batch (Ctrl+C again to stop now)"), err=True)

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)

    def emit(report: IndexReport, label: str) -> None:
        report_problems(report)
        if as_json:
            render.dump({"batch": label, **report_json(report, written_to)}, lines=True)
            return
        if label == "merge":
            said = ngettext(
                "merged {count} segment in {seconds}s", "merged {count} segments in {seconds}s",
                report.segments_merged,
            ).format(count=number(report.segments_merged), seconds=decimal(report.seconds))
        else:
            said = _("{label}: {summary}").format(label=_(label), summary=summary_line(report))
        click.echo(f"{time.strftime('%H:%M:%S')} {said}", err=True)

    with progress_display(not as_json) as progress:
        emit(watcher.reconcile(progress), N_("startup"))
    where = ", ".join(render.display_path(str(r)) for r in watcher.roots)

    def watching() -> None:
        click.echo(_("watching {folders} (Ctrl+C to stop)").format(folders=where), err=True)

    def busy(count: int) -> None:
        waiting = _("index busy (another writer): {count} changes wait").format(count=count)
        click.echo(f"{time.strftime('%H:%M:%S')} {waiting}", err=True)

    for report in watcher.batches(stop, on_busy=busy, on_watching=watching):
        # A batch is searchable once committed; the merges it made due run
        # when nothing waits, and say so apart.
        merge_only = report.segments_merged and not report.changed and not report.problems
        emit(report, "merge" if merge_only else N_("batch"))
    click.echo(_("stopped; the index is up to date with every completed batch"), err=True)


@cli.command(
    epilog=examples(_("""Examples:
  search doctor                     # check the index against its folders, repair
  search doctor --dry-run --json    # only report
  search doctor ~/presse            # check against these folders instead
""")),
    help=_(
        "Check the index against the corpus folders, and repair it.\n"
        "\n"
        "Reads every segment, then lists articles missing from the index, stale\n"
        "(changed since indexed) and orphaned (file gone). Repairs with an\n"
        "incremental update; a damaged index is rebuilt into a new directory that\n"
        "replaces it once complete. PATHS default to the folders the index was\n"
        "built from (or the default corpus)."
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help=_("Report only; exit 1 if anything is wrong."))
@click.option(
    "--no-entities", is_flag=True, help=_("Repair without country and person extraction.")
)
@click.option("--json", "as_json", is_flag=True, help=_("Print the diagnosis as JSON."))
@location_options
@handle_errors
def doctor(
    paths: Sequence[Path],
    dry_run: bool,
    no_entities: bool,
    as_json: bool,
    index_dir: Path,
    corpus: Path,
) -> None:
    if cluster_target() is not None:
        fail(_("search doctor checks a local index; on a cluster, search index PATH "
               "--cluster URL sends what is missing or changed"))  # fmt: skip
    from search.api import diagnose, repair

    roots = list(input_roots(paths, index_dir, corpus)) if paths else None
    with working(_("Checking every file against the index …")):
        diagnosis = diagnose(index_dir, roots)
        if not diagnosis.roots:
            diagnosis = diagnose(index_dir, [corpus])
    if not as_json:
        render.print_diagnosis(render.console(), diagnosis)
    report = None
    if not dry_run and not diagnosis.healthy:
        with progress_display(not as_json) as progress:
            report = repair(diagnosis, entities=not no_entities, progress=progress)
        report_problems(report)
    if as_json:
        data = render.to_json(diagnosis)
        data["healthy"] = diagnosis.healthy
        data["plan"] = diagnosis.plan
        data["repair"] = report_json(report, index_dir) if report else None
        render.dump(data)
    else:
        if report:
            done = _("rebuilt: {summary}") if diagnosis.damage else _("repaired: {summary}")
            click.echo(done.format(summary=summary_line(report)), err=True)
    sys.exit(EXIT_NO_HITS if dry_run and not diagnosis.healthy else EXIT_HITS)


@cli.command(
    epilog=examples(_("""Examples:
  search query Finlande
  search query '"sommet de Madrid"' --sort date
  search query 'sécurité SAUF Russie' --limit 20
  search query 'titre:Macron date:[2018-01-01 TO 2018-12-31]'
  search query OTAN --country FI --country SE --since 2022-03-01
  search query 'pays:"États-Unis" personne:Poutine'
  search query securite --json
""")),
    help=_(
        'Search the index and print ranked hits with highlighted snippets.\n'
        '\n'
        'Words are AND-ed. Query language: "phrases", AND/OR/NOT (ET/OU/SAUF),\n'
        'field:value (titre, source, section, pays, personne, date), wildcards\n'
        '(financ*), fuzzy terms (Finlnde~), date ranges (date:[2022-03-01 TO 2022-06-30]).\n'
        'Accents, case and elision do not matter: securite finds sécurité.\n'
        'Copies of one wire dispatch show once, with "+N copies" (--all: each).\n'
        '\n'
        'Exit code: 0 with hits, 1 without, 2 on errors.'
    ),
)
@click.argument("words", nargs=-1, required=True)
@click.option("-n", "--limit", default=10, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, type=click.IntRange(0), help=_("Skip the first N hits."))
@click.option(
    "--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True
)
@click.option("--all", "every", is_flag=True,
              help=_(
                  "Every article: do not collapse the copies of one wire dispatch."
              ))  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=_("Print one JSON document on stdout."))
@top_option
@filter_options
@location_options
@handle_errors
def query(
    words: Sequence[str],
    limit: int,
    offset: int,
    sort: str,
    every: bool,
    as_json: bool,
    filters: api.Filters,
    top: int,
    index_dir: Path,
    corpus: Path,
) -> None:
    text = query_text(words)
    with open_engine(index_dir, corpus) as engine:
        results = engine.search(
            text,
            limit=limit,
            offset=offset,
            sort=sort,  # type: ignore[arg-type]
            filters=filters,
            facets=True,
            top=top,
            collapse=not every,
        )
        suggestion = engine.suggest(text) if not results.total and text.strip() else None
    if as_json:
        render.dump({**render.results_json(results), "suggestion": suggestion})
    else:
        render.print_results(render.console(), results)
    for note in results.notes:
        say(_("note: {note}").format(note=note))
    if results.hint:
        click.echo(_("hint: {hint}").format(hint=results.hint), err=True)
    if suggestion:
        click.echo(_('Did you mean: search query "{query}"').format(query=suggestion), err=True)
    sys.exit(EXIT_HITS if results.total else EXIT_NO_HITS)


@cli.command(
    epilog=examples(_("""Examples:
  search export Stoltenberg --format csv -o stoltenberg.csv
  search export 'pays:FI' --format csv --excel -o finlande.csv   # opens in French Excel
  search export OTAN --format jsonl --text --sort date > otan.jsonl
  search export --format opensearch --mapping template.json -o presse.ndjson
""")),
    help=_(
        "Every article matching QUERY (all articles without one), streamed.\n"
        "\n"
        "Relevance or date order; the same query language and filters as `query`.\n"
        "Memory stays flat whatever the number of matches. A progress bar shows\n"
        "on a terminal; a one-line summary goes to stderr."
    ),
)
@click.argument("words", nargs=-1)
@click.option(
    "--format", "fmt", type=click.Choice(exporting.FORMATS), default="csv", show_default=True,
    help=_("csv (RFC 4180, UTF-8), jsonl, or opensearch (a _bulk file)."),
)  # fmt: skip
@click.option(
    "--fields",
    help=_("Comma-separated columns [default: {fields}].").format(
        fields=",".join(exporting.DEFAULT_FIELDS)
    ),
)
@click.option("--text", "with_text", is_flag=True, help=_("Add the lead and the body."))
@click.option("--excel", is_flag=True, help=_("CSV as French Excel opens it: ';' and a BOM."))
@click.option(
    "--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help=_("Write to this file [default: stdout]."))  # fmt: skip
@click.option("--index-name", default="presse", show_default=True,
              help=_("opensearch: the target index (and the template's pattern)."))  # fmt: skip
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
              help=_("opensearch: also write the index template here."))  # fmt: skip
@filter_options
@location_options
@handle_errors
def export(
    words: Sequence[str],
    fmt: exporting.Format,
    fields: str | None,
    with_text: bool,
    excel: bool,
    sort: str,
    output: Path | None,
    index_name: str,
    mapping: Path | None,
    filters: api.Filters,
    index_dir: Path,
    corpus: Path,
) -> None:
    try:
        columns = exporting.check_fields(
            [f.strip() for f in fields.split(",") if f.strip()] if fields else
            [*exporting.DEFAULT_FIELDS, *(exporting.TEXT_FIELDS if with_text else ())]
        )  # fmt: skip
    except exporting.UnknownField as error:
        fail(f"--fields: {error}")
    if excel and fmt != "csv":
        # A BOM in front of JSON breaks every JSON reader.
        fail(_("--excel is for --format csv (not {format})").format(format=fmt))
    from index.store import replacing

    started = time.perf_counter()
    # -o FILE appears only once complete: a failure half-way leaves no short file.
    with open_engine(index_dir, corpus) as engine, contextlib.ExitStack() as stack:
        out = (
            stack.enter_context(replacing(output, encoding="utf-8-sig" if excel else "utf-8"))
            if output else sys.stdout
        )  # fmt: skip
        if excel and output is None:
            out.write("\ufeff")
        shown = output is not None or not render.is_terminal(sys.stdout)
        progress = stack.enter_context(export_progress(shown))
        rows = exporting.records(
            engine,
            " ".join(words),
            filters=filters,
            sort=sort,  # type: ignore[arg-type]
            progress=progress,
        )
        count = exporting.write(
            rows, out, fmt, fields=columns, excel=excel, index_name=index_name,
            roots=engine.stats().roots,
        )  # fmt: skip
        out.flush()
    if mapping is not None:
        mapping.write_text(
            json.dumps(exporting.index_template(index_name), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    seconds = f"{time.perf_counter() - started:.1f}"
    if output:
        done = ngettext("exported {count} article to {path} in {seconds}s",
                        "exported {count} articles to {path} in {seconds}s", count)
    else:
        done = ngettext("exported {count} article in {seconds}s",
                        "exported {count} articles in {seconds}s", count)
    say(done.format(count=number(count), path=render.display_path(str(output)), seconds=seconds))


@contextlib.contextmanager
def export_progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for large exports (not when stdout is that terminal)."""
    if not enabled or not render.is_terminal(sys.stderr):
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(console=render.console(stderr=True), transient=True) as bar:
        task = bar.add_task(_("exporting"), total=None)

        def update(done: int, total: int) -> None:
            if done % 200 == 0 or done == total:
                bar.update(task, completed=done, total=total)

        yield update


@cli.command(
    epilog=examples(_("""Examples:
  search show seeds/2020-07-02_orangesum-9174.txt --query Finlande
  search show '/data/dump.jsonl#1234' --json
  search show '/data/dump.jsonl#1234' --copies
""")),
    help=_(
        "Print a whole article. DOC_ID is an id from `search query`, or a file path."
    ),
)
@click.argument("doc_id")
@click.option("-q", "--query", "query_text", help=_("Highlight the matches of this query."))
@click.option("--copies", is_flag=True,
              help=_("Also list the other copies of its story, with what differs."))  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=_("Print the article as JSON."))
@location_options
@handle_errors
def show(
    doc_id: str, query_text: str | None, copies: bool, as_json: bool, index_dir: Path,
    corpus: Path,
) -> None:  # fmt: skip
    with open_engine(index_dir, corpus) as engine:
        # Ids are absolute; the text output shows them relative to the working
        # directory, and a unique prefix of either form will do.
        candidates = [doc_id]
        if not os.path.isabs(doc_id):
            path, sep, record = doc_id.partition("#")
            candidates.append(os.path.abspath(path) + sep + record)
        article = next(
            (a for c in candidates if (a := engine.article(c, query_text)) is not None), None
        )
        if article is None:
            matches = list(dict.fromkeys(m for c in candidates for m in engine.ids(c)))
            if len(matches) == 1:
                article = engine.article(matches[0], query_text)
            elif matches:
                shown = render.shortlist([render.display_path(m) for m in matches], 5)
                fail(_("{id} is ambiguous: {count} ids start with it: {ids}").format(
                    id=repr(doc_id), count=len(matches), ids=shown))  # fmt: skip
            else:
                fail(_("no article with id {id}").format(id=repr(doc_id)))
        found_copies = engine.copies(article.id) if copies and article is not None else []
    assert article is not None
    if as_json:
        data = render.to_json(article)
        if copies:
            data["copies"] = [render.copy_json(article, c) for c in found_copies]
        render.dump(data)
    else:
        out = render.console()
        render.print_article(out, article)
        if copies:
            render.print_copies(out, article, found_copies)


@cli.command(
    epilog=examples(_("""Examples:
  search facets                          # the whole index
  search facets OTAN --top 5
  search facets Finlande --by year --json
  search facets --country UA --since 2022-01-01
""")),
    help=_(
        "Counts per country, person and date over every article matching QUERY."
    ),
)
@click.argument("words", nargs=-1)
@click.option(
    "--by", "granularity", type=click.Choice(GRANULARITIES), default="month",
    show_default=True, help=_("Date buckets."),
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=_("Print the counts as JSON."))
@unit_option
@top_option
@filter_options
@location_options
@handle_errors
def facets(
    words: Sequence[str],
    granularity: str,
    as_json: bool,
    unit: str,
    filters: api.Filters,
    top: int,
    index_dir: Path,
    corpus: Path,
) -> None:
    text = " ".join(words)
    with open_engine(index_dir, corpus) as engine:
        counts = engine.facets(
            text,
            filters=filters,
            top=top,
            granularity=granularity,
            unit=unit,  # type: ignore[arg-type]
        )
    if as_json:
        render.dump(render.facets_json(counts))
    else:
        render.print_facets(render.console(), counts)


@cli.command(
    epilog=examples(_("""Examples:
  search trend Macron "Le Pen" --by month
  search trend 'pays:UA' 'pays:RU' --since 2022-01-01 --label Ukraine --label Russie
  search trend Finlande OTAN --csv > finlande.csv
  search trend "réforme des retraites" --plot retraites.svg
""")),
    help=_(
        "Attention over time: articles matching each QUERY per period, and their\n"
        "share of all the articles of the period.\n"
        "\n"
        "Each QUERY is one argument (quote multi-word queries) in the full query\n"
        "language; the filters narrow every query. A period in which the archive\n"
        "holds no article is a gap, not zero. Exit 1 when no query matches."
    ),
)
@click.argument("queries", nargs=-1, required=True)
@click.option("--by", "granularity", type=click.Choice(GRANULARITIES),
              help=_("Periods [default: chosen from the span of the archive]."))  # fmt: skip
@click.option("--ratio/--no-ratio", default=None,
              help=_("Share of all articles of each period, or raw counts "
                     "[default: the share when periods differ in volume]."))  # fmt: skip
@unit_option
@click.option("--label", "labels", multiple=True,
              help=_("A legend label for each query, in order (repeat)."))  # fmt: skip
@click.option("--base", default="", metavar="QUERY",
              help=_(
                  "What makes 100% (e.g. 'source:lemonde') [default: all articles]."
              ))  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=_("Counts and shares as JSON."))
@click.option("--csv", "as_csv", is_flag=True, help=_("One CSV row per period."))
@click.option("--file-dates", is_flag=True,
              help=_(
                  "Also place articles dated only by their file's modification time."
              ))  # fmt: skip
@click.option("--plot", type=click.Path(path_type=Path, dir_okay=False),
              help=_(
                  "Write the chart to a .svg, .png or .pdf file (needs matplotlib)."
              ))  # fmt: skip
@filter_options
@location_options
@handle_errors
def trend(
    queries: Sequence[str],
    granularity: Granularity | None,
    ratio: bool | None,
    labels: Sequence[str],
    base: str,
    as_json: bool,
    as_csv: bool,
    file_dates: bool,
    plot: Path | None,
    unit: str,
    filters: api.Filters,
    index_dir: Path,
    corpus: Path,
) -> None:
    if len(labels) > len(queries):
        fail(_("--label given {labels} times for {queries} queries").format(
            labels=len(labels), queries=len(queries)))  # fmt: skip
    if as_json and as_csv:
        fail(_("--json and --csv: choose one"))
    queries = [query_text([q]) for q in queries]
    with open_engine(index_dir, corpus) as engine:
        found = engine.trend(
            queries, labels=labels, filters=filters, granularity=granularity, base=base,
            unit=unit, file_dates=file_dates,  # type: ignore[arg-type]
        )  # fmt: skip
    shares = found.uneven if ratio is None else ratio
    if plot is not None:
        try:
            charts.save(found, plot, ratio=shares)
        except (charts.ChartUnavailable, ValueError) as error:
            fail(str(error))
        say(_("wrote {path}").format(path=render.display_path(str(plot))))
    elif as_json:
        render.dump(render.trend_json(found, shares))
    elif as_csv:
        render.write_trend_csv(found, sys.stdout)
    else:
        out = render.console()
        for line in render.trend_lines(found, shares):
            out.print(Text(line))
        if found.periods:
            coloured = render.is_terminal(sys.stdout) and "NO_COLOR" not in os.environ
            width = min(out.width, 120) if render.is_terminal(sys.stdout) else 80
            chart = charts.terminal(found, ratio=shares, width=width, height=20, colour=coloured)
            sys.stdout.write(chart + "\n")
    sys.exit(EXIT_HITS if any(s.matches for s in found.series) else EXIT_NO_HITS)


@cli.command(
    epilog=examples(_("""Examples:
  search kwic Finlande
  search kwic "sommet de Madrid" --width 60 --sort date
  search kwic 'finlandais*' --sort right --limit 50
  search kwic OTAN --json | jq -r '.right'
""")),
    help=_(
        "Concordance: every occurrence of what QUERY matched, in its context.\n"
        "\n"
        "One line per occurrence, aligned on the match, with the article's date\n"
        "and id; the matched forms are the ones the snippets highlight\n"
        "(Finlande: finlandais, Finlandaises…). Streamed: in article or date order\n"
        "the first lines come at once. Exit 1 when nothing matches."
    ),
)
@click.argument("words", nargs=-1, required=True)
@click.option("--width", default=40, show_default=True, type=click.IntRange(5, 1000),
              help=_("Characters of context on each side."))  # fmt: skip
@click.option("--sort", "order", type=click.Choice(concordances.ORDERS), default="article",
              show_default=True,
              help=_("article: by article in rank order; date: newest first; left/right: on "
                     "the words just before / after the match."))  # fmt: skip
@click.option("--limit", type=click.IntRange(1, None), help=_("At most this many lines."))
@click.option("--json", "as_json", is_flag=True, help=_("One JSON object per line (JSON Lines)."))
@filter_options
@location_options
@handle_errors
def kwic(
    words: Sequence[str],
    width: int,
    order: concordances.KwicOrder,
    limit: int | None,
    as_json: bool,
    filters: api.Filters,
    index_dir: Path,
    corpus: Path,
) -> None:
    shown = 0
    with open_engine(index_dir, corpus) as engine:
        out = render.console()
        found: Iterable[concordances.Occurrence] = concordances.concordance(
            engine, query_text(words), filters=filters, order=order, width=width, limit=limit
        )
        if order in ("left", "right"):  # sorted: every line is read before the first shows
            sorting = (_("Sorting every occurrence on the words left of it …") if order == "left"
                       else _("Sorting every occurrence on the words right of it …"))
            with working(sorting):
                found = list(found)
        for line in found:
            if as_json:
                render.dump(render.kwic_json(line), lines=True)
            else:
                out.print(render.kwic_line(line, width), soft_wrap=True)
            shown += 1
    if not as_json:
        said = ngettext("{count} occurrence", "{count} occurrences", shown)
        if limit is not None and shown == limit:
            said = ngettext("{count} occurrence (--limit: there may be more)",
                            "{count} occurrences (--limit: there may be more)", shown)
        say(said.format(count=number(shown)))
    sys.exit(EXIT_HITS if shown else EXIT_NO_HITS)


@cli.command(
    epilog=examples(_("""Examples:
  search related "gilets jaunes"
  search related grève --since 2019-12-01 --until 2020-01-31 --top 10
  search related Finlande --json | jq -r '.words[].text'
""")),
    help=_(
        "What the articles matching QUERY talk about, compared with the whole index.\n"
        "\n"
        "Words, two-word expressions, persons and countries over-represented in\n"
        "the matches, ranked by log-likelihood (G², on article counts), with how\n"
        "many matching and other articles hold each. Stop words and the query's\n"
        "own words are left out. Exit 1 when nothing matches."
    ),
)
@click.argument("words", nargs=-1, required=True)
@click.option("--top", default=15, show_default=True, type=click.IntRange(1, 200),
              help=_("How many of each kind."))  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help=_("Print the lists as JSON."))
@filter_options
@location_options
@handle_errors
def related(
    words: Sequence[str], top: int, as_json: bool, filters: api.Filters, index_dir: Path,
    corpus: Path,
) -> None:  # fmt: skip
    text = query_text(words)
    with open_engine(index_dir, corpus) as engine, working(_("Comparing with the whole index …")):
        found = engine.related(text, filters=filters, top=top)
    if as_json:
        render.dump(render.to_json(found))
    else:
        render.print_related(render.console(), found)
    sys.exit(EXIT_HITS if found.matches else EXIT_NO_HITS)


@cli.command(
    epilog=examples(_("""Examples:
  search inspect seeds/2020-07-02_orangesum-9174.txt
  search inspect seeds --json | jq -c '{title, countries: [.countries[].code]}'
""")),
    help=_(
        "What the indexer extracts from files, without indexing them.\n"
        "\n"
        "Title, date and where it came from, countries with the words that\n"
        "triggered each, persons with the mentions merged into each: to check the\n"
        "facets, and to report their errors."
    ),
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--json", "as_json", is_flag=True, help=_("One JSON object per article (JSON Lines).")
)
@handle_errors
def inspect(paths: Sequence[Path], as_json: bool) -> None:
    from search.api import inspect_paths

    out = render.console()
    for item in inspect_paths(paths):
        if as_json:
            render.dump(item, lines=True)
        else:
            render.print_inspection(out, item)


@cli.command(
    epilog=examples(_("""Examples:
  search tui
  search tui "OTAN Finlande"
  SEARCH_INDEX=~/idx search tui
""")),
    help=_(
        "Interactive search in the terminal: type, read, drill down by facets.\n"
        "\n"
        "F1 or ? lists every key. If there is no index yet, ctrl+r builds it."
    ),
)
@click.argument("words", nargs=-1)
@location_options
def tui(words: Sequence[str], index_dir: Path, corpus: Path) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Redirected, it would write escape codes into a file until killed.
        fail(_("search tui needs a terminal (its input or output is redirected): "
               "for text, use search query"))  # fmt: skip
    from search import i18n

    i18n.activate()  # the user's language, before the TUI's classes are made
    from tui.app import run  # Textual is only imported for the UI

    run(index_dir, corpus, " ".join(words), cluster=cluster_target())


@cli.command(
    epilog=examples(_("""Examples:
  search serve                      # in a terminal of its own; ctrl+c stops it
  search serve --idle 60 &          # in the background, gone after an idle hour
""")),
    help=_(
        "Keep the engine warm: other `search` commands answer from this process.\n"
        "\n"
        "While it runs, query, show, facets, trend, kwic, related and stats (on\n"
        "any index) are answered here: their output and exit codes are the\n"
        "same, without the half second a fresh process spends importing and\n"
        "opening. The index is refreshed when it has a newer commit. Other commands,\n"
        "and every command when no server runs, work as before; so does a command\n"
        "that comes while the server is busy with another, or that the server does\n"
        "not take within 3 seconds. One server per user; its socket is in\n"
        "$XDG_RUNTIME_DIR (or the temporary folder), and only this user is served."
    ),
)
@click.option("--idle", type=click.FloatRange(min=0, min_open=True), metavar="MINUTES",
              help=_(
                  "Stop after this many minutes without a request [default: never]."
              ))  # fmt: skip
@location_options
@handle_errors
def serve(idle: float | None, index_dir: Path, corpus: Path) -> None:
    from search import resident

    engines = resident.WarmEngines()
    click.get_current_context().obj = engines
    try:
        with open_engine(index_dir, corpus) as engine:
            # Warm the default index now, not in the first request: the first
            # search maps the facet table, builds the ranker's arrays and imports
            # what grouping stories needs.
            engine.search("", facets=True, collapse=True)
        log = resident.stream_log(sys.stderr)
        resident.serve(engines, idle=idle * 60 if idle else None, log=log)
    except resident.ServerError as error:
        fail(str(error))
    finally:
        engines.close()


@cli.command(
    help=_(
        "How many articles the index holds, where it is, when it was updated."
    ),
)
@click.option("--json", "as_json", is_flag=True, help=_("Print the statistics as JSON."))
@location_options
@handle_errors
def stats(as_json: bool, index_dir: Path, corpus: Path) -> None:
    with open_engine(index_dir, corpus) as engine:
        info = engine.stats()
    if as_json:
        render.dump(render.to_json(info))
    else:
        render.print_stats(render.console(), info)


def unexpected(error: BaseException) -> str:
    """The one line a bug shows instead of a traceback, here and in ``search serve``."""
    detail = printable(str(error)).splitlines()[0] if str(error) else ""
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return _("error: unexpected {error} (a bug: please report it with the command that led to "
             "it)").format(error=what)


def main() -> None:
    try:
        cli(prog_name="search")
    except Exception as error:  # a bug must not show a user a traceback
        click.echo(unexpected(error), err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
