"""Acceptance: the channel tracker on the seed article alone, coded through the real ingest
path into a real SQLite file (issue 6). The article is read from ../shared, never copied."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from communique.analysis import Channels, channels
from communique.cli import cli
from communique.store import Store
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    article = shared_file("seed/article.txt")
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    command = [
        sys.executable, "-m", "communique.cli", "ingest", str(article),
        "--date", "2024-08-29", "--db", str(path), "--quiet",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=300)
    return path


@pytest.fixture(scope="module")
def found(seed_db: Path) -> Channels:
    with Store.open(seed_db, read_only=True) as store:
        return channels(store, "USA", "CHN")


def test_the_military_channel_was_reopened_after_mattis_and_xu(found: Channels) -> None:
    military = found.channel("military")
    assert military.last is not None and military.previous is not None
    assert military.last.date == "2024-08-29"
    assert {military.last.source.name, military.last.target.name} == {
        "Jake Sullivan",
        "Zhang Youxia",
    }
    assert military.previous.date == "2018"
    assert {military.previous.source.name, military.previous.target.name} == {
        "Jim Mattis",
        "Xu Qiliang",
    }
    assert military.first_since is True
    assert military.gap_days is not None and military.gap_days > 365
    assert "Zhang" in military.last.sentence
    assert military.last.article_id and military.last.event_id


def test_the_leaders_channel_has_the_planned_biden_xi_meeting(found: Channels) -> None:
    leaders = found.channel("leaders")
    assert [(plan.date, plan.source.name, plan.target.name) for plan in leaders.planned] == [
        ("2024-11", "Joe Biden", "Xi Jinping")
    ]
    assert leaders.planned[0].published is not None
    assert leaders.planned[0].published.isoformat() == "2024-08-29"


def test_the_security_adviser_channel_is_sullivan_and_xi(found: Channels) -> None:
    security = found.channel("security")
    assert security.last is not None
    assert security.last.date == "2024-08-29"
    assert (security.last.source.name, security.last.target.name) == ("Jake Sullivan", "Xi Jinping")
    assert security.last.source.title == "national security adviser"


def table_rows(output: str) -> dict[str, list[str]]:
    """The cells of a rich table printed as text, each cell's wrapped lines joined, by the
    text of its first cell."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)]
    joined = [[" ".join(cell.split()) for cell in row] for row in rows]
    return {row[0]: row for row in joined}


def test_the_command_shows_the_same(seed_db: Path) -> None:
    result = CliRunner().invoke(cli, ["channels", "USA", "CHN", "--db", str(seed_db)])
    assert result.exit_code == 0, result.output
    assert "first since" in result.output
    rows = table_rows(result.output)
    military = rows["Defence and military"]
    assert military[1] == "2024-08-29"
    assert "Jake Sullivan" in military[2] and "Zhang Youxia" in military[2]
    assert military[3].startswith("2018: Jim Mattis") and "Xu Qiliang" in military[3]
    assert "first since" in military[4]
    assert "2024-11: Joe Biden (president) – Xi Jinping (president)" in rows["Leaders"][5]
    assert "Xi Jinping" in rows["Security advisers"][2]

    as_json = CliRunner().invoke(
        cli, ["channels", "usa", "chn", "--db", str(seed_db), "--format", "json"]
    )
    assert as_json.exit_code == 0, as_json.output
    record = json.loads(as_json.output)
    by_level = {channel["level"]: channel for channel in record["channels"]}
    military = by_level["military"]
    assert (military["last"]["date"], military["previous"]["date"]) == ("2024-08-29", "2018")
    assert military["first_since"] is True
    assert "Jim Mattis" in military["previous"]["who"]
    assert by_level["leaders"]["planned"][0]["date"] == "2024-11"
    assert by_level["security"]["last"]["target"]["name"] == "Xi Jinping"
