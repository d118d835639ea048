"""`search export`: every match, in each format, readable by what the format's users
open it with (Python's csv module, a French Excel, an OpenSearch _bulk load)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from search.export import DEFAULT_FIELDS, FIELDS
from tests.conftest import FIXTURES, SEEDS, CliRun


@pytest.fixture
def big_run(run: CliRun, tmp_path: Path) -> CliRun:
    """The CLI on an index of the seeds and the fixtures (18 articles)."""
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    assert run("index", str(SEEDS), str(tmp_path / "fixtures")).exit_code == 0
    return run


def total(run: CliRun, *args: str) -> int:
    return int(json.loads(run("query", *args, "--json").stdout)["total"])


def test_csv_holds_every_match_in_rank_order(big_run: CliRun) -> None:
    everything = list(csv.DictReader(io.StringIO(big_run("export", "*").stdout)))
    assert len(everything) == total(big_run, "*") == 18  # every match, not a page of 10
    result = big_run("export", "Finlande")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == DEFAULT_FIELDS
    assert len(rows) == total(big_run, "Finlande") >= 5
    ranked = json.loads(big_run("query", "Finlande", "--json", "--limit", "5").stdout)["hits"]
    assert [r["id"] for r in rows[:5]] == [h["id"] for h in ranked]
    assert any("é" in r["title"] for r in rows) and all(r["score"] for r in rows)
    assert f"exported {len(rows)} articles" in result.stderr


def test_filters_date_order_and_phrases(big_run: CliRun) -> None:
    args = ("OTAN", "--country", "FI", "--since", "2022-01-01")
    rows = list(csv.DictReader(io.StringIO(big_run("export", *args, "--sort", "date").stdout)))
    assert len(rows) == total(big_run, *args) >= 2
    assert [r["date"] for r in rows] == sorted((r["date"] for r in rows), reverse=True)
    assert all(r["score"] == "" for r in rows)
    phrase = list(csv.DictReader(io.StringIO(big_run("export", '"sommet de Madrid"').stdout)))
    assert len(phrase) == total(big_run, '"sommet de Madrid"') >= 1 and phrase[0]["score"]


def test_excel_csv_has_a_bom_and_semicolons(big_run: CliRun, tmp_path: Path) -> None:
    target = tmp_path / "finlande.csv"
    assert big_run("export", "Finlande", "--excel", "-o", str(target)).exit_code == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == total(big_run, "Finlande")
    assert any("Suède" in r["countries"] or "SE" in r["countries"] for r in rows)


@pytest.mark.parametrize("excel", [False, True], ids=["rfc4180", "excel"])
def test_csv_opens_in_libreoffice_with_accents_intact(
    big_run: CliRun, tmp_path: Path, excel: bool
) -> None:
    """LibreOffice reads the export (UTF-8; "," or, for --excel, ";") and writes it
    back: the same rows, accents intact. Needs Debian's libreoffice-calc-nogui."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed here (the csv module's reading is tested)")
    target = tmp_path / "finlande.csv"
    args = ["export", "Finlande", "-o", str(target), *(["--excel"] if excel else [])]
    assert big_run(*args).exit_code == 0
    separator = 59 if excel else 44  # ";" or ","
    converted = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
         f"--infilter=CSV:{separator},34,76", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path / "out"),
         str(target)],
        capture_output=True, timeout=300,
    )  # fmt: skip
    assert converted.returncode == 0, converted.stderr
    rows = list(csv.reader((tmp_path / "out" / "finlande.csv").open(encoding="utf-8")))
    assert rows[0] == list(DEFAULT_FIELDS)
    assert len(rows) - 1 == total(big_run, "Finlande")
    assert any("discrètement" in row[2] for row in rows[1:])


def test_jsonl_with_text_and_chosen_fields(big_run: CliRun) -> None:
    lines = big_run("export", "Stoltenberg", "--format", "jsonl", "--text").stdout.splitlines()
    articles = [json.loads(line) for line in lines]
    assert len(articles) == total(big_run, "Stoltenberg") >= 2
    assert set(articles[0]) == {*DEFAULT_FIELDS, "lead", "body"}
    assert all("Stoltenberg" in a["body"] for a in articles)
    assert isinstance(articles[0]["persons"], list)
    narrow = big_run("export", "Stoltenberg", "--format", "jsonl", "--fields", "id,persons")
    assert set(json.loads(narrow.stdout.splitlines()[0])) == {"id", "persons"}
    assert big_run("export", "x", "--fields", "id,nope").exit_code == 2


def test_opensearch_bulk_file_and_template(big_run: CliRun, tmp_path: Path) -> None:
    bulk, template = tmp_path / "presse.ndjson", tmp_path / "template.json"
    result = big_run(
        "export", "--format", "opensearch", "-o", str(bulk), "--mapping", str(template)
    )
    assert result.exit_code == 0
    lines = bulk.read_text(encoding="utf-8").splitlines()
    assert len(lines) % 2 == 0 and len(lines) // 2 == total(big_run, "*")
    ids = []
    for action_line, document_line in zip(lines[::2], lines[1::2], strict=True):
        action, document = json.loads(action_line), json.loads(document_line)
        assert set(action) == {"index"} and action["index"]["_index"] == "presse"
        # The id a push to a cluster gives it: no local path, a fixed length.
        assert len(action["index"]["_id"]) == 32 and "/" not in action["index"]["_id"]
        assert set(document) <= set(FIELDS) and document["body"]
        assert "" not in document.values()  # empty fields left out, not "" buckets
        ids.append(action["index"]["_id"])
    assert len(ids) == len(set(ids))  # stable ids: a re-export updates, never duplicates
    mapping = json.loads(template.read_text(encoding="utf-8"))
    analyzer = mapping["template"]["settings"]["analysis"]["analyzer"]["french_news"]
    assert analyzer["filter"] == [
        "french_elision", "lowercase", "asciifolding", "french_stop", "french_snowball",
    ]  # fmt: skip
    properties = mapping["template"]["mappings"]["properties"]
    assert properties["countries"]["type"] == properties["persons"]["type"] == "keyword"
    assert properties["date"]["type"] == "date" and properties["body"]["analyzer"] == "french_news"


def test_an_export_that_fails_half_way_leaves_no_short_file(tmp_path: Path) -> None:
    """-o FILE is written aside and takes its name only once complete: a
    failure (a cluster node gone, a full disk) leaves the old file intact."""
    from index.store import replacing

    target = tmp_path / "export.csv"
    target.write_text("l'ancien export\n", encoding="utf-8")
    with pytest.raises(OSError), replacing(target) as out:
        out.write("id,date\n")
        raise OSError("no space left on device")
    assert target.read_text(encoding="utf-8") == "l'ancien export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]
    with replacing(target) as out:
        out.write("id,date\r\n")
    assert target.read_bytes() == b"id,date\r\n"
