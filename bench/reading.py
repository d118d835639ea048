"""What reading a large index costs: memory, per-query-set latency, a cold
one-liner, and the TUI's first results.

Every figure comes from a fresh process, so that one measurement's caches and
memory never flatter the next (the OS page cache is shared: each is run once
first, unmeasured, as a user's second command would find it):

- ``Engine(...)``: seconds to open; resident memory (anonymous, which the
  process owns, and file-backed, the index's pages the OS may drop) after
  opening and after every query of the fixed sets;
- per query set: p50 / p95 / max of the interactive request (top 10 +
  snippets + 3 facets), each query once, in the file's order;
- ``search query Finlande --limit 5`` as typed (through the ``search``
  script's launcher, no server running): median wall time of 9 runs, and the
  peak RSS of the process (the kernel's ``ru_maxrss``); then the same while
  ``search serve`` runs, with the server's anonymous memory after those
  queries;
- ``search tui Finlande``: from starting the process to its first screen
  (the search box drawn, taking keys) and to the first hits on screen
  (Textual's pilot in a headless terminal, medians of 5). Children run with
  bytecode caching on, as an installed package does, and in English.

``--startup`` measures only what a user waits for before anything happens:
``search --help``, the cold one-liner and the TUI's first screen and hits.

    python bench/reading.py --index bench/out/scale/index-x10
    python bench/reading.py --index bench/out/scale/index-x10 --startup
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import query_sets  # noqa: E402

# The fixed query sets, in the order of the README's table (p50 / p95 / max each).
SETS = {
    "one_word": "one word",
    "two_word_and": "two-word AND",
    "or_3_5_words": "3-5-word OR",
    "phrase": "phrase",
    "all": "all four sets",
}


def resident_mb() -> dict[str, float]:
    """This process's anonymous and file-backed resident memory (Linux), MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            found[name[3:].lower()] = int(value.split()[0]) / 1024
    return found


def engine_figures(index_dir: Path) -> dict[str, Any]:
    """Open, query every set, report (run in a child: ``--engine``)."""
    from search.api import Engine

    started = time.perf_counter()
    engine = Engine(index_dir)
    row: dict[str, Any] = {"open_s": time.perf_counter() - started, "after_open": resident_mb()}
    engine.search("warm up", facets=True)
    everything: list[float] = []
    for name, queries in query_sets().items():
        samples = []
        for text in queries:
            started = time.perf_counter()
            engine.search(text, limit=10, facets=True)
            samples.append((time.perf_counter() - started) * 1000)
        everything += samples
        row[name] = summary(samples)
    row["all"] = summary(everything)
    row["after_queries"] = resident_mb()
    stats = engine.stats()
    row["articles"], row["segments"] = stats.documents, stats.segments
    engine.close()
    return row


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


