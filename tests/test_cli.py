"""The command line: every bad input is skipped with one clear message, the good ones are coded.

The CLI is driven through ``click.testing.CliRunner`` (click >= 8.2 keeps ``result.stdout`` and
``result.stderr`` apart) with real files and the real spaCy pipeline; one test runs the installed
console script in a subprocess.

Loading the pipeline takes seconds, so the command is handed the session's real ``Coder`` (see
``conftest.py``) instead of building its own each time; the subprocess test builds it for real.

Most runs set ``COLUMNS`` wide so that a message is one physical line whatever the length of the
temporary path; ``test_skip_message_is_one_line_on_a_narrow_stream`` shows what happens without.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from communique.cli import cli
from communique.output import CSV_COLUMNS
from communique.records import content_id

PUBLISHED = "2024-08-29"
GOOD_TEXT = "Jake Sullivan met with Xi Jinping in Beijing on Thursday.\n"
GOOD_ID = "good-1"
GOOD_LINE = json.dumps({"id": GOOD_ID, "text": GOOD_TEXT.strip(), "date": PUBLISHED})
SKIPPED = "communique: skipped "
WIDE = {"COLUMNS": "1000"}


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty directory, so that no stray ``communique.toml`` changes the settings."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(
    runner: CliRunner,
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str | None] | None = None,
) -> Result:
    result = runner.invoke(cli, ["code", *args], input=stdin, env=WIDE if env is None else env)
    assert_no_traceback(result)
    return result


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    # CliRunner catches what escapes the command: anything but SystemExit is a crash.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info


def events_of(stdout: str) -> list[dict[str, object]]:
    records = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert all(isinstance(record, dict) for record in records)
    return records


def skip_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(SKIPPED)]


def summary_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("coded ")]
    assert len(lines) == 1, stderr
    return lines[0]


def good_txt(tmp_path: Path) -> tuple[list[str], str]:
    """A good plain-text article (needs --date); its id is the hash of its text."""
    path = tmp_path / "good.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    return [str(path), "--date", PUBLISHED], content_id(GOOD_TEXT)


def good_jsonl(tmp_path: Path) -> tuple[list[str], str]:
    """A good JSON Lines document that carries its own date."""
    path = tmp_path / "good.jsonl"
    path.write_text(GOOD_LINE + "\n", encoding="utf-8")
    return [str(path)], GOOD_ID


# --- bad inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BadInput:
    name: str
    make: Callable[[Path], tuple[list[str], str]]  # writes the input: (arguments, where)
    problem: str  # what the message must say
    good: Callable[[Path], tuple[list[str], str]] = good_txt


def _empty_file(tmp: Path) -> tuple[list[str], str]:
    path = tmp / "empty.txt"
    path.write_bytes(b"")
    return [str(path)], str(path)


def _binary_file(tmp: Path) -> tuple[list[str], str]:
    path = tmp / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return [str(path)], str(path)


def _latin1_file(tmp: Path) -> tuple[list[str], str]:
    path = tmp / "latin1.txt"
    path.write_bytes("Emmanuel Macron a rencontré Xi Jinping.\n".encode("latin-1"))
    return [str(path)], str(path)


def _huge_file(tmp: Path) -> tuple[list[str], str]:
    # Sparse, so it is written at once; all NUL bytes, so a reader that read it before checking
    # its size would call it binary instead of too large.
    path = tmp / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    return [str(path)], str(path)


def _txt_without_date(tmp: Path) -> tuple[list[str], str]:
    path = tmp / "undated.txt"
    path.write_text("Joe Biden met Xi Jinping.\n", encoding="utf-8")
    return [str(path)], str(path)


def _jsonl_line(line: str) -> Callable[[Path], tuple[list[str], str]]:
    """A .jsonl file whose first line is ``line`` and whose second line is the good document."""

    def make(tmp: Path) -> tuple[list[str], str]:
        path = tmp / "docs.jsonl"
        path.write_text(line + "\n" + GOOD_LINE + "\n", encoding="utf-8")
        return ["--input", str(path)], f"{path}:1"

    return make


def _no_good(tmp: Path) -> tuple[list[str], str]:
    """The good document is already in the bad input's file."""
    return [], GOOD_ID


