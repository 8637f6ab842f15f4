"""`communique actors resolve` and `Coder.resolve_actor`: who a phrase names, and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from communique.cli import cli
from communique.coder import Coder


@pytest.mark.parametrize(
    ("phrase", "when", "country", "sector", "rule"),
    [
        ("American warplanes", "2024-08-29", "USA", "MIL", "role:warplanes"),
        ("the Chinese foreign minister", "2024-08-29", "CHN", "GOV", "role:foreign minister"),
        ("Shanghai police", "2024-08-29", "CHN", "COP", "role:police"),
        ("Washington", "2024-08-29", "USA", "GOV", "metonym:Washington"),
        ("Kazakhstan", "2024-08-29", "KAZ", "", "country:Kazakhstan"),
        ("World Bank", "2024-08-29", "IGO", "IGO", "organisation:World Bank"),
        ("Jim Mattis", "2018-06-27", "USA", "GOV", "person:Jim Mattis (secretary of defense)"),
        ("Jim Mattis", "2024-08-29", "USA", "ELI", "person:Jim Mattis"),
    ],
)
def test_resolve_actor(
    coder: Coder, phrase: str, when: str, country: str, sector: str, rule: str
) -> None:
    result = coder.resolve_actor(phrase, when=when)
    assert (result.country, result.sector, result.matched_by) == (country, sector, rule)


def test_an_unknown_phrase_resolves_to_nothing_and_says_so(coder: Coder) -> None:
    result = coder.resolve_actor("the quarterly sales figures", when="2024-08-29")
    assert (result.country, result.code, result.matched_by) == ("", "", "none")


def test_context_links_a_surname_to_the_full_name(coder: Coder) -> None:
    context = "Jake Sullivan arrived in Beijing. Sullivan met Xi Jinping."
    result = coder.resolve_actor("Sullivan", when="2024-08-29", context=context)
    assert (result.name, result.code) == ("Jake Sullivan", "USAGOV")


def test_cli_one_phrase() -> None:
    result = CliRunner().invoke(cli, ["actors", "resolve", "Jim Mattis", "--date", "2018-06-27"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["code"] == "USAGOV"
    assert "id" not in record


def test_cli_input_file_skips_bad_lines(tmp_path: Path) -> None:
    phrases = tmp_path / "phrases.jsonl"
    phrases.write_text(
        '{"id": "p1", "actor": "Kazakhstan", "date": "today"}\n'
        "not json\n"
        '{"id": "p3", "actor": "Jim Mattis", "date": "2018-06-27", "context": ""}\n'
        '{"id": "p4", "actor": 3}\n',
        encoding="utf-8",
    )
    output = tmp_path / "resolved.jsonl"
    result = CliRunner().invoke(
        cli, ["actors", "resolve", "--input", str(phrases), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["code"]) for r in records] == [("p1", "KAZ"), ("p3", "USAGOV")]
    skipped = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 2
    assert f"{phrases}:2: not valid JSON" in skipped[0]
    assert f"{phrases}:4:" in skipped[1]
    assert "Traceback" not in result.output


def test_cli_needs_exactly_one_source() -> None:
    result = CliRunner().invoke(cli, ["actors", "resolve"])
    assert result.exit_code == 2
    assert "give one PHRASE" in result.output


def test_cli_missing_input_file_is_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.jsonl"
    result = CliRunner().invoke(cli, ["actors", "resolve", "--input", str(missing)])
    assert result.exit_code == 1
    assert f"{missing}: No such file or directory" in result.output
    assert "Traceback" not in result.output