def _as_installed() -> dict[str, str]:
    """The environment for timed children: an installed package keeps its bytecode
    (pip compiles it), so the first, untimed run may write it here too."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["LANGUAGE"] = "en"  # one language for the server and its clients, whatever the locale
    return env


def one_liner(
    index_dir: Path, runs: int = 9, env: dict[str, str] | None = None,
    args: tuple[str, ...] = ("query", "Finlande", "--limit", "5"),
) -> dict[str, float]:
    """``search query Finlande --limit 5`` (or *args*) as typed, through the
    ``search`` script's launcher, in a fresh process: median wall, peak RSS.
    Without *env*, no server answers (an empty runtime folder)."""
    if env is None:
        with tempfile.TemporaryDirectory() as runtime:
            return one_liner(index_dir, runs, {**_as_installed(), "XDG_RUNTIME_DIR": runtime}, args)
    env = {**env, "SEARCH_INDEX": str(index_dir)}
    command = [sys.executable, "-m", "search.launcher", *args]
    walls, peaks = [], []
    for n in range(runs + 1):
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"failed: {' '.join(command)}")
        if n:  # the first run warms the OS cache
            walls.append(time.perf_counter() - started)
            peaks.append(usage.ru_maxrss / 1024)
    return {"wall_s": statistics.median(walls), "peak_rss_mb": max(peaks)}


def served_one_liner(index_dir: Path, runs: int = 9) -> dict[str, float]:
    """The same one-liner through the ``search`` script's launcher while ``search serve``
    runs (its own runtime folder); plus the server's memory after those queries."""
    with tempfile.TemporaryDirectory() as runtime:
        env = {**_as_installed(), "XDG_RUNTIME_DIR": runtime, "SEARCH_INDEX": str(index_dir)}
        server = subprocess.Popen(
            [sys.executable, "-m", "search.cli", "serve"],
            env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server.stderr is not None
            ready = server.stderr.readline()
            if not ready.startswith("listening on "):
                raise SystemExit(f"search serve did not start: {ready}")
            row = one_liner(index_dir, runs, env=env)
            status = Path(f"/proc/{server.pid}/status").read_text()
            anon = re.search(r"RssAnon:\s+(\d+)", status)
            row["server_anon_mb"] = int(anon.group(1)) / 1024 if anon else float("nan")
        finally:
            server.terminate()
            server.wait()
    return row


async def _first_results(index_dir: Path) -> None:
    from textual.widgets import Static

    from tui.app import SearchApp

    painted: list[float] = []

    class Timed(SearchApp):
        CSS_PATH = str(ROOT / "tui" / "app.tcss")  # a relative path would be read beside this file

        def on_mount(self) -> None:
            super().on_mount()
            # The first screen: after the first refresh that follows the
            # mount, the search box is drawn and takes keys.
            self.call_after_refresh(lambda: painted.append(time.time()))

    app = Timed(index_dir, Path("."), "Finlande", history=Path(os.devnull))
    # The hits on screen: the refresh after the screen is given them. Timed
    # from inside, not by polling the screen, whose polls would take the
    # interpreter from the search they wait for.
    hits: list[float] = []
    show = app.main.show_results

    def shown(*args: Any, **kwargs: Any) -> None:
        show(*args, **kwargs)
        app.call_after_refresh(lambda: hits.append(time.time()))

    app.main.show_results = shown  # type: ignore[method-assign]
    # "12 hits", or with wire copy grouped "9 stories (12 articles; …)".
    said = re.compile(r"[\d,]+ (hits?|stor(y|ies)) ")
    async with app.run_test(size=(120, 40)) as pilot:
        while not hits:
            await pilot.pause(0.2)
        status = str(app.main.query_one("#status", Static).render())
        if not said.match(status + " "):
            raise SystemExit(f"no hits on screen: {status}")
        # The app's teardown and the process's exit that follow are not part
        # of the wait a user sees.
        print(painted[0], hits[0], flush=True)


def tui_first_results(index_dir: Path, runs: int = 5) -> tuple[float, float]:
    """Seconds from starting ``search tui Finlande`` to its first screen and
    to its hits on screen (medians)."""
    args = [sys.executable, str(Path(__file__).resolve()), "--index", str(index_dir), "--tui"]
    screens, hits = [], []
    for n in range(runs + 1):
        started = time.time()  # wall clock: compared with the child's
        done = subprocess.run(
            args, check=True, cwd=ROOT, capture_output=True, text=True, env=_as_installed()
        )
        if n:
            screen, shown = map(float, done.stdout.split()[-2:])
            screens.append(screen - started)
            hits.append(shown - started)
    return statistics.median(screens), statistics.median(hits)


def startup(index_dir: Path) -> dict[str, Any]:
    """What a user waits for before anything happens (issue 29's goals): ``search
    --help``, the cold one-liner, the TUI's first screen and first hits."""
    row: dict[str, Any] = {"help": one_liner(index_dir, args=("--help",))}
    row["one_liner"] = one_liner(index_dir)
    row["tui_first_screen_s"], row["tui_first_results_s"] = tui_first_results(index_dir)
    return row


def startup_markdown(name: str, row: dict[str, Any]) -> str:
    return (
        f"| {name} | {row['help']['wall_s']:.2f} s | {row['one_liner']['wall_s']:.2f} s | "
        f"{row['tui_first_screen_s']:.2f} s | {row['tui_first_results_s']:.2f} s |"
    )


def measure(index_dir: Path) -> dict[str, Any]:
    """Every figure of the module's docstring, each from fresh processes."""
    args = [sys.executable, str(Path(__file__).resolve()), "--index", str(index_dir), "--engine"]
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)  # warm the OS cache
    done = subprocess.run(args, check=True, capture_output=True, cwd=ROOT, text=True)
    row: dict[str, Any] = json.loads(done.stdout)
    row["one_liner"] = one_liner(index_dir)
    row["served_one_liner"] = served_one_liner(index_dir)
    row["tui_first_screen_s"], row["tui_first_results_s"] = tui_first_results(index_dir)
    return row


# The columns of markdown()'s first row.
MEMORY_COLUMNS = (
    "corpus", "articles", "open", "after open: anon / file", "after the query sets",
    "one-liner: wall, peak", "served one-liner: wall, peak", "TUI: first screen / results",
)  # fmt: skip


def markdown(name: str, row: dict[str, Any]) -> list[str]:
    """The README's rows: memory and one-liner; then one per query set."""
    def ms(s: dict[str, float]) -> str:
        return f"{s['p50']:.0f} / {s['p95']:.0f} / {s['max']:.0f}"

    opened, queried = row["after_open"], row["after_queries"]
    lines = [
        f"| {name} | {row['articles']:,} | {row['open_s']:.2f} s | "
        f"{opened['anon']:.0f} / {opened['file']:.0f} MB | "
        f"{queried['anon']:.0f} / {queried['file']:.0f} MB | "
        f"{row['one_liner']['wall_s']:.2f} s, {row['one_liner']['peak_rss_mb']:.0f} MB | "
        f"{row['served_one_liner']['wall_s']:.3f} s, "
        f"{row['served_one_liner']['peak_rss_mb']:.0f} MB "
        f"(server {row['served_one_liner']['server_anon_mb']:.0f} MB anonymous) | "
        f"{row['tui_first_screen_s']:.2f} s / {row['tui_first_results_s']:.2f} s |",
    ]
    lines.append(f"| {name} | " + " | ".join(ms(row[k]) for k in SETS) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--name", default="index")
    parser.add_argument("--engine", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tui", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--startup", action="store_true",
                        help="only the start-up figures (help, cold one-liner, TUI)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="the figures as one JSON line")
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(engine_figures(args.index)))
    elif args.tui:
        asyncio.run(_first_results(args.index))
    elif args.startup:
        found = startup(args.index)
        print(json.dumps(found, indent=1))
        print(startup_markdown(args.name, found))
    else:
        row = measure(args.index)
        if args.json:
            print(json.dumps(row))
            return
        print(json.dumps(row, indent=1))
        print("\n".join(markdown(args.name, row)))


if __name__ == "__main__":
    main()
