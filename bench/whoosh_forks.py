"""Which Whoosh distribution to depend on, measured on our own workload.

For each candidate, a fresh virtual environment gets that distribution (and
nothing else of Whoosh: they all install into the same ``whoosh/`` package)
plus our other dependencies; then, in that environment, this script:

- compiles the ``whoosh`` package from source with warnings as errors (what
  a fresh install on Python 3.11/3.12 shows users);
- builds an index of the first N OrangeSum articles with *our* schema and
  analysis chain, timed, and checks ``doc_count()``;
- runs term, AND, OR and phrase queries;
- opens the index written by every other candidate (can we fall back?).

    python bench/whoosh_forks.py --docs 5000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = {
    "whoosh3": "whoosh3==3.54.0",
    "whoosh-2.7.4": "whoosh==2.7.4",
    "whoosh-reloaded": "Whoosh-Reloaded==2.7.5",
}
OTHER_DEPS = ["unidecode", "snowballstemmer", "PyStemmer", "PyYAML", "click", "rich"]
QUERIES = ["Finlande", "Macron retraites", "gouvernement OU syndicats", '"réforme des retraites"']


def child(directory: Path, docs: int, others: list[str]) -> None:
    """Runs inside a candidate's environment; prints one JSON line."""
    import compileall
    import importlib.util
    import io
    import warnings
    from contextlib import redirect_stdout

    sys.path.insert(0, str(ROOT))
    spec = importlib.util.find_spec("whoosh")
    assert spec and spec.submodule_search_locations
    package = spec.submodule_search_locations[0]
    with warnings.catch_warnings(record=True) as caught, redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        compileall.compile_dir(package, force=True, quiet=1, legacy=False)
    compile_warnings = sorted({f"{w.category.__name__}" for w in caught})

    from whoosh import index as whoosh_index

    from bench.corpus import records
    from index.articles import Article
    from index.schema import document_fields
    from search.query import QueryCompiler

    out: dict[str, object] = {"compile_warnings": compile_warnings, "warning_count": len(caught)}
    ix = whoosh_index.create_in(str(directory), __import__("index.schema").schema.build_schema())
    started = time.perf_counter()
    writer = ix.writer(limitmb=256)
    for rec in records(docs):
        if rec.get("article", "").strip():
            article = Article(id=str(rec["id"]), path="o", title=rec["title"], body=rec["article"])
            writer.add_document(**document_fields(article))
    writer.commit()
    out["build_s"] = round(time.perf_counter() - started, 2)
    out["doc_count"] = ix.doc_count()
    out["size_mb"] = round(sum(p.stat().st_size for p in directory.iterdir()) / 1e6, 1)
    parser = QueryCompiler(ix.schema)
    totals: dict[str, int | str] = {}
    with ix.searcher() as searcher:
        started = time.perf_counter()
        for _ in range(5):
            for text in QUERIES:
                try:
                    totals[text] = len(searcher.search(parser.parse(text), limit=10))
                except Exception as error:  # a fork that crashes on a query fails the check
                    totals[text] = f"crash: {type(error).__name__}: {error}"
        out["query_ms"] = round((time.perf_counter() - started) * 1000 / (5 * len(QUERIES)), 1)
    out["totals"] = totals
    opened = {}
    for other in others:
        try:
            with whoosh_index.open_dir(other).searcher() as searcher:
                opened[other] = searcher.doc_count()
        except Exception as error:
            opened[other] = f"{type(error).__name__}: {error}"[:120]
    out["opens_other_indexes"] = opened
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--child", type=Path)
    parser.add_argument("--others", nargs="*", default=[])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.docs, args.others)
        return
    work = Path(tempfile.mkdtemp(prefix="whoosh-forks-"))
    built: list[str] = []
    results = {}
    for name, requirement in CANDIDATES.items():
        env = work / f"venv-{name}"
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        pip = [str(env / "bin" / "python"), "-m", "pip", "install", "-q", requirement, *OTHER_DEPS]
        installed = subprocess.run(pip, capture_output=True, text=True)
        if installed.returncode:
            results[name] = {"install": installed.stderr.strip().splitlines()[-1:]}
            continue
        index_dir = work / f"index-{name}"
        index_dir.mkdir()
        run = subprocess.run(
            [str(env / "bin" / "python"), __file__, "--child", str(index_dir),
             "--docs", str(args.docs), "--others", *built],
            capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
        if run.returncode:
            results[name] = {"error": run.stderr.strip().splitlines()[-3:]}
            continue
        results[name] = json.loads(run.stdout.strip().splitlines()[-1])
        built.append(str(index_dir))
    print(
        f"Whoosh distributions on the first {args.docs:,} OrangeSum articles "
        f"(our schema and chain), Python {sys.version.split()[0]}"
    )
    for name, row in results.items():
        print(f"\n{name} ({CANDIDATES[name]}):")
        for key, value in row.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
