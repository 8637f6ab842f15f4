"""The analysis commands (``dyad``, ``channels``, ``network``) on real SQLite files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from communique.cli import cli
from communique.store import Store
from tests.test_analysis import channel_articles, store_of, timeline_events


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("analysis") / "events.db")
    articles = {"a": ("2024-03-31", timeline_events()), **channel_articles()}
    store_of(path, articles).close()
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_dyad_table_and_json(db: str) -> None:
    table = run("dyad", "USA", "CHN", "--db", db)
    assert table.exit_code == 0, table.output
    assert "USA → CHN" in table.output and "CHN → USA" in table.output
    assert "2024-01" in table.output and "+0.57" in table.output
    as_json = run("dyad", "usa", "chn", "--db", db, "--format", "json", "--by", "week")
    assert as_json.exit_code == 0, as_json.output
    record = json.loads(as_json.output)
    assert record["by"] == "week" and record["periods"][0] == "2023-11-13"
    assert {d["source"] for d in record["directions"]} == {"USA", "CHN"}


def test_dyad_plots_png_and_self_contained_html(db: str, tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    assert run("dyad", "USA", "CHN", "--db", db, "--plot", str(png)).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    page = tmp_path / "chart.html"
    result = run("dyad", "USA", "CHN", "--db", db, "--plot", str(page), "--since", "2024-01-01")
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "<polyline" in html and "2024-03" in html
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in html
    wrong = run("dyad", "USA", "CHN", "--db", db, "--plot", str(tmp_path / "chart.pdf"))
    assert wrong.exit_code == 1 and "must end in .png or .html" in wrong.output


def test_channels_table_and_json(db: str) -> None:
    table = run("channels", "USA", "CHN", "--db", db, "--gap-days", "300")
    assert table.exit_code == 0, table.output
    assert "Leaders" in table.output and "first since" in table.output
    assert "more than 300 days" in table.output
    as_json = run("channels", "USA", "CHN", "--db", db, "--format", "json", "--as-of", "2024-06-01")
    record = json.loads(as_json.output)
    assert record["as_of"] == "2024-06-01"
    leaders = next(c for c in record["channels"] if c["level"] == "leaders")
    assert leaders["last"]["date"] == "2023-11-15"


def test_network_table_and_json(db: str) -> None:
    table = run("network", "--db", db, "--min-weight", "2")
    assert table.exit_code == 0, table.output
    assert "USA" in table.output and "CHN" in table.output
    as_json = run("network", "--db", db, "--country", "rus", "--format", "json", "--limit", "1")
    record = json.loads(as_json.output)
    assert record["edges"] == [{"source": "RUS", "target": "CHN", "weight": 2, "goldstein": -0.5}]
    empty = run("network", "--db", db, "--min-weight", "1000")
    assert empty.exit_code == 0 and "no edges" in empty.output


COMMANDS = [["dyad", "USA", "CHN"], ["channels", "USA", "CHN"], ["network"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_errors_are_clear(command: list[str], db: str, tmp_path: Path) -> None:
    missing = run(*command, "--db", str(tmp_path / "missing.db"))
    assert missing.exit_code == 1
    assert "no communique database here yet" in missing.output
    empty = tmp_path / "empty.db"
    Store.open(empty).close()
    nothing = run(*command, "--db", str(empty))
    assert nothing.exit_code == 1 and "no events stored yet" in nothing.output
    assert "Traceback" not in missing.output + nothing.output


def test_bad_countries_and_dates(db: str) -> None:
    unknown = run("dyad", "USA", "ZZZ", "--db", db)
    assert unknown.exit_code == 1 and "unknown country code 'ZZZ'" in unknown.output
    same = run("channels", "USA", "usa", "--db", db)
    assert same.exit_code == 1 and "two different countries" in same.output
    country = run("network", "--db", db, "--country", "Narnia")
    assert country.exit_code == 1 and "unknown country code 'Narnia'" in country.output
    date = run("channels", "USA", "CHN", "--db", db, "--as-of", "yesterday")
    assert date.exit_code != 0 and "--as-of" in date.output
    gap = run("channels", "USA", "CHN", "--db", db, "--gap-days", "0")
    assert gap.exit_code == 2
