"""`search trend`: matches per period and their share of the period's articles,
checked against `search facets` (the counts) on real French articles."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import pytest

from search import periods
from tests.conftest import SEEDS, CliRun

# Dated wire copy over four months, one of them without any article (a gap).
ARTICLES = [
    ("2022-01-05", "Emmanuel Macron présente ses vœux aux Français depuis l’Élysée."),
    ("2022-01-12", "Le président Macron reçoit les syndicats au sujet des retraites."),
    ("2022-01-20", "La Finlande s’inquiète des manœuvres russes près de sa frontière."),
    ("2022-03-02", "Marine Le Pen dévoile son programme sur le pouvoir d’achat."),
    ("2022-04-07", "Macron et Le Pen s’affrontent lors du débat d’entre-deux-tours."),
    ("2022-04-10", "Au premier tour, Emmanuel Macron arrive devant Marine Le Pen."),
    ("2022-04-14", "Marine Le Pen promet un référendum sur l’immigration."),
    ("2022-04-21", "La Suède et la Finlande préparent leur adhésion à l’OTAN."),
]


def write_campaign(folder: Path) -> Path:
    dump = folder / "depeches.jsonl"
    folder.mkdir()
    with dump.open("w", encoding="utf-8") as out:
        for n, (day, text) in enumerate(ARTICLES):
            record = {"id": f"d{n}", "title": text.split(",")[0], "body": text, "date": day}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


@pytest.fixture
def campaign(run: CliRun, tmp_path: Path) -> CliRun:
    assert run("index", str(write_campaign(tmp_path / "campagne"))).exit_code == 0
    return run


def test_file_times_are_not_publication_dates(run: CliRun, tmp_path: Path) -> None:
    """A text file without any date is dated by its modification time: it stays
    off the timeline unless asked for, and is counted as such."""
    folder = write_campaign(tmp_path / "campagne")
    note = folder / "note-sans-date.txt"
    note.write_text("Macron en campagne\nLe président Macron tient un meeting à Lyon.\n",
                    encoding="utf-8")  # fmt: skip
    february = datetime(2022, 2, 15, 12).timestamp()
    os.utime(note, (february, february))
    assert run("index", str(folder)).exit_code == 0
    plain = trend_json(run, "Macron", "--by", "month")
    assert [p["articles"] for p in plain["periods"]] == [3, 0, 1, 4]  # February: still a gap
    assert plain["series"][0]["counts"] == [2, None, 0, 2]
    assert plain["series"][0]["undated"] == 1 and plain["series"][0]["matches"] == 5
    text = run("trend", "Macron", "--by", "month").stdout
    assert "1 without a date of their own" in text and "--file-dates" in text
    placed = trend_json(run, "Macron", "--by", "month", "--file-dates")
    assert [p["articles"] for p in placed["periods"]] == [3, 1, 1, 4]
    assert placed["series"][0]["counts"] == [2, 1, 0, 2] and placed["series"][0]["undated"] == 0


def trend_json(run: CliRun, *args: str) -> dict:  # type: ignore[type-arg]
    result = run("trend", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def facet_dates(run: CliRun, *args: str) -> dict[str, int]:
    result = run("facets", *args, "--json")
    assert result.exit_code == 0, result.output
    return {d["value"]: d["count"] for d in json.loads(result.stdout)["dates"]}


def series_counts(data: dict, label: str) -> dict[str, int]:  # type: ignore[type-arg]
    series = next(s for s in data["series"] if s["label"] == label)
    names = [p["period"] for p in data["periods"]]
    return {p: n for p, n in zip(names, series["counts"], strict=True) if n}


def test_counts_equal_facets_and_ratios_divide_by_all_articles(campaign: CliRun) -> None:
    data = trend_json(campaign, "Macron", "Le Pen", "--by", "month")
    assert [p["period"] for p in data["periods"]] == ["2022-01", "2022-02", "2022-03", "2022-04"]
    all_articles = facet_dates(campaign, "--by", "month")
    assert [p["articles"] for p in data["periods"]] == [3, 0, 1, 4]
    assert {p["period"]: p["articles"] for p in data["periods"] if p["articles"]} == all_articles
    for query in ("Macron", "Le Pen"):
        assert series_counts(data, query) == facet_dates(campaign, query, "--by", "month")
    macron = data["series"][0]
    # January: 2 of 3 articles; February: no article at all, a gap, not zero;
    # March: an article, none about Macron, a real zero.
    assert macron["counts"] == [2, None, 0, 2]
    assert macron["ratios"] == pytest.approx([2 / 3, None, 0.0, 0.5])
    assert macron["matches"] == 4 and macron["undated"] == 0
    assert data["shown"] == "ratio"  # 3, 1 and 4 articles: volumes differ


def test_weeks_and_the_chosen_granularity(campaign: CliRun) -> None:
    weekly = trend_json(campaign, "Le Pen", "--by", "week")
    assert series_counts(weekly, "Le Pen") == facet_dates(campaign, "Le Pen", "--by", "week")
    assert weekly["periods"][0] == {
        "period": "2022-W01", "first_day": "2022-01-03", "last_day": "2022-01-09", "articles": 1,
    }  # fmt: skip
    chosen = trend_json(campaign, "Le Pen")
    assert chosen["granularity"] == "week" and chosen["granularity_chosen"]


def test_filters_narrow_matches_not_the_base(campaign: CliRun) -> None:
    data = trend_json(campaign, "Finlande", "--country", "SE", "--by", "month")
    assert series_counts(data, "Finlande") == {"2022-04": 1}
    assert [p["articles"] for p in data["periods"]] == [3, 0, 1, 4]  # all the news
    dated = trend_json(campaign, "Macron", "--since", "2022-03-01", "--by", "month")
    assert [p["period"] for p in dated["periods"]] == ["2022-03", "2022-04"]
    based = trend_json(campaign, "Macron", "--base", "Le Pen", "--by", "month")
    # The base's span: the months where Le Pen is in the news, Macron within them.
    assert [(p["period"], p["articles"]) for p in based["periods"]] == [
        ("2022-03", 1), ("2022-04", 3),
    ]  # fmt: skip
    assert based["series"][0]["counts"] == [0, 2]


def test_csv_gives_the_same_numbers(campaign: CliRun) -> None:
    data = trend_json(campaign, "Macron", "Le Pen", "--by", "month", "--label", "EM")
    result = campaign("trend", "Macron", "Le Pen", "--by", "month", "--label", "EM", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "period", "first_day", "last_day", "articles", "EM", "EM share", "Le Pen", "Le Pen share",
    ]  # fmt: skip
    assert [r["period"] for r in rows] == [p["period"] for p in data["periods"]]
    for n, series in enumerate(data["series"]):
        label = ("EM", "Le Pen")[n]
        assert [int(r[label]) if r[label] else None for r in rows] == series["counts"]
        shares = [float(r[f"{label} share"]) if r[f"{label} share"] else None for r in rows]
        assert shares == pytest.approx(series["ratios"], abs=1e-6)
    assert result.stdout_bytes.count(b"\r\n") == len(rows) + 1


def test_chart_in_the_terminal_fits_80_columns_without_colour(campaign: CliRun) -> None:
    result = campaign("trend", "Macron", "Le Pen", "--by", "month")
    assert result.exit_code == 0
    out = result.stdout
    assert "\x1b" not in out  # piped: no colour codes
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Macron" in out and "Le Pen" in out  # the legend
    assert "2022-01" in out and "2022-04" in out  # the axis
    assert "Share of all articles (%) per month" in out
    assert "1 of 4 months hold no article" in out
    counts = campaign("trend", "Macron", "--by", "month", "--no-ratio").stdout
    assert counts.startswith("Matching articles per month")


def test_plot_files(campaign: CliRun, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    svg = tmp_path / "campagne.svg"
    result = campaign("trend", "Macron", "Le Pen", "--by", "month", "--plot", str(svg))
    assert result.exit_code == 0 and "wrote" in result.stderr
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = svg.read_text(encoding="utf-8")
    assert "Le Pen" in text and "2022-04" in text
    png = tmp_path / "campagne.png"
    assert campaign("trend", "Macron", "--plot", str(png)).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_usage_errors_and_no_match(campaign: CliRun, tmp_path: Path) -> None:
    bad = campaign("trend", "Macron", "--plot", str(tmp_path / "chart.txt"))
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and ".svg" in bad.stderr
    labels = campaign("trend", "Macron", "--label", "a", "--label", "b")
    assert labels.exit_code == 2 and "--label" in labels.stderr
    nothing = campaign("trend", "Zanzibar")
    assert nothing.exit_code == 1
    syntax = campaign("trend", 'Macron "Le Pen')
    assert syntax.exit_code == 2 and syntax.stderr.startswith("error:")


def test_seeds_by_year(run: CliRun) -> None:
    """The example of the README: every seed, its year, the share that mentions Finland."""
    assert run("index", str(SEEDS)).exit_code == 0
    data = trend_json(run, "Finlande", "OTAN", "--by", "year")
    assert [p["period"] for p in data["periods"]] == ["2018", "2019", "2020", "2021", "2022"]
    assert series_counts(data, "Finlande") == facet_dates(run, "Finlande", "--by", "year")
    assert series_counts(data, "OTAN") == facet_dates(run, "OTAN", "--by", "year")


@pytest.mark.parametrize(
    ("day", "granularity", "label", "first", "last"),
    [
        (date(2020, 12, 31), "week", "2020-W53", date(2020, 12, 28), date(2021, 1, 3)),
        (date(2021, 1, 4), "week", "2021-W01", date(2021, 1, 4), date(2021, 1, 10)),
        (date(2024, 2, 29), "month", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        (date(2023, 12, 31), "year", "2023", date(2023, 1, 1), date(2023, 12, 31)),
        (date(2023, 12, 31), "day", "2023-12-31", date(2023, 12, 31), date(2023, 12, 31)),
    ],
)
def test_periods(day: date, granularity: periods.Granularity, label: str, first: date,
                 last: date) -> None:  # fmt: skip
    period = periods.period_of(day, granularity)
    assert periods.label(period, granularity) == label
    assert periods.first_day(period, granularity) == first
    assert periods.last_day(period, granularity) == last
    assert periods.period_of(last, granularity) + 1 == periods.period_of(
        last.fromordinal(last.toordinal() + 1), granularity
    )


def test_granularity_follows_the_span() -> None:
    assert periods.choose(date(2022, 1, 1), date(2022, 3, 1)) == "day"
    assert periods.choose(date(2022, 1, 1), date(2023, 6, 1)) == "week"
    assert periods.choose(date(2015, 1, 1), date(2022, 6, 1)) == "month"
    assert periods.choose(date(1944, 12, 19), date(2023, 1, 1)) == "year"


def test_a_count_axis_reads_whole_articles(seeds_index: Path) -> None:
    """Counts on the axis are whole numbers on a round step (the TUI's axis
    read 0.83 articles); shares keep their decimals."""
    from search import charts
    from search.api import Engine

    assert charts.count_ticks(0.83) == [0, 1]
    assert charts.count_ticks(9) == [0, 2, 4, 6, 8, 10]
    assert charts.count_ticks(18_769) == [0, 5_000, 10_000, 15_000, 20_000]
    with Engine(seeds_index) as engine:
        found = engine.trend(["Finlande", "OTAN"], granularity="month")
    chart = charts.terminal(found, ratio=False, width=70, height=16, colour=False)
    axis = [line.split("┤")[0].strip() for line in chart.splitlines() if "┤" in line]
    assert axis and all(label.replace(",", "").isdigit() for label in axis), axis
