"""The README's examples are true: every ``console`` block is run, command by command,
on a fresh index of the shipped seeds, and its output must be what the README
shows (timings masked); every example of the query-language table finds
articles in the seeds. Examples that cannot run here (a user's folders, a
pipe into jq) live in ``sh`` blocks, which are not run."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.writer import Indexer
from tests.conftest import ROOT, SEEDS

README = ROOT / "README.md"
# What changes from run to run: durations, and where the index is.
TIMINGS = [
    (re.compile(r"\(\d+ ms\)"), "(… ms)"),
    (re.compile(r" in \d+\.\ds\b"), " in …s"),
]
SHOWN_INDEX = "~/.local/share/french-news-search/index"


def console_blocks() -> list[tuple[int, list[tuple[str, str]]]]:
    """(line number, [(command, expected output)]) for each ``console`` block."""
    blocks = []
    lines = README.read_text(encoding="utf-8").splitlines()
    n = 0
    while n < len(lines):
        if lines[n].strip() == "```console":
            start, steps = n + 1, []
            n += 1
            while lines[n].strip() != "```":
                if lines[n].startswith("$ "):
                    steps.append((lines[n][2:], ""))
                else:
                    command, output = steps[-1]
                    steps[-1] = (command, output + lines[n] + "\n")
                n += 1
            blocks.append((start, steps))
        n += 1
    return blocks


def mask(text: str, index_dir: Path) -> str:
    text = text.replace(str(index_dir), SHOWN_INDEX)
    for pattern, replacement in TIMINGS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("readme") / "index"
    Indexer(directory).update([SEEDS])
    return directory


BLOCKS = console_blocks()
LOCALE_VARIABLES = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}


def test_the_readme_has_console_examples() -> None:
    assert len(BLOCKS) >= 5 and all(steps for _, steps in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line-{start}" for start, _ in BLOCKS])
def test_console_example(block: tuple[int, list[tuple[str, str]]], seeds_index: Path,
                         tmp_path: Path) -> None:  # fmt: skip
    _, steps = block
    index_dir = tmp_path / "index"
    shutil.copytree(seeds_index, index_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCH_")}
    env.update(SEARCH_INDEX=str(index_dir), PYTHONUNBUFFERED="1", COLUMNS="100", TERM="dumb",
               XDG_RUNTIME_DIR=str(tmp_path / "no-server"))  # fmt: skip
    for command, expected in steps:
        words = shlex.split(command)
        # ``LANG=fr_FR.UTF-8 search …``: the locale the example names, alone.
        settings = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=\S*", w))
        words = words[len(settings):]
        here = dict(env)
        if settings.keys() & LOCALE_VARIABLES:
            here = {k: v for k, v in here.items() if k not in LOCALE_VARIABLES}
        here.update(settings)
        assert words[0] == "search" and "|" not in words, f"not runnable here: {command}"
        # An index the example names (``--index fixtures-index``) is made in the
        # test's own folder, never in the checkout.
        words = [
            str(tmp_path / word) if before == "--index" else word
            for before, word in zip(["", *words[:-1]], words, strict=True)
        ]
        # What typing `search` runs: the launcher (no server answers here).
        done = subprocess.run(
            [sys.executable, "-m", "search.launcher", *words[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=here,
            cwd=ROOT,
            timeout=300,
        )
        # An example may show an error (exit 2): its output is what is checked.
        assert done.returncode in (0, 1, 2), done.stdout
        assert mask(done.stdout, index_dir) == mask(expected, index_dir), command


def query_language_examples() -> list[str]:
    """The first column of the query-language table: what a user types."""
    text = README.read_text(encoding="utf-8")
    table = text.split("### Query language", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return [example for row in rows for example in re.findall(r"`([^`]+)`", row.split("|")[1])]


@pytest.mark.parametrize("example", query_language_examples())
def test_every_query_language_example_finds_seed_articles(
    example: str, seeds_index: Path
) -> None:
    from search.engine import Engine

    with Engine(seeds_index) as engine:
        assert engine.search(example).total >= 1, example