BAD_INPUTS = [
    BadInput("empty-file", _empty_file, "the file is empty"),
    BadInput("binary-file", _binary_file, "looks like a binary file, not text"),
    BadInput("not-utf8", _latin1_file, "not valid UTF-8 (bad byte at offset 26)"),
    BadInput("50-MB-file", _huge_file, "52.4 MB is larger than the limit of 5.0 MB"),
    BadInput("txt-without-date", _txt_without_date, "no publication date", good_jsonl),
    BadInput(
        "jsonl-without-date",
        _jsonl_line(json.dumps({"id": "d1", "text": "Joe Biden met Xi Jinping."})),
        "no publication date",
        _no_good,
    ),
    BadInput("jsonl-not-json", _jsonl_line('{"id": "d1", "text": '), "not valid JSON", _no_good),
    BadInput(
        "jsonl-not-an-object",
        _jsonl_line('["Joe Biden met Xi Jinping.", "2024-08-29"]'),
        'expected a JSON object with a "text" field, got list',
        _no_good,
    ),
    BadInput(
        "jsonl-empty-text",
        _jsonl_line(json.dumps({"id": "d1", "text": "  ", "date": PUBLISHED})),
        "the text is empty",
        _no_good,
    ),
    BadInput(
        "jsonl-bad-date",
        _jsonl_line(json.dumps({"id": "d1", "text": "Joe Biden met Xi.", "date": "29/08/2024"})),
        "cannot read the date '29/08/2024'; use YYYY-MM-DD",
        _no_good,
    ),
    BadInput(
        "missing-file",
        lambda tmp: ([str(tmp / "absent.txt")], str(tmp / "absent.txt")),
        "cannot read the file (No such file or directory)",
    ),
]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda bad: bad.name)
def test_bad_input_is_skipped_and_the_good_one_coded(
    bad: BadInput, tmp_path: Path, runner: CliRunner
) -> None:
    bad_args, where = bad.make(tmp_path)
    good_args, good_id = bad.good(tmp_path)

    result = invoke(runner, *bad_args, *good_args, "--format", "jsonl")

    assert result.exit_code == 0, result.output
    about_it = [line for line in result.stderr.splitlines() if where in line]
    assert about_it == skip_lines(result.stderr), result.stderr
    assert len(about_it) == 1
    assert about_it[0].startswith(f"{SKIPPED}{where}: ")
    assert bad.problem in about_it[0]
    assert {event["article_id"] for event in events_of(result.stdout)} == {good_id}
    summary = summary_line(result.stderr)
    assert summary.startswith("coded 1 document: ")
    assert "skipped 1 " in summary


def test_huge_file_is_refused_quickly(tmp_path: Path, runner: CliRunner) -> None:
    """The size is checked before the file is read: 50 MB of NULs is "too large", not "binary"."""
    bad_args, where = _huge_file(tmp_path)
    good_args, _ = good_txt(tmp_path)
    result = invoke(runner, *bad_args, *good_args, "--format", "jsonl", "--max-bytes", "1000")
    assert result.exit_code == 0
    [line] = skip_lines(result.stderr)
    assert line == f"{SKIPPED}{where}: 52.4 MB is larger than the limit of 1,000 bytes; " + (
        "split it or raise --max-bytes"
    )


def test_all_inputs_bad_exits_non_zero(tmp_path: Path, runner: CliRunner) -> None:
    empty_args, empty_where = _empty_file(tmp_path)
    binary_args, binary_where = _binary_file(tmp_path)
    result = invoke(runner, *empty_args, *binary_args, "--date", PUBLISHED, "--format", "jsonl")
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = skip_lines(result.stderr)
    assert len(lines) == 2
    assert lines[0].startswith(f"{SKIPPED}{empty_where}: ")
    assert lines[1].startswith(f"{SKIPPED}{binary_where}: ")
    assert summary_line(result.stderr).startswith("coded 0 documents: 0 events; skipped 2 ")


