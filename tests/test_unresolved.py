"""Names the knowledge base does not know: kept as marked guesses, and listed for users to add.

The unknown people are invented names, checked to be tagged PERSON by the parser, so that the
events depend on the name being unknown rather than on it being missed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from communique.cli import cli
from communique.coder import Coder

PUBLISHED = "2024-08-29"
UNKNOWN = "Samuel Okonkwo"
ONE_UNKNOWN = f"{UNKNOWN} met Xi Jinping in Beijing on Monday."
TWO_UNKNOWN = f"{UNKNOWN} met Ingrid Valtonen in Beijing on Monday."
WIDE = {"COLUMNS": "1000"}


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty directory, so that no stray ``communique.toml`` changes the settings."""
    monkeypatch.chdir(tmp_path)


def people_in(coder: Coder, text: str) -> list[str]:
    return [entity.text for entity in coder.nlp(text).ents if entity.label_ == "PERSON"]


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=WIDE)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


# --- events with an unknown party -------------------------------------------------------------


def test_an_unknown_party_is_kept_and_marked_unresolved(coder: Coder) -> None:
    assert UNKNOWN in people_in(coder, ONE_UNKNOWN)
    assert coder.resolve_actor(UNKNOWN, when=PUBLISHED).code == ""  # really unknown
    events = coder.code(ONE_UNKNOWN, published=PUBLISHED)
    assert len(events) == 1, events
    event = events[0]
    assert event.resolved is False
    record = event.to_dict()
    assert record["resolved"] is False
    source, target = record["source"], record["target"]
    assert (source["text"], source["name"], source["resolved"]) == (UNKNOWN, UNKNOWN, False)
    assert (target["name"], target["code"], target["resolved"]) == ("Xi Jinping", "CHNGOV", True)
    assert json.loads(json.dumps(record)) == record


def test_an_event_between_known_parties_is_resolved(coder: Coder) -> None:
    events = coder.code("Jake Sullivan met Xi Jinping in Beijing on Thursday.", published=PUBLISHED)
    assert len(events) == 1, events
    record = events[0].to_dict()
    assert (record["source"]["resolved"], record["target"]["resolved"]) == (True, True)
    assert record["resolved"] is True


def test_an_unknown_target_is_marked_too(coder: Coder) -> None:
    text = f"Xi Jinping welcomed {UNKNOWN} in Beijing on Tuesday."
    events = coder.code(text, published="2024-08-30")
    assert [
        (e.source.code, e.source.resolved, e.target.name, e.target.resolved) for e in events
    ] == [("CHNGOV", True, UNKNOWN, False)]
    assert events[0].resolved is False


def test_two_unknown_names_make_no_event(coder: Coder) -> None:
    assert people_in(coder, TWO_UNKNOWN) == [UNKNOWN, "Ingrid Valtonen"]
    assert coder.code(TWO_UNKNOWN, published=PUBLISHED) == []


def test_an_unknown_hyphenated_name_is_spelled_as_in_the_text(coder: Coder) -> None:
    text = "Taro Okonkwo-Lindqvist met Xi Jinping in Beijing on Monday."
    assert "Taro Okonkwo-Lindqvist" in people_in(coder, text)
    events = coder.code(text, published=PUBLISHED)
    assert [(e.source.text, e.source.resolved) for e in events] == [
        ("Taro Okonkwo-Lindqvist", False)
    ]
    assert events[0].source.name == "Taro Okonkwo-Lindqvist"


# --- communique actors unknown ----------------------------------------------------------------


def documents(tmp_path: Path) -> tuple[Path, list[int]]:
    """A JSON Lines input: the unknown name in two events, another once, and bad lines."""
    lines = [
        {"id": "d1", "text": ONE_UNKNOWN, "date": PUBLISHED},
        "",  # 2: blank lines are ignored
        "not json at all",  # 3
        {"id": "d2", "text": f"Xi Jinping welcomed {UNKNOWN} in Beijing on Tuesday.",
         "date": "2024-08-30"},
        {"id": "d3", "text": "   ", "date": PUBLISHED},  # 5: no text
        {"id": "d4", "text": "Xi Jinping met Ingrid Valtonen in Beijing on Friday.",
         "date": "2024-08-30"},
        {"id": "d5", "text": "Jake Sullivan met Xi Jinping in Beijing on Thursday.",
         "date": PUBLISHED},
    ]  # fmt: skip
    path = tmp_path / "docs.jsonl"
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path, [3, 5]


def unknown_records(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_unknown_lists_names_with_counts_and_an_example(tmp_path: Path) -> None:
    path, _ = documents(tmp_path)
    result = invoke("actors", "unknown", "--input", str(path), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = unknown_records(result.stdout)
    assert [(r["name"], r["count"]) for r in records] == [(UNKNOWN, 2), ("Ingrid Valtonen", 1)]
    first = records[0]
    assert first["example"] == ONE_UNKNOWN
    assert first["article_id"] == "d1"
    assert first["guess"] == "CHN"  # the country the articles are about
    assert records[1]["article_id"] == "d4"


def test_unknown_skips_bad_lines_with_a_message_and_reads_the_rest(tmp_path: Path) -> None:
    path, bad_lines = documents(tmp_path)
    result = invoke("actors", "unknown", "--input", str(path), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    skipped = [
        line for line in result.stderr.splitlines() if line.startswith("communique: skipped")
    ]
    assert len(skipped) == len(bad_lines), result.stderr
    for line, number, problem in zip(
        skipped, bad_lines, ["not valid JSON", "the text is empty"], strict=True
    ):
        assert line.startswith(f"communique: skipped {path}:{number}: {problem}")
    assert "read 4 documents: 2 unknown names" in result.stderr


def test_unknown_limit_and_table(tmp_path: Path) -> None:
    path, _ = documents(tmp_path)
    limited = invoke("actors", "unknown", "--input", str(path), "--format", "jsonl", "--limit", "1")
    assert limited.exit_code == 0, limited.output
    assert [r["name"] for r in unknown_records(limited.stdout)] == [UNKNOWN]
    table = invoke("actors", "unknown", "--input", str(path), "--quiet")
    assert table.exit_code == 0, table.output
    rows = [line for line in table.stdout.splitlines() if UNKNOWN in line or "Valtonen" in line]
    assert len(rows) == 2, table.stdout
    assert UNKNOWN in rows[0]
    assert "2" in rows[0].split(UNKNOWN)[0]  # the count column comes first


def test_unknown_with_nothing_readable_fails(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("not json\n", encoding="utf-8")
    result = invoke("actors", "unknown", "--input", str(path), "--format", "jsonl")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"communique: skipped {path}:1: " in result.stderr


def test_a_users_dictionary_makes_an_unknown_name_known(tmp_path: Path) -> None:
    path, _ = documents(tmp_path)
    actors = tmp_path / "mine.actors"
    actors.write_text("SAMUEL_OKONKWO_ [NGAGOV]\n", encoding="utf-8")
    result = invoke(
        "actors", "unknown", "--input", str(path), "--format", "jsonl", "--actors", str(actors)
    )
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in unknown_records(result.stdout)] == ["Ingrid Valtonen"]