def test_all_lines_of_jsonl_bad_exits_non_zero(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('not json\n[1, 2]\n{"text": ""}\n', encoding="utf-8")
    result = invoke(runner, "--input", str(path), "--format", "jsonl")
    assert result.exit_code != 0
    assert [line.split(": ")[1] for line in skip_lines(result.stderr)] == [
        f"skipped {path}:{number}" for number in (1, 2, 3)
    ]


# --- messages for whole-file problems and limits ---


def test_skip_message_is_one_line_on_a_narrow_stream(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "an-article-saved-with-a-deliberately-long-file-name.txt"
    path.write_bytes(b"ab\x00cd")
    good_args, _ = good_txt(tmp_path)
    result = invoke(runner, str(path), *good_args, "--format", "jsonl", env={"COLUMNS": None})
    assert result.exit_code == 0
    message = f"{SKIPPED}{path}: looks like a binary file, not text (a NUL byte at offset 2)"
    assert message in result.stderr.splitlines()


def test_empty_jsonl_file_is_reported(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    good_args, good_id = good_txt(tmp_path)
    result = invoke(runner, str(path), *good_args, "--format", "jsonl")
    assert result.exit_code == 0
    assert {event["article_id"] for event in events_of(result.stdout)} == {good_id}
    assert [line for line in result.stderr.splitlines() if str(path) in line] == [
        f"{SKIPPED}{path}: the file is empty"
    ]


def test_binary_jsonl_file_gives_one_message(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "archive.jsonl"
    path.write_bytes(b"PK\x03\x04\x00\x00\n" * 5)
    good_args, _ = good_txt(tmp_path)
    result = invoke(runner, str(path), *good_args, "--format", "jsonl")
    assert result.exit_code == 0
    assert len([line for line in result.stderr.splitlines() if str(path) in line]) == 1


def test_header_only_file_is_named_in_the_message(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "header-only.txt"
    path.write_text("Date: 2024-08-29\nTitle: Nothing here\n\n\n", encoding="utf-8")
    good_args, _ = good_txt(tmp_path)
    result = invoke(runner, str(path), *good_args, "--format", "jsonl")
    assert result.exit_code == 0
    [line] = skip_lines(result.stderr)
    assert line.startswith(f"{SKIPPED}{path}: ")


@pytest.mark.parametrize("kind", ["txt", "jsonl"])
def test_too_many_characters_names_the_input(kind: str, tmp_path: Path, runner: CliRunner) -> None:
    text = "Jake Sullivan met with Xi Jinping. " * 40_000  # 1.4 MB, 1.4 million characters
    if kind == "txt":
        path = tmp_path / "long.txt"
        path.write_text(text, encoding="utf-8")
        args, where = [str(path)], str(path)
    else:
        path = tmp_path / "long.jsonl"
        path.write_text(json.dumps({"id": "long", "text": text, "date": PUBLISHED}) + "\n")
        args, where = [str(path)], f"{path}:1"
    good_args, good_id = good_txt(tmp_path)
    result = invoke(runner, *args, *good_args, "--format", "jsonl")
    assert result.exit_code == 0
    assert {event["article_id"] for event in events_of(result.stdout)} == {good_id}
    [line] = skip_lines(result.stderr)
    assert line.startswith(f"{SKIPPED}{where}: ")
    assert "--max-bytes" not in line


def test_bad_date_option_names_the_option_once(runner: CliRunner) -> None:
    result = invoke(runner, "article.txt", "--date", "29/08/2024")
    assert "--date: --date:" not in result.stderr


# --- options and formats --------------------------------------------------------------------


def test_input_from_stdin(runner: CliRunner) -> None:
    lines = ["not json", GOOD_LINE]
    result = invoke(runner, "--input", "-", "--format", "jsonl", stdin="\n".join(lines).encode())
    assert result.exit_code == 0
    assert {event["article_id"] for event in events_of(result.stdout)} == {GOOD_ID}
    [line] = skip_lines(result.stderr)
    assert line.startswith(f"{SKIPPED}<stdin>:1: not valid JSON")


def test_output_file_gets_one_json_object_per_line(tmp_path: Path, runner: CliRunner) -> None:
    docs = tmp_path / "docs.jsonl"
    records = [
        {"id": "a1", "text": "Jake Sullivan met with Xi Jinping.", "date": PUBLISHED},
        {"id": "a2", "text": "Xi Jinping was criticized by Joe Biden.", "date": PUBLISHED},
    ]
    docs.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    out = tmp_path / "events.jsonl"
    result = invoke(runner, "--input", str(docs), "--output", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) >= 2
    assert all(isinstance(event, dict) for event in events)
    assert {event["article_id"] for event in events} == {"a1", "a2"}
    assert "coded 2 documents: " in summary_line(result.stderr)


def test_csv_has_a_header_and_rows(tmp_path: Path, runner: CliRunner) -> None:
    good_args, good_id = good_txt(tmp_path)
    result = invoke(runner, *good_args, "--format", "csv")
    assert result.exit_code == 0
    reader = csv.DictReader(io.StringIO(result.stdout))
    rows = list(reader)
    assert reader.fieldnames == CSV_COLUMNS
    assert rows
    assert {row["article_id"] for row in rows} == {good_id}
    assert ("Jake Sullivan", "Xi Jinping", "040") in {
        (row["source_name"], row["target_name"], row["cameo_code"]) for row in rows
    }


def test_output_csv_by_suffix(tmp_path: Path, runner: CliRunner) -> None:
    good_args, good_id = good_txt(tmp_path)
    out = tmp_path / "events.csv"
    result = invoke(runner, *good_args, "--output", str(out))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows
    assert {row["article_id"] for row in rows} == {good_id}


@pytest.mark.parametrize("fmt", [["--format", "table"], []], ids=["explicit", "default"])
def test_table_is_readable(fmt: list[str], tmp_path: Path, runner: CliRunner) -> None:
    good_args, _ = good_txt(tmp_path)
    result = invoke(runner, *good_args, *fmt)
    assert result.exit_code == 0
    assert "Jake Sullivan" in result.stdout
    assert "Xi Jinping" in result.stdout
    assert "040 Consult" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_bad_date_option_is_a_usage_error(runner: CliRunner) -> None:
    result = invoke(runner, "article.txt", "--date", "29/08/2024")
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert "--date" in result.stderr
    assert "'29/08/2024'" in result.stderr
    assert "YYYY-MM-DD" in result.stderr


def test_no_input_is_a_usage_error(runner: CliRunner) -> None:
    result = invoke(runner)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert "give article files, or --input FILE" in result.stderr


def test_help_has_examples(runner: CliRunner) -> None:
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout
    assert "--input" in result.stdout


# --- the installed console script -----------------------------------------------------------


def test_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "communique"
    if not script.is_file():
        pytest.skip(f"no console script next to {sys.executable}: install the package")
    env = {**os.environ, "COLUMNS": "1000"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(script), *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert "Traceback" not in done.stdout + done.stderr
        return done

    helped = run("--help")
    assert helped.returncode == 0
    assert "Examples" in helped.stdout

    bad = tmp_path / "binary.txt"
    bad.write_bytes(b"\x00\x01\x02")
    refused = run("code", str(bad), "--date", PUBLISHED)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert [line for line in refused.stderr.splitlines() if str(bad) in line] == [
        f"{SKIPPED}{bad}: looks like a binary file, not text (a NUL byte at offset 0)"
    ]
